"""`coldstart compare` end to end: the real CLI in a subprocess against the fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, read_json, run_cli

VALUE_APP = FIXTURES / "value_vs_reference" / "app.py"
BY_REFERENCE = f"{VALUE_APP}:by_reference"
BY_VALUE = f"{VALUE_APP}:by_value"
LAZY = str(FIXTURES / "lazy_vs_eager" / "lazy.py")
EAGER = str(FIXTURES / "lazy_vs_eager" / "eager.py")
HELLO = str(FIXTURES / "hello" / "app.py")
TIMING_ROWS = ("init_ms", "first_invoke_ms", "warm_invoke_ms", "cold_start_ms", "gc_pause_ms")
DIRECT_ROWS = ("alloc_init_blocks", "alloc_init_bytes", "alloc_invoke_blocks",
               "alloc_invoke_bytes", "copied_invoke_bytes", "gc_collections", "modules_at_init")


def compare_json(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    path = tmp_path / "comparison.json"
    result = run_cli("compare", *args, "--json", str(path))
    comparison = read_json(path) if path.exists() else {}
    return result.returncode, comparison, result.stdout + result.stderr


def cell(comparison: dict[str, Any], metric: str, variant: int = 1) -> dict[str, Any]:
    row = next(r for r in comparison["rows"] if r["metric"] == metric)
    return row["comparisons"][variant]


def value(comparison: dict[str, Any], metric: str, variant: int) -> float:
    row = next(r for r in comparison["rows"] if r["metric"] == metric)
    return row["values"][variant]


@pytest.fixture(scope="module")
def value_vs_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # 8 runs a side: enough for the invoke timings, whose difference is hundreds of times
    # the noise, and for the counts, which need no test.
    tmp_path = tmp_path_factory.mktemp("value")
    code, comparison, output = compare_json(
        tmp_path, BY_REFERENCE, BY_VALUE, "--runs", "8",
        "--label", "reference", "--label", "value",
    )
    assert code == 0, output
    return comparison


def test_by_value_warm_invoke_slower(value_vs_reference: dict[str, Any]) -> None:
    warm = cell(value_vs_reference, "warm_invoke_ms")
    assert warm["verdict"] == "slower"
    assert warm["significant"]
    assert warm["low"] > 1


def test_by_value_first_invoke_slower(value_vs_reference: dict[str, Any]) -> None:
    assert cell(value_vs_reference, "first_invoke_ms")["verdict"] == "slower"


def test_by_value_more_gc(value_vs_reference: dict[str, Any]) -> None:
    collections = cell(value_vs_reference, "gc_collections")
    assert collections["verdict"] == "more"
    assert collections["significant"]
    # GC pause is wall time: a run preempted during a collection is an outlier, so on a
    # loaded machine its verdict needs more runs than 8. Its direction must still hold.
    pause = cell(value_vs_reference, "gc_pause_ms")
    assert pause["ratio"] > 1
    assert value(value_vs_reference, "gc_invoke_collections", 1) > value(
        value_vs_reference, "gc_invoke_collections", 0
    )


def test_by_value_allocates_more_per_invoke(value_vs_reference: dict[str, Any]) -> None:
    for metric in ("alloc_invoke_blocks", "alloc_invoke_bytes", "copied_invoke_bytes"):
        result = cell(value_vs_reference, metric)
        assert result["verdict"] == "more", (metric, result)
        assert result["significant"], (metric, result)
    assert value(value_vs_reference, "alloc_invoke_bytes", 1) > 100 * value(
        value_vs_reference, "alloc_invoke_bytes", 0
    )


def test_by_value_same_init_allocations(value_vs_reference: dict[str, Any]) -> None:
    assert cell(value_vs_reference, "alloc_init_blocks")["verdict"] == "same"
    assert cell(value_vs_reference, "alloc_init_bytes")["verdict"] == "same"


def test_by_value_copy_lines_listed(value_vs_reference: dict[str, Any]) -> None:
    lines = value_vs_reference["changes"][0]["allocations"]
    invoke_lines = [line for line in lines if line["phase"] == "first_invoke"]
    assert invoke_lines
    assert invoke_lines[0]["change_bytes"] > 0
    assert invoke_lines[0]["file"].endswith("copy.py")


def test_by_value_same_modules(value_vs_reference: dict[str, Any]) -> None:
    assert cell(value_vs_reference, "modules_at_init")["verdict"] == "same"


def test_comparison_json_shape(value_vs_reference: dict[str, Any]) -> None:
    assert value_vs_reference["schema"] == "coldstart.comparison/1"
    assert [v["label"] for v in value_vs_reference["variants"]] == ["reference", "value"]
    reports = value_vs_reference["reports"]
    assert [r["schema"] for r in reports] == ["coldstart.report/1"] * 2
    assert [r["target"]["handler"] for r in reports] == ["app.by_reference", "app.by_value"]
    assert all(len(r["runs"]) == 8 for r in reports)


@pytest.mark.slow
def test_identical_variants_not_significant(tmp_path: Path) -> None:
    # Three comparisons at the default 10 runs: a verdict that flips by chance shows here.
    for attempt in range(3):
        code, comparison, output = compare_json(tmp_path, BY_REFERENCE, BY_REFERENCE)
        assert code == 0, output
        for metric in TIMING_ROWS:
            result = cell(comparison, metric)
            assert result["verdict"] == "not significant", (attempt, metric, result)
        for metric in DIRECT_ROWS:
            result = cell(comparison, metric)
            assert result["verdict"] == "same", (attempt, metric, result)


def test_lazy_eager_module_difference(tmp_path: Path) -> None:
    code, comparison, output = compare_json(tmp_path, LAZY, EAGER, "--runs", "2")
    assert code == 0, output
    modules = comparison["changes"][0]["modules"]
    assert "boto3" in modules["added"]
    assert "botocore.session" in modules["added"]
    assert "boto3" not in modules["removed"]
    packages = [package["package"] for package in modules["added_packages"]]
    assert "boto3" in packages
    assert "botocore" in packages
    boto3 = next(p for p in modules["added_packages"] if p["package"] == "boto3")
    assert boto3["cumulative_ms"] > 0
    assert cell(comparison, "modules_at_init")["verdict"] == "more"
    assert cell(comparison, "alloc_init_bytes")["verdict"] == "more"
    assert "only in eager.py" in output
    assert "ms cumulative" in output
    assert "boto3 (" in output


def test_few_runs_no_verdict(tmp_path: Path) -> None:
    code, comparison, output = compare_json(tmp_path, HELLO, HELLO, "--runs", "2",
                                            "--timing-only")
    assert code == 0, output
    for metric in TIMING_ROWS:
        assert cell(comparison, metric)["verdict"] == "too few runs"
    assert cell(comparison, "alloc_init_bytes")["verdict"] == "not measured"
    assert comparison["reports"][0]["allocations"] is None
    assert "fewer than 5 successful runs" in output
    assert "no significance verdict" in output


def test_failing_variant_exits_3(tmp_path: Path) -> None:
    broken = str(FIXTURES / "failures" / "exception_at_import.py")
    markdown = tmp_path / "comparison.md"
    html = tmp_path / "comparison.html"
    code, comparison, output = compare_json(
        tmp_path, HELLO, broken, HELLO, "--runs", "2",
        "--markdown", str(markdown), "--html", str(html),
    )
    assert code == 3, output
    assert comparison["variants"][1]["status"] == "failed"
    assert comparison["variants"][1]["error"]["type"] == "KeyError"
    assert cell(comparison, "init_ms", 1)["verdict"] == "failed"
    assert cell(comparison, "init_ms", 2)["verdict"] == "too few runs"
    assert cell(comparison, "modules_at_init", 2)["verdict"] == "same"
    assert "failed: KeyError" in output
    assert "failed: KeyError" in markdown.read_text()
    assert "failed: KeyError" in html.read_text()


def test_markdown_and_html_written(tmp_path: Path) -> None:
    markdown = tmp_path / "comparison.md"
    html = tmp_path / "comparison.html"
    result = run_cli("compare", HELLO, f"{HELLO}@GREETING=hi", "--runs", "1", "--timing-only",
                     "--markdown", str(markdown), "--html", str(html))
    assert result.returncode == 0, result.stderr
    text = markdown.read_text()
    header = "| metric | app.py (reference) | app.py@GREETING=hi | app.py@GREETING=hi vs app.py |"
    assert header in text
    assert "| init (median) |" in text
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "src=\"http" not in page
    assert "<td>warm invoke</td>" in page


def test_assignments_reach_the_handler(tmp_path: Path) -> None:
    target = str(FIXTURES / "lambda_env" / "app.py")
    code, comparison, output = compare_json(
        tmp_path, target, f"{target}@TABLE_NAME=orders,REGION_LIST=a,b", "--runs", "1",
        "--timing-only",
    )
    assert code == 0, output
    assert comparison["reports"][0]["settings"]["env"] == {}
    env = comparison["reports"][1]["settings"]["env"]
    assert env == {"TABLE_NAME": "orders", "REGION_LIST": "a,b"}


def test_saved_reports_compared_with_warning(tmp_path: Path) -> None:
    saved = tmp_path / "hello.json"
    result = run_cli("profile", HELLO, "--runs", "2", "--timing-only", "--json", str(saved))
    assert result.returncode == 0, result.stderr
    other = json.loads(saved.read_text())
    other["environment"]["python_version"] = "3.9.18"
    other_path = tmp_path / "other.json"
    other_path.write_text(json.dumps(other))
    code, comparison, output = compare_json(tmp_path, str(saved), str(other_path))
    assert code == 0, output
    assert [v["source"] for v in comparison["variants"]] == ["report", "report"]
    assert "different Python or machine" in output
    assert "3.9.18" in output


def test_json_to_stdout(tmp_path: Path) -> None:
    result = run_cli("compare", HELLO, HELLO, "--runs", "1", "--timing-only", "--json", "-")
    assert result.returncode == 0, result.stderr
    comparison = json.loads(result.stdout)
    assert comparison["schema"] == "coldstart.comparison/1"
    assert "init (median)" in result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([HELLO], "at least two variants"),
        ([HELLO, "fixtures/hello/missing.py"], "handler file not found"),
        ([HELLO, f"{HELLO}@"], "KEY=VALUE"),
        ([HELLO, f"{HELLO}@1X=2"], "KEY=VALUE"),
        ([HELLO, "no/such/report.json"], "report not found"),
        ([HELLO, HELLO, "--label", "one"], "one --label per variant"),
        ([HELLO, HELLO, "--label", "x", "--label", "x"], "duplicate --label"),
        ([HELLO, HELLO, "--runs", "0"], "--runs"),
        ([HELLO, HELLO, "--markdown", "no/such/folder/out.md"], "folder not found"),
        ([HELLO, HELLO, "--markdown", "-"], "only --json takes -"),
    ],
)
def test_bad_input_exits_2(args: list[str], needle: str) -> None:
    result = run_cli("compare", *args)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_report_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "not-a-report.json"
    path.write_text(json.dumps({"schema": "something/1"}))
    result = run_cli("compare", HELLO, str(path))
    assert result.returncode == 2
    assert "invalid report" in result.stderr
