"""The import tree, from the stderr of one run under `python -X importtime`.

The worker sends fd 2 to a file of its own while it imports the handler, and to another
while it runs the first invoke (see worker_probe.py). The rest of the handler's stderr
never reaches this parser. What the handler prints in those two windows does, but those
lines have no `import time:` prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coldstart.attribution.origins import Locations

PREFIX = "import time:"
CACHED = "cached"
TOP_MODULES = 25

# A real sample of the input (CPython 3.11, boto3 fixture; `self` and `cumulative` in
# microseconds). A module's line comes after the lines of the modules it imported, which
# are indented two more spaces after the second `|`:
#
#   import time: self [us] | cumulative | imported package
#   import time:       107 |        107 |       collections.abc
#   import time:       103 |        103 |           token
#   import time:       711 |        813 |         tokenize
#   import time:        92 |        905 |       linecache
#   import time:       630 |      28127 |       botocore.session
#   import time:       399 |     134579 |   boto3
#
# Python 3.14 with `-X importtime=2` also logs modules that were already imported, with
# the word `cached` in place of both numbers:
#
#   import time:    cached |     cached |   botocore.session


@dataclass
class ImportNode:
    """One module's import: self and cumulative time in microseconds, and what it imported."""

    module: str
    self_us: int
    cumulative_us: int
    depth: int
    cached: bool = False
    children: list[ImportNode] = field(default_factory=list)


@dataclass
class ParsedImports:
    roots: list[ImportNode]
    warnings: list[str]


def parse_line(line: str) -> ImportNode | None:
    """Parse one `import time:` line; raise ValueError when it is malformed."""
    fields = line[len(PREFIX):].split("|")
    if len(fields) != 3:
        raise ValueError("expected three fields separated by |")
    self_text, cumulative_text, name_part = fields
    self_text = self_text.strip()
    cumulative_text = cumulative_text.strip()
    if self_text == "self [us]":
        return None  # the header line
    module = name_part.strip()
    if not module or " " in module:
        raise ValueError("no module name")
    # One space follows the `|`, then two spaces per level of nesting.
    indent = len(name_part) - len(name_part.lstrip(" "))
    depth = max(0, (indent - 1) // 2)
    if self_text == CACHED or cumulative_text == CACHED:
        return ImportNode(module, 0, 0, depth, cached=True)
    return ImportNode(module, int(self_text), int(cumulative_text), depth)


def parse_importtime(text: str) -> ParsedImports:
    """Build the import tree from -X importtime output; other lines are skipped.

    A line that has the prefix but cannot be parsed is skipped with a warning.
    """
    pending: list[ImportNode] = []
    warnings: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith(PREFIX):
            continue
        try:
            node = parse_line(line)
        except ValueError as error:
            warnings.append(f"importtime line {number} skipped ({error}): {line[:120]!r}")
            continue
        if node is None:
            continue
        # Every pending node deeper than this one was imported by it: it finished last.
        children: list[ImportNode] = []
        while pending and pending[-1].depth > node.depth:
            children.append(pending.pop())
        children.reverse()
        node.children = children
        pending.append(node)
    return ParsedImports(roots=pending, warnings=warnings)


def walk(nodes: list[ImportNode], parents: tuple[str, ...] = ()):  # noqa: ANN201
    """Yield (node, importers nearest first) for every node of the tree."""
    for node in nodes:
        yield node, parents
        yield from walk(node.children, (node.module, *parents))


def us_to_ms(value: int) -> float:
    return round(value / 1000, 3)


def node_to_dict(node: ImportNode, origins: dict[str, str]) -> dict[str, Any]:
    return {
        "module": node.module,
        "self_ms": us_to_ms(node.self_us),
        "cumulative_ms": us_to_ms(node.cumulative_us),
        "origin": origins.get(node.module, "unknown"),
        "cached": node.cached,
        "children": [node_to_dict(child, origins) for child in node.children],
    }


def summarize_tree(roots: list[ImportNode], origins: dict[str, str]) -> dict[str, Any]:
    """Return count, total_ms, top (by self time) and tree for one phase's imports."""
    entries = [(node, parents) for node, parents in walk(roots) if not node.cached]
    top = sorted(entries, key=lambda entry: entry[0].self_us, reverse=True)[:TOP_MODULES]
    return {
        "count": len(entries),
        "total_ms": us_to_ms(sum(node.cumulative_us for node in roots if not node.cached)),
        "cached_count": sum(1 for node, _ in walk(roots) if node.cached),
        "top": [
            {
                "module": node.module,
                "self_ms": us_to_ms(node.self_us),
                "cumulative_ms": us_to_ms(node.cumulative_us),
                "imported_by": list(parents),
                "chain": " ← ".join((node.module, *parents)),
                "origin": origins.get(node.module, "unknown"),
                "cached": False,
            }
            for node, parents in top
        ],
        "tree": [node_to_dict(node, origins) for node in roots],
    }


def module_origins(module_files: dict[str, str | None], locations: Locations) -> dict[str, str]:
    return {name: locations.origin_of_file(path) for name, path in module_files.items()}


def uncached_section(
    uncached: list[dict[str, Any]], roots: list[ImportNode], locations: Locations
) -> dict[str, Any]:
    """Modules compiled from source at import, with the time compiling each took."""
    self_us = {node.module: node.self_us for node, _ in walk(roots)}
    modules = []
    for entry in uncached:
        name = entry["module"]
        modules.append({
            "module": name,
            "file": entry["file"],
            "origin": locations.origin_of_file(entry["file"]),
            "source_bytes": entry.get("source_bytes"),
            "compile_ms": entry.get("compile_ms"),
            "self_ms": us_to_ms(self_us[name]) if name in self_us else None,
        })
    modules.sort(key=lambda module: module["compile_ms"] or 0.0, reverse=True)
    return {
        "count": len(modules),
        "compile_ms": round(sum(module["compile_ms"] or 0.0 for module in modules), 3),
        "modules": modules,
    }


def handler_root(module: str, import_ms: float | None, imported: list[ImportNode]) -> ImportNode:
    """Return the handler module's node, with the modules it imported as children.

    The worker imports the handler with importlib.import_module, which runs the import in
    Python (importlib._bootstrap), so -X importtime does not log it. It logs only the
    imports nested in it. The handler's cumulative time is the import_module call as the
    worker timed it, and its self time what its imports leave: its module-level code,
    such as building clients.
    """
    children_us = sum(node.cumulative_us for node in imported if not node.cached)
    cumulative_us = max(children_us, int((import_ms or 0.0) * 1000))
    for node in imported:
        node.depth += 1
    return ImportNode(module, cumulative_us - children_us, cumulative_us, 0, children=imported)


def build_imports_section(
    init_text: str,
    invoke_text: str,
    module_files: dict[str, str | None],
    uncached: list[dict[str, Any]] | None,
    locations: Locations,
    handler_module: str,
    import_ms: float | None,
) -> tuple[dict[str, Any], list[str]]:
    """Return the report's `imports` section and the parser's warnings.

    `import_ms` is how long the importtime run's import_module call took, the handler
    module's cumulative time.
    """
    origins = module_origins(module_files, locations)
    init = parse_importtime(init_text)
    invoke = parse_importtime(invoke_text)
    init.roots = [handler_root(handler_module, import_ms, init.roots)]
    section = {"source": "importtime run", **summarize_tree(init.roots, origins)}
    section["invoke"] = summarize_tree(invoke.roots, origins)
    if uncached is not None:
        section["uncached_bytecode"] = uncached_section(
            uncached, init.roots + invoke.roots, locations
        )
    return section, init.warnings + invoke.warnings
