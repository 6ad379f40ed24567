"""Write a report as JSON to a file, or to stdout for `-`."""

from __future__ import annotations

import os
import sys
import tempfile
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


def file_mode(path: Path) -> int:
    """Return the mode for a new version of path: its own, or 0o666 less the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text_atomically(path: Path, text: str) -> None:
    """Write text to a temporary file beside path, then rename it over path.

    A symbolic link is written through, and anything that is not a regular file
    (/dev/null, a FIFO) is written in place, because renaming over it would replace it.
    """
    path = path.resolve()
    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
        return
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class JsonRenderer(Renderer):
    """The report itself, as saved by `--json` and read by `coldstart report`."""

    name = "json"
    suffixes = (".json",)

    def render(self, report: dict[str, Any]) -> str:
        return dump_report(report)
