"""Unit tests of the emulator's pure parts: function names, log records, filters."""

from __future__ import annotations

import base64

import pytest

from coldstart.lambda_api.emulator.cloudwatch_logs import LogStore, compile_filter
from coldstart.lambda_api.emulator.configuration import ApiError, apply_update
from coldstart.lambda_api.emulator.logs import (
    InvokeRecord,
    billed_ms,
    invoke_log,
    log_tail,
    report_line,
)
from coldstart.lambda_api.emulator.names import InvalidFunctionName, parse_function_name

REQUEST_ID = "8f5bd1d6-0c1a-4c5e-9b1d-3f1a2b3c4d5e"


@pytest.mark.parametrize(("text", "name", "qualifier", "region", "account"), [
    ("demo", "demo", None, None, None),
    ("demo:7", "demo", "7", None, None),
    ("demo:$LATEST", "demo", "$LATEST", None, None),
    ("123456789012:function:demo", "demo", None, None, "123456789012"),
    ("arn:aws:lambda:eu-west-1:123456789012:function:demo", "demo", None, "eu-west-1",
     "123456789012"),
    ("arn:aws:lambda:us-gov-west-1:123456789012:function:my_fn.v2:live", "my_fn.v2", "live",
     "us-gov-west-1", "123456789012"),
])
def test_function_name_forms(text: str, name: str, qualifier: str | None,
                             region: str | None, account: str | None) -> None:
    reference = parse_function_name(text)
    assert reference.name == name
    assert reference.qualifier == qualifier
    assert reference.region == region
    assert reference.account == account


@pytest.mark.parametrize("text", ["", "bad name", "a/b", "x" * 65, "demo:a:b"])
def test_function_name_invalid(text: str) -> None:
    with pytest.raises(InvalidFunctionName):
        parse_function_name(text)


def test_qualifier_mismatch_rejected() -> None:
    with pytest.raises(InvalidFunctionName, match="does not match"):
        parse_function_name("demo:1", "2")


def test_executed_version() -> None:
    assert parse_function_name("demo:3").executed_version == "3"
    assert parse_function_name("demo", "live").executed_version == "$LATEST"
    assert parse_function_name("demo").executed_version == "$LATEST"


def cold_record() -> InvokeRecord:
    return InvokeRecord(
        request_id=REQUEST_ID, version="$LATEST", memory_mb=256, duration_ms=12.345,
        max_memory_used_mb=41, init_ms=180.5, init_output="loading\n", output="hello",
        runtime_version="python3.12.coldstart-emulate",
        runtime_version_arn="arn:aws:lambda:us-east-1::runtime:coldstart-emulate",
    )


def test_report_line_cold() -> None:
    assert report_line(cold_record()) == (
        f"REPORT RequestId: {REQUEST_ID}\tDuration: 12.35 ms\tBilled Duration: 193 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 41 MB\tInit Duration: 180.50 ms"
    )


def test_report_line_warm_timeout() -> None:
    record = InvokeRecord(request_id=REQUEST_ID, version="$LATEST", memory_mb=128,
                          duration_ms=3000.2, max_memory_used_mb=40, status="timeout")
    line = report_line(record)
    assert "Init Duration" not in line
    assert line.endswith("\tStatus: timeout")
    assert "Billed Duration: 3001 ms" in line


def test_billed_at_least_one_ms() -> None:
    record = InvokeRecord(request_id=REQUEST_ID, version="$LATEST", memory_mb=128,
                          duration_ms=0.04)
    assert billed_ms(record) == 1


def test_invoke_log_order() -> None:
    lines = invoke_log(cold_record()).splitlines()
    assert lines[0].startswith("INIT_START Runtime Version: python3.12.coldstart-emulate\t")
    assert lines[1] == "loading"
    assert lines[2] == f"START RequestId: {REQUEST_ID} Version: $LATEST"
    assert lines[3] == "hello"
    assert lines[4] == f"END RequestId: {REQUEST_ID}"
    assert lines[5].startswith(f"REPORT RequestId: {REQUEST_ID}\t")


def test_init_error_log() -> None:
    record = cold_record()
    record.init_error = {"type": "Runtime.ImportModuleError",
                         "message": "Unable to import module 'app': No module named 'x'"}
    record.status = "error"
    log = invoke_log(record)
    assert "[ERROR] Runtime.ImportModuleError: Unable to import module 'app'" in log
    assert ("INIT_REPORT Init Duration: 180.50 ms\tPhase: init\tStatus: error\t"
            "Error Type: Runtime.ImportModuleError") in log
    assert log.rstrip().endswith("\tStatus: error\tError Type: Runtime.ImportModuleError")


def test_log_tail_keeps_end() -> None:
    log = "é" * 5000 + "\nREPORT RequestId: x\n"
    tail = base64.b64decode(log_tail(log))
    assert len(tail) <= 4096
    assert tail.decode("utf-8").endswith("REPORT RequestId: x\n")


def test_update_keeps_other_fields() -> None:
    configuration = {"FunctionName": "demo", "RevisionId": "r1", "Handler": "app.handler",
                     "Timeout": 3, "MemorySize": 128, "KMSKeyArn": "arn:key",
                     "Environment": {"Variables": {"AA": "1"}}, "LoggingConfig": {
                         "LogFormat": "Text", "LogGroup": "/aws/lambda/demo"}}
    updated = apply_update(configuration, {"Environment": {"Variables": {"AA": "1", "BB": "2"}},
                                           "Layers": ["arn:layer:1"]})
    assert updated["Environment"] == {"Variables": {"AA": "1", "BB": "2"}}
    assert updated["KMSKeyArn"] == "arn:key"
    assert updated["Layers"] == [{"Arn": "arn:layer:1", "CodeSize": 0}]
    assert updated["RevisionId"] != "r1"
    assert configuration["Environment"] == {"Variables": {"AA": "1"}}
    cleared = apply_update(updated, {"Environment": {"Variables": {}}, "KMSKeyArn": ""})
    assert "Environment" not in cleared
    assert "KMSKeyArn" not in cleared


@pytest.mark.parametrize(("request_body", "code"), [
    ({"Timeout": 901}, "ValidationException"),
    ({"MemorySize": 64}, "ValidationException"),
    ({"Environment": {"Variables": {"1BAD": "x"}}}, "ValidationException"),
    ({"Environment": {"Variables": {"_HANDLER": "x"}}}, "InvalidParameterValueException"),
    ({"Environment": {"Variables": {"BIG": "x" * 5000}}}, "InvalidParameterValueException"),
    ({"Handler": "other.handler"}, "InvalidParameterValueException"),
    ({"Runtime": "python3.8"}, "InvalidParameterValueException"),
])
def test_update_rejects_invalid(request_body: dict, code: str) -> None:
    configuration = {"RevisionId": "r1", "Handler": "app.handler", "Runtime": "python3.12"}
    with pytest.raises(ApiError) as caught:
        apply_update(configuration, request_body)
    assert caught.value.code == code


@pytest.mark.parametrize(("pattern", "message", "expected"), [
    ('"REPORT RequestId: abc"', "REPORT RequestId: abc\tDuration: 1 ms", True),
    ('"REPORT RequestId: abc"', "REPORT RequestId: abd\tDuration: 1 ms", False),
    ("REPORT Init", "REPORT x\tInit Duration: 3 ms", True),
    ("REPORT -Init", "REPORT x\tInit Duration: 3 ms", False),
    ("?timeout ?error", "Status: error", True),
    ("?timeout ?error", "Status: ok", False),
    ("", "anything", True),
])
def test_filter_pattern(pattern: str, message: str, expected: bool) -> None:
    assert compile_filter(pattern)(message) is expected


def test_filter_json_pattern_rejected() -> None:
    with pytest.raises(ApiError):
        compile_filter("{ $.level = \"ERROR\" }")


def test_log_store_filters_streams() -> None:
    store = LogStore()
    store.append("/aws/lambda/demo", "stream-a", "START a\nREPORT a\n")
    store.append("/aws/lambda/demo", "stream-b", "START b\nREPORT b\n")
    found = store.filter_events({"logGroupName": "/aws/lambda/demo", "filterPattern": "REPORT",
                                 "logStreamNames": ["stream-b"]})
    assert [event["message"] for event in found["events"]] == ["REPORT b\n"]
    assert len(found["searchedLogStreams"]) == 2


@pytest.mark.parametrize("field", ["Handler", "Runtime"])
def test_update_names_fixed_field(field: str) -> None:
    configuration = {"RevisionId": "r1", "Handler": "app.handler", "Runtime": "python3.12"}
    with pytest.raises(ApiError) as caught:
        apply_update(configuration, {field: "changed"})
    assert caught.value.message.startswith(f"{field} cannot be changed")


def test_update_accepts_unchanged_handler() -> None:
    configuration = {"RevisionId": "r1", "Handler": "app.handler", "Runtime": "python3.12"}
    updated = apply_update(configuration, {"Handler": "app.handler", "Runtime": "python3.12"})
    assert updated["Handler"] == "app.handler"
    assert updated["Runtime"] == "python3.12"


def test_report_omits_unknown_peak() -> None:
    record = InvokeRecord(request_id=REQUEST_ID, version="$LATEST", memory_mb=128,
                          duration_ms=3000.0, status="timeout")
    line = report_line(record)
    assert "Max Memory Used" not in line
    assert line.endswith("Memory Size: 128 MB\tStatus: timeout")


def test_cost_figures_share_precision() -> None:
    from coldstart.render.lambda_terminal import format_usd

    assert format_usd(0.0000003) == "$0.0000003000"
    assert format_usd(0.0000002042) == "$0.0000002042"
