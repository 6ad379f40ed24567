"""`coldstart logs` on the corpus, on stdin and on CloudWatch Logs served by moto."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coldstart.lambda_api.invoker import fetch_report_from_logs
from tests.conftest import REPO, cli_environment, run_cli
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


def test_function_region_conflict_exits_2() -> None:
    result = run_cli(
        "logs", "--function", "arn:aws:lambda:eu-west-1:123456789012:function:orders",
        "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9",
    )
    assert result.returncode == 2, result.stderr
    assert "--region us-east-1 conflicts with the region eu-west-1 in --function" in result.stderr


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
    # logs has no --qualifier, so the advice may not mention one.
    assert "qualifier" not in result.stderr
    assert "check --function and --region" in result.stderr


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
    search = fetch_report_from_logs(
        client("logs", moto_url), "/aws/lambda/chatty", request_id,
        int(time.time() * 1000), attempts=2, delay_s=0.1,
    )
    parsed = search.parsed
    assert search.note is None
    assert parsed is not None
    report = parsed.report_for(request_id)
    assert report is not None
    assert report.init_ms == 297.40


def test_cut_off_report_missing_gives_note(moto_url: str) -> None:  # noqa: F811
    search = fetch_report_from_logs(
        client("logs", moto_url), "/aws/lambda/no-such-group", "req-1",
        int(time.time() * 1000), attempts=2, delay_s=0.1,
    )
    assert search.parsed is None
    assert search.note is not None
    assert search.note.startswith("FilterLogEvents on /aws/lambda/no-such-group failed")
    # A missing log group means the function wrote no log, not a failure of the caller.
    assert search.failed is False


def test_cut_off_report_not_yet_written(moto_url: str) -> None:  # noqa: F811
    put_messages(moto_url, "/aws/lambda/slow-logs", ["START RequestId: other Version: 1"])
    search = fetch_report_from_logs(
        client("logs", moto_url), "/aws/lambda/slow-logs", "req-missing",
        int(time.time() * 1000), attempts=2, delay_s=0.1,
    )
    assert search.parsed is None
    assert search.note == "a REPORT was not in /aws/lambda/slow-logs within 0.1 s of its invoke"
    assert search.failed is False


def test_insights_csv_json_messages() -> None:
    code, summary, stderr = logs_json(str(LOGS / "cloudwatch_insights_json.csv"))
    assert code == 0, stderr
    assert summary["formats"] == {"json": 3}
    assert summary["reports"]["invocations"] == 2
    assert summary["reports"]["cold_starts"] == 1
    assert summary["init_reports"]["errors_by_type"] == {"Runtime.ImportModuleError": 1}


def test_malformed_records_counted_and_named() -> None:
    code, summary, stderr = logs_json(str(LOGS / "text_malformed.log"))
    assert code == 0, stderr
    assert summary["reports"]["invocations"] == 2
    assert summary["malformed_records"] == 5
    assert summary["reports"]["warm_duration_ms"]["min"] == 2.0
    assert summary["reports"]["max_memory_used_mib"]["max"] == 60.0
    assert "left out 5 malformed records" in stderr
    assert "negative Duration 1" in stderr


def test_terminal_counts_are_singular() -> None:
    text = (
        "REPORT RequestId: 1f2e\tDuration: 2.00 ms\tBilled Duration: 2 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 41 MB\n"
        "not a platform record\n"
    )
    result = run_cli("logs", "-", input_text=text)
    assert result.returncode == 0, result.stderr
    assert "1 invocation, 0 cold starts" in result.stdout
    assert "1 record (1 text), 1 other line skipped" in result.stdout
    assert "skipped 1 line with no platform record" in result.stderr


MEASURE_RSS = (
    "import resource, sys\n"
    "from coldstart.cli import main\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "sys.stderr.write(f'\\nmaxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}')\n"
)


def max_rss_kib(path: Path) -> int:
    """Run `coldstart logs PATH` and return the maximum RSS of that process in KiB (Linux)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE_RSS, "logs", str(path)], cwd=REPO,
        env=cli_environment(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stderr.rsplit("maxrss ", 1)[1])


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_large_log_is_streamed(tmp_path: Path) -> None:
    small = tmp_path / "small.log"
    small.write_text("")
    report = (
        "2026-12-04T10:00:00.000Z REPORT RequestId: 5d4c3b2a-1f0e-4d9c-8b7a-{:012d}\t"
        "Duration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 41 MB\t\n"
    )
    large = tmp_path / "large.log"
    with large.open("w") as stream:
        for index in range(100_000):
            stream.write(report.format(index))
    no_newline = tmp_path / "binary.log"
    no_newline.write_bytes(bytes(range(1, 256)).replace(b"\n", b"") * 80_000)

    baseline = max_rss_kib(small)
    # About 20 MB of text and 100,000 REPORT records, then 20 MB with no newline:
    # only their durations and counters may stay in memory.
    assert max_rss_kib(large) - baseline < 16 * 1024
    assert max_rss_kib(no_newline) - baseline < 16 * 1024
