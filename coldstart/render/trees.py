"""Frame trees for the flame renderers, built from a report's import tree and CPU stacks.

Each function takes report data and returns plain `FlameNode` trees, so that the SVG,
HTML and speedscope renderers draw the same figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from coldstart.render.text import file_origin, format_ms, short_path

IMPORTLIB = "importlib"
PHASE_ORDER = {"[init]": 0, "[first invoke]": 1}


@dataclass
class FlameNode:
    """One frame of a flame graph: a module (imports) or a function (CPU), with its times."""

    name: str
    detail: str
    origin: str
    self_ms: float = 0.0
    total_ms: float = 0.0
    children: list[FlameNode] = field(default_factory=list)

    def span_ms(self) -> float:
        """Return the width to draw: the total, or the children's sum when rounding made
        the total smaller than that."""
        return max(self.total_ms, sum(child.span_ms() for child in self.children))


def number(value: Any) -> float:
    """Return a report figure as a float, counting a missing or invalid one as zero."""
    return float(value) if isinstance(value, (int, float)) else 0.0


def import_node(entry: dict[str, Any]) -> FlameNode:
    origin = entry.get("origin") or "unknown"
    cached = " (cached: counted as zero)" if entry.get("cached") else ""
    self_ms = number(entry.get("self_ms"))
    cumulative_ms = number(entry.get("cumulative_ms"))
    node = FlameNode(
        name=str(entry.get("module", "?")),
        detail=f"{origin} module{cached}, self {format_ms(self_ms)} ms",
        origin=origin,
        self_ms=self_ms,
        total_ms=cumulative_ms,
    )
    node.children = [import_node(child) for child in entry.get("children") or []
                     if isinstance(child, dict)]
    return node


def import_forest(imports: dict[str, Any] | None, phase: str = "init") -> list[FlameNode]:
    """Return the import tree of init, or of the first invoke with phase="invoke"."""
    if not imports:
        return []
    section = imports.get("invoke") if phase == "invoke" else imports
    if not isinstance(section, dict):
        return []
    return [import_node(entry) for entry in section.get("tree") or [] if isinstance(entry, dict)]


def stack_frames(stack: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a stack's frames, root first, under a `[init]` or `[first invoke]` frame when
    the stack names its phase, so that every renderer separates the phases the same way."""
    frames = [frame for frame in stack.get("frames") or [] if isinstance(frame, dict)]
    phase = stack.get("phase")
    if frames and isinstance(phase, str) and phase:
        label = phase.replace("_", " ")
        if label == "invoke":
            label = "first invoke"
        frames.insert(0, {"function": f"[{label}]", "file": "", "synthetic": True})
    return frames


def frame_key(frame: dict[str, Any]) -> tuple[str, str]:
    """Identify a frame by function and file: samples on different lines of one function
    merge, as py-spy's --nolineno does."""
    return str(frame.get("function", "?")), str(frame.get("file", ""))


def collapse_importlib(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replace each run of importlib bootstrap frames with one `importlib` frame.

    A nested import costs six or more bootstrap frames. Collapsing them keeps the chain
    of importing modules readable, and the time spent in the import system stays visible.
    """
    collapsed: list[dict[str, Any]] = []
    for frame in frames:
        is_importlib = str(frame.get("file", "")).startswith("<frozen importlib")
        if is_importlib and collapsed and collapsed[-1].get("file") == IMPORTLIB:
            continue
        collapsed.append({"function": IMPORTLIB, "file": IMPORTLIB} if is_importlib else frame)
    return collapsed


def cpu_node(frame: dict[str, Any], task_root: str | None) -> FlameNode:
    """Name a frame `function (path)`, and a module's top-level code by its path alone."""
    function, file = frame_key(frame)
    if file == IMPORTLIB:
        return FlameNode(IMPORTLIB, "importlib's bootstrap frames, collapsed", IMPORTLIB)
    if frame.get("synthetic"):
        return FlameNode(function, "every stack sampled in this phase", "phase")
    line = frame.get("line")
    location = f"{file}:{line}" if line is not None else file
    path = short_path(file, task_root)
    if function == "<module>":
        return FlameNode(path, f"<module> of {location}", file_origin(file, task_root))
    return FlameNode(f"{function} ({path})", location, file_origin(file, task_root))


def cpu_forest(
    hotspots: dict[str, Any] | None, task_root: str | None = None, merge_importlib: bool = True
) -> list[FlameNode]:
    """Merge the sampled stacks (root first) into a call tree with self and total times."""
    if not hotspots:
        return []
    roots: dict[tuple[str, str], FlameNode] = {}
    children_by_node: dict[int, dict[tuple[str, str], FlameNode]] = {}
    for stack in hotspots.get("stacks") or []:
        if not isinstance(stack, dict):
            continue
        frames = stack_frames(stack)
        if merge_importlib:
            frames = collapse_importlib(frames)
        milliseconds = number(stack.get("ms"))
        if not frames or milliseconds <= 0:
            continue
        level = roots
        node = None
        for frame in frames:
            key = frame_key(frame)
            node = level.get(key)
            if node is None:
                node = level[key] = cpu_node(frame, task_root)
                children_by_node[id(node)] = {}
            node.total_ms += milliseconds
            level = children_by_node[id(node)]
        node.self_ms += milliseconds
    # Phases in the order they happen, whichever had more samples.
    ordered = sorted(roots.values(), key=lambda root: PHASE_ORDER.get(root.name, len(PHASE_ORDER)))
    return attach_children(ordered, children_by_node)


def attach_children(
    nodes: list[FlameNode], children_by_node: dict[int, dict[tuple[str, str], FlameNode]]
) -> list[FlameNode]:
    for node in nodes:
        node.children = attach_children(list(children_by_node[id(node)].values()),
                                        children_by_node)
    return nodes


def walk(forest: Iterable[FlameNode], path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], FlameNode]]:
    """Yield (path of names from the root, node) for every node, parents first."""
    for node in forest:
        node_path = (*path, node.name)
        yield node_path, node
        yield from walk(node.children, node_path)


def has_importlib(forest: list[FlameNode]) -> bool:
    return any(node.name == IMPORTLIB for _, node in walk(forest))


def forest_span(forest: list[FlameNode]) -> float:
    return sum(node.span_ms() for node in forest)


def forest_depth(forest: list[FlameNode]) -> int:
    return max((1 + forest_depth(node.children) for node in forest), default=0)


def cpu_caption(hotspots: dict[str, Any]) -> str:
    """Name the CPU profile with its sampler, rate and sample count: `CPU (py-spy, 200 Hz)`."""
    sampler = hotspots.get("sampler") or "sampler"
    details = [f"{hotspots['rate_hz']} Hz"] if hotspots.get("rate_hz") else []
    if hotspots.get("samples") is not None:
        details.append(f"{hotspots['samples']} samples")
    suffix = f", {', '.join(details)}" if details else ""
    return f"CPU ({sampler}{suffix})"
