"""`coldstart invoke --arn` end to end against `coldstart emulate` on a loopback port.

Both are real subprocesses and every AWS call goes through real boto3 over HTTP, with
fake credentials, to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, REPO, cli_environment, read_json, run_cli
from tests.emulator_process import Emulator, lambda_client, running_emulator

APP = str(FIXTURES / "emulate" / "app.py")
ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/e2e-test-key"
VARIABLES = {"TABLE_NAME": "orders", "KEEP_ME": "exactly this"}
# Fields an update changes by design: everything else must come back as it was.
CHANGED_BY_UPDATE = {"RevisionId", "LastModified", "ResponseMetadata"}
NONCE_VARIABLE = "COLDSTART_NONCE"
# Init Duration in a text REPORT line or a JSON platform.report record.
INIT_FIELD = re.compile(r'\tInit Duration: |"initDurationMs"')


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with running_emulator(APP, "--max-environments", "4") as running:
        yield running


def configure(client: Any, name: str, log_format: str = "Text") -> dict[str, Any]:
    """Give the function variables and a KMS key, and return its configuration."""
    client.update_function_configuration(
        FunctionName=name, Environment={"Variables": VARIABLES}, KMSKeyArn=KMS_KEY,
        Description="end-to-end test", LoggingConfig={"LogFormat": log_format},
    )
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    return client.get_function_configuration(FunctionName=name)


def comparable(configuration: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in configuration.items() if key not in CHANGED_BY_UPDATE}


def report_lines(emulator: Emulator, name: str) -> list[str]:
    """Return every REPORT line the emulator logged for the function."""
    import boto3

    logs = boto3.client(
        "logs", endpoint_url=emulator.url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    response = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}",
                                      filterPattern="?REPORT ?platform.report")
    return [event["message"] for event in response["events"]]


def invoke_cli(emulator: Emulator, name: str, tmp_path: Path, *extra: str,
               ) -> tuple[subprocess.CompletedProcess, dict[str, Any]]:
    report_path = tmp_path / f"{name}.json"
    result = run_cli(
        "invoke", "--arn", ACCOUNT_ARN + name, "--endpoint-url", emulator.url,
        "--cold", "3", "--warm", "2", "--json", str(report_path), *extra, timeout=180,
    )
    report = read_json(report_path) if report_path.exists() else {}
    return result, report


def assert_three_cold_six_warm(report: dict[str, Any], reports: list[str]) -> None:
    runs = report["runs"]
    assert len(runs) == 3
    assert all(run["cold"] for run in runs)
    assert all(run["init_ms"] > 0 for run in runs)
    assert sum(len(run["warm_invoke_ms"]) for run in runs) == 6
    assert report["summary"]["init_ms"]["n"] == 3
    assert report["summary"]["warm_invoke_ms"]["n"] == 6
    with_init = [line for line in reports if INIT_FIELD.search(line)]
    without_init = [line for line in reports if not INIT_FIELD.search(line)]
    assert len(with_init) == 3
    assert len(without_init) == 6


def assert_printed_counts(stdout: str) -> None:
    """Check the printed table: three cold starts with Init Duration, six warm invokes."""
    assert "3 cold starts" in stdout
    assert re.search(r"init \(Init Duration\)\s*[│|]\s*3\s*[│|]", stdout), stdout
    assert re.search(r"warm invoke \(Duration\)\s*[│|]\s*6\s*[│|]", stdout), stdout


@pytest.mark.parametrize(("name", "log_format"), [("demo", "Text"), ("demo-json", "JSON")])
def test_update_strategy_restores(emulator: Emulator, tmp_path: Path, name: str,
                                  log_format: str) -> None:
    client = lambda_client(emulator.url)
    before = configure(client, name, log_format)
    result, report = invoke_cli(emulator, name, tmp_path)
    after = client.get_function_configuration(FunctionName=name)
    assert result.returncode == 0, result.stderr
    assert_printed_counts(result.stdout)
    assert_three_cold_six_warm(report, report_lines(emulator, name))
    assert after["Environment"] == {"Variables": VARIABLES}
    assert after["KMSKeyArn"] == KMS_KEY
    assert comparable(after) == comparable(before)


def test_concurrent_strategy_no_change(emulator: Emulator, tmp_path: Path) -> None:
    client = lambda_client(emulator.url)
    before = configure(client, "demo-concurrent")
    result, report = invoke_cli(emulator, "demo-concurrent", tmp_path,
                                "--strategy", "concurrent")
    after = client.get_function_configuration(FunctionName="demo-concurrent")
    assert result.returncode == 0, result.stderr
    assert_printed_counts(result.stdout)
    assert_three_cold_six_warm(report, report_lines(emulator, "demo-concurrent"))
    assert after["RevisionId"] == before["RevisionId"]
    assert after == before | {"ResponseMetadata": after["ResponseMetadata"]}


def wait_for_nonce(client: Any, name: str, process: subprocess.Popen) -> None:
    """Wait until the run has written its nonce variable, the moment to interrupt it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        configuration = client.get_function_configuration(FunctionName=name)
        variables = (configuration.get("Environment") or {}).get("Variables") or {}
        if NONCE_VARIABLE in variables:
            return
        time.sleep(0.05)
    raise AssertionError("the invoke run never wrote its nonce variable")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_update_restores(emulator: Emulator, tmp_path: Path,
                                     signum: int) -> None:
    name = f"demo-interrupted-{signum}"
    client = lambda_client(emulator.url)
    before = configure(client, name)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "sleep", "seconds": 0.2}), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "coldstart", "invoke", "--arn", ACCOUNT_ARN + name,
         "--endpoint-url", emulator.url, "--cold", "50", "--warm", "2",
         "--event", str(event)],
        cwd=REPO, env=cli_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_nonce(client, name, process)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    after = client.get_function_configuration(FunctionName=name)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert after["Environment"] == {"Variables": VARIABLES}, stderr
    assert after["KMSKeyArn"] == KMS_KEY, stderr
    assert comparable(after) == comparable(before), stderr
