"""Render a deployed function's report as Markdown, for pull requests and CI summaries."""

from __future__ import annotations

from typing import Any

from coldstart.console import counted
from coldstart.render.lambda_terminal import LAMBDA_ROWS, STATS_COLUMNS, format_usd
from coldstart.render.terminal import format_value


def markdown_table(report: dict[str, Any]) -> list[str]:
    lines = [
        "| phase | n | " + " | ".join(STATS_COLUMNS) + " | unit |",
        "| --- | ---: | " + " | ".join("---:" for _ in STATS_COLUMNS) + " | --- |",
    ]
    for key, name, unit in LAMBDA_ROWS:
        summary = report["summary"].get(key)
        if not summary:
            continue
        cells = [format_value(summary.get(column), unit) for column in STATS_COLUMNS]
        lines.append(f"| {name} | {summary['n']} | " + " | ".join(cells) + f" | {unit} |")
    return lines


def render_lambda_markdown(report: dict[str, Any]) -> str:
    """Return the report as a Markdown section: heading, table, cost, warnings, failures."""
    target = report["target"]
    cold = report.get("cold_starts") or {}
    lines = [
        f"### Cold starts of `{target.get('label')}`",
        "",
        f"{counted(cold.get('observed', 0), 'cold start')} in "
        f"{counted(cold.get('forced', 0), 'run')} "
        f"(strategy `{report['settings'].get('strategy')}`), "
        f"{report['environment'].get('memory_mb')} MB, "
        f"{report['environment'].get('runtime') or 'unknown runtime'}.",
        "",
        *markdown_table(report),
    ]
    cost = report.get("cost")
    if cost:
        lines += [
            "",
            f"Cost per invoke (estimate, {cost['prices']['region']} prices read on "
            f"{cost['prices']['read_on']}): cold {format_usd(cost['cold_invoke_usd'])}, "
            f"warm {format_usd(cost['warm_invoke_usd'])}.",
        ]
    if report.get("warnings"):
        lines += ["", *[f"- warning: {warning}" for warning in report["warnings"]]]
    failed = [run for run in report["runs"] if run["status"] != "ok"]
    if failed:
        error = failed[0]["error"]
        lines += [
            "",
            f"**{error['type']}** in phase {error['phase']} "
            f"({len(failed)}/{len(report['runs'])} runs failed): {error.get('message', '')}",
        ]
    return "\n".join(lines) + "\n"
