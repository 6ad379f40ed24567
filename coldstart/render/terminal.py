"""Render a report in the terminal with rich: phase table, warnings, errors."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from coldstart.render.text import format_bytes, short_path
from coldstart.render.trees import (
    FlameNode,
    cpu_caption,
    cpu_forest,
    forest_span,
    import_forest,
)

PHASE_ROWS = (
    ("startup_ms", "startup", "ms"),
    ("import_ms", "import", "ms"),
    ("init_ms", "init", "ms"),
    ("first_invoke_ms", "first invoke", "ms"),
    ("cold_start_ms", "cold start", "ms"),
    ("warm_invoke_ms", "warm invoke", "ms"),
    ("peak_rss_mib", "peak RSS", "MiB"),
    ("gc_pause_ms", "GC pause", "ms"),
)


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "MiB":
        return f"{value:.1f}"
    if value < 1:
        return f"{value:.3f}"
    if value < 100:
        return f"{value:.2f}"
    return f"{value:.1f}"


def phase_table(report: dict[str, Any]) -> Table:
    runs = report["runs"]
    ok = sum(1 for run in runs if run["status"] == "ok")
    title = f"{report['target'].get('label', '')}  ({ok}/{len(runs)} runs ok)"
    table = Table(title=title, title_justify="left")
    table.add_column("phase")
    for column in ("n", "median", "p95", "min", "max", "mean", "stdev"):
        table.add_column(column, justify="right")
    table.add_column("unit")
    for key, name, unit in PHASE_ROWS:
        summary = report["summary"].get(key)
        if not summary:
            continue
        cells = [str(summary["n"])]
        for column in ("median", "p95", "min", "max", "mean", "stdev"):
            cells.append(format_value(summary.get(column), unit))
        style = "bold" if key in ("init_ms", "cold_start_ms") else None
        table.add_row(name, *cells, unit, style=style)
    return table


def error_panel(error: dict[str, Any], failed: int, total: int) -> Group:
    lines = [
        Text(f"{error['type']} in phase {error['phase']} ({failed}/{total} runs failed)",
             style="bold red"),
        Text(error.get("message", "")),
    ]
    if error.get("traceback"):
        lines.append(Text(error["traceback"].rstrip(), style="dim"))
    for stream in ("stdout_tail", "stderr_tail"):
        tail = error.get(stream)
        if tail:
            lines.append(Text(f"last lines of the handler's {stream.split('_')[0]}:"))
            lines.append(Text("\n".join(tail), style="dim"))
    return Group(*lines)


def gc_line(report: dict[str, Any]) -> Text | None:
    gc = report.get("gc")
    if not gc:
        return None
    collections = gc["collections"]
    return Text(
        f"GC: {collections[0]}/{collections[1]}/{collections[2]} collections "
        f"(gen 0/1/2), {gc['pause_ms']:.2f} ms paused, longest {gc['max_pause_ms']:.2f} ms"
    )


def render_terminal(report: dict[str, Any], min_ms: float | None = None) -> Group:
    """Return the renderable summary of a report: table, GC line, attribution and failures.

    Tree nodes under `min_ms` are folded into one line; None folds those under 2 % of
    each tree's total.
    """
    parts: list[Any] = []
    if any(report["summary"].get(key) for key, _, _ in PHASE_ROWS):
        parts.append(phase_table(report))
    line = gc_line(report)
    if line is not None:
        parts.append(line)
    parts.append(render_attribution(report, min_ms))
    failed = [run for run in report["runs"] if run["status"] != "ok"]
    if failed:
        parts.append(error_panel(failed[0]["error"], len(failed), len(report["runs"])))
    return Group(*parts)


# Attribution sections: trees with proportional bars, allocation lines and findings.

BAR_WIDTH = 24
BAR_EIGHTHS = " ▏▎▍▌▋▊▉"
# With no --min-ms, a tree hides nodes under this share of its total.
DEFAULT_MIN_SHARE = 0.02
TABLE_ROWS = 8
ORIGIN_STYLES = {"task-root": "bold", "third-party": "", "stdlib": "dim", "importlib": "dim"}


def proportional_bar(share: float) -> str:
    """Draw a bar of BAR_WIDTH cells in eighths of a cell."""
    eighths = round(max(0.0, min(share, 1.0)) * BAR_WIDTH * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (BAR_EIGHTHS[part] if part else "")
    return bar.ljust(BAR_WIDTH)


def pass_through_chain(node: FlameNode) -> list[FlameNode]:
    """Follow single children that carry all their parent's time, so `a → b → c` is one line."""
    chain = [node]
    while len(node.children) == 1 and node.children[0].total_ms >= node.total_ms * 0.999:
        node = node.children[0]
        chain.append(node)
    return chain


def chain_label(chain: list[FlameNode]) -> str:
    """Name each frame of a chain by its function, and give the file of the last one only
    and of module frames, which have no other name."""
    names = [node.name if node.name.startswith("<module>") else node.name.split(" (", 1)[0]
             for node in chain[:-1]]
    return " → ".join([*names, chain[-1].name])


def tree_lines(forest: list[FlameNode], min_ms: float | None, merge_chains: bool) -> list[Text]:
    """Return one line per node over the threshold (total, bar, self, indented name), then
    one line counting the nodes left out."""
    total = forest_span(forest)
    threshold = min_ms if min_ms is not None else total * DEFAULT_MIN_SHARE
    lines: list[Text] = []
    hidden = 0

    def add(nodes: list[FlameNode], depth: int) -> None:
        nonlocal hidden
        for node in sorted(nodes, key=lambda item: -item.total_ms):
            if node.total_ms < threshold:
                hidden += 1
                continue
            chain = pass_through_chain(node) if merge_chains else [node]
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{format_value(node.total_ms, 'ms'):>8} ", style="bold")
            line.append(proportional_bar(node.total_ms / total if total else 0), style="yellow")
            line.append(f" {format_value(chain[-1].self_ms, 'ms'):>7}  ", style="dim")
            line.append("  " * depth + chain_label(chain), style=ORIGIN_STYLES.get(node.origin))
            lines.append(line)
            add(chain[-1].children, depth + 1)

    add(forest, 0)
    if hidden:
        lines.append(Text(f"{hidden} more under {format_value(threshold, 'ms')} ms "
                          "(set the threshold with --min-ms)", style="dim"))
    return lines


def tree_section(title: str, forest: list[FlameNode], min_ms: float | None,
                 merge_chains: bool = False) -> Group:
    heading = Text(title, style="bold")
    columns = Text(f"{'total ms':>8} {'':<{BAR_WIDTH}} {'self ms':>7}  name", style="dim")
    return Group(Text(""), heading, columns, *tree_lines(forest, min_ms, merge_chains))


def imports_tree(report: dict[str, Any], min_ms: float | None) -> Group | None:
    imports = report.get("imports")
    forest = import_forest(imports)
    if not forest:
        return None
    title = (f"Imports at init: {imports.get('count', '?')} modules, "
             f"{format_value(imports.get('total_ms'), 'ms')} ms "
             f"({imports.get('source', 'importtime run')}; total = cumulative)")
    return tree_section(title, forest, min_ms)


def cpu_tree(report: dict[str, Any], min_ms: float | None) -> Group | None:
    hotspots = report.get("hotspots")
    forest = cpu_forest(hotspots, (report.get("target") or {}).get("root"))
    if not forest:
        return None
    title = (f"{cpu_caption(hotspots)}: {format_value(forest_span(forest), 'ms')} ms sampled, "
             "importlib frames collapsed")
    return tree_section(title, forest, min_ms, merge_chains=True)


def allocation_table(report: dict[str, Any]) -> Group | None:
    allocations = report.get("allocations")
    if not allocations or not (allocations.get("top") or allocations.get("by_package")):
        return None
    heading = Text(
        f"Allocations at init: {format_bytes(allocations.get('bytes'))} in "
        f"{allocations.get('blocks', '?')} blocks still alive at its end "
        f"({allocations.get('source', 'tracemalloc run')})", style="bold",
    )
    table = Table(box=None, pad_edge=False)
    table.add_column("package or line", style="dim", header_style="dim")
    table.add_column("blocks", justify="right", header_style="dim")
    table.add_column("size", justify="right", header_style="dim")
    for row in (allocations.get("by_package") or [])[:TABLE_ROWS]:
        table.add_row(f"{row.get('package', '?')} ({row.get('origin', '?')})",
                      str(row.get("blocks", "-")), format_bytes(row.get("bytes")))
    if allocations.get("by_package") and allocations.get("top"):
        table.add_section()
    for row in (allocations.get("top") or [])[:TABLE_ROWS]:
        table.add_row(f"{short_path(row.get('file'))}:{row.get('line', '?')}",
                      str(row.get("blocks", "-")), format_bytes(row.get("bytes")))
    return Group(Text(""), heading, table)


def findings_lines(report: dict[str, Any]) -> Group | None:
    findings = [item for item in report.get("findings") or [] if isinstance(item, dict)]
    if not findings:
        return None
    lines: list[Any] = [Text(""), Text("Findings", style="bold")]
    for finding in findings:
        warning = finding.get("severity") == "warning"
        line = Text("! " if warning else "- ", style="yellow" if warning else "cyan")
        line.append(str(finding.get("message", "")))
        if isinstance(finding.get("cost_ms"), (int, float)):
            line.append(f" ({format_value(finding['cost_ms'], 'ms')} ms)", style="dim")
        lines.append(line)
        if finding.get("fix"):
            lines.append(Text(f"  fix: {finding['fix']}", style="green"))
    return Group(*lines)


def render_attribution(report: dict[str, Any], min_ms: float | None = None) -> Group:
    """Return the attribution sections that the report has: trees, allocations, findings."""
    parts = [imports_tree(report, min_ms), cpu_tree(report, min_ms),
             allocation_table(report), findings_lines(report)]
    return Group(*(part for part in parts if part is not None))
