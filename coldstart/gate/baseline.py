"""Baseline files: reports keyed by the Python version, platform and CPU they were measured on.

A baseline file contains one entry per key, so that a CI matrix can keep a baseline for each
interpreter and runner type in one file. Each entry maps target names to full reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coldstart import __version__
from coldstart.errors import UsageError
from coldstart.model import utc_now
from coldstart.render.json_file import write_text_atomically

SCHEMA = "coldstart.baseline/1"
KEY_FIELDS = ("implementation", "python", "platform", "cpu_model")


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
    if not isinstance(baseline.get("entries"), list):
        raise UsageError(f"invalid baseline {path}: 'entries' is not a list")
    return baseline


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
