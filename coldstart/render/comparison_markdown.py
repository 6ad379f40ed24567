"""Render a comparison as Markdown, ready to paste into a pull request."""

from __future__ import annotations

from typing import Any

from coldstart.render.comparison_cells import (
    allocation_change_rows,
    column_title,
    failure_lines,
    format_comparison,
    format_value,
    module_change_rows,
    statistics_note,
)


def escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    lines = ["| " + " | ".join(escape_cell(cell) for cell in header) + " |"]
    lines.append("| " + " | ".join(
        "---:" if index in right else "---" for index in range(len(header))
    ) + " |")
    for row in rows:
        lines.append("| " + " | ".join(escape_cell(cell) for cell in row) + " |")
    return lines


def metric_rows(comparison: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    variants = comparison["variants"]
    reference = comparison["reference"]
    header = ["metric"]
    header.extend(column_title(v, i == reference) for i, v in enumerate(variants))
    header.extend(
        f"{v['label']} vs {variants[reference]['label']}"
        for i, v in enumerate(variants) if i != reference
    )
    rows = []
    for row in comparison["rows"]:
        cells = [row["label"]]
        for index, value in enumerate(row["values"]):
            failed = variants[index]["status"] == "failed"
            cells.append("-" if failed else format_value(value, row["unit"]))
        for index, cell in enumerate(row["comparisons"]):
            if index == reference:
                continue
            text = format_comparison(cell, row["unit"])
            cells.append(f"**{text}**" if cell and cell.get("significant") else text)
        rows.append(cells)
    return header, rows


def render_comparison_markdown(comparison: dict[str, Any]) -> str:
    """Return the comparison as a Markdown section: warnings, table, failures, changes."""
    lines = ["### coldstart compare", ""]
    for warning in comparison["warnings"]:
        lines.append(f"> **Warning:** {warning}")
    if comparison["warnings"]:
        lines.append("")

    header, rows = metric_rows(comparison)
    right = set(range(1, 1 + len(comparison["variants"])))
    lines.extend(markdown_table(header, rows, right))
    lines.extend(["", statistics_note(comparison) + " Significant differences are in bold."])
    failures = failure_lines(comparison)
    if failures:
        lines.append("")
        lines.extend(f"- **failed:** {escape_cell(line)}" for line in failures)

    module_rows = module_change_rows(comparison)
    if module_rows:
        lines.extend(["", "#### Modules imported at init by one variant only", ""])
        lines.extend(markdown_table(
            ["variant", "imported", "packages (modules, cumulative import time)"],
            [list(row) for row in module_rows], set(),
        ))

    allocation_rows = allocation_change_rows(comparison)
    if allocation_rows:
        reference = comparison["variants"][comparison["reference"]]["label"]
        lines.extend(["", "#### Allocation lines whose bytes changed most", ""])
        lines.extend(markdown_table(
            ["variant", "phase", "line", reference, "variant bytes", "change"],
            [list(row) for row in allocation_rows], {3, 4, 5},
        ))
    return "\n".join(lines) + "\n"
