"""Measure cold starts of a local handler in fresh interpreter processes."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from coldstart.attribution.runner import SAMPLERS, AttributionSettings
from coldstart.attribution.sampling import PY_SPY_RATE_HZ
from coldstart.commands.common import check_positive, check_python, load_event
from coldstart.console import Streams
from coldstart.environment import parse_env_pairs
from coldstart.errors import EnvironmentProblem, ExitCode, UsageError
from coldstart.findings import build_findings
from coldstart.launcher import RunOptions
from coldstart.measure import Variant, measure_variants
from coldstart.model import failed_runs
from coldstart.render.outputs import OutputRequest, next_step, plan_outputs, write_outputs
from coldstart.render.terminal import render_terminal
from coldstart.target import resolve_target


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
    alloc_frames: int = 1
    py_spy_rate_hz: int | None = None  # None: PY_SPY_RATE_HZ
    min_ms: float | None = None


def attribution_settings(request: ProfileRequest) -> AttributionSettings | None:
    """Return the attribution runs to make, or None for --timing-only."""
    if request.sampler not in SAMPLERS:
        choices = ", ".join(name for name in SAMPLERS if name != "auto")
        raise UsageError(f"invalid --sampler {request.sampler!r}: use one of {choices}")
    if request.alloc_frames < 1:
        raise UsageError(f"invalid --alloc-frames {request.alloc_frames}: use 1 or more")
    rate_hz = PY_SPY_RATE_HZ if request.py_spy_rate_hz is None else request.py_spy_rate_hz
    if not 1 <= rate_hz <= 10_000:
        raise UsageError(f"invalid --py-spy-rate {rate_hz}: use 1 to 10000 Hz")
    if request.min_ms is not None and request.min_ms < 0:
        raise UsageError(f"invalid --min-ms {request.min_ms}: use 0 or more")
    if request.timing_only:
        return None
    return AttributionSettings(
        imports=request.imports,
        allocations=request.allocations,
        sampler=request.sampler,
        alloc_frames=request.alloc_frames,
        py_spy_rate_hz=rate_hz,
    )


def build_variant(request: ProfileRequest) -> Variant:
    """Validate the request and return the target with its run options."""
    check_positive("--runs", request.runs)
    check_positive("--memory", request.memory_mb)
    check_positive("--timeout", request.timeout_s)
    check_positive("--init-timeout", request.init_timeout_s)
    if request.warm_invokes < 0:
        raise UsageError(f"invalid --warm-invokes {request.warm_invokes}: use 0 or more")
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


def run(request: ProfileRequest, streams: Streams) -> int:
    variant = build_variant(request)
    settings = attribution_settings(request)
    planned = plan_outputs(request.outputs)
    [report] = measure_variants([variant], request.runs, streams, attribution=settings)
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
    if failed_runs(report):
        return ExitCode.TARGET_FAILED
    return ExitCode.OK
