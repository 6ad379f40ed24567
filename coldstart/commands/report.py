"""Render a saved report again, without measuring: terminal, JSON, HTML, speedscope,
folded stacks or SVG flame graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coldstart.console import Streams
from coldstart.errors import ExitCode, UsageError
from coldstart.model import SCHEMA, load_report
from coldstart.render.outputs import OutputRequest, plan_outputs, write_outputs

# Errors that a renderer raises on a report whose values have the wrong types, such as a
# hand-edited file. They become one usage error line instead of a traceback.
MALFORMED_REPORT_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


@dataclass
class ReportRequest:
    """A saved report to render and the files to write."""

    path: str
    outputs: OutputRequest = field(default_factory=OutputRequest)
    min_ms: float | None = None


def check_report_shape(report: dict[str, Any], path: str) -> None:
    """Raise UsageError unless the sections every renderer reads have the right types."""
    expected = {"target": dict, "runs": list, "summary": dict}
    for key, kind in expected.items():
        if not isinstance(report.get(key), kind):
            raise UsageError(
                f"invalid report {path}: {key!r} is missing or not a {kind.__name__} "
                f"as {SCHEMA} requires; write the report again with --json"
            )
    if not all(isinstance(run, dict) and "status" in run for run in report["runs"]):
        raise UsageError(f"invalid report {path}: a run has no 'status'; "
                         "write the report again with --json")


def print_terminal(report: dict[str, Any], streams: Streams, min_ms: float | None) -> None:
    from coldstart.render.terminal import render_terminal

    streams.print(render_terminal(report, min_ms=min_ms))
    for warning in report.get("warnings") or []:
        streams.warn(warning)


def run(request: ReportRequest, streams: Streams) -> int:
    if request.min_ms is not None and request.min_ms < 0:
        raise UsageError(f"invalid --min-ms {request.min_ms}: use 0 or more")
    planned = plan_outputs(request.outputs, inputs=(request.path,))
    report = load_report(request.path)
    check_report_shape(report, request.path)
    try:
        if not planned:
            print_terminal(report, streams, request.min_ms)
        write_outputs(report, planned, streams)
    except MALFORMED_REPORT_ERRORS as error:
        raise UsageError(
            f"cannot render report {request.path}: {type(error).__name__}: {error}; "
            f"the file does not follow {SCHEMA}"
        ) from error
    return ExitCode.OK
