"""The interface every file renderer has: one `render(report)` entry and its file names."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class Renderer:
    """Turn a report into one output format.

    `name` is the format's option without dashes (`--html` gives "html"); `suffixes` are
    the file name endings that select it for `--output FILE`, longest match first.
    """

    name = ""
    suffixes: tuple[str, ...] = ()

    def render(self, report: dict[str, Any]) -> str:
        raise NotImplementedError

    def paths(self, path: Path) -> list[Path]:
        """Return every file written for the requested path (a renderer may add companions)."""
        return [path]

    def files(self, report: dict[str, Any], path: Path) -> list[tuple[Path, str]]:
        """Return (path, text) for every file to write."""
        return [(path, self.render(report))]
