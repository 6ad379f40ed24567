"""Handlers and inputs that try to break a measurement, and what `profile` does with them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO, cli_environment, read_json, run_cli

HELLO = str(FIXTURES / "hello" / "app.py")


def write_handler(folder: Path, source: str, name: str = "app.py") -> Path:
    path = folder / name
    path.write_text(source, encoding="utf-8")
    return path


def profile(path: Path | str, tmp_path: Path, *args: str, runs: int = 1):
    report_path = tmp_path / "report.json"
    result = run_cli("profile", str(path), "--runs", str(runs), "--json", str(report_path),
                     *args, timeout=120)
    report = read_json(report_path) if report_path.exists() else {}
    return result, report


def processes_with(text: str) -> list[str]:
    output = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in output.splitlines() if text in line and "ps -eo" not in line]


def test_child_holding_pipes_does_not_time_out(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, (
        "import subprocess, sys\n"
        "def handler(event, context):\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        "    return {}\n"
    ))
    started = time.monotonic()
    result, report = profile(handler, tmp_path, "--timeout", "20", "--warm-invokes", "0")
    assert result.returncode == 0, result.stderr
    assert report["runs"][0]["status"] == "ok"
    assert time.monotonic() - started < 15


def test_setsid_daemon_is_killed(tmp_path: Path) -> None:
    marker = f"coldstart-daemon-{os.getpid()}"
    handler = write_handler(tmp_path, (
        "import subprocess, sys\n"
        "def handler(event, context):\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', "
        f"'{marker}'], start_new_session=True)\n"
        "    return {}\n"
    ))
    result, _ = profile(handler, tmp_path, "--warm-invokes", "0")
    assert result.returncode == 0, result.stderr
    assert processes_with(marker) == []


@pytest.mark.parametrize("shadowed", ["json", "uuid", "resource", "traceback"])
def test_task_root_shadowing_stdlib(tmp_path: Path, shadowed: str) -> None:
    write_handler(tmp_path, "VALUE = 'the task root module'\n", f"{shadowed}.py")
    handler = write_handler(tmp_path, (
        f"import {shadowed}\n"
        "def handler(event, context):\n"
        f"    assert {shadowed}.VALUE == 'the task root module'\n"
        "    raise RuntimeError('expected failure, to format a traceback')\n"
    ))
    result, report = profile(handler, tmp_path)
    assert result.returncode == 3, result.stderr
    assert report["error"]["type"] == "RuntimeError"
    assert "expected failure" in report["error"]["message"]


def test_closed_result_pipe_is_named(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, (
        "import os\nos.closerange(3, 1024)\n"
        "def handler(event, context):\n    return {}\n"
    ))
    result, report = profile(handler, tmp_path)
    assert result.returncode == 3
    assert report["error"]["type"] == "Runtime.ExitError"
    assert "result pipe" in report["error"]["message"]


def test_reused_result_pipe_is_not_written(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, (
        "import os\nos.closerange(3, 1024)\n"
        "logs = [open(f'log{n}.txt', 'w') for n in range(8)]\n"
        "def handler(event, context):\n    return {}\n"
    ))
    result, report = profile(handler, tmp_path)
    assert result.returncode == 3
    assert "result pipe" in report["error"]["message"]
    for log in tmp_path.glob("log*.txt"):
        assert log.read_text() == ""


def test_patched_clock_does_not_corrupt_timings(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, (
        "import time\ntime.monotonic_ns = lambda: 0\ntime.perf_counter_ns = lambda: 0\n"
        "def handler(event, context):\n    return {}\n"
    ))
    result, report = profile(handler, tmp_path)
    assert result.returncode == 0, result.stderr
    run = report["runs"][0]
    assert run["import_ms"] > 0
    assert run["first_invoke_ms"] >= 0


def test_module_getattr_error_is_init_error(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, (
        "def __getattr__(name):\n    raise RuntimeError('no attribute ' + name)\n"
    ))
    result, report = profile(f"{handler}:handler", tmp_path)
    assert result.returncode == 3
    assert report["error"]["type"] == "RuntimeError"
    assert report["error"]["phase"] == "init"


def test_deep_result_is_marshal_error(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, (
        "def handler(event, context):\n"
        "    value = []\n"
        "    for _ in range(100000):\n"
        "        value = [value]\n"
        "    return value\n"
    ))
    result, report = profile(handler, tmp_path)
    assert result.returncode == 3
    assert report["error"]["type"] == "Runtime.MarshalError"


def test_relative_python_path(tmp_path: Path) -> None:
    relative = os.path.relpath(sys.executable, REPO)
    result = run_cli("profile", HELLO, "--runs", "1", "--python", relative)
    assert result.returncode == 0, result.stderr


def test_old_python_exits_4() -> None:
    old = sorted(Path("/root/.pyenv/versions").glob("2.7*/bin/python"))
    if not old:
        pytest.skip("no Python 2.7 installed")
    result = run_cli("profile", HELLO, "--python", str(old[0]))
    assert result.returncode == 4
    assert "3.9 or newer" in result.stderr


def test_non_python_interpreter_exits_4() -> None:
    result = run_cli("profile", HELLO, "--python", "/bin/true")
    assert result.returncode == 4
    assert "not a working Python" in result.stderr


def test_json_into_missing_folder_fails_before_runs(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_cli("profile", HELLO, "--json", str(tmp_path / "absent" / "r.json"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert time.monotonic() - started < 10


def test_json_to_device_keeps_device(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    result = run_cli("profile", HELLO, "--runs", "1", "--json", str(fifo))
    output, _ = reader.communicate(timeout=60)
    assert result.returncode == 0, result.stderr
    assert fifo.is_fifo()
    assert '"schema": "coldstart.report/1"' in output


def test_json_through_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    refused = run_cli("profile", HELLO, "--runs", "1", "--json", str(link))
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    result = run_cli("profile", HELLO, "--runs", "1", "--json", str(link), "--force")
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert "coldstart.report/1" in real.read_text()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "Usage"),
        (["profile"], "Missing argument"),
        (["nosuchcommand"], "No such command"),
        (["profile", HELLO, "--bogus"], "No such option"),
        (["profile", HELLO, "--runs", "abc"], "--runs"),
        (["profile", HELLO, "--timeout", "nan"], "--timeout"),
        (["profile", HELLO, "--timeout", "1e12"], "--timeout"),
        (["profile", HELLO, "--memory", "64"], "--memory"),
        (["profile", HELLO, "--runs", "99999999999999"], "--runs"),
        (["profile", "app.py.handler"], "app.py:handler"),
        (["profile", "/abs/app.handler"], "--root"),
    ],
)
def test_usage_errors_exit_2(args: list[str], needle: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_quiet_still_reports_failure(tmp_path: Path) -> None:
    result = run_cli("profile", str(FIXTURES / "failures" / "invoke_error.py"), "--runs", "1",
                     "--quiet")
    assert result.returncode == 3
    assert "ValueError" in result.stderr
    assert result.stdout == ""


def test_memory_over_limit_warns(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, (
        "BLOCK = bytearray(200 * 1024 * 1024)\n"
        "def handler(event, context):\n    return {}\n"
    ))
    result, report = profile(handler, tmp_path, runs=1)
    assert result.returncode == 0, result.stderr
    assert any("Runtime.OutOfMemory" in warning for warning in report["warnings"])


def test_interrupt_exits_130_and_keeps_finished_runs(tmp_path: Path) -> None:
    module = f"slow_init_{os.getpid()}"
    handler = write_handler(tmp_path, (
        "import time\ntime.sleep(0.4)\n"
        "def handler(event, context):\n    return {}\n"
    ), f"{module}.py")
    report_path = tmp_path / "report.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "coldstart", "profile", str(handler), "--runs", "50",
         "--json", str(report_path)],
        cwd=REPO, env=cli_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    report = read_json(report_path)
    assert report["interrupted"] is True
    assert 1 <= len(report["runs"]) < 50
    assert processes_with(module) == []
