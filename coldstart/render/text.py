"""Number and path formatting shared by the file renderers (no rich import)."""

from __future__ import annotations

import re
from typing import Any

# Report summary keys in display order, with the label and unit each renderer shows.
PHASE_ROWS = (
    ("startup_ms", "startup", "ms"),
    ("import_ms", "import", "ms"),
    ("init_ms", "init", "ms"),
    ("first_invoke_ms", "first invoke", "ms"),
    ("cold_start_ms", "cold start", "ms"),
    ("warm_invoke_ms", "warm invoke", "ms"),
    ("peak_rss_mib", "peak RSS", "MiB"),
    ("gc_pause_ms", "GC pause", "ms"),
)

UNIT_SUFFIXES = (("_ms", "ms"), ("_mib", "MiB"), ("_bytes", "bytes"))


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Return (key, label, unit) for each summarised figure: the known phases in their
    order, then any other figure (a deployed function's billed_ms, say) by its key."""
    rows = [row for row in PHASE_ROWS if isinstance(summary.get(row[0]), dict)]
    known = {key for key, _, _ in PHASE_ROWS}
    for key, value in summary.items():
        if key in known or not isinstance(value, dict):
            continue
        unit = next((unit for suffix, unit in UNIT_SUFFIXES if key.endswith(suffix)), "")
        label = key.removesuffix(f"_{unit.lower()}") if unit else key
        rows.append((key, label.replace("_", " "), unit))
    return rows


# Everything up to these folders is an installation prefix, which a reader does not need.
PACKAGE_FOLDERS = re.compile(r"^.*/(?:site-packages|dist-packages)/")
STDLIB_FOLDER = re.compile(r"^.*/lib/python\d+\.\d+t?/")


def format_ms(value: float | None) -> str:
    """Format milliseconds with three significant figures or so: 0.012, 4.56, 123.4."""
    if value is None:
        return "-"
    if abs(value) < 1:
        return f"{value:.3f}"
    if abs(value) < 100:
        return f"{value:.2f}"
    return f"{value:.1f}"


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "MiB":
        return f"{value:.1f}"
    return format_ms(value)


def format_bytes(size: float | None) -> str:
    """Format a byte count with a binary unit: 512 B, 3.4 KiB, 12.5 MiB."""
    if size is None:
        return "-"
    for unit in ("B", "KiB", "MiB"):
        if abs(size) < 1024 or unit == "MiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} MiB"


def short_path(file: str | None, task_root: str | None = None) -> str:
    """Shorten a source path to what identifies it: `botocore/loaders.py`, `json/decoder.py`,
    or the path inside the task root."""
    if not file:
        return "?"
    if task_root and file.startswith(task_root.rstrip("/") + "/"):
        return file[len(task_root.rstrip("/")) + 1:]
    shortened = PACKAGE_FOLDERS.sub("", file)
    if shortened == file:
        shortened = STDLIB_FOLDER.sub("", file)
    return shortened


def file_origin(file: str | None, task_root: str | None = None) -> str:
    """Classify a source file as importlib, stdlib, third-party, task-root or unknown."""
    if not file:
        return "unknown"
    if file.startswith("<frozen importlib"):
        return "importlib"
    if PACKAGE_FOLDERS.match(file):
        return "third-party"
    if file.startswith("<frozen") or STDLIB_FOLDER.match(file):
        return "stdlib"
    if task_root and file.startswith(task_root.rstrip("/") + "/"):
        return "task-root"
    return "unknown"
