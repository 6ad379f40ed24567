"""Execution environments: one warm worker process each, serving invokes one at a time.

An environment starts the worker in serve mode (`worker_serve.py`), which imports the
handler once (the cold start) and then replies to each request sent on a pipe. The worker's
stdout and stderr share one pipe, read in the same thread as its messages, so that the
output written before a message is attributed to that message's invoke.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import selectors
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from coldstart.environment import lambda_environment
from coldstart.errors import EnvironmentProblem
from coldstart.launcher import WORKER_PATH, RunOptions, kill_group, write_worker_config
from coldstart.runs import crash_error, timeout_error
from coldstart.target import Target

log = logging.getLogger("coldstart.emulate")

SERVE_WORKER_PATH = WORKER_PATH.with_name("worker_serve.py")

NS_PER_MS = 1e6
# Output kept per invoke; anything before the last MiB is dropped and counted.
OUTPUT_LIMIT_BYTES = 1024 * 1024
# Time granted to a worker to leave after its request pipe is closed, before it is killed.
STOP_GRACE_S = 1.0


@dataclass
class EnvironmentSpec:
    """The configuration snapshot a new execution environment starts with."""

    target: Target
    options: RunOptions
    function_name: str
    revision: str
    work_dir: Path


@dataclass
class InitResult:
    """The cold start of an environment."""

    init_ms: float
    output: str
    error: dict[str, Any] | None
    max_memory_kib: int = 0


@dataclass
class InvokeResult:
    """The reply of an environment to one request, or its failure."""

    duration_ms: float
    output: str
    result: str | None
    error: dict[str, Any] | None
    max_memory_kib: int = 0
    # "error" or "timeout" when the environment itself failed and was stopped.
    status: str | None = None
    extra_lines: list[str] = field(default_factory=list)


class WorkerChannel:
    """Read the worker's messages and its output in one thread, keeping their order.

    The worker flushes its output before it writes a message, so whatever output is in
    the pipe when a message arrives belongs to the invoke that message ends.
    """

    def __init__(self, result_fd: int, output_fd: int) -> None:
        self.messages: queue.Queue[tuple[dict[str, Any] | None, str]] = queue.Queue()
        self._result_fd = result_fd
        self._output_fd = output_fd
        self._output = bytearray()
        self._dropped_bytes = 0
        os.set_blocking(output_fd, False)
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._result_fd, selectors.EVENT_READ)
        selector.register(self._output_fd, selectors.EVENT_READ)
        output_open = True
        pending = b""
        try:
            while True:
                for key, _ in selector.select():
                    if key.fd == self._output_fd:
                        if not self._drain_output():
                            selector.unregister(self._output_fd)
                            output_open = False
                        continue
                    data = os.read(self._result_fd, 65536)
                    if not data:
                        if output_open:
                            self._drain_output()
                        self.messages.put((None, self._take_output()))
                        return
                    pending += data
                    while b"\n" in pending:
                        line, pending = pending.split(b"\n", 1)
                        if output_open:
                            output_open = self._drain_output()
                        self.messages.put((parse_message(line), self._take_output()))
        finally:
            selector.close()
            os.close(self._result_fd)
            os.close(self._output_fd)

    def _drain_output(self) -> bool:
        """Read whatever output is in the pipe; return False at end of file."""
        while True:
            try:
                chunk = os.read(self._output_fd, 65536)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            self._output += chunk
            excess = len(self._output) - OUTPUT_LIMIT_BYTES
            if excess > 0:
                del self._output[:excess]
                self._dropped_bytes += excess

    def _take_output(self) -> str:
        text = self._output.decode("utf-8", errors="replace")
        if self._dropped_bytes:
            text = f"[{self._dropped_bytes} bytes of output dropped]\n" + text
        self._output.clear()
        self._dropped_bytes = 0
        return text


def parse_message(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError:
        return {"kind": "garbled", "line": line[:200].decode("utf-8", errors="replace")}
    return message if isinstance(message, dict) else {"kind": "garbled", "line": str(message)}


class ExecutionEnvironment:
    """One worker process with the handler imported, serving one invoke at a time."""

    def __init__(self, spec: EnvironmentSpec, index: int) -> None:
        self.spec = spec
        self.index = index
        self.process: subprocess.Popen | None = None
        self.channel: WorkerChannel | None = None
        self._requests: Any = None
        self.alive = False
        # The last peak RSS the worker reported, for a REPORT line after it died.
        self.last_peak_kib = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def revision(self) -> str:
        return self.spec.revision

    def start(self) -> InitResult:
        """Spawn the worker and wait for its init message: the cold start."""
        spec = self.spec
        config_path = spec.work_dir / f"environment-{self.index}.json"
        write_worker_config(spec.target, spec.options, config_path)
        result_read, result_write = os.pipe()
        request_read, request_write = os.pipe()
        output_read, output_write = os.pipe()
        command = [
            spec.options.python, str(SERVE_WORKER_PATH), str(result_write), str(request_read),
            str(config_path), spec.target.module, spec.target.attribute,
        ]
        t0_ns = time.monotonic_ns()
        try:
            self.process = spawn(command, spec, (result_write, request_read), output_write)
        except BaseException:
            for fd in (result_read, request_write, output_read):
                os.close(fd)
            raise
        finally:
            for fd in (result_write, request_read, output_write):
                os.close(fd)
        self.alive = True
        self._requests = os.fdopen(request_write, "wb")
        self.channel = WorkerChannel(result_read, output_read)
        log.info(
            "started environment %d (pid %d) of function %s, revision %s",
            self.index, self.process.pid, spec.function_name, spec.revision,
        )
        return self._wait_for_init(t0_ns)

    def _wait_for_init(self, t0_ns: int) -> InitResult:
        limit_s = self.spec.options.init_timeout_s
        message, output = self._next_message(limit_s)
        elapsed_ms = (time.monotonic_ns() - t0_ns) / NS_PER_MS
        if message is TIMED_OUT:
            self.stop("init timed out")
            output = self._final_output()
            return InitResult(elapsed_ms, output, timeout_error("init", limit_s))
        if message is None or message.get("kind") != "init":
            returncode = self._reap()
            self.stop("crashed during init")
            return InitResult(elapsed_ms, output, crash_error("init", returncode))
        init_ms = (message["t2_ns"] - t0_ns) / NS_PER_MS
        result = InitResult(init_ms, output, message.get("error"), message.get("rss_kib") or 0)
        if result.error is not None:
            self.stop(f"init failed with {result.error['type']}")
        return result

    def invoke(self, request: dict[str, Any]) -> InvokeResult:
        """Send one request to the worker and wait for its reply, within the timeout."""
        body = json.dumps(request).encode("utf-8")
        sent_ns = time.monotonic_ns()
        try:
            self._requests.write(b"%d\n" % len(body) + body)
            self._requests.flush()
        except (BrokenPipeError, OSError):
            pass  # the worker has left; the channel reports its exit below

        limit_s = self.spec.options.timeout_s
        message, output = self._next_message(limit_s)
        elapsed_ms = (time.monotonic_ns() - sent_ns) / NS_PER_MS
        if message is TIMED_OUT:
            self.stop("invoke timed out")
            output = self._final_output()
            error = timeout_error("invoke", limit_s)
            return InvokeResult(elapsed_ms, output, None, error, status="timeout",
                                extra_lines=[timeout_line(request["request_id"], limit_s)])
        if message is None or message.get("kind") != "invoke":
            returncode = self._reap()
            self.stop("crashed during invoke")
            error = crash_error("invoke", returncode)
            return InvokeResult(elapsed_ms, output, None, error, status="error",
                                extra_lines=exit_lines(request["request_id"], error))

        duration_ms = (message["end_ns"] - message["start_ns"]) / NS_PER_MS
        error = message.get("error")
        result = InvokeResult(duration_ms, output, message.get("result"), error,
                              message.get("rss_kib") or 0)
        if error is not None and error.get("type") == "Runtime.ExitError":
            self._reap()
            self.stop("handler exited")
            result.status = "error"
            result.extra_lines = exit_lines(request["request_id"], error)
        return result

    def _next_message(self, limit_s: float) -> tuple[Any, str]:
        assert self.channel is not None
        try:
            return self.channel.messages.get(timeout=limit_s)
        except queue.Empty:
            return TIMED_OUT, ""

    def _final_output(self) -> str:
        """Return the output the worker wrote before it was stopped, up to end of file."""
        assert self.channel is not None
        parts = []
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline:
            try:
                message, output = self.channel.messages.get(timeout=STOP_GRACE_S)
            except queue.Empty:
                break
            parts.append(output)
            if message is None:
                break
        return "".join(parts)

    def _reap(self) -> int | None:
        """Wait briefly for the worker to leave and return its exit status."""
        assert self.process is not None
        try:
            return self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            kill_group(self.process)
            return self.process.wait()

    def stop(self, reason: str) -> None:
        """Stop the worker: close its request pipe, then kill its process group."""
        if self.process is None or not self.alive:
            return
        self.alive = False
        try:
            self._requests.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            pass
        # Children the handler started may outlive the worker: the whole group goes.
        kill_group(self.process)
        self.process.wait()
        log.info(
            "stopped environment %d (pid %d) of function %s: %s",
            self.index, self.process.pid, self.spec.function_name, reason,
        )


TIMED_OUT = object()


def timeout_line(request_id: str, limit_s: float) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return f"{now}Z {request_id} Task timed out after {limit_s:.2f} seconds"


def exit_lines(request_id: str, error: dict[str, Any]) -> list[str]:
    return [f"RequestId: {request_id} Error: {error['message']}", error["type"]]


def spawn(
    command: list[str], spec: EnvironmentSpec, pass_fds: tuple[int, ...], output_fd: int
) -> subprocess.Popen:
    try:
        return subprocess.Popen(
            command,
            cwd=spec.target.root,
            env=lambda_environment(spec.target, spec.options),
            stdin=subprocess.DEVNULL,
            stdout=output_fd,
            stderr=output_fd,
            pass_fds=pass_fds,
            start_new_session=True,
        )
    except FileNotFoundError as error:
        raise EnvironmentProblem(
            f"interpreter not found: {spec.options.python} (give an installed Python with "
            "--python)"
        ) from error
