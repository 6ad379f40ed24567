"""Render the attribution sections in the terminal: import and CPU trees with bars,
top allocation lines, and findings with their fixes."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

BAR_WIDTH = 12
MAX_TREE_LINES = 40
MAX_INDENT = 20
# A child that carries at least this share of its parent's time continues a chain: the
# chain's middle frames are folded into one line, as deep call stacks would not fit.
CHAIN_SHARE = 0.99
DEFAULT_MIN_SHARE = 0.015
DEFAULT_MIN_MS = 0.5
TOP_ALLOCATION_LINES = 8
TOP_PACKAGES = 8
PHASE_NAMES = {"init": "init", "first_invoke": "first invoke"}


@dataclass
class TreeNode:
    """A node of a rendered tree: a label, its total and self milliseconds, its children."""

    label: str
    total_ms: float
    self_ms: float
    note: str = ""
    children: list[TreeNode] = field(default_factory=list)


def largest(roots: list[TreeNode]) -> float:
    return max((root.total_ms for root in roots), default=0.0)


def default_min_ms(roots: list[TreeNode]) -> float:
    """Return a share of the tree's total, capped so that the largest root stays shown."""
    total = sum(root.total_ms for root in roots)
    return min(max(DEFAULT_MIN_MS, DEFAULT_MIN_SHARE * total), largest(roots))


def bar(value: float, scale: float) -> str:
    """Draw a bar of BAR_WIDTH cells, in eighths, proportional to value / scale."""
    if scale <= 0:
        return " " * BAR_WIDTH
    eighths = round(max(0.0, min(1.0, value / scale)) * BAR_WIDTH * 8)
    full, rest = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[rest].strip()
    return ("█" * full + partial).ljust(BAR_WIDTH)


def fold_chain(node: TreeNode) -> tuple[TreeNode, int]:
    """Follow single children that carry almost all the time; return the last node and
    the count of frames passed over."""
    folded = 0
    while (len(node.children) == 1 and node.self_ms <= (1 - CHAIN_SHARE) * node.total_ms
           and node.children[0].children):
        node = node.children[0]
        folded += 1
    return node, folded


def fold_chains(nodes: list[TreeNode]) -> list[TreeNode]:
    """Fold each chain of frames that pass all their time to one child into its first and
    last frame, in place. The last frame's label gives the count of frames folded."""
    for node in nodes:
        last, folded = fold_chain(node)
        if folded > 1:
            between = folded - 1
            last.label = f"… {between} frame{'s' if between > 1 else ''} … {last.label}"
        if folded:
            node.children = [last]
        fold_chains(last.children)
    return nodes


def select_nodes(roots: list[TreeNode], min_ms: float, limit: int) -> set[int]:
    """Pick up to `limit` nodes of at least min_ms, largest first, each with its parents.

    Expanding the largest node next, wherever it is, keeps a deep branch from using up the
    lines before a large sibling elsewhere is shown.
    """
    order = itertools.count()
    heap = [(-root.total_ms, next(order), root) for root in roots if root.total_ms >= min_ms]
    heapq.heapify(heap)
    shown: set[int] = set()
    while heap and len(shown) < limit:
        _, _, node = heapq.heappop(heap)
        shown.add(id(node))
        for child in node.children:
            if child.total_ms >= min_ms:
                heapq.heappush(heap, (-child.total_ms, next(order), child))
    return shown


def tree_header() -> Text:
    return Text(f"{'':{BAR_WIDTH}} {'total ms':>9} {'self ms':>8}", style="dim")


def tree_lines(roots: list[TreeNode], scale: float, min_ms: float,
               fold: bool = False) -> list[Text]:
    """Render the largest nodes (at least min_ms) depth first, with proportional bars.

    A node's children that are not shown are collapsed into one line when together they
    reach min_ms. With `fold`, chains of frames that pass all their time to one child are
    folded first.
    """
    if fold:
        for root in roots:
            fold_chains(root.children)
    shown = select_nodes(roots, min_ms, MAX_TREE_LINES)
    lines: list[Text] = [tree_header()]

    def add_line(node: TreeNode, depth: int) -> None:
        line = Text(bar(node.total_ms, scale), style="magenta")
        line.append(f" {node.total_ms:9.1f} {node.self_ms:8.1f}  ")
        line.append(" " * min(depth * 2, MAX_INDENT))
        line.append(node.label, style="bold" if depth == 0 else None)
        if node.note:
            line.append(f"  {node.note}", style="dim")
        lines.append(line)

    def visit(nodes: list[TreeNode], depth: int) -> None:
        hidden_ms = 0.0
        hidden = 0
        for node in sorted(nodes, key=lambda item: item.total_ms, reverse=True):
            if id(node) not in shown:
                hidden_ms += node.total_ms
                hidden += 1
                continue
            add_line(node, depth)
            visit(node.children, depth + 1)
        if hidden and hidden_ms >= min_ms:
            line = Text(" " * BAR_WIDTH + f" {hidden_ms:9.1f} {'':8}  ", style="dim")
            line.append(" " * min(depth * 2, MAX_INDENT))
            line.append(f"… {hidden} more", style="dim")
            lines.append(line)

    visit(roots, 0)
    return lines


def import_nodes(nodes: list[dict[str, Any]]) -> list[TreeNode]:
    return [
        TreeNode(
            label=node["module"],
            total_ms=node["cumulative_ms"],
            self_ms=node["self_ms"],
            note=node["origin"] + (", cached" if node.get("cached") else ""),
            children=import_nodes(node.get("children", [])),
        )
        for node in nodes
    ]


def import_section(imports: dict[str, Any], min_ms: float | None) -> list[Any]:
    parts: list[Any] = []
    for key, title in ((None, "init"), ("invoke", "first invoke")):
        phase = imports if key is None else imports.get(key)
        if not phase or not phase.get("tree"):
            continue
        total = phase["total_ms"]
        nodes = import_nodes(phase["tree"])
        threshold = min_ms if min_ms is not None else default_min_ms(nodes)
        parts.append(Text(
            f"Imports during {title}: {phase['count']} modules, {total:.1f} ms "
            f"(from the importtime run; cumulative, then self time)", style="bold",
        ))
        parts.extend(tree_lines(nodes, max(total, largest(nodes)), threshold))
    return parts


def short_file(path: str) -> str:
    parts = PurePath(path).parts
    return "/".join(parts[-2:]) if len(parts) > 1 else path


def cpu_nodes(stacks: list[dict[str, Any]], phase: str) -> TreeNode:
    """Merge the sampled stacks of one phase into a tree keyed by function and file."""
    root = TreeNode(PHASE_NAMES.get(phase, phase), 0.0, 0.0)
    index: dict[int, dict[tuple[str, str, int | None], TreeNode]] = {}
    for stack in stacks:
        if stack["phase"] != phase:
            continue
        node = root
        node.total_ms += stack["ms"]
        for frame in stack["frames"]:
            children = index.setdefault(id(node), {})
            # Module-level code is split by line, so an import and building a client stay
            # apart. A function's samples are merged whatever line they were on.
            line = frame["line"] if frame["function"] == "<module>" else None
            key = (frame["function"], frame["file"], line)
            child = children.get(key)
            if child is None:
                place = short_file(frame["file"]) + (f":{line}" if line is not None else "")
                label = f"{frame['function']}  {place}"
                child = TreeNode(label, 0.0, 0.0)
                children[key] = child
                node.children.append(child)
            child.total_ms += stack["ms"]
            node = child
        node.self_ms += stack["ms"]
    return root


def cpu_section(hotspots: dict[str, Any], min_ms: float | None) -> list[Any]:
    stacks = hotspots.get("stacks", [])
    roots = [cpu_nodes(stacks, phase) for phase in ("init", "first_invoke")]
    roots = [root for root in roots if root.total_ms > 0]
    rate = f" at {hotspots['rate_hz']:g} Hz" if hotspots.get("rate_hz") else ""
    if not roots:
        return [Text(
            f"CPU samples: none in the handler's init or first invoke from the "
            f"{hotspots['sampler']} run{rate}: they were shorter than the sampling interval",
            style="dim",
        )]
    total = sum(root.total_ms for root in roots)
    threshold = min_ms if min_ms is not None else default_min_ms(roots)
    parts: list[Any] = [Text(
        f"CPU samples: {hotspots['samples']} from the {hotspots['sampler']} run{rate}, "
        f"{total:.1f} ms (total, then self time)", style="bold",
    )]
    parts.extend(tree_lines(roots, total, threshold, fold=True))
    return parts


def mib(size: int) -> str:
    return f"{size / (1024 * 1024):.2f}"


def allocation_section(allocations: dict[str, Any]) -> list[Any]:
    title = Text(
        f"Allocations at init, still alive at its end: {mib(allocations['bytes'])} MiB in "
        f"{allocations['blocks']} blocks (tracemalloc run, {allocations['frames']} frame(s))",
        style="bold",
    )
    table = Table()
    table.add_column("line")
    table.add_column("MiB", justify="right")
    table.add_column("blocks", justify="right")

    for entry in allocations["top"][:TOP_ALLOCATION_LINES]:
        table.add_row(f"{short_file(entry['file'])}:{entry['line']}", mib(entry["bytes"]),
                      str(entry["blocks"]))

    packages = ", ".join(
        f"{package['package']} {mib(package['bytes'])}"
        for package in allocations["by_package"][:TOP_PACKAGES]
    )
    parts: list[Any] = [title, table, Text(f"By package (MiB): {packages}")]
    if allocations["frames"] == 1:
        parts.append(Text(
            "With 1 frame, memory allocated inside the standard library (json, the import "
            "machinery) is charged to it; --alloc-frames 4 charges it to the calling package, "
            "at about 3x the cost.", style="dim",
        ))

    invoke = allocations.get("phases", {}).get("first_invoke")
    if invoke:
        parts.append(Text(
            f"First invoke: {mib(invoke['bytes'])} MiB in {invoke['blocks']} blocks still alive"
        ))
    for copy in allocations.get("copies", []):
        parts.append(Text(
            f"Copies: {copy['kind']} x{copy['calls']} in the {copy['phase'].replace('_', ' ')}, "
            f"up to {copy['bytes'] / 1024:.0f} KiB, {copy['ms']:.1f} ms"
        ))
    return parts


def findings_section(findings: list[dict[str, Any]]) -> list[Any]:
    if not findings:
        return []
    parts: list[Any] = [Text("Findings", style="bold")]
    for item in findings:
        style = "yellow" if item["severity"] == "warning" else "cyan"
        line = Text(f"{item['severity']}: ", style=style)
        line.append(item["message"])
        parts.append(line)
        parts.append(Text(f"  fix: {item['fix']}", style="dim"))
    return parts


def sources_line(report: dict[str, Any]) -> Text | None:
    """Say which kind of run each figure came from, with each instrument's init inflation."""
    attribution = report.get("attribution")
    if attribution is None:
        return None
    ok = sum(1 for run in report["runs"] if run["status"] == "ok")
    pieces = [f"timings from {ok} clean runs"]
    for run in attribution.get("runs", []):
        inflation = run.get("init_inflation")
        cost = f" (init {inflation:.1f}x the clean median)" if inflation else ""
        pieces.append(f"{run['instrument']} run{cost}")
    return Text("Sources: " + "; ".join(pieces), style="dim")


def render_attribution(report: dict[str, Any], min_ms: float | None = None) -> Group:
    """Return the attribution part of the terminal report; empty when there is none."""
    parts: list[Any] = []
    if report.get("imports"):
        parts.extend(import_section(report["imports"], min_ms))
    if report.get("hotspots"):
        parts.extend(cpu_section(report["hotspots"], min_ms))
    if report.get("allocations"):
        parts.extend(allocation_section(report["allocations"]))
    parts.extend(findings_section(report.get("findings") or []))
    line = sources_line(report)
    if line is not None:
        parts.append(line)
    return Group(*parts)
