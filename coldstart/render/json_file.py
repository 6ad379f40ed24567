"""Write a report as JSON to a file, or to stdout for `-`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from coldstart.model import dump_report


def write_json(report: dict[str, Any], destination: str) -> None:
    """Write the report; `-` writes to stdout, a path is written atomically."""
    text = dump_report(report)
    if destination == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_text_atomically(Path(destination), text)


def write_text_atomically(path: Path, text: str) -> None:
    """Write text to a temporary file beside path, then rename it over path."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
