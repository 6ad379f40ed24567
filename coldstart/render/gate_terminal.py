"""Render the gate's verdicts in the terminal: a rich table, then one line per detail."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from coldstart.gate.checks import CheckResult

STATUS_STYLES = {"pass": "green", "fail": "bold red", "skip": "dim", "error": "bold red"}
STATUS_LABELS = {"pass": "pass", "fail": "FAIL", "skip": "skip", "error": "ERROR"}


def render_gate_table(results: list[CheckResult], reference: str) -> Table:
    """Return the verdict table: one row per target and check."""
    title = f"coldstart gate: current against {reference}" if reference else "coldstart gate"
    table = Table(title=title, title_justify="left")
    table.add_column("target")
    table.add_column("check")
    table.add_column("verdict")
    table.add_column("reference", justify="right")
    table.add_column("current", justify="right")
    table.add_column("change", justify="right")
    table.add_column("limit", justify="right")
    previous = None
    for result in results:
        shown_target = result.target if result.target != previous else ""
        previous = result.target
        table.add_row(
            Text(shown_target), result.check,
            Text(STATUS_LABELS[result.status], style=STATUS_STYLES[result.status]),
            result.reference, result.current, result.change, result.limit,
        )
    return table


def render_gate_details(results: list[CheckResult]) -> Text:
    """Return one line per check that has a message: intervals, new modules, reasons."""
    lines = Text()
    for result in results:
        if not result.message:
            continue
        style = STATUS_STYLES[result.status] if result.status != "pass" else None
        lines.append(f"{result.target} {result.check}: ", style="bold")
        lines.append(result.message + "\n", style=style)
    lines.rstrip()
    return lines
