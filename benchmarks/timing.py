"""Wall-time measurement of commands, and the description of the machine they ran on.

Every benchmark figure is a ratio of two sides measured in the same process, round by
round, so these helpers only launch commands and read clocks; the figures are built in
figures.py.
"""

from __future__ import annotations

import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coldstart.environment import lambda_environment
from coldstart.launcher import RunOptions
from coldstart.target import resolve_target

REPO = Path(__file__).resolve().parent.parent
# The interpreter that runs this script, coldstart and every worker: `make bench` runs
# the script with .venv/bin/python, and coldstart's --python defaults to its own.
PYTHON = sys.executable
COLDSTART = str(Path(PYTHON).parent / "coldstart")


class BenchmarkFailed(Exception):
    """A measured command failed, so no figure can be computed from it."""


@dataclass
class Command:
    """One command line with the folder and environment it is launched with."""

    argv: list[str]
    cwd: Path = REPO
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    # How the command is shown on the page, relative to the repository.
    shown: str = ""

    def display(self) -> str:
        return self.shown or shlex.join(self.argv)


def wall_ms(command: Command) -> float:
    """Run a command to its end and return its wall time in milliseconds.

    Raises BenchmarkFailed when it exits with a non-zero status.
    """
    start_ns = time.perf_counter_ns()
    completed = subprocess.run(
        command.argv, cwd=command.cwd, env=command.env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    elapsed_ms = (time.perf_counter_ns() - start_ns) / 1e6
    if completed.returncode != 0:
        tail = completed.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise BenchmarkFailed(
            f"{command.display()} exited with status {completed.returncode}: "
            + " | ".join(tail)
        )
    return elapsed_ms


def clock_mark_ms(command: Command) -> float:
    """Run a command that prints time.monotonic_ns(); return the ms from spawn to that mark.

    time.monotonic_ns() is CLOCK_MONOTONIC on Linux, shared by every process, the clock
    coldstart's launcher and worker use for init_ms.
    """
    start_ns = time.monotonic_ns()
    completed = subprocess.run(
        command.argv, cwd=command.cwd, env=command.env, stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    if completed.returncode != 0:
        raise BenchmarkFailed(
            f"{command.display()} exited with status {completed.returncode}"
        )
    return (int(completed.stdout) - start_ns) / 1e6


def import_time_ms(module: str, after: str, launches: int = 5) -> float:
    """Return the median cumulative import time of `module`, imported after `after`.

    Read from `python -X importtime -c "import AFTER; import MODULE"`, whose last line
    is the module imported last.
    """
    values = []
    for _ in range(launches):
        completed = subprocess.run(
            [PYTHON, "-X", "importtime", "-c", f"import {after}; import {module}"],
            capture_output=True, text=True, check=True,
        )
        line = completed.stderr.strip().splitlines()[-1]
        cumulative_us = line.split("|")[1]
        values.append(int(cumulative_us) / 1000)
    return statistics.median(values)


def fixture_path(name: str) -> Path:
    return REPO / "fixtures" / name / "app.py"


def bare_launch(fixture: str, code: str) -> Command:
    """Return `python -c CODE` run as coldstart runs its worker for the fixture.

    Same interpreter, same task root as working directory (first on sys.path, as '' is
    for -c), and the same environment: Lambda's variables, placeholder credentials and
    PYTHONDONTWRITEBYTECODE=1, so that both sides compile the handler from source.
    """
    target = resolve_target(str(fixture_path(fixture)))
    env = lambda_environment(target, RunOptions(python=PYTHON))
    return Command(
        [PYTHON, "-c", code], cwd=target.root, env=env,
        shown=f"cd fixtures/{fixture} && python -c {shlex.quote(code)}",
    )


def coldstart_command(*args: str) -> Command:
    env = dict(os.environ, NO_COLOR="1")
    return Command([COLDSTART, *args], env=env, shown=shlex.join(["coldstart", *args]))


@dataclass
class Paired:
    """Wall times of two sides measured round by round, in alternating order."""

    measured: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    # The load averages when the first round started.
    load_before: str = field(default_factory=lambda: load_average())

    @property
    def ratios(self) -> list[float]:
        return [m / b for m, b in zip(self.measured, self.baseline, strict=True)]

    @property
    def differences(self) -> list[float]:
        return [m - b for m, b in zip(self.measured, self.baseline, strict=True)]


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    """Return the first and third quartiles (the middle value is included on both halves)."""
    if len(values) < 2:
        return values[0], values[0]
    first, _, third = statistics.quantiles(values, n=4, method="inclusive")
    return first, third


def describe_machine() -> dict[str, str]:
    return {
        "cpu_model": cpu_model(),
        "cores": str(os.cpu_count()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_path": PYTHON,
        "platform": platform.platform(),
        "load": load_average(),
    }


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages, or "unknown" where there are none."""
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def git_revision(ignored: str = "docs/benchmarks.md") -> str:
    """Return the commit measured, with "+changes" when files other than `ignored` differ.

    The page itself is rewritten by every run, so its own changes are not counted.
    """
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
            text=True, check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", f":!{ignored}"], cwd=REPO,
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+changes" if changed else commit
