"""Render folded stacks (`a;b;c 123`) for flamegraph.pl, inferno and speedscope.

`--collapsed FILE` writes two files, because CPU samples and import times are different
measurements that one flame graph must not add up:
- FILE: the CPU stacks, root first, one frame as `function (path:line)`;
- FILE with `.imports` before its suffix (`cpu.folded` gives `cpu.imports.folded`):
  the import chains of init, one frame per module. A module's line carries its self
  time, so a flame graph tool adds the children back into the cumulative time.
Counts are integer microseconds, since both tools expect whole numbers. A file is written
empty when the report has no such section (a timing-only report).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from coldstart.render.base import Renderer
from coldstart.render.text import short_path
from coldstart.render.trees import import_forest, number, stack_frames, walk


def folded_frame(frame: dict[str, Any], task_root: str | None = None) -> str:
    """Format a frame as py-spy does, with the separators of the format removed."""
    function = str(frame.get("function", "?"))
    text = function
    if frame.get("file"):
        location = short_path(str(frame["file"]), task_root)
        if frame.get("line") is not None:
            location = f"{location}:{frame['line']}"
        text = f"{function} ({location})"
    return text.replace(";", ":").replace("\n", " ")


def microseconds(milliseconds: float) -> int:
    return round(milliseconds * 1000)


def fold_lines(weights: Counter[str]) -> str:
    lines = [f"{stack} {count}" for stack, count in weights.items() if count > 0]
    return "".join(f"{line}\n" for line in lines)


def cpu_folded(report: dict[str, Any]) -> str:
    """Return one line per distinct CPU stack with its sampled time in microseconds."""
    weights: Counter[str] = Counter()
    task_root = (report.get("target") or {}).get("root")
    for stack in (report.get("hotspots") or {}).get("stacks") or []:
        if not isinstance(stack, dict):
            continue
        frames = stack_frames(stack)
        if frames:
            folded = ";".join(folded_frame(frame, task_root) for frame in frames)
            weights[folded] += microseconds(number(stack.get("ms")))
    return fold_lines(weights)


def imports_folded(report: dict[str, Any]) -> str:
    """Return one line per imported module: its import chain and its self time."""
    weights: Counter[str] = Counter()
    for path, node in walk(import_forest(report.get("imports"))):
        chain = ";".join(name.replace(";", ":") for name in path)
        weights[chain] += microseconds(node.self_ms)
    return fold_lines(weights)


def imports_path(path: Path) -> Path:
    """Return the companion file for the import stacks: `cpu.folded` -> `cpu.imports.folded`."""
    if path.suffix:
        return path.with_name(f"{path.stem}.imports{path.suffix}")
    return path.with_name(f"{path.name}.imports")


class CollapsedRenderer(Renderer):
    """Folded stacks: CPU in the requested file, imports in a companion file."""

    name = "collapsed"
    suffixes = (".collapsed", ".folded")

    def render(self, report: dict[str, Any]) -> str:
        return cpu_folded(report)

    def paths(self, path: Path) -> list[Path]:
        return [path, imports_path(path)]

    def files(self, report: dict[str, Any], path: Path) -> list[tuple[Path, str]]:
        return [(path, cpu_folded(report)), (imports_path(path), imports_folded(report))]
