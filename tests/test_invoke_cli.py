"""`coldstart invoke` end to end: the real CLI in a subprocess, AWS calls to moto on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest

from coldstart.errors import UsageError
from coldstart.lambda_api.arn import parse_function_ref
from coldstart.lambda_api.aws import AwsSettings, describe_aws_error, make_client
from tests.conftest import REPO, cli_environment, run_cli
from tests.moto_server import KMS_KEY_ARN, client, create_function, moto_url  # noqa: F401

ARN = "arn:aws:lambda:us-east-1:123456789012:function:{name}"


def run_without_credentials(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the CLI with an empty HOME and no AWS credentials or configuration at all."""
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith("AWS_") and key != "HOME"
    }
    env.update({
        "HOME": str(tmp_path),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "missing-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "missing-credentials"),
        "NO_COLOR": "1",
    })
    return subprocess.run(
        [sys.executable, "-m", "coldstart", *args], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("arn", [
    "arn:aws:lambda:us-east-1:1234:function:demo",
    "arn:aws:s3:::bucket",
    "arn:aws:lambda:us-east-1:123456789012:layer:demo",
    "demo:prod:extra",
    "has space",
    "x" * 65,
    "",
])
def test_bad_arn_exits_2(arn: str) -> None:
    result = run_cli("invoke", "--arn", arn, "--endpoint-url", "http://127.0.0.1:9")
    assert result.returncode == 2, result.stderr
    assert "invalid --arn" in result.stderr
    assert "arn:aws:lambda:us-east-1:123456789012:function:my-function" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--cold", "0"], "invalid --cold 0"),
    (["--warm", "-1"], "invalid --warm -1"),
    (["--strategy", "sometimes"], "invalid --strategy 'sometimes'"),
    (["--qualifier", "live"], "conflicts with the qualifier prod"),
    (["--event", "no/such/event.json"], "event file not found: no/such/event.json"),
    (["--json", "no/such/folder/report.json"], "does not exist; create it first"),
    (["--region", "eu-west-1"], "--region eu-west-1 conflicts with the region us-east-1 in --arn"),
])
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    result = run_cli("invoke", "--arn", ARN.format(name="demo") + ":prod", *args,
                     "--endpoint-url", "http://127.0.0.1:9")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_missing_credentials_exit_4(tmp_path: Path) -> None:
    result = run_without_credentials(
        tmp_path, "invoke", "--arn", ARN.format(name="demo"),
        "--endpoint-url", "http://127.0.0.1:9",
    )
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "GetFunctionConfiguration on demo failed: no AWS credentials found" in lines[0]


def test_unknown_profile_exit_4(tmp_path: Path) -> None:
    result = run_without_credentials(
        tmp_path, "invoke", "--arn", ARN.format(name="demo"), "--profile", "nobody",
        "--endpoint-url", "http://127.0.0.1:9",
    )
    assert result.returncode == 4, result.stderr
    assert "AWS profile not found: nobody" in result.stderr


def test_clients_use_standard_retries() -> None:
    settings = AwsSettings(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    lambda_client = make_client(session, "lambda", settings)
    assert lambda_client.meta.config.retries["mode"] == "standard"
    assert lambda_client.meta.config.retries["total_max_attempts"] == 5
    assert lambda_client.meta.endpoint_url == "http://127.0.0.1:9"


def test_missing_region_exit_2(tmp_path: Path) -> None:
    result = run_without_credentials(
        tmp_path, "invoke", "--arn", "demo", "--endpoint-url", "http://127.0.0.1:9",
    )
    assert result.returncode == 2, result.stderr
    assert "missing AWS region" in result.stderr


def test_function_not_found_exit_4(moto_url: str) -> None:  # noqa: F811
    result = run_cli("invoke", "--arn", ARN.format(name="absent"), "--endpoint-url", moto_url)
    assert result.returncode == 4, result.stderr
    assert "GetFunctionConfiguration on absent failed: not found" in result.stderr


def configuration_of(url: str, name: str) -> dict[str, Any]:
    return client("lambda", url).get_function_configuration(FunctionName=name)


def test_update_strategy_restores_environment(
    moto_url: str, tmp_path: Path  # noqa: F811
) -> None:
    variables = {"TABLE_NAME": "orders", "EMPTY": "", "QUOTE": "it's \"x\""}
    create_function(moto_url, "restored", variables, KMS_KEY_ARN)
    before = configuration_of(moto_url, "restored")
    report_path = tmp_path / "report.json"
    result = run_cli(
        "invoke", "--arn", ARN.format(name="restored"), "--endpoint-url", moto_url,
        "--cold", "2", "--warm", "1", "--json", str(report_path),
    )
    after = configuration_of(moto_url, "restored")
    # moto runs no code and writes no log group, so no invoke has a REPORT: missing
    # cold-start figures are the target's failure, with the report still written.
    assert result.returncode == 3, result.stderr
    assert "cannot report the cold starts of restored: none of 2 cold invokes has a REPORT" \
        in result.stderr
    assert after["Environment"] == before["Environment"]
    assert after["Environment"]["Variables"] == variables
    assert after["KMSKeyArn"] == KMS_KEY_ARN
    assert "restoring the environment of restored…\nrestored the environment of restored" \
        in result.stderr
    report = json.loads(report_path.read_text())
    assert report["interrupted"] is False
    assert report["target"]["kind"] == "lambda"
    assert report["settings"]["strategy"] == "update"
    assert len(report["runs"]) == 2
    # moto runs no code, so there is no REPORT, and the report warns of it.
    assert report["runs"][0]["report_source"] == "none"
    assert "2 invokes have no REPORT (neither in the log tail nor in CloudWatch Logs), " \
        "so their durations are missing" in report["warnings"]


def test_concurrent_strategy_changes_nothing(
    moto_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")
    create_function(moto_url, "untouched", {"A": "1"})
    before = configuration_of(moto_url, "untouched")
    markdown_path = tmp_path / "summary.md"
    result = run_cli(
        "invoke", "--arn", "untouched", "--region", "us-east-1", "--endpoint-url", moto_url,
        "--strategy", "concurrent", "--cold", "3", "--warm", "0",
        "--markdown", str(markdown_path),
    )
    after = configuration_of(moto_url, "untouched")
    assert result.returncode == 3, result.stderr
    # moto's server logs each request: no configuration write may appear.
    requests = [record.getMessage() for record in caplog.records]
    assert sum("/functions/untouched/invocations" in line for line in requests) == 3
    assert not any("PUT /2015-03-31/functions/untouched/configuration" in line
                   for line in requests)
    assert after["Environment"] == before["Environment"]
    markdown = markdown_path.read_text()
    assert markdown.startswith("### Cold starts of `untouched`")
    assert "strategy `concurrent`" in markdown


def test_json_and_markdown_both_to_stdout_exit_2() -> None:
    result = run_cli("invoke", "--arn", "demo", "--json", "-", "--markdown", "-",
                     "--endpoint-url", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "both write to stdout" in result.stderr


def client_error(code: str, status: int) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code, "Message": "message from the service"},
         "ResponseMetadata": {"HTTPStatusCode": status}},
        "Invoke",
    )


@pytest.mark.parametrize(("error", "expected"), [
    (client_error("AccessDeniedException", 403), "grant lambda:InvokeFunction to these"),
    (client_error("ResourceNotFoundException", 404), "not found (message from the service)"),
    (client_error("TooManyRequestsException", 429), "throttled (TooManyRequestsException)"),
    (botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
     "network error"),
    (botocore.exceptions.NoCredentialsError(), "no AWS credentials found"),
])
def test_aws_errors_are_one_line(error: Exception, expected: str) -> None:
    message = describe_aws_error(error, "Invoke", "demo")
    assert message.startswith("Invoke on demo failed: ")
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(("text", "name", "qualifier", "region", "account"), [
    ("demo", "demo", None, None, None),
    ("demo:prod", "demo", "prod", None, None),
    ("demo:$LATEST", "demo", "$LATEST", None, None),
    ("123456789012:function:demo", "demo", None, None, "123456789012"),
    ("123456789012:function:demo:7", "demo", "7", None, "123456789012"),
    ("arn:aws:lambda:eu-west-1:123456789012:function:demo", "demo", None, "eu-west-1",
     "123456789012"),
    ("arn:aws-cn:lambda:cn-north-1:123456789012:function:demo:live", "demo", "live",
     "cn-north-1", "123456789012"),
])
def test_function_ref_forms(
    text: str, name: str, qualifier: str | None, region: str | None, account: str | None
) -> None:
    ref = parse_function_ref(text)
    assert ref.name == name
    assert ref.qualifier == qualifier
    assert ref.region == region
    assert ref.account == account


def test_function_ref_keeps_full_arn() -> None:
    ref = parse_function_ref("arn:aws:lambda:us-east-1:123456789012:function:demo:prod")
    assert ref.function_name == "arn:aws:lambda:us-east-1:123456789012:function:demo"
    assert ref.label == "demo:prod"


def test_qualifier_option_is_validated() -> None:
    with pytest.raises(UsageError, match="invalid --qualifier"):
        parse_function_ref("demo", "not a qualifier")


def test_sigint_mid_run_restores_environment(
    moto_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")
    variables = {"TABLE_NAME": "orders"}
    create_function(moto_url, "interrupted", variables, KMS_KEY_ARN)
    env = cli_environment()
    process = subprocess.Popen(
        [sys.executable, "-m", "coldstart", "invoke", "--arn", ARN.format(name="interrupted"),
         "--endpoint-url", moto_url, "--cold", "500", "--warm", "0",
         "--json", str(tmp_path / "partial.json")],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            writes = [record.getMessage() for record in caplog.records
                      if "PUT" in record.getMessage() and "interrupted/configuration"
                      in record.getMessage()]
            if len(writes) >= 2:
                break
            time.sleep(0.05)
        assert len(writes) >= 2, "the run never updated the configuration"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()

    after = configuration_of(moto_url, "interrupted")
    assert process.returncode == 130, stderr
    assert "coldstart: error: interrupted" in stderr
    assert after["Environment"]["Variables"] == variables, stderr
    assert after["KMSKeyArn"] == KMS_KEY_ARN
    assert (tmp_path / "partial.json").exists(), stderr
    partial = json.loads((tmp_path / "partial.json").read_text())
    assert 1 <= len(partial["runs"]) < 500
    assert any("the run stopped early" in warning for warning in partial["warnings"])


class SlowUpdateLambda(http.server.BaseHTTPRequestHandler):
    """A Lambda API on 127.0.0.1 whose configuration update never finishes while the
    nonce variable is set, so that a forced cold start waits until it is interrupted."""

    variables: dict[str, str] = {"TABLE_NAME": "orders"}
    nonce_written = threading.Event()

    def configuration(self, status: str) -> dict[str, Any]:
        return {
            "FunctionName": "orders", "FunctionArn": ARN.format(name="orders"),
            "Version": "$LATEST", "MemorySize": 128, "Runtime": "python3.12",
            "Environment": {"Variables": dict(self.variables)},
            "LastUpdateStatus": status,
        }

    def send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def status(self) -> str:
        return "InProgress" if "COLDSTART_NONCE" in self.variables else "Successful"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        path = urllib.parse.unquote(self.path)
        if path.endswith("/configuration"):
            self.send(200, self.configuration(self.status()))
        elif path.startswith("/2015-03-31/functions/"):
            self.send(200, {"Configuration": self.configuration(self.status())})
        else:
            self.send(404, {"Type": "User", "Message": "not modelled"})

    def do_PUT(self) -> None:  # noqa: N802 - the name http.server calls
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        type(self).variables = dict(body["Environment"]["Variables"])
        self.send(200, self.configuration("InProgress"))
        if "COLDSTART_NONCE" in self.variables:
            self.nonce_written.set()

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def slow_update_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowUpdateLambda)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_sigint_before_first_run_writes_report(slow_update_url: str, tmp_path: Path) -> None:
    report_path = tmp_path / "partial.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "coldstart", "invoke", "--arn", ARN.format(name="orders"),
         "--endpoint-url", slow_update_url, "--cold", "2", "--warm", "0",
         "--json", str(report_path)],
        cwd=REPO, env=cli_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert SlowUpdateLambda.nonce_written.wait(60), "the run never wrote the nonce"
        # The CLI now polls GetFunction in the waiter, which never succeeds.
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 130, stderr
    assert SlowUpdateLambda.variables == {"TABLE_NAME": "orders"}
    restoring = stderr.find("restoring the environment of orders…")
    assert restoring >= 0, stderr
    assert stderr.find("restored the environment of orders") > restoring, stderr
    report = json.loads(report_path.read_text())
    assert report["runs"] == []
    assert report["interrupted"] is True
    assert "the run stopped early: 0 of 2 cold starts done" in report["warnings"]
