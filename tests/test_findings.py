"""Findings built from report dicts: each rule fires on its evidence and only on it."""

from __future__ import annotations

from typing import Any

from coldstart.findings import build_findings


def node(module: str, cumulative_ms: float, origin: str = "third-party",
         children: list | None = None) -> dict[str, Any]:
    return {"module": module, "self_ms": 1.0, "cumulative_ms": cumulative_ms,
            "origin": origin, "cached": False, "children": children or []}


def report(**sections: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "environment": {"python_version": "3.11.7"},
        "summary": {"init_ms": {"median": 200.0}, "first_invoke_ms": {"median": 80.0}},
        "runs": [], "gc": None, "imports": None, "allocations": None, "hotspots": None,
    }
    base.update(sections)
    return base


def imports_with(*children: dict[str, Any]) -> dict[str, Any]:
    return {"total_ms": 150.0, "tree": [node("app", 150.0, "task-root", list(children))],
            "invoke": {"top": []}}


def kinds(findings: list[dict[str, Any]]) -> list[str]:
    return [item["kind"] for item in findings]


def test_lazy_import_for_unused_heavy_module() -> None:
    findings = build_findings(report(
        imports=imports_with(node("pandas", 90.0), node("requests", 40.0)),
        invoke_usage={"modules": ["app", "requests.api"], "calls": {}},
    ))
    lazy = [item for item in findings if item["kind"] == "lazy-import"]
    assert len(lazy) == 1
    assert lazy[0]["message"].startswith("pandas (+90.0 ms cumulative)")
    assert lazy[0]["cost_ms"] == 90.0


def test_lazy_import_needs_invoke_usage() -> None:
    findings = build_findings(report(imports=imports_with(node("pandas", 90.0))))
    assert "lazy-import" not in kinds(findings)


def test_lazy_import_skips_light_modules() -> None:
    findings = build_findings(report(
        imports=imports_with(node("six", 1.0)),
        invoke_usage={"modules": ["app"], "calls": {}},
    ))
    assert "lazy-import" not in kinds(findings)


def test_used_submodule_keeps_package() -> None:
    findings = build_findings(report(
        imports=imports_with(node("boto3", 90.0, children=[node("botocore", 80.0)])),
        invoke_usage={"modules": ["botocore.client"], "calls": {}},
    ))
    assert "lazy-import" not in kinds(findings)


def test_client_per_invoke_from_calls() -> None:
    findings = build_findings(report(invoke_usage={
        "modules": [], "calls": {"botocore.session.Session.create_client": 2},
    }))
    [client] = [item for item in findings if item["kind"] == "client-per-invoke"]
    assert "create_client x2" in client["message"]
    assert client["cost_ms"] == 80.0


def test_no_client_finding_without_calls() -> None:
    findings = build_findings(report(invoke_usage={"modules": ["botocore.client"],
                                                    "calls": {}}))
    assert "client-per-invoke" not in kinds(findings)


def test_copy_finding_per_kind() -> None:
    copies = [
        {"kind": "copy.deepcopy", "phase": "first_invoke", "calls": 1, "bytes": 2_000_000,
         "ms": 40.0},
        {"kind": "copy.deepcopy", "phase": "warm_invoke", "calls": 1, "bytes": 2_000_000,
         "ms": 30.0},
        {"kind": "json round trip", "phase": "first_invoke", "calls": 1, "bytes": 2_000,
         "ms": 0.1},
    ]
    findings = build_findings(report(allocations={"copies": copies}))
    copy_findings = [item for item in findings if item["kind"] == "deepcopy-per-call"]
    assert len(copy_findings) == 1
    assert "again in the warm invoke" in copy_findings[0]["message"]


def gc_run(init_pause: float) -> dict[str, Any]:
    phases = {"init": {"collections": [10, 1, 0], "pause_ms": init_pause,
                       "max_pause_ms": init_pause},
              "first_invoke": {"collections": [0, 0, 0], "pause_ms": 0.0, "max_pause_ms": 0.0}}
    return {"status": "ok", "gc": {"by_phase": phases}}


def test_gc_at_init_warning() -> None:
    runs = [gc_run(12.0), gc_run(3.0)]
    gc = {"by_phase": runs[0]["gc"]["by_phase"], "pause_ms": 12.0, "max_pause_ms": 12.0}
    findings = build_findings(report(runs=runs, gc=gc))
    [gc_finding] = [item for item in findings if item["kind"] == "gc-at-init"]
    assert gc_finding["severity"] == "warning"
    assert "12.0 ms" in gc_finding["message"]
    assert "gc.freeze()" in gc_finding["fix"]


def test_short_gc_pause_is_info() -> None:
    runs = [gc_run(1.5)]
    gc = {"by_phase": runs[0]["gc"]["by_phase"], "pause_ms": 1.5, "max_pause_ms": 1.5}
    findings = build_findings(report(runs=runs, gc=gc))
    assert kinds(findings) == ["gc-pause"]
    assert findings[0]["severity"] == "info"


def test_uncached_bytecode_names_target_python() -> None:
    imports = imports_with()
    imports["uncached_bytecode"] = {"count": 1, "compile_ms": 12.0, "modules": [
        {"module": "app", "file": "/task/app.py", "compile_ms": 12.0}]}
    findings = build_findings(report(imports=imports))
    [uncached] = [item for item in findings if item["kind"] == "uncached-bytecode"]
    assert uncached["severity"] == "warning"
    assert "python3.11 -m compileall" in uncached["fix"]


def test_warnings_sorted_before_info() -> None:
    runs = [gc_run(1.5)]
    gc = {"by_phase": runs[0]["gc"]["by_phase"], "pause_ms": 1.5, "max_pause_ms": 1.5}
    findings = build_findings(report(runs=runs, gc=gc, invoke_usage={
        "modules": [], "calls": {"boto3.session.Session": 1}}))
    assert kinds(findings) == ["client-per-invoke", "gc-pause"]
