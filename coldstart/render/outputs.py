"""Pick renderers from options or file extensions, check output paths, write the files.

Output paths are checked before anything is measured, so that a bad path costs nothing.
As memray does, an existing regular file is not overwritten unless --force is given.
Devices and FIFOs (/dev/null, a named pipe) are written to without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coldstart.console import Streams
from coldstart.errors import UsageError
from coldstart.render.base import Renderer
from coldstart.render.collapsed import CollapsedRenderer
from coldstart.render.flamegraph import FlamegraphRenderer
from coldstart.render.html import HtmlRenderer
from coldstart.render.json_file import JsonRenderer, write_json, write_text_atomically
from coldstart.render.speedscope import SpeedscopeRenderer

RENDERERS: tuple[type[Renderer], ...] = (
    JsonRenderer, HtmlRenderer, SpeedscopeRenderer, CollapsedRenderer, FlamegraphRenderer,
)
STDOUT = "-"


def renderer_named(name: str) -> Renderer:
    for renderer in RENDERERS:
        if renderer.name == name:
            return renderer()
    raise UsageError(f"unknown output format {name!r}: use one of "
                     + ", ".join(renderer.name for renderer in RENDERERS))


def renderer_for_path(path: str) -> Renderer:
    """Return the renderer whose suffix ends the file name, the longest suffix winning."""
    name = Path(path).name.lower()
    matches = [
        (len(suffix), renderer) for renderer in RENDERERS for suffix in renderer.suffixes
        if name.endswith(suffix)
    ]
    if not matches:
        known = ", ".join(suffix for renderer in RENDERERS for suffix in renderer.suffixes)
        raise UsageError(
            f"cannot tell the output format of {path} from its extension: "
            f"use one of {known}, or an option such as --html FILE"
        )
    return max(matches, key=lambda match: match[0])[1]()


@dataclass
class OutputRequest:
    """The files a command was asked to write; None leaves a format out."""

    json: str | None = None
    html: str | None = None
    speedscope: str | None = None
    collapsed: str | None = None
    flamegraph: str | None = None
    output: list[str] = field(default_factory=list)
    force: bool = False

    def requested(self) -> list[tuple[Renderer, str, str]]:
        """Return (renderer, path, option) for each option given, then each --output file."""
        requested = [
            (renderer_named(name), path, f"--{name}")
            for name, path in (("json", self.json), ("html", self.html),
                               ("speedscope", self.speedscope), ("collapsed", self.collapsed),
                               ("flamegraph", self.flamegraph))
            if path is not None
        ]
        requested.extend((renderer_for_path(path), path, "--output") for path in self.output)
        return requested

    @property
    def to_stdout(self) -> bool:
        return self.json == STDOUT


@dataclass
class PlannedOutput:
    renderer: Renderer
    destination: str
    paths: list[Path]


def check_path(path: Path, option: str, force: bool) -> None:
    """Raise UsageError unless the file can be written, or rewritten with --force."""
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder: give a file name")
    folder = path.resolve().parent
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: folder {folder} does not exist; create it first")
    if not path.exists():
        if not os.access(folder, os.W_OK):
            raise UsageError(f"{option} {path}: folder {folder} is not writable")
        return
    if not os.access(path, os.W_OK):
        raise UsageError(f"{option} {path} is not writable: choose another path")
    if path.resolve().is_file() and not force:
        raise UsageError(f"{option} {path} exists: add --force to overwrite it")


def plan_outputs(request: OutputRequest, inputs: tuple[str, ...] = ()) -> list[PlannedOutput]:
    """Check every output path before any work is done; raise UsageError on the first bad one.

    `inputs` are files the command reads, which it must not overwrite while reading them.
    """
    planned: list[PlannedOutput] = []
    seen: dict[Path, str] = {Path(path).resolve(): "the input" for path in inputs}
    for renderer, destination, option in request.requested():
        if destination == STDOUT:
            if renderer.name != "json":
                raise UsageError(f"{option} -: only --json can write to stdout; give a file")
            planned.append(PlannedOutput(renderer, destination, []))
            continue
        paths = renderer.paths(Path(destination))
        for path in paths:
            resolved = path.resolve()
            if resolved in seen:
                raise UsageError(f"{option} {path} is also {seen[resolved]}: "
                                 "give each output its own file")
            seen[resolved] = f"the {renderer.name} output"
            check_path(path, option, request.force)
        planned.append(PlannedOutput(renderer, destination, paths))
    return planned


def next_step(planned: list[PlannedOutput]) -> str | None:
    """Suggest rendering the saved JSON report as a page when no page was requested."""
    names = {output.renderer.name for output in planned}
    saved = [output.destination for output in planned
             if output.renderer.name == "json" and output.destination != STDOUT]
    if not saved or "html" in names:
        return None
    page = Path(saved[0]).with_suffix(".html")
    return f"to see it as a page: coldstart report {saved[0]} --html {page}"


def write_outputs(
    report: dict[str, Any], planned: list[PlannedOutput], streams: Streams
) -> list[Path]:
    """Render and write every planned output, printing each path written."""
    written: list[Path] = []
    for output in planned:
        if output.destination == STDOUT:
            write_json(report, STDOUT)
            continue
        for path, text in output.renderer.files(report, Path(output.destination)):
            write_text_atomically(path, text)
            written.append(path)
            empty = " (empty: the report has no such section)" if not text else ""
            streams.note(f"wrote {path}{empty}")
    return written
