"""The output streams of one command: rich consoles for stdout and stderr, colour, quiet."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any


def counted(count: int, noun: str) -> str:
    """Return `1 run` or `3 runs`: the count with its noun, plural unless it is 1."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass
class Streams:
    """Output streams of a command. With `--json -` stdout carries only the report."""

    quiet: bool = False
    no_color: bool = False
    json_to_stdout: bool = False

    def __post_init__(self) -> None:
        # rich is imported here, at first use, so that --help and --version stay fast.
        from rich.console import Console

        # NO_COLOR counts when it is set and not empty (no-color.org).
        no_color = self.no_color or bool(os.environ.get("NO_COLOR"))
        self.err = Console(file=sys.stderr, no_color=no_color, highlight=False)
        self.out = self.err if self.json_to_stdout else Console(
            file=sys.stdout, no_color=no_color, highlight=False
        )

    @property
    def interactive(self) -> bool:
        return self.err.is_terminal and not self.quiet

    def print(self, *objects: Any) -> None:
        """Print a result to the main output, unless --quiet."""
        if not self.quiet:
            self.out.print(*objects)

    def note(self, message: str) -> None:
        """Print a status line (path written, next step) to stderr, unless --quiet."""
        if not self.quiet:
            self.err.print(message, markup=False)

    def error_line(self, message: str) -> None:
        """Print one error line to stderr, even with --quiet."""
        self.err.print(f"coldstart: {message}", markup=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        """Print a warning to stderr, unless --quiet."""
        if not self.quiet:
            self.err.print(f"warning: {message}", style="yellow", markup=False, soft_wrap=True)
