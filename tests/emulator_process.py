"""Start `coldstart emulate` as a real subprocess on a free loopback port, for tests."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO, cli_environment

ADDRESS = re.compile(r"http://(127\.0\.0\.1):(\d+)")
START_TIMEOUT_S = 60.0


@dataclass
class Emulator:
    """A running emulator: its process, the endpoint URL and the port."""

    process: subprocess.Popen
    url: str
    port: int

    def stop(self, signum: int = signal.SIGINT, timeout: float = 30.0) -> tuple[int, str]:
        """Send a signal, wait for the exit, and return the exit status and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            _, stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
        return self.process.returncode, stderr


def read_address(process: subprocess.Popen) -> tuple[str, int]:
    """Read stdout until the line with the address; fail with stderr if the process exits."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not selector.select(timeout=0.5):
            if process.poll() is not None:
                break
            continue
        line = process.stdout.readline()
        if not line:
            break
        match = ADDRESS.search(line)
        if match:
            return f"http://{match[1]}:{match[2]}", int(match[2])
    process.kill()
    _, stderr = process.communicate()
    raise AssertionError(f"the emulator did not print its address; stderr:\n{stderr}")


@contextmanager
def running_emulator(*args: str, cwd: Path | None = None) -> Iterator[Emulator]:
    """Run `coldstart emulate ARGS --port 0` and stop it with SIGINT at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "coldstart", "emulate", *args, "--port", "0"],
        cwd=cwd or REPO, env=cli_environment(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        url, port = read_address(process)
        yield Emulator(process, url, port)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def lambda_client(url: str, region: str = "us-east-1"):  # noqa: ANN201
    """A real boto3 Lambda client for the emulator, with fake credentials."""
    import boto3
    from botocore.config import Config

    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    return boto3.client(
        "lambda", endpoint_url=url, region_name=region,
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                      read_timeout=60, connect_timeout=5),
    )


def process_alive(pid: int) -> bool:
    """Return whether a process exists and has not yet exited (zombies count as exited)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
