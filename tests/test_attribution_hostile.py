"""`coldstart profile` attribution against handlers that interfere with the instruments:
fake importtime lines, a closed fd 2, their own profile hooks, tracemalloc.stop(), an
invoke that raises, and Ctrl-C in the middle of the attribution runs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO, cli_environment, read_json, run_cli


def write_handler(folder: Path, source: str, name: str = "app.py") -> Path:
    path = folder / name
    path.write_text(source, encoding="utf-8")
    return path


def profile(path: Path, tmp_path: Path, *args: str, runs: int = 2):
    report_path = tmp_path / "report.json"
    result = run_cli("profile", str(path), "--runs", str(runs), "--json", str(report_path),
                     *args, timeout=180)
    report = read_json(report_path) if report_path.exists() else {}
    return result, report


def tree_modules(nodes: list[dict]) -> list[str]:
    names = []
    for node in nodes:
        names.append(node["module"])
        names.extend(tree_modules(node["children"]))
    return names


def test_fake_importtime_lines_are_not_imports(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, (
        "import os\nimport sys\nimport json\n"
        "for i in range(5):\n"
        "    print('import time:       999 |     999999 | fake_module_%d' % i, file=sys.stderr)\n"
        "os.write(2, b'import time:        12 | 1000000000 |   boto3\\n')\n"
        "def handler(event, context):\n"
        "    os.write(2, b'import time:         5 |   99999999 | invoke_fake\\n')\n"
        "    import decimal\n"
        "    return {}\n"
    ))
    result, report = profile(handler, tmp_path, "--no-alloc", "--sampler", "none")
    assert result.returncode == 0, result.stderr
    names = tree_modules(report["imports"]["tree"]) + tree_modules(
        report["imports"]["invoke"]["tree"])
    assert "json" in names
    assert "decimal" in names
    assert not [name for name in names if "fake" in name or name == "boto3"]
    assert report["imports"]["total_ms"] < 1000
    notes = report["attribution"]["notes"]
    assert any("line(s) of the init were dropped" in note for note in notes)
    assert any("line(s) of the first invoke were dropped" in note for note in notes)


def test_closed_fd2_is_noted(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, (
        "import os\nos.close(2)\nimport decimal\n"
        "def handler(event, context):\n    return {}\n"
    ))
    result, report = profile(handler, tmp_path, "--no-alloc", "--sampler", "none")
    assert result.returncode == 0, result.stderr
    assert report["imports"]["complete"] is False
    assert any(note.startswith("the handler closed or replaced fd 2 during the init")
               for note in report["attribution"]["notes"])


def test_invoke_error_keeps_init_figures(tmp_path: Path) -> None:
    result, report = profile(FIXTURES / "failures" / "invoke_error.py", tmp_path,
                             "--no-alloc", "--sampler", "none")
    assert result.returncode == 3, result.stderr
    assert report["summary"]["init_ms"]["n"] == 2
    assert report["summary"]["import_ms"]["n"] == 2
    assert report["imports"] is not None
    assert report["gc"] is not None
    assert "timings from 0" not in result.stdout
    assert "Sources: timings from 2 clean runs (2 failed)" in result.stdout
    traceback = report["runs"][0]["error"]["traceback"]
    assert "invoke_error.py" in traceback
    assert "worker.py" not in traceback


def test_client_calls_count_constructors_only(tmp_path: Path) -> None:
    result, report = profile(FIXTURES / "client_per_invoke" / "app.py", tmp_path,
                             "--no-alloc", "--sampler", "none")
    assert result.returncode == 0, result.stderr
    calls = report["invoke_usage"]["calls"]
    assert calls["botocore.session.Session"] == 1
    assert calls["botocore.client.BaseClient"] == 1
    assert "__main__" not in report["invoke_usage"]["modules"]
    [client] = [item for item in report["findings"] if item["kind"] == "client-per-invoke"]
    assert client["cost_ms"] <= report["summary"]["first_invoke_ms"]["median"]


def test_copy_cost_within_clean_invoke(tmp_path: Path) -> None:
    result, report = profile(FIXTURES / "deepcopy_per_call" / "app.py", tmp_path,
                             "--no-imports", "--sampler", "none")
    assert result.returncode == 0, result.stderr
    clean = report["summary"]["first_invoke_ms"]["median"]
    copies = [item for item in report["findings"] if item["kind"] == "deepcopy-per-call"]
    assert copies
    assert all(item["cost_ms"] <= clean for item in copies)


def test_handler_setprofile_drops_usage(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, (
        "import sys\nimport asyncio\n"
        "def handler(event, context):\n    sys.setprofile(None)\n    return {}\n"
    ))
    result, report = profile(handler, tmp_path, "--no-alloc", "--sampler", "none")
    assert result.returncode == 0, result.stderr
    assert "invoke_usage" not in report
    assert "lazy-import" not in [item["kind"] for item in report["findings"]]
    assert any("sys.setprofile() during the first invoke" in note
               for note in report["attribution"]["notes"])


def test_handler_tracemalloc_stop_is_noted(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, (
        "import tracemalloc\ntracemalloc.stop()\n"
        "def handler(event, context):\n    return {}\n"
    ))
    result, report = profile(handler, tmp_path, "--no-imports", "--sampler", "none")
    assert result.returncode == 0, result.stderr
    assert any(note.startswith("the handler stopped tracemalloc")
               for note in report["attribution"]["notes"])


@pytest.mark.parametrize(("args", "needle"), [
    (["--alloc-frames", "0"], "--alloc-frames"),
    (["--alloc-frames", "70000"], "--alloc-frames"),
    (["--min-ms", "nan"], "--min-ms"),
    (["--min-ms", "inf"], "--min-ms"),
])
def test_bad_attribution_options_exit_2(args: list[str], needle: str) -> None:
    result = run_cli("profile", str(FIXTURES / "hello" / "app.py"), "--runs", "1", *args)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr


def test_folder_target_exits_2() -> None:
    result = run_cli("profile", str(FIXTURES / "hello"), "--runs", "1")
    assert result.returncode == 2, result.stderr
    assert "is a folder" in result.stderr


def test_timing_only_warns_of_ignored_options(tmp_path: Path) -> None:
    result, _ = profile(FIXTURES / "hello" / "app.py", tmp_path, "--timing-only",
                        "--sampler", "py-spy", "--alloc-frames", "4", runs=1)
    assert result.returncode == 0, result.stderr
    assert "--sampler, --alloc-frames ignored" in result.stderr


def interrupt_when(marker: Path, handler: Path, report_path: Path, *args: str) -> tuple:
    process = subprocess.Popen(
        [sys.executable, "-m", "coldstart", "profile", str(handler), "--runs", "1",
         "--json", str(report_path), *args],
        cwd=REPO, env=cli_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


def test_interrupt_in_tracemalloc_run_keeps_import_tree(tmp_path: Path) -> None:
    marker = tmp_path / "tracing"
    handler = write_handler(tmp_path, (
        "import sys, time, decimal\n"
        "if 'tracemalloc' in sys._xoptions:\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "    time.sleep(30)\n"
        "def handler(event, context):\n    return {}\n"
    ))
    report_path = tmp_path / "report.json"
    code, stderr = interrupt_when(marker, handler, report_path, "--sampler", "none")
    assert code == 130, stderr
    report = read_json(report_path)
    assert report["interrupted"] is True
    assert "decimal" in tree_modules(report["imports"]["tree"])


def test_interrupt_in_first_timing_run_writes_report(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    handler = write_handler(tmp_path, (
        f"import time\nopen({str(marker)!r}, 'w').close()\ntime.sleep(30)\n"
        "def handler(event, context):\n    return {}\n"
    ))
    report_path = tmp_path / "report.json"
    code, stderr = interrupt_when(marker, handler, report_path)
    assert code == 130, stderr
    report = read_json(report_path)
    assert report["interrupted"] is True
    assert report["runs"] == []
