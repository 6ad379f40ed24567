"""Turn the launcher's raw record of one worker process into a run of the report."""

from __future__ import annotations

import signal
from typing import Any

NS_PER_MS = 1e6
# The worker's exit status when the handler closed or reused its result pipe.
EXIT_RESULT_PIPE_LOST = 71


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def timeout_error(phase: str, limit_s: float) -> dict[str, Any]:
    return {
        "type": "Sandbox.Timedout",
        "phase": phase,
        "message": f"Task timed out after {limit_s:.2f} seconds",
        "traceback": "",
    }


def crash_error(phase: str, returncode: int | None) -> dict[str, Any]:
    """Name an exit the worker did not report: os._exit, a signal, or a worker fault."""
    if returncode is not None and returncode < 0:
        name = signal_name(-returncode)
        message = f"Runtime exited with error: signal: {name}"
    elif returncode == EXIT_RESULT_PIPE_LOST:
        message = (
            "the handler closed or reused coldstart's result pipe (os.closerange or dup2 "
            "over it), so the run cannot be measured; leave inherited file descriptors open"
        )
    else:
        message = f"Runtime exited with error: exit status {returncode}"
    return {
        "type": "Runtime.ExitError",
        "phase": phase,
        "message": message,
        "traceback": "",
        "exit_status": returncode,
    }


def gc_totals(phases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    collections = [0, 0, 0]
    pause_ms = 0.0
    max_pause_ms = 0.0
    for record in phases.values():
        for generation in range(3):
            collections[generation] += record["collections"][generation]
        pause_ms += record["pause_ms"]
        max_pause_ms = max(max_pause_ms, record["max_pause_ms"])
    return {
        "collections": collections,
        "pause_ms": pause_ms,
        "max_pause_ms": max_pause_ms,
        "by_phase": phases,
    }


def build_run(index: int, record: dict[str, Any], timeout_s: float,
              init_timeout_s: float) -> dict[str, Any]:
    """Return the report's run from a raw launcher record (see `launch_run`)."""
    t0_ns = record["t0_ns"]
    run: dict[str, Any] = {
        "index": index, "status": "ok", "startup_ms": None, "import_ms": None,
        "init_ms": None, "first_invoke_ms": None, "cold_start_ms": None,
        "warm_invoke_ms": [], "peak_rss_mib": None, "modules_at_init": None,
        "gc": None, "error": None,
        "output": {"stdout_bytes": record["stdout"].total_bytes,
                   "stderr_bytes": record["stderr"].total_bytes},
    }
    phase = "init"
    done = None
    for message in record["messages"]:
        kind = message.get("kind")
        if kind == "init":
            run["startup_ms"] = (message["t1_ns"] - t0_ns) / NS_PER_MS
            run["import_ms"] = (message["t2_ns"] - message["t1_ns"]) / NS_PER_MS
            run["init_ms"] = (message["t2_ns"] - t0_ns) / NS_PER_MS
            run["modules_at_init"] = message.get("modules")
            run["module_names_at_init"] = message.get("module_names")
            phase = "invoke"
        elif kind == "invoke":
            duration = (message["end_ns"] - message["start_ns"]) / NS_PER_MS
            if message["index"] == 0:
                run["first_invoke_ms"] = duration
                if run["init_ms"] is not None:
                    run["cold_start_ms"] = run["init_ms"] + duration
            else:
                run["warm_invoke_ms"].append(duration)
        elif kind == "done":
            done = message
        if message.get("error"):
            run["error"] = message["error"]
    if done is not None:
        if done.get("peak_rss_kib") is not None:
            run["peak_rss_mib"] = done["peak_rss_kib"] / 1024
        run["gc"] = gc_totals(done["gc"])
        run["modules_at_end"] = done.get("modules")
    if run["error"] is None and record["timed_out"]:
        limit = init_timeout_s if record["timed_out"] == "init" else timeout_s
        run["error"] = timeout_error(record["timed_out"], limit)
    elif run["error"] is None and done is None:
        run["error"] = crash_error(phase, record["returncode"])
    if run["error"] is not None:
        run["status"] = "error"
        run["error"]["stdout_tail"] = record["stdout"].last_lines()
        run["error"]["stderr_tail"] = record["stderr"].last_lines()
    return run
