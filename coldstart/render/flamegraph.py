"""Render a standalone SVG flame graph: the CPU stacks (root at the bottom) above the
import icicle of init (root at the top), drawn by our own code, no external tool."""

from __future__ import annotations

from dataclasses import dataclass, field
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
from coldstart.render.trees import (
    FlameNode,
    cpu_caption,
    cpu_forest,
    forest_span,
    has_importlib,
    import_forest,
)

WIDTH = 1200
MARGIN = 10
CAPTION_HEIGHT = 44
SECTION_GAP = 24


def section(caption: str, note: str, body: str, top: float) -> str:
    return (
        f'<text class="caption" x="{MARGIN}" y="{top + 16:.0f}">{escape(caption)}</text>'
        f'<text class="note" x="{MARGIN}" y="{top + 34:.0f}">{escape(note)}</text>{body}'
    )


@dataclass
class Drawing:
    """The SVG elements drawn so far, the height they take and the frame origins used."""

    parts: list[str] = field(default_factory=list)
    top: float = 40.0
    origins: set[str] = field(default_factory=set)

    def add_graph(self, forest: list[FlameNode], caption: str, note: str, flame: bool) -> None:
        boxes = layout(forest)
        if not boxes:
            return
        frames = frame_elements(boxes, WIDTH - 2 * MARGIN, flame=flame)
        body = f'<g transform="translate({MARGIN},{self.top + CAPTION_HEIGHT:.0f})">{frames}</g>'
        self.parts.append(section(caption, note, body, self.top))
        self.top += CAPTION_HEIGHT + graph_height(boxes) + SECTION_GAP
        self.origins |= used_origins(boxes)


def draw_cpu(drawing: Drawing, report: dict[str, Any]) -> None:
    hotspots = report.get("hotspots")
    forest = cpu_forest(hotspots, (report.get("target") or {}).get("root"))
    collapsed = "; importlib's bootstrap frames collapsed into one" if has_importlib(forest) else ""
    note = (f"{format_ms(forest_span(forest))} ms sampled, root at the bottom{collapsed}; "
            "hover a frame for its times")
    if forest:
        drawing.add_graph(forest, cpu_caption(hotspots), note, flame=True)


def draw_imports(drawing: Drawing, report: dict[str, Any]) -> None:
    forest = import_forest(report.get("imports"))
    note = (f"{format_ms(forest_span(forest))} ms cumulative over {len(forest)} top-level "
            "imports; width is cumulative time, each module under the one that imported it")
    drawing.add_graph(forest, "Imports at init (-X importtime)", note, flame=False)


class FlamegraphRenderer(Renderer):
    """SVG flame graph of CPU samples and import times."""

    name = "flamegraph"
    suffixes = (".svg",)

    def render(self, report: dict[str, Any]) -> str:
        label = (report.get("target") or {}).get("label") or "target"
        drawing = Drawing()
        draw_cpu(drawing, report)
        draw_imports(drawing, report)
        if not drawing.parts:
            drawing.parts.append(
                f'<text class="note" x="{MARGIN}" y="{drawing.top + 16:.0f}">This report has '
                "no CPU samples and no import tree: profile without --timing-only.</text>"
            )
            drawing.top += 40

        legend = legend_elements(drawing.origins, MARGIN, drawing.top + 4)
        height = drawing.top + (24 if drawing.origins else 0)
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}">'
            f"<style>{STYLE}</style>"
            f'<rect width="100%" height="100%" fill="#fbfbfd"/>'
            f'<text class="caption" x="{MARGIN}" y="24" font-weight="bold">'
            f"coldstart flame graph: {escape(label)}</text>"
            f"{''.join(drawing.parts)}{legend}</svg>\n"
        )
