"""The log records of one invoke, as Lambda and its Python runtime write them.

Lambda's text log format: INIT_START and INIT_REPORT around a cold start, then START, the
handler's output, END and REPORT. Fields of INIT_REPORT and REPORT are tab-separated.
With `LoggingConfig.LogFormat = JSON`, the same records are JSON lines of the Telemetry
API's event types (platform.initStart, platform.initReport, platform.start,
platform.report), and the runtime's error records are JSON too.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

# Invoke returns only the end of the log in X-Amz-Log-Result.
LOG_TAIL_BYTES = 4096


@dataclass
class InvokeRecord:
    """The measurements and output of one invoke, for its log and REPORT line."""

    request_id: str
    version: str
    memory_mb: int
    duration_ms: float = 0.0
    max_memory_used_mb: int = 0
    # Set on a cold start only.
    init_ms: float | None = None
    init_output: str = ""
    init_error: dict | None = None
    output: str = ""
    error: dict | None = None
    # "error" or "timeout" when the environment failed (Lambda's Status field).
    status: str | None = None
    runtime_version: str = ""
    runtime_version_arn: str = ""
    extra_lines: list[str] = field(default_factory=list)
    function_name: str = ""
    # "Text" or "JSON", from the function's LoggingConfig.
    log_format: str = "Text"


def format_ms(value: float) -> str:
    return f"{value:.2f}"


def billed_ms(record: InvokeRecord) -> int:
    """Return the billed duration in whole milliseconds.

    Since 1 August 2025 the init phase of an on-demand cold start is billed too (AWS
    Compute Blog, "AWS Lambda standardizes billing for INIT Phase").
    """
    total = record.duration_ms + (record.init_ms or 0.0)
    return max(1, math.ceil(total))


def report_line(record: InvokeRecord) -> str:
    fields = [
        f"REPORT RequestId: {record.request_id}",
        f"Duration: {format_ms(record.duration_ms)} ms",
        f"Billed Duration: {billed_ms(record)} ms",
        f"Memory Size: {record.memory_mb} MB",
    ]
    # Unknown when the worker died before reporting its peak: Lambda omits it then.
    if record.max_memory_used_mb:
        fields.append(f"Max Memory Used: {record.max_memory_used_mb} MB")
    if record.init_ms is not None:
        fields.append(f"Init Duration: {format_ms(record.init_ms)} ms")
    if record.status is not None:
        fields.append(f"Status: {record.status}")
        error = record.error or record.init_error
        if error is not None and record.status == "error":
            fields.append(f"Error Type: {error['type']}")
    return "\t".join(fields)


def init_report_line(record: InvokeRecord) -> str:
    error = record.init_error or {}
    status = "timeout" if error.get("type") == "Sandbox.Timedout" else "error"
    fields = [
        f"INIT_REPORT Init Duration: {format_ms(record.init_ms or 0.0)} ms",
        "Phase: init",
        f"Status: {status}",
    ]
    if status == "error":
        fields.append(f"Error Type: {error.get('type')}")
    return "\t".join(fields)


def error_lines(error: dict) -> str:
    """Return the runtime's `[ERROR]` record of an exception, with its stack trace."""
    text = f"[ERROR] {error['type']}: {error.get('message', '')}\n"
    stack = error.get("stack_trace") or []
    if stack:
        text += "Traceback (most recent call last):\n" + "".join(stack)
    return text


def ensure_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def invoke_log(record: InvokeRecord) -> str:
    """Return the whole log of one invoke, as CloudWatch Logs would store it."""
    if record.log_format == "JSON":
        return json_invoke_log(record)
    parts: list[str] = []
    if record.init_ms is not None:
        parts.append(
            f"INIT_START Runtime Version: {record.runtime_version}\t"
            f"Runtime Version ARN: {record.runtime_version_arn}\n"
        )
        parts.append(ensure_newline(record.init_output))
        if record.init_error is not None:
            if record.init_error.get("type") != "Sandbox.Timedout":
                parts.append(error_lines(record.init_error))
            parts.append(init_report_line(record) + "\n")
    parts.append(f"START RequestId: {record.request_id} Version: {record.version}\n")
    parts.append(ensure_newline(record.output))
    if record.error is not None and record.status is None:
        parts.append(error_lines(record.error))
    parts.extend(line + "\n" for line in record.extra_lines)
    parts.append(f"END RequestId: {record.request_id}\n")
    parts.append(report_line(record) + "\n")
    return "".join(parts)


def utc_time() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def platform_event(event_type: str, body: dict[str, Any]) -> str:
    return json.dumps({"time": utc_time(), "type": event_type, "record": body}) + "\n"


def json_error_record(error: dict, request_id: str) -> str:
    """Return the runtime's JSON record of an exception, as with LogFormat JSON."""
    return json.dumps({
        "timestamp": utc_time(),
        "level": "ERROR",
        "message": error.get("message", ""),
        "errorType": error["type"],
        "stackTrace": error.get("stack_trace") or [],
        "requestId": request_id,
    }) + "\n"


def init_status(error: dict | None) -> str:
    if error is None:
        return "success"
    return "timeout" if error.get("type") == "Sandbox.Timedout" else "error"


def json_init_records(record: InvokeRecord) -> list[str]:
    """Return platform.initStart, the init output and platform.initReport of a cold start."""
    parts = [
        platform_event("platform.initStart", {
            "initializationType": "on-demand", "phase": "init",
            "runtimeVersion": record.runtime_version,
            "runtimeVersionArn": record.runtime_version_arn,
            "functionName": record.function_name, "functionVersion": record.version,
        }),
        ensure_newline(record.init_output),
    ]
    error = record.init_error
    if error is not None and error.get("type") != "Sandbox.Timedout":
        parts.append(json_error_record(error, ""))
    init_report: dict[str, Any] = {
        "initializationType": "on-demand", "phase": "init", "status": init_status(error),
        "metrics": {"durationMs": round(record.init_ms or 0.0, 2)},
    }
    if error is not None and init_report["status"] == "error":
        init_report["errorType"] = error["type"]
    parts.append(platform_event("platform.initReport", init_report))
    return parts


def json_invoke_log(record: InvokeRecord) -> str:
    """Return the log of one invoke in Lambda's JSON log format."""
    parts = json_init_records(record) if record.init_ms is not None else []
    parts.append(platform_event("platform.start", {
        "requestId": record.request_id, "version": record.version,
    }))
    parts.append(ensure_newline(record.output))
    if record.error is not None and record.status is None:
        parts.append(json_error_record(record.error, record.request_id))
    parts.extend(line + "\n" for line in record.extra_lines)

    metrics: dict[str, Any] = {
        "durationMs": round(record.duration_ms, 2),
        "billedDurationMs": billed_ms(record),
        "memorySizeMB": record.memory_mb,
    }
    if record.max_memory_used_mb:
        metrics["maxMemoryUsedMB"] = record.max_memory_used_mb
    if record.init_ms is not None:
        metrics["initDurationMs"] = round(record.init_ms, 2)
    report: dict[str, Any] = {
        "requestId": record.request_id, "status": record.status or "success",
        "metrics": metrics,
    }
    error = record.error or record.init_error
    if record.status == "error" and error is not None:
        report["errorType"] = error["type"]
    parts.append(platform_event("platform.report", report))
    return "".join(parts)


def log_tail(log: str, limit: int = LOG_TAIL_BYTES) -> str:
    """Return the last `limit` bytes of the log, base64-encoded, as in X-Amz-Log-Result."""
    data = log.encode("utf-8")[-limit:]
    # Drop UTF-8 continuation bytes left at the cut, so the tail decodes cleanly.
    start = 0
    while start < len(data) and data[start] & 0xC0 == 0x80:
        start += 1
    return base64.b64encode(data[start:]).decode("ascii")
