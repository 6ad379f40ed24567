"""Render a standalone SVG flame graph: the CPU stacks (root at the bottom) above the
import icicle of init (root at the top), drawn by our own code, no external tool."""

from __future__ import annotations

from html import escape
from typing import Any

from coldstart.render.base import Renderer
from coldstart.render.flame_svg import (
    STYLE,
    frame_elements,
    graph_height,
    layout,
    legend_elements,
    used_origins,
)
from coldstart.render.text import format_ms
from coldstart.render.trees import cpu_caption, cpu_forest, forest_span, import_forest

WIDTH = 1200
MARGIN = 10
CAPTION_HEIGHT = 44
SECTION_GAP = 24


def section(caption: str, note: str, body: str, top: float) -> str:
    return (
        f'<text class="caption" x="{MARGIN}" y="{top + 16:.0f}">{escape(caption)}</text>'
        f'<text class="note" x="{MARGIN}" y="{top + 34:.0f}">{escape(note)}</text>{body}'
    )


class FlamegraphRenderer(Renderer):
    """SVG flame graph of CPU samples and import times."""

    name = "flamegraph"
    suffixes = (".svg",)

    def render(self, report: dict[str, Any]) -> str:
        label = (report.get("target") or {}).get("label") or "target"
        inner = WIDTH - 2 * MARGIN
        parts: list[str] = []
        top = 40.0
        origins: set[str] = set()
        cpu = cpu_forest(report.get("hotspots"), (report.get("target") or {}).get("root"))
        boxes = layout(cpu)
        if boxes:
            note = (f"{format_ms(forest_span(cpu))} ms sampled; importlib's bootstrap frames "
                    "collapsed into one; hover a frame for its times")
            body = (f'<g transform="translate({MARGIN},{top + CAPTION_HEIGHT:.0f})">'
                    f"{frame_elements(boxes, inner, flame=True)}</g>")
            parts.append(section(cpu_caption(report["hotspots"]), note, body, top))
            top += CAPTION_HEIGHT + graph_height(boxes) + SECTION_GAP
            origins |= used_origins(boxes)
        imports = import_forest(report.get("imports"))
        boxes = layout(imports)
        if boxes:
            note = (f"{format_ms(forest_span(imports))} ms cumulative over "
                    f"{len(imports)} top-level imports; width is cumulative time")
            body = (f'<g transform="translate({MARGIN},{top + CAPTION_HEIGHT:.0f})">'
                    f"{frame_elements(boxes, inner, flame=False)}</g>")
            parts.append(section("Imports at init (-X importtime)", note, body, top))
            top += CAPTION_HEIGHT + graph_height(boxes) + SECTION_GAP
            origins |= used_origins(boxes)
        if not parts:
            parts.append(
                f'<text class="note" x="{MARGIN}" y="{top + 16:.0f}">This report has no CPU '
                "samples and no import tree: profile without --timing-only.</text>"
            )
            top += 40
        legend = legend_elements(origins, MARGIN, top + 4) if origins else ""
        height = top + (24 if origins else 0)
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}">'
            f"<style>{STYLE}</style>"
            f'<rect width="100%" height="100%" fill="#fbfbfd"/>'
            f'<text class="caption" x="{MARGIN}" y="24" font-weight="bold">'
            f"coldstart flame graph: {escape(label)}</text>"
            f"{''.join(parts)}{legend}</svg>\n"
        )
