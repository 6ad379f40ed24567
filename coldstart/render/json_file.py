"""Write a report as JSON to a file, or to stdout for `-`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from coldstart.model import dump_report
from coldstart.render.base import Renderer


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


class JsonRenderer(Renderer):
    """The report itself, as saved by `--json` and read by `coldstart report`."""

    name = "json"
    suffixes = (".json",)

    def render(self, report: dict[str, Any]) -> str:
        return dump_report(report)
