"""Summarise parsed platform records: cold-start rate, Init Duration, timeouts, init errors."""

from __future__ import annotations

from collections import Counter
from typing import Any

from coldstart.lambda_api.report_lines import (
    InitReport,
    InitStart,
    InvokeReport,
    ParsedLog,
    RestoreReport,
)
from coldstart.stats import summarize


def count_by(values: list[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())


def summarize_reports(reports: list[InvokeReport]) -> dict[str, Any]:
    cold = [report for report in reports if report.cold]
    warm = [report for report in reports if not report.cold]
    return {
        "invocations": len(reports),
        "cold_starts": len(cold),
        "cold_start_rate": len(cold) / len(reports) if reports else None,
        "init_ms": summarize([r.init_ms for r in cold if r.init_ms is not None]),
        "restore_ms": summarize([r.restore_ms for r in cold if r.restore_ms is not None]),
        "cold_duration_ms": summarize([r.duration_ms for r in cold if r.duration_ms is not None]),
        "warm_duration_ms": summarize([r.duration_ms for r in warm if r.duration_ms is not None]),
        "max_memory_used_mib": summarize(
            [r.max_memory_used_mb for r in reports if r.max_memory_used_mb is not None]
        ),
        "invoke_timeouts": sum(1 for r in reports if r.status == "timeout"),
        "invoke_errors": count_by([
            r.error_type or r.status for r in reports if r.status not in ("success", "timeout")
        ]),
    }


def summarize_init_reports(init_reports: list[InitReport]) -> dict[str, Any]:
    failed = [r for r in init_reports if r.status not in ("success",)]
    return {
        "count": len(init_reports),
        "init_ms": summarize([r.init_ms for r in init_reports if r.init_ms is not None]),
        "by_phase": count_by([r.phase or "unknown" for r in init_reports]),
        "timeouts": sum(1 for r in init_reports if r.status == "timeout"),
        "errors_by_type": count_by([
            r.error_type or "unknown" for r in failed if r.status != "timeout"
        ]),
        # A failed init is retried at the first invoke, logged with Phase: invoke.
        "retried_at_invoke": sum(1 for r in init_reports if r.phase == "invoke"),
    }


def summarize_log(parsed: ParsedLog, source: str) -> dict[str, Any]:
    """Return the summary of every record kind in one parsed log."""
    records = parsed.records
    reports = [r for r in records if isinstance(r, InvokeReport)]
    init_reports = [r for r in records if isinstance(r, InitReport)]
    init_starts = [r for r in records if isinstance(r, InitStart)]
    restores = [r for r in records if isinstance(r, RestoreReport)]
    formats = count_by([record.log_format for record in records])
    return {
        "source": source,
        "records": len(records),
        "unknown_lines": parsed.unknown_lines,
        "formats": formats,
        "reports": summarize_reports(reports),
        "init_reports": summarize_init_reports(init_reports),
        "init_starts": {
            "count": len(init_starts),
            "runtime_versions": count_by([r.runtime_version or "unknown" for r in init_starts]),
            "initialization_types": count_by(
                [r.initialization_type for r in init_starts if r.initialization_type]
            ),
        },
        "restore_reports": {
            "count": len(restores),
            "restore_ms": summarize([r.restore_ms for r in restores if r.restore_ms is not None]),
            "errors_by_type": count_by(
                [r.error_type or r.status for r in restores if r.status != "success"]
            ),
        },
    }
