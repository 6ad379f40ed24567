"""`coldstart logs` on the corpus, on stdin and on CloudWatch Logs served by moto."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from coldstart.lambda_api.invoker import fetch_report_from_logs
from tests.conftest import run_cli
from tests.moto_server import client, moto_url  # noqa: F401

LOGS = Path(__file__).parent / "data" / "logs"


def logs_json(*args: str, input_text: str | None = None) -> tuple[int, dict, str]:
    result = run_cli("logs", *args, "--json", "-", input_text=input_text)
    summary = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.returncode, summary, result.stderr


def test_text_corpus_summary() -> None:
    code, summary, stderr = logs_json(str(LOGS / "text_init_failures.log"))
    assert code == 0, stderr
    assert summary["schema"] == "coldstart.logs/1"
    assert summary["init_reports"]["errors_by_type"]["Runtime.ImportModuleError"] == 2
    assert summary["init_reports"]["timeouts"] == 2
    assert summary["reports"]["invoke_timeouts"] == 1
    assert summary["unknown_lines"] == 2
    assert "skipped 2 lines" in stderr


def test_json_corpus_from_stdin() -> None:
    text = (LOGS / "json_format.jsonl").read_text()
    code, summary, stderr = logs_json("-", input_text=text)
    assert code == 0, stderr
    assert summary["source"] == "-"
    assert summary["formats"] == {"json": 14}
    assert summary["reports"]["invocations"] == 4
    assert summary["reports"]["cold_starts"] == 2
    assert summary["reports"]["init_ms"]["median"] == 401.77
    assert summary["reports"]["restore_ms"]["median"] == 301.5
    assert summary["init_reports"]["errors_by_type"] == {"Runtime.UserCodeSyntaxError": 1}


def test_terminal_summary_lines() -> None:
    result = run_cli("logs", str(LOGS / "text_cold_then_warm.log"))
    assert result.returncode == 0, result.stderr
    assert "3 invocations, 1 cold start (cold-start rate 33.3%)" in result.stdout
    assert "Init Duration" in result.stdout
    assert "init errors by type: none" in result.stdout


@pytest.mark.parametrize("name", sorted(path.name for path in LOGS.iterdir()))
def test_every_corpus_file_has_records(name: str) -> None:
    code, summary, stderr = logs_json(str(LOGS / name))
    assert code == 0, stderr
    assert summary["records"] > 0


def test_missing_file_exits_2() -> None:
    result = run_cli("logs", "no/such/file.log")
    assert result.returncode == 2
    assert "log file not found: no/such/file.log" in result.stderr


def test_no_source_exits_2() -> None:
    result = run_cli("logs")
    assert result.returncode == 2
    assert "missing log source" in result.stderr


def test_bad_since_exits_2(moto_url: str) -> None:  # noqa: F811
    result = run_cli("logs", "--function", "demo", "--since", "soon", "--endpoint-url", moto_url)
    assert result.returncode == 2
    assert "invalid --since 'soon'" in result.stderr


def put_messages(url: str, group: str, messages: list[str]) -> None:
    logs = client("logs", url)
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    stream = f"2026/12/04/[$LATEST]{len(messages)}{int(time.time() * 1000)}"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group, logStreamName=stream,
        logEvents=[{"timestamp": now + index, "message": message}
                   for index, message in enumerate(messages)],
    )


def test_function_reads_cloudwatch(moto_url: str) -> None:  # noqa: F811
    lines = (LOGS / "text_cold_then_warm.log").read_text().splitlines()
    put_messages(moto_url, "/aws/lambda/from-cloudwatch", lines)
    code, summary, stderr = logs_json(
        "--function", "from-cloudwatch", "--since", "1h", "--region", "us-east-1",
        "--endpoint-url", moto_url,
    )
    assert code == 0, stderr
    assert summary["source"] == "CloudWatch Logs /aws/lambda/from-cloudwatch, last 1h"
    assert summary["reports"]["invocations"] == 3
    assert summary["reports"]["cold_starts"] == 1


def test_function_without_log_group_exits_4(moto_url: str) -> None:  # noqa: F811
    result = run_cli("logs", "--function", "never-ran", "--region", "us-east-1",
                     "--endpoint-url", moto_url)
    assert result.returncode == 4
    assert "FilterLogEvents on /aws/lambda/never-ran failed" in result.stderr


def test_cut_off_report_fetched_by_request_id(moto_url: str) -> None:  # noqa: F811
    request_id = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
    put_messages(moto_url, "/aws/lambda/chatty", [
        f"START RequestId: {request_id} Version: $LATEST",
        "x" * 5000,
        f"REPORT RequestId: {request_id}\tDuration: 12.00 ms\tBilled Duration: 310 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 60 MB\tInit Duration: 297.40 ms\t",
        "REPORT RequestId: 00000000-0000-4000-8000-000000000000\tDuration: 1.00 ms\t"
        "Billed Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t",
    ])
    parsed, note = fetch_report_from_logs(
        client("logs", moto_url), "/aws/lambda/chatty", request_id,
        int(time.time() * 1000), attempts=2, delay_s=0.1,
    )
    assert note is None
    assert parsed is not None
    report = parsed.report_for(request_id)
    assert report is not None
    assert report.init_ms == 297.40


def test_cut_off_report_missing_gives_note(moto_url: str) -> None:  # noqa: F811
    parsed, note = fetch_report_from_logs(
        client("logs", moto_url), "/aws/lambda/no-such-group", "req-1",
        int(time.time() * 1000), attempts=2, delay_s=0.1,
    )
    assert parsed is None
    assert note is not None
    assert note.startswith("FilterLogEvents on /aws/lambda/no-such-group failed")


def test_cut_off_report_not_yet_written(moto_url: str) -> None:  # noqa: F811
    put_messages(moto_url, "/aws/lambda/slow-logs", ["START RequestId: other Version: 1"])
    parsed, note = fetch_report_from_logs(
        client("logs", moto_url), "/aws/lambda/slow-logs", "req-missing",
        int(time.time() * 1000), attempts=2, delay_s=0.1,
    )
    assert parsed is None
    assert note == "a REPORT was not in /aws/lambda/slow-logs within 0.1 s of its invoke"
