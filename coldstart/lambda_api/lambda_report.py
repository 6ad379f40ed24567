"""Build the report of a deployed function from its invocations' REPORT records.

The report has the shape of a local one (`coldstart.report/1`) with `target.kind` set to
"lambda", so that `compare` and `gate` read it the same way. In each run, `init_ms` is
Init Duration, `first_invoke_ms` is Duration of the cold invoke and `cold_start_ms` is
their sum. `peak_rss_mib` is the largest Max Memory Used over the run's invokes, because
Lambda's MB are MiB. Phases a REPORT does not measure (`startup_ms`, `import_ms`, GC)
are null.
"""

from __future__ import annotations

from typing import Any

from coldstart import __version__
from coldstart.lambda_api.cost import billed_cold_ms, cost_section
from coldstart.lambda_api.invoker import InvokeResult
from coldstart.model import SCHEMA, common_error, summarize_runs, summary_warnings, utc_now
from coldstart.stats import summarize

# Errors that the runtime raises while importing the handler, so in the init phase.
INIT_ERROR_TYPES = (
    "Runtime.ImportModuleError", "Runtime.UserCodeSyntaxError", "Runtime.HandlerNotFound",
    "Runtime.MalformedHandlerName",
)
# Lambda's largest memory size, for a configuration that does not state one.
MAX_MEMORY_MB = 10240
LAMBDA_SUMMARY_KEYS = (
    "max_memory_used_mib", "billed_ms", "billed_cold_ms", "restore_ms", "billed_restore_ms",
)


def invoke_error(result: InvokeResult) -> dict[str, Any] | None:
    """Return the run's ERROR object from X-Amz-Function-Error, its payload and the REPORT."""
    report = result.report
    if not result.failed:
        return None
    payload = result.error_payload or {}
    error_type = payload.get("errorType") or (report.error_type if report else None)
    if report is not None and report.status == "timeout":
        error_type = error_type or "Sandbox.Timedout"
    error_type = error_type or result.function_error or "Unknown"
    init_failed = any(init.status != "success" for init in result.init_reports)
    stack = payload.get("stackTrace")
    traceback = "\n".join(str(line).rstrip("\n") for line in stack) \
        if isinstance(stack, list) else None
    return {
        "type": error_type,
        "phase": "init" if init_failed or error_type in INIT_ERROR_TYPES else "invoke",
        "message": str(payload.get("errorMessage") or (report.status if report else "")),
        "traceback": traceback,
        "exception": payload.get("errorType"),
        "function_error": result.function_error,
        "request_id": result.request_id,
    }


def invoke_values(result: InvokeResult) -> dict[str, Any]:
    report = result.report
    if report is None:
        return {"request_id": result.request_id, "report_source": result.report_source}
    return {
        "request_id": result.request_id,
        "report_source": result.report_source,
        "duration_ms": report.duration_ms,
        "billed_ms": report.billed_ms,
        "max_memory_used_mib": report.max_memory_used_mb,
        "memory_size_mb": report.memory_size_mb,
        "init_ms": report.init_ms,
        "restore_ms": report.restore_ms,
        "billed_restore_ms": report.billed_restore_ms,
        "status": report.status,
        "trace_id": report.trace_id,
    }


def build_run(index: int, cold: InvokeResult, warm: list[InvokeResult]) -> dict[str, Any]:
    """Build one run from the invoke meant to be cold and the warm invokes after it."""
    report = cold.report
    is_cold = report is not None and report.cold
    first_invoke_ms = report.duration_ms if report is not None and is_cold else None
    init_ms = report.init_ms if report is not None else None
    warm_reports = [result.report for result in warm if result.report is not None]
    warm_durations = [
        r.duration_ms for r in warm_reports if r.duration_ms is not None and not r.cold
    ]
    if report is not None and not is_cold and report.duration_ms is not None:
        # This invoke found a warm environment: its Duration is a warm value.
        warm_durations.insert(0, report.duration_ms)
    memories = [
        r.max_memory_used_mb for r in [report, *warm_reports]
        if r is not None and r.max_memory_used_mb is not None
    ]

    cold_start_ms = None
    if init_ms is not None and first_invoke_ms is not None:
        cold_start_ms = init_ms + first_invoke_ms

    errors = [invoke_error(result) for result in [cold, *warm]]
    error = next((error for error in errors if error is not None), None)
    return {
        "index": index,
        "status": "error" if error else "ok",
        "cold": is_cold,
        "request_id": cold.request_id,
        "report_source": cold.report_source,
        "startup_ms": None,
        "import_ms": None,
        "init_ms": init_ms,
        "first_invoke_ms": first_invoke_ms,
        "cold_start_ms": cold_start_ms,
        "warm_invoke_ms": warm_durations,
        "billed_ms": report.billed_ms if report else None,
        "billed_cold_ms": billed_cold_ms(report) if report and is_cold else None,
        "max_memory_used_mib": report.max_memory_used_mb if report else None,
        "memory_size_mb": report.memory_size_mb if report else None,
        "restore_ms": report.restore_ms if report else None,
        "billed_restore_ms": report.billed_restore_ms if report else None,
        "peak_rss_mib": max(memories) if memories else None,
        "wall_ms": cold.wall_ms,
        "warm_invokes": [invoke_values(result) for result in warm],
        "gc": None,
        "error": error,
    }


def lambda_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary = summarize_runs(runs)
    ok_runs = [run for run in runs if run["status"] == "ok"]
    for key in LAMBDA_SUMMARY_KEYS:
        summary[key] = summarize([run[key] for run in ok_runs if run.get(key) is not None])
    warm_billed = [
        invoke["billed_ms"] for run in ok_runs for invoke in run["warm_invokes"]
        if invoke.get("billed_ms") is not None and invoke.get("init_ms") is None
    ]
    summary["warm_billed_ms"] = summarize(warm_billed)
    return summary


def run_cost(runs: list[dict[str, Any]], memory_mb: float | None, architecture: str) -> Any:
    ok_runs = [run for run in runs if run["status"] == "ok"]
    cold_billed = [run["billed_cold_ms"] for run in ok_runs if run["billed_cold_ms"] is not None]
    warm_billed = [
        invoke["billed_ms"] for run in ok_runs for invoke in run["warm_invokes"]
        if invoke.get("billed_ms") is not None and invoke.get("init_ms") is None
    ]
    return cost_section(cold_billed, warm_billed, memory_mb, architecture)


def spread_warnings(summary: dict[str, Any], memory_mb: int) -> list[str]:
    """Return the spread warnings of the local report, naming --cold in place of --runs."""
    return [
        warning.replace(" runs would ", " cold starts would ").replace("(--runs)", "(--cold)")
        for warning in summary_warnings(summary, memory_mb)
    ]


def build_lambda_report(
    target: dict[str, Any], configuration: dict[str, Any], settings: dict[str, Any],
    runs: list[dict[str, Any]], warnings: list[str],
) -> dict[str, Any]:
    architecture = (configuration.get("Architectures") or ["x86_64"])[0]
    memory_mb = configuration.get("MemorySize")
    summary = lambda_summary(runs)
    cold_count = sum(1 for run in runs if run["cold"])
    return {
        "schema": SCHEMA,
        "tool_version": __version__,
        "created": utc_now(),
        "target": target,
        "environment": {
            "platform": "AWS Lambda",
            "runtime": configuration.get("Runtime"),
            "architecture": architecture,
            "memory_mb": memory_mb,
            "timeout_s": configuration.get("Timeout"),
            "region": target.get("region"),
            "python_version": None,
            "cpu_count": None,
        },
        "settings": settings,
        "runs": runs,
        "summary": summary,
        "cold_starts": {"forced": len(runs), "observed": cold_count},
        "cost": run_cost(runs, memory_mb, architecture),
        "modules": None,
        "warnings": warnings + spread_warnings(summary, memory_mb or MAX_MEMORY_MB),
        "imports": None,
        "allocations": None,
        "gc": None,
        "hotspots": None,
        "findings": [],
        "error": common_error(runs),
    }
