"""The -X importtime parser, on output captured from CPython 3.11 (`import json,
email.parser`), with the junk a handler or a thread can mix into stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from coldstart.attribution.importtime import (
    ImportNode,
    build_imports_section,
    parse_importtime,
    walk,
)
from coldstart.attribution.origins import Locations

CAPTURED = (Path(__file__).parent / "data" / "importtime_json_email.txt").read_text()


def find(roots: list[ImportNode], module: str) -> tuple[ImportNode, tuple[str, ...]]:
    for node, parents in walk(roots):
        if node.module == module:
            return node, parents
    raise AssertionError(f"{module} not in the tree")


def test_captured_roots_in_order() -> None:
    parsed = parse_importtime(CAPTURED)
    assert [node.module for node in parsed.roots] == ["json", "email.parser"]
    assert parsed.warnings == []


def test_captured_children_and_times() -> None:
    roots = parse_importtime(CAPTURED).roots
    json_node, _ = find(roots, "json")
    assert [child.module for child in json_node.children] == ["json.decoder", "json.encoder"]
    assert json_node.self_us == 219
    assert json_node.cumulative_us == 17438
    scanner, parents = find(roots, "json.scanner")
    assert parents == ("json.decoder", "json")
    assert scanner.depth == 2


def test_captured_deep_chain() -> None:
    roots = parse_importtime(CAPTURED).roots
    struct_node, parents = find(roots, "_struct")
    assert parents == ("struct", "base64", "email.base64mime", "email.header",
                       "email._policybase", "email.feedparser", "email.parser")
    assert struct_node.depth == 7


def test_every_line_becomes_one_node() -> None:
    lines = [line for line in CAPTURED.splitlines() if "|" in line and "self [us]" not in line]
    nodes = list(walk(parse_importtime(CAPTURED).roots))
    assert len(nodes) == len(lines)


def test_junk_lines_are_skipped() -> None:
    junk = "\n".join([
        "WARNING: the handler prints this to stderr",
        "Traceback (most recent call last):",
        "",
        "import time:   garbage | 12 |   broken.module",
        "import time: 12 | 13",
        "import time:        10 |         10 | ",
        "\x00\x01 binary noise",
    ])
    parsed = parse_importtime(junk + "\n" + CAPTURED + "\nimport time: truncat")
    assert [node.module for node in parsed.roots] == ["json", "email.parser"]
    assert len(parsed.warnings) == 4
    assert "garbage" in parsed.warnings[0]


def test_cached_entries_count_zero() -> None:
    text = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:    cached |     cached |   json",
        "import time:        50 |         50 |   small",
        "import time:       100 |        150 | app_module",
    ])
    roots = parse_importtime(text).roots
    assert len(roots) == 1
    cached, _ = find(roots, "json")
    assert cached.cached
    assert cached.self_us == 0
    assert cached.cumulative_us == 0


def test_section_adds_handler_root() -> None:
    locations = Locations("/task", "/usr/lib/python3.11")
    files = {"json": "/usr/lib/python3.11/json/__init__.py",
             "email.parser": "/usr/lib/python3.11/email/parser.py",
             "app": "/task/app.py"}
    section, warnings = build_imports_section(CAPTURED, "", files, [], locations, "app", 100.0)
    assert warnings == []
    [root] = section["tree"]
    assert root["module"] == "app"
    assert root["origin"] == "task-root"
    assert root["cumulative_ms"] == 100.0
    assert root["self_ms"] == pytest.approx(100.0 - 17.438 - 25.792)
    assert [child["module"] for child in root["children"]] == ["json", "email.parser"]
    assert section["count"] == len(list(walk(parse_importtime(CAPTURED).roots))) + 1
    assert section["invoke"]["count"] == 0


def test_section_top_has_chain_and_origin() -> None:
    locations = Locations("/task", "/usr/lib/python3.11")
    files = {"json.scanner": "/usr/lib/python3.11/json/scanner.py"}
    section, _ = build_imports_section(CAPTURED, "", files, None, locations, "app", 100.0)
    scanner = next(entry for entry in section["top"] if entry["module"] == "json.scanner")
    assert scanner["chain"] == "json.scanner ← json.decoder ← json ← app"
    assert scanner["imported_by"] == ["json.decoder", "json", "app"]
    assert scanner["origin"] == "stdlib"
    assert scanner["self_ms"] == 16.429
