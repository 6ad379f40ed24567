"""Pieces shared by the commands that measure local targets."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from coldstart.console import Streams
from coldstart.environment import probe_interpreter
from coldstart.errors import EnvironmentProblem, UsageError


def load_event(path: str | None) -> Any:
    """Read the JSON event for the handler; no path gives `{}`."""
    if path is None:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise UsageError(f"event file not found: {path} (give a JSON file with --event)") from error
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read event file {path}: {error}") from error
    try:
        return json.loads(text)
    except ValueError as error:
        raise UsageError(f"malformed event JSON in {path}: {error}; fix the file") from error


# The worker runs on these Python versions and no older.
MIN_TARGET_PYTHON = (3, 9)


def check_python(python: str) -> str:
    """Return the absolute path of a working Python 3.9+ interpreter.

    Raises EnvironmentProblem when it is missing, not executable or too old.
    """
    found = shutil.which(python)
    if found is None:
        if os.path.exists(python):
            raise EnvironmentProblem(
                f"interpreter not executable: {python} (chmod +x it, or give another "
                "with --python)"
            )
        raise EnvironmentProblem(
            f"interpreter not found: {python} (give an installed Python with --python)"
        )
    found = os.path.abspath(found)
    version = probe_interpreter(found)["python_version"]
    major_minor = tuple(int(part) for part in version.split(".")[:2])
    if major_minor < MIN_TARGET_PYTHON:
        raise EnvironmentProblem(
            f"interpreter {python} is Python {version}; coldstart needs Python 3.9 or "
            "newer in --python"
        )
    return found


def check_positive(name: str, value: float, minimum: float = 0) -> None:
    if value <= minimum:
        raise UsageError(f"invalid {name} {value}: it must be greater than {minimum:g}")


def check_range(name: str, value: float, low: float, high: float, unit: str = "") -> None:
    """Raise UsageError unless low <= value <= high (NaN and infinity included)."""
    if not (math.isfinite(value) and low <= value <= high):
        raise UsageError(f"invalid {name} {value}: use a value from {low:g} to {high:g}{unit}")


def check_output_path(path: str | None, option: str) -> None:
    """Check before measuring that an output file can be written, so no run is wasted."""
    if path is None or path == "-":
        return
    destination = Path(path)
    if destination.is_dir():
        raise UsageError(f"{option} {path} is a folder: give a file name")
    folder = destination.resolve().parent
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: folder {folder} does not exist; create it first")
    if destination.exists():
        if not os.access(destination, os.W_OK):
            raise UsageError(f"{option} {path} is not writable: choose another path")
    elif not os.access(folder, os.W_OK):
        raise UsageError(f"{option} {path}: folder {folder} is not writable")


@contextmanager
def work_folder() -> Iterator[Path]:
    """Create a temporary folder for worker configuration and instrument output."""
    folder = Path(tempfile.mkdtemp(prefix="coldstart-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def run_progress(streams: Streams, total: int, description: str) -> Iterator[Any]:
    """Yield a callable that advances a progress bar, shown only on a terminal."""
    if not streams.interactive:
        yield lambda *args: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=streams.err, transient=True,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda *args: progress.advance(task)
