"""The benchmark figures: each one a ratio of coldstart against a baseline, interleaved.

A round measures both sides once, the measured command first in even rounds and the
baseline first in odd ones, so that a change in the machine's load during the benchmark
reaches both sides alike. A wall-time figure is the median of the per-round ratios: each
compares two measurements taken back to back, so a slow drift of the load cancels out.
The accuracy figure alternates a few runs at a time, so both sides sample the same load,
and it is the ratio of the two sides' medians, as the target defines it.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from timing import Command, Paired, bare_launch, clock_mark_ms, coldstart_command, wall_ms

STARTED = time.monotonic()
HANDLER_CALL = "import app; app.handler({}, None); import os; os._exit(0)"
MODULE_IMPORT = "import app; import os; os._exit(0)"
# The same launch, printing the clock when the module is imported: spawn to imported by
# the clock init_ms uses, with no exit or reaping in it.
MODULE_IMPORT_MARKED = (
    'import app; import os, time; os.write(1, b"%d" % time.monotonic_ns()); os._exit(0)'
)


def elapsed_s() -> float:
    return time.monotonic() - STARTED


def log(message: str) -> None:
    sys.stderr.write(f"[{elapsed_s():6.1f} s] {message}\n")


@dataclass
class Figure:
    """One measured ratio, the commands on both sides and its spread over the rounds."""

    title: str
    fixture: str
    command: str
    baseline: str
    measured_ms: float
    baseline_ms: float
    ratio: float
    ratios: list[float]
    target: str
    met: bool
    load_before: str
    # Extra values shown with the figure, such as the phases of an init_ms.
    details: dict[str, float] = field(default_factory=dict)
    # Medians of the per-round differences, measured minus baseline, in ms.
    difference_ms: float = 0.0
    # True when the figure is the ratio of the two sides' medians (runs alternating one
    # by one), False when it is the median of the per-round ratios.
    pooled: bool = False
    # Medians in ms of what a full profile's reports record: the wall time of each
    # attribution run by instrument, of all of them and of the timing runs, and the
    # clean init median (keys: instrument names and the constants above).
    costs: dict[str, float] = field(default_factory=dict)

    @property
    def median_round_ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def ratio_of_medians(self) -> float:
        return self.measured_ms / self.baseline_ms


def interleave(
    rounds: int, measure: Callable[[], float], baseline: Callable[[], float], label: str
) -> Paired:
    """Measure both sides once per round, alternating which side goes first."""
    paired = Paired()
    for index in range(rounds):
        if index % 2 == 0:
            measured_ms, baseline_ms = measure(), baseline()
        else:
            baseline_ms = baseline()
            measured_ms = measure()
        paired.measured.append(measured_ms)
        paired.baseline.append(baseline_ms)
        log(f"{label}: round {index + 1}/{rounds}, ratio {measured_ms / baseline_ms:.3f}")
    return paired


def wall_figure(
    title: str, fixture: str, command: str, baseline: str, paired: Paired, target: float
) -> Figure:
    """Return the figure of two wall times: the median per-round ratio, at most `target`."""
    ratio = statistics.median(paired.ratios)
    return Figure(
        title=title, fixture=fixture, command=command, baseline=baseline,
        measured_ms=statistics.median(paired.measured),
        baseline_ms=statistics.median(paired.baseline),
        ratio=ratio, ratios=paired.ratios, target=f"at most {target:.2f}",
        met=ratio <= target, load_before=paired.load_before,
        difference_ms=statistics.median(paired.differences),
    )


def block_wall_ms(command: Command, launches: int) -> float:
    """Return the wall time of `launches` launches of a command, one after the other."""
    return sum(wall_ms(command) for _ in range(launches))


def profile_args(fixture: str, runs: int, *extra: str) -> list[str]:
    return [
        "profile", f"fixtures/{fixture}/app.py", "--runs", str(runs), "--quiet", "--force",
        *extra,
    ]


def timing_overhead(fixture: str, runs: int, rounds: int, timing_only: bool) -> Figure:
    """Wall time of `coldstart profile` against as many bare launches calling the handler."""
    extra = ["--timing-only"] if timing_only else []
    profile = coldstart_command(*profile_args(fixture, runs, *extra))
    bare = bare_launch(fixture, HANDLER_CALL)
    paired = interleave(
        rounds, lambda: wall_ms(profile), lambda: block_wall_ms(bare, runs),
        f"timing overhead, {fixture}",
    )
    return wall_figure(
        "timing overhead", fixture, profile.display(), f"{runs} x `{bare.display()}`",
        paired, 1.10,
    )


def report_runs(command: Command, json_path: Path) -> list[dict]:
    """Run a coldstart command that writes a JSON report and return its successful runs."""
    wall_ms(command)
    report = json.loads(json_path.read_text(encoding="utf-8"))
    return [run for run in report["runs"] if run["status"] == "ok"]


def accuracy(
    fixture: str, runs_per_round: int, rounds: int, timing_only: bool
) -> list[Figure]:
    """Median init_ms of coldstart's reports against bare launches that import the module.

    Returns two figures: against the wall time of the bare launches (spawn to exit), and
    against their own clock mark after the import (spawn to imported). Each bare launch
    is followed by a marked one, so both baselines come from the same rounds.
    """
    bare = bare_launch(fixture, MODULE_IMPORT)
    marked = bare_launch(fixture, MODULE_IMPORT_MARKED)
    # Attribution runs come after the timing runs and never change init_ms; skipping
    # them only saves time.
    extra = ["--timing-only"] if timing_only else []
    runs: list[dict] = []
    bare_ms: list[float] = []
    marked_rounds: list[list[float]] = []
    with tempfile.TemporaryDirectory(prefix="coldstart-bench-") as folder:
        json_path = Path(folder) / "report.json"
        profile = coldstart_command(
            *profile_args(fixture, runs_per_round, *extra, "--json", str(json_path))
        )

        def measure() -> float:
            round_runs = report_runs(profile, json_path)
            runs.extend(round_runs)
            return statistics.median(run["init_ms"] for run in round_runs)

        def baseline() -> float:
            walls = []
            marks = []
            for _ in range(runs_per_round):
                walls.append(wall_ms(bare))
                marks.append(clock_mark_ms(marked))
            bare_ms.extend(walls)
            marked_rounds.append(marks)
            return statistics.median(walls)

        paired = interleave(rounds, measure, baseline, f"accuracy, {fixture}")
    init_ms = statistics.median(run["init_ms"] for run in runs)
    marked_ms = [value for marks in marked_rounds for value in marks]
    shown = coldstart_command(
        *profile_args(fixture, runs_per_round, *extra, "--json", "report.json")
    )
    details = {
        "runs on each side": len(runs),
        "coldstart startup_ms median (ms)": statistics.median(r["startup_ms"] for r in runs),
        "coldstart import_ms median (ms)": statistics.median(r["import_ms"] for r in runs),
    }
    mark_ratios = [
        init / statistics.median(marks)
        for init, marks in zip(paired.measured, marked_rounds, strict=True)
    ]
    against_wall = init_ms / statistics.median(bare_ms)
    against_mark = init_ms / statistics.median(marked_ms)
    return [
        Figure(
            title="accuracy of init_ms, against bare wall time", fixture=fixture,
            command=shown.display(), baseline=f"`{bare.display()}`, wall time of each launch",
            measured_ms=init_ms, baseline_ms=statistics.median(bare_ms),
            ratio=against_wall, ratios=paired.ratios, target="within 5 %",
            met=abs(against_wall - 1) <= 0.05, load_before=paired.load_before,
            details=details, pooled=True,
        ),
        Figure(
            title="accuracy of init_ms, against a clock mark after the import",
            fixture=fixture, command=shown.display(),
            baseline=f"`{marked.display()}`, from spawn to the printed mark",
            measured_ms=init_ms, baseline_ms=statistics.median(marked_ms),
            ratio=against_mark, ratios=mark_ratios,
            target="within 5 %", met=abs(against_mark - 1) <= 0.05,
            load_before=paired.load_before, details=details, pooled=True,
        ),
    ]


def own_startup(rounds: int) -> Figure:
    """Wall time of `coldstart --version` against importing typer alone."""
    version = coldstart_command("--version")
    typer_only = Command(
        [sys.executable, "-c", "import typer"], shown='python -c "import typer"'
    )
    paired = interleave(
        rounds, lambda: wall_ms(version), lambda: wall_ms(typer_only), "own start-up"
    )
    return wall_figure(
        "own start-up", "-", version.display(), f"`{typer_only.display()}`", paired, 1.3
    )


def fixed_cost(fixture: str, rounds: int, timing_only: bool) -> Figure:
    """Wall time of a one-run `coldstart profile` against one bare launch.

    Not a target: with the timing overhead it splits coldstart's extra time into a part
    paid once per command and a part paid per run.
    """
    extra = ["--timing-only"] if timing_only else []
    profile = coldstart_command(*profile_args(fixture, 1, *extra))
    bare = bare_launch(fixture, HANDLER_CALL)
    paired = interleave(
        rounds, lambda: wall_ms(profile), lambda: wall_ms(bare), f"one-run command, {fixture}"
    )
    figure = wall_figure(
        "one-run command", fixture, profile.display(), f"`{bare.display()}`", paired, 0
    )
    figure.target = "none (splits the overhead)"
    figure.met = True
    return figure


def attribution_total(
    fixture: str, runs: int, rounds: int, inflations: dict[str, list[float]],
    notes: set[str],
) -> Figure:
    """Wall time of a full `coldstart profile` against the same with --timing-only.

    Both sides write a JSON report. The full side's attribution runs add their init
    inflation, one value per round and instrument, to `inflations`, and the reports'
    attribution notes (py-spy unable to trace, a fallback sampler) to `notes`. The
    figure's costs hold the median wall time of each attribution run and of the timing
    runs, as the full reports record them.
    """
    walls: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="coldstart-bench-") as folder:
        full_json = Path(folder) / "full.json"
        timing_json = Path(folder) / "timing.json"
        full = coldstart_command(*profile_args(fixture, runs, "--json", str(full_json)))
        timing = coldstart_command(
            *profile_args(fixture, runs, "--timing-only", "--json", str(timing_json))
        )

        def measure() -> float:
            elapsed_ms = wall_ms(full)
            report = json.loads(full_json.read_text(encoding="utf-8"))
            add_inflations(report, inflations, walls)
            attribution = report.get("attribution") or {}
            notes.update(attribution.get("notes") or [])
            if attribution.get("sampler_error"):
                notes.add(attribution["sampler_error"])
            return elapsed_ms

        paired = interleave(
            rounds, measure, lambda: wall_ms(timing), f"attribution total, {fixture}"
        )
    shown_full = coldstart_command(*profile_args(fixture, runs, "--json", "full.json"))
    shown_timing = coldstart_command(
        *profile_args(fixture, runs, "--timing-only", "--json", "timing.json")
    )
    figure = wall_figure(
        "full profile against its timing runs", fixture, shown_full.display(),
        f"`{shown_timing.display()}`", paired, 1.6,
    )
    figure.costs = {name: statistics.median(values) for name, values in walls.items()}
    return figure


# Keys of `walls` and Figure.costs, beside one key per instrument.
ALL_ATTRIBUTION_RUNS = "all attribution runs"
TIMING_RUNS = "timing runs"
CLEAN_INIT = "clean init"


def add_inflations(
    report: dict, inflations: dict[str, list[float]], walls: dict[str, list[float]] | None = None
) -> None:
    """Add each attribution run's init against the report's clean median to `inflations`.

    With `walls`, also add the wall time of each attribution run, of all of them and of
    the timing runs, where the report records them.
    """
    clean = (report.get("summary") or {}).get("init_ms")
    attribution = report.get("attribution") or {}
    if not clean:
        return
    for run in attribution.get("runs", []):
        if run.get("status") == "ok" and run.get("init_ms"):
            inflations.setdefault(run["instrument"], []).append(
                run["init_ms"] / clean["median"]
            )
        if walls is not None and run.get("wall_ms"):
            walls.setdefault(run["instrument"], []).append(run["wall_ms"])
    if walls is None:
        return
    walls.setdefault(CLEAN_INIT, []).append(clean["median"])
    for key, name in (("wall_ms", ALL_ATTRIBUTION_RUNS), ("timing_runs_wall_ms", TIMING_RUNS)):
        if attribution.get(key):
            walls.setdefault(name, []).append(attribution[key])


@dataclass
class Inflation:
    """Init of one instrument's attribution runs against the clean median of each report."""

    instrument: str
    fixture: str
    command: str
    ratios: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)


def sampler_inflation(
    fixture: str, sampler: str, runs: int, rounds: int
) -> tuple[list[float], str]:
    """Profile with only one sampler's attribution run, `rounds` times.

    Returns the sampler's inflations and the command as shown on the page.
    """
    inflations: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="coldstart-bench-") as folder:
        json_path = Path(folder) / "report.json"
        extra = ["--no-imports", "--no-alloc", "--sampler", sampler, "--json"]
        command = coldstart_command(*profile_args(fixture, runs, *extra, str(json_path)))
        for index in range(rounds):
            wall_ms(command)
            add_inflations(json.loads(json_path.read_text(encoding="utf-8")), inflations)
            log(f"{sampler} inflation, {fixture}: round {index + 1}/{rounds}")
    shown = coldstart_command(*profile_args(fixture, runs, *extra, "report.json"))
    return inflations.get(sampler, []), shown.display()
