"""Baseline files: reports keyed by the Python version, platform and CPU they were measured on.

A baseline file contains one entry per key, so that a CI matrix can keep a baseline for each
interpreter and runner type in one file. Each entry maps target names to full reports.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from coldstart import __version__
from coldstart.errors import UsageError
from coldstart.model import utc_now
from coldstart.render.json_file import write_text_atomically

SCHEMA = "coldstart.baseline/1"
KEY_FIELDS = ("implementation", "python", "platform", "cpu_model")
# The per-run fields the gate compares: each must be a number or null in a stored report.
RUN_NUMBERS = (
    "startup_ms", "import_ms", "init_ms", "first_invoke_ms", "cold_start_ms", "peak_rss_mib",
)


def environment_key(environment: dict[str, Any]) -> dict[str, str]:
    """Return the key of a report's environment: implementation, Python X.Y, OS-machine, CPU.

    The platform keeps the OS and machine only, because the kernel release in the full
    platform string changes with every runner image update.
    """
    version = str(environment.get("python_version", ""))
    system = str(environment.get("platform", "")).split("-")[0]
    return {
        "implementation": str(environment.get("implementation", "CPython")),
        "python": ".".join(version.split(".")[:2]),
        "platform": f"{system}-{environment.get('machine', '')}",
        "cpu_model": str(environment.get("cpu_model", "")),
    }


def describe_key(key: dict[str, str]) -> str:
    return f"{key['implementation']} {key['python']}, {key['platform']}, {key['cpu_model']}"


def new_baseline() -> dict[str, Any]:
    return {"schema": SCHEMA, "tool_version": __version__, "entries": []}


def load_baseline(path: Path) -> dict[str, Any]:
    """Load a baseline file. Raises UsageError when it is missing or malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise UsageError(
            f"baseline not found: {path}; write it with `coldstart baseline save -o {path}` "
            "or gate against a git ref with --against REF"
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read baseline {path}: {error}") from error
    try:
        baseline = json.loads(text)
    except ValueError as error:
        raise UsageError(f"invalid baseline {path}: not JSON ({error})") from error
    if not isinstance(baseline, dict) or baseline.get("schema") != SCHEMA:
        found = baseline.get("schema") if isinstance(baseline, dict) else None
        raise UsageError(
            f"invalid baseline {path}: schema is {found!r}, expected {SCHEMA!r}; "
            "write it with `coldstart baseline save`"
        )
    problem = entries_problem(baseline.get("entries"))
    if problem:
        raise UsageError(
            f"invalid baseline {path}: {problem}; write it again with "
            "`coldstart baseline save --force`"
        )
    return baseline


def is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def entries_problem(entries: Any) -> str:
    """Return what is wrong with a baseline's entries, or "" when the gate can read them."""
    if not isinstance(entries, list):
        return "'entries' is not a list"
    for number, entry in enumerate(entries):
        where = f"entries[{number}]"
        if not isinstance(entry, dict):
            return f"{where} is not an object"
        key = entry.get("key")
        if not isinstance(key, dict):
            return f"{where}.key is not an object"
        for name in KEY_FIELDS:
            if not isinstance(key.get(name), str):
                return f"{where}.key.{name} is {key.get(name)!r}, expected a string"
        reports = entry.get("reports")
        if not isinstance(reports, dict):
            return f"{where}.reports is not an object"
        for name, report in reports.items():
            problem = report_problem(report)
            if problem:
                return f"{where}.reports[{name!r}]{problem}"
    return ""


def report_problem(report: Any) -> str:
    """Return what is wrong with a stored report (prefixed by its field), or ""."""
    if not isinstance(report, dict):
        return " is not an object"
    runs = report.get("runs")
    if not isinstance(runs, list):
        return ".runs is not a list"
    for number, run in enumerate(runs):
        if not isinstance(run, dict):
            return f".runs[{number}] is not an object"
        if not isinstance(run.get("status"), str):
            return f".runs[{number}].status is {run.get('status')!r}, expected a string"
        for field in RUN_NUMBERS:
            value = run.get(field)
            if value is not None and not is_number(value):
                return f".runs[{number}].{field} is {value!r}, expected a number"

    if not isinstance(report.get("settings"), (dict, type(None))):
        return ".settings is not an object"
    modules = report.get("modules")
    if modules is not None and not isinstance(modules, dict):
        return ".modules is not an object"
    names = (modules or {}).get("names_at_init")
    if names is not None and (
            not isinstance(names, list) or not all(isinstance(name, str) for name in names)):
        return ".modules.names_at_init is not a list of module names"

    allocations = report.get("allocations")
    if allocations is not None:
        phases = allocations.get("phases") if isinstance(allocations, dict) else None
        init = phases.get("init") if isinstance(phases, dict) else None
        alloc_bytes = init.get("bytes") if isinstance(init, dict) else None
        if not isinstance(allocations, dict) or (
                alloc_bytes is not None and not is_number(alloc_bytes)):
            return ".allocations.phases.init.bytes is not a number"
    return ""


def put_entry(
    baseline: dict[str, Any], key: dict[str, str], reports: dict[str, dict[str, Any]]
) -> bool:
    """Store the reports under key, replacing an entry with the same key.

    Returns True when an entry was replaced.
    """
    entry = {"key": key, "created": utc_now(), "reports": reports}
    entries = baseline["entries"]
    for index, existing in enumerate(entries):
        if existing.get("key") == key:
            entries[index] = entry
            return True
    entries.append(entry)
    return False


def save_baseline(path: Path, baseline: dict[str, Any]) -> None:
    """Write the baseline atomically: a temporary file beside it, renamed over it."""
    baseline["tool_version"] = __version__
    write_text_atomically(path, json.dumps(baseline, indent=2) + "\n")


def select_entry(
    baseline: dict[str, Any], key: dict[str, str], path: Path
) -> tuple[dict[str, Any], list[str]]:
    """Pick the entry for this machine and return it with the differences from its key.

    The entry must have the same implementation and Python X.Y, because the set of
    modules imported at init differs between versions. Among those, an exact key wins,
    then the same platform. Raises UsageError when no entry has this Python.
    """
    same_python = [
        entry for entry in baseline["entries"]
        if entry["key"].get("implementation") == key["implementation"]
        and entry["key"].get("python") == key["python"]
    ]
    if not same_python:
        stored = "; ".join(describe_key(entry["key"]) for entry in baseline["entries"]) or "none"
        raise UsageError(
            f"baseline {path} has no entry for {key['implementation']} {key['python']} "
            f"(stored: {stored}); run `coldstart baseline save --force -o {path}` "
            "with this Python to add one"
        )

    def closeness(entry: dict[str, Any]) -> tuple[bool, bool]:
        stored = entry["key"]
        return (stored.get("platform") == key["platform"],
                stored.get("cpu_model") == key["cpu_model"])

    best = max(same_python, key=closeness)
    differences = [
        f"{name}: stored {best['key'].get(name)!r}, here {key[name]!r}"
        for name in ("platform", "cpu_model")
        if best["key"].get(name) != key[name]
    ]
    return best, differences
