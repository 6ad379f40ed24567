"""Pieces shared by the commands that measure local targets."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from coldstart.console import Streams
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


def check_python(python: str) -> str:
    """Return the interpreter path, or raise EnvironmentProblem if it cannot be found."""
    found = shutil.which(python)
    if found is None:
        raise EnvironmentProblem(
            f"interpreter not found: {python} (give an installed Python with --python)"
        )
    return found


def check_positive(name: str, value: float, minimum: float = 0) -> None:
    if value <= minimum:
        raise UsageError(f"invalid {name} {value}: it must be greater than {minimum:g}")


@contextmanager
def work_folder() -> Iterator[Path]:
    """A temporary folder for worker configuration and instrument output."""
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
