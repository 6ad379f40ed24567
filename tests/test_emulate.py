"""`coldstart emulate` through real boto3 over HTTP, the emulator a real subprocess."""

from __future__ import annotations

import base64
import http.client
import json
import re
import signal
import socket
import struct
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.conftest import FIXTURES, run_cli
from tests.emulator_process import Emulator, lambda_client, process_alive, running_emulator

APP = str(FIXTURES / "emulate" / "app.py")
REPORT = re.compile(
    r"^REPORT RequestId: (?P<id>[0-9a-f-]{36})\tDuration: (?P<duration>\d+\.\d\d) ms\t"
    r"Billed Duration: (?P<billed>\d+) ms\tMemory Size: (?P<memory>\d+) MB\t?"
    r"(?:Max Memory Used: (?P<used>\d+) MB)?(?:\tInit Duration: (?P<init>\d+\.\d\d) ms)?"
    r"(?:\tStatus: (?P<status>\w+))?(?:\tError Type: (?P<error_type>\S+))?$",
    re.MULTILINE,
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with running_emulator(APP, "--env", "TABLE_NAME=orders", "--timeout", "2",
                          "--max-environments", "2") as running:
        yield running


@pytest.fixture(scope="module")
def client(emulator: Emulator):  # noqa: ANN201
    return lambda_client(emulator.url)


def invoke(client, name: str, event: dict | None = None, **kwargs) -> dict:  # noqa: ANN001
    """Invoke with the log tail; return the response with payload and log decoded."""
    payload = json.dumps(event or {}).encode()
    response = client.invoke(FunctionName=name, LogType="Tail", Payload=payload, **kwargs)
    response["body"] = json.loads(response["Payload"].read())
    response["log"] = base64.b64decode(response["LogResult"]).decode()
    return response


def report_of(log: str) -> re.Match:
    match = REPORT.search(log)
    assert match is not None, log
    return match


def test_cold_then_warm_invokes(client) -> None:  # noqa: ANN001
    first = invoke(client, "cold-warm", {"n": 1})
    second = invoke(client, "cold-warm", {"n": 2})
    third = invoke(client, "cold-warm", {"n": 3})
    assert first["StatusCode"] == 200
    assert "FunctionError" not in first
    assert first["ExecutedVersion"] == "$LATEST"
    assert first["body"]["event"] == {"n": 1}
    assert first["body"]["table"] == "orders"
    assert first["body"]["function_name"] == "cold-warm"
    assert second["body"]["pid"] == first["body"]["pid"]
    assert third["body"]["pid"] == first["body"]["pid"]
    cold = report_of(first["log"])
    assert cold["init"] is not None
    assert float(cold["init"]) > 0
    assert cold["memory"] == "128"
    assert int(cold["used"]) > 0
    assert int(cold["billed"]) >= float(cold["duration"]) + float(cold["init"])
    assert first["log"].startswith("INIT_START Runtime Version: python3.")
    assert "module initialised" in first["log"]
    assert report_of(second["log"])["init"] is None
    assert report_of(third["log"])["init"] is None
    assert "INIT_START" not in second["log"]
    assert "module initialised" not in second["log"]


def test_log_has_start_output_end(client) -> None:  # noqa: ANN001
    response = invoke(client, "log-order")
    request_id = report_of(response["log"])["id"]
    lines = response["log"].splitlines()
    start = lines.index(f"START RequestId: {request_id} Version: $LATEST")
    output = lines.index(f"handling {request_id}")
    end = lines.index(f"END RequestId: {request_id}")
    assert start < output < end
    assert lines[-1].startswith(f"REPORT RequestId: {request_id}\t")
    assert response["ResponseMetadata"]["RequestId"] == request_id


def test_update_retires_worker(client) -> None:  # noqa: ANN001
    name = "update-retires"
    before = invoke(client, name)
    config_before = client.get_function_configuration(FunctionName=name)
    updated = client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"TABLE_NAME": "orders", "NONCE": "n1"}},
        KMSKeyArn="arn:aws:kms:us-east-1:123456789012:key/emulated", Description="changed",
        MemorySize=256,
    )
    assert updated["LastUpdateStatus"] == "Successful"
    client.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    after = invoke(client, name)
    config_after = client.get_function_configuration(FunctionName=name)
    assert after["body"]["pid"] != before["body"]["pid"]
    assert after["body"]["nonce"] == "n1"
    assert after["body"]["memory_limit_in_mb"] == 256
    assert report_of(after["log"])["init"] is not None
    assert report_of(after["log"])["memory"] == "256"
    assert config_after["RevisionId"] != config_before["RevisionId"]
    assert config_after["Environment"]["Variables"] == {"TABLE_NAME": "orders", "NONCE": "n1"}
    assert config_after["KMSKeyArn"] == "arn:aws:kms:us-east-1:123456789012:key/emulated"
    assert config_after["Description"] == "changed"
    assert config_after["LastUpdateStatus"] == "Successful"
    assert config_after["State"] == "Active"


def test_restored_environment_equal(client) -> None:  # noqa: ANN001
    name = "restore-exact"
    original = client.get_function_configuration(FunctionName=name)
    client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"TABLE_NAME": "orders", "NONCE": "x"}}
    )
    client.update_function_configuration(
        FunctionName=name, Environment=original["Environment"]
    )
    restored = client.get_function_configuration(FunctionName=name)
    assert restored["Environment"] == original["Environment"]
    assert "KMSKeyArn" not in restored


def test_json_log_format(client) -> None:  # noqa: ANN001
    name = "json-logs"
    client.update_function_configuration(FunctionName=name,
                                          LoggingConfig={"LogFormat": "JSON"})
    cold = invoke(client, name)
    warm = invoke(client, name)
    failed = invoke(client, name, {"action": "fail"})
    cold_events = [json.loads(line) for line in cold["log"].splitlines()
                   if line.startswith("{")]
    types = [event.get("type") for event in cold_events]
    assert types == ["platform.initStart", "platform.initReport", "platform.start",
                     "platform.report"]
    report = cold_events[-1]["record"]
    assert report["requestId"] == cold["ResponseMetadata"]["RequestId"]
    assert report["status"] == "success"
    assert report["metrics"]["initDurationMs"] > 0
    assert report["metrics"]["memorySizeMB"] == 128
    warm_report = json.loads(warm["log"].splitlines()[-1])
    assert warm_report["type"] == "platform.report"
    assert "initDurationMs" not in warm_report["record"]["metrics"]
    error_records = [json.loads(line) for line in failed["log"].splitlines()
                     if line.startswith('{"timestamp"')]
    assert error_records[0]["level"] == "ERROR"
    assert error_records[0]["errorType"] == "ValueError"


def test_get_function_for_waiter(client) -> None:  # noqa: ANN001
    response = client.get_function(FunctionName="get-function")
    assert response["Configuration"]["FunctionName"] == "get-function"
    assert response["Configuration"]["LastUpdateStatus"] == "Successful"
    assert response["Code"]["RepositoryType"] == "S3"


def test_update_in_progress_conflicts() -> None:
    with running_emulator(APP, "--update-delay", "1") as running:
        client = lambda_client(running.url)
        client.update_function_configuration(FunctionName="slow-update", Description="one")
        in_progress = client.get_function(FunctionName="slow-update")
        with pytest.raises(ClientError) as caught:
            client.update_function_configuration(FunctionName="slow-update",
                                                 Description="two")
        client.get_waiter("function_updated_v2").wait(
            FunctionName="slow-update", WaiterConfig={"Delay": 1, "MaxAttempts": 10}
        )
        second = client.update_function_configuration(FunctionName="slow-update",
                                                      Description="two")
    assert in_progress["Configuration"]["LastUpdateStatus"] == "InProgress"
    assert caught.value.response["Error"]["Code"] == "ResourceConflictException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert second["Description"] == "two"


def test_stale_revision_rejected(client) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as caught:
        client.update_function_configuration(FunctionName="revisions", Description="x",
                                             RevisionId="not-the-current-one")
    assert caught.value.response["Error"]["Code"] == "PreconditionFailedException"


def test_reserved_variable_rejected(client) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as caught:
        client.update_function_configuration(
            FunctionName="reserved", Environment={"Variables": {"AWS_REGION": "eu-west-1"}}
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "AWS_REGION" in caught.value.response["Error"]["Message"]


def test_function_error_header_and_payload(client) -> None:  # noqa: ANN001
    ok = invoke(client, "errors")
    failed = invoke(client, "errors", {"action": "fail"})
    again = invoke(client, "errors")
    assert failed["FunctionError"] == "Unhandled"
    assert failed["StatusCode"] == 200
    assert set(failed["body"]) == {"errorMessage", "errorType", "stackTrace", "requestId"}
    assert failed["body"]["errorType"] == "ValueError"
    assert failed["body"]["errorMessage"] == "order id missing from the event"
    assert failed["body"]["requestId"] == report_of(failed["log"])["id"]
    handler_frames = [entry for entry in failed["body"]["stackTrace"] if "in handler" in entry]
    assert handler_frames
    assert "app.py" in handler_frames[-1]
    assert all("worker.py" not in entry for entry in failed["body"]["stackTrace"])
    assert "[ERROR] ValueError: order id missing from the event" in failed["log"]
    assert again["body"]["pid"] == ok["body"]["pid"]


def test_handler_exit_is_exit_error(client) -> None:  # noqa: ANN001
    before = invoke(client, "exits")
    exited = invoke(client, "exits", {"action": "exit"})
    after = invoke(client, "exits")
    assert exited["FunctionError"] == "Unhandled"
    assert exited["body"]["errorType"] == "Runtime.ExitError"
    assert "exit status 4" in exited["body"]["errorMessage"]
    report = report_of(exited["log"])
    assert report["status"] == "error"
    assert report["error_type"] == "Runtime.ExitError"
    assert after["body"]["pid"] != before["body"]["pid"]
    assert report_of(after["log"])["init"] is not None


def test_timeout_kills_worker(client) -> None:  # noqa: ANN001
    before = invoke(client, "timeouts")
    timed_out = invoke(client, "timeouts", {"action": "sleep", "seconds": 30})
    after = invoke(client, "timeouts")
    assert timed_out["FunctionError"] == "Unhandled"
    assert timed_out["body"]["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 2.00 seconds" in timed_out["body"]["errorMessage"]
    assert report_of(timed_out["log"])["status"] == "timeout"
    assert int(report_of(timed_out["log"])["used"] or 0) > 0
    assert "Max Memory Used: 0 MB" not in timed_out["log"]
    assert not process_alive(before["body"]["pid"])
    assert report_of(after["log"])["init"] is not None


def test_timeout_kills_process_group(client) -> None:  # noqa: ANN001
    timed_out = invoke(client, "group-kill", {"action": "spawn_and_sleep", "seconds": 30})
    match = re.search(r"^child (\d+)$", timed_out["log"], re.MULTILINE)
    assert match is not None, timed_out["log"]
    assert timed_out["body"]["errorType"] == "Sandbox.Timedout"
    assert not process_alive(int(match[1]))


def test_payload_too_large(client) -> None:  # noqa: ANN001
    payload = json.dumps({"data": "x" * (6 * 1024 * 1024)}).encode()
    with pytest.raises(ClientError) as caught:
        client.invoke(FunctionName="large", Payload=payload)
    error = caught.value.response
    assert error["Error"]["Code"] == "RequestTooLargeException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "6291456 bytes" in error["Error"]["Message"]
    assert invoke(client, "large")["StatusCode"] == 200


def test_invalid_json_payload(client) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as caught:
        client.invoke(FunctionName="bad-json", Payload=b"{not json")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_any_name_or_arn_served(client) -> None:  # noqa: ANN001
    arn = "arn:aws:lambda:eu-west-1:210987654321:function:orders-prod:7"
    full = invoke(client, arn)
    partial = invoke(client, "123456789012:function:any-name")
    qualified = invoke(client, "plain-name", Qualifier="live")
    assert full["ExecutedVersion"] == "7"
    assert full["body"]["function_name"] == "orders-prod"
    assert full["body"]["invoked_function_arn"] == arn
    assert partial["body"]["function_name"] == "any-name"
    assert qualified["ExecutedVersion"] == "$LATEST"
    assert qualified["body"]["invoked_function_arn"].endswith(":function:plain-name:live")
    configuration = client.get_function_configuration(FunctionName=arn)
    assert configuration["FunctionArn"] == arn


def test_invalid_function_name(client) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as caught:
        client.get_function_configuration(FunctionName="bad name!")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_dry_run_and_event(client) -> None:  # noqa: ANN001
    dry = client.invoke(FunctionName="async", InvocationType="DryRun")
    event = client.invoke(FunctionName="async", InvocationType="Event", Payload=b"{}")
    assert dry["StatusCode"] == 204
    assert event["StatusCode"] == 202


def test_provisioned_concurrency_none(client) -> None:  # noqa: ANN001
    response = client.list_provisioned_concurrency_configs(FunctionName="pc")
    assert response["ProvisionedConcurrencyConfigs"] == []


def test_concurrent_invokes_cold(client) -> None:  # noqa: ANN001
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(
            lambda _: invoke(client, "concurrent", {"action": "sleep", "seconds": 0.5}),
            range(2),
        ))
    pids = {response["body"]["pid"] for response in responses}
    assert len(pids) == 2
    assert all(report_of(response["log"])["init"] is not None for response in responses)


def test_cloudwatch_filter_by_request_id(emulator: Emulator, client) -> None:  # noqa: ANN001
    import boto3

    first = invoke(client, "logged")
    second = invoke(client, "logged")
    logs = boto3.client(
        "logs", endpoint_url=emulator.url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    request_id = second["ResponseMetadata"]["RequestId"]
    found = logs.filter_log_events(logGroupName="/aws/lambda/logged",
                                   filterPattern=f'"{request_id}"')
    messages = [event["message"] for event in found["events"]]
    assert any(message.startswith(f"REPORT RequestId: {request_id}\t") for message in messages)
    assert all(request_id in message for message in messages)
    assert not any(first["ResponseMetadata"]["RequestId"] in message for message in messages)
    with pytest.raises(ClientError) as caught:
        logs.filter_log_events(logGroupName="/aws/lambda/never-invoked")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_unknown_route_json_error(emulator: Emulator) -> None:
    request = urllib.request.Request(f"{emulator.url}/2015-03-31/layers", method="GET")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 404
    assert caught.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    body = json.loads(caught.value.read())
    assert "Unknown operation GET /2015-03-31/layers" in body["message"]


def test_listens_on_loopback_only(emulator: Emulator) -> None:
    import psutil

    listening = [
        connection.laddr for connection in psutil.Process(emulator.process.pid).net_connections()
        if connection.status == psutil.CONN_LISTEN
    ]
    assert listening
    assert all(address.ip == "127.0.0.1" for address in listening)
    assert all(address.port == emulator.port for address in listening)


@pytest.mark.parametrize(("fixture", "error_type", "message", "status"), [
    ("missing_module.py", "Runtime.ImportModuleError", "orders_client_not_installed", "error"),
    ("syntax_error.py", "Runtime.UserCodeSyntaxError", "Syntax error in module", "error"),
    ("exit_at_import.py", "Runtime.ExitError", "exit status 3", "error"),
    ("segfault_at_import.py", "Runtime.ExitError", "signal: SIGSEGV", "error"),
    ("slow_init.py", "Sandbox.Timedout", "Task timed out after 1.00 seconds", "timeout"),
    ("exception_at_import.py", "KeyError", "ORDERS_TABLE_THAT_IS_NOT_SET", "error"),
    ("missing_function.handler", "Runtime.HandlerNotFound", "Handler 'handler' missing",
     "error"),
])
def test_init_failure_reported(fixture: str, error_type: str, message: str,
                               status: str) -> None:
    failures = FIXTURES / "failures"
    target = str(failures / fixture) if fixture.endswith(".py") else fixture
    with running_emulator(target, "--root", str(failures), "--init-timeout", "1") as running:
        client = lambda_client(running.url)
        response = invoke(client, "broken")
        again = invoke(client, "broken")
    assert response["FunctionError"] == "Unhandled"
    assert response["body"]["errorType"] == error_type
    assert message in response["body"]["errorMessage"]
    assert "INIT_REPORT Init Duration:" in response["log"]
    assert f"Phase: init\tStatus: {status}" in response["log"]
    assert report_of(response["log"])["status"] == status
    assert report_of(response["log"])["init"] is not None
    assert "Max Memory Used: 0 MB" not in response["log"]
    assert again["body"]["errorType"] == error_type
    assert "INIT_START" in again["log"]


def test_init_exception_stack_trace() -> None:
    target = str(FIXTURES / "failures" / "exception_at_import.py")
    with running_emulator(target) as running:
        response = invoke(lambda_client(running.url), "init-stack")
    stack = response["body"]["stackTrace"]
    assert response["body"]["requestId"] == ""
    assert stack
    module_frames = [entry for entry in stack if "exception_at_import.py" in entry]
    assert module_frames
    assert all("importlib" not in entry for entry in stack)
    assert all("worker.py" not in entry for entry in stack)


def test_response_too_large(client) -> None:  # noqa: ANN001
    before = invoke(client, "big-response")
    failed = invoke(client, "big-response", {"action": "big", "size": 6 * 1024 * 1024 + 200})
    after = invoke(client, "big-response")
    assert failed["FunctionError"] == "Unhandled"
    assert failed["body"]["errorType"] == "Function.ResponseSizeTooLarge"
    assert "6291556 bytes" in failed["body"]["errorMessage"]
    assert report_of(failed["log"])["error_type"] == "Function.ResponseSizeTooLarge"
    assert after["body"]["pid"] == before["body"]["pid"]


def test_async_handler_marshal_error() -> None:
    with running_emulator(str(FIXTURES / "failures" / "async_handler.py")) as running:
        response = invoke(lambda_client(running.url), "async-handler")
    assert response["FunctionError"] == "Unhandled"
    assert response["body"]["errorType"] == "Runtime.MarshalError"
    assert response["body"]["errorMessage"].startswith("Unable to marshal response:")


def test_loud_output_keeps_report() -> None:
    with running_emulator(str(FIXTURES / "failures" / "loud_output.py")) as running:
        client = lambda_client(running.url)
        cold = invoke(client, "loud")
        warm = invoke(client, "loud")
    assert cold["body"] == {"printed": True}
    assert len(cold["LogResult"]) <= 4096 * 4 // 3 + 4
    assert report_of(cold["log"])["init"] is not None
    assert report_of(warm["log"])["init"] is None
    assert warm["log"].startswith("y")


def test_memory_size_exceeded() -> None:
    with running_emulator(APP, "--memory", "128") as running:
        client = lambda_client(running.url)
        first = invoke(client, "small", {"action": "allocate", "mb": 160})
        second = invoke(client, "small")
    report = report_of(first["log"])
    assert first["FunctionError"] == "Unhandled"
    assert first["body"]["errorType"] == "Runtime.OutOfMemory"
    assert "signal: killed" in first["body"]["errorMessage"]
    assert report["status"] == "error"
    assert report["error_type"] == "Runtime.OutOfMemory"
    assert report["used"] == "128"
    assert report_of(second["log"])["init"] is not None


def test_sigint_stops_workers() -> None:
    with running_emulator(APP) as running:
        pid = invoke(lambda_client(running.url), "stop")["body"]["pid"]
        assert process_alive(pid)
        code, stderr = running.stop(signal.SIGINT)
    assert code == 130
    assert "coldstart: emulator stopped on SIGINT" in stderr
    assert "error: interrupted" not in stderr
    assert not process_alive(pid)
    assert "stopped environment" in stderr
    assert "function stop: 1 invokes, 1 cold starts, 0 function errors" in stderr
    assert "Traceback" not in stderr


def test_sigterm_exits_zero() -> None:
    with running_emulator(APP) as running:
        pid = invoke(lambda_client(running.url), "stop")["body"]["pid"]
        code, stderr = running.stop(signal.SIGTERM)
    assert code == 0
    assert "coldstart: emulator stopped on SIGTERM" in stderr
    assert not process_alive(pid)
    assert "Traceback" not in stderr


def test_port_in_use_exit_4() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("emulate", APP, "--port", str(port), timeout=60)
    assert result.returncode == 4
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("memory", ["5", "10241"])
def test_memory_out_of_range_exit_2(memory: str) -> None:
    result = run_cli("emulate", APP, "--memory", memory, "--port", "0")
    assert result.returncode == 2
    assert f"invalid --memory {memory}: use a value from 128 to 10240 MB" in result.stderr
    assert "Serving the Lambda API" not in result.stdout


def test_missing_target_exit_2() -> None:
    result = run_cli("emulate", "no/such/app.py", "--port", "0", timeout=60)
    assert result.returncode == 2
    assert "handler file not found: no/such/app.py" in result.stderr


def test_update_without_delay_allows_another(client) -> None:  # noqa: ANN001
    first = client.update_function_configuration(FunctionName="no-delay", Description="one")
    second = client.update_function_configuration(FunctionName="no-delay", Description="two")
    assert first["LastUpdateStatus"] == "Successful"
    assert second["LastUpdateStatus"] == "Successful"
    assert second["Description"] == "two"


@pytest.mark.parametrize(("field", "value"), [("Handler", "other.handler"),
                                              ("Runtime", "python3.8")])
def test_handler_or_runtime_change_rejected(client, field: str, value: str) -> None:  # noqa: ANN001
    current = client.get_function_configuration(FunctionName="fixed-fields")
    with pytest.raises(ClientError) as caught:
        client.update_function_configuration(FunctionName="fixed-fields", **{field: value})
    after = client.get_function_configuration(FunctionName="fixed-fields")
    unchanged = client.update_function_configuration(FunctionName="fixed-fields",
                                                     **{field: current[field]})
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert field in caught.value.response["Error"]["Message"]
    assert after[field] == current[field]
    assert unchanged[field] == current[field]


def raw_exchange(port: int, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send raw bytes to the emulator; return the status line, headers and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        response = http.client.HTTPResponse(connection)
        response.begin()
        body = response.read()
    status = f"{response.status} {response.reason}"
    return status, {key.lower(): value for key, value in response.getheaders()}, body


def test_chunked_body_is_the_event(emulator: Emulator) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=30)
    connection.request("POST", "/2015-03-31/functions/chunked/invocations",
                       body=iter([b'{"n": ', b'7, "via": "chunks"}']),
                       headers={"Transfer-Encoding": "chunked"}, encode_chunked=True)
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    assert response.status == 200
    assert body["event"] == {"n": 7, "via": "chunks"}


def test_chunked_body_over_limit(emulator: Emulator) -> None:
    status, headers, body = raw_exchange(emulator.port, (
        b"POST /2015-03-31/functions/chunked/invocations HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n700000\r\n"
    ))
    assert status.startswith("413")
    assert headers["x-amzn-errortype"] == "RequestTooLargeException"
    assert "6291456 bytes" in json.loads(body)["message"]


@pytest.mark.parametrize("length", [b"-1", b"ten"])
def test_bad_content_length_400(emulator: Emulator, length: bytes) -> None:
    status, headers, body = raw_exchange(emulator.port, (
        b"POST /2015-03-31/functions/lengths/invocations HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: " + length + b"\r\n\r\n{}"
    ))
    assert status.startswith("400")
    assert headers["x-amzn-errortype"] == "InvalidRequestContentException"
    assert "Content-Length" in json.loads(body)["message"]


@pytest.mark.parametrize("request_bytes", [b"GARBAGE\r\n\r\n",
                                           b"GET / HTTP/7.x\r\n\r\n",
                                           b"BREW /pot HTTP/1.1\r\n\r\n"])
def test_garbage_request_json_error(emulator: Emulator, request_bytes: bytes) -> None:
    status, headers, body = raw_exchange(emulator.port, request_bytes)
    assert status[0] in "45"
    assert headers["content-type"] == "application/json"
    assert "x-amzn-errortype" in headers
    assert json.loads(body)["message"]
    assert b"<html" not in body.lower()


def reset_connection(port: int, request: bytes, wait_s: float) -> None:
    """Send a request, then close the connection with a reset before the answer."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(request)
    time.sleep(wait_s)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def test_client_disconnect_logged_as_one_line() -> None:
    event = json.dumps({"action": "sleep", "seconds": 0.5}).encode()
    with running_emulator(APP) as running:
        reset_connection(running.port, (
            b"POST /2015-03-31/functions/gone/invocations HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: " + str(len(event)).encode() + b"\r\n\r\n" + event
        ), 0.1)
        reset_connection(running.port, b"GARBAGE\r\n\r\n", 0.0)
        time.sleep(1.5)
        code, stderr = running.stop(signal.SIGTERM)
    assert code == 0
    assert "Traceback" not in stderr
    assert "closed the connection" in stderr
