"""Render a report in speedscope's file format (https://www.speedscope.app/file-format-schema.json).

The import tree becomes an evented profile: each module opens when its import starts and
closes after its cumulative time, its imports laid out one after another in import
order, its own (self) time after them. The CPU stacks become a sampled profile weighted
in milliseconds. Either profile is left out when the report does not have its section.
"""

from __future__ import annotations

import json
from typing import Any

from coldstart import __version__
from coldstart.render.base import Renderer
from coldstart.render.trees import (
    FlameNode,
    cpu_caption,
    frame_key,
    import_forest,
    number,
    stack_frames,
)

SCHEMA_URL = "https://www.speedscope.app/file-format-schema.json"


class FrameTable:
    """speedscope's shared frame list, with one index per distinct frame."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.index: dict[tuple[str, str], int] = {}

    def add(self, key: tuple[str, str], frame: dict[str, Any]) -> int:
        if key not in self.index:
            self.index[key] = len(self.frames)
            self.frames.append(frame)
        return self.index[key]


def module_frame(table: FrameTable, node: FlameNode) -> int:
    return table.add(("<import>", node.name), {"name": node.name})


def import_events(
    table: FrameTable, node: FlameNode, start_ms: float, events: list[dict[str, Any]]
) -> None:
    frame = module_frame(table, node)
    events.append({"type": "O", "frame": frame, "at": start_ms})
    child_start = start_ms
    for child in node.children:
        import_events(table, child, child_start, events)
        child_start += child.span_ms()
    events.append({"type": "C", "frame": frame, "at": start_ms + node.span_ms()})


def evented_imports(table: FrameTable, forest: list[FlameNode], name: str) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    start_ms = 0.0
    for root in forest:
        import_events(table, root, start_ms, events)
        start_ms += root.span_ms()
    return {
        "type": "evented", "name": name, "unit": "milliseconds",
        "startValue": 0.0, "endValue": start_ms, "events": events,
    }


def cpu_frame(table: FrameTable, frame: dict[str, Any]) -> int:
    function, file = frame_key(frame)
    entry: dict[str, Any] = {"name": function}
    if file:
        entry["file"] = file
    if isinstance(frame.get("line"), int):
        entry["line"] = frame["line"]
    return table.add((function, file), entry)


def sampled_cpu(table: FrameTable, hotspots: dict[str, Any]) -> dict[str, Any]:
    samples: list[list[int]] = []
    weights: list[float] = []
    for stack in hotspots.get("stacks") or []:
        if not isinstance(stack, dict):
            continue
        frames = stack_frames(stack)
        milliseconds = number(stack.get("ms"))
        if not frames or milliseconds <= 0:
            continue
        samples.append([cpu_frame(table, frame) for frame in frames])
        weights.append(milliseconds)
    return {
        "type": "sampled", "name": cpu_caption(hotspots), "unit": "milliseconds",
        "startValue": 0.0, "endValue": sum(weights), "samples": samples, "weights": weights,
    }


def build_profiles(report: dict[str, Any], table: FrameTable) -> list[dict[str, Any]]:
    profiles = []
    init_imports = import_forest(report.get("imports"))
    if init_imports:
        profiles.append(evented_imports(table, init_imports, "imports at init (-X importtime)"))
    invoke_imports = import_forest(report.get("imports"), phase="invoke")
    if invoke_imports:
        profiles.append(
            evented_imports(table, invoke_imports, "imports during the first invoke")
        )
    hotspots = report.get("hotspots")
    if hotspots and hotspots.get("stacks"):
        profiles.append(sampled_cpu(table, hotspots))
    if not profiles:
        # A file without profiles may not open in speedscope, so an empty one names the reason.
        profiles.append({
            "type": "evented", "name": "no import tree or CPU samples in this report",
            "unit": "milliseconds", "startValue": 0.0, "endValue": 0.0, "events": [],
        })
    return profiles


class SpeedscopeRenderer(Renderer):
    """speedscope JSON: imports as an evented profile, CPU stacks as a sampled one."""

    name = "speedscope"
    suffixes = (".speedscope.json", ".speedscope")

    def render(self, report: dict[str, Any]) -> str:
        table = FrameTable()
        profiles = build_profiles(report, table)
        label = (report.get("target") or {}).get("label") or "target"
        document = {
            "$schema": SCHEMA_URL,
            "version": "0.0.1",
            "name": f"coldstart: {label}",
            "exporter": f"coldstart {__version__}",
            "activeProfileIndex": 0,
            "shared": {"frames": table.frames},
            "profiles": profiles,
        }
        return json.dumps(document, separators=(",", ":")) + "\n"
