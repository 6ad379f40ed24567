"""Measure cold starts of a local handler in fresh interpreter processes."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

from coldstart.attribution.runner import DEFAULT_ALLOC_FRAMES, SAMPLERS, AttributionSettings
from coldstart.attribution.sampling import PY_SPY_RATE_HZ
from coldstart.commands.common import (
    check_positive,
    check_python,
    check_range,
    load_event,
)
from coldstart.console import Streams
from coldstart.environment import parse_env_pairs
from coldstart.errors import EnvironmentProblem, ExitCode, RunsInterrupted, UsageError
from coldstart.findings import build_findings
from coldstart.launcher import RunOptions
from coldstart.measure import Variant, measure_variants
from coldstart.model import failed_runs
from coldstart.render.outputs import OutputRequest, next_step, plan_outputs, write_outputs
from coldstart.render.terminal import render_terminal
from coldstart.target import resolve_target

# An upper bound that catches typos such as --runs 10000000 before hours are spent.
MAX_RUNS = 100_000
MAX_ALLOC_FRAMES = 65535


@dataclass
class ProfileRequest:
    """Everything `coldstart profile` was asked to do."""

    target: str
    handler: str | None = None
    root: str | None = None
    runs: int = 10
    warm_invokes: int = 3
    event: str | None = None
    env: list[str] = field(default_factory=list)
    python: str = field(default_factory=lambda: sys.executable)
    memory_mb: int = 128
    timeout_s: float = 3.0
    init_timeout_s: float = 10.0
    json_path: str | None = None
    outputs: OutputRequest = field(default_factory=OutputRequest)
    timing_only: bool = False
    imports: bool = True
    allocations: bool = True
    sampler: str = "auto"
    alloc_frames: int | None = None  # None: DEFAULT_ALLOC_FRAMES
    py_spy_rate_hz: int | None = None  # None: PY_SPY_RATE_HZ
    min_ms: float | None = None


def attribution_settings(request: ProfileRequest) -> AttributionSettings | None:
    """Return the attribution runs to make, or None for --timing-only."""
    if request.sampler not in SAMPLERS:
        choices = ", ".join(name for name in SAMPLERS if name != "auto")
        raise UsageError(f"invalid --sampler {request.sampler!r}: use one of {choices}")
    # tracemalloc keeps at most 65535 frames per traceback.
    frames = DEFAULT_ALLOC_FRAMES if request.alloc_frames is None else request.alloc_frames
    check_range("--alloc-frames", frames, 1, MAX_ALLOC_FRAMES)
    rate_hz = PY_SPY_RATE_HZ if request.py_spy_rate_hz is None else request.py_spy_rate_hz
    if not 1 <= rate_hz <= 10_000:
        raise UsageError(f"invalid --py-spy-rate {rate_hz}: use 1 to 10000 Hz")
    if request.min_ms is not None and not (math.isfinite(request.min_ms)
                                           and request.min_ms >= 0):
        raise UsageError(f"invalid --min-ms {request.min_ms}: use a number of 0 or more")
    if request.timing_only:
        return None
    return AttributionSettings(
        imports=request.imports,
        allocations=request.allocations,
        sampler=request.sampler,
        alloc_frames=frames,
        py_spy_rate_hz=rate_hz,
    )


def build_variant(request: ProfileRequest) -> Variant:
    """Validate the request and return the target with its run options."""
    check_range("--runs", request.runs, 1, MAX_RUNS)
    check_range("--warm-invokes", request.warm_invokes, 0, MAX_RUNS)
    # Lambda accepts 128 to 10240 MB of memory and a function timeout up to 900 s.
    check_range("--memory", request.memory_mb, 128, 10240, " MB")
    check_positive("--timeout", request.timeout_s)
    check_range("--timeout", request.timeout_s, 0, 900, " s")
    check_positive("--init-timeout", request.init_timeout_s)
    check_range("--init-timeout", request.init_timeout_s, 0, 900, " s")
    target = resolve_target(request.target, request.handler, request.root)
    options = RunOptions(
        python=check_python(request.python),
        event=load_event(request.event),
        env=parse_env_pairs(request.env),
        memory_mb=request.memory_mb,
        timeout_s=request.timeout_s,
        init_timeout_s=request.init_timeout_s,
        warm_invokes=request.warm_invokes,
    )
    return Variant(target, options, target.label)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def ignored_options(request: ProfileRequest) -> list[str]:
    """Attribution options given with --timing-only, which makes no attribution run."""
    if not request.timing_only:
        return []
    ignored = []
    if request.sampler != "auto":
        ignored.append("--sampler")
    if request.alloc_frames is not None:
        ignored.append("--alloc-frames")
    if request.py_spy_rate_hz is not None:
        ignored.append("--py-spy-rate")
    if not request.imports:
        ignored.append("--no-imports")
    if not request.allocations:
        ignored.append("--no-alloc")
    return ignored


def run(request: ProfileRequest, streams: Streams) -> int:
    variant = build_variant(request)
    settings = attribution_settings(request)
    ignored = ignored_options(request)
    if ignored:
        streams.warn(f"{', '.join(ignored)} ignored: --timing-only makes no attribution runs")
    planned = plan_outputs(request.outputs)
    try:
        [report] = measure_variants([variant], request.runs, streams, attribution=settings)
    except RunsInterrupted as interrupted:
        [report] = interrupted.reports
        count = len(report["runs"])
        streams.warn(f"interrupted after {plural(count, 'timing run')}; the report covers "
                     "what finished")
        write_outputs(report, planned, streams)
        raise
    report["findings"] = build_findings(report)
    streams.print(render_terminal(report, min_ms=request.min_ms))
    attribution = report.get("attribution") or {}
    for warning in report["warnings"] + attribution.get("notes", []):
        streams.warn(warning)
    # Written before the exit status is decided: a failed target still gets its reports.
    write_outputs(report, planned, streams)
    hint = next_step(planned)
    if hint:
        streams.note(hint)
    if attribution.get("sampler_error"):
        # The report is written first, so that the timing figures are not lost.
        raise EnvironmentProblem(attribution["sampler_error"])
    failed = failed_runs(report)
    if failed:
        error = failed[0]["error"]
        if streams.quiet:
            streams.error_line(
                f"target failed: {error['type']} in phase {error['phase']}: "
                f"{error['message']} ({len(failed)}/{len(report['runs'])} runs failed)"
            )
        return ExitCode.TARGET_FAILED
    return ExitCode.OK
