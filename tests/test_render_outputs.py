"""Choosing renderers and checking output paths before anything is measured."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coldstart.errors import UsageError
from coldstart.render.outputs import (
    OutputRequest,
    next_step,
    plan_outputs,
    renderer_for_path,
)


@pytest.mark.parametrize(("path", "name"), [
    ("report.html", "html"),
    ("REPORT.HTM", "html"),
    ("out/run.speedscope.json", "speedscope"),
    ("run.json", "json"),
    ("cpu.folded", "collapsed"),
    ("cpu.collapsed", "collapsed"),
    ("flame.svg", "flamegraph"),
])
def test_renderer_from_extension(path: str, name: str) -> None:
    assert renderer_for_path(path).name == name


def test_unknown_extension_rejected() -> None:
    with pytest.raises(UsageError, match=r"cannot tell the output format of report\.pdf"):
        renderer_for_path("report.pdf")


def test_existing_file_needs_force(tmp_path: Path) -> None:
    existing = tmp_path / "report.html"
    existing.write_text("kept")
    with pytest.raises(UsageError, match="--html .* exists: add --force"):
        plan_outputs(OutputRequest(html=str(existing)))
    [planned] = plan_outputs(OutputRequest(html=str(existing), force=True))
    assert planned.paths == [existing]


def test_collapsed_companion_checked(tmp_path: Path) -> None:
    (tmp_path / "cpu.imports.folded").write_text("kept")
    with pytest.raises(UsageError, match=r"cpu\.imports\.folded"):
        plan_outputs(OutputRequest(collapsed=str(tmp_path / "cpu.folded")))


def test_missing_folder_rejected(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist; create it first"):
        plan_outputs(OutputRequest(flamegraph=str(tmp_path / "missing" / "flame.svg")))


def test_same_file_twice_rejected(tmp_path: Path) -> None:
    path = str(tmp_path / "report.html")
    with pytest.raises(UsageError, match="give each output its own file"):
        plan_outputs(OutputRequest(html=path, output=[path]))


def test_input_not_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "report.json"
    source.write_text("{}")
    with pytest.raises(UsageError, match="is also the input"):
        plan_outputs(OutputRequest(json=str(source), force=True), inputs=(str(source),))


def test_fifo_needs_no_force(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    [planned] = plan_outputs(OutputRequest(html=str(fifo)))
    assert planned.paths == [fifo]


def test_symlink_to_file_needs_force(tmp_path: Path) -> None:
    real = tmp_path / "real.html"
    real.write_text("kept")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    with pytest.raises(UsageError, match="exists: add --force"):
        plan_outputs(OutputRequest(html=str(link)))


def test_next_step_suggests_page(tmp_path: Path) -> None:
    saved = str(tmp_path / "r.json")
    hint = next_step(plan_outputs(OutputRequest(json=saved)))
    assert hint == f"to see it as a page: coldstart report {saved} --html {tmp_path / 'r.html'}"
    assert next_step(plan_outputs(OutputRequest(json=saved, html=saved + ".html"))) is None
    assert next_step(plan_outputs(OutputRequest(json="-"))) is None


def test_only_json_to_stdout() -> None:
    with pytest.raises(UsageError, match="--html -: only --json can write to stdout"):
        plan_outputs(OutputRequest(html="-"))
    [planned] = plan_outputs(OutputRequest(json="-"))
    assert planned.paths == []
