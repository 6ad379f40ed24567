"""Properties every renderer keeps for any import tree and any set of CPU stacks."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

from hypothesis import given, settings
from hypothesis import strategies as st

from coldstart.render.collapsed import cpu_folded, imports_folded
from coldstart.render.flamegraph import FlamegraphRenderer
from coldstart.render.html import HtmlRenderer
from coldstart.render.speedscope import SpeedscopeRenderer
from coldstart.render.trees import cpu_forest, forest_span
from tests.report_samples import timing_only_report

NAMES = st.text(alphabet="abcdefgh._<>&;\"' ", min_size=1, max_size=12)
TIMES = st.floats(min_value=0, max_value=500, allow_nan=False)


def import_node(children: list[dict]) -> st.SearchStrategy[dict]:
    return st.builds(
        lambda name, self_ms, origin: {
            "module": name, "self_ms": self_ms, "origin": origin, "cached": False,
            "children": children,
            "cumulative_ms": self_ms + sum(child["cumulative_ms"] for child in children),
        },
        NAMES, TIMES, st.sampled_from(["stdlib", "third-party", "task-root", "unknown"]),
    )


IMPORT_TREES = st.recursive(
    st.just([]),
    lambda children: children.flatmap(import_node).map(lambda node: [node])
    | st.lists(children.flatmap(import_node), max_size=3),
    max_leaves=12,
)
FRAMES = st.builds(lambda function, file, line: {"function": function, "file": file,
                                                 "line": line},
                   NAMES, st.sampled_from(["/srv/app.py", "<frozen importlib._bootstrap>",
                                           "/x/site-packages/boto3/a.py"]),
                   st.integers(1, 900))
STACKS = st.lists(st.builds(lambda frames, ms: {"frames": frames, "ms": ms},
                            st.lists(FRAMES, min_size=1, max_size=8),
                            st.floats(min_value=0.001, max_value=100)), max_size=12)


def report_with(tree: list[dict], stacks: list[dict]) -> dict:
    report = timing_only_report()
    report["imports"] = {"source": "importtime run", "count": 0,
                         "total_ms": sum(node["cumulative_ms"] for node in tree),
                         "top": [], "tree": tree}
    report["hotspots"] = {"sampler": "py-spy", "rate_hz": 100, "samples": len(stacks),
                          "top": [], "stacks": stacks}
    return report


@settings(max_examples=60, deadline=None)
@given(IMPORT_TREES, STACKS)
def test_speedscope_events_balanced(tree: list[dict], stacks: list[dict]) -> None:
    document = json.loads(SpeedscopeRenderer().render(report_with(tree, stacks)))
    for profile in document["profiles"]:
        if profile["type"] != "evented":
            continue
        depth = 0
        last = 0.0
        for event in profile["events"]:
            assert event["at"] >= last - 1e-6
            last = event["at"]
            depth += 1 if event["type"] == "O" else -1
            assert depth >= 0
        assert depth == 0


@settings(max_examples=60, deadline=None)
@given(IMPORT_TREES, STACKS)
def test_folded_totals_match(tree: list[dict], stacks: list[dict]) -> None:
    report = report_with(tree, stacks)
    cpu_total = sum(int(line.rsplit(" ", 1)[1]) for line in cpu_folded(report).splitlines())
    expected = sum(round(stack["ms"] * 1000) for stack in stacks)
    assert cpu_total == expected
    for line in imports_folded(report).splitlines():
        stack, count = line.rsplit(" ", 1)
        assert int(count) > 0
        assert all(frame for frame in stack.split(";"))


@settings(max_examples=40, deadline=None)
@given(IMPORT_TREES, STACKS)
def test_svg_and_html_well_formed(tree: list[dict], stacks: list[dict]) -> None:
    report = report_with(tree, stacks)
    ElementTree.fromstring(FlamegraphRenderer().render(report).encode("utf-8"))
    page = HtmlRenderer().render(report)
    assert page.count("<script>") == 1
    assert page.count("<svg") == page.count("</svg>")


@settings(max_examples=60, deadline=None)
@given(STACKS)
def test_cpu_forest_keeps_time(stacks: list[dict]) -> None:
    forest = cpu_forest({"stacks": stacks})
    assert abs(forest_span(forest) - sum(stack["ms"] for stack in stacks)) < 1e-6
