"""Parsers of Lambda platform records, on the corpus in tests/data/logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coldstart.lambda_api.log_summary import summarize_log
from coldstart.lambda_api.report_lines import (
    InitReport,
    InitStart,
    InvokeReport,
    MalformedRecord,
    OtherPlatformRecord,
    RestoreReport,
    parse_line,
    parse_text,
)

LOGS = Path(__file__).parent / "data" / "logs"


def parse_file(name: str):
    return parse_text((LOGS / name).read_text(encoding="utf-8"))


def test_text_cold_report_fields() -> None:
    parsed = parse_file("text_cold_then_warm.log")
    report = parsed.report_for("6f0c2b8e-1d4a-4c3b-9e7f-2a5d8c1b0e93")
    assert report is not None
    assert report.duration_ms == 41.87
    assert report.billed_ms == 412
    assert report.memory_size_mb == 256
    assert report.max_memory_used_mb == 88
    assert report.init_ms == 369.42
    assert report.status == "success"
    assert report.cold
    assert report.log_format == "text"


def test_xray_line_attaches_trace_id() -> None:
    parsed = parse_file("text_cold_then_warm.log")
    report = parsed.report_for("6f0c2b8e-1d4a-4c3b-9e7f-2a5d8c1b0e93")
    assert report is not None
    assert report.trace_id == "1-6751f2a3-4b0c6d1e2f3a4b5c6d7e8f90"
    assert not any(
        isinstance(record, OtherPlatformRecord) and record.kind == "xray"
        for record in parsed.records
    )


def test_warm_reports_have_no_init() -> None:
    parsed = parse_file("text_cold_then_warm.log")
    warm = [report for report in parsed.reports() if not report.cold]
    assert [report.duration_ms for report in warm] == [3.05, 2.61]
    assert all(report.init_ms is None for report in warm)


def test_text_init_start_fields() -> None:
    parsed = parse_file("text_cold_then_warm.log")
    [init_start] = [record for record in parsed.records if isinstance(record, InitStart)]
    assert init_start.runtime_version == "python:3.12.v38"
    assert init_start.runtime_version_arn.startswith("arn:aws:lambda:eu-west-1::runtime:")


def test_start_end_lines_are_known_records() -> None:
    parsed = parse_file("text_cold_then_warm.log")
    kinds = [record.kind for record in parsed.records if isinstance(record, OtherPlatformRecord)]
    assert kinds.count("start") == 3
    assert kinds.count("end") == 3
    # Only the handler's own log line is unknown.
    assert parsed.unknown_lines == 1


def test_report_fields_in_any_order() -> None:
    report = parse_file("text_status_and_order.log").reports()[0]
    assert report.init_ms == 512.30
    assert report.max_memory_used_mb == 61
    assert report.memory_size_mb == 128
    assert report.billed_ms == 530
    assert report.duration_ms == 17.66


def test_report_status_timeout_and_error_type() -> None:
    reports = parse_file("text_status_and_order.log").reports()
    assert reports[1].status == "timeout"
    assert reports[1].error_type is None
    assert reports[2].status == "error"
    assert reports[2].error_type == "Runtime.OutOfMemory"


def test_report_with_spaces_for_tabs() -> None:
    report = parse_file("text_status_and_order.log").reports()[3]
    assert report.request_id == "3a4b5c6d-7e8f-4a9b-0c1d-2e3f4a5b6c7d"
    assert report.duration_ms == 5.10
    assert report.billed_ms == 6
    assert report.max_memory_used_mb == 62


def test_init_report_error_phases() -> None:
    init_reports = parse_file("text_init_failures.log").init_reports()
    first, retried = init_reports[0], init_reports[1]
    assert first.phase == "init"
    assert first.status == "error"
    assert first.error_type == "Runtime.ImportModuleError"
    assert first.init_ms == 702.18
    assert retried.phase == "invoke"
    assert retried.status == "error"


def test_init_report_timeouts() -> None:
    init_reports = parse_file("text_init_failures.log").init_reports()
    timeouts = [report for report in init_reports if report.status == "timeout"]
    assert [report.phase for report in timeouts] == ["init", "invoke"]
    assert timeouts[0].init_ms == 9999.63
    assert timeouts[0].error_type is None


def test_snapstart_restore_fields() -> None:
    parsed = parse_file("text_snapstart.log")
    [report] = parsed.reports()
    assert report.restore_ms == 287.55
    assert report.billed_restore_ms == 156
    assert report.billed_ms == 169
    assert report.init_ms is None
    assert report.cold
    restores = [record for record in parsed.records if isinstance(record, RestoreReport)]
    assert [restore.status for restore in restores] == ["success", "error"]
    assert restores[1].error_type == "Runtime.RestoreError"


def test_json_platform_report_cold() -> None:
    parsed = parse_file("json_format.jsonl")
    report = parsed.report_for("7e8f9a0b-1c2d-4e3f-4a5b-6c7d8e9f0a1b")
    assert report is not None
    assert report.log_format == "json"
    assert report.init_ms == 401.77
    assert report.duration_ms == 27.48
    assert report.billed_ms == 430
    assert report.memory_size_mb == 512
    assert report.max_memory_used_mb == 97
    assert report.trace_id.startswith("Root=1-6751f7c0")


def test_json_platform_report_timeout_and_restore() -> None:
    reports = parse_file("json_format.jsonl").reports()
    statuses = [report.status for report in reports]
    assert statuses == ["success", "success", "timeout", "error"]
    restored = reports[3]
    assert restored.restore_ms == 301.5
    assert restored.billed_restore_ms == 154
    assert restored.error_type == "Runtime.ExitError"


def test_json_init_records() -> None:
    parsed = parse_file("json_format.jsonl")
    [init_start] = [record for record in parsed.records if isinstance(record, InitStart)]
    assert init_start.initialization_type == "on-demand"
    assert init_start.runtime_version == "python:3.12.v38"
    init_reports = parsed.init_reports()
    assert [report.status for report in init_reports] == ["success", "error", "timeout"]
    assert init_reports[1].error_type == "Runtime.UserCodeSyntaxError"
    assert init_reports[2].phase == "invoke"
    assert init_reports[0].init_ms == 401.77


def test_json_function_log_is_unknown() -> None:
    parsed = parse_file("json_format.jsonl")
    assert parsed.unknown_lines == 1


def test_cloudwatch_tail_prefix_is_skipped() -> None:
    parsed = parse_file("cloudwatch_tail.txt")
    reports = parsed.reports()
    assert len(reports) == 2
    assert reports[0].init_ms == 401.20
    assert reports[0].memory_size_mb == 1024
    [init_report] = parsed.init_reports()
    assert init_report.status == "timeout"
    # The handler's line and the line that mentions REPORT in passing.
    assert parsed.unknown_lines == 2


@pytest.mark.parametrize("name", ["cloudwatch_filter_log_events.json", "cloudwatch_events.jsonl"])
def test_cloudwatch_json_exports(name: str) -> None:
    parsed = parse_file(name)
    reports = parsed.reports()
    assert [report.init_ms for report in reports] == [274.19, None]
    assert reports[0].trace_id == "1-6751f9f0-0a1b2c3d4e5f60718293a4b5"
    [init_report] = parsed.init_reports()
    assert init_report.error_type == "Runtime.Unknown"
    assert parsed.unknown_lines == 1


def test_report_without_request_id_is_unknown() -> None:
    assert parse_line("REPORT Duration: 1 ms") is None


def test_unknown_platform_event_is_kept() -> None:
    records = parse_line('{"time": "t", "type": "platform.telemetrySubscription", "record": {}}')
    assert records is not None
    assert isinstance(records[0], OtherPlatformRecord)
    assert records[0].kind == "platform.telemetrySubscription"


def test_non_numeric_metrics_are_none() -> None:
    records = parse_line(
        '{"type": "platform.report", "record": {"requestId": "r", '
        '"metrics": {"durationMs": 3.5, "initDurationMs": true, "maxMemoryUsedMB": "a"}}}'
    )
    assert records is not None
    report = records[0]
    assert isinstance(report, InvokeReport)
    assert report.duration_ms == 3.5
    assert report.init_ms is None
    assert report.max_memory_used_mb is None


@pytest.mark.parametrize(("line", "reason"), [
    ('{"type": "platform.report"}', "no valid Duration"),
    ('{"type": "platform.report", "record": null}', "no valid Duration"),
    ('{"type": "platform.report", "record": {"requestId": "r", "metrics": []}}',
     "no valid Duration"),
    ('{"type": "platform.report", "record": {"metrics": {"durationMs": "fast"}}}',
     "no valid Duration"),
    ("REPORT RequestId: x\tDuration: abc ms", "no valid Duration"),
    ("REPORT RequestId: x\tDuration: -5 ms", "negative Duration"),
    ("REPORT RequestId: x\tDuration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: -5 MB",
     "negative Max Memory Used"),
    ("REPORT RequestId: x\tDuration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: 999999 MB",
     "Max Memory Used over Memory Size"),
    ("REPORT RequestId: x\tDuration: 5 ms\tInit Duration: -1 ms", "negative Init Duration"),
])
def test_impossible_report_is_malformed(line: str, reason: str) -> None:
    records = parse_line(line)
    assert records is not None
    assert isinstance(records[0], MalformedRecord)
    assert records[0].reason == reason


def test_malformed_reports_stay_out_of_summary() -> None:
    summary = summarize_log(parse_file("text_malformed.log"), "corpus")
    assert summary["reports"]["invocations"] == 2
    assert summary["malformed_records"] == 5
    assert summary["malformed_by_reason"]["no valid Duration"] == 2
    assert summary["reports"]["warm_duration_ms"]["min"] == 2.0
    assert summary["reports"]["max_memory_used_mib"]["max"] == 60.0


def test_insights_csv_with_json_messages() -> None:
    parsed = parse_file("cloudwatch_insights_json.csv")
    reports = parsed.reports()
    assert len(reports) == 2
    assert reports[0].request_id == "c1a7e0b2-0001"
    assert reports[0].init_ms == 333.0
    assert reports[1].duration_ms == 4.5
    assert reports[1].cold is False
    assert parsed.init_reports()[0].status == "error"


def test_summary_counts_every_record_kind() -> None:
    summary = summarize_log(parse_file("text_init_failures.log"), "corpus")
    assert summary["reports"]["invocations"] == 2
    assert summary["reports"]["invoke_timeouts"] == 1
    assert summary["init_reports"]["timeouts"] == 2
    assert summary["init_reports"]["errors_by_type"] == {
        "Runtime.ImportModuleError": 2, "Runtime.ExitError": 1,
    }
    assert summary["init_reports"]["retried_at_invoke"] == 2
    assert summary["init_starts"]["count"] == 3
    assert summary["unknown_lines"] == 2


def test_summary_cold_start_rate() -> None:
    summary = summarize_log(parse_file("text_cold_then_warm.log"), "corpus")
    assert summary["reports"]["cold_starts"] == 1
    assert summary["reports"]["cold_start_rate"] == pytest.approx(1 / 3)
    assert summary["reports"]["init_ms"]["median"] == 369.42


MARKERS = st.sampled_from([
    "REPORT RequestId: ", "INIT_REPORT Init Duration: ", "INIT_START Runtime Version: ",
    "XRAY TraceId: ", "START RequestId: ", "RESTORE_REPORT Restore Duration: ",
    "Duration: ", "Billed Restore Duration: ", "\t", " ms", "{", "}", '"type": ',
    '"platform.report"', '"record": ', '"metrics": {', '"message": ', '"events": [',
    "1e400", "-0.5", "NaN", ":", ",", "\n",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(MARKERS, st.text(max_size=20)), max_size=30))
def test_parser_never_raises(pieces: list[str]) -> None:
    text = "".join(pieces)
    parsed = parse_text(text)
    assert parsed.unknown_lines >= 0
    for record in parsed.records:
        assert isinstance(record, (
            InvokeReport, InitReport, InitStart, RestoreReport, OtherPlatformRecord,
            MalformedRecord,
        ))
    summarize_log(parsed, "fuzz")


@settings(max_examples=200, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(
        ["type", "record", "metrics", "message", "events", "durationMs", "status",
         "requestId", "initDurationMs", "tracing", "value"]
    ) | st.text(max_size=5), children, max_size=5),
    max_leaves=20,
))
def test_json_parser_never_raises(document: object) -> None:
    import json

    for event_type in ("platform.report", "platform.initReport", "platform.initStart"):
        line = json.dumps({"type": event_type, "record": document})
        parse_text(line)
    parsed = parse_text(json.dumps(document))
    assert parsed.unknown_lines >= 0


def test_logs_insights_csv() -> None:
    parsed = parse_file("cloudwatch_insights.csv")
    reports = parsed.reports()
    assert [report.init_ms for report in reports] == [446.37, None]
    assert reports[1].duration_ms == 4.40
    [init_report] = parsed.init_reports()
    assert init_report.phase == "invoke"
    assert init_report.status == "timeout"
    # The CSV header.
    assert parsed.unknown_lines == 1


def test_non_finite_metrics_are_none() -> None:
    records = parse_line(
        '{"type": "platform.report", "record": {"requestId": "r", '
        '"metrics": {"durationMs": 2, "initDurationMs": Infinity, "billedDurationMs": NaN}}}'
    )
    assert records is not None
    report = records[0]
    assert isinstance(report, InvokeReport)
    assert report.duration_ms == 2
    assert report.init_ms is None
    assert report.billed_ms is None


def test_non_finite_duration_is_malformed() -> None:
    records = parse_line('{"type": "platform.report", "record": {"metrics": {"durationMs": NaN}}}')
    assert records is not None
    assert isinstance(records[0], MalformedRecord)
