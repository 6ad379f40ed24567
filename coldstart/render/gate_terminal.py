"""Render the gate's verdicts in the terminal: a rich table, then one line per detail."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from coldstart.gate.checks import CheckResult

STATUS_STYLES = {"pass": "green", "fail": "bold red", "skip": "dim", "error": "bold red"}
STATUS_LABELS = {"pass": "pass", "fail": "FAIL", "skip": "skip", "error": "ERROR"}


def render_gate_table(results: list[CheckResult], reference: str) -> Table:
    """Return the verdict table: one row per target and check."""
    title = f"coldstart gate: current against {reference}" if reference else "coldstart gate"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD,
                  show_edge=False, padding=(0, 1, 0, 0))
    # At 80 columns (a CI log) the check names keep their width and the other cells wrap
    # onto more lines, so that nothing is cut off.
    table.add_column("target", overflow="fold", min_width=8)
    table.add_column("check", no_wrap=True)
    table.add_column("verdict", no_wrap=True, min_width=7)
    for header in ("reference", "current", "change", "limit"):
        table.add_column(header, justify="right", min_width=len(header))
    for index, result in enumerate(results):
        first_of_target = index == 0 or results[index - 1].target != result.target
        last_of_target = index + 1 == len(results) or results[index + 1].target != result.target
        shown_target = result.target if first_of_target else ""
        table.add_row(
            Text(shown_target), result.check,
            Text(STATUS_LABELS[result.status], style=STATUS_STYLES[result.status]),
            result.reference, result.current, result.change, result.limit,
            end_section=last_of_target,
        )
    return table


def render_gate_details(results: list[CheckResult]) -> Text:
    """Return one line per message: intervals, new modules, reasons for skipping.

    Checks of one target that share a message (a missing reference skips four checks for
    the same reason) share one line.
    """
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for result in results:
        if result.message:
            grouped.setdefault((result.target, result.message, result.status), []).append(
                result.check)
    lines = Text()
    for (target, message, status), checks in grouped.items():
        style = STATUS_STYLES[status] if status != "pass" else None
        lines.append(f"{target} {', '.join(checks)}: ", style="bold")
        lines.append(message + "\n", style=style)
    lines.rstrip()
    return lines
