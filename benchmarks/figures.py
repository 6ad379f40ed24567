"""The benchmark figures: each one a ratio of coldstart against a baseline, interleaved.

A round measures both sides once, the measured command first in even rounds and the
baseline first in odd ones, so that a change in the machine's load during the benchmark
reaches both sides alike. A figure is the ratio of the two medians over all rounds; the
per-round ratios give its spread.
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

from timing import Command, Paired, bare_launch, coldstart_command, fixture_path, wall_ms

STARTED = time.monotonic()
HANDLER_CALL = "import app; app.handler({}, None); import os; os._exit(0)"
MODULE_IMPORT = "import app; import os; os._exit(0)"


def elapsed_s() -> float:
    return time.monotonic() - STARTED


def log(message: str) -> None:
    sys.stderr.write(f"[{time.monotonic() - STARTED:6.1f} s] {message}\n")


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
    # Extra medians shown with the figure, such as the phases of an init_ms.
    details: dict[str, float] = field(default_factory=dict)


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


def block_wall_ms(command: Command, launches: int) -> float:
    """Return the wall time of `launches` launches of a command, one after the other."""
    return sum(wall_ms(command) for _ in range(launches))


def profile_args(fixture: str, runs: int, *extra: str) -> list[str]:
    return ["profile", f"fixtures/{fixture}/app.py", "--runs", str(runs), "--quiet", *extra]


def timing_overhead(fixture: str, runs: int, rounds: int, timing_only: bool) -> Figure:
    """Wall time of `coldstart profile` against as many bare launches calling the handler."""
    extra = ["--timing-only"] if timing_only else []
    profile = coldstart_command(*profile_args(fixture, runs, *extra))
    bare = bare_launch(fixture, HANDLER_CALL)
    paired = interleave(
        rounds, lambda: wall_ms(profile), lambda: block_wall_ms(bare, runs),
        f"timing overhead, {fixture}",
    )
    ratio = paired.ratio_of_medians
    return Figure(
        title="timing overhead", fixture=fixture, command=profile.display(),
        baseline=f"{runs} x `{bare.display()}`",
        measured_ms=statistics.median(paired.measured),
        baseline_ms=statistics.median(paired.baseline),
        ratio=ratio, ratios=paired.ratios, target="at most 1.10", met=ratio <= 1.10,
    )


def report_runs(command: Command, json_path: Path) -> list[dict]:
    """Run a coldstart command that writes a JSON report and return its successful runs."""
    wall_ms(command)
    report = json.loads(json_path.read_text(encoding="utf-8"))
    return [run for run in report["runs"] if run["status"] == "ok"]


def accuracy(fixture: str, runs_per_round: int, rounds: int) -> Figure:
    """Median init_ms of coldstart's reports against bare launches that import the module."""
    bare = bare_launch(fixture, MODULE_IMPORT)
    init_ms: list[float] = []
    startup_ms: list[float] = []
    import_ms: list[float] = []
    bare_ms: list[float] = []
    ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="coldstart-bench-") as folder:
        json_path = Path(folder) / "report.json"
        profile = coldstart_command(
            *profile_args(fixture, runs_per_round, "--json", str(json_path))
        )

        def measure() -> float:
            runs = report_runs(profile, json_path)
            values = [run["init_ms"] for run in runs]
            init_ms.extend(values)
            startup_ms.extend(run["startup_ms"] for run in runs)
            import_ms.extend(run["import_ms"] for run in runs)
            return statistics.median(values)

        def baseline() -> float:
            values = [wall_ms(bare) for _ in range(runs_per_round)]
            bare_ms.extend(values)
            return statistics.median(values)

        paired = interleave(rounds, measure, baseline, f"accuracy, {fixture}")
        ratios = paired.ratios
    ratio = statistics.median(init_ms) / statistics.median(bare_ms)
    shown_command = coldstart_command(
        *profile_args(fixture, runs_per_round, "--json", "report.json")
    ).display()
    return Figure(
        title="accuracy of init_ms", fixture=fixture, command=shown_command,
        baseline=f"`{bare.display()}`, wall time of each launch",
        measured_ms=statistics.median(init_ms), baseline_ms=statistics.median(bare_ms),
        ratio=ratio, ratios=ratios, target="within 5 %", met=abs(ratio - 1) <= 0.05,
        details={
            "runs per side": len(init_ms),
            "startup_ms median": statistics.median(startup_ms),
            "import_ms median": statistics.median(import_ms),
        },
    )


def own_startup(rounds: int) -> Figure:
    """Wall time of `coldstart --version` against importing typer alone."""
    version = coldstart_command("--version")
    typer_only = Command(
        [sys.executable, "-c", "import typer"], shown='python -c "import typer"'
    )
    paired = interleave(
        rounds, lambda: wall_ms(version), lambda: wall_ms(typer_only), "own start-up"
    )
    ratio = paired.ratio_of_medians
    return Figure(
        title="own start-up", fixture="-", command=version.display(),
        baseline=f"`{typer_only.display()}`",
        measured_ms=statistics.median(paired.measured),
        baseline_ms=statistics.median(paired.baseline),
        ratio=ratio, ratios=paired.ratios, target="at most 1.3", met=ratio <= 1.3,
    )


def fixed_cost(fixture: str, rounds: int, timing_only: bool) -> Figure:
    """Wall time of a one-run `coldstart profile` against one bare launch.

    Not a target: the difference is what coldstart costs once per command (its own
    imports, interpreter probes, rendering), which explains the timing overhead.
    """
    extra = ["--timing-only"] if timing_only else []
    profile = coldstart_command(*profile_args(fixture, 1, *extra))
    bare = bare_launch(fixture, HANDLER_CALL)
    paired = interleave(
        rounds, lambda: wall_ms(profile), lambda: wall_ms(bare), f"fixed cost, {fixture}"
    )
    ratio = paired.ratio_of_medians
    return Figure(
        title="one-run command", fixture=fixture, command=profile.display(),
        baseline=f"`{bare.display()}`",
        measured_ms=statistics.median(paired.measured),
        baseline_ms=statistics.median(paired.baseline),
        ratio=ratio, ratios=paired.ratios, target="none (explains the overhead)", met=True,
    )


def attribution_total(fixture: str, runs: int, rounds: int) -> Figure:
    """Wall time of a full `coldstart profile` against the same with --timing-only."""
    full = coldstart_command(*profile_args(fixture, runs))
    timing = coldstart_command(*profile_args(fixture, runs, "--timing-only"))
    paired = interleave(
        rounds, lambda: wall_ms(full), lambda: wall_ms(timing),
        f"attribution total, {fixture}",
    )
    ratio = paired.ratio_of_medians
    return Figure(
        title="full profile against timing runs alone", fixture=fixture,
        command=full.display(), baseline=f"`{timing.display()}`",
        measured_ms=statistics.median(paired.measured),
        baseline_ms=statistics.median(paired.baseline),
        ratio=ratio, ratios=paired.ratios, target="at most 1.6", met=ratio <= 1.6,
    )


def fixture_exists(fixture: str) -> bool:
    return fixture_path(fixture).is_file()
