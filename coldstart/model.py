"""The report: one JSON object per measured target, saved, loaded and rendered again.

Keys are stable; new keys may be added, and a changed meaning needs a new schema value.
Times are float milliseconds (`_ms`), sizes integer bytes (`_bytes`) or float MiB (`_mib`).
"""

from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from coldstart import __version__
from coldstart.environment import probe_interpreter
from coldstart.errors import UsageError
from coldstart.stats import stability_warnings, summarize

SCHEMA = "coldstart.report/1"
SUMMARY_PHASES = (
    "startup_ms", "import_ms", "init_ms", "first_invoke_ms", "warm_invoke_ms",
    "cold_start_ms", "peak_rss_mib", "gc_pause_ms",
)

def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_environment(python: str, memory_mb: int) -> dict[str, Any]:
    """Describe the interpreter that ran the handler and the machine it ran on."""
    return {
        **probe_interpreter(python),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_mb": memory_mb,
    }


def run_values(runs: list[dict[str, Any]], key: str) -> list[float]:
    """Return one phase's values over the runs; warm invokes are flattened."""
    values: list[float] = []
    for run in runs:
        if key == "warm_invoke_ms":
            values.extend(run.get("warm_invoke_ms") or [])
        elif key == "gc_pause_ms":
            if run.get("gc"):
                values.append(run["gc"]["pause_ms"])
        elif run.get(key) is not None:
            values.append(run[key])
    return values


def summarize_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Summarise each phase over every run that measured it.

    A run that failed in an invoke still measured its init, because Lambda still reports
    the Init Duration of an invoke that raised. The failed invoke's own time is its
    Duration.
    """
    return {key: summarize(run_values(runs, key)) for key in SUMMARY_PHASES}


def summary_warnings(summary: dict[str, Any], memory_mb: int) -> list[str]:
    warnings = []
    for key in ("init_ms", "cold_start_ms"):
        warnings.extend(stability_warnings(key.removesuffix("_ms"), summary.get(key)))
    rss = summary.get("peak_rss_mib")
    if rss and rss["max"] > memory_mb:
        warnings.append(
            f"peak RSS {rss['max']:.0f} MiB exceeds the configured memory ({memory_mb} MB): "
            "on Lambda the function would fail with Runtime.OutOfMemory; raise --memory "
            "or reduce what init keeps in memory"
        )
    return warnings


def common_error(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Return the target's error when every run failed the same way, else None."""
    errors = [run["error"] for run in runs]
    if not errors or any(error is None for error in errors):
        return None
    first = errors[0]
    if all(error["type"] == first["type"] for error in errors):
        return first
    return None


def gc_section(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Collections and pause of the median run by pause time, and the longest pause of any
    run with its phase; every run that reported its GC figures counts."""
    measured = [run["gc"] for run in runs if run.get("gc")]
    if not measured:
        return None
    middle = sorted(measured, key=lambda gc: gc["pause_ms"])[len(measured) // 2]
    longest_ms, longest_phase = 0.0, None
    for gc in measured:
        for phase, figures in (gc.get("by_phase") or {}).items():
            if figures.get("max_pause_ms", 0.0) > longest_ms:
                longest_ms, longest_phase = figures["max_pause_ms"], phase
    return {
        "collections": middle["collections"],
        "pause_ms": middle["pause_ms"],
        "max_pause_ms": middle["max_pause_ms"],
        "by_phase": middle["by_phase"],
        "source": "timing runs (median run by pause time)",
        "runs": len(measured),
        "longest_pause_ms": longest_ms,
        "longest_pause_phase": longest_phase,
    }


def modules_section(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Move the module names out of each run: they are the same in every run whose init
    succeeded."""
    names = None
    for run in runs:
        run_names = run.pop("module_names_at_init", None)
        init_ok = run["error"] is None or run["error"].get("phase") != "init"
        if names is None and init_ok and run_names is not None:
            names = run_names
    if names is None:
        return None
    return {"count_at_init": len(names), "names_at_init": names}


def build_report(
    target: dict[str, Any], environment: dict[str, Any], runs: list[dict[str, Any]],
    settings: dict[str, Any],
) -> dict[str, Any]:
    summary = summarize_runs(runs)
    modules = modules_section(runs)
    return {
        "schema": SCHEMA,
        "tool_version": __version__,
        "created": utc_now(),
        "target": target,
        "environment": environment,
        "settings": settings,
        "runs": runs,
        "summary": summary,
        "modules": modules,
        "warnings": summary_warnings(summary, environment.get("memory_mb", 128)),
        "imports": None,
        "allocations": None,
        "gc": gc_section(runs),
        "hotspots": None,
        "findings": [],
        "error": common_error(runs),
    }


def failed_runs(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [run for run in report["runs"] if run["status"] != "ok"]


def dump_report(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def load_report(path: str | Path) -> dict[str, Any]:
    """Load a saved report. Raises UsageError when it is missing or not a report."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise UsageError(f"report not found: {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read report {path}: {error}") from error
    try:
        report = json.loads(text)
    except ValueError as error:
        raise UsageError(f"invalid report {path}: not JSON ({error})") from error
    schema = report.get("schema") if isinstance(report, dict) else None
    if not isinstance(schema, str) or not schema.startswith("coldstart.report/"):
        raise UsageError(
            f"invalid report {path}: schema is {schema!r}, expected {SCHEMA!r}; "
            "write one with --json"
        )
    return report
