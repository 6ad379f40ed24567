"""Render a report in the terminal with rich: phase table, GC line, attribution, errors."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from coldstart.render.terminal_attribution import render_attribution

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
    init = (gc.get("by_phase") or {}).get("init")
    at_init = f" ({init['pause_ms']:.2f} ms of it at init)" if init else ""
    return Text(
        f"GC: {collections[0]}/{collections[1]}/{collections[2]} collections "
        f"(gen 0/1/2), {gc['pause_ms']:.2f} ms paused{at_init}, longest pause over all "
        f"runs {gc['max_pause_ms']:.2f} ms (timing runs)"
    )


def render_terminal(report: dict[str, Any], min_ms: float | None = None) -> Group:
    """Return the renderable report: table, GC line, attribution and failures.

    `min_ms` collapses import and CPU tree entries below it (default: a share of the total).
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
