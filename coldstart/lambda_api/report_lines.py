"""Parse Lambda platform log records: REPORT, INIT_START, INIT_REPORT and their JSON forms.

Lambda writes these records in one of two log formats. The text format, one record per
line, with tab-separated `Key: value` fields:

    INIT_START Runtime Version: python:3.12.v38<TAB>Runtime Version ARN: arn:aws:lambda:...
    START RequestId: 0f1e2d3c-... Version: $LATEST
    END RequestId: 0f1e2d3c-...
    REPORT RequestId: 0f1e2d3c-...<TAB>Duration: 2.75 ms<TAB>Billed Duration: 3 ms<TAB>
        Memory Size: 128 MB<TAB>Max Memory Used: 39 MB<TAB>Init Duration: 139.25 ms
    XRAY TraceId: 1-5e34a614-...<TAB>SegmentId: 07f5...<TAB>Sampled: true
    INIT_REPORT Init Duration: 10007.33 ms<TAB>Phase: init<TAB>Status: timeout

and the JSON format, one object per line, such as
`{"time": "...", "type": "platform.report", "record": {"requestId": "...",
"metrics": {"durationMs": 2.75, "initDurationMs": 139.25, ...}, "status": "success"}}`.

CloudWatch exports put a timestamp and a log stream name before each message, Logs
Insights CSV downloads a timestamp column, and JSON exports wrap each message as
`{"timestamp": .., "message": ".."}`. All of these are accepted.
A REPORT without a valid Duration, or with a negative value or more memory used than
the memory size, is kept as a MalformedRecord so that it never enters the statistics.
Other lines are skipped and counted, and no input raises an exception.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class InvokeReport:
    """One invocation's REPORT record (text) or `platform.report` event (JSON)."""

    request_id: str | None = None
    duration_ms: float | None = None
    billed_ms: float | None = None
    memory_size_mb: float | None = None
    max_memory_used_mb: float | None = None
    init_ms: float | None = None
    restore_ms: float | None = None
    billed_restore_ms: float | None = None
    status: str = "success"
    error_type: str | None = None
    trace_id: str | None = None
    log_format: str = "text"

    @property
    def cold(self) -> bool:
        """True when this invocation paid an init or a SnapStart restore."""
        return self.init_ms is not None or self.restore_ms is not None


@dataclass
class InitReport:
    """An INIT_REPORT record or `platform.initReport` event: how an init phase ended.

    `phase` is "init" for the init phase proper and "invoke" when Lambda retried a
    failed or timed-out init at the first invoke.
    """

    init_ms: float | None = None
    phase: str | None = None
    status: str = "success"
    error_type: str | None = None
    initialization_type: str | None = None
    log_format: str = "text"


@dataclass
class InitStart:
    """An INIT_START record or `platform.initStart` event."""

    runtime_version: str | None = None
    runtime_version_arn: str | None = None
    initialization_type: str | None = None
    phase: str | None = None
    log_format: str = "text"


@dataclass
class RestoreReport:
    """A SnapStart RESTORE_REPORT record or `platform.restoreReport` event."""

    restore_ms: float | None = None
    status: str = "success"
    error_type: str | None = None
    log_format: str = "text"


@dataclass
class OtherPlatformRecord:
    """A platform record that is recognised but not summarised (START, END, platform.start)."""

    kind: str
    request_id: str | None = None
    log_format: str = "text"


@dataclass
class MalformedRecord:
    """A REPORT or platform.report record whose values cannot be true, with the reason."""

    kind: str
    reason: str
    log_format: str = "text"


Record = (
    InvokeReport | InitReport | InitStart | RestoreReport | OtherPlatformRecord | MalformedRecord
)


@dataclass
class ParsedLog:
    """The records found in a log, with the count of lines that were not records."""

    records: list[Record] = field(default_factory=list)
    unknown_lines: int = 0

    def malformed(self) -> list[MalformedRecord]:
        return [record for record in self.records if isinstance(record, MalformedRecord)]

    def reports(self) -> list[InvokeReport]:
        return [record for record in self.records if isinstance(record, InvokeReport)]

    def init_reports(self) -> list[InitReport]:
        return [record for record in self.records if isinstance(record, InitReport)]

    def report_for(self, request_id: str | None) -> InvokeReport | None:
        """Return the REPORT of this request id, or the last REPORT when the id is None."""
        reports = self.reports()
        if request_id is None:
            return reports[-1] if reports else None
        for report in reports:
            if report.request_id == request_id:
                return report
        return None


# Field names of the text records. Longer names come first in the alternation so that
# "Billed Restore Duration" is not read as "Restore Duration", and "Runtime Version ARN"
# not as "Runtime Version".
TEXT_KEYS = (
    "Billed Restore Duration", "Restore Duration", "Billed Duration", "Init Duration",
    "Duration", "Max Memory Used", "Memory Size", "RequestId", "Runtime Version ARN",
    "Runtime Version", "Version", "Phase", "Status", "Error Type", "TraceId", "SegmentId",
    "Sampled",
)
TEXT_KEY_PATTERN = re.compile(
    r"(?<![\w.-])(" + "|".join(re.escape(key) for key in TEXT_KEYS) + r"):"
)
LEADING_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
# The record's type word, at the start of the message or after an export's prefix:
# a timestamp and log stream name separated by whitespace, or a CSV column.
TEXT_MARKER = re.compile(
    r"(?:^|[\s\",])(REPORT|INIT_REPORT|INIT_START|RESTORE_REPORT|RESTORE_START|START|END|XRAY)"
    r"\s+(?=RequestId:|Init Duration:|Runtime Version|Restore Duration:|TraceId:|Status:)"
)


def text_fields(text: str) -> dict[str, str]:
    """Return the `Key: value` fields of a text record, in any order."""
    matches = list(TEXT_KEY_PATTERN.finditer(text))
    fields: dict[str, str] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        # A CSV column ends in a quote, which is not part of the value.
        value = text[match.end():end].split("\t")[0].strip().rstrip('"').strip()
        fields.setdefault(match.group(1), value)
    return fields


def number(value: str | None) -> float | None:
    """Return the number at the start of a value such as `139.25 ms` or `128 MB`."""
    if not value:
        return None
    match = LEADING_NUMBER.match(value)
    return float(match.group()) if match else None


def lowercase_or(value: str | None, default: str) -> str:
    return value.strip().lower() if value and value.strip() else default


def report_problem(report: InvokeReport) -> str | None:
    """Return why a REPORT's values cannot be true, or None when they can."""
    if report.duration_ms is None:
        return "no valid Duration"
    values = {
        "Duration": report.duration_ms, "Billed Duration": report.billed_ms,
        "Memory Size": report.memory_size_mb, "Max Memory Used": report.max_memory_used_mb,
        "Init Duration": report.init_ms, "Restore Duration": report.restore_ms,
        "Billed Restore Duration": report.billed_restore_ms,
    }
    for name, value in values.items():
        if value is not None and value < 0:
            return f"negative {name}"
    used, size = report.max_memory_used_mb, report.memory_size_mb
    if used is not None and size is not None and used > size:
        return "Max Memory Used over Memory Size"
    return None


def checked_report(report: InvokeReport, kind: str) -> InvokeReport | MalformedRecord:
    problem = report_problem(report)
    if problem is None:
        return report
    return MalformedRecord(kind=kind, reason=problem, log_format=report.log_format)


def parse_text_record(marker: str, body: str) -> Record | None:
    fields = text_fields(body)
    if marker == "REPORT":
        if "RequestId" not in fields:
            return None
        return checked_report(InvokeReport(
            request_id=fields["RequestId"].split()[0] if fields["RequestId"] else None,
            duration_ms=number(fields.get("Duration")),
            billed_ms=number(fields.get("Billed Duration")),
            memory_size_mb=number(fields.get("Memory Size")),
            max_memory_used_mb=number(fields.get("Max Memory Used")),
            init_ms=number(fields.get("Init Duration")),
            restore_ms=number(fields.get("Restore Duration")),
            billed_restore_ms=number(fields.get("Billed Restore Duration")),
            status=lowercase_or(fields.get("Status"), "success"),
            error_type=fields.get("Error Type") or None,
            trace_id=fields.get("TraceId") or None,
        ), "REPORT")
    if marker == "INIT_REPORT":
        return InitReport(
            init_ms=number(fields.get("Init Duration")),
            phase=lowercase_or(fields.get("Phase"), "") or None,
            status=lowercase_or(fields.get("Status"), "success"),
            error_type=fields.get("Error Type") or None,
        )
    if marker == "INIT_START":
        return InitStart(
            runtime_version=fields.get("Runtime Version") or None,
            runtime_version_arn=fields.get("Runtime Version ARN") or None,
        )
    if marker == "RESTORE_REPORT":
        return RestoreReport(
            restore_ms=number(fields.get("Restore Duration")),
            status=lowercase_or(fields.get("Status"), "success"),
            error_type=fields.get("Error Type") or None,
        )
    request_id = fields.get("RequestId")
    return OtherPlatformRecord(
        kind=marker.lower(), request_id=request_id.split()[0] if request_id else None
    )


def json_number(mapping: Any, key: str) -> float | None:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    # json.loads accepts NaN and Infinity, which are no durations.
    return float(value) if math.isfinite(value) else None


def json_text(mapping: Any, key: str) -> str | None:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return value if isinstance(value, str) and value else None


def parse_platform_event(event_type: str, record: Any) -> Record | None:
    """Turn one JSON-format platform event into a record; None for an unknown type."""
    if not isinstance(record, dict):
        record = {}
    metrics = record.get("metrics")
    status = (json_text(record, "status") or "success").lower()
    if event_type == "platform.report":
        tracing = record.get("tracing")
        return checked_report(InvokeReport(
            request_id=json_text(record, "requestId"),
            duration_ms=json_number(metrics, "durationMs"),
            billed_ms=json_number(metrics, "billedDurationMs"),
            memory_size_mb=json_number(metrics, "memorySizeMB"),
            max_memory_used_mb=json_number(metrics, "maxMemoryUsedMB"),
            init_ms=json_number(metrics, "initDurationMs"),
            restore_ms=json_number(metrics, "restoreDurationMs"),
            billed_restore_ms=json_number(metrics, "billedRestoreDurationMs"),
            status=status,
            error_type=json_text(record, "errorType"),
            trace_id=json_text(tracing, "value"),
            log_format="json",
        ), "platform.report")
    if event_type == "platform.initReport":
        return InitReport(
            init_ms=json_number(metrics, "durationMs"),
            phase=json_text(record, "phase"),
            status=status,
            error_type=json_text(record, "errorType"),
            initialization_type=json_text(record, "initializationType"),
            log_format="json",
        )
    if event_type == "platform.initStart":
        return InitStart(
            runtime_version=json_text(record, "runtimeVersion"),
            runtime_version_arn=json_text(record, "runtimeVersionArn"),
            initialization_type=json_text(record, "initializationType"),
            phase=json_text(record, "phase"),
            log_format="json",
        )
    if event_type == "platform.restoreReport":
        return RestoreReport(
            restore_ms=json_number(metrics, "durationMs"),
            status=status,
            error_type=json_text(record, "errorType"),
            log_format="json",
        )
    if event_type.startswith("platform."):
        return OtherPlatformRecord(
            kind=event_type, request_id=json_text(record, "requestId"), log_format="json"
        )
    return None


def parse_json_object(document: Any) -> list[Record] | None:
    """Return the records in one JSON object, or None when it contains none."""
    if not isinstance(document, dict):
        return None
    event_type = document.get("type")
    if isinstance(event_type, str) and event_type.startswith("platform."):
        record = parse_platform_event(event_type, document.get("record"))
        return [record] if record is not None else None
    message = document.get("message")
    if isinstance(message, str):
        # A CloudWatch event wrapper: the message is a text or JSON record itself.
        parsed = parse_lines(message.splitlines())
        return parsed.records or None
    return None


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def csv_json_fields(line: str) -> Iterator[Any]:
    """Yield the JSON objects in the columns of a CSV row, such as a Logs Insights export.

    CSV doubles each quote inside a quoted column, so the JSON message
    `{"type": ...}` is written as `"{""type"": ...}"` and only reads as JSON once unquoted.
    """
    try:
        columns = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return
    for column in columns:
        if column.lstrip().startswith("{"):
            yield load_json(column.strip())


def parse_json_line(line: str) -> list[Record] | None:
    start = line.find("{")
    if start < 0:
        return None
    records = parse_json_object(load_json(line[start:]))
    if records is None and '""' in line:
        for document in csv_json_fields(line):
            records = parse_json_object(document)
            if records is not None:
                break
    return records


def parse_text_line(line: str) -> Record | None:
    match = TEXT_MARKER.search(line)
    if match is None:
        return None
    return parse_text_record(match.group(1), line[match.end():])


def parse_line(line: str) -> list[Record] | None:
    """Parse one log line; None when it is not a platform record."""
    stripped = line.strip()
    if not stripped:
        return None
    if "{" in stripped:
        records = parse_json_line(stripped)
        if records:
            return records
    record = parse_text_line(stripped)
    return [record] if record is not None else None


def attach_trace(previous: Record | None, line: str) -> bool:
    """Attach an XRAY line's trace id to the REPORT just before it; False if there is none."""
    if not isinstance(previous, InvokeReport):
        return False
    trace_id = text_fields(line).get("TraceId")
    if trace_id and previous.trace_id is None:
        previous.trace_id = trace_id
    return True


def iter_records(lines: Iterable[str]) -> Iterator[Record | None]:
    """Yield the records of each line, or None for a line that is no platform record.

    Blank lines yield nothing. An XRAY line completes the REPORT yielded just before it,
    which the caller may still hold, and yields nothing itself.
    """
    previous: Record | None = None
    for line in lines:
        if not line.strip():
            continue
        records = parse_line(line)
        if records is None:
            yield None
            continue
        for record in records:
            if isinstance(record, OtherPlatformRecord) and record.kind == "xray":
                if attach_trace(previous, line):
                    continue
            previous = record
            yield record


def parse_lines(lines: Iterable[str]) -> ParsedLog:
    """Parse log lines into records; blank lines are ignored, other lines counted."""
    parsed = ParsedLog()
    for record in iter_records(lines):
        if record is None:
            parsed.unknown_lines += 1
        else:
            parsed.records.append(record)
    return parsed


def export_events(text: str) -> Iterator[str] | None:
    """Return the messages of a whole `aws logs filter-log-events` JSON document, else None."""
    if not text.lstrip().startswith("{") or '"events"' not in text:
        return None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list):
        return None
    return (
        json.dumps(event) for event in events if isinstance(event, dict)
    )


def parse_text(text: str) -> ParsedLog:
    """Parse a whole log: a LogResult, a CloudWatch export (text, JSON lines or JSON)."""
    events = export_events(text)
    if events is not None:
        return parse_lines(events)
    return parse_lines(text.splitlines())
