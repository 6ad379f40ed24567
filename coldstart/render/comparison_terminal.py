"""Render a comparison in the terminal with rich: one table, then what changed."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from coldstart.render.comparison_cells import (
    allocation_change_rows,
    column_title,
    failure_lines,
    format_comparison,
    format_value,
    module_change_rows,
    statistics_note,
)

VERDICT_STYLES = {
    "faster": "green", "fewer": "green", "less": "green",
    "slower": "red", "more": "red",
    "failed": "bold red",
}


def comparison_title(comparison: dict[str, Any]) -> str:
    variants = comparison["variants"]
    reference = variants[comparison["reference"]]
    runs = ", ".join(str(variant["runs"]) for variant in variants)
    return f"coldstart compare: against {reference['label']} (runs: {runs})"


def verdict_style(cell: dict[str, Any] | None) -> str | None:
    if cell is None:
        return "dim"
    if not cell.get("significant") and cell["verdict"] != "failed":
        return None
    return VERDICT_STYLES.get(cell["verdict"])


def metric_table(comparison: dict[str, Any]) -> Table:
    variants = comparison["variants"]
    reference = comparison["reference"]
    table = Table(title=comparison_title(comparison), title_justify="left")
    table.add_column("metric")
    for index, variant in enumerate(variants):
        table.add_column(column_title(variant, index == reference), justify="right")
    for index, variant in enumerate(variants):
        if index != reference:
            table.add_column(f"{variant['label']} vs {variants[reference]['label']}")
    for row in comparison["rows"]:
        values = [
            "-" if variants[index]["status"] == "failed" else format_value(value, row["unit"])
            for index, value in enumerate(row["values"])
        ]
        verdicts = [
            Text(format_comparison(cell, row["unit"]), style=verdict_style(cell) or "")
            for index, cell in enumerate(row["comparisons"]) if index != reference
        ]
        table.add_row(row["label"], *values, *verdicts)
    return table


def module_table(comparison: dict[str, Any]) -> Table | None:
    rows = module_change_rows(comparison)
    if not rows:
        return None
    table = Table(title="modules imported at init by one variant only", title_justify="left")
    for column in ("variant", "imported", "packages (modules, cumulative import time)"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return table


def allocation_table(comparison: dict[str, Any]) -> Table | None:
    rows = allocation_change_rows(comparison)
    if not rows:
        return None
    reference = comparison["variants"][comparison["reference"]]["label"]
    table = Table(title="allocation lines whose bytes changed most", title_justify="left")
    table.add_column("variant")
    table.add_column("phase")
    table.add_column("line")
    table.add_column(reference, justify="right")
    table.add_column("variant bytes", justify="right")
    table.add_column("change", justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def render_comparison_terminal(comparison: dict[str, Any]) -> Group:
    """Return the renderable comparison: warnings, the metric table, failures, changes."""
    parts: list[Any] = [
        Text(f"warning: {warning}", style="yellow") for warning in comparison["warnings"]
    ]
    parts.append(metric_table(comparison))
    parts.append(Text(statistics_note(comparison), style="dim"))
    parts.extend(Text(line, style="bold red") for line in failure_lines(comparison))
    for table in (module_table(comparison), allocation_table(comparison)):
        if table is not None:
            parts.append(table)
    return Group(*parts)
