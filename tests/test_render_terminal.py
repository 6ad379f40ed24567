"""The terminal renderer's attribution sections, rendered at a pinned width."""

from __future__ import annotations

import pytest
from rich.console import Console

from coldstart.render.terminal import BAR_WIDTH, proportional_bar, render_terminal
from tests.report_samples import boto3_report, failed_report, imports_section, timing_only_report


def render_lines(report: dict, min_ms: float | None = None) -> list[str]:
    console = Console(width=120, no_color=True, record=True, file=None)
    with console.capture() as capture:
        console.print(render_terminal(report, min_ms))
    return [line.rstrip() for line in capture.get().splitlines()]


def line_with(lines: list[str], text: str) -> str:
    matches = [line for line in lines if text in line]
    assert matches, f"no line contains {text!r}"
    return matches[0]


def test_import_tree_lines() -> None:
    lines = render_lines(boto3_report())
    assert "Imports at init: 27 modules, 58.40 ms" in line_with(lines, "Imports at init")
    session = line_with(lines, "botocore.session")
    assert session.split()[0] == "51.30"
    assert session.endswith("        botocore.session")
    assert "7 more under 1.17 ms" in line_with(lines, "more under")


def test_import_tree_min_ms_zero() -> None:
    lines = render_lines(boto3_report(), min_ms=0)
    first = lines.index(line_with(lines, "Imports at init")) + 2
    last = lines.index(line_with(lines, "CPU (")) - 1
    tree = lines[first:last]
    assert len(tree) == imports_section()["count"]
    assert not any("more under" in line for line in tree)
    assert line_with(tree, " os").split()[0] == "0.000"


def test_cpu_tree_chains() -> None:
    lines = render_lines(boto3_report())
    assert "CPU (py-spy, 200 Hz, 24 samples): 120.0 ms sampled" in line_with(lines, "CPU (")
    decode = line_with(lines, "loads → decode (json/decoder.py)")
    assert decode.split()[0] == "38.00"
    assert "<module> (botocore/session.py)" in line_with(lines, "<module> (botocore/session.py)")


def test_allocations_and_findings() -> None:
    lines = render_lines(boto3_report())
    assert "Allocations at init: 12.8 MiB in 97718 blocks" in line_with(lines, "Allocations")
    assert line_with(lines, "json/decoder.py:353").split()[-2:] == ["7.0", "MiB"]
    assert line_with(lines, "dateutil.parser (+9.5 ms").startswith("! ")
    assert "fix: import it inside the function that needs it" in "\n".join(lines)


def test_timing_only_has_no_attribution() -> None:
    text = "\n".join(render_lines(timing_only_report()))
    assert "init" in text
    assert "Imports at init" not in text
    assert "CPU (" not in text
    assert "Allocations" not in text
    assert "Findings" not in text


def test_failed_report_shows_error() -> None:
    text = "\n".join(render_lines(failed_report()))
    assert "KeyError in phase init (3/3 runs failed)" in text
    assert "Imports at init" not in text


@pytest.mark.parametrize(("share", "cells"), [(0.0, 0), (0.5, BAR_WIDTH / 2), (1.0, BAR_WIDTH),
                                              (2.0, BAR_WIDTH)])
def test_proportional_bar(share: float, cells: float) -> None:
    bar = proportional_bar(share)
    assert len(bar) == BAR_WIDTH
    assert bar.count("█") == cells
