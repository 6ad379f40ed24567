"""The terminal rendering of attribution sections, at a pinned width."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from coldstart.render.terminal_attribution import (
    BAR_WIDTH,
    TreeNode,
    bar,
    render_attribution,
    tree_lines,
)


def render(report: dict[str, Any], min_ms: float | None = None) -> list[str]:
    console = Console(width=120, record=True, no_color=True, file=io.StringIO())
    console.print(render_attribution(report, min_ms))
    return console.export_text().splitlines()


def import_node(module: str, cumulative: float, self_ms: float, children=()) -> dict:
    return {"module": module, "cumulative_ms": cumulative, "self_ms": self_ms,
            "origin": "third-party", "cached": False, "children": list(children)}


def test_bar_full_and_empty() -> None:
    assert bar(10.0, 10.0) == "█" * BAR_WIDTH
    assert bar(0.0, 10.0) == " " * BAR_WIDTH
    assert bar(5.0, 0.0) == " " * BAR_WIDTH


def test_bar_uses_eighths() -> None:
    scale = BAR_WIDTH * 8.0  # one eighth of a cell per unit
    assert bar(1.0, scale).rstrip() == "▏"
    assert bar(11.0, scale).rstrip() == "█▍"


def test_tree_collapses_small_siblings() -> None:
    root = TreeNode("app", 100.0, 10.0, children=[
        TreeNode("big", 80.0, 80.0), TreeNode("tiny", 0.6, 0.6), TreeNode("small", 0.5, 0.5),
    ])
    lines = [line.plain for line in tree_lines([root], 100.0, 1.0)]
    assert "total ms" in lines[0]
    assert lines[1].rstrip().endswith("app")
    assert lines[2].rstrip().endswith("big")
    assert lines[3].rstrip().endswith("… 2 more")
    assert "1.1" in lines[3]
    assert len(lines) == 4


def test_tree_drops_negligible_rest() -> None:
    root = TreeNode("app", 100.0, 10.0, children=[
        TreeNode("big", 89.0, 89.0), TreeNode("tiny", 0.5, 0.5), TreeNode("small", 0.4, 0.4),
    ])
    lines = [line.plain.rstrip() for line in tree_lines([root], 100.0, 1.0)]
    assert len(lines) == 3
    assert lines[-1].endswith("big")


def test_tree_shows_largest_anywhere() -> None:
    deep = TreeNode("deep", 30.0, 0.0, children=[
        TreeNode(f"leaf{number}", 1.0, 1.0) for number in range(60)])
    root = TreeNode("app", 100.0, 0.0, children=[deep, TreeNode("client", 70.0, 70.0)])
    lines = [line.plain.rstrip() for line in tree_lines([root], 100.0, 0.5)]
    labels = [line.split()[-1] for line in lines[1:]]
    assert labels[:2] == ["app", "client"]
    assert "deep" in labels
    assert len([label for label in labels if label.startswith("leaf")]) == 37
    assert lines[-1].endswith("… 23 more")


def test_tree_folds_chains() -> None:
    leaf = TreeNode("leaf", 50.0, 50.0)
    chain = TreeNode("c3", 50.0, 0.0, children=[leaf])
    chain = TreeNode("c2", 50.0, 0.0, children=[chain])
    chain = TreeNode("c1", 50.0, 0.0, children=[chain])
    root = TreeNode("init", 50.0, 0.0, children=[TreeNode("top", 50.0, 0.0, children=[chain])])
    lines = [line.plain.rstrip() for line in tree_lines([root], 50.0, 1.0, fold=True)]
    assert lines[2].endswith("top")
    assert lines[3].endswith("… 2 frames … c3")
    assert lines[4].endswith("leaf")
    assert len(lines) == 5


def test_imports_tree_and_sources() -> None:
    report = {
        "runs": [{"status": "ok"}, {"status": "ok"}],
        "imports": {"count": 3, "total_ms": 100.0, "tree": [
            import_node("app", 100.0, 20.0, [import_node("boto3", 80.0, 1.0)])]},
        "attribution": {"runs": [{"instrument": "importtime", "init_inflation": 1.04}]},
        "findings": [{"kind": "lazy-import", "severity": "warning", "message": "boto3 is heavy",
                      "fix": "import it later", "cost_ms": 80.0}],
    }
    lines = render(report)
    assert lines[0].startswith("Imports during init: 3 modules, 100.0 ms")
    assert "boto3  third-party" in lines[3]
    assert "warning: boto3 is heavy" in lines
    assert "  fix: import it later" in lines
    assert lines[-1] == ("Sources: timings from 2 clean runs; importtime run (init 1.0x the "
                         "clean median)")


def test_cpu_section_without_samples() -> None:
    report = {"runs": [], "hotspots": {"sampler": "py-spy", "rate_hz": 250, "samples": 0,
                                        "stacks": []}}
    lines = render(report)
    assert lines[0].startswith("CPU samples: none in the handler's init or first invoke")


def test_no_attribution_renders_nothing() -> None:
    assert render({"runs": []}) == []
