"""The gate's checks: noise-aware timing regressions, deterministic module and allocation
checks against the reference, and absolute budgets.

Each check returns one CheckResult; renderers turn the list into a table, Markdown and
JUnit XML. A check whose input was not measured is skipped, with the reason in its message.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass
from statistics import median
from typing import Any

from coldstart.gate.config import Limits
from coldstart.model import run_values
from coldstart.stats import MIN_VALUES_FOR_SIGNIFICANCE, compare_values

PASS = "pass"
FAIL = "fail"
SKIP = "skip"
ERROR = "error"
MIB = 1024 * 1024
# New modules named in a message before the rest are counted.
MODULES_SHOWN = 8
# Growth in init allocations below this never fails the gate. A small handler allocates
# about 100 KiB at init, so 10 % of it is a few KiB, which no Lambda memory size notices.
ALLOC_GROWTH_FLOOR_BYTES = 64 * 1024
TIMING_CHECKS = {"init_ms": "init time", "cold_start_ms": "cold start time"}


@dataclass
class CheckResult:
    """The verdict of one check on one target, with the figures shown for it."""

    target: str
    check: str
    status: str  # pass, fail, skip, or error (the target failed to start)
    reference: str = ""
    current: str = ""
    change: str = ""
    limit: str = ""
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Reference:
    """The report a current report is compared with, or the reason there is none."""

    report: dict[str, Any] | None
    description: str  # "ref main (1a2b3c4)" or "baseline CPython 3.11, ..."
    missing_reason: str = ""


def ok_runs(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [run for run in report["runs"] if run["status"] == "ok"]


def check_runs(name: str, report: dict[str, Any]) -> CheckResult:
    """Fail when some runs failed; an error when every run failed (exit status 3)."""
    total = len(report["runs"])
    failed = [run for run in report["runs"] if run["status"] != "ok"]
    current = f"{total - len(failed)}/{total} ok"
    if not failed:
        return CheckResult(name, "runs", PASS, current=current)
    error = failed[0]["error"] or {}
    detail = f"{error.get('type', 'error')} in phase {error.get('phase', '?')}: " \
             f"{error.get('message', '')}"
    if len(failed) == total:
        return CheckResult(name, "runs", ERROR, current=current,
                           message=f"the target failed to start: {detail}")
    return CheckResult(name, "runs", FAIL, current=current,
                       message=f"{len(failed)} of {total} runs failed: {detail}")


def format_ms(value: float) -> str:
    return f"{value:.1f} ms"


def format_change(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.1f}%"


def check_timing(
    name: str, key: str, current: dict[str, Any], reference: Reference, limits: Limits
) -> CheckResult:
    """Flag a regression only when the lower bound of the 95 % interval of
    median(current) / median(reference) exceeds 1 + max_regression / 100."""
    check = TIMING_CHECKS[key]
    threshold = 1 + limits.max_regression / 100
    limit = f"+{limits.max_regression:g}%"
    if reference.report is None:
        return CheckResult(name, check, SKIP, limit=limit, message=reference.missing_reason)

    ref_values = run_values(ok_runs(reference.report), key)
    values = run_values(ok_runs(current), key)
    if not ref_values or not values:
        side = "reference" if not ref_values else "current"
        return CheckResult(name, check, SKIP, limit=limit,
                           message=f"no successful runs on the {side} side")

    comparison = compare_values(ref_values, values)
    result = CheckResult(
        name, check, PASS,
        reference=format_ms(median(ref_values)), current=format_ms(median(values)),
        limit=limit,
    )
    if math.isnan(comparison.low):
        result.status = SKIP
        result.message = (
            f"too few runs for the noise-aware rule (need {MIN_VALUES_FOR_SIGNIFICANCE} "
            f"on each side, have {len(ref_values)} and {len(values)}); use --runs 10"
        )
        return result

    result.change = format_change(comparison.ratio)
    interval = f"95% CI {format_change(comparison.low)} to {format_change(comparison.high)}"
    p_value = f"(Mann-Whitney p={comparison.p_value:.2g})"
    if comparison.low > threshold:
        result.status = FAIL
        result.message = f"slower beyond the noise: {interval}, all above {limit} {p_value}"
    elif comparison.ratio > threshold:
        result.message = f"within the noise: {interval} reaches below {limit} {p_value}"
    else:
        result.message = f"{interval} {p_value}"
    return result


def module_names(report: dict[str, Any]) -> list[str] | None:
    modules = report.get("modules") or {}
    return modules.get("names_at_init")


def import_nodes(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the import tree's roots from an importtime run, or [] when not measured."""
    imports = report.get("imports") or {}
    return imports.get("tree") or []


def new_subtree_roots(
    nodes: list[dict[str, Any]], new: set[str], parent_is_new: bool = False
) -> list[dict[str, Any]]:
    """Return the new modules whose importer is not new, with their cumulative time."""
    roots = []
    for node in nodes:
        is_new = node.get("module") in new
        if is_new and not parent_is_new:
            roots.append(node)
        roots.extend(new_subtree_roots(node.get("children") or [], new, is_new))
    return roots


def cumulative_ms(report: dict[str, Any], module: str) -> float | None:
    """Return a module's cumulative import time from the report's import top list."""
    imports = report.get("imports") or {}
    for entry in imports.get("top") or []:
        if entry.get("module") == module:
            return entry.get("cumulative_ms")
    return None


def package_order(package: str) -> tuple[bool, bool, str]:
    """Sort key: the project's and third-party packages, then the standard library's, then
    private modules. The standard library is the one coldstart runs on (Python 3.10+)."""
    return (package in sys.stdlib_module_names, package.startswith("_"), package)


def describe_new_modules(new: set[str], report: dict[str, Any]) -> str:
    """Name the new modules at the top of what they pulled in.

    With an import tree, these are the roots of new subtrees, with their cumulative time.
    Without one, they are the distinct top-level packages, those outside the standard
    library first.
    """
    roots = new_subtree_roots(import_nodes(report), new)
    if roots:
        roots.sort(key=lambda node: -(node.get("cumulative_ms") or 0))
        names = [node["module"] for node in roots]
        total_ms = sum(node.get("cumulative_ms") or 0 for node in roots)
    else:
        packages = {module.split(".")[0] for module in new}
        names = sorted(packages, key=package_order)
        costs = [cumulative_ms(report, name) for name in names]
        total_ms = sum(cost for cost in costs if cost is not None) if any(costs) else None
    shown = ", ".join(names[:MODULES_SHOWN])
    if len(names) > MODULES_SHOWN:
        shown += f" and {len(names) - MODULES_SHOWN} more"
    if total_ms:
        shown += f" (+{total_ms:.0f} ms cumulative)"
    return shown


def check_new_modules(
    name: str, current: dict[str, Any], reference: Reference, limits: Limits
) -> CheckResult:
    """Compare the modules imported at init; deterministic, so no noise rule applies."""
    check = "modules at init"
    limit = f"+{limits.max_new_modules} new"
    if reference.report is None:
        return CheckResult(name, check, SKIP, limit=limit, message=reference.missing_reason)
    ref_names = module_names(reference.report)
    names = module_names(current)
    if ref_names is None or names is None:
        side = "reference" if ref_names is None else "current"
        return CheckResult(name, check, SKIP, limit=limit,
                           message=f"module names not recorded on the {side} side")
    new = set(names) - set(ref_names)
    gone = set(ref_names) - set(names)
    result = CheckResult(
        name, check, PASS, reference=str(len(ref_names)), current=str(len(names)),
        change=f"{len(names) - len(ref_names):+d}", limit=limit,
    )
    parts = []
    if new:
        parts.append(f"new at init: {describe_new_modules(new, current)}")
    if gone:
        parts.append(f"{len(gone)} no longer imported at init")
    result.message = "; ".join(parts) or "the same modules"
    if len(new) > limits.max_new_modules:
        result.status = FAIL
    return result


def init_alloc_bytes(report: dict[str, Any]) -> int | None:
    allocations = report.get("allocations") or {}
    phases = allocations.get("phases") or {}
    return (phases.get("init") or {}).get("bytes")


def format_mib(value: float) -> str:
    return f"{value / MIB:.2f} MiB"


def check_init_allocations(
    name: str, current: dict[str, Any], reference: Reference, limits: Limits
) -> CheckResult:
    """Compare the bytes allocated at init and still alive at its end (tracemalloc run)."""
    check = "init allocations"
    limit = f"+{limits.max_alloc_growth:g}%"
    if reference.report is None:
        return CheckResult(name, check, SKIP, limit=limit, message=reference.missing_reason)
    ref_bytes = init_alloc_bytes(reference.report)
    now_bytes = init_alloc_bytes(current)
    if ref_bytes is None or now_bytes is None:
        return CheckResult(name, check, SKIP, limit=limit,
                           message="allocations not measured (no tracemalloc run)")
    result = CheckResult(name, check, PASS, reference=format_mib(ref_bytes),
                         current=format_mib(now_bytes), limit=limit)
    allowed = max(ref_bytes * (1 + limits.max_alloc_growth / 100),
                  ref_bytes + ALLOC_GROWTH_FLOOR_BYTES)
    if ref_bytes > 0:
        result.change = format_change(now_bytes / ref_bytes)
    if now_bytes > allowed:
        result.status = FAIL
        result.message = f"{now_bytes - ref_bytes:+,} bytes at init, beyond the {limit} limit"
    return result


def summary_value(report: dict[str, Any], key: str, statistic: str) -> float | None:
    summary = (report.get("summary") or {}).get(key)
    return summary.get(statistic) if summary else None


def budget_values(report: dict[str, Any]) -> dict[str, tuple[float | None, str, str]]:
    """Return, per budget key, the measured value, its unit and what it is."""
    alloc = init_alloc_bytes(report)
    modules = report.get("modules") or {}
    return {
        "max_init_ms": (summary_value(report, "init_ms", "median"), "ms", "median init"),
        "max_cold_start_ms": (
            summary_value(report, "cold_start_ms", "median"), "ms", "median cold start"),
        "max_peak_rss_mib": (
            summary_value(report, "peak_rss_mib", "max"), "MiB", "highest peak RSS"),
        "max_init_alloc_mib": (
            alloc / MIB if alloc is not None else None, "MiB", "allocated at init"),
        "max_imported_modules": (
            modules.get("count_at_init"), "modules", "modules imported at init"),
    }


def check_budgets(name: str, current: dict[str, Any], limits: Limits) -> list[CheckResult]:
    """Check each budget that is set against the current report alone."""
    results = []
    for key, (value, unit, what) in budget_values(current).items():
        budget = getattr(limits, key)
        if budget is None:
            continue
        limit = f"{budget:g} {unit}"
        if value is None:
            results.append(CheckResult(name, key, SKIP, limit=limit,
                                       message=f"{what} was not measured"))
            continue
        figure = "{:.0f}" if unit == "modules" else "{:.1f}"
        shown = f"{figure.format(value)} {unit}"
        status = FAIL if value > budget else PASS
        over = f"{figure.format(value - budget)} {unit}"
        message = f"{what} over budget by {over}" if status == FAIL else ""
        results.append(CheckResult(name, key, status, current=shown, limit=limit,
                                   message=message))
    return results


def check_target(
    name: str, current: dict[str, Any], reference: Reference | None, limits: Limits
) -> list[CheckResult]:
    """Run every check on one target; comparisons only when there is a reference mode."""
    runs = check_runs(name, current)
    if runs.status == ERROR:
        return [runs]
    results = [runs]
    if reference is not None:
        results.append(check_timing(name, "init_ms", current, reference, limits))
        results.append(check_timing(name, "cold_start_ms", current, reference, limits))
        results.append(check_new_modules(name, current, reference, limits))
        results.append(check_init_allocations(name, current, reference, limits))
    results.extend(check_budgets(name, current, limits))
    return results


def failures(results: list[CheckResult], status: str = FAIL) -> list[CheckResult]:
    return [result for result in results if result.status == status]
