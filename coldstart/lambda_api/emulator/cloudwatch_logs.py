"""The log records of every invoke, kept for CloudWatch Logs' FilterLogEvents.

A client that finds no REPORT in the 4 KB log tail of an Invoke response searches
CloudWatch Logs by request id. The emulator keeps each invoke's log lines as log events
and serves FilterLogEvents on the same endpoint (the JSON 1.1 protocol of CloudWatch
Logs, `X-Amz-Target: Logs_20140328.FilterLogEvents`).
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from typing import Any

from coldstart.lambda_api.emulator.configuration import ApiError

# Events kept per log group; older ones are dropped.
EVENTS_PER_GROUP = 10_000
DEFAULT_LIMIT = 10_000
TERM = re.compile(r'([?-]?)(?:"([^"]*)"|(\S+))')


class LogStore:
    """Log events by log group, in the order they were written."""

    def __init__(self) -> None:
        self._groups: dict[str, deque[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._event_ids = itertools.count(1)

    def append(self, group: str, stream: str, log: str) -> None:
        """Store each line of one invoke's log as a log event."""
        now_ms = int(time.time() * 1000)
        with self._lock:
            events = self._groups.setdefault(group, deque(maxlen=EVENTS_PER_GROUP))
            for line in log.splitlines():
                events.append({
                    "logStreamName": stream,
                    "timestamp": now_ms,
                    "message": line + "\n",
                    "ingestionTime": now_ms,
                    "eventId": f"{next(self._event_ids):056d}",
                })

    def filter_events(self, request: dict[str, Any]) -> dict[str, Any]:
        """Return FilterLogEvents' response. Raises ApiError on an unknown log group."""
        group = request.get("logGroupName") or request.get("logGroupIdentifier") or ""
        with self._lock:
            if group not in self._groups:
                raise ApiError(400, "ResourceNotFoundException",
                               "The specified log group does not exist.")
            events = list(self._groups[group])
        matches = compile_filter(request.get("filterPattern") or "")
        streams = set(request.get("logStreamNames") or [])
        prefix = request.get("logStreamNamePrefix") or ""
        start = request.get("startTime")
        end = request.get("endTime")
        limit = int(request.get("limit") or DEFAULT_LIMIT)
        selected = [
            event for event in events
            if (not streams or event["logStreamName"] in streams)
            and event["logStreamName"].startswith(prefix)
            and (start is None or event["timestamp"] >= start)
            and (end is None or event["timestamp"] <= end)
            and matches(event["message"])
        ]
        searched = sorted({event["logStreamName"] for event in events})
        return {
            "events": selected[:limit],
            "searchedLogStreams": [
                {"logStreamName": name, "searchedCompletely": True} for name in searched
            ],
        }


def compile_filter(pattern: str) -> Any:
    """Return a predicate for a text filter pattern of CloudWatch Logs.

    Terms (bare or quoted) must all appear, `-term` must not appear, and when there are
    `?term` terms, at least one of them must appear. Matching is case-sensitive.
    NOTE: JSON and space-delimited patterns (`{ $.x = 1 }`, `[a, b]`) are not supported.
    """
    pattern = pattern.strip()
    if pattern.startswith(("{", "[")):
        raise ApiError(400, "InvalidParameterException",
                       "The emulator supports only text filter patterns (terms and phrases).")
    required: list[str] = []
    excluded: list[str] = []
    optional: list[str] = []
    for sign, quoted, bare in TERM.findall(pattern):
        term = quoted if quoted or not bare else bare
        {"": required, "-": excluded, "?": optional}[sign].append(term)

    def matches(message: str) -> bool:
        if any(term not in message for term in required):
            return False
        if any(term in message for term in excluded):
            return False
        return not optional or any(term in message for term in optional)

    return matches
