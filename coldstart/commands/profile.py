"""Measure cold starts of a local handler in fresh interpreter processes."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from coldstart.commands.common import check_positive, check_python, load_event
from coldstart.console import Streams
from coldstart.environment import parse_env_pairs
from coldstart.errors import ExitCode, UsageError
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
    planned = plan_outputs(request.outputs)
    [report] = measure_variants([variant], request.runs, streams)
    streams.print(render_terminal(report))
    for warning in report["warnings"]:
        streams.warn(warning)
    # Written before the exit status is decided: a failed target still gets its reports.
    write_outputs(report, planned, streams)
    hint = next_step(planned)
    if hint:
        streams.note(hint)
    if failed_runs(report):
        return ExitCode.TARGET_FAILED
    return ExitCode.OK
