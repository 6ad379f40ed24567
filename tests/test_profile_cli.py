"""`coldstart profile` end to end: the real CLI in a subprocess against the fixtures."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, read_json, run_cli

FAILURES = FIXTURES / "failures"


def profile_json(tmp_path: Path, *args: str, runs: int = 3) -> tuple[int, dict, str]:
    report_path = tmp_path / "report.json"
    # An earlier call's report would stop this one: profile overwrites only with --force.
    report_path.unlink(missing_ok=True)
    result = run_cli("profile", *args, "--runs", str(runs), "--json", str(report_path))
    report = read_json(report_path) if report_path.exists() else {}
    return result.returncode, report, result.stderr + result.stdout


def test_hello_report_shape(tmp_path: Path) -> None:
    code, report, output = profile_json(tmp_path, str(FIXTURES / "hello" / "app.py"))
    assert code == 0, output
    assert report["schema"] == "coldstart.report/1"
    assert report["target"]["kind"] == "local"
    assert report["target"]["handler"] == "app.handler"
    assert len(report["runs"]) == 3
    run = report["runs"][0]
    for key in ("startup_ms", "import_ms", "init_ms", "first_invoke_ms", "peak_rss_mib"):
        assert run[key] > 0, key
    assert len(run["warm_invoke_ms"]) == 3
    assert run["init_ms"] == pytest.approx(run["startup_ms"] + run["import_ms"])
    assert run["cold_start_ms"] == pytest.approx(run["init_ms"] + run["first_invoke_ms"])
    assert len(run["gc"]["collections"]) == 3
    assert report["summary"]["init_ms"]["n"] == 3
    assert "p95" not in report["summary"]["init_ms"]
    assert report["summary"]["warm_invoke_ms"]["n"] == 9
    assert report["environment"]["python_version"]
    assert report["error"] is None


def test_boto3_init_exceeds_hello(tmp_path: Path) -> None:
    _, hello, _ = profile_json(tmp_path, str(FIXTURES / "hello" / "app.py"))
    code, boto3_report, output = profile_json(
        tmp_path, str(FIXTURES / "boto3_clients" / "app.py")
    )
    assert code == 0, output
    assert boto3_report["summary"]["init_ms"]["median"] > 0
    assert boto3_report["summary"]["init_ms"]["median"] > hello["summary"]["init_ms"]["median"]
    assert boto3_report["runs"][0]["modules_at_init"] > hello["runs"][0]["modules_at_init"]


def test_phase_table_printed(tmp_path: Path) -> None:
    result = run_cli("profile", str(FIXTURES / "hello" / "app.py"), "--runs", "2")
    assert result.returncode == 0, result.stderr
    for phase in ("startup", "import", "init", "first invoke", "warm invoke", "cold start"):
        assert phase in result.stdout


def test_json_to_stdout_is_only_the_report() -> None:
    result = run_cli("profile", str(FIXTURES / "hello" / "app.py"), "--runs", "2",
                     "--json", "-")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["schema"] == "coldstart.report/1"
    assert "init" in result.stderr


def test_lambda_environment_and_context(tmp_path: Path) -> None:
    # The handler's return value is not in the report, so it is checked through a file.
    app = tmp_path / "app.py"
    source = (FIXTURES / "lambda_env" / "app.py").read_text()
    app.write_text(source + (
        "\n_original = handler\n"
        "def handler(event, context):\n"
        "    import json, pathlib\n"
        "    result = _original(event, context)\n"
        "    pathlib.Path(TASK_ROOT, 'seen.json').write_text(json.dumps(result))\n"
        "    return result\n"
    ))
    code, _, output = profile_json(
        tmp_path, str(app), "--env", "TABLE_NAME=orders", "--env", "AWS_REGION=eu-west-1",
        "--memory", "512", "--timeout", "7", runs=1,
    )
    assert code == 0, output
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["region"] == "eu-west-1"
    assert seen["task_root"] == str(tmp_path.resolve())
    assert seen["first_path"] == str(tmp_path.resolve())
    assert seen["cwd"] == str(tmp_path.resolve())
    assert seen["handler_env"] == "app.handler"
    assert seen["memory_limit_in_mb"] == 512
    assert seen["table"] == "orders"
    assert 6000 < seen["remaining_ms"] <= 7000
    assert len(seen["request_id"]) == 36


def test_callable_object_handler(tmp_path: Path) -> None:
    code, report, output = profile_json(tmp_path, str(FIXTURES / "callable_object" / "app.py"))
    assert code == 0, output
    assert report["runs"][0]["status"] == "ok"


def test_handler_string_with_relative_imports(tmp_path: Path) -> None:
    code, report, output = profile_json(
        tmp_path, "src/orders/app.lambda_handler", "--root",
        str(FIXTURES / "package_relative"),
    )
    assert code == 0, output
    assert report["target"]["handler"] == "src.orders.app.lambda_handler"
    assert report["runs"][0]["status"] == "ok"


def test_file_colon_function_form(tmp_path: Path) -> None:
    code, report, output = profile_json(
        tmp_path, f"{FAILURES / 'missing_function.py'}:process"
    )
    assert code == 0, output
    assert report["target"]["handler"] == "missing_function.process"


def test_event_file_is_passed(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"sku": "sku-3"}))
    code, report, output = profile_json(
        tmp_path, str(FIXTURES / "callable_object" / "app.py"), "--event", str(event), runs=1
    )
    assert code == 0, output


FAILURE_CASES = [
    ("syntax_error.py", [], "Runtime.UserCodeSyntaxError", "init"),
    ("missing_module.py", [], "Runtime.ImportModuleError", "init"),
    ("missing_function.py:handler", [], "Runtime.HandlerNotFound", "init"),
    ("exception_at_import.py", [], "KeyError", "init"),
    ("exit_at_import.py", [], "Runtime.ExitError", "init"),
    ("segfault_at_import.py", [], "Runtime.ExitError", "init"),
    ("async_handler.py", [], "Runtime.MarshalError", "invoke"),
    ("invoke_error.py", [], "ValueError", "invoke"),
    ("slow_init.py", ["--init-timeout", "1"], "Sandbox.Timedout", "init"),
    ("slow_invoke.py", ["--timeout", "1"], "Sandbox.Timedout", "invoke"),
]


@pytest.mark.parametrize(("fixture", "extra", "error_type", "phase"), FAILURE_CASES)
def test_failure_named_as_lambda(
    tmp_path: Path, fixture: str, extra: list[str], error_type: str, phase: str
) -> None:
    code, report, output = profile_json(tmp_path, str(FAILURES / fixture), *extra, runs=1)
    assert code == 3, output
    assert report, "the report must be written even when the target fails"
    assert report["error"]["type"] == error_type
    assert report["error"]["phase"] == phase
    assert report["runs"][0]["status"] == "error"
    assert error_type in output
    assert "Traceback (most recent call last)" not in output.split(error_type)[0]


def test_exit_status_and_output_tail(tmp_path: Path) -> None:
    _, report, _ = profile_json(tmp_path, str(FAILURES / "exit_at_import.py"), runs=1)
    error = report["error"]
    assert error["message"] == "Runtime exited with error: exit status 3"
    assert "configuration missing, leaving" in error["stdout_tail"]


def test_segfault_names_signal(tmp_path: Path) -> None:
    _, report, _ = profile_json(tmp_path, str(FAILURES / "segfault_at_import.py"), runs=1)
    assert "SIGSEGV" in report["error"]["message"]


def test_import_error_message_names_module(tmp_path: Path) -> None:
    _, report, _ = profile_json(tmp_path, str(FAILURES / "missing_module.py"), runs=1)
    assert "orders_client_not_installed" in report["error"]["message"]
    assert "Unable to import module 'missing_module'" in report["error"]["message"]
    assert "Traceback" in report["error"]["traceback"]


def test_malformed_handler_name(tmp_path: Path) -> None:
    code, report, output = profile_json(
        tmp_path, "nodot", "--root", str(FIXTURES / "hello"), runs=1
    )
    assert code == 3, output
    assert report["error"]["type"] == "Runtime.MalformedHandlerName"


def test_slow_init_finishes_within_timeout(tmp_path: Path) -> None:
    started = time.monotonic()
    code, report, _ = profile_json(
        tmp_path, str(FAILURES / "slow_init.py"), "--init-timeout", "1", runs=1
    )
    assert code == 3
    assert time.monotonic() - started < 1 + 2 + 5  # timeout, grace, CLI start-up


def test_stray_thread_does_not_hang(tmp_path: Path) -> None:
    started = time.monotonic()
    code, report, output = profile_json(
        tmp_path, str(FAILURES / "stray_thread.py"), "--timeout", "2", runs=2
    )
    assert code == 0, output
    assert all(run["status"] == "ok" for run in report["runs"])
    assert time.monotonic() - started < 2 * 2 + 2 + 5


def test_loud_output_does_not_disturb_measurement(tmp_path: Path) -> None:
    code, report, output = profile_json(tmp_path, str(FAILURES / "loud_output.py"), runs=2)
    assert code == 0, output
    run = report["runs"][0]
    assert run["status"] == "ok"
    assert run["init_ms"] > 0
    assert len(run["warm_invoke_ms"]) == 3
    assert run["output"]["stdout_bytes"] > 2_000_000
    assert run["output"]["stderr_bytes"] >= 256 * 1024


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["fixtures/hello/missing.py"], "handler file not found"),
        (["fixtures/hello/app.py", "--event", "nope.json"], "event file not found"),
        (["fixtures/hello/app.py", "--env", "NOEQUALS"], "KEY=VALUE"),
        (["fixtures/hello/app.py", "--runs", "0"], "--runs"),
        (["fixtures/failures/missing_function.py"], "process"),
        (["app.handler", "--root", "no/such/folder"], "--root"),
    ],
)
def test_bad_input_exits_2(args: list[str], needle: str) -> None:
    result = run_cli("profile", *args)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_malformed_event_exits_2(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text("{not json")
    result = run_cli("profile", "fixtures/hello/app.py", "--event", str(event))
    assert result.returncode == 2
    assert "malformed event JSON" in result.stderr
    assert str(event) in result.stderr


def test_missing_interpreter_exits_4() -> None:
    result = run_cli("profile", "fixtures/hello/app.py", "--python", "/no/such/python3")
    assert result.returncode == 4
    assert "/no/such/python3" in result.stderr
    assert "--python" in result.stderr


def test_version_does_not_import_heavy_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom coldstart.cli import main\n"
        "main(['--version'])\nmain(['--help'])\n"
        "heavy = [m for m in ('boto3', 'botocore', 'rich.table', 'pyinstrument', 'psutil')"
        " if m in sys.modules]\nprint('heavy:' + ','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "coldstart 0.1.0" in result.stdout
    assert result.stdout.splitlines()[-1] == "heavy:"


def installed_interpreters() -> list[str]:
    """Other CPython versions on this machine, to run the worker under (3.9 to 3.14)."""
    import glob
    import shutil

    found = []
    for minor in range(9, 15):
        # pyenv's shims fail for versions that are installed but not selected.
        candidates = sorted(glob.glob(f"/root/.pyenv/versions/3.{minor}.*/bin/python3"))
        on_path = shutil.which(f"python3.{minor}")
        if on_path and "/shims/" not in on_path:
            candidates.append(on_path)
        if candidates:
            found.append(candidates[0])
    return found


@pytest.mark.parametrize("python", installed_interpreters() or ["absent"])
def test_worker_under_other_pythons(tmp_path: Path, python: str) -> None:
    if python == "absent":
        pytest.skip("no other CPython 3.9 to 3.14 installed")
    code, report, output = profile_json(
        tmp_path, "src/orders/app.lambda_handler", "--root",
        str(FIXTURES / "package_relative"), "--python", python, runs=1,
    )
    assert code == 0, output
    version = report["environment"]["python_version"]
    assert f"/{version}/" in python or python.endswith(version.rsplit(".", 1)[0])
    assert report["runs"][0]["init_ms"] > 0
