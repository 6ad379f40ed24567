"""The folded stacks renderer: line format, totals and the imports companion file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coldstart.render.collapsed import CollapsedRenderer, imports_path
from tests.report_samples import (
    boto3_report,
    cpu_stacks,
    failed_report,
    imports_section,
    timing_only_report,
)

FOLDED_LINE = re.compile(r"^(?P<stack>[^\n]+) (?P<count>\d+)$")


def parse_folded(text: str) -> list[tuple[list[str], int]]:
    """Parse folded stacks as flamegraph.pl does; fail on any line it would skip."""
    parsed = []
    for line in text.splitlines():
        match = FOLDED_LINE.match(line)
        assert match, f"not a folded line: {line!r}"
        frames = match["stack"].split(";")
        assert all(frame.strip() for frame in frames), line
        parsed.append((frames, int(match["count"])))
    return parsed


def write_files(tmp_path: Path, report: dict) -> dict[Path, str]:
    return dict(CollapsedRenderer().files(report, tmp_path / "cpu.folded"))


def test_cpu_lines_parse(tmp_path: Path) -> None:
    files = write_files(tmp_path, boto3_report())
    lines = parse_folded(files[tmp_path / "cpu.folded"])
    assert len(lines) == len(cpu_stacks())
    total_us = sum(count for _, count in lines)
    assert total_us == round(sum(stack["ms"] for stack in cpu_stacks()) * 1000)
    leaves = {frames[-1] for frames, _ in lines}
    assert "decode (json/decoder.py:337)" in leaves
    roots = {frames[0] for frames, _ in lines}
    assert roots == {"[init]", "[first invoke]"}
    assert "<module> (app.py:1)" in lines[0][0]


def test_import_lines_parse(tmp_path: Path) -> None:
    files = write_files(tmp_path, boto3_report())
    lines = parse_folded(files[tmp_path / "cpu.imports.folded"])
    by_chain = {";".join(frames): count for frames, count in lines}
    assert by_chain["app;boto3;boto3.session;botocore.session"] == 3100
    # Self times add up to the cumulative time of the whole import tree.
    assert sum(by_chain.values()) == pytest.approx(imports_section()["total_ms"] * 1000, abs=30)
    # A cached module costs nothing, so it has no line.
    assert "app;os" not in by_chain


@pytest.mark.parametrize("build", [timing_only_report, failed_report])
def test_collapsed_without_sections(tmp_path: Path, build) -> None:
    files = write_files(tmp_path, build())
    assert files == {tmp_path / "cpu.folded": "", tmp_path / "cpu.imports.folded": ""}


def test_frame_separator_escaped() -> None:
    report = boto3_report()
    report["hotspots"]["stacks"] = [{"frames": [{"function": "a;b", "file": "x.py", "line": 1}],
                                     "ms": 1.0}]
    [(frames, count)] = parse_folded(CollapsedRenderer().render(report))
    assert frames == ["a:b (x.py:1)"]
    assert count == 1000


@pytest.mark.parametrize(("requested", "companion"), [
    ("out/cpu.folded", "out/cpu.imports.folded"),
    ("stacks.txt", "stacks.imports.txt"),
    ("stacks", "stacks.imports"),
])
def test_imports_path(requested: str, companion: str) -> None:
    assert imports_path(Path(requested)) == Path(companion)
