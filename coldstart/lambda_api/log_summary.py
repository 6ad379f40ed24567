"""Summarise platform records: cold-start rate, Init Duration, timeouts, init errors.

LogSummary takes records one at a time and keeps only counters and the values the
statistics need (in arrays of floats, 8 bytes each), so a log of any size is summarised
without holding its records.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from typing import Any

from coldstart.lambda_api.report_lines import (
    InitReport,
    InitStart,
    InvokeReport,
    MalformedRecord,
    ParsedLog,
    Record,
    RestoreReport,
    iter_records,
)
from coldstart.stats import summarize


def values() -> array:
    return array("d")


def add_value(target: array, value: float | None) -> None:
    if value is not None:
        target.append(value)


def summarize_values(values: array) -> dict[str, Any] | None:
    return summarize(values.tolist())


def ordered(counts: Counter) -> dict[str, int]:
    return dict(counts.most_common())


class ReportCounts:
    """Counters and values of REPORT / platform.report records."""

    def __init__(self) -> None:
        self.invocations = 0
        self.cold_starts = 0
        self.init_ms = values()
        self.restore_ms = values()
        self.cold_duration_ms = values()
        self.warm_duration_ms = values()
        self.max_memory_used_mib = values()
        self.timeouts = 0
        self.errors: Counter = Counter()

    def add(self, report: InvokeReport) -> None:
        self.invocations += 1
        if report.cold:
            self.cold_starts += 1
            add_value(self.init_ms, report.init_ms)
            add_value(self.restore_ms, report.restore_ms)
            add_value(self.cold_duration_ms, report.duration_ms)
        else:
            add_value(self.warm_duration_ms, report.duration_ms)
        add_value(self.max_memory_used_mib, report.max_memory_used_mb)
        if report.status == "timeout":
            self.timeouts += 1
        elif report.status != "success":
            self.errors[report.error_type or report.status] += 1

    def summary(self) -> dict[str, Any]:
        return {
            "invocations": self.invocations,
            "cold_starts": self.cold_starts,
            "cold_start_rate": (
                self.cold_starts / self.invocations if self.invocations else None
            ),
            "init_ms": summarize_values(self.init_ms),
            "restore_ms": summarize_values(self.restore_ms),
            "cold_duration_ms": summarize_values(self.cold_duration_ms),
            "warm_duration_ms": summarize_values(self.warm_duration_ms),
            "max_memory_used_mib": summarize_values(self.max_memory_used_mib),
            "invoke_timeouts": self.timeouts,
            "invoke_errors": ordered(self.errors),
        }


class InitReportCounts:
    """Counters and values of INIT_REPORT / platform.initReport records."""

    def __init__(self) -> None:
        self.count = 0
        self.init_ms = values()
        self.by_phase: Counter = Counter()
        self.timeouts = 0
        self.errors: Counter = Counter()
        self.retried_at_invoke = 0

    def add(self, report: InitReport) -> None:
        self.count += 1
        add_value(self.init_ms, report.init_ms)
        self.by_phase[report.phase or "unknown"] += 1
        if report.status == "timeout":
            self.timeouts += 1
        elif report.status != "success":
            self.errors[report.error_type or "unknown"] += 1
        # A failed init is retried at the first invoke, logged with Phase: invoke.
        if report.phase == "invoke":
            self.retried_at_invoke += 1

    def summary(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "init_ms": summarize_values(self.init_ms),
            "by_phase": ordered(self.by_phase),
            "timeouts": self.timeouts,
            "errors_by_type": ordered(self.errors),
            "retried_at_invoke": self.retried_at_invoke,
        }


class LogSummary:
    """The running summary of one log: add records and skipped lines, then summary()."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.records = 0
        self.unknown_lines = 0
        self.formats: Counter = Counter()
        self.reports = ReportCounts()
        self.init_reports = InitReportCounts()
        self.init_starts = 0
        self.runtime_versions: Counter = Counter()
        self.initialization_types: Counter = Counter()
        self.restores = 0
        self.restore_ms = values()
        self.restore_errors: Counter = Counter()
        self.malformed: Counter = Counter()

    def add(self, record: Record | None) -> None:
        """Count one record, or one skipped line when record is None."""
        if record is None:
            self.unknown_lines += 1
            return
        if isinstance(record, MalformedRecord):
            self.malformed[record.reason] += 1
            return
        self.records += 1
        self.formats[record.log_format] += 1
        if isinstance(record, InvokeReport):
            self.reports.add(record)
        elif isinstance(record, InitReport):
            self.init_reports.add(record)
        elif isinstance(record, InitStart):
            self.init_starts += 1
            self.runtime_versions[record.runtime_version or "unknown"] += 1
            if record.initialization_type:
                self.initialization_types[record.initialization_type] += 1
        elif isinstance(record, RestoreReport):
            self.restores += 1
            add_value(self.restore_ms, record.restore_ms)
            if record.status != "success":
                self.restore_errors[record.error_type or record.status] += 1

    def add_lines(self, lines: Iterable[str]) -> LogSummary:
        for record in iter_records(lines):
            self.add(record)
        return self

    @property
    def malformed_records(self) -> int:
        return sum(self.malformed.values())

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "records": self.records,
            "unknown_lines": self.unknown_lines,
            "malformed_records": self.malformed_records,
            "malformed_by_reason": ordered(self.malformed),
            "formats": ordered(self.formats),
            "reports": self.reports.summary(),
            "init_reports": self.init_reports.summary(),
            "init_starts": {
                "count": self.init_starts,
                "runtime_versions": ordered(self.runtime_versions),
                "initialization_types": ordered(self.initialization_types),
            },
            "restore_reports": {
                "count": self.restores,
                "restore_ms": summarize_values(self.restore_ms),
                "errors_by_type": ordered(self.restore_errors),
            },
        }


def summarize_log(parsed: ParsedLog, source: str) -> dict[str, Any]:
    """Return the summary of every record kind in one parsed log."""
    summary = LogSummary(source)
    for record in parsed.records:
        summary.add(record)
    summary.unknown_lines += parsed.unknown_lines
    return summary.summary()
