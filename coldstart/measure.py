"""Measure local targets: clean timing runs, interleaved across variants, into reports.

Attribution runs (one instrument each) come after every timing run, so that no
instrument can touch a timing figure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coldstart.commands.common import run_progress, work_folder
from coldstart.console import Streams
from coldstart.launcher import RunOptions, launch_series
from coldstart.model import build_report, describe_environment
from coldstart.runs import build_run
from coldstart.target import Target

if TYPE_CHECKING:
    from coldstart.attribution.runner import AttributionSettings


@dataclass
class Variant:
    """One target with its run options and the label it is shown under."""

    target: Target
    options: RunOptions
    label: str


def target_section(variant: Variant) -> dict[str, Any]:
    return {
        "kind": "local",
        "handler": variant.target.handler_string,
        "root": str(variant.target.root),
        "label": variant.label,
        "python": variant.options.python,
    }


def settings_section(options: RunOptions, runs: int) -> dict[str, Any]:
    return {
        "runs": runs,
        "warm_invokes": options.warm_invokes,
        "memory_mb": options.memory_mb,
        "timeout_s": options.timeout_s,
        "init_timeout_s": options.init_timeout_s,
        "env": options.env,
    }


def timing_runs(
    variants: list[Variant], runs: int, streams: Streams, work_dir: Path
) -> list[list[dict[str, Any]]]:
    """Run every variant `runs` times, interleaved, with no instrument but the clock."""
    pairs = [(variant.target, variant.options) for variant in variants]
    description = "timing runs" if len(variants) == 1 else f"timing runs x {len(variants)}"
    with run_progress(streams, runs * len(variants), description) as advance:
        records = launch_series(pairs, runs, work_dir, on_run=advance)
    built = []
    for variant, variant_records in zip(variants, records):
        options = variant.options
        built.append([
            build_run(index, record, options.timeout_s, options.init_timeout_s)
            for index, record in enumerate(variant_records)
        ])
    return built


def measure_variants(
    variants: list[Variant], runs: int, streams: Streams,
    attribution: AttributionSettings | None = None,
) -> list[dict[str, Any]]:
    """Measure each variant and return one report per variant, in the same order.

    With `attribution`, each variant then gets its attribution runs; without it the
    reports have timing figures only.
    """
    with work_folder() as work_dir:
        started = time.perf_counter()
        all_runs = timing_runs(variants, runs, streams, work_dir)
        timing_wall_ms = (time.perf_counter() - started) * 1000
        reports = []
        for variant, variant_runs in zip(variants, all_runs, strict=True):
            environment = describe_environment(
                variant.options.python, variant.options.memory_mb
            )
            reports.append(build_report(
                target_section(variant), environment, variant_runs,
                settings_section(variant.options, runs),
            ))
        if attribution is not None:
            attribution_runs(variants, reports, attribution, streams, work_dir)
            for report in reports:
                report["attribution"]["timing_runs_wall_ms"] = round(timing_wall_ms, 3)
    return reports


def attribution_runs(
    variants: list[Variant], reports: list[dict[str, Any]], settings: AttributionSettings,
    streams: Streams, work_dir: Path,
) -> None:
    """Add the attribution sections to each report (in place)."""
    from coldstart.attribution.runner import attribute_variant

    total = settings.run_count() * len(variants)
    with run_progress(streams, total, "attribution runs") as advance:
        for variant, report in zip(variants, reports, strict=True):
            init = report["summary"].get("init_ms")
            if not init:
                report["attribution"] = {
                    "runs": [], "notes": ["no attribution runs: every timing run failed"],
                    "sampler_error": None, "wall_ms": 0.0,
                }
                continue
            started = time.perf_counter()
            result = attribute_variant(
                variant, settings, work_dir, init["median"],
                report["environment"].get("python_version"), on_run=advance,
            )
            report.update(result.sections)
            report["attribution"] = {
                "runs": result.runs,
                "notes": result.notes,
                "sampler_error": result.sampler_error,
                "wall_ms": round((time.perf_counter() - started) * 1000, 3),
            }
