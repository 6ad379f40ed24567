"""Draw a frame tree as SVG rectangles: the flame graph and icicle of the SVG and HTML reports.

Each frame is a `<g class="frame">` with its position as fractions of the graph width in
data attributes (`data-x`, `data-w`, `data-depth`), so that the HTML report's script can
zoom by rescaling them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from html import escape

from coldstart.render.text import format_ms
from coldstart.render.trees import FlameNode, forest_span

FRAME_HEIGHT = 18
FONT_SIZE = 11
# Monospace glyphs are about 0.6 em wide; labels are cut to fit with this estimate.
CHAR_WIDTH = FONT_SIZE * 0.6
# Frames narrower than this share of the graph are left out (below 0.25 px at 1200 px).
MIN_FRACTION = 0.0002

ORIGIN_HUES = {
    "task-root": (18, 80),
    "third-party": (40, 85),
    "stdlib": (200, 55),
    "importlib": (0, 0),
    "unknown": (275, 35),
    "phase": (220, 20),
}
ORIGIN_LABELS = {
    "task-root": "task root (your code)",
    "third-party": "third-party",
    "stdlib": "standard library",
    "importlib": "import system",
    "unknown": "other",
    "phase": "phase",
}

STYLE = (
    ".frame text{font:11px 'DejaVu Sans Mono',Menlo,Consolas,monospace;fill:#1d1d1f;"
    "pointer-events:none}.frame rect{stroke:#fff;stroke-width:.6}"
    ".frame:hover rect{stroke:#1d1d1f;stroke-width:1}"
    ".caption{font:13px sans-serif;fill:#1d1d1f}.note{font:12px sans-serif;fill:#555}"
)


@dataclass
class Box:
    node: FlameNode
    x: float
    width: float
    depth: int
    share: float


def frame_colour(node: FlameNode) -> str:
    hue, saturation = ORIGIN_HUES.get(node.origin, ORIGIN_HUES["unknown"])
    # A stable lightness per name distinguishes neighbours without random colours.
    lightness = 62 + zlib.crc32(node.name.encode()) % 14
    return f"hsl({hue},{saturation}%,{lightness}%)"


def layout(forest: list[FlameNode]) -> list[Box]:
    """Place every frame wide enough to see; x and width are fractions of the whole graph."""
    total = forest_span(forest)
    boxes: list[Box] = []
    if total <= 0:
        return boxes

    def place(nodes: list[FlameNode], start: float, depth: int) -> None:
        for node in nodes:
            width = node.span_ms() / total
            if width >= MIN_FRACTION:
                boxes.append(Box(node, start, width, depth, node.total_ms / total))
                place(node.children, start, depth + 1)
            start += width

    place(forest, 0.0, 0)
    return boxes


def fitted_label(label: str, width_px: float) -> str:
    """Cut a label to the frame's width, marking the cut with two dots."""
    fits = int((width_px - 6) // CHAR_WIDTH)
    if fits < 3:
        return ""
    if len(label) <= fits:
        return label
    return label[: fits - 2] + ".."


def frame_title(box: Box) -> str:
    node = box.node
    return (
        f"{node.name}\ntotal {format_ms(node.total_ms)} ms ({box.share:.1%}), "
        f"self {format_ms(node.self_ms)} ms\n{node.detail}"
    )


def frame_element(box: Box, width: float, y: float) -> str:
    x_px = box.x * width
    width_px = box.width * width
    label = fitted_label(box.node.name, width_px)
    return (
        f'<g class="frame" data-x="{box.x:.6f}" data-w="{box.width:.6f}" '
        f'data-depth="{box.depth}" data-label="{escape(box.node.name)}">'
        f"<title>{escape(frame_title(box))}</title>"
        f'<rect x="{x_px:.2f}" y="{y:.1f}" width="{max(width_px - 0.5, 0.1):.2f}" '
        f'height="{FRAME_HEIGHT - 1}" rx="2" fill="{frame_colour(box.node)}"/>'
        f'<text x="{x_px + 3:.2f}" y="{y + FRAME_HEIGHT - 5:.1f}">{escape(label)}</text></g>'
    )


def graph_height(boxes: list[Box]) -> int:
    return (max((box.depth for box in boxes), default=-1) + 1) * FRAME_HEIGHT


def frame_elements(boxes: list[Box], width: float, flame: bool, top: float = 0.0) -> str:
    """Return the frames, root at the top (icicle) or at the bottom (flame=True)."""
    height = graph_height(boxes)
    elements = []
    for box in boxes:
        row = box.depth * FRAME_HEIGHT
        y = top + (height - FRAME_HEIGHT - row if flame else row)
        elements.append(frame_element(box, width, y))
    return "".join(elements)


def flame_svg(
    forest: list[FlameNode], graph_id: str, flame: bool = True, width: int = 1200
) -> str:
    """Return one `<svg>` element for inline use in HTML; empty when the tree is empty."""
    boxes = layout(forest)
    if not boxes:
        return ""
    height = graph_height(boxes)
    orientation = "flame" if flame else "icicle"
    return (
        f'<svg class="flamegraph" id="{graph_id}" data-orientation="{orientation}" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'preserveAspectRatio="xMinYMin meet">'
        f"{frame_elements(boxes, width, flame)}</svg>"
    )


def legend_elements(origins: set[str], x: float, y: float) -> str:
    elements = []
    for origin in ORIGIN_HUES:
        if origin not in origins:
            continue
        hue, saturation = ORIGIN_HUES[origin]
        elements.append(
            f'<rect x="{x:.0f}" y="{y - 10:.0f}" width="12" height="12" rx="2" '
            f'fill="hsl({hue},{saturation}%,68%)"/>'
            f'<text class="note" x="{x + 16:.0f}" y="{y:.0f}">{ORIGIN_LABELS[origin]}</text>'
        )
        x += 30 + len(ORIGIN_LABELS[origin]) * 7
    return "".join(elements)


def used_origins(boxes: list[Box]) -> set[str]:
    return {box.node.origin for box in boxes}
