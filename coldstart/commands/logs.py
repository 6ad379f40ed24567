"""Summarise REPORT, INIT_REPORT and platform.report records from a log file or CloudWatch."""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coldstart.console import Streams
from coldstart.errors import ExitCode, UsageError
from coldstart.lambda_api.log_summary import summarize_log
from coldstart.lambda_api.report_lines import ParsedLog, parse_lines, parse_text

SCHEMA = "coldstart.logs/1"
SINCE_PATTERN = re.compile(r"(\d+)\s*([smhdw])")
SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# FilterLogEvents returns at most this many pages, each of up to 10,000 events or 1 MB.
MAX_PAGES = 1000


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


def read_source(source: str) -> ParsedLog:
    """Parse a log file, or stdin for `-`, line by line."""
    if source == "-":
        return parse_text(sys.stdin.read())
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError as error:
        raise UsageError(f"log file not found: {source} (give a file, or - for stdin)") from error
    except (IsADirectoryError, PermissionError, OSError) as error:
        raise UsageError(f"cannot read log file {source}: {error}") from error
    return parse_text(text)


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


def read_cloudwatch(request: LogsRequest) -> tuple[ParsedLog, str]:
    """Read the function's log group for the last `--since` with FilterLogEvents."""
    from coldstart.lambda_api.arn import parse_function_ref
    from coldstart.lambda_api.aws import AwsSettings, aws_call, make_client, make_session

    assert request.function is not None
    ref = parse_function_ref(request.function)
    seconds = parse_since(request.since)
    settings = AwsSettings(
        region=request.region or ref.region, profile=request.profile,
        endpoint_url=request.endpoint_url,
    )
    session = make_session(settings)
    client = make_client(session, "logs", settings)
    log_group = function_log_group(make_client(session, "lambda", settings), ref)
    arguments: dict[str, Any] = {
        "logGroupName": log_group,
        "startTime": int((time.time() - seconds) * 1000),
    }
    messages: list[str] = []
    with aws_call("FilterLogEvents", log_group):
        for _ in range(MAX_PAGES):
            response = client.filter_log_events(**arguments)
            for event in response.get("events", []):
                messages.extend(str(event.get("message", "")).splitlines())
            token = response.get("nextToken")
            if not token:
                break
            arguments["nextToken"] = token
    return parse_lines(messages), f"CloudWatch Logs {log_group}, last {request.since}"


def run(request: LogsRequest, streams: Streams) -> int:
    from coldstart.render.logs_terminal import render_log_summary

    if request.function and request.source:
        raise UsageError("give a log FILE or --function NAME, not both")
    if request.function:
        parsed, source = read_cloudwatch(request)
    elif request.source:
        parsed, source = read_source(request.source), request.source
    else:
        raise UsageError("missing log source: give a FILE, - for stdin, or --function NAME")
    summary = {"schema": SCHEMA, **summarize_log(parsed, source)}
    streams.print(render_log_summary(summary))
    if parsed.unknown_lines:
        streams.note(f"skipped {parsed.unknown_lines} lines that are not platform records")
    if request.json_path:
        text = json.dumps(summary, indent=2) + "\n"
        if request.json_path == "-":
            sys.stdout.write(text)
        else:
            from coldstart.render.json_file import write_text_atomically

            write_text_atomically(Path(request.json_path), text)
            streams.note(f"wrote {request.json_path}")
    if not parsed.records:
        streams.warn(f"no REPORT, INIT_REPORT or platform records found in {source}")
    return ExitCode.OK
