"""Sampler output parsing: py-spy speedscope files, pyinstrument frame identifiers, and
how samples are split by phase."""

from __future__ import annotations

import json
from pathlib import Path

from coldstart.attribution.sampling import (
    build_hotspots_section,
    parse_pyinstrument_identifier,
    py_spy_failure_reason,
    read_speedscope,
)

WORKER = "/opt/coldstart/worker.py"
BOOTSTRAP = "<frozen importlib._bootstrap>"


def speedscope_file(tmp_path: Path) -> Path:
    # The shape py-spy 0.4 writes: shared frames, one sampled profile per thread, samples
    # root first, weights in seconds.
    frames = [
        {"name": "<module>", "file": WORKER, "line": 300, "col": None},
        {"name": "main", "file": WORKER, "line": 270, "col": None},
        {"name": "import_handler", "file": WORKER, "line": 120, "col": None},
        {"name": "_find_and_load", "file": BOOTSTRAP, "line": 1176, "col": None},
        {"name": "<module>", "file": "/task/app.py", "line": 9, "col": None},
        {"name": "load", "file": "/site-packages/botocore/loaders.py", "line": 170, "col": None},
        {"name": "invoke_once", "file": WORKER, "line": 200, "col": None},
        {"name": "handler", "file": "/task/app.py", "line": 20, "col": None},
        {"name": "send", "file": WORKER, "line": 60, "col": None},
    ]
    data = {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": frames},
        "profiles": [{
            "type": "sampled", "name": "MainThread", "unit": "seconds",
            "startValue": 0.0, "endValue": 0.02,
            "samples": [[0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4],
                        [0, 1, 6, 7], [0, 1, 8]],
            "weights": [0.004, 0.004, 0.004, 0.004, 0.004],
        }],
    }
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(data))
    return path


def test_speedscope_samples_root_first(tmp_path: Path) -> None:
    samples = read_speedscope(speedscope_file(tmp_path))
    assert len(samples) == 5
    frames, seconds = samples[0]
    assert frames[0] == ("<module>", WORKER, 300)
    assert frames[-1] == ("load", "/site-packages/botocore/loaders.py", 170)
    assert seconds == 0.004


def test_hotspots_split_by_phase(tmp_path: Path) -> None:
    section = build_hotspots_section(read_speedscope(speedscope_file(tmp_path)), "py-spy",
                                     250, worker_file=WORKER)
    assert section["samples"] == 4
    assert section["phases"]["init"] == {"samples": 3, "ms": 12.0}
    assert section["phases"]["first_invoke"] == {"samples": 1, "ms": 4.0}


def test_hotspots_drop_worker_and_bootstrap(tmp_path: Path) -> None:
    section = build_hotspots_section(read_speedscope(speedscope_file(tmp_path)), "py-spy",
                                     250, worker_file=WORKER)
    files = {frame["file"] for stack in section["stacks"] for frame in stack["frames"]}
    assert WORKER not in files
    assert BOOTSTRAP not in files
    init_stacks = [stack for stack in section["stacks"] if stack["phase"] == "init"]
    assert init_stacks[0]["frames"][0]["file"] == "/task/app.py"
    assert init_stacks[0]["ms"] == 8.0


def test_hotspots_top_self_and_total(tmp_path: Path) -> None:
    section = build_hotspots_section(read_speedscope(speedscope_file(tmp_path)), "py-spy",
                                     250, worker_file=WORKER)
    top = {entry["function"] + ":" + str(entry["line"]): entry for entry in section["top"]}
    assert top["load:170"]["self_ms"] == 8.0
    assert top["load:170"]["total_ms"] == 8.0
    # The import statement gets the sample taken in the import machinery below it.
    assert top["<module>:9"]["self_ms"] == 4.0
    assert top["<module>:9"]["total_ms"] == 12.0


def test_pyinstrument_identifier_with_line() -> None:
    frame = parse_pyinstrument_identifier("load\x00/site/botocore/loaders.py\x00160\x01l170")
    assert frame == ("load", "/site/botocore/loaders.py", 170)


def test_pyinstrument_identifier_thread_and_junk() -> None:
    assert parse_pyinstrument_identifier("MainThread\x00<thread>\x00140005173279616") is None
    assert parse_pyinstrument_identifier("no separators") is None
    assert parse_pyinstrument_identifier("f\x00/a.py\x00x\x01cClass") == ("f", "/a.py", 0)


def test_py_spy_permission_reason() -> None:
    reason = py_spy_failure_reason(
        ["Permission Denied: Try running again with elevated permissions by going "
         "'sudo env \"PATH=$PATH\" !!'"], "3.11.7")
    assert "--cap-add SYS_PTRACE" in reason
    assert "kernel.yama.ptrace_scope" in reason


def test_py_spy_version_reason() -> None:
    reason = py_spy_failure_reason(
        ["Error: Failed to find python version from target process"], "3.15.0")
    assert "Python 3.15.0" in reason
    assert "--sampler pyinstrument" in reason


def test_py_spy_other_reason_keeps_error_line() -> None:
    # What py-spy 0.4.3 prints when the launched program is a shell script, not Python.
    lines = [
        "Error: Failed to get process executable name. Check that the process is running.",
        "",
        "Caused by:",
        "    0: No such file or directory (os error 2)",
        "Stack backtrace:",
        "   0: <E as anyhow::context::ext::StdError>::ext_context",
    ]
    reason = py_spy_failure_reason(lines, "3.11.7")
    assert reason == ("py-spy wrote no profile (Error: Failed to get process executable "
                      "name. Check that the process is running.)")
