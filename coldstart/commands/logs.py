"""Summarise REPORT, INIT_REPORT and platform.report records from a log file or CloudWatch."""

from __future__ import annotations

import io
import itertools
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from coldstart.console import Streams, counted
from coldstart.errors import ExitCode, UsageError
from coldstart.lambda_api.log_summary import LogSummary
from coldstart.lambda_api.report_lines import export_events

SCHEMA = "coldstart.logs/1"
SINCE_PATTERN = re.compile(r"(\d+)\s*([smhdw])")
SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# FilterLogEvents returns at most this many pages, each of up to 10,000 events or 1 MB.
MAX_PAGES = 1000
# A CloudWatch Logs event is at most 1 MB (256 KB before 2025), so a longer line is no
# platform record and is skipped unread.
MAX_LINE_CHARS = 1 << 20


@dataclass
class LogsRequest:
    """Everything `coldstart logs` was asked to do."""

    source: str | None = None
    function: str | None = None
    since: str = "1h"
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    json_path: str | None = None


def parse_since(value: str) -> int:
    """Return `--since` (such as 30m, 1h, 2d) in seconds. Raises UsageError when invalid."""
    match = SINCE_PATTERN.fullmatch(value.strip())
    if match is None or int(match.group(1)) <= 0:
        raise UsageError(
            f"invalid --since {value!r}: use a positive number with s, m, h, d or w, such as 1h"
        )
    return int(match.group(1)) * SECONDS_PER_UNIT[match.group(2)]


def bounded_lines(stream: IO[str], skipped: list[int]) -> Iterator[str]:
    """Yield the lines of a text stream, skipping lines over MAX_LINE_CHARS.

    Memory stays bounded by MAX_LINE_CHARS however long a line is (a binary file may have
    no newline at all). Each skipped line adds 1 to skipped[0].
    """
    while True:
        line = stream.readline(MAX_LINE_CHARS)
        if not line:
            return
        if len(line) < MAX_LINE_CHARS or line.endswith("\n"):
            yield line
            continue
        while line and not line.endswith("\n"):
            line = stream.readline(MAX_LINE_CHARS)
        skipped[0] += 1


def summarize_stream(stream: IO[str], source: str) -> LogSummary:
    """Summarise a log read line by line, or a whole `filter-log-events` JSON document."""
    summary = LogSummary(source)
    skipped = [0]
    lines = bounded_lines(stream, skipped)
    first = next(lines, "")
    if first.strip() == "{":
        # `aws logs filter-log-events` prints one indented JSON document, which can only
        # be read whole.
        # NOTE: such a document is held in memory; line-based exports are streamed.
        events = export_events(first + "".join(lines))
        if events is not None:
            summary.add_lines(events)
        else:
            summary.unknown_lines += 1
    else:
        summary.add_lines(itertools.chain([first], lines))
    summary.unknown_lines += skipped[0]
    return summary


def read_source(source: str) -> LogSummary:
    """Summarise a log file, or stdin for `-`, without holding its records."""
    if source == "-":
        stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
        return summarize_stream(stream, source)
    try:
        with open(source, encoding="utf-8", errors="replace") as stream:
            return summarize_stream(stream, source)
    except FileNotFoundError as error:
        raise UsageError(f"log file not found: {source} (give a file, or - for stdin)") from error
    except (IsADirectoryError, PermissionError, OSError) as error:
        raise UsageError(f"cannot read log file {source}: {error}") from error


def function_log_group(lambda_client: Any, ref: Any) -> str:
    """Return the function's log group: its LoggingConfig.LogGroup, else /aws/lambda/NAME.

    Reading the configuration needs lambda:GetFunctionConfiguration, so when that call
    fails the default group name is used.
    """
    import botocore.exceptions

    from coldstart.lambda_api.invoker import log_group_of

    try:
        configuration = lambda_client.get_function_configuration(FunctionName=ref.function_name)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return f"/aws/lambda/{ref.name}"
    return log_group_of(configuration, ref.name)


def read_cloudwatch(request: LogsRequest) -> LogSummary:
    """Read the function's log group for the last `--since` with FilterLogEvents."""
    from coldstart.lambda_api.arn import parse_function_ref, region_of
    from coldstart.lambda_api.aws import AwsSettings, aws_call, make_client, make_session

    assert request.function is not None
    ref = parse_function_ref(request.function)
    seconds = parse_since(request.since)
    settings = AwsSettings(
        region=region_of(ref, request.region, "--function"), profile=request.profile,
        endpoint_url=request.endpoint_url,
    )
    session = make_session(settings)
    client = make_client(session, "logs", settings)
    log_group = function_log_group(make_client(session, "lambda", settings), ref)
    arguments: dict[str, Any] = {
        "logGroupName": log_group,
        "startTime": int((time.time() - seconds) * 1000),
    }
    summary = LogSummary(f"CloudWatch Logs {log_group}, last {request.since}")
    with aws_call("FilterLogEvents", log_group):
        for _ in range(MAX_PAGES):
            response = client.filter_log_events(**arguments)
            for event in response.get("events", []):
                summary.add_lines(str(event.get("message", "")).splitlines())
            token = response.get("nextToken")
            if not token:
                break
            arguments["nextToken"] = token
    return summary


def run(request: LogsRequest, streams: Streams) -> int:
    from coldstart.render.logs_terminal import render_log_summary

    if request.function and request.source:
        raise UsageError("give a log FILE or --function NAME, not both")
    if request.function:
        log = read_cloudwatch(request)
    elif request.source:
        log = read_source(request.source)
    else:
        raise UsageError("missing log source: give a FILE, - for stdin, or --function NAME")
    summary = {"schema": SCHEMA, **log.summary()}
    streams.print(render_log_summary(summary))
    if log.unknown_lines:
        streams.note(f"skipped {counted(log.unknown_lines, 'line')} with no platform record")
    if log.malformed_records:
        reasons = ", ".join(
            f"{reason} {count}" for reason, count in summary["malformed_by_reason"].items()
        )
        streams.warn(
            f"left out {counted(log.malformed_records, 'malformed record')} whose values "
            f"cannot be true ({reasons})"
        )
    if request.json_path:
        text = json.dumps(summary, indent=2) + "\n"
        if request.json_path == "-":
            sys.stdout.write(text)
        else:
            from coldstart.render.json_file import write_text_atomically

            write_text_atomically(Path(request.json_path), text)
            streams.note(f"wrote {request.json_path}")
    if not log.records:
        streams.warn(f"no REPORT, INIT_REPORT or platform records found in {log.source}")
    return ExitCode.OK
