"""The SVG flame graph renderer and the frame layout it shares with the HTML report."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from coldstart.render.flame_svg import MIN_FRACTION, fitted_label, layout
from coldstart.render.flamegraph import FlamegraphRenderer
from coldstart.render.trees import cpu_forest, import_forest
from tests.report_samples import boto3_report, failed_report, imports_section, timing_only_report

SVG = "{http://www.w3.org/2000/svg}"


def parse(report: dict) -> ElementTree.Element:
    return ElementTree.fromstring(FlamegraphRenderer().render(report).encode("utf-8"))


def frames(root: ElementTree.Element) -> list[ElementTree.Element]:
    return [group for group in root.iter(f"{SVG}g") if group.get("class") == "frame"]


def test_svg_parses_with_frames() -> None:
    root = parse(boto3_report())
    assert root.tag == f"{SVG}svg"
    drawn = frames(root)
    labels = {group.get("data-label") for group in drawn}
    assert "botocore.session" in labels
    assert "decode (json/decoder.py)" in labels
    assert "importlib" in labels
    assert "boto3/session.py" in labels, "a module's top-level code is named by its path"
    assert "app.py" in labels, "task-root paths are relative to the task root"
    assert "[first invoke]" in labels
    for group in drawn:
        assert group.find(f"{SVG}rect") is not None
        assert group.find(f"{SVG}title").text


def test_svg_frame_widths() -> None:
    for group in frames(parse(boto3_report())):
        width = float(group.find(f"{SVG}rect").get("width"))
        assert 0 < width <= 1200
        assert 0 <= float(group.get("data-x")) < 1
        assert 0 < float(group.get("data-w")) <= 1 + 1e-6


@pytest.mark.parametrize("build", [timing_only_report, failed_report])
def test_svg_without_sections(build) -> None:
    root = parse(build())
    assert frames(root) == []
    texts = " ".join(text.text or "" for text in root.iter(f"{SVG}text"))
    assert "no CPU samples and no import tree" in texts


def test_layout_children_inside_parents() -> None:
    boxes = layout(import_forest(imports_section()))
    by_name = {box.node.name: box for box in boxes}
    parent, child = by_name["boto3"], by_name["boto3.session"]
    assert child.depth == parent.depth + 1
    assert parent.x <= child.x
    assert child.x + child.width <= parent.x + parent.width + 1e-9
    assert all(box.width >= MIN_FRACTION for box in boxes)


def test_cpu_forest_totals() -> None:
    report = boto3_report()
    report["hotspots"]["stacks"].reverse()
    forest = cpu_forest(report["hotspots"], report["target"]["root"])
    init, invoke = forest
    assert init.name == "[init]", "phases are in the order they happen"
    assert invoke.name == "[first invoke]"
    assert init.total_ms == pytest.approx(114.0)
    assert invoke.total_ms == pytest.approx(6.0)
    [handler] = invoke.children
    assert handler.name == "handler (app.py)"
    assert handler.origin == "task-root"
    assert handler.self_ms == pytest.approx(1.0)


def test_importlib_frames_collapsed() -> None:
    forest = cpu_forest(boto3_report()["hotspots"])
    node = forest[0]
    assert node.name == "[init]"
    chain = []
    while node.children:
        node = max(node.children, key=lambda child: child.total_ms)
        chain.append(node.name)
    assert chain.count("importlib") >= 1
    for first, second in zip(chain, chain[1:], strict=False):
        assert not (first == second == "importlib"), chain


@pytest.mark.parametrize(("label", "width", "expected"), [
    ("botocore.session", 200, "botocore.session"),
    ("botocore.session", 60, "botoco.."),
    ("botocore.session", 20, ""),
])
def test_fitted_label(label: str, width: float, expected: str) -> None:
    assert fitted_label(label, width) == expected
