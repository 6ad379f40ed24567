"""Forcing cold starts and checks before invoking, against botocore's Stubber.

The Stubber returns responses in place of the HTTP endpoint and checks each request's parameters,
so these tests see exactly what would be sent. The clients still have fake credentials
and a loopback endpoint in case a call were not stubbed.
"""

from __future__ import annotations

import base64
import io
import os
import signal
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from coldstart.errors import EnvironmentProblem, UsageError
from coldstart.lambda_api.arn import parse_function_ref
from coldstart.lambda_api.aws import AwsSettings
from coldstart.lambda_api.forcing import (
    NONCE_VARIABLE,
    EnvironmentForcer,
    check_update_strategy,
    environment_restored,
)
from coldstart.lambda_api.invoker import invoke_once
from coldstart.lambda_api.lambda_report import build_lambda_report, build_run
from coldstart.lambda_api.preflight import preflight_warnings

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:demo"
KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SAVED_VARIABLES = {"TABLE_NAME": "orders", "LOG_LEVEL": "debug"}
CONFIGURATION = {
    "FunctionName": "demo",
    "FunctionArn": FUNCTION_ARN,
    "Version": "$LATEST",
    "MemorySize": 256,
    "Runtime": "python3.12",
    "Architectures": ["arm64"],
    "Environment": {"Variables": SAVED_VARIABLES},
    "KMSKeyArn": KMS_KEY_ARN,
}
COLD_LOG = (
    "INIT_START Runtime Version: python:3.12.v38\n"
    "START RequestId: req-cold Version: $LATEST\n"
    "END RequestId: req-cold\n"
    "REPORT RequestId: req-cold\tDuration: 20.50 ms\tBilled Duration: 250 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 80 MB\tInit Duration: 229.10 ms\t\n"
)
WARM_LOG = (
    "REPORT RequestId: req-warm\tDuration: 2.00 ms\tBilled Duration: 2 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 81 MB\t\n"
)


@pytest.fixture
def lambda_client() -> Any:
    return boto3.client(
        "lambda", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


def make_forcer(client: Any, sleeps: list[float]) -> EnvironmentForcer:
    forcer = EnvironmentForcer(
        client, FUNCTION_ARN, AwsSettings(region="us-east-1"), sleep=sleeps.append,
        waiter_delay_s=1,
    )
    forcer.save(CONFIGURATION)
    return forcer


def expect_update(stubber: Stubber, variables: Any) -> None:
    stubber.add_response(
        "update_function_configuration",
        {"FunctionName": "demo", "LastUpdateStatus": "InProgress"},
        {"FunctionName": FUNCTION_ARN, "Environment": {"Variables": variables},
         "KMSKeyArn": KMS_KEY_ARN},
    )


def expect_waiter_success(stubber: Stubber) -> None:
    stubber.add_response(
        "get_function",
        {"Configuration": {"FunctionName": "demo", "LastUpdateStatus": "Successful"}},
        {"FunctionName": FUNCTION_ARN},
    )


def nonce_variables() -> dict[str, Any]:
    return {**SAVED_VARIABLES, NONCE_VARIABLE: ANY}


def test_nonce_update_keeps_kms_key(lambda_client: Any) -> None:
    forcer = make_forcer(lambda_client, [])
    with Stubber(lambda_client) as stubber:
        expect_update(stubber, nonce_variables())
        expect_waiter_success(stubber)
        expect_update(stubber, SAVED_VARIABLES)
        expect_waiter_success(stubber)
        nonce = forcer.force_cold_start()
        forcer.restore()
        stubber.assert_no_pending_responses()
    assert len(nonce) == 32
    assert forcer.changed is False


def test_resource_conflict_is_retried(lambda_client: Any) -> None:
    sleeps: list[float] = []
    forcer = make_forcer(lambda_client, sleeps)
    with Stubber(lambda_client) as stubber:
        for _ in range(2):
            stubber.add_client_error(
                "update_function_configuration", service_error_code="ResourceConflictException",
                service_message="An update is in progress", http_status_code=409,
            )
        expect_update(stubber, nonce_variables())
        expect_waiter_success(stubber)
        forcer.force_cold_start()
        stubber.assert_no_pending_responses()
    assert forcer.conflicts_retried == 2
    assert sleeps == [1.0, 2.0]


def test_waiter_polls_until_successful(lambda_client: Any) -> None:
    forcer = make_forcer(lambda_client, [])
    with Stubber(lambda_client) as stubber:
        expect_update(stubber, nonce_variables())
        stubber.add_response(
            "get_function",
            {"Configuration": {"FunctionName": "demo", "LastUpdateStatus": "InProgress"}},
            {"FunctionName": FUNCTION_ARN},
        )
        expect_waiter_success(stubber)
        forcer.force_cold_start()
        stubber.assert_no_pending_responses()


def test_failed_update_names_the_reason(lambda_client: Any) -> None:
    forcer = make_forcer(lambda_client, [])
    with Stubber(lambda_client) as stubber:
        expect_update(stubber, nonce_variables())
        stubber.add_response(
            "get_function",
            {"Configuration": {"FunctionName": "demo", "LastUpdateStatus": "Failed",
                               "LastUpdateStatusReason": "KMS key is disabled"}},
            {"FunctionName": FUNCTION_ARN},
        )
        with pytest.raises(EnvironmentProblem, match="KMS key is disabled"):
            forcer.force_cold_start()


def test_restore_after_error_in_run(lambda_client: Any) -> None:
    forcer = make_forcer(lambda_client, [])
    with Stubber(lambda_client) as stubber:
        expect_update(stubber, nonce_variables())
        expect_waiter_success(stubber)
        expect_update(stubber, SAVED_VARIABLES)
        expect_waiter_success(stubber)
        with pytest.raises(RuntimeError, match="invoke broke"):
            with environment_restored(forcer):
                forcer.force_cold_start()
                raise RuntimeError("invoke broke")
        stubber.assert_no_pending_responses()


def test_restore_on_sigterm(lambda_client: Any) -> None:
    forcer = make_forcer(lambda_client, [])
    previous = signal.getsignal(signal.SIGTERM)
    with Stubber(lambda_client) as stubber:
        expect_update(stubber, nonce_variables())
        expect_waiter_success(stubber)
        expect_update(stubber, SAVED_VARIABLES)
        expect_waiter_success(stubber)
        with pytest.raises(KeyboardInterrupt):
            with environment_restored(forcer):
                forcer.force_cold_start()
                os.kill(os.getpid(), signal.SIGTERM)
        stubber.assert_no_pending_responses()
    assert signal.getsignal(signal.SIGTERM) == previous


def test_no_restore_when_nothing_changed(lambda_client: Any) -> None:
    forcer = make_forcer(lambda_client, [])
    with Stubber(lambda_client) as stubber:
        with pytest.raises(RuntimeError):
            with environment_restored(forcer):
                raise RuntimeError("failed before the first update")
        stubber.assert_no_pending_responses()


def test_failed_restore_prints_command(
    lambda_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    forcer = make_forcer(lambda_client, [])
    with Stubber(lambda_client) as stubber:
        expect_update(stubber, nonce_variables())
        expect_waiter_success(stubber)
        stubber.add_client_error(
            "update_function_configuration", service_error_code="AccessDeniedException",
            service_message="not authorized", http_status_code=403,
        )
        with pytest.raises(EnvironmentProblem, match="restoring the environment"):
            with environment_restored(forcer):
                forcer.force_cold_start()
    stderr = capsys.readouterr().err
    assert "RESTORE FAILED" in stderr
    assert "aws lambda update-function-configuration --function-name " + FUNCTION_ARN in stderr
    assert (
        """--environment '{"Variables": {"LOG_LEVEL": "debug", "TABLE_NAME": "orders"}}'"""
        in stderr
    )
    assert f"--kms-key-arn {KMS_KEY_ARN}" in stderr
    assert "--region us-east-1" in stderr


def test_function_without_environment_restores_empty(lambda_client: Any) -> None:
    forcer = EnvironmentForcer(lambda_client, "plain", AwsSettings(), sleep=lambda _: None)
    forcer.save({"FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:plain"})
    with Stubber(lambda_client) as stubber:
        stubber.add_response(
            "update_function_configuration", {"LastUpdateStatus": "InProgress"},
            {"FunctionName": "plain", "Environment": {"Variables": {NONCE_VARIABLE: ANY}}},
        )
        stubber.add_response("get_function", {"Configuration": {"LastUpdateStatus": "Successful"}})
        stubber.add_response(
            "update_function_configuration", {"LastUpdateStatus": "InProgress"},
            {"FunctionName": "plain", "Environment": {"Variables": {}}},
        )
        stubber.add_response("get_function", {"Configuration": {"LastUpdateStatus": "Successful"}})
        forcer.force_cold_start()
        forcer.restore()
        stubber.assert_no_pending_responses()


def test_update_strategy_rejects_published_version() -> None:
    with pytest.raises(UsageError, match="--strategy concurrent"):
        check_update_strategy({**CONFIGURATION, "Version": "7"}, "prod")


def provisioned(qualifier: str) -> dict[str, Any]:
    return {
        "FunctionArn": f"{FUNCTION_ARN}:{qualifier}",
        "RequestedProvisionedConcurrentExecutions": 5,
        "AllocatedProvisionedConcurrentExecutions": 5,
        "Status": "READY",
    }


def test_provisioned_concurrency_warning(lambda_client: Any) -> None:
    ref = parse_function_ref(FUNCTION_ARN + ":prod")
    with Stubber(lambda_client) as stubber:
        stubber.add_response(
            "list_provisioned_concurrency_configs",
            {"ProvisionedConcurrencyConfigs": [provisioned("prod")]},
            {"FunctionName": FUNCTION_ARN},
        )
        warnings, notes = preflight_warnings(lambda_client, ref, CONFIGURATION)
    assert len(warnings) == 1
    assert "prod has provisioned concurrency (5 environments" in warnings[0]
    assert notes == []


def test_latest_while_alias_provisioned(lambda_client: Any) -> None:
    ref = parse_function_ref(FUNCTION_ARN)
    with Stubber(lambda_client) as stubber:
        stubber.add_response(
            "list_provisioned_concurrency_configs",
            {"ProvisionedConcurrencyConfigs": [provisioned("live")], "NextMarker": "page2"},
        )
        stubber.add_response(
            "list_provisioned_concurrency_configs",
            {"ProvisionedConcurrencyConfigs": [provisioned("prod")]},
            {"FunctionName": FUNCTION_ARN, "Marker": "page2"},
        )
        warnings, _ = preflight_warnings(lambda_client, ref, CONFIGURATION)
    assert len(warnings) == 1
    assert warnings[0].startswith("$LATEST is invoked while live, prod have provisioned")


def test_snapstart_warning(lambda_client: Any) -> None:
    ref = parse_function_ref(FUNCTION_ARN + ":7")
    configuration = {**CONFIGURATION, "Version": "7",
                     "SnapStart": {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}}
    with Stubber(lambda_client) as stubber:
        stubber.add_response("list_provisioned_concurrency_configs",
                             {"ProvisionedConcurrencyConfigs": []})
        warnings, _ = preflight_warnings(lambda_client, ref, configuration)
    assert len(warnings) == 1
    assert "SnapStart is on for 7" in warnings[0]


def test_unimplemented_check_becomes_note(lambda_client: Any) -> None:
    ref = parse_function_ref("demo")
    with Stubber(lambda_client) as stubber:
        stubber.add_client_error(
            "list_provisioned_concurrency_configs", service_error_code="",
            service_message="<!doctype html><title>404 Not Found</title>", http_status_code=404,
        )
        warnings, notes = preflight_warnings(lambda_client, ref, CONFIGURATION)
    assert warnings == []
    assert notes == [
        "provisioned concurrency not checked: ListProvisionedConcurrencyConfigs failed "
        "(HTTP 404: not implemented by this endpoint)"
    ]


def invoke_response(log: str, request_id: str, payload: bytes = b'"ok"',
                    function_error: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "StatusCode": 200,
        "LogResult": base64.b64encode(log.encode()).decode(),
        "Payload": StreamingBody(io.BytesIO(payload), len(payload)),
        "ExecutedVersion": "$LATEST",
        "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": 200,
                             "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    if function_error:
        response["FunctionError"] = function_error
    return response


def test_invoke_parses_log_tail(lambda_client: Any) -> None:
    with Stubber(lambda_client) as stubber:
        stubber.add_response(
            "invoke", invoke_response(COLD_LOG, "req-cold"),
            {"FunctionName": FUNCTION_ARN, "InvocationType": "RequestResponse",
             "LogType": "Tail", "Payload": b"{}"},
        )
        result = invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")
    assert result.request_id == "req-cold"
    assert result.report is not None
    assert result.report.init_ms == 229.10
    assert result.report_source == "log tail"
    assert result.failed is False


def test_function_error_reported_by_name(lambda_client: Any) -> None:
    payload = (b'{"errorMessage": "Unable to import module \'app\'", '
               b'"errorType": "Runtime.ImportModuleError", "stackTrace": []}')
    log = COLD_LOG.replace("Init Duration", "Status: error\tError Type: "
                           "Runtime.ImportModuleError\tInit Duration")
    with Stubber(lambda_client) as stubber:
        stubber.add_response(
            "invoke", invoke_response(log, "req-cold", payload, "Unhandled"),
        )
        result = invoke_once(lambda_client, FUNCTION_ARN, "$LATEST", b"{}")
    run = build_run(0, result, [])
    assert run["status"] == "error"
    assert run["error"]["type"] == "Runtime.ImportModuleError"
    assert run["error"]["phase"] == "init"
    assert run["error"]["function_error"] == "Unhandled"
    assert "Unable to import module" in run["error"]["message"]


def test_lambda_report_shape(lambda_client: Any) -> None:
    with Stubber(lambda_client) as stubber:
        stubber.add_response("invoke", invoke_response(COLD_LOG, "req-cold"))
        stubber.add_response("invoke", invoke_response(WARM_LOG, "req-warm"))
        cold = invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")
        warm = invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")
    run = build_run(0, cold, [warm])
    report = build_lambda_report(
        {"kind": "lambda", "label": "demo", "region": "us-east-1"}, CONFIGURATION,
        {"strategy": "update"}, [run], [],
    )
    assert report["schema"] == "coldstart.report/1"
    assert report["target"]["kind"] == "lambda"
    assert run["init_ms"] == 229.10
    assert run["first_invoke_ms"] == 20.50
    assert run["cold_start_ms"] == pytest.approx(249.60)
    assert run["warm_invoke_ms"] == [2.00]
    assert run["billed_ms"] == 250
    assert run["billed_cold_ms"] == 250
    assert run["max_memory_used_mib"] == 80
    assert run["peak_rss_mib"] == 81
    assert report["summary"]["init_ms"]["n"] == 1
    assert report["summary"]["warm_invoke_ms"]["median"] == 2.00
    assert report["cost"]["architecture"] == "arm64"
    assert report["cost"]["cold_invoke_usd"] > report["cost"]["warm_invoke_usd"]
    assert report["cold_starts"] == {"forced": 1, "observed": 1}
    assert report["error"] is None


def test_oversized_payload_is_usage_error(lambda_client: Any) -> None:
    with Stubber(lambda_client) as stubber:
        stubber.add_client_error(
            "invoke", service_error_code="RequestTooLargeException",
            service_message="Request must be smaller than 6291456 bytes for the InvokeFunction "
            "operation", http_status_code=413,
        )
        with pytest.raises(UsageError, match="fix the --event payload"):
            invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")


def test_nonce_over_size_limit_suggests_concurrent(lambda_client: Any) -> None:
    forcer = make_forcer(lambda_client, [])
    with Stubber(lambda_client) as stubber:
        stubber.add_client_error(
            "update_function_configuration", service_error_code="InvalidParameterValueException",
            service_message="Lambda was unable to configure your environment variables because "
            "the environment variables you have provided exceeded the 4KB limit.",
            http_status_code=400,
        )
        with pytest.raises(UsageError, match="use --strategy concurrent"):
            forcer.force_cold_start()


def test_cold_warm_invoke_becomes_run(lambda_client: Any) -> None:
    from coldstart.commands.invoke import build_runs

    with Stubber(lambda_client) as stubber:
        stubber.add_response("invoke", invoke_response(COLD_LOG, "req-cold"))
        stubber.add_response("invoke", invoke_response(WARM_LOG, "req-warm"))
        stubber.add_response("invoke", invoke_response(COLD_LOG, "req-cold"))
        results = [invoke_once(lambda_client, FUNCTION_ARN, None, b"{}") for _ in range(3)]
    runs = build_runs([(results[0], [results[1], results[2]])])
    assert len(runs) == 2
    assert runs[0]["warm_invoke_ms"] == [2.00]
    assert runs[1]["cold"] is True
    assert runs[1]["init_ms"] == 229.10


def test_warm_first_invoke_counts_as_warm(lambda_client: Any) -> None:
    with Stubber(lambda_client) as stubber:
        stubber.add_response("invoke", invoke_response(WARM_LOG, "req-warm"))
        result = invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")
    run = build_run(0, result, [])
    assert run["cold"] is False
    assert run["init_ms"] is None
    assert run["first_invoke_ms"] is None
    assert run["warm_invoke_ms"] == [2.00]


def test_no_wait_without_update_status(lambda_client: Any) -> None:
    forcer = make_forcer(lambda_client, [])
    with Stubber(lambda_client) as stubber:
        stubber.add_response(
            "update_function_configuration", {"FunctionName": "demo"},
            {"FunctionName": FUNCTION_ARN, "Environment": {"Variables": nonce_variables()},
             "KMSKeyArn": KMS_KEY_ARN},
        )
        forcer.force_cold_start()
        stubber.assert_no_pending_responses()


def test_spread_warning_names_cold_option(lambda_client: Any) -> None:
    logs = [COLD_LOG, COLD_LOG.replace("229.10", "900.00"), COLD_LOG.replace("229.10", "500.00")]
    with Stubber(lambda_client) as stubber:
        for log in logs:
            stubber.add_response("invoke", invoke_response(log, "req-cold"))
        results = [invoke_once(lambda_client, FUNCTION_ARN, None, b"{}") for _ in logs]
    runs = [build_run(index, result, []) for index, result in enumerate(results)]
    report = build_lambda_report({"kind": "lambda"}, CONFIGURATION, {}, runs, [])
    spread = [warning for warning in report["warnings"] if warning.startswith("init:")]
    assert spread
    assert "cold starts would" in spread[0]
    assert "(--cold)" in spread[0]
    assert "--runs" not in spread[0]


def test_rejected_first_update_needs_no_restore(
    lambda_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    forcer = make_forcer(lambda_client, [])
    with Stubber(lambda_client) as stubber:
        stubber.add_client_error(
            "update_function_configuration", service_error_code="AccessDeniedException",
            service_message="not authorized", http_status_code=403,
        )
        with pytest.raises(EnvironmentProblem, match="access denied"):
            with environment_restored(forcer):
                forcer.force_cold_start()
        stubber.assert_no_pending_responses()
    assert forcer.changed is False
    assert "RESTORE FAILED" not in capsys.readouterr().err


def test_markdown_summary_rows(lambda_client: Any) -> None:
    from coldstart.render.lambda_markdown import render_lambda_markdown

    with Stubber(lambda_client) as stubber:
        stubber.add_response("invoke", invoke_response(COLD_LOG, "req-cold"))
        stubber.add_response("invoke", invoke_response(WARM_LOG, "req-warm"))
        cold = invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")
        warm = invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")
    report = build_lambda_report(
        {"kind": "lambda", "label": "demo"}, CONFIGURATION, {"strategy": "update"},
        [build_run(0, cold, [warm])], ["demo has provisioned concurrency"],
    )
    lines = render_lambda_markdown(report).splitlines()
    assert lines[0] == "### Cold starts of `demo`"
    assert lines[2] == "1 cold start in 1 run (strategy `update`), 256 MB, python3.12."
    assert "| init (Init Duration) | 1 | 229.1 | - | 229.1 | 229.1 | 229.1 | 0.000 | ms |" in lines
    assert "| warm invoke (Duration) | 1 | 2.00 | - | 2.00 | 2.00 | 2.00 | 0.000 | ms |" in lines
    assert "- warning: demo has provisioned concurrency" in lines


def test_invoke_timeout_named_sandbox_timedout(lambda_client: Any) -> None:
    log = (
        "REPORT RequestId: req-slow\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 80 MB\tStatus: timeout\n"
    )
    payload = b'{"errorMessage": "2026-12-04T10:00:03Z req-slow Task timed out after 3.00 seconds"}'
    with Stubber(lambda_client) as stubber:
        stubber.add_response("invoke", invoke_response(log, "req-slow", payload, "Unhandled"))
        result = invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")
    error = build_run(0, result, [])["error"]
    assert error["type"] == "Sandbox.Timedout"
    assert error["phase"] == "invoke"
    assert "Task timed out after 3.00 seconds" in error["message"]


def test_init_timeout_is_init_phase(lambda_client: Any) -> None:
    log = (
        "INIT_REPORT Init Duration: 9999.60 ms\tPhase: init\tStatus: timeout\n"
        "INIT_REPORT Init Duration: 3000.10 ms\tPhase: invoke\tStatus: timeout\n"
        "REPORT RequestId: req-init\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 80 MB\tStatus: timeout\n"
    )
    with Stubber(lambda_client) as stubber:
        stubber.add_response("invoke", invoke_response(log, "req-init", b"{}", "Unhandled"))
        result = invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")
    assert [init.phase for init in result.init_reports] == ["init", "invoke"]
    error = build_run(0, result, [])["error"]
    assert error["type"] == "Sandbox.Timedout"
    assert error["phase"] == "init"


def test_tail_report_under_other_request_id(lambda_client: Any) -> None:
    with Stubber(lambda_client) as stubber:
        stubber.add_response("invoke", invoke_response(COLD_LOG, "header-request-id"))
        result = invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")
    assert result.report is not None
    assert result.report.request_id == "req-cold"
    assert result.report_source == "log tail"


@pytest.fixture
def logs_client() -> Any:
    return boto3.client(
        "logs", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


def invoke_without_report(
    lambda_client: Any, logs_client: Any, request_id: str, log_error_code: str
) -> Any:
    """Invoke once with an empty log tail and a failing CloudWatch Logs search."""
    with Stubber(lambda_client) as lambda_stubber, Stubber(logs_client) as logs_stubber:
        lambda_stubber.add_response("invoke", invoke_response("", request_id))
        logs_stubber.add_client_error(
            "filter_log_events", service_error_code=log_error_code,
            service_message="no", http_status_code=400,
        )
        return invoke_once(
            lambda_client, FUNCTION_ARN, None, b"{}", logs_client, "/aws/lambda/demo"
        )


def test_missing_report_denied_search_exits_4(lambda_client: Any, logs_client: Any) -> None:
    from coldstart.commands.invoke import missing_report_problem
    from coldstart.errors import ExitCode

    result = invoke_without_report(lambda_client, logs_client, "req-1", "AccessDeniedException")
    assert result.report is None
    assert result.log_search_failed is True
    problem = missing_report_problem([(result, [])], "demo")
    assert problem is not None
    message, code = problem
    assert code == ExitCode.ENVIRONMENT
    assert message.startswith(
        "cannot report the cold starts of demo: none of 1 cold invoke has a REPORT"
    )
    assert "grant logs:FilterLogEvents" in message


def test_missing_report_no_log_group_exits_3(lambda_client: Any, logs_client: Any) -> None:
    from coldstart.commands.invoke import missing_report_problem
    from coldstart.errors import ExitCode

    missing = invoke_without_report(
        lambda_client, logs_client, "req-2", "ResourceNotFoundException"
    )
    assert missing.log_search_failed is False
    with Stubber(lambda_client) as stubber:
        stubber.add_response("invoke", invoke_response(COLD_LOG, "req-cold"))
        found = invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")
    problem = missing_report_problem([(found, []), (missing, [])], "demo")
    assert problem is not None
    message, code = problem
    assert code == ExitCode.TARGET_FAILED
    assert message.startswith(
        "the cold-start figures of demo are incomplete: 1 of 2 cold invokes has no REPORT"
    )
    assert missing_report_problem([(found, [])], "demo") is None


def test_missing_report_warnings_are_singular(lambda_client: Any, logs_client: Any) -> None:
    from coldstart.commands.invoke import build_runs, cold_start_warnings

    missing = invoke_without_report(
        lambda_client, logs_client, "req-3", "ResourceNotFoundException"
    )
    with Stubber(lambda_client) as stubber:
        stubber.add_response("invoke", invoke_response(WARM_LOG, "req-warm"))
        warm = invoke_once(lambda_client, FUNCTION_ARN, None, b"{}")
    warnings = cold_start_warnings(build_runs([(missing, []), (warm, [])]), "update", 3)
    assert warnings[0].startswith("only 0 of 3 forced invokes started cold")
    assert warnings[1].startswith("1 invoke has no REPORT")
