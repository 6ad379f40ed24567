"""The gate's configuration parser, checks, baseline keys and renderers, in process."""

from __future__ import annotations

import json
import math
import random
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from coldstart.errors import UsageError
from coldstart.gate.baseline import (
    environment_key,
    load_baseline,
    new_baseline,
    put_entry,
    save_baseline,
    select_entry,
)
from coldstart.gate.checks import (
    FAIL,
    PASS,
    SKIP,
    CheckResult,
    Reference,
    check_budgets,
    check_init_allocations,
    check_new_modules,
    check_runs,
    check_timing,
)
from coldstart.gate.config import Limits, load_config
from coldstart.render.gate_markdown import render_gate_markdown
from coldstart.render.junit import render_junit

ENVIRONMENT = {
    "python_version": "3.11.7", "implementation": "CPython",
    "platform": "Linux-6.1.0-18-amd64-x86_64-with-glibc2.36", "machine": "x86_64",
    "cpu_model": "Intel(R) Xeon(R) Processor",
}


def make_report(
    init_values: list[float], modules: list[str] | None = None, **sections: Any
) -> dict[str, Any]:
    runs = [
        {"status": "ok", "init_ms": value, "cold_start_ms": value + 1.0, "error": None}
        for value in init_values
    ]
    report = {
        "runs": runs,
        "summary": {"init_ms": {"median": sorted(init_values)[len(init_values) // 2]}},
        "modules": None if modules is None else {
            "count_at_init": len(modules), "names_at_init": modules},
        "imports": None,
        "allocations": None,
    }
    report.update(sections)
    return report


def noisy(center: float, count: int = 10, spread: float = 0.3, seed: int = 1) -> list[float]:
    generator = random.Random(seed)
    return [center * (1 + generator.uniform(-spread, spread)) for _ in range(count)]


def write_pyproject(folder: Path, text: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text(text)
    return path


def test_config_precedence(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, (
        "[tool.coldstart]\nruns = 7\nmax_regression = 20\nmax_init_ms = 500\n"
        '[[tool.coldstart.targets]]\ntarget = "a.py"\nmax_init_ms = 300\n'
        '[[tool.coldstart.targets]]\nname = "b"\ntarget = "b.py"\n'
        'env = { PORT = 8080, DEBUG = true }\n'
    ))
    config = load_config({"max_regression": 5.0, "runs": None}, config_path=path)
    first, second = config.targets
    assert config.runs == 7
    assert first.name == "a.py"
    assert first.limits.max_init_ms == 300
    assert second.limits.max_init_ms == 500
    assert first.limits.max_regression == 5.0
    assert second.env == {"PORT": "8080", "DEBUG": "true"}
    assert first.base_dir == tmp_path.resolve()


def test_config_flag_against_drops_baseline(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[tool.coldstart]\nbaseline = "b.json"\n')
    config = load_config({"against": "main"}, config_path=path)
    assert config.against == "main"
    assert config.baseline is None


def test_config_baseline_relative_to_pyproject(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[tool.coldstart]\nbaseline = ".coldstart/b.json"\n')
    config = load_config({}, config_path=path)
    assert config.baseline == tmp_path.resolve() / ".coldstart" / "b.json"


@pytest.mark.parametrize(("flags", "named"), [
    ({"runs": 0}, "--runs = 0"),
    ({"max_regression": -5.0}, "--max-regression = -5.0"),
    ({"max_new_modules": -1}, "--max-new-modules = -1"),
    ({"baseline": "b.json", "against": "main"}, "exclude each other"),
])
def test_config_rejects_bad_flags(tmp_path: Path, flags: dict, named: str) -> None:
    path = write_pyproject(tmp_path, "[tool.coldstart]\n")
    with pytest.raises(UsageError) as raised:
        load_config(flags, config_path=path)
    assert named in str(raised.value)


def test_config_duplicate_names_rejected(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, (
        '[tool.coldstart]\n[[tool.coldstart.targets]]\nname = "x"\ntarget = "a.py"\n'
        '[[tool.coldstart.targets]]\nname = "x"\ntarget = "b.py"\n'
    ))
    with pytest.raises(UsageError, match="two targets are named 'x'"):
        load_config({}, config_path=path)


def test_timing_regression_detected() -> None:
    reference = Reference(make_report(noisy(100)), "ref")
    current = make_report(noisy(150, seed=2))
    result = check_timing("t", "init_ms", current, reference, Limits())
    assert result.status == FAIL
    assert result.change.startswith("+")


def test_timing_same_distribution_passes() -> None:
    values = noisy(100, count=10)
    reference = Reference(make_report(values), "ref")
    current = make_report(list(reversed(values)))
    result = check_timing("t", "init_ms", current, reference, Limits())
    assert result.status == PASS


def test_timing_shift_within_tolerance_passes() -> None:
    # 5 % slower with a 10 % tolerance: the lower bound cannot exceed 1.10.
    reference = Reference(make_report(noisy(100, spread=0.01)), "ref")
    current = make_report(noisy(105, spread=0.01, seed=2))
    result = check_timing("t", "init_ms", current, reference, Limits(max_regression=10))
    assert result.status == PASS
    strict = check_timing("t", "init_ms", current, reference, Limits(max_regression=1))
    assert strict.status == FAIL


def test_timing_too_few_runs_skips() -> None:
    reference = Reference(make_report([10, 11, 12]), "ref")
    result = check_timing("t", "init_ms", make_report([30, 31, 32]), reference, Limits())
    assert result.status == SKIP
    assert "too few runs" in result.message


def test_new_modules_named_with_cumulative_time() -> None:
    tree = [{"module": "app", "cumulative_ms": 60.0, "children": [
        {"module": "decimal", "cumulative_ms": 30.0, "children": [
            {"module": "_decimal", "cumulative_ms": 25.0, "children": []}]},
        {"module": "statistics", "cumulative_ms": 8.0, "children": [
            {"module": "fractions", "cumulative_ms": 2.0, "children": []}]},
        {"module": "json", "cumulative_ms": 5.0, "children": []},
    ]}]
    reference = Reference(make_report(noisy(10), ["app", "json"]), "ref")
    current = make_report(noisy(10), ["app", "json", "decimal", "_decimal", "statistics",
                                      "fractions"], imports={"tree": tree, "top": []})
    result = check_new_modules("t", current, reference, Limits())
    assert result.status == FAIL
    assert result.message == "new at init: decimal, statistics (+38 ms cumulative)"
    assert result.change == "+4"
    tolerant = check_new_modules("t", current, reference, Limits(max_new_modules=4))
    assert tolerant.status == PASS


def test_new_modules_without_tree_put_project_first() -> None:
    reference = Reference(make_report(noisy(10), ["app"]), "ref")
    current = make_report(noisy(10), ["app", "_decimal", "decimal", "heavylib", "heavylib.x"])
    result = check_new_modules("t", current, reference, Limits())
    assert result.message == "new at init: heavylib, decimal, _decimal"


def test_allocation_growth_beyond_tolerance_fails() -> None:
    def with_bytes(count: int) -> dict:
        return make_report(noisy(10), allocations={"phases": {"init": {"bytes": count}}})
    reference = Reference(with_bytes(1_000_000), "ref")
    assert check_init_allocations("t", with_bytes(1_050_000), reference, Limits()).status == PASS
    assert check_init_allocations("t", with_bytes(1_200_000), reference, Limits()).status == FAIL
    unmeasured = check_init_allocations("t", make_report(noisy(10)), reference, Limits())
    assert unmeasured.status == SKIP


def test_allocation_growth_under_floor_passes() -> None:
    def with_bytes(count: int) -> dict:
        return make_report(noisy(10), allocations={"phases": {"init": {"bytes": count}}})
    reference = Reference(with_bytes(100_000), "ref")
    assert check_init_allocations("t", with_bytes(150_000), reference, Limits()).status == PASS
    assert check_init_allocations("t", with_bytes(200_000), reference, Limits()).status == FAIL


def test_budgets_checked_only_when_set() -> None:
    report = make_report([100.0, 100.0, 100.0], ["a", "b", "c"])
    results = check_budgets("t", report, Limits(max_init_ms=50, max_imported_modules=5))
    verdicts = {result.check: result.status for result in results}
    assert verdicts == {"max_init_ms": FAIL, "max_imported_modules": PASS}


def test_runs_all_failed_is_error() -> None:
    report = make_report([10.0])
    report["runs"][0].update(status="error", error={
        "type": "Runtime.ImportModuleError", "phase": "init", "message": "No module"})
    result = check_runs("t", report)
    assert result.status == "error"
    assert "Runtime.ImportModuleError" in result.message


def test_baseline_key_ignores_kernel_release() -> None:
    key = environment_key(ENVIRONMENT)
    other = environment_key({**ENVIRONMENT, "platform": "Linux-6.8.0-1-x86_64-with-glibc2.39"})
    assert key == other
    assert key["python"] == "3.11"


def test_baseline_select_prefers_exact_key(tmp_path: Path) -> None:
    baseline = new_baseline()
    key = environment_key(ENVIRONMENT)
    other_cpu = {**key, "cpu_model": "AMD EPYC"}
    put_entry(baseline, other_cpu, {"a": {}})
    put_entry(baseline, key, {"a": {"exact": True}})
    entry, differences = select_entry(baseline, key, tmp_path / "b.json")
    assert entry["reports"]["a"] == {"exact": True}
    assert differences == []
    only_other = new_baseline()
    put_entry(only_other, other_cpu, {"a": {}})
    _, differences = select_entry(only_other, key, tmp_path / "b.json")
    assert differences == ["cpu_model: stored 'AMD EPYC', here 'Intel(R) Xeon(R) Processor'"]


def test_baseline_put_replaces_same_key() -> None:
    baseline = new_baseline()
    key = environment_key(ENVIRONMENT)
    assert put_entry(baseline, key, {"a": {}}) is False
    assert put_entry(baseline, key, {"b": {}}) is True
    assert len(baseline["entries"]) == 1


def test_junit_counts_and_cases() -> None:
    results = [
        CheckResult("orders", "init time", PASS, "10 ms", "10 ms"),
        CheckResult("orders", "modules at init", FAIL, message="new at init: boto3"),
        CheckResult("orders", "init allocations", SKIP, message="not measured"),
    ]
    root = ElementTree.fromstring(render_junit(results, 1.5))
    assert root.get("tests") == "3"
    assert root.get("failures") == "1"
    assert root.get("skipped") == "1"
    failure = root.find(".//testcase[@name='modules at init']/failure")
    assert failure is not None
    assert failure.get("message") == "new at init: boto3"
    case = root.find(".//testcase[@name='init time']")
    assert case is not None
    assert case.get("classname") == "coldstart.gate.orders"


def test_markdown_escapes_pipes() -> None:
    results = [CheckResult("a|b", "runs", PASS, current="3/3 ok")]
    markdown = render_gate_markdown(results, "passed: 1 passed", "ref main", ["note"])
    assert "| a\\|b | runs | ✅ pass |" in markdown
    assert markdown.startswith("### coldstart gate passed: 1 passed\n")
    assert "\n- note\n" in markdown


def test_config_python_relative_to_pyproject(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[tool.coldstart]\npython = ".venv/bin/python"\n')
    assert load_config({}, config_path=path).python == str(tmp_path.resolve() / ".venv/bin/python")
    bare = write_pyproject(tmp_path, '[tool.coldstart]\npython = "python3"\n')
    assert load_config({}, config_path=bare).python == "python3"


def saved_baseline(tmp_path: Path, report: dict[str, Any]) -> Path:
    baseline = new_baseline()
    put_entry(baseline, environment_key(ENVIRONMENT), {"orders": report})
    path = tmp_path / "baseline.json"
    save_baseline(path, baseline)
    return path


def test_baseline_well_formed_loads(tmp_path: Path) -> None:
    path = saved_baseline(tmp_path, make_report([10.0, 11.0], ["json"]))
    assert len(load_baseline(path)["entries"]) == 1


@pytest.mark.parametrize(("corrupt", "named"), [
    (lambda entry: entry.update(key={}), "entries[0].key.implementation is None"),
    (lambda entry: entry.update(key="CPython"), "entries[0].key is not an object"),
    (lambda entry: entry.update(reports=[]), "entries[0].reports is not an object"),
    (lambda entry: entry["reports"]["orders"]["runs"][1].update(init_ms="abc"),
     "entries[0].reports['orders'].runs[1].init_ms is 'abc', expected a number"),
    (lambda entry: entry["reports"]["orders"]["runs"][0].update(cold_start_ms=True),
     "runs[0].cold_start_ms is True"),
    (lambda entry: entry["reports"]["orders"].update(runs={}),
     "entries[0].reports['orders'].runs is not a list"),
    (lambda entry: entry["reports"]["orders"].update(settings=5),
     "entries[0].reports['orders'].settings is not an object"),
    (lambda entry: entry["reports"]["orders"]["modules"].update(names_at_init=[1]),
     "names_at_init is not a list of module names"),
])
def test_baseline_corrupt_entry_rejected(tmp_path: Path, corrupt: Any, named: str) -> None:
    path = saved_baseline(tmp_path, make_report([10.0, 11.0], ["json"]))
    document = json.loads(path.read_text())
    corrupt(document["entries"][0])
    path.write_text(json.dumps(document))
    with pytest.raises(UsageError) as raised:
        load_baseline(path)
    assert str(raised.value).startswith(f"invalid baseline {path}: ")
    assert named in str(raised.value)


@pytest.mark.parametrize("key", ["max_regression", "max_alloc_growth", "max_init_ms",
                                 "max_cold_start_ms", "timeout"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_config_rejects_nan_and_infinity(tmp_path: Path, key: str, value: str) -> None:
    path = write_pyproject(tmp_path, f"[tool.coldstart]\n{key} = {value}\n")
    with pytest.raises(UsageError) as raised:
        load_config({}, config_path=path)
    assert f"tool.coldstart.{key} = {value}:" in str(raised.value)


@pytest.mark.parametrize("key", ["max_regression", "max_init_ms"])
def test_config_rejects_nan_flags(tmp_path: Path, key: str) -> None:
    path = write_pyproject(tmp_path, "[tool.coldstart]\n")
    with pytest.raises(UsageError) as raised:
        load_config({key: math.nan}, config_path=path)
    assert f"--{key.replace('_', '-')} = nan:" in str(raised.value)


def test_config_values_shown_in_toml_spelling(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, "[tool.coldstart]\nruns = true\n")
    with pytest.raises(UsageError) as raised:
        load_config({}, config_path=path)
    assert "runs = true:" in str(raised.value)


def test_config_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.toml"
    with pytest.raises(UsageError) as raised:
        load_config({}, config_path=missing)
    assert f"configuration file not found: {missing}" in str(raised.value)


def test_budget_overrun_of_module_count_is_whole() -> None:
    modules = [f"m{number}" for number in range(12)]
    [result] = check_budgets("t", make_report([1.0], modules), Limits(max_imported_modules=5))
    assert result.message == "modules imported at init over budget by 7 modules"


def test_verdict_stable_value_and_counts() -> None:
    from coldstart.commands.gate import count_checks, verdict_of, verdict_value

    results = [
        CheckResult("orders", "runs", PASS),
        CheckResult("orders", "init time", SKIP),
        CheckResult("orders", "cold start time", SKIP),
        CheckResult("orders", "max_init_ms", FAIL),
    ]
    assert verdict_value(results) == "failed"
    assert verdict_value(results[:3]) == "passed"
    assert verdict_value([CheckResult("orders", "runs", "error")]) == "error"
    assert count_checks(results) == {
        "checks": 4, "passed": 1, "failed": 1, "skipped": 2, "errors": 0}
    assert verdict_of(results[:3]) == "passed: 1 passed, 2 skipped"
