"""Exit codes and the exceptions that carry them.

Only `coldstart.cli.main` turns these exceptions into a message and an exit status.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    GATE_FAILED = 1
    USAGE = 2
    TARGET_FAILED = 3
    ENVIRONMENT = 4
    INTERRUPTED = 130


class ColdstartError(Exception):
    """A foreseeable failure shown to the user as one line, with its exit code."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(ColdstartError):
    """Invalid input: a missing file, a malformed event, a bad ARN or configuration."""

    exit_code = ExitCode.USAGE


class TargetFailed(ColdstartError):
    """The profiled handler failed: init error, invoke error, timeout or crash."""

    exit_code = ExitCode.TARGET_FAILED


class EnvironmentProblem(ColdstartError):
    """The environment stopped the run: credentials, permissions, network, interpreter."""

    exit_code = ExitCode.ENVIRONMENT


class GateFailed(ColdstartError):
    """The regression gate found a regression or an exceeded budget."""

    exit_code = ExitCode.GATE_FAILED


class RunsInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during the runs, carrying the reports of the finished runs."""

    def __init__(self, reports: list) -> None:
        super().__init__("interrupted")
        self.reports = reports
