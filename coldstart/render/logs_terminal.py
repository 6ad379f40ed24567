"""Render the summary of `coldstart logs` in the terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from coldstart.render.lambda_terminal import counted
from coldstart.render.terminal import format_value

STATS_COLUMNS = ("n", "median", "p95", "min", "max", "mean")


def distribution_table(summary: dict[str, Any]) -> Table | None:
    reports = summary["reports"]
    rows = (
        ("Init Duration", reports["init_ms"], "ms"),
        ("Restore Duration", reports["restore_ms"], "ms"),
        ("Duration, cold", reports["cold_duration_ms"], "ms"),
        ("Duration, warm", reports["warm_duration_ms"], "ms"),
        ("INIT_REPORT Init Duration", summary["init_reports"]["init_ms"], "ms"),
        ("Max Memory Used", reports["max_memory_used_mib"], "MiB"),
    )
    table = Table(title="distribution", title_justify="left")
    table.add_column("value")
    for column in STATS_COLUMNS:
        table.add_column(column, justify="right")
    table.add_column("unit")
    for name, stats, unit in rows:
        if not stats:
            continue
        cells = [str(stats["n"])] + [
            format_value(stats.get(column), unit) for column in STATS_COLUMNS[1:]
        ]
        table.add_row(name, *cells, unit)
    return table if table.row_count else None


def counts_line(title: str, counts: dict[str, int]) -> Text:
    listed = ", ".join(f"{name} {count}" for name, count in counts.items()) or "none"
    return Text(f"{title}: {listed}")


def render_log_summary(summary: dict[str, Any]) -> Group:
    """Return the renderable summary: cold-start rate, distributions, timeouts, errors."""
    reports = summary["reports"]
    init_reports = summary["init_reports"]
    rate = reports["cold_start_rate"]
    rate_text = f"{rate:.1%}" if rate is not None else "-"
    parts: list[Any] = [
        Text(
            f"{summary['source']}: {counted(reports['invocations'], 'invocation')}, "
            f"{counted(reports['cold_starts'], 'cold start')} (cold-start rate {rate_text})",
            style="bold",
        )
    ]

    table = distribution_table(summary)
    if table is not None:
        parts.append(table)

    parts.append(Text(
        f"timeouts: {reports['invoke_timeouts']} in invoke, {init_reports['timeouts']} in init"
    ))
    parts.append(counts_line("init errors by type", init_reports["errors_by_type"]))
    parts.append(counts_line("invoke errors by type", reports["invoke_errors"]))
    parts.append(counts_line("INIT_REPORT by phase", init_reports["by_phase"]))
    if summary["restore_reports"]["count"]:
        parts.append(Text(f"RESTORE_REPORT records: {summary['restore_reports']['count']}"))
    if summary["init_starts"]["count"]:
        parts.append(counts_line("runtime versions (INIT_START)",
                                 summary["init_starts"]["runtime_versions"]))
    parts.append(Text(
        f"{summary['records']} records ({counts_text(summary['formats'])}), "
        f"{summary['unknown_lines']} other lines skipped"
    ))
    return Group(*parts)


def counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {name}" for name, count in counts.items()) or "none"
