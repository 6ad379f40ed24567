"""`coldstart gate` and `coldstart baseline save` end to end, in temporary git repositories."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.conftest import cli_environment

HANDLER = '''\
import json
import re


def handler(event, context):
    return {"ok": True, "body": json.dumps(event)}
'''
# Imports a broad slice of the standard library, then does about 1e6 multiplications:
# far more at init than the handler above, on any machine.
HEAVY_PACKAGE = '''\
import asyncio
import decimal
import email.mime.multipart
import http.client
import sqlite3
import statistics
import xml.etree.ElementTree
import zipfile

TABLE = [sum(i * j for j in range(300)) for i in range(3000)]
'''
PYPROJECT = '''\
[tool.coldstart]
against = "HEAD~1"

[[tool.coldstart.targets]]
name = "orders"
target = "app.py"
'''


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True,
    )
    return completed.stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid",
        "commit", "-q", "-m", message)


def worktrees(repo: Path) -> list[str]:
    listing = git(repo, "worktree", "list", "--porcelain")
    return [line.split(" ", 1)[1] for line in listing.splitlines()
            if line.startswith("worktree ")]


def make_repo(path: Path, pyproject: str = PYPROJECT, handler: str = HANDLER) -> Path:
    """Create a git repository with a handler and a first commit."""
    path.mkdir()
    git(path, "init", "-q")
    (path / "app.py").write_text(handler)
    (path / "pyproject.toml").write_text(pyproject)
    commit_all(path, "Add the handler")
    return path


def run_gate(repo: Path, *args: str, extra_env: dict[str, str] | None = None,
             command: str = "gate") -> subprocess.CompletedProcess:
    env = cli_environment()
    env.pop("GITHUB_STEP_SUMMARY", None)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "coldstart", *command.split(), *args],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600,
    )


def assert_only_main_worktree(repo: Path) -> None:
    listed = worktrees(repo)
    assert listed == [str(repo.resolve())], listed


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "project")


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_unrelated_change_passes(repo: Path, attempt: int) -> None:
    # Default runs: the gate must stay green on a change that does not touch init.
    (repo / "README.md").write_text("orders service\n")
    (repo / "app.py").write_text(HANDLER.replace('"ok": True', '"ok": True, "v": 2'))
    commit_all(repo, "Change the response")
    result = run_gate(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gate passed" in result.stderr
    assert "init time" in result.stdout
    assert_only_main_worktree(repo)


def test_heavy_import_fails_naming_module(repo: Path, tmp_path: Path) -> None:
    (repo / "heavylib").mkdir()
    (repo / "heavylib" / "__init__.py").write_text(HEAVY_PACKAGE)
    (repo / "app.py").write_text("import heavylib\n" + HANDLER)
    commit_all(repo, "Import heavylib at module scope")
    junit = tmp_path / "gate.xml"
    result = run_gate(repo, "--junit", str(junit))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "new at init: heavylib (+" in result.stdout
    assert "ms cumulative)" in result.stdout
    assert "gate failed" in result.stderr
    assert "orders modules at init" in result.stderr
    # +100 ms or more on a handler that inits in tens of ms is beyond any noise here.
    assert "orders init time" in result.stderr
    cases = ElementTree.parse(junit).getroot().iter("testcase")
    failed = {case.get("name"): case.find("failure") for case in cases}
    assert failed["modules at init"] is not None
    assert "heavylib" in failed["modules at init"].get("message")
    # The new packages and the table allocate about 8 MB at init, far over the 64 KiB floor.
    assert failed["init allocations"] is not None
    assert_only_main_worktree(repo)


def test_max_init_ms_exceeded_fails(tmp_path: Path) -> None:
    pyproject = PYPROJECT + "max_init_ms = 1\n"
    repo = make_repo(tmp_path / "project", pyproject=pyproject)
    (repo / "README.md").write_text("x\n")
    commit_all(repo, "Add a readme")
    result = run_gate(repo, "--runs", "3")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "orders max_init_ms" in result.stderr
    assert "median init over budget" in result.stdout
    assert_only_main_worktree(repo)


def test_budget_flag_overrides_config(tmp_path: Path) -> None:
    pyproject = PYPROJECT + "max_init_ms = 1\n"
    repo = make_repo(tmp_path / "project", pyproject=pyproject)
    (repo / "README.md").write_text("x\n")
    commit_all(repo, "Add a readme")
    result = run_gate(repo, "--runs", "3", "--max-init-ms", "60000")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "60000 ms" in result.stdout


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ("[tool.coldstart]\nruns = 0\n", "runs = 0"),
        ('[tool.coldstart]\nruns = "ten"\n', "runs = 'ten'"),
        ("[tool.coldstart]\nmax_regresion = 5\n", "did you mean 'max_regression'"),
        ("[tool.coldstart]\nmax_regression = -1\n", "max_regression = -1"),
        ('[tool.coldstart]\n[[tool.coldstart.targets]]\nname = "x"\n', "has no 'target' key"),
        ('[tool.coldstart]\n[[tool.coldstart.targets]]\ntarget = "app.py"\n'
         'max_init_ms = "fast"\n', "#1 max_init_ms = 'fast'"),
        ('[tool.coldstart]\n[[tool.coldstart.targets]]\ntarget = "app.py"\n'
         "env = { A = [1] }\n", "env.A = [1]"),
        ('[tool.coldstart]\ntargets = "app.py"\n', "must be an array of tables"),
        ('[tool.coldstart]\nbaseline = "b.json"\nagainst = "main"\n', "both baseline and against"),
        ("[tool.coldstart\nruns = 3\n", "not valid TOML"),
        ('[tool.coldstart]\nattribution = "yes"\n', "attribution = 'yes': expected true or false"),
    ],
)
def test_broken_config_exits_2(tmp_path: Path, config: str, named: str) -> None:
    repo = make_repo(tmp_path / "project", pyproject=config)
    result = run_gate(repo)
    assert result.returncode == 2, result.stdout + result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert_only_main_worktree(repo)


def test_no_arguments_reads_pyproject(repo: Path, tmp_path: Path) -> None:
    (repo / "README.md").write_text("x\n")
    commit_all(repo, "Add a readme")
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    junit = tmp_path / "gate.xml"
    result = run_gate(repo, "--junit", str(junit),
                      extra_env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "current against HEAD~1" in result.stdout
    markdown = summary.read_text()
    assert markdown.startswith("earlier step\n")
    assert "### coldstart gate passed: " in markdown
    assert "| orders | init time |" in markdown
    root = ElementTree.parse(junit).getroot()
    names = [case.get("name") for case in root.iter("testcase")]
    assert names == ["runs", "init time", "cold start time", "modules at init",
                     "init allocations"]
    assert root.get("failures") == "0"


def test_target_argument_without_pyproject(tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "app.py").write_text(HANDLER)
    commit_all(repo, "Add the handler")
    result = run_gate(repo, "app.py", "--against", "HEAD", "--runs", "5", "--no-attribution",
                      "--markdown", str(tmp_path / "gate.md"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "app.py" in result.stdout
    markdown = (tmp_path / "gate.md").read_text()
    assert "| app.py | modules at init | ✅ pass |" in markdown
    assert "| app.py | init allocations | ⏭️ skip |" in markdown
    assert_only_main_worktree(repo)


def test_unknown_ref_exits_2(repo: Path) -> None:
    result = run_gate(repo, "--against", "no-such-branch")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "git ref not found: no-such-branch" in result.stderr
    assert_only_main_worktree(repo)


def test_target_missing_at_ref_skips_comparison(repo: Path) -> None:
    pyproject = PYPROJECT + '\n[[tool.coldstart.targets]]\nname = "new"\ntarget = "new.py"\n'
    (repo / "pyproject.toml").write_text(pyproject)
    (repo / "new.py").write_text(HANDLER)
    commit_all(repo, "Add a second function")
    result = run_gate(repo, "--runs", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    details = " ".join(result.stdout.split())
    skipped = "new init time, cold start time, modules at init, init allocations"
    assert f"{skipped}: not measurable at HEAD~1" in details
    assert "handler file not found: HEAD~1:new.py" in details
    assert re.search(r"gate passed: \d+ passed, \d+ skipped", result.stderr), result.stderr
    assert_only_main_worktree(repo)


def test_target_failing_to_start_exits_3(repo: Path, tmp_path: Path) -> None:
    (repo / "app.py").write_text("raise RuntimeError('no config')\n" + HANDLER)
    commit_all(repo, "Break init")
    junit = tmp_path / "gate.xml"
    result = run_gate(repo, "--runs", "2", "--junit", str(junit))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "the target failed to start: RuntimeError" in result.stderr
    errors = list(ElementTree.parse(junit).getroot().iter("error"))
    assert len(errors) == 1
    assert_only_main_worktree(repo)


SLOW_HANDLER = "import time\ntime.sleep(0.3)\n" + HANDLER


@pytest.mark.parametrize(("signal_number", "exit_status"),
                         [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, 130)])
def test_signal_removes_worktree(tmp_path: Path, signal_number: int, exit_status: int) -> None:
    repo = make_repo(tmp_path / "project", handler=SLOW_HANDLER)
    (repo / "README.md").write_text("x\n")
    commit_all(repo, "Add a readme")
    env = cli_environment()
    # A shell's background job inherits SIGINT ignored, and Python keeps it ignored;
    # restoring the default lets the child install its KeyboardInterrupt handler.
    process = subprocess.Popen(
        [sys.executable, "-m", "coldstart", "gate", "--runs", "20"], cwd=repo, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while len(worktrees(repo)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        listed = worktrees(repo)
        assert len(listed) == 2, "the gate never created its worktree"
        time.sleep(1.0)  # let some runs start
        process.send_signal(signal_number)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == exit_status, stderr
    assert "Traceback" not in stderr
    if signal_number == signal.SIGTERM:
        assert "gate stopped by SIGTERM; removed its temporary worktree" in stderr
    assert_only_main_worktree(repo)
    assert not Path(listed[1]).exists()


def test_baseline_save_refuses_overwrite(repo: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    first = run_gate(repo, "-o", str(baseline), "--runs", "5", command="baseline save")
    assert first.returncode == 0, first.stdout + first.stderr
    saved = json.loads(baseline.read_text())
    assert saved["schema"] == "coldstart.baseline/1"
    [entry] = saved["entries"]
    assert entry["key"]["python"] == "{}.{}".format(*sys.version_info[:2])
    assert entry["reports"]["orders"]["schema"] == "coldstart.report/1"
    assert not list(tmp_path.glob(".baseline.json.tmp"))

    again = run_gate(repo, "-o", str(baseline), "--runs", "5", command="baseline save")
    assert again.returncode == 2, again.stdout + again.stderr
    assert "already exists; add --force" in again.stderr
    assert json.loads(baseline.read_text()) == saved

    forced = run_gate(repo, "-o", str(baseline), "--runs", "5", "--force",
                      command="baseline save")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    replaced = json.loads(baseline.read_text())
    assert len(replaced["entries"]) == 1
    assert replaced["entries"][0]["created"] >= entry["created"]
    assert "replaced the entry" in forced.stderr


def test_gate_against_stored_baseline(repo: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    saved = run_gate(repo, "-o", str(baseline), "--runs", "5", command="baseline save")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    # The baseline was measured at another moment, not interleaved: on a shared machine its
    # timings can differ by more than 10 %, which is why the gate warns. A wide tolerance
    # keeps this test about the baseline mode, not about the load.
    result = run_gate(repo, "--baseline", str(baseline), "--runs", "5",
                      "--max-regression", "300")
    assert result.returncode == 0, result.stdout + result.stderr
    stderr = " ".join(result.stderr.split())
    assert "(an exact match)" in stderr
    assert "weak evidence" in stderr
    assert "modules at init" in result.stdout
    assert_only_main_worktree(repo)


def test_gate_baseline_from_other_python_exits_2(repo: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    saved = run_gate(repo, "-o", str(baseline), "--runs", "2", command="baseline save")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    document = json.loads(baseline.read_text())
    document["entries"][0]["key"]["python"] = "2.7"
    baseline.write_text(json.dumps(document))
    result = run_gate(repo, "--baseline", str(baseline), "--runs", "2")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "has no entry for CPython" in result.stderr


def test_help_lists_gate_and_baseline() -> None:
    result = subprocess.run([sys.executable, "-m", "coldstart", "--help"],
                            capture_output=True, text=True, env=cli_environment())
    assert "gate" in result.stdout
    assert "baseline" in result.stdout


def test_configured_baseline_round_trip(tmp_path: Path) -> None:
    pyproject = PYPROJECT.replace('against = "HEAD~1"', 'baseline = ".coldstart/baseline.json"')
    repo = make_repo(tmp_path / "project", pyproject=pyproject)
    # A fresh repository has no .coldstart folder: baseline save creates it.
    saved = run_gate(repo, "--runs", "5", command="baseline save")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert (repo / ".coldstart" / "baseline.json").is_file()
    # A wide tolerance, as in test_gate_against_stored_baseline: the sides are not interleaved.
    result = run_gate(repo, "--runs", "5", "--max-regression", "300")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "current against baseline" in result.stdout


def test_missing_configured_baseline_exits_2(tmp_path: Path) -> None:
    pyproject = PYPROJECT.replace('against = "HEAD~1"', 'baseline = "missing.json"')
    repo = make_repo(tmp_path / "project", pyproject=pyproject)
    result = run_gate(repo)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "baseline not found" in result.stderr
    assert "coldstart baseline save" in result.stderr


def test_project_in_subfolder_of_repo(tmp_path: Path) -> None:
    repo = tmp_path / "mono"
    service = repo / "services" / "orders"
    service.mkdir(parents=True)
    git(repo, "init", "-q")
    (service / "app.py").write_text(HANDLER)
    (service / "pyproject.toml").write_text(PYPROJECT)
    commit_all(repo, "Add the orders service")
    (repo / "README.md").write_text("x\n")
    commit_all(repo, "Add a readme")
    result = run_gate(service, "--runs", "5")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "orders" in result.stdout
    assert "not measurable" not in result.stdout
    assert_only_main_worktree(repo)


def test_output_folder_path_exits_2(repo: Path, tmp_path: Path) -> None:
    result = run_gate(repo, "--junit", str(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "is a folder" in result.stderr
    missing = run_gate(repo, "--junit", str(tmp_path / "no" / "gate.xml"))
    assert missing.returncode == 2, missing.stdout + missing.stderr
    assert "output folder not found" in missing.stderr


def test_post_checkout_hook_not_run(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "hook-ran"
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    result = run_gate(repo, "--against", "HEAD", "--runs", "2", "--no-attribution")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not marker.exists()
    assert_only_main_worktree(repo)


def test_stale_worktree_pruned_before_gate(tmp_path: Path) -> None:
    # A gate killed with SIGKILL leaves its worktree registered; once its folder is gone,
    # the next gate prunes the record before adding its own worktree.
    repo = make_repo(tmp_path / "project", handler=SLOW_HANDLER)
    (repo / "README.md").write_text("x\n")
    commit_all(repo, "Add a readme")
    stale = tmp_path / "stale-worktree"
    git(repo, "worktree", "add", "--detach", "--quiet", str(stale), "HEAD")
    subprocess.run(["rm", "-rf", str(stale)], check=True)
    assert str(stale) in worktrees(repo)
    process = subprocess.Popen(
        [sys.executable, "-m", "coldstart", "gate", "--runs", "20"], cwd=repo,
        env=cli_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
                "coldstart-ref-" in path for path in worktrees(repo)):
            time.sleep(0.1)
        listed = worktrees(repo)
        process.terminate()
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert any("coldstart-ref-" in path for path in listed), listed
    assert str(stale) not in listed
    assert_only_main_worktree(repo)


def corrupt_baseline(path: Path, key: object) -> None:
    entry = {"key": key, "created": "2026-12-04T16:00:00Z", "reports": {}}
    path.write_text(json.dumps({"schema": "coldstart.baseline/1", "tool_version": "0.1.0",
                                "entries": [entry]}))


def test_corrupt_baseline_exits_2(repo: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    corrupt_baseline(baseline, {})
    result = run_gate(repo, "--baseline", str(baseline), "--runs", "2")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"invalid baseline {baseline}: entries[0].key.implementation" in result.stderr
    assert "Traceback" not in result.stderr


def test_target_outside_repository_with_against_exits_2(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "app.py").write_text(HANDLER)
    result = run_gate(repo, str(outside / "app.py"), "--against", "HEAD", "--runs", "2")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the target must be inside the repository" in " ".join(result.stderr.split())
    assert "init time" not in result.stdout
    assert_only_main_worktree(repo)


def test_bad_flag_value_is_one_line(repo: Path) -> None:
    result = run_gate(repo, "--max-new-modules", "nan")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("coldstart: error: Invalid value for '--max-new-modules'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_json_verdict_and_full_check_names(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "project", pyproject="[tool.coldstart]\n")
    document_path = tmp_path / "gate.json"
    result = run_gate(repo, "app.py", "--runs", "3", "--no-attribution",
                      "--max-imported-modules", "100000", "--json", str(document_path),
                      extra_env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(document_path.read_text())
    assert document["verdict"] == "passed"
    assert document["counts"] == {"checks": 2, "passed": 2, "failed": 0, "skipped": 0,
                                  "errors": 0}
    assert "max_imported_modules" in result.stdout
    assert "…" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
