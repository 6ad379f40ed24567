"""Render a deployed function's report in the terminal: REPORT phases, cost, failures."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from coldstart.console import counted
from coldstart.render.terminal import error_panel, format_value

# (summary key, row name, unit); the names are the REPORT fields they come from.
LAMBDA_ROWS = (
    ("init_ms", "init (Init Duration)", "ms"),
    ("first_invoke_ms", "first invoke (Duration)", "ms"),
    ("cold_start_ms", "cold start (init + first)", "ms"),
    ("warm_invoke_ms", "warm invoke (Duration)", "ms"),
    ("restore_ms", "restore (Restore Duration)", "ms"),
    ("billed_cold_ms", "billed, cold (init included)", "ms"),
    ("warm_billed_ms", "billed, warm", "ms"),
    ("max_memory_used_mib", "max memory used, cold", "MiB"),
)
STATS_COLUMNS = ("median", "p95", "min", "max", "mean", "stdev")


def summary_table(report: dict[str, Any]) -> Table | None:
    cold = report.get("cold_starts") or {}
    title = (
        f"{report['target'].get('label', '')}  "
        f"({counted(cold.get('observed', 0), 'cold start')} in "
        f"{counted(cold.get('forced', 0), 'run')}, "
        f"strategy {report['settings'].get('strategy')})"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("phase")
    table.add_column("n", justify="right")
    for column in STATS_COLUMNS:
        table.add_column(column, justify="right")
    table.add_column("unit")
    for key, name, unit in LAMBDA_ROWS:
        summary = report["summary"].get(key)
        if not summary:
            continue
        cells = [format_value(summary.get(column), unit) for column in STATS_COLUMNS]
        style = "bold" if key in ("init_ms", "cold_start_ms") else None
        table.add_row(name, str(summary["n"]), *cells, unit, style=style)
    return table if table.row_count else None


def format_usd(value: float | None) -> str:
    """Format a cost in dollars with 10 decimals always, so that figures side by side align."""
    return "-" if value is None else f"${value:.10f}"


def cost_line(report: dict[str, Any]) -> Text | None:
    cost = report.get("cost")
    if not cost:
        return None
    ratio = cost.get("cold_over_warm")
    ratio_text = f" ({ratio:.1f}x)" if ratio else ""
    prices = cost["prices"]
    return Text(
        f"cost per invoke: cold {format_usd(cost['cold_invoke_usd'])}, warm "
        f"{format_usd(cost['warm_invoke_usd'])}{ratio_text} at {cost['memory_mb']} MB "
        f"{cost['architecture']}; {prices['region']} prices read on {prices['read_on']}, "
        "an estimate"
    )


def render_lambda_terminal(report: dict[str, Any]) -> Group:
    """Return the renderable summary of a deployed function's report."""
    table = summary_table(report)
    parts: list[Any] = [table] if table is not None else [
        Text(f"{report['target'].get('label', '')}: no successful run with a REPORT line "
             "to summarise")
    ]
    line = cost_line(report)
    if line is not None:
        parts.append(line)
    failed = [run for run in report["runs"] if run["status"] != "ok"]
    if failed:
        parts.append(error_panel(failed[0]["error"], len(failed), len(report["runs"])))
    return Group(*parts)
