"""Render a comparison as one self-contained HTML page: inline style, no script, no network."""

from __future__ import annotations

from html import escape
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

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; }
th { background: #f3f3f3; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.warning { background: #fff6d5; border-left: 4px solid #e0a800; padding: 4px 8px; }
.failed { color: #b00020; font-weight: bold; }
.better { color: #1a7f37; font-weight: bold; }
.worse { color: #b00020; font-weight: bold; }
.note { color: #555; }
"""
BETTER = {"faster", "fewer", "less"}
WORSE = {"slower", "more"}


def verdict_class(cell: dict[str, Any] | None) -> str:
    if cell is None or not cell.get("significant"):
        return "failed" if cell and cell["verdict"] == "failed" else ""
    if cell["verdict"] in BETTER:
        return "better"
    if cell["verdict"] in WORSE:
        return "worse"
    return ""


def table_html(header: list[str], rows: list[list[tuple[str, str]]]) -> str:
    """Build a table from a header and rows of (text, class) cells, escaping every text."""
    parts = ["<table>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = "".join(
            f'<td class="{escape(css)}">{escape(text)}</td>' if css else f"<td>{escape(text)}</td>"
            for text, css in row
        )
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</table>")
    return "\n".join(parts)


def metric_table_html(comparison: dict[str, Any]) -> str:
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
        cells = [(row["label"], "")]
        for index, value in enumerate(row["values"]):
            failed = variants[index]["status"] == "failed"
            cells.append(("-" if failed else format_value(value, row["unit"]), "number"))
        for index, cell in enumerate(row["comparisons"]):
            if index != reference:
                cells.append((format_comparison(cell, row["unit"]), verdict_class(cell)))
        rows.append(cells)
    return table_html(header, rows)


def render_comparison_html(comparison: dict[str, Any]) -> str:
    """Return the whole page: warnings, the metric table, failures and what changed."""
    labels = " vs ".join(variant["label"] for variant in comparison["variants"])
    body = [f"<h1>coldstart compare</h1>\n<p>{escape(labels)}</p>"]
    body.extend(f'<p class="warning">{escape(w)}</p>' for w in comparison["warnings"])
    body.append(metric_table_html(comparison))
    body.append(f'<p class="note">{escape(statistics_note(comparison))}</p>')
    body.extend(f'<p class="failed">{escape(line)}</p>' for line in failure_lines(comparison))
    module_rows = module_change_rows(comparison)
    if module_rows:
        body.append("<h2>Modules imported at init by one variant only</h2>")
        body.append(table_html(
            ["variant", "imported", "packages (modules, cumulative import time)"],
            [[(text, "") for text in row] for row in module_rows],
        ))
    allocation_rows = allocation_change_rows(comparison)
    if allocation_rows:
        reference = comparison["variants"][comparison["reference"]]["label"]
        body.append("<h2>Allocation lines whose bytes changed most</h2>")
        body.append(table_html(
            ["variant", "phase", "line", reference, "variant bytes", "change"],
            [[(text, "number" if i >= 3 else "") for i, text in enumerate(row)]
             for row in allocation_rows],
        ))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>coldstart compare: {escape(labels)}</title>\n<style>{STYLE}</style>\n"
        "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
