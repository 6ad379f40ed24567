"""The speedscope renderer: schema validity and profile contents."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from coldstart.render.speedscope import SCHEMA_URL, SpeedscopeRenderer
from tests.report_samples import (
    boto3_report,
    cpu_stacks,
    failed_report,
    imports_section,
    timing_only_report,
)

# speedscope's file format as JSON Schema, transcribed from the TypeScript definitions
# in speedscope's src/lib/file-format-spec.ts, from which its published schema is generated.
FRAME = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "file": {"type": "string"},
                   "line": {"type": "number"}, "col": {"type": "number"}},
}
UNIT = {"enum": ["none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes"]}
EVENT = {
    "type": "object",
    "required": ["type", "at", "frame"],
    "properties": {"type": {"enum": ["O", "C"]}, "at": {"type": "number"},
                   "frame": {"type": "number"}},
}
EVENTED = {
    "type": "object",
    "required": ["type", "name", "unit", "startValue", "endValue", "events"],
    "properties": {"type": {"const": "evented"}, "name": {"type": "string"}, "unit": UNIT,
                   "startValue": {"type": "number"}, "endValue": {"type": "number"},
                   "events": {"type": "array", "items": EVENT}},
}
SAMPLED = {
    "type": "object",
    "required": ["type", "name", "unit", "startValue", "endValue", "samples", "weights"],
    "properties": {"type": {"const": "sampled"}, "name": {"type": "string"}, "unit": UNIT,
                   "startValue": {"type": "number"}, "endValue": {"type": "number"},
                   "samples": {"type": "array",
                               "items": {"type": "array", "items": {"type": "number"}}},
                   "weights": {"type": "array", "items": {"type": "number"}}},
}
FILE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["$schema", "shared", "profiles"],
    "properties": {
        "$schema": {"const": SCHEMA_URL},
        "shared": {"type": "object", "required": ["frames"],
                   "properties": {"frames": {"type": "array", "items": FRAME}}},
        "profiles": {"type": "array", "items": {"oneOf": [EVENTED, SAMPLED]}},
        "name": {"type": "string"},
        "activeProfileIndex": {"type": "number"},
        "exporter": {"type": "string"},
    },
}


def render(report: dict[str, Any]) -> dict[str, Any]:
    return json.loads(SpeedscopeRenderer().render(report))


def check_events(profile: dict[str, Any], frame_count: int) -> None:
    """Check what the schema cannot say: events in time order, balanced, nested."""
    open_frames: list[int] = []
    last_at = profile["startValue"]
    for event in profile["events"]:
        assert event["at"] >= last_at - 1e-9, event
        assert 0 <= event["frame"] < frame_count, event
        last_at = event["at"]
        if event["type"] == "O":
            open_frames.append(event["frame"])
        else:
            assert open_frames.pop() == event["frame"], event
    assert open_frames == []
    assert last_at <= profile["endValue"] + 1e-9


def check_samples(profile: dict[str, Any], frame_count: int) -> None:
    assert len(profile["samples"]) == len(profile["weights"])
    for stack in profile["samples"]:
        assert stack, "a sample has no frames"
        assert all(0 <= index < frame_count for index in stack), stack
    assert all(weight > 0 for weight in profile["weights"])
    assert profile["endValue"] == pytest.approx(sum(profile["weights"]))


@pytest.mark.parametrize("build", [boto3_report, timing_only_report, failed_report])
def test_speedscope_matches_schema(build) -> None:
    document = render(build())
    jsonschema.validate(document, FILE_SCHEMA)
    frame_count = len(document["shared"]["frames"])
    assert document["profiles"], "speedscope opens no file without a profile"
    assert 0 <= document["activeProfileIndex"] < len(document["profiles"])
    for profile in document["profiles"]:
        if profile["type"] == "evented":
            check_events(profile, frame_count)
        else:
            check_samples(profile, frame_count)


def test_speedscope_has_imports_and_cpu_profiles() -> None:
    document = render(boto3_report())
    kinds = [(profile["type"], profile["name"]) for profile in document["profiles"]]
    assert kinds[0] == ("evented", "imports at init (-X importtime)")
    assert kinds[1] == ("evented", "imports during the first invoke")
    assert kinds[2][0] == "sampled"
    assert kinds[2][1].startswith("CPU (py-spy, 200 Hz")


def test_speedscope_import_times() -> None:
    document = render(boto3_report())
    imports = document["profiles"][0]
    assert imports["endValue"] == pytest.approx(imports_section()["total_ms"])
    frames = document["shared"]["frames"]
    opened = {frames[event["frame"]]["name"]: event["at"]
              for event in imports["events"] if event["type"] == "O"}
    closed = {frames[event["frame"]]["name"]: event["at"]
              for event in imports["events"] if event["type"] == "C"}
    assert closed["botocore.session"] - opened["botocore.session"] == pytest.approx(51.3)
    assert opened["boto3"] <= opened["botocore.session"]
    assert closed["botocore.session"] <= closed["boto3"]


def test_speedscope_cpu_weights() -> None:
    document = render(boto3_report())
    cpu = document["profiles"][2]
    assert sum(cpu["weights"]) == pytest.approx(sum(stack["ms"] for stack in cpu_stacks()))
    frames = document["shared"]["frames"]
    leaves = {frames[stack[-1]]["name"] for stack in cpu["samples"]}
    assert "decode" in leaves
    decode = next(frame for frame in frames if frame["name"] == "decode")
    assert decode["file"].endswith("json/decoder.py")
    assert decode["line"] == 337


def test_speedscope_without_sections() -> None:
    document = render(timing_only_report())
    assert document["shared"]["frames"] == []
    assert len(document["profiles"]) == 1
    assert document["profiles"][0]["events"] == []
