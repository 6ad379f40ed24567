"""Findings: what the report's figures mean for the handler's code, each with its fix.

Every finding is built from the report alone, so `coldstart report` can build them again
from a saved report. Thresholds are judgement calls, stated where they are set.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# A module is a lazy-import candidate when its cumulative import time is at least this
# many milliseconds and this share of the init imports.
LAZY_IMPORT_MIN_MS = 5.0
LAZY_IMPORT_MIN_SHARE = 0.03
LAZY_IMPORT_MAX = 5
# A copy made during an invoke is worth a finding from this much memory or time per call.
COPY_MIN_BYTES = 64 * 1024
COPY_MIN_MS = 1.0
# A GC pause during init this long (or a share of init this large) is worth a warning.
GC_INIT_PAUSE_MS = 5.0
GC_INIT_SHARE = 0.05
# Any other GC pause is reported for information from this length.
GC_PAUSE_INFO_MS = 1.0
# Compiling modules without cached bytecode is a warning from this many milliseconds.
UNCACHED_MIN_MS = 5.0
CLIENT_CALLS = (
    "botocore.session.Session.create_client",
    "botocore.session.Session",
    "boto3.session.Session",
    "boto3.session.Session.resource",
)


def finding(kind: str, severity: str, message: str, fix: str,
            cost_ms: float | None = None) -> dict[str, Any]:
    return {"kind": kind, "severity": severity, "message": message, "fix": fix,
            "cost_ms": None if cost_ms is None else round(cost_ms, 3)}


def walk_tree(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        yield node
        yield from walk_tree(node.get("children", []))


def module_is_used(node: dict[str, Any], used: set[str]) -> bool:
    """True when code of the module, a submodule or a module it imported ran in the invoke."""
    for inner in walk_tree([node]):
        name = inner["module"]
        if name in used or any(module.startswith(name + ".") for module in used):
            return True
    return False


def lazy_import_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Heavy modules imported at init by task-root code whose code the first invoke never ran.

    Only imports made by task-root modules are considered, since only those lines are
    the user's to move.
    """
    imports = report.get("imports")
    usage = report.get("invoke_usage")
    if not imports or not usage:
        return []
    used = set(usage["modules"])
    threshold = max(LAZY_IMPORT_MIN_MS, LAZY_IMPORT_MIN_SHARE * (imports["total_ms"] or 0))
    candidates = []
    pending = [node for node in imports["tree"] if node["origin"] == "task-root"]
    while pending:
        parent = pending.pop()
        for child in parent["children"]:
            if child["cumulative_ms"] < threshold or child["cached"]:
                continue
            if module_is_used(child, used):
                if child["origin"] == "task-root":
                    pending.append(child)
                continue
            candidates.append((child, parent["module"]))
    candidates.sort(key=lambda item: item[0]["cumulative_ms"], reverse=True)
    return [
        finding(
            "lazy-import", "warning",
            f"{node['module']} (+{node['cumulative_ms']:.1f} ms cumulative) is imported at "
            f"init by {importer}, but the first invoke does not run its code",
            f"import {node['module']} inside the function that needs it, so that only the "
            "invokes that use it pay for it (or drop the import if nothing uses it)",
            node["cumulative_ms"],
        )
        for node, importer in candidates[:LAZY_IMPORT_MAX]
    ]


def client_per_invoke_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Report a boto3/botocore session or client built during the first invoke."""
    usage = report.get("invoke_usage") or {}
    calls = usage.get("calls") or {}
    evidence = [f"{name} x{calls[name]}" for name in CLIENT_CALLS if calls.get(name)]
    cost_ms = sampled_ms(report, "first_invoke", ("create_client", "botocore/session.py"))
    if not evidence and cost_ms:
        evidence.append(f"samples in botocore.session.Session.create_client ({cost_ms:.1f} ms)")
    if not evidence:
        return []
    if not cost_ms:
        # No samples landed in it: the whole first invoke (median) bounds the cost.
        cost_ms = (report["summary"].get("first_invoke_ms") or {}).get("median") or 0.0
    invoke_imports = (report.get("imports") or {}).get("invoke") or {}
    botocore_imports = [
        entry["module"] for entry in invoke_imports.get("top", [])
        if entry["module"].split(".")[0] in ("boto3", "botocore")
    ]
    detail = f"; it also imported {', '.join(botocore_imports[:3])}" if botocore_imports else ""
    return [finding(
        "client-per-invoke", "warning",
        "a boto3/botocore client or session is built inside the invoke "
        f"({', '.join(evidence)}){detail}",
        "build the client (and its session) once at module level, outside the handler, and "
        "reuse it in every invoke",
        cost_ms or None,
    )]


def sampled_ms(report: dict[str, Any], phase: str, frame: tuple[str, str]) -> float:
    """Milliseconds sampled under a function (name, end of the file path) in one phase."""
    hotspots = report.get("hotspots") or {}
    function, file_suffix = frame
    total = 0.0
    for stack in hotspots.get("stacks", []):
        if stack["phase"] != phase:
            continue
        if any(item["function"].split(".")[-1] == function
               and item["file"].replace("\\", "/").endswith(file_suffix)
               for item in stack["frames"]):
            total += stack["ms"]
    return total


def copy_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Copies made in the invokes, one finding per kind, from the first invoke's figures."""
    allocations = report.get("allocations") or {}
    copies = [copy for copy in allocations.get("copies", []) if copy["calls"]]
    results = []
    for copy in copies:
        if copy["phase"] != "first_invoke":
            continue
        per_call_bytes = copy["bytes"] / copy["calls"]
        per_call_ms = copy["ms"] / copy["calls"]
        if per_call_bytes < COPY_MIN_BYTES and per_call_ms < COPY_MIN_MS:
            continue
        warm = [other for other in copies
                if other["kind"] == copy["kind"] and other["phase"] == "warm_invoke"]
        again = " and again in the warm invoke" if warm else ""
        results.append(finding(
            "deepcopy-per-call", "warning",
            f"{copy['kind']} runs {copy['calls']} time(s) in the first invoke{again}, "
            f"copying up to {per_call_bytes / 1024:.0f} KiB in {per_call_ms:.1f} ms per call "
            "(measured under tracemalloc, which inflates the time)",
            "pass the value itself (a reference) instead of a copy, or build the value once at "
            "init and copy only the part the invoke changes",
            copy["ms"],
        ))
    return results


def longest_pauses(report: dict[str, Any]) -> dict[str, float]:
    """Return the longest GC pause of each phase over the timing runs."""
    longest: dict[str, float] = {}
    for run in report.get("runs", []):
        by_phase = (run.get("gc") or {}).get("by_phase") or {}
        for phase, figures in by_phase.items():
            longest[phase] = max(longest.get(phase, 0.0), figures.get("max_pause_ms", 0.0))
    return longest


def gc_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    gc = report.get("gc")
    longest = longest_pauses(report)
    if not gc or not longest:
        return []
    phase, pause_ms = max(longest.items(), key=lambda item: item[1])
    init_ms = (report["summary"].get("init_ms") or {}).get("median")
    init_gc = (gc.get("by_phase") or {}).get("init") or {}
    init_pause = init_gc.get("pause_ms", 0.0)
    share = init_pause / init_ms if init_ms else 0.0
    if longest.get("init", 0.0) >= GC_INIT_PAUSE_MS or share >= GC_INIT_SHARE:
        collections = init_gc.get("collections", [0, 0, 0])
        return [finding(
            "gc-at-init", "warning",
            f"garbage collection paused init for {init_pause:.1f} ms in the median run "
            f"({share:.0%} of init; {collections[0]}/{collections[1]}/{collections[2]} "
            f"collections of generation 0/1/2); the longest pause over the timing runs was "
            f"{longest.get('init', 0.0):.1f} ms",
            "call gc.freeze() at the end of module initialisation so that the objects built "
            "at import are not scanned again, or raise the threshold with "
            "gc.set_threshold() while importing and restore it afterwards",
            init_pause,
        )]
    if pause_ms >= GC_PAUSE_INFO_MS:
        return [finding(
            "gc-pause", "info",
            f"the longest garbage-collection pause was {pause_ms:.1f} ms, in the "
            f"{phase.replace('_', ' ')} phase",
            "nothing to do unless it grows; gc.freeze() after init keeps module-level "
            "objects out of later collections",
            pause_ms,
        )]
    return []


def uncached_bytecode_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    imports = report.get("imports") or {}
    uncached = imports.get("uncached_bytecode")
    if not uncached or not uncached["count"]:
        return []
    names = ", ".join(module["module"] for module in uncached["modules"][:5])
    more = f" and {uncached['count'] - 5} more" if uncached["count"] > 5 else ""
    version = ".".join(
        str(report.get("environment", {}).get("python_version", "3")).split(".")[:2]
    )
    compile_ms = uncached.get("compile_ms") or 0.0
    severity = "warning" if compile_ms >= UNCACHED_MIN_MS else "info"
    return [finding(
        "uncached-bytecode", severity,
        f"{uncached['count']} module(s) are compiled from source at every cold start because "
        f"no valid cached bytecode was found: {names}{more} (compiling took "
        f"{compile_ms:.1f} ms in the importtime run)",
        f"ship compiled bytecode for the target Python in the package: run "
        f"python{version} -m compileall --invalidation-mode unchecked-hash on the package "
        "folder before zipping it (Lambda's task root is read-only, so Python cannot cache it "
        "there)",
        compile_ms,
    )]


def build_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the findings for a report, warnings first, then by cost."""
    findings = (
        lazy_import_findings(report)
        + client_per_invoke_findings(report)
        + copy_findings(report)
        + gc_findings(report)
        + uncached_bytecode_findings(report)
    )
    findings.sort(key=lambda item: (item["severity"] != "warning", -(item["cost_ms"] or 0.0)))
    return findings
