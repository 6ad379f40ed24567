"""Compare reports of several variants: one row per metric, ratios to the reference, verdicts.

The first report is the reference. Timings and other per-run measurements get a
significance test (Mann-Whitney U and a bootstrap interval of the ratio of medians, both
at the Bonferroni-corrected level, see `coldstart.stats.compare_values`). Deterministic
counts (modules, allocated blocks and bytes, GC collections) are compared directly.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coldstart import __version__
from coldstart.model import utc_now
from coldstart.stats import MIN_VALUES_FOR_SIGNIFICANCE, compare_values

SCHEMA = "coldstart.comparison/1"
# Family-wise significance level over the tested rows of one variant against the reference.
FAMILY_ALPHA = 0.05
# How many changed allocation lines the comparison lists per variant and phase.
ALLOCATION_LINES = 10
# Environment keys that must match for timings to be comparable.
ENVIRONMENT_KEYS = ("python_version", "implementation", "machine", "cpu_model", "cpu_count")


@dataclass(frozen=True)
class Metric:
    """One row of the comparison.

    `method` is "test" (a sample per variant, significance test), "direct" (one value per
    variant, compared within `tolerance`) or "none" (shown with its ratio, no verdict).
    `words` are the verdicts for a lower and a higher value than the reference.
    """

    key: str
    label: str
    unit: str
    method: str
    words: tuple[str, str]
    tolerance: float = 0.0
    absolute_tolerance: float = 0.0


TIME_WORDS = ("faster", "slower")
AMOUNT_WORDS = ("less", "more")
COUNT_WORDS = ("fewer", "more")

METRICS = (
    Metric("init_ms", "init (median)", "ms", "test", TIME_WORDS),
    Metric("init_p95_ms", "init (p95)", "ms", "none", TIME_WORDS),
    Metric("first_invoke_ms", "first invoke", "ms", "test", TIME_WORDS),
    Metric("warm_invoke_ms", "warm invoke", "ms", "test", TIME_WORDS),
    Metric("cold_start_ms", "cold start", "ms", "test", TIME_WORDS),
    # Two tracemalloc runs of the same code differ a little (hash randomisation changes
    # dict and set sizes): by about 0.01 % on the boto3 fixture's init, and by a few
    # blocks on a small invoke. Differences within 1 % or the absolute floor read "same".
    Metric("alloc_init_blocks", "allocated blocks, init", "count", "direct", COUNT_WORDS,
           tolerance=0.01, absolute_tolerance=10),
    Metric("alloc_init_bytes", "allocated bytes, init", "bytes", "direct", AMOUNT_WORDS,
           tolerance=0.01, absolute_tolerance=1024),
    Metric("alloc_invoke_blocks", "allocated blocks, first invoke", "count", "direct",
           COUNT_WORDS, tolerance=0.01, absolute_tolerance=10),
    Metric("alloc_invoke_bytes", "allocated bytes, first invoke", "bytes", "direct",
           AMOUNT_WORDS, tolerance=0.01, absolute_tolerance=1024),
    # Bytes allocated while deep copies and JSON round trips ran, even when freed later.
    Metric("copied_invoke_bytes", "copied bytes, first invoke", "bytes", "direct",
           AMOUNT_WORDS, tolerance=0.01, absolute_tolerance=1024),
    # Collections follow allocation counts, which vary a little with hash randomisation.
    Metric("gc_collections", "GC collections", "count", "direct", COUNT_WORDS,
           tolerance=0.10, absolute_tolerance=1),
    Metric("gc_invoke_collections", "GC collections, invokes", "count", "none", COUNT_WORDS),
    Metric("gc_pause_ms", "GC pause", "ms", "test", AMOUNT_WORDS),
    Metric("peak_rss_mib", "peak RSS", "MiB", "test", AMOUNT_WORDS),
    Metric("modules_at_init", "imported modules, init", "count", "direct", COUNT_WORDS),
)
TESTED_METRICS = tuple(metric for metric in METRICS if metric.method == "test")


def ok_runs(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [run for run in report.get("runs") or [] if run.get("status") == "ok"]


def run_field(report: dict[str, Any], key: str) -> list[float]:
    return [run[key] for run in ok_runs(report) if run.get(key) is not None]


def warm_invoke_medians(report: dict[str, Any]) -> list[float]:
    """Return one value per run: the median of its warm invokes.

    Warm invokes of one process share its state, so the run, not the invoke, is the
    independent unit the test counts.
    """
    return [
        statistics.median(run["warm_invoke_ms"])
        for run in ok_runs(report) if run.get("warm_invoke_ms")
    ]


def gc_pauses(report: dict[str, Any]) -> list[float]:
    return [run["gc"]["pause_ms"] for run in ok_runs(report) if run.get("gc")]


def gc_collection_totals(report: dict[str, Any], phases: tuple[str, ...] = ()) -> list[float]:
    """Return each run's collections of all generations, over `phases` (all when empty)."""
    totals = []
    for run in ok_runs(report):
        gc = run.get("gc")
        if not gc:
            continue
        if not phases:
            totals.append(float(sum(gc["collections"])))
            continue
        by_phase = gc.get("by_phase") or {}
        totals.append(float(sum(
            sum((by_phase.get(phase) or {}).get("collections") or [0])
            for phase in phases
        )))
    return totals


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def allocation_phase(report: dict[str, Any], phase: str) -> dict[str, Any] | None:
    """Return the allocations of one phase, or None when they were not measured.

    A report without `phases` has its init totals at the top of `allocations`.
    """
    allocations = report.get("allocations")
    if not isinstance(allocations, dict):
        return None
    phases = allocations.get("phases") or {}
    if phases.get(phase):
        return phases[phase]
    if phase == "init" and allocations.get("bytes") is not None:
        return allocations
    return None


def allocation_value(report: dict[str, Any], phase: str, field: str) -> float | None:
    section = allocation_phase(report, phase)
    if section is None or section.get(field) is None:
        return None
    return float(section[field])


def copied_bytes(report: dict[str, Any], phase: str) -> float | None:
    """Sum the bytes of the copies (deepcopy, asdict, JSON round trip) made in one phase.

    Each copy's bytes are the peak of traced memory while it ran, so a copy that is freed
    before the phase ends counts here but not in the phase's allocations.
    """
    allocations = report.get("allocations")
    if not isinstance(allocations, dict) or allocations.get("copies") is None:
        return None
    return float(sum(
        copy.get("bytes") or 0 for copy in allocations["copies"] if copy.get("phase") == phase
    ))


def modules_at_init(report: dict[str, Any]) -> float | None:
    modules = report.get("modules") or {}
    if modules.get("count_at_init") is not None:
        return float(modules["count_at_init"])
    return median_or_none([float(v) for v in run_field(report, "modules_at_init")])


def init_p95(report: dict[str, Any]) -> float | None:
    summary = (report.get("summary") or {}).get("init_ms") or {}
    return summary.get("p95")


SAMPLES: dict[str, Callable[[dict[str, Any]], list[float]]] = {
    "init_ms": lambda report: run_field(report, "init_ms"),
    "first_invoke_ms": lambda report: run_field(report, "first_invoke_ms"),
    "warm_invoke_ms": warm_invoke_medians,
    "cold_start_ms": lambda report: run_field(report, "cold_start_ms"),
    "gc_pause_ms": gc_pauses,
    "peak_rss_mib": lambda report: run_field(report, "peak_rss_mib"),
}
VALUES: dict[str, Callable[[dict[str, Any]], float | None]] = {
    "init_p95_ms": init_p95,
    "alloc_init_blocks": lambda report: allocation_value(report, "init", "blocks"),
    "alloc_init_bytes": lambda report: allocation_value(report, "init", "bytes"),
    "alloc_invoke_blocks": lambda report: allocation_value(report, "first_invoke", "blocks"),
    "alloc_invoke_bytes": lambda report: allocation_value(report, "first_invoke", "bytes"),
    "copied_invoke_bytes": lambda report: copied_bytes(report, "first_invoke"),
    "gc_collections": lambda report: median_or_none(gc_collection_totals(report)),
    "gc_invoke_collections": lambda report: median_or_none(
        gc_collection_totals(report, ("first_invoke", "warm_invoke"))
    ),
    "modules_at_init": modules_at_init,
}


def variant_failed(report: dict[str, Any]) -> bool:
    """True when no run of the variant succeeded."""
    return not ok_runs(report)


def ratio_of(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None or reference <= 0:
        return None
    return value / reference


def tested_cell(metric: Metric, reference: list[float], changed: list[float],
                alpha: float) -> dict[str, Any]:
    """Compare two samples with the significance test at the corrected level alpha."""
    if not reference or not changed:
        return {"verdict": "not measured", "significant": False}
    result = compare_values(reference, changed, alpha=alpha)
    verdict = result.verdict
    if verdict == "faster":
        verdict = metric.words[0]
    elif verdict == "slower":
        verdict = metric.words[1]
    return {
        "ratio": finite_or_none(result.ratio),
        "low": finite_or_none(result.low),
        "high": finite_or_none(result.high),
        "p_value": finite_or_none(result.p_value),
        "significant": result.significant,
        "verdict": verdict,
    }


def direct_cell(metric: Metric, reference: float | None, value: float | None) -> dict[str, Any]:
    """Compare two single values, counting a difference within the tolerance as the same."""
    if reference is None or value is None:
        return {"verdict": "not measured", "significant": False}
    difference = value - reference
    scale = max(abs(reference), abs(value))
    within = abs(difference) <= max(metric.absolute_tolerance, metric.tolerance * scale)
    if within:
        verdict = "same"
    else:
        verdict = metric.words[1] if difference > 0 else metric.words[0]
    return {
        "ratio": ratio_of(value, reference),
        "difference": difference,
        "significant": not within,
        "verdict": verdict,
    }


def untested_cell(metric: Metric, reference: float | None, value: float | None) -> dict[str, Any]:
    if reference is None or value is None:
        reason = "needs 20 runs" if metric.key == "init_p95_ms" else "not measured"
        return {"verdict": reason, "significant": False}
    return {"ratio": ratio_of(value, reference), "significant": False, "verdict": "no test"}


def finite_or_none(value: float) -> float | None:
    return None if value is None or math.isnan(value) or math.isinf(value) else value


def build_row(metric: Metric, reports: list[dict[str, Any]], reference: int,
              alpha: float) -> dict[str, Any]:
    """Build one row: the metric's value for each variant and each against the reference."""
    if metric.method == "test":
        samples = [SAMPLES[metric.key](report) for report in reports]
        values = [median_or_none(sample) for sample in samples]
    else:
        samples = None
        values = [VALUES[metric.key](report) for report in reports]
    comparisons: list[dict[str, Any] | None] = []
    for index, report in enumerate(reports):
        if index == reference:
            comparisons.append(None)
        elif variant_failed(report):
            comparisons.append({"verdict": "failed", "significant": False})
        elif metric.method == "test":
            assert samples is not None
            comparisons.append(tested_cell(metric, samples[reference], samples[index], alpha))
        elif metric.method == "direct":
            comparisons.append(direct_cell(metric, values[reference], values[index]))
        else:
            comparisons.append(untested_cell(metric, values[reference], values[index]))
    return {
        "metric": metric.key,
        "label": metric.label,
        "unit": metric.unit,
        "method": metric.method,
        "values": values,
        "n": [len(sample) for sample in samples] if samples is not None else None,
        "comparisons": comparisons,
    }


def import_times(report: dict[str, Any]) -> dict[str, float]:
    """Return the cumulative import time per module, from the importtime run if there was one."""
    imports = report.get("imports")
    if not isinstance(imports, dict):
        return {}
    times: dict[str, float] = {}
    stack = list(imports.get("tree") or [])
    while stack:
        node = stack.pop()
        if node.get("module") and node.get("cumulative_ms") is not None:
            times.setdefault(node["module"], node["cumulative_ms"])
        stack.extend(node.get("children") or [])
    for entry in imports.get("top") or []:
        if entry.get("module") and entry.get("cumulative_ms") is not None:
            times.setdefault(entry["module"], entry["cumulative_ms"])
    return times


def module_names(report: dict[str, Any]) -> set[str] | None:
    names = (report.get("modules") or {}).get("names_at_init")
    return set(names) if names is not None else None


def group_by_package(names: set[str], times: dict[str, float]) -> list[dict[str, Any]]:
    """Group module names by top-level package, costliest first, then by module count."""
    packages: dict[str, list[str]] = {}
    for name in names:
        packages.setdefault(name.split(".")[0], []).append(name)
    grouped = [
        {"package": package, "modules": len(members),
         "cumulative_ms": times.get(package)}
        for package, members in packages.items()
    ]
    grouped.sort(key=lambda g: (-(g["cumulative_ms"] or 0.0), -g["modules"], g["package"]))
    return grouped


def module_changes(reference: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any] | None:
    """List the modules imported at init by one variant and not the other, by name."""
    reference_names = module_names(reference)
    variant_names = module_names(variant)
    if reference_names is None or variant_names is None:
        return None
    added = variant_names - reference_names
    removed = reference_names - variant_names
    return {
        "added": sorted(added),
        "removed": sorted(removed),
        "added_packages": group_by_package(added, import_times(variant)),
        "removed_packages": group_by_package(removed, import_times(reference)),
    }


def allocation_lines(report: dict[str, Any], phase: str) -> dict[tuple[str, int], int]:
    section = allocation_phase(report, phase)
    if section is None:
        return {}
    lines = {}
    for entry in section.get("top") or []:
        if entry.get("file") is not None and entry.get("bytes") is not None:
            lines[(entry["file"], entry.get("line") or 0)] = int(entry["bytes"])
    return lines


def allocation_changes(reference: dict[str, Any], variant: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the allocation lines whose bytes changed most, per phase.

    A line outside one report's top list counts as 0 bytes there, so a change near the
    end of a top list can be overstated.
    """
    changes = []
    for phase in ("init", "first_invoke"):
        before = allocation_lines(reference, phase)
        after = allocation_lines(variant, phase)
        if not before and not after:
            continue
        rows = [
            {"phase": phase, "file": file, "line": line,
             "reference_bytes": before.get((file, line), 0),
             "bytes": after.get((file, line), 0),
             "change_bytes": after.get((file, line), 0) - before.get((file, line), 0)}
            for file, line in set(before) | set(after)
        ]
        rows = [row for row in rows if row["change_bytes"] != 0]
        rows.sort(key=lambda row: (-abs(row["change_bytes"]), row["file"], row["line"]))
        changes.extend(rows[:ALLOCATION_LINES])
    return changes


def environment_warnings(reports: list[dict[str, Any]], labels: list[str],
                         reference: int) -> list[str]:
    """Warn when variants ran under different Pythons or on different machines."""
    warnings = []
    base = reports[reference].get("environment") or {}
    for index, report in enumerate(reports):
        if index == reference:
            continue
        environment = report.get("environment") or {}
        differences = [
            f"{key} {base.get(key)!s} against {environment.get(key)!s}"
            for key in ENVIRONMENT_KEYS
            if base.get(key) is not None and environment.get(key) is not None
            and base.get(key) != environment.get(key)
        ]
        if differences:
            warnings.append(
                f"{labels[index]} ran under a different Python or machine than "
                f"{labels[reference]} ({'; '.join(differences)}): part of any difference "
                "may come from that alone"
            )
    return warnings


def settings_warnings(reports: list[dict[str, Any]], labels: list[str],
                      reference: int) -> list[str]:
    """Warn when variants ran with different warm invokes or memory size."""
    warnings = []
    base = reports[reference].get("settings") or {}
    for index, report in enumerate(reports):
        settings = report.get("settings") or {}
        for key in ("warm_invokes", "memory_mb"):
            if index != reference and base.get(key) != settings.get(key):
                warnings.append(
                    f"{labels[index]} ran with {key} {settings.get(key)} against "
                    f"{base.get(key)} for {labels[reference]}"
                )
    return warnings


def run_count_warnings(reports: list[dict[str, Any]], labels: list[str]) -> list[str]:
    """Say plainly when a variant has too few successful runs for a significance verdict."""
    short = [
        f"{label} ({len(ok_runs(report))})"
        for report, label in zip(reports, labels, strict=True)
        if 0 < len(ok_runs(report)) < MIN_VALUES_FOR_SIGNIFICANCE
    ]
    if not short:
        return []
    return [
        f"fewer than {MIN_VALUES_FOR_SIGNIFICANCE} successful runs for {', '.join(short)}: "
        f"no significance verdict on timings; use --runs {MIN_VALUES_FOR_SIGNIFICANCE} or more"
    ]


def failure_of(report: dict[str, Any]) -> dict[str, Any] | None:
    """Return the first error of a variant's runs with how many runs failed, or None."""
    runs = report.get("runs") or []
    failed = [run for run in runs if run.get("status") != "ok"]
    if not failed:
        return None
    error = report.get("error") or failed[0].get("error") or {}
    return {
        "type": error.get("type", "unknown"),
        "phase": error.get("phase"),
        "message": error.get("message", ""),
        "failed_runs": len(failed),
        "runs": len(runs),
    }


def variant_section(report: dict[str, Any], label: str, spec: str, source: str) -> dict[str, Any]:
    failure = failure_of(report)
    if variant_failed(report):
        status = "failed"
    elif failure is not None:
        status = "partly failed"
    else:
        status = "ok"
    return {
        "label": label,
        "spec": spec,
        "source": source,
        "status": status,
        "runs": len(report.get("runs") or []),
        "runs_ok": len(ok_runs(report)),
        "error": failure,
    }


def choose_reference(reports: list[dict[str, Any]]) -> int:
    """Return the index of the first variant with a successful run (0 when none has one)."""
    for index, report in enumerate(reports):
        if not variant_failed(report):
            return index
    return 0


def build_comparison(
    reports: list[dict[str, Any]], labels: list[str], specs: list[str], sources: list[str]
) -> dict[str, Any]:
    """Build the comparison of the reports, the first one (if it succeeded) as reference."""
    reference = choose_reference(reports)
    test_alpha = FAMILY_ALPHA / len(TESTED_METRICS)
    warnings = []
    if reference != 0:
        warnings.append(
            f"the reference {labels[0]} failed: the others are compared with {labels[reference]}"
        )
    warnings.extend(environment_warnings(reports, labels, reference))
    warnings.extend(settings_warnings(reports, labels, reference))
    warnings.extend(run_count_warnings(reports, labels))
    changes = []
    for index, report in enumerate(reports):
        if index == reference or variant_failed(report):
            continue
        changes.append({
            "variant": index,
            "modules": module_changes(reports[reference], report),
            "allocations": allocation_changes(reports[reference], report),
        })
    return {
        "schema": SCHEMA,
        "tool_version": __version__,
        "created": utc_now(),
        "reference": reference,
        "statistics": {
            "family_alpha": FAMILY_ALPHA,
            "tested_rows": len(TESTED_METRICS),
            "test_alpha": test_alpha,
            "confidence": 1 - test_alpha,
            "tests": "two-sided Mann-Whitney U (exact up to 20 runs a side without ties) "
                     "and a percentile bootstrap interval of the ratio of medians; "
                     "significant only when both reject",
            "min_runs": MIN_VALUES_FOR_SIGNIFICANCE,
        },
        "variants": [
            variant_section(report, label, spec, source)
            for report, label, spec, source in zip(reports, labels, specs, sources, strict=True)
        ],
        "warnings": warnings,
        "rows": [build_row(metric, reports, reference, test_alpha) for metric in METRICS],
        "changes": changes,
        "reports": reports,
    }


def short_path(file: str) -> str:
    """Return the last two parts of a path: enough to find a handler's or a library's line."""
    parts = Path(file).parts
    return str(Path(*parts[-2:])) if len(parts) > 2 else file
