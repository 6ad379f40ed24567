"""Render the benchmark results as docs/benchmarks.md."""

from __future__ import annotations

import statistics
from datetime import datetime, timezone

from figures import Figure
from timing import git_revision, quartiles


def spread(figure: Figure) -> str:
    """Describe the per-round ratios: min to max, and the interquartile range."""
    ratios = figure.ratios
    first, third = quartiles(ratios)
    return (
        f"{min(ratios):.3f} to {max(ratios):.3f} (middle half {first:.3f} to {third:.3f}, "
        f"{len(ratios)} rounds)"
    )


def verdict(figure: Figure) -> str:
    return "met" if figure.met else "**missed**"


def summary_row(figure: Figure) -> str:
    return (
        f"| {figure.title} | {figure.fixture} | {figure.measured_ms:.1f} | "
        f"{figure.baseline_ms:.1f} | **{figure.ratio:.3f}** | {figure.target} | "
        f"{verdict(figure)} | {spread(figure)} |"
    )


def summary_table(rows: list[Figure]) -> list[str]:
    return [
        "| figure | fixture | coldstart median (ms) | baseline median (ms) | ratio | target "
        "| verdict | per-round ratios |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | --- |",
        *(summary_row(figure) for figure in rows),
    ]


def commands_list(figure: Figure) -> list[str]:
    lines = [
        f"- {figure.title}, {figure.fixture}:",
        f"  - coldstart: `{figure.command}`",
        f"  - baseline: {figure.baseline}",
    ]
    for name, value in figure.details.items():
        lines.append(f"  - {name}: {value:.1f}" if isinstance(value, float) else
                     f"  - {name}: {value}")
    return lines


def render_page(results: dict) -> str:
    machine = results["machine"]
    measured = results["figures"]
    rows: list[Figure] = [
        *measured["overhead"], *measured["accuracy"], measured["own_startup"],
        measured["fixed_cost"],
    ]
    if "attribution_total" in measured:
        rows.append(measured["attribution_total"])
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {created}, revision {git_revision()}, in "
        f"{results['elapsed_s'] / 60:.1f} minutes.",
        "",
        f"- CPU: {machine['cpu_model']}, {machine['cores']} cores",
        f"- Python: {machine['python']} ({machine['python_path']})",
        f"- platform: {machine['platform']}",
        f"- load average (1 / 5 / 15 min): {machine['load']} at the start, "
        f"{results['load_after']} at the end",
        "",
        *summary_table(rows),
        "",
        "## Commands",
        "",
    ]
    for figure in rows:
        lines.extend(commands_list(figure))
    lines.append("")
    all_ratios = [ratio for figure in rows for ratio in figure.ratios]
    lines.append(f"median per-round ratio over all: {statistics.median(all_ratios):.3f}")
    return "\n".join(lines) + "\n"
