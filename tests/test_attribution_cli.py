"""Attribution runs end to end: the real CLI in a subprocess against the fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, read_json, run_cli


def profile(tmp_path: Path, fixture: str, *args: str, runs: int = 3) -> tuple[dict, str, int]:
    report_path = tmp_path / f"{fixture}.json"
    result = run_cli("profile", str(FIXTURES / fixture / "app.py"), "--runs", str(runs),
                     "--json", str(report_path), *args)
    report = read_json(report_path) if report_path.exists() else {}
    return report, result.stdout + result.stderr, result.returncode


@pytest.fixture(scope="module")
def boto3_profile(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    report, output, code = profile(tmp_path_factory.mktemp("boto3"), "boto3_clients")
    assert code == 0, output
    return report, output


def test_boto3_botocore_in_top_imports(boto3_profile: tuple[dict, str]) -> None:
    report, _ = boto3_profile
    imports = report["imports"]
    assert imports["source"] == "importtime run"
    botocore = [entry for entry in imports["top"] if entry["module"].startswith("botocore")]
    assert botocore, [entry["module"] for entry in imports["top"]]
    assert botocore[0]["origin"] == "third-party"
    assert botocore[0]["chain"].endswith("← boto3 ← app")
    assert botocore[0]["imported_by"][-1] == "app"


def test_boto3_import_tree_root(boto3_profile: tuple[dict, str]) -> None:
    report, _ = boto3_profile
    [root] = report["imports"]["tree"]
    assert root["module"] == "app"
    assert root["origin"] == "task-root"
    assert "boto3" in [child["module"] for child in root["children"]]
    assert report["imports"]["count"] > 100


def test_boto3_allocations_by_package(boto3_profile: tuple[dict, str]) -> None:
    report, _ = boto3_profile
    allocations = report["allocations"]
    assert allocations["source"] == "tracemalloc run"
    assert allocations["frames"] == 1
    assert allocations["bytes"] > 1024 * 1024
    packages = {entry["package"]: entry for entry in allocations["by_package"]}
    assert "botocore" in packages
    assert packages["botocore"]["origin"] == "third-party"
    assert allocations["top"][0]["bytes"] >= allocations["top"][-1]["bytes"]


def test_boto3_gc_figures(boto3_profile: tuple[dict, str]) -> None:
    report, output = boto3_profile
    gc = report["gc"]
    assert gc["source"].startswith("timing runs")
    assert sum(gc["collections"]) > 0
    assert gc["max_pause_ms"] > 0
    assert "GC:" in output


def test_boto3_hotspots_from_py_spy(boto3_profile: tuple[dict, str]) -> None:
    report, output = boto3_profile
    hotspots = report["hotspots"]
    assert hotspots["sampler"] == "py-spy"
    assert hotspots["source"] == "py-spy run"
    assert hotspots["samples"] > 0
    assert hotspots["top"][0]["self_ms"] > 0
    assert hotspots["stacks"][0]["phase"] == "init"
    files = {frame["file"] for stack in hotspots["stacks"] for frame in stack["frames"]}
    assert any("botocore" in file or "boto3" in file for file in files)
    assert "CPU samples" in output


def test_boto3_timing_runs_stay_clean(boto3_profile: tuple[dict, str]) -> None:
    report, output = boto3_profile
    assert len(report["runs"]) == 3
    assert report["summary"]["init_ms"]["n"] == 3
    instruments = [run["instrument"] for run in report["attribution"]["runs"]]
    assert instruments == ["importtime", "tracemalloc", "py-spy"]
    tracemalloc_run = report["attribution"]["runs"][1]
    # tracemalloc slows init several times: its init is not among the timing values.
    assert tracemalloc_run["init_ms"] > report["summary"]["init_ms"]["max"]
    assert tracemalloc_run["init_inflation"] > 1.5
    assert "Sources: timings from 3 clean runs" in output


def test_boto3_terminal_trees(boto3_profile: tuple[dict, str]) -> None:
    _, output = boto3_profile
    assert "Imports during init" in output
    assert "boto3  third-party" in output
    assert "█" in output
    assert "By package (MiB)" in output


def test_timing_only_has_no_attribution(tmp_path: Path) -> None:
    report, output, code = profile(tmp_path, "hello", "--timing-only", runs=2)
    assert code == 0, output
    assert report["imports"] is None
    assert report["allocations"] is None
    assert report["hotspots"] is None
    assert "attribution" not in report
    assert len(report["runs"]) == 2
    assert "Imports during" not in output


def test_skip_options_skip_one_run_each(tmp_path: Path) -> None:
    report, output, code = profile(tmp_path, "hello", "--no-imports", "--no-alloc",
                                   "--sampler", "pyinstrument", runs=2)
    assert code == 0, output
    assert report["imports"] is None
    assert report["allocations"] is None
    assert [run["instrument"] for run in report["attribution"]["runs"]] == ["pyinstrument"]
    assert report["hotspots"]["sampler"] == "pyinstrument"


def test_pyinstrument_samples_stdlib_heavy(tmp_path: Path) -> None:
    report, output, code = profile(tmp_path, "stdlib_heavy", "--no-alloc", "--sampler",
                                   "pyinstrument", runs=2)
    assert code == 0, output
    hotspots = report["hotspots"]
    assert hotspots["samples"] > 0
    assert hotspots["phases"]["init"]["ms"] > 0
    worker_frames = [frame for stack in hotspots["stacks"] for frame in stack["frames"]
                     if frame["file"].endswith("coldstart/worker.py")]
    assert worker_frames == []


def test_invalid_sampler_is_usage_error(tmp_path: Path) -> None:
    _, output, code = profile(tmp_path, "hello", "--sampler", "perf", runs=1)
    assert code == 2
    assert "invalid --sampler 'perf'" in output


def test_lazy_import_finding(tmp_path: Path) -> None:
    report, output, code = profile(tmp_path, "stdlib_heavy", "--sampler", "none", runs=2)
    assert code == 0, output
    lazy = [item for item in report["findings"] if item["kind"] == "lazy-import"]
    modules = [item["message"].split(" ")[0] for item in lazy]
    assert "asyncio" in modules
    assert "decimal" not in modules
    assert "xml.etree.ElementTree" not in modules
    assert "import asyncio inside the function" in output


def test_deepcopy_per_call_finding(tmp_path: Path) -> None:
    report, output, code = profile(tmp_path, "deepcopy_per_call", "--no-imports",
                                   "--sampler", "none", runs=2)
    assert code == 0, output
    copies = {(copy["kind"], copy["phase"]): copy for copy in report["allocations"]["copies"]}
    assert copies[("copy.deepcopy", "first_invoke")]["calls"] == 1
    assert copies[("copy.deepcopy", "first_invoke")]["bytes"] > 500_000
    assert copies[("dataclasses.asdict", "first_invoke")]["calls"] == 1
    assert copies[("json round trip", "first_invoke")]["calls"] == 1
    kinds = [item["message"].split(" ")[0] for item in report["findings"]
             if item["kind"] == "deepcopy-per-call"]
    assert "copy.deepcopy" in kinds


def test_client_per_invoke_finding(tmp_path: Path) -> None:
    report, output, code = profile(tmp_path, "client_per_invoke", "--sampler", "none",
                                   runs=2)
    assert code == 0, output
    calls = report["invoke_usage"]["calls"]
    assert calls["botocore.session.Session.create_client"] == 1
    found = [item for item in report["findings"] if item["kind"] == "client-per-invoke"]
    assert len(found) == 1
    assert "once at module level" in found[0]["fix"]


def test_boto3_clients_at_init_no_client_finding(boto3_profile: tuple[dict, str]) -> None:
    report, _ = boto3_profile
    kinds = [item["kind"] for item in report["findings"]]
    assert "client-per-invoke" not in kinds
    assert "lazy-import" not in kinds


def test_uncached_bytecode_finding(boto3_profile: tuple[dict, str]) -> None:
    report, _ = boto3_profile
    uncached = report["imports"]["uncached_bytecode"]
    assert "app" in [module["module"] for module in uncached["modules"]]
    found = [item for item in report["findings"] if item["kind"] == "uncached-bytecode"]
    assert "compileall" in found[0]["fix"]


def system_python_without_pyinstrument() -> str | None:
    """Return /usr/bin/python3 when it exists and cannot import pyinstrument."""
    python = "/usr/bin/python3"
    if not Path(python).exists():
        return None
    check = subprocess.run([python, "-c", "import pyinstrument"], capture_output=True)
    return python if check.returncode != 0 else None


def test_pyinstrument_missing_in_target(tmp_path: Path) -> None:
    python = system_python_without_pyinstrument()
    if python is None:
        pytest.skip("needs a system Python without pyinstrument")
    report, output, code = profile(tmp_path, "hello", "--python", python, "--no-alloc",
                                   "--no-imports", "--sampler", "pyinstrument", runs=1)
    assert code == 0, output
    assert report["hotspots"] is None
    notes = report["attribution"]["notes"]
    assert any("pyinstrument is not importable" in note for note in notes)
    assert "use --sampler py-spy" in output


def python_wrapper(tmp_path: Path) -> Path:
    """A shell script that runs this Python as its child: py-spy cannot trace through it."""
    wrapper = tmp_path / "python-wrapper.sh"
    wrapper.write_text(f'#!/bin/sh\n{sys.executable} "$@"\nexit $?\n')
    wrapper.chmod(0o755)
    return wrapper


def test_requested_py_spy_failure_exits_4(tmp_path: Path) -> None:
    wrapper = python_wrapper(tmp_path)
    report, output, code = profile(tmp_path, "hello", "--python", str(wrapper), "--no-alloc",
                                   "--no-imports", "--sampler", "py-spy", runs=2)
    assert code == 4, output
    assert "coldstart: error: py-spy wrote no profile" in output
    assert len(report["runs"]) == 2
    assert report["summary"]["init_ms"]["n"] == 2
    assert report["hotspots"] is None
    assert report["attribution"]["sampler_error"].startswith("py-spy wrote no profile")


def test_default_sampler_falls_back(tmp_path: Path) -> None:
    wrapper = python_wrapper(tmp_path)
    report, output, code = profile(tmp_path, "hello", "--python", str(wrapper), "--no-alloc",
                                   "--no-imports", runs=2)
    assert code == 0, output
    assert report["hotspots"]["sampler"] == "pyinstrument"
    [note] = report["attribution"]["notes"]
    assert note.endswith("; sampling with pyinstrument instead")
    assert "warning: py-spy wrote no profile" in output
