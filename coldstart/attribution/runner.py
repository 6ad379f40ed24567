"""Attribution runs: after the clean timing runs, one run per instrument.

Each run is a fresh worker with one instrument: `-X importtime`, `-X tracemalloc=N`, or a
sampler (py-spy launching the worker, or pyinstrument inside it). Their timings are
recorded in the report's `attribution.runs` with their inflation against the clean
median, and never enter the summary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coldstart.attribution.allocations import build_allocations_section
from coldstart.attribution.importtime import build_imports_section
from coldstart.attribution.origins import Locations
from coldstart.attribution.sampling import (
    PY_SPY_RATE_HZ,
    PYINSTRUMENT_INTERVAL_S,
    build_hotspots_section,
    find_py_spy,
    py_spy_failure_reason,
    py_spy_prefix,
    read_pyinstrument,
    read_speedscope,
)
from coldstart.launcher import launch_run, write_worker_config
from coldstart.runs import build_run

if TYPE_CHECKING:
    from coldstart.measure import Variant

SAMPLERS = ("auto", "py-spy", "pyinstrument", "none")
# tracemalloc at one frame makes the boto3 fixture's init about 4.7x slower (median of 5
# with benchmarks/attribution_overhead.py, CPython 3.11), and 4 frames about 13x; 1 keeps
# the run under the 5x that a default attribution run may cost.
DEFAULT_ALLOC_FRAMES = 1
# Init and invoke timeouts of an attribution run, as multiples of the target's, because
# instruments slow the handler down.
TIMEOUT_FACTOR = {"importtime": 2.0, "tracemalloc": 10.0, "py-spy": 2.0, "pyinstrument": 3.0}


@dataclass
class AttributionSettings:
    """The attribution runs `coldstart profile` makes, and their settings."""

    imports: bool = True
    allocations: bool = True
    sampler: str = "auto"
    alloc_frames: int = DEFAULT_ALLOC_FRAMES
    py_spy_rate_hz: int = PY_SPY_RATE_HZ
    pyinstrument_interval_s: float = PYINSTRUMENT_INTERVAL_S

    def run_count(self) -> int:
        return int(self.imports) + int(self.allocations) + int(self.sampler != "none")


@dataclass
class AttributionResult:
    """The report sections of the attribution runs, with notes for the user."""

    sections: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Set when --sampler py-spy was requested and py-spy could not trace.
    sampler_error: str | None = None
    attribution_messages: dict[str, dict[str, Any]] = field(default_factory=dict)


class Instrumented:
    """Launches one attribution run of a variant and keeps what it returned."""

    def __init__(self, variant: Variant, work_dir: Path, clean_init_ms: float | None,
                 result: AttributionResult, on_run: Any) -> None:
        self.variant = variant
        self.work_dir = work_dir
        self.clean_init_ms = clean_init_ms
        self.result = result
        self.on_run = on_run

    def launch(self, instrument: str, **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Run the worker with one instrument; return (run, the probe's message)."""
        # NOTE: an attribution run's init also includes compiling worker_probe.py in the
        # worker (a few milliseconds), so its inflation is slightly overstated.
        base = self.variant.options
        factor = TIMEOUT_FACTOR[instrument]
        options = replace(
            base,
            warm_invokes=changes.pop("warm_invokes", 0),
            timeout_s=base.timeout_s * factor,
            init_timeout_s=base.init_timeout_s * factor,
            **changes,
        )
        config_path = self.work_dir / f"worker-config-{instrument}.json"
        # The handler's context keeps the target's timeout; only the launcher waits longer.
        write_worker_config(
            self.variant.target, replace(options, timeout_s=base.timeout_s), config_path
        )
        started = time.perf_counter()
        record = launch_run(self.variant.target, options, config_path)
        wall_ms = (time.perf_counter() - started) * 1000
        run = build_run(len(self.result.runs), record, options.timeout_s,
                        options.init_timeout_s)
        run.pop("module_names_at_init", None)
        probe_message = next(
            (message for message in record["messages"] if message.get("kind") == "attribution"),
            {},
        )
        self.result.runs.append(self.describe_run(instrument, run, wall_ms))
        self.result.attribution_messages[instrument] = probe_message
        if run["status"] != "ok":
            self.result.notes.append(
                f"the {instrument} run failed ({run['error']['type']} in phase "
                f"{run['error']['phase']}): its figures cover only what ran before"
            )
        if probe_message.get("probe_error"):
            last = probe_message["probe_error"].strip().splitlines()[-1]
            self.result.notes.append(f"the {instrument} probe failed: {last}")
        if self.on_run is not None:
            self.on_run()
        run["stderr_lines"] = record["stderr"].last_lines(40)
        return run, probe_message

    def describe_run(self, instrument: str, run: dict[str, Any], wall_ms: float) -> dict[str, Any]:
        init_ms = run.get("init_ms")
        inflation = None
        if init_ms is not None and self.clean_init_ms:
            inflation = round(init_ms / self.clean_init_ms, 3)
        return {
            "instrument": instrument,
            "status": run["status"],
            "init_ms": init_ms,
            "import_ms": run.get("import_ms"),
            "first_invoke_ms": run.get("first_invoke_ms"),
            "init_inflation": inflation,
            "wall_ms": round(wall_ms, 3),
            "error": run["error"]["type"] if run.get("error") else None,
        }


def locations_for(variant: Variant, probe_message: dict[str, Any]) -> Locations:
    return Locations(str(variant.target.root), probe_message.get("stdlib_dir"))


def run_importtime(runner: Instrumented, track_calls: bool) -> None:
    prefix = runner.work_dir / "importtime"
    worker_args = ["--stderr-to", str(prefix), "--describe-modules"]
    if track_calls:
        worker_args.append("--track-calls")
    run, message = runner.launch(
        "importtime", python_flags=["-X", "importtime"], worker_args=worker_args
    )
    if run.get("import_ms") is None:
        runner.result.notes.append("the importtime run did not finish its import phase")
        return
    section, warnings = build_imports_section(
        read_text(prefix.with_suffix(".init")), read_text(prefix.with_suffix(".invoke")),
        message.get("module_files", {}), message.get("uncached_bytecode"),
        locations_for(runner.variant, message), runner.variant.target.module,
        message.get("handler_import_ms", run["import_ms"]),
    )
    runner.result.sections["imports"] = section
    runner.result.notes.extend(warnings[:5])
    if len(warnings) > 5:
        runner.result.notes.append(f"{len(warnings) - 5} more importtime lines skipped")


def run_tracemalloc(runner: Instrumented, frames: int, track_calls: bool) -> None:
    worker_args = ["--tracemalloc"]
    if track_calls:
        worker_args.append("--track-calls")
    _, message = runner.launch(
        "tracemalloc", python_flags=["-X", f"tracemalloc={frames}"],
        worker_args=worker_args,
        warm_invokes=min(1, runner.variant.options.warm_invokes),
    )
    summary = message.get("allocations")
    if not summary:
        return
    section = build_allocations_section(
        summary, message.get("copies", []), locations_for(runner.variant, message)
    )
    if section is not None:
        runner.result.sections["allocations"] = section


def run_py_spy(runner: Instrumented, rate_hz: int, python_version: str | None) -> str | None:
    """Run the worker under py-spy; return the reason when py-spy could not trace."""
    py_spy = find_py_spy()
    if py_spy is None:
        return "py-spy not found (install it with pip install py-spy)"
    output = runner.work_dir / "py-spy.json"
    run, _ = runner.launch("py-spy", command_prefix=py_spy_prefix(py_spy, rate_hz, output))
    # py-spy may exit with "No child process" after writing its file, because the worker
    # leaves with os._exit: a readable file is what counts.
    try:
        samples = read_speedscope(output)
    except (OSError, ValueError, KeyError, TypeError):
        return py_spy_failure_reason(run["stderr_lines"], python_version)
    runner.result.sections["hotspots"] = build_hotspots_section(samples, "py-spy", rate_hz)
    return None


def run_pyinstrument(runner: Instrumented, interval_s: float) -> None:
    output = runner.work_dir / "pyinstrument.json"
    _, message = runner.launch(
        "pyinstrument", worker_args=["--pyinstrument", str(output), repr(interval_s)]
    )
    error = message.get("pyinstrument_error")
    if error:
        hint = ""
        if error.startswith("pyinstrument is not importable"):
            hint = " (install pyinstrument for that interpreter, or use --sampler py-spy)"
        runner.result.notes.append(f"no CPU samples: {error}{hint}")
        return
    try:
        samples = read_pyinstrument(output)
    except (OSError, ValueError, KeyError, TypeError) as error:
        runner.result.notes.append(f"no CPU samples: pyinstrument wrote no samples ({error})")
        return
    runner.result.sections["hotspots"] = build_hotspots_section(
        samples, "pyinstrument", round(1 / interval_s)
    )


def run_sampler(runner: Instrumented, settings: AttributionSettings,
                python_version: str | None) -> None:
    if settings.sampler in ("auto", "py-spy"):
        reason = run_py_spy(runner, settings.py_spy_rate_hz, python_version)
        if reason is None:
            return
        if settings.sampler == "py-spy":
            if "--sampler pyinstrument" not in reason:
                reason += "; use --sampler pyinstrument instead"
            runner.result.sampler_error = reason
            return
        runner.result.notes.append(f"{reason}; sampling with pyinstrument instead")
    run_pyinstrument(runner, settings.pyinstrument_interval_s)


def attribute_variant(
    variant: Variant, settings: AttributionSettings, work_dir: Path,
    clean_init_ms: float | None, python_version: str | None, on_run: Any = None,
) -> AttributionResult:
    """Make the attribution runs of one variant and return their report sections."""
    result = AttributionResult()
    folder = work_dir / f"attribution-{id(variant)}"
    folder.mkdir(parents=True, exist_ok=True)
    runner = Instrumented(variant, folder, clean_init_ms, result, on_run)
    # The first invoke's calls are tracked where the timing cost does not matter: in the
    # tracemalloc run, else in the importtime run (it slows the invoke's imports).
    if settings.imports:
        run_importtime(runner, track_calls=not settings.allocations)
    if settings.allocations:
        run_tracemalloc(runner, settings.alloc_frames, track_calls=True)
    if settings.sampler != "none":
        run_sampler(runner, settings, python_version)
    usage = invoke_usage(result, settings)
    if usage is not None:
        result.sections["invoke_usage"] = usage
    return result


def invoke_usage(result: AttributionResult, settings: AttributionSettings) -> dict[str, Any] | None:
    """Modules whose code ran during the first invoke, and notable boto3/botocore calls."""
    source = "tracemalloc" if settings.allocations else "importtime"
    calls = result.attribution_messages.get(source, {})
    module_files = result.attribution_messages.get("importtime", {}).get("module_files")
    if "invoke_files" not in calls or not module_files:
        return None
    ran = set(calls["invoke_files"])
    return {
        "source": f"{source} run",
        "modules": sorted(name for name, path in module_files.items() if path in ran),
        "calls": calls.get("invoke_calls", {}),
    }


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
