"""Invoke a function once with `LogType=Tail` and read its REPORT from the log tail.

Invoke returns only the last 4 KB of the invocation's log, base64 encoded, in
`X-Amz-Log-Result`. When a chatty handler pushes the REPORT out of those 4 KB, the
REPORT is fetched from CloudWatch Logs by request id instead.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions

from coldstart.lambda_api.aws import aws_call, error_code, short_error
from coldstart.lambda_api.report_lines import InitReport, InvokeReport, ParsedLog, parse_text

# CloudWatch Logs usually receives the REPORT within seconds after the invoke returns.
LOG_FETCH_ATTEMPTS = 5
LOG_FETCH_DELAY_S = 2.0
# How far before the invoke the CloudWatch search starts, for clock skew.
LOG_SEARCH_MARGIN_MS = 60_000


@dataclass
class InvokeResult:
    """One invocation: its request id, REPORT, init records and any function error."""

    request_id: str | None
    status_code: int | None
    report: InvokeReport | None
    init_reports: list[InitReport] = field(default_factory=list)
    function_error: str | None = None
    error_payload: dict[str, Any] | None = None
    report_source: str = "log tail"
    wall_ms: float = 0.0
    notes: list[str] = field(default_factory=list)
    # True when the CloudWatch Logs search for a missing REPORT failed for a reason of
    # these credentials or this network (access denied, throttling, no connection).
    log_search_failed: bool = False

    @property
    def failed(self) -> bool:
        if self.function_error:
            return True
        return self.report is not None and self.report.status not in ("success", "")


def decode_log_tail(encoded: str | None) -> str:
    if not encoded:
        return ""
    try:
        return base64.b64decode(encoded).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def read_payload(response: dict[str, Any]) -> dict[str, Any] | None:
    """Return the error payload (errorType, errorMessage, stackTrace) when it is JSON."""
    stream = response.get("Payload")
    raw = stream.read() if stream is not None else b""
    try:
        payload = json.loads(raw or b"null")
    except ValueError:
        return {"errorMessage": raw.decode("utf-8", errors="replace")[:2000]}
    return payload if isinstance(payload, dict) else None


def log_group_of(configuration: dict[str, Any], name: str) -> str:
    logging_config = configuration.get("LoggingConfig") or {}
    return logging_config.get("LogGroup") or f"/aws/lambda/{name}"


@dataclass
class LogSearch:
    """The outcome of a CloudWatch Logs search for one request's records."""

    parsed: ParsedLog | None
    note: str | None = None
    # True when the call itself failed for a reason of the caller's credentials or
    # network. A missing log group is not such a failure: the function wrote no log.
    failed: bool = False


def fetch_report_from_logs(
    logs_client: Any, log_group: str, request_id: str, started_ms: int,
    attempts: int = LOG_FETCH_ATTEMPTS, delay_s: float = LOG_FETCH_DELAY_S,
) -> LogSearch:
    """Search CloudWatch Logs for the records of one request id.

    Returns the parsed records (None when none arrived) and a note when the search failed.
    Any AWS failure here leaves the invoke without a REPORT, it never stops the run.
    """
    for attempt in range(attempts):
        try:
            response = logs_client.filter_log_events(
                logGroupName=log_group,
                filterPattern=f'"{request_id}"',
                startTime=max(0, started_ms - LOG_SEARCH_MARGIN_MS),
            )
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            missing_group = (
                isinstance(error, botocore.exceptions.ClientError)
                and error_code(error) == "ResourceNotFoundException"
            )
            return LogSearch(
                None, f"FilterLogEvents on {log_group} failed ({short_error(error)})",
                failed=not missing_group,
            )
        text = "\n".join(event.get("message", "") for event in response.get("events", []))
        parsed = parse_text(text)
        if parsed.report_for(request_id) is not None:
            return LogSearch(parsed)
        if attempt + 1 < attempts:
            time.sleep(delay_s)
    waited_s = delay_s * (attempts - 1)
    # The request id is left out so that the notes of many invokes collapse into one.
    return LogSearch(None, f"a REPORT was not in {log_group} within {waited_s:g} s of its invoke")


def report_in_tail(parsed: ParsedLog, request_id: str | None) -> InvokeReport | None:
    """Return the REPORT of request_id in a log tail, else the tail's last REPORT.

    The tail contains the log of this one invocation, so a REPORT under another request id
    (an endpoint that numbers requests its own way) still belongs to it.
    """
    return parsed.report_for(request_id) or parsed.report_for(None)


def invoke_once(
    client: Any, function_name: str, qualifier: str | None, payload: bytes,
    logs_client: Any | None = None, log_group: str | None = None,
) -> InvokeResult:
    """Invoke once, synchronously, and parse the REPORT of this request."""
    arguments: dict[str, Any] = {
        "FunctionName": function_name,
        "InvocationType": "RequestResponse",
        "LogType": "Tail",
        "Payload": payload,
    }
    if qualifier:
        arguments["Qualifier"] = qualifier

    started_ms = int(time.time() * 1000)
    started = time.perf_counter()
    with aws_call("Invoke", function_name):
        response = client.invoke(**arguments)
        wall_ms = (time.perf_counter() - started) * 1000
        error_payload = read_payload(response)

    metadata = response.get("ResponseMetadata", {})
    request_id = metadata.get("RequestId") or (metadata.get("HTTPHeaders") or {}).get(
        "x-amzn-requestid"
    )
    parsed = parse_text(decode_log_tail(response.get("LogResult")))
    result = InvokeResult(
        request_id=request_id,
        status_code=response.get("StatusCode"),
        report=report_in_tail(parsed, request_id),
        init_reports=parsed.init_reports(),
        function_error=response.get("FunctionError"),
        error_payload=error_payload if response.get("FunctionError") else None,
        wall_ms=wall_ms,
    )

    if result.report is None and request_id and logs_client is not None and log_group:
        search = fetch_report_from_logs(logs_client, log_group, request_id, started_ms)
        if search.parsed is not None:
            result.report = search.parsed.report_for(request_id)
            result.init_reports = result.init_reports or search.parsed.init_reports()
            result.report_source = "CloudWatch Logs"
        if search.note:
            result.notes.append(search.note)
        result.log_search_failed = search.failed
    if result.report is None:
        result.report_source = "none"
    return result
