"""Spawn the worker in a fresh interpreter, collect one run, kill it on any timeout."""

from __future__ import annotations

import json
import os
import py_compile
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coldstart.environment import lambda_environment
from coldstart.errors import EnvironmentProblem
from coldstart.target import Target

WORKER_PATH = Path(__file__).with_name("worker.py")
OUTPUT_TAIL_BYTES = 64 * 1024
OUTPUT_TAIL_LINES = 20
# Names each run's processes, children included, so that leftovers can be found.
RUN_MARKER_VARIABLE = "_COLDSTART_RUN"
# Extra time granted after a timeout for the killed process group to be reaped.
KILL_GRACE_S = 2.0
# Time an attribution run's worker may take to summarise its instruments after the last
# invoke (snapshot comparison of a few hundred thousand traces takes about a second).
ATTRIBUTION_REPORT_TIMEOUT_S = 120.0


@dataclass
class RunOptions:
    """Launch settings for each run of a target."""

    python: str = sys.executable
    event: Any = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    memory_mb: int = 128
    timeout_s: float = 3.0
    init_timeout_s: float = 10.0
    warm_invokes: int = 3
    # Interpreter flags placed before the worker path, such as ["-X", "importtime"].
    python_flags: list[str] = field(default_factory=list)
    # Extra configuration read by the worker after init, for attribution runs.
    worker_extras: dict[str, Any] = field(default_factory=dict)
    # Probe options after the worker's arguments (see worker_probe.py), for attribution runs.
    worker_args: list[str] = field(default_factory=list)
    # A program the interpreter is launched under, such as ["py-spy", "record", ..., "--"].
    command_prefix: list[str] = field(default_factory=list)


class OutputTail:
    """Drain a pipe in a thread, keeping only its last bytes and counting the rest."""

    def __init__(self, stream: Any) -> None:
        self.total_bytes = 0
        self._chunks: deque[bytes] = deque()
        self._kept = 0
        self._thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._thread.start()

    def _drain(self, stream: Any) -> None:
        with stream:
            while chunk := stream.read1(65536):
                self.total_bytes += len(chunk)
                self._chunks.append(chunk)
                self._kept += len(chunk)
                while self._kept - len(self._chunks[0]) >= OUTPUT_TAIL_BYTES:
                    self._kept -= len(self._chunks.popleft())

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def text(self) -> str:
        data = b"".join(self._chunks)[-OUTPUT_TAIL_BYTES:]
        return data.decode("utf-8", errors="replace")

    def last_lines(self, count: int = OUTPUT_TAIL_LINES) -> list[str]:
        return self.text().splitlines()[-count:]


def read_messages(fd: int, messages: queue.Queue) -> None:
    """Put each JSON line the worker writes on fd into messages, then None at EOF."""
    with os.fdopen(fd, "rb") as pipe:
        for line in pipe:
            try:
                messages.put(json.loads(line))
            except ValueError:
                messages.put({"kind": "garbled", "line": line[:200].decode(errors="replace")})
    messages.put(None)


def write_worker_config(target: Target, options: RunOptions, path: Path) -> None:
    env = lambda_environment(target, options)
    config = {
        "event": options.event,
        "warm_invokes": options.warm_invokes,
        "timeout_s": options.timeout_s,
        "memory_mb": options.memory_mb,
        "function_name": env["AWS_LAMBDA_FUNCTION_NAME"],
        "function_version": env["AWS_LAMBDA_FUNCTION_VERSION"],
        "invoked_function_arn": invoked_function_arn(env),
        "log_group_name": env["AWS_LAMBDA_LOG_GROUP_NAME"],
        "log_stream_name": env["AWS_LAMBDA_LOG_STREAM_NAME"],
        **options.worker_extras,
    }
    path.write_text(json.dumps(config), encoding="utf-8")


def invoked_function_arn(env: dict[str, str]) -> str:
    return (
        f"arn:aws:lambda:{env['AWS_REGION']}:123456789012:function:"
        f"{env['AWS_LAMBDA_FUNCTION_NAME']}"
    )


def kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_leftovers(run_marker: str) -> None:
    """Kill processes of one run that left its process group (setsid daemons).

    Each worker's environment carries its run's marker, which children inherit. Linux
    only, through /proc; elsewhere the process group kill is all there is.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return
    needle = f"{RUN_MARKER_VARIABLE}={run_marker}".encode()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


def compile_worker(python: str, work_dir: Path) -> Path:
    """Return the worker program to run under `python`: bytecode when possible.

    Python compiles a script given by path on every launch, and that compile (about
    1.4 ms for the worker with CPython 3.11 on a 2-core Xeon) would count in each run's
    startup_ms. Bytecode is written only for the interpreter running coldstart, whose
    bytecode format is known to match; any other interpreter runs the source.
    """
    if os.path.realpath(python) != os.path.realpath(sys.executable):
        return WORKER_PATH
    compiled = work_dir / "worker.pyc"
    try:
        # dfile keeps the source path in tracebacks of the worker's own frames.
        py_compile.compile(
            str(WORKER_PATH), cfile=str(compiled), dfile=str(WORKER_PATH), doraise=True
        )
    except (OSError, py_compile.PyCompileError):
        return WORKER_PATH
    return compiled


def spawn_worker(
    target: Target, options: RunOptions, config_path: Path, result_write_fd: int,
    run_marker: str,
    worker_path: Path = WORKER_PATH,
) -> subprocess.Popen:
    command = [
        *options.command_prefix, options.python, *options.python_flags, str(worker_path),
        str(result_write_fd), str(config_path), target.module, target.attribute,
        *options.worker_args,
    ]
    try:
        return subprocess.Popen(
            command,
            cwd=target.root,
            env={**lambda_environment(target, options), RUN_MARKER_VARIABLE: run_marker},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(result_write_fd,),
            start_new_session=True,
        )
    except FileNotFoundError as error:
        raise EnvironmentProblem(
            f"interpreter not found: {options.python} (give an installed Python with --python)"
        ) from error
    except PermissionError as error:
        raise EnvironmentProblem(
            f"interpreter not executable: {options.python} ({error.strerror})"
        ) from error


def launch_run(
    target: Target, options: RunOptions, config_path: Path, worker_path: Path = WORKER_PATH
) -> dict[str, Any]:
    """Run one cold start in a fresh process and return its raw record.

    The record contains t0, the worker's messages, the exit status and the output tails;
    `coldstart.runs.build_run` turns it into a run of the report. `worker_path` is the
    worker's source or its bytecode from `compile_worker`.
    """
    read_fd, write_fd = os.pipe()
    messages: queue.Queue = queue.Queue()
    run_marker = uuid.uuid4().hex
    t0_ns = time.monotonic_ns()
    try:
        process = spawn_worker(
            target, options, config_path, write_fd, run_marker, worker_path
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    reader = threading.Thread(target=read_messages, args=(read_fd, messages), daemon=True)
    reader.start()
    stdout = OutputTail(process.stdout)
    stderr = OutputTail(process.stderr)
    try:
        received, timed_out = collect_messages(messages, options, t0_ns)
    except BaseException:
        kill_group(process)
        process.wait()
        kill_leftovers(run_marker)
        raise
    if timed_out:
        kill_group(process)
    try:
        returncode = process.wait(timeout=KILL_GRACE_S if timed_out else options.timeout_s)
    except subprocess.TimeoutExpired:
        kill_group(process)
        returncode = process.wait()
    # The worker has left, but children of the handler may still hold the pipes.
    kill_group(process)
    kill_leftovers(run_marker)
    stdout.join(1.0)
    stderr.join(1.0)
    return {
        "t0_ns": t0_ns,
        "messages": received,
        "timed_out": timed_out,
        "returncode": returncode,
        "stdout": stdout,
        "stderr": stderr,
    }


def collect_messages(
    messages: queue.Queue, options: RunOptions, t0_ns: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Read the worker's messages until `done` or EOF, enforcing the init and invoke timeouts.

    Returns the messages and the phase that timed out, if any.
    """
    received: list[dict[str, Any]] = []
    deadline_ns = t0_ns + int(options.init_timeout_s * 1e9)
    phase = "init"
    while True:
        wait_s = (deadline_ns - time.monotonic_ns()) / 1e9
        if wait_s <= 0:
            return received, phase
        try:
            message = messages.get(timeout=wait_s)
        except queue.Empty:
            return received, phase
        if message is None:
            return received, None
        received.append(message)
        kind = message.get("kind")
        if kind == "attributing":
            deadline_ns = time.monotonic_ns() + int(ATTRIBUTION_REPORT_TIMEOUT_S * 1e9)
            continue
        if kind == "done":
            # A child of the handler may still hold the pipe open: do not wait for EOF.
            return received, None
        if message.get("error"):
            continue
        if kind in ("init", "invoke"):
            # The next invoke starts when this message was written.
            last_ns = message.get("t2_ns") or message.get("end_ns") or time.monotonic_ns()
            deadline_ns = last_ns + int(options.timeout_s * 1e9)
            phase = "invoke"


def launch_series(
    targets: Sequence[tuple[Target, RunOptions]],
    runs: int,
    work_dir: Path,
    on_run: Any = None,
    records: list[list[dict[str, Any]]] | None = None,
) -> list[list[dict[str, Any]]]:
    """Run each target `runs` times, interleaved (A B A B ...), and return raw records.

    `on_run(variant_index, run_index, record)` is called after each run, for progress.
    When `records` is given it is filled as runs finish, so that a caller interrupted by
    Ctrl-C still has the finished runs.
    """
    config_paths = []
    worker_paths = []
    for index, (target, options) in enumerate(targets):
        path = work_dir / f"worker-config-{index}.json"
        write_worker_config(target, options, path)
        config_paths.append(path)
        worker_paths.append(compile_worker(options.python, work_dir))
    if records is None:
        records = []
    records[:] = [[] for _ in targets]
    for run_index in range(runs):
        for variant, (target, options) in enumerate(targets):
            record = launch_run(
                target, options, config_paths[variant], worker_paths[variant]
            )
            records[variant].append(record)
            if on_run is not None:
                on_run(variant, run_index, record)
    return records
