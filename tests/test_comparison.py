"""The comparison model and its renderers on reports built from fixed run values."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rich.console import Console

from coldstart.commands.compare import choose_labels, parse_variant
from coldstart.comparison import build_comparison
from coldstart.errors import UsageError
from coldstart.model import build_report
from coldstart.render.comparison_html import render_comparison_html
from coldstart.render.comparison_markdown import render_comparison_markdown
from coldstart.render.comparison_terminal import render_comparison_terminal

ENVIRONMENT = {"python_version": "3.11.7", "implementation": "CPython", "machine": "x86_64",
               "cpu_model": "test cpu", "cpu_count": 2, "memory_mb": 128}
SETTINGS = {"runs": 6, "warm_invokes": 2, "memory_mb": 128, "timeout_s": 3.0,
            "init_timeout_s": 10.0, "env": {}}


def make_run(index: int, init_ms: float, invoke_ms: float, collections: int,
             modules: list[str]) -> dict[str, Any]:
    pause_ms = collections * 0.05
    return {
        "index": index, "status": "ok", "startup_ms": init_ms / 2, "import_ms": init_ms / 2,
        "init_ms": init_ms, "first_invoke_ms": invoke_ms, "cold_start_ms": init_ms + invoke_ms,
        "warm_invoke_ms": [invoke_ms, invoke_ms * 1.01], "peak_rss_mib": 30.0,
        "modules_at_init": len(modules), "module_names_at_init": list(modules),
        "gc": {"collections": [collections, 0, 0], "pause_ms": pause_ms,
               "max_pause_ms": pause_ms,
               "by_phase": {"init": {"collections": [collections, 0, 0], "pause_ms": pause_ms,
                                     "max_pause_ms": pause_ms}}},
        "output": {"stdout_bytes": 0, "stderr_bytes": 0}, "error": None,
    }


def make_report(label: str, init_ms: float, invoke_ms: float, collections: int = 10,
                modules: tuple[str, ...] = ("json", "os"), runs: int = 6) -> dict[str, Any]:
    # A small spread per run so that the samples have no ties.
    run_list = [
        make_run(i, init_ms + 0.1 * i, invoke_ms + 0.001 * i, collections, list(modules))
        for i in range(runs)
    ]
    target = {"kind": "local", "handler": "app.handler", "root": "/tmp", "label": label}
    return build_report(target, dict(ENVIRONMENT), run_list, dict(SETTINGS))


def failed_report(label: str) -> dict[str, Any]:
    report = make_report(label, 20.0, 1.0, runs=2)
    for run in report["runs"]:
        run["status"] = "error"
        run["error"] = {"type": "Runtime.ImportModuleError", "phase": "init",
                        "message": "Unable to import module 'app'"}
    return report


def row(comparison: dict[str, Any], metric: str) -> dict[str, Any]:
    return next(r for r in comparison["rows"] if r["metric"] == metric)


def compare(*reports: dict[str, Any]) -> dict[str, Any]:
    labels = [report["target"]["label"] for report in reports]
    return build_comparison(list(reports), labels, labels, ["measured"] * len(reports))


def test_slower_init_is_significant() -> None:
    comparison = compare(make_report("a", 20.0, 1.0), make_report("b", 40.0, 1.0))
    cell = row(comparison, "init_ms")["comparisons"][1]
    assert cell["verdict"] == "slower"
    assert cell["significant"]
    assert cell["ratio"] == pytest.approx(40.25 / 20.25)
    assert cell["low"] > 1


def test_equal_invoke_is_not_significant() -> None:
    comparison = compare(make_report("a", 20.0, 1.0), make_report("b", 40.0, 1.0))
    cell = row(comparison, "first_invoke_ms")["comparisons"][1]
    assert cell["verdict"] == "not significant"
    assert not cell["significant"]


def test_five_separated_runs_reach_significance() -> None:
    # Five runs a side under the Bonferroni correction: only the exact test gets there.
    comparison = compare(make_report("a", 20.0, 1.0, runs=5), make_report("b", 30.0, 1.0, runs=5))
    assert row(comparison, "init_ms")["comparisons"][1]["verdict"] == "slower"


def test_four_runs_give_no_verdict() -> None:
    comparison = compare(make_report("a", 20.0, 1.0, runs=4), make_report("b", 40.0, 1.0, runs=4))
    assert row(comparison, "init_ms")["comparisons"][1]["verdict"] == "too few runs"
    assert any("fewer than 5 successful runs" in w for w in comparison["warnings"])


def test_reference_column_has_no_comparison() -> None:
    comparison = compare(make_report("a", 20.0, 1.0), make_report("b", 40.0, 1.0))
    assert row(comparison, "init_ms")["comparisons"][0] is None
    assert comparison["reference"] == 0


def test_counts_compared_directly() -> None:
    comparison = compare(
        make_report("a", 20.0, 1.0, collections=10, modules=("json", "os")),
        make_report("b", 20.0, 1.0, collections=40, modules=("json", "os", "boto3", "boto3.s")),
    )
    gc_cell = row(comparison, "gc_collections")["comparisons"][1]
    assert gc_cell["verdict"] == "more"
    assert gc_cell["difference"] == 30
    modules_cell = row(comparison, "modules_at_init")["comparisons"][1]
    assert modules_cell["verdict"] == "more"
    assert modules_cell["difference"] == 2


def test_gc_collections_within_tolerance_are_same() -> None:
    comparison = compare(make_report("a", 20.0, 1.0, collections=10),
                         make_report("b", 20.0, 1.0, collections=11))
    assert row(comparison, "gc_collections")["comparisons"][1]["verdict"] == "same"


def test_module_changes_by_name() -> None:
    comparison = compare(
        make_report("lazy", 20.0, 1.0, modules=("json", "lazy")),
        make_report("eager", 90.0, 1.0, modules=("json", "eager", "boto3", "boto3.session")),
    )
    modules = comparison["changes"][0]["modules"]
    assert modules["added"] == ["boto3", "boto3.session", "eager"]
    assert modules["removed"] == ["lazy"]
    boto3 = next(p for p in modules["added_packages"] if p["package"] == "boto3")
    assert boto3["modules"] == 2


def test_module_changes_take_import_times() -> None:
    eager = make_report("eager", 90.0, 1.0, modules=("json", "boto3"))
    eager["imports"] = {"tree": [{"module": "boto3", "cumulative_ms": 150.0, "children": []}],
                        "top": []}
    comparison = compare(make_report("lazy", 20.0, 1.0, modules=("json",)), eager)
    [package] = comparison["changes"][0]["modules"]["added_packages"]
    assert package["cumulative_ms"] == 150.0


def allocations(init_bytes: int, invoke_bytes: int, line: int) -> dict[str, Any]:
    def phase(total: int) -> dict[str, Any]:
        return {"blocks": total // 100, "bytes": total, "by_package": [],
                "top": [{"file": "/task/app.py", "line": line, "blocks": total // 100,
                         "bytes": total}]}
    return {"source": "tracemalloc run", "frames": 1, "blocks": init_bytes // 100,
            "bytes": init_bytes, "top": [],
            "phases": {"init": phase(init_bytes), "first_invoke": phase(invoke_bytes)}}


def test_allocations_compared_per_phase() -> None:
    reference = make_report("ref", 20.0, 1.0)
    reference["allocations"] = allocations(1_000_000, 2_000, line=40)
    by_value = make_report("value", 20.0, 9.0)
    by_value["allocations"] = allocations(1_000_000, 900_000, line=41)
    comparison = compare(reference, by_value)
    assert row(comparison, "alloc_init_bytes")["comparisons"][1]["verdict"] == "same"
    assert row(comparison, "alloc_invoke_bytes")["comparisons"][1]["verdict"] == "more"
    assert row(comparison, "alloc_invoke_blocks")["comparisons"][1]["verdict"] == "more"
    lines = comparison["changes"][0]["allocations"]
    invoke_lines = [line for line in lines if line["phase"] == "first_invoke"]
    assert invoke_lines[0]["line"] == 41
    assert invoke_lines[0]["change_bytes"] == 900_000


def test_copied_bytes_compared() -> None:
    reference = make_report("ref", 20.0, 1.0)
    reference["allocations"] = allocations(1_000_000, 2_000, line=40)
    reference["allocations"]["copies"] = []
    by_value = make_report("value", 20.0, 9.0)
    by_value["allocations"] = allocations(1_000_000, 2_000, line=40)
    by_value["allocations"]["copies"] = [
        {"kind": "copy.deepcopy", "phase": "first_invoke", "calls": 1, "bytes": 3_000_000,
         "ms": 8.0},
        {"kind": "copy.deepcopy", "phase": "warm_invoke", "calls": 3, "bytes": 9_000_000,
         "ms": 24.0},
    ]
    comparison = compare(reference, by_value)
    copied = row(comparison, "copied_invoke_bytes")
    assert copied["values"] == [0.0, 3_000_000.0]
    assert copied["comparisons"][1]["verdict"] == "more"
    assert copied["comparisons"][1]["difference"] == 3_000_000


def test_missing_allocations_not_measured() -> None:
    comparison = compare(make_report("a", 20.0, 1.0), make_report("b", 20.0, 1.0))
    assert row(comparison, "alloc_invoke_bytes")["comparisons"][1]["verdict"] == "not measured"


def test_failed_variant_still_compares_others() -> None:
    comparison = compare(make_report("a", 20.0, 1.0), failed_report("broken"),
                         make_report("c", 40.0, 1.0))
    assert comparison["variants"][1]["status"] == "failed"
    assert comparison["variants"][1]["error"]["type"] == "Runtime.ImportModuleError"
    assert row(comparison, "init_ms")["comparisons"][1]["verdict"] == "failed"
    assert row(comparison, "init_ms")["comparisons"][2]["verdict"] == "slower"


def test_partly_failed_variant_compared() -> None:
    flaky = make_report("flaky", 40.0, 1.0, runs=8)
    for run in flaky["runs"][:2]:
        run["status"] = "error"
        run["error"] = {"type": "Sandbox.Timedout", "phase": "invoke", "message": "timed out"}
    comparison = compare(make_report("a", 20.0, 1.0), flaky)
    variant = comparison["variants"][1]
    assert variant["status"] == "partly failed"
    assert variant["runs_ok"] == 6
    assert variant["error"]["failed_runs"] == 2
    assert row(comparison, "init_ms")["n"] == [6, 6]
    assert row(comparison, "init_ms")["comparisons"][1]["verdict"] == "slower"


def test_failed_reference_falls_back() -> None:
    comparison = compare(failed_report("broken"), make_report("b", 20.0, 1.0),
                         make_report("c", 40.0, 1.0))
    assert comparison["reference"] == 1
    assert row(comparison, "init_ms")["comparisons"][2]["verdict"] == "slower"
    assert any("broken failed" in w for w in comparison["warnings"])


def test_different_python_warns() -> None:
    other = make_report("b", 20.0, 1.0)
    other["environment"]["python_version"] = "3.12.1"
    comparison = compare(make_report("a", 20.0, 1.0), other)
    [warning] = [w for w in comparison["warnings"] if "different Python" in w]
    assert "3.11.7" in warning
    assert "3.12.1" in warning


def test_different_machine_warns() -> None:
    other = make_report("b", 20.0, 1.0)
    other["environment"]["cpu_model"] = "another cpu"
    comparison = compare(make_report("a", 20.0, 1.0), other)
    assert any("another cpu" in w for w in comparison["warnings"])


def test_same_environment_no_warning() -> None:
    comparison = compare(make_report("a", 20.0, 1.0), make_report("b", 20.0, 1.0))
    assert comparison["warnings"] == []


def rendered_lines(comparison: dict[str, Any], width: int = 160) -> list[str]:
    console = Console(width=width, record=True, no_color=True, file=open("/dev/null", "w"))
    console.print(render_comparison_terminal(comparison))
    return console.export_text().splitlines()


def test_terminal_rows_rendered() -> None:
    comparison = compare(make_report("ref", 20.0, 1.0), make_report("slow", 40.0, 1.0))
    lines = rendered_lines(comparison)
    init_line = next(line for line in lines if line.startswith("│ init (median)"))
    assert "20.25 ms" in init_line
    assert "40.25 ms" in init_line
    assert "1.99x slower [" in init_line
    invoke_line = next(line for line in lines if line.startswith("│ first invoke"))
    assert "not significant" in invoke_line
    assert any("ref (reference)" in line for line in lines)
    assert any("slow vs ref" in line for line in lines)


def test_terminal_shows_failure_name() -> None:
    comparison = compare(make_report("ref", 20.0, 1.0), failed_report("broken"))
    lines = rendered_lines(comparison)
    assert any("failed: Runtime.ImportModuleError" in line for line in lines)
    assert any(line.startswith("broken: Runtime.ImportModuleError in phase init")
               for line in lines)


def test_markdown_table_rows() -> None:
    comparison = compare(make_report("ref", 20.0, 1.0), make_report("slow", 40.0, 1.0))
    markdown = render_comparison_markdown(comparison)
    assert "| metric | ref (reference) | slow | slow vs ref |" in markdown
    assert "| init (median) | 20.25 ms | 40.25 ms | **1.99x slower [" in markdown


def test_html_is_self_contained_and_escaped() -> None:
    reference = make_report("<ref>", 20.0, 1.0)
    comparison = compare(reference, make_report("slow", 40.0, 1.0))
    page = render_comparison_html(comparison)
    assert page.startswith("<!DOCTYPE html>")
    assert "&lt;ref&gt; (reference)" in page
    assert "<ref>" not in page
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page
    assert "<td>init (median)</td>" in page


def test_comparison_keeps_full_reports() -> None:
    reference = make_report("a", 20.0, 1.0)
    comparison = compare(reference, make_report("b", 20.0, 1.0))
    assert comparison["schema"] == "coldstart.comparison/1"
    assert comparison["reports"][0] == reference
    assert len(comparison["reports"][0]["runs"]) == 6


def test_parse_variant_target() -> None:
    spec = parse_variant("fixtures/hello/app.py:handler")
    assert spec.target == "fixtures/hello/app.py:handler"
    assert spec.env == {}
    assert spec.report_path is None


def test_parse_variant_assignments() -> None:
    spec = parse_variant("app.py@LAZY=1,TABLES=a,b,LOG_LEVEL=INFO")
    assert spec.target == "app.py"
    assert spec.env == {"LAZY": "1", "TABLES": "a,b", "LOG_LEVEL": "INFO"}


def test_parse_variant_value_with_at_sign() -> None:
    spec = parse_variant("app.py@EMAIL=ops@example.com")
    assert spec.target == "app.py"
    assert spec.env == {"EMAIL": "ops@example.com"}


def test_parse_variant_folder_with_at_sign() -> None:
    spec = parse_variant("build@2/app.py@MODE=lazy")
    assert spec.target == "build@2/app.py"
    assert spec.env == {"MODE": "lazy"}


def test_parse_variant_report() -> None:
    spec = parse_variant("out/before.json")
    assert spec.report_path == "out/before.json"
    assert spec.target is None


@pytest.mark.parametrize("text", ["", "app.py@", "app.py@=1", "app.py@NOEQUALS",
                                  "app.py@1X=2", "before.json@X=1"])
def test_parse_variant_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_variant(text)


def test_labels_default_to_file_names() -> None:
    specs = [parse_variant("fixtures/a/app.py"), parse_variant("fixtures/b/other.py@X=1")]
    assert choose_labels(specs, []) == ["app.py", "other.py@X=1"]


def test_labels_keep_folders_on_clash() -> None:
    specs = [parse_variant("fixtures/a/app.py"), parse_variant("fixtures/b/app.py")]
    assert choose_labels(specs, []) == ["fixtures/a/app.py", "fixtures/b/app.py"]


def test_labels_number_identical_variants() -> None:
    specs = [parse_variant("fixtures/a/app.py"), parse_variant("fixtures/a/app.py")]
    assert choose_labels(specs, []) == ["app.py", "app.py #2"]


def test_labels_count_must_match() -> None:
    specs = [parse_variant("a.py"), parse_variant("b.py")]
    with pytest.raises(UsageError, match="one --label per variant"):
        choose_labels(specs, ["only-one"])


def test_labels_must_differ() -> None:
    specs = [parse_variant("a.py"), parse_variant("b.py")]
    with pytest.raises(UsageError, match="duplicate --label"):
        choose_labels(specs, ["same", "same"])


def test_build_comparison_does_not_modify_reports() -> None:
    reference = make_report("a", 20.0, 1.0)
    snapshot = copy.deepcopy(reference)
    compare(reference, make_report("b", 30.0, 1.0))
    assert reference == snapshot
