"""Force cold starts by changing one environment variable, and always put it back.

Lambda starts new execution environments after any configuration change, so writing a
fresh nonce variable makes the next invoke a cold start. The whole previous environment
and its KMS key are saved first and written back at the end, on any error, and on
SIGINT or SIGTERM. When that restore fails, the exact AWS CLI command that restores the
function is printed.
"""

from __future__ import annotations

import json
import shlex
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from coldstart.errors import EnvironmentProblem, UsageError
from coldstart.lambda_api.aws import (
    AwsSettings,
    aws_call,
    describe_aws_error,
    error_code,
    error_message,
    is_conflict,
)

NONCE_VARIABLE = "COLDSTART_NONCE"
# ResourceConflictException means another update is still in progress: back off
# 1, 2, 4, 8, 10, 10... seconds, for about a minute and a half in all.
CONFLICT_ATTEMPTS = 12
CONFLICT_FIRST_DELAY_S = 1.0
CONFLICT_MAX_DELAY_S = 10.0
# function_updated_v2 polls GetFunction, and these bound the wait to five minutes.
WAITER_DELAY_S = 1
WAITER_MAX_ATTEMPTS = 300


@dataclass(frozen=True)
class SavedEnvironment:
    """The function's environment variables and KMS key as they were before the run."""

    function_arn: str
    variables: dict[str, str]
    kms_key_arn: str | None


def conflict_delays() -> Iterator[float]:
    delay = CONFLICT_FIRST_DELAY_S
    for _ in range(CONFLICT_ATTEMPTS - 1):
        yield delay
        delay = min(delay * 2, CONFLICT_MAX_DELAY_S)


class EnvironmentForcer:
    """Writes a nonce variable before each cold invoke and restores the saved environment."""

    def __init__(
        self, client: Any, function_name: str, settings: AwsSettings,
        sleep: Callable[[float], None] = time.sleep,
        waiter_delay_s: int = WAITER_DELAY_S,
    ) -> None:
        self.client = client
        self.function_name = function_name
        self.settings = settings
        self.sleep = sleep
        self.waiter_delay_s = waiter_delay_s
        self.saved: SavedEnvironment | None = None
        self.changed = False
        self.conflicts_retried = 0

    def save(self, configuration: dict[str, Any]) -> SavedEnvironment:
        """Record the environment and KMS key from a GetFunctionConfiguration response."""
        environment = configuration.get("Environment")
        variables = dict((environment or {}).get("Variables") or {})
        self.saved = SavedEnvironment(
            function_arn=configuration.get("FunctionArn") or self.function_name,
            variables=variables,
            kms_key_arn=configuration.get("KMSKeyArn") or None,
        )
        return self.saved

    def update_environment(self, variables: dict[str, str]) -> dict[str, Any]:
        """UpdateFunctionConfiguration with the saved KMS key, retried on conflicts.

        Returns the response: the function's configuration after the update.
        """
        assert self.saved is not None
        arguments: dict[str, Any] = {
            "FunctionName": self.function_name,
            "Environment": {"Variables": variables},
        }
        if self.saved.kms_key_arn:
            arguments["KMSKeyArn"] = self.saved.kms_key_arn
        delays = conflict_delays()
        while True:
            try:
                return self.client.update_function_configuration(**arguments)
            except botocore.exceptions.ClientError as error:
                delay = next(delays, None)
                if not is_conflict(error) or delay is None:
                    raise
                self.conflicts_retried += 1
                self.sleep(delay)

    def wait_until_updated(self, update_response: dict[str, Any]) -> None:
        """Wait with the function_updated_v2 waiter until LastUpdateStatus is Successful.

        Lambda returns LastUpdateStatus in every UpdateFunctionConfiguration response. An
        endpoint that leaves it out (a minimal emulator) does not model updates in
        progress, and the waiter would poll it for five minutes, so there is no wait.
        """
        if "LastUpdateStatus" not in update_response:
            return
        waiter = self.client.get_waiter("function_updated_v2")
        waiter.wait(
            FunctionName=self.function_name,
            WaiterConfig={"Delay": self.waiter_delay_s, "MaxAttempts": WAITER_MAX_ATTEMPTS},
        )

    def force_cold_start(self) -> str:
        """Write a fresh nonce and wait for the update; return the nonce."""
        if self.saved is None:
            raise RuntimeError("save() the configuration before forcing a cold start")
        nonce = uuid.uuid4().hex
        variables = {**self.saved.variables, NONCE_VARIABLE: nonce}
        changed_before = self.changed
        # A Ctrl-C or a network failure once the request is sent leaves unknown whether
        # Lambda applied the update, so the environment counts as changed until Lambda
        # rejects the request.
        self.changed = True
        try:
            with aws_call("UpdateFunctionConfiguration", self.function_name):
                response = self.update_environment(variables)
        except (EnvironmentProblem, UsageError) as problem:
            cause = problem.__cause__
            if not isinstance(cause, botocore.exceptions.ClientError):
                raise
            # Lambda returned an error response, so it applied nothing.
            self.changed = changed_before
            if error_code(cause) == "InvalidParameterValueException":
                # Most often the nonce pushes the variables over Lambda's 4 KB limit.
                raise UsageError(
                    f"UpdateFunctionConfiguration on {self.function_name} rejected the "
                    f"nonce variable ({error_message(cause)}); use --strategy concurrent"
                ) from cause
            raise
        self.wait_for_update(response)
        return nonce

    def wait_for_update(self, update_response: dict[str, Any]) -> None:
        try:
            self.wait_until_updated(update_response)
        except botocore.exceptions.WaiterError as error:
            reason = (error.last_response or {}).get("Configuration", {}).get(
                "LastUpdateStatusReason"
            )
            raise EnvironmentProblem(
                f"GetFunction on {self.function_name} failed: the configuration update did "
                f"not finish ({reason or error}); check the function in the Lambda console"
            ) from error

    def restore(self) -> None:
        """Write the saved environment back and wait until Lambda has applied it."""
        if self.saved is None or not self.changed:
            return
        response = self.update_environment(dict(self.saved.variables))
        self.wait_until_updated(response)
        self.changed = False

    def restore_command(self) -> str:
        """Return the AWS CLI command that writes the saved environment back."""
        assert self.saved is not None
        words = [
            "aws", "lambda", "update-function-configuration",
            "--function-name", self.saved.function_arn,
            "--environment", json.dumps({"Variables": self.saved.variables}, sort_keys=True),
        ]
        if self.saved.kms_key_arn:
            words += ["--kms-key-arn", self.saved.kms_key_arn]
        if self.settings.region:
            words += ["--region", self.settings.region]
        if self.settings.profile:
            words += ["--profile", self.settings.profile]
        if self.settings.endpoint_url:
            words += ["--endpoint-url", self.settings.endpoint_url]
        return shlex.join(words)


def raise_keyboard_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextmanager
def deferred_signals() -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM during the block; yield the signals that arrived."""
    arrived: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield arrived
        return
    previous = {
        number: signal.signal(number, lambda signum, frame: arrived.append(signum))
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield arrived
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def print_restore_failure(forcer: EnvironmentForcer, error: BaseException) -> None:
    line = "!" * 78
    reason = describe_aws_error(error, "UpdateFunctionConfiguration", forcer.function_name) \
        if isinstance(error, (botocore.exceptions.BotoCoreError,
                              botocore.exceptions.ClientError)) else str(error)
    sys.stderr.write(
        f"{line}\n"
        f"coldstart: RESTORE FAILED: the environment of {forcer.function_name} still "
        f"contains {NONCE_VARIABLE}.\n"
        f"  reason: {reason}\n"
        "  Run this command to restore the previous environment exactly:\n\n"
        f"  {forcer.restore_command()}\n"
        f"{line}\n"
    )
    sys.stderr.flush()


def restore_holding_signals(
    forcer: EnvironmentForcer, label: str, note: Callable[[str], None]
) -> list[int]:
    """Restore with SIGINT and SIGTERM held; return the signals that arrived meanwhile.

    Notes "restoring" before the update and its waiter run, and "restored" after, so that
    the wait after a Ctrl-C is explained. Raises EnvironmentProblem, after printing the
    restore command, when the restore fails.
    """
    with deferred_signals() as arrived:
        if not forcer.changed:
            return arrived
        note(f"restoring the environment of {label}…")
        try:
            forcer.restore()
        except Exception as error:  # noqa: BLE001 - any failure must print the fix
            print_restore_failure(forcer, error)
            raise EnvironmentProblem(
                f"UpdateFunctionConfiguration on {forcer.function_name} failed while "
                "restoring the environment; run the command printed above"
            ) from error
        note(f"restored the environment of {label}")
    return arrived


def ignore_note(message: str) -> None:
    del message


@contextmanager
def environment_restored(
    forcer: EnvironmentForcer, label: str | None = None,
    note: Callable[[str], None] = ignore_note,
) -> Iterator[EnvironmentForcer]:
    """Restore the saved environment when the block ends, however it ends.

    SIGTERM is turned into KeyboardInterrupt inside the block so that it unwinds like
    Ctrl-C. While restoring, both signals are held so that a second Ctrl-C cannot cut
    the restore short. An interrupt that arrived meanwhile is raised after the restore.
    note receives the restore's progress lines, naming the function as label.
    """
    label = label or forcer.function_name
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous_term = (
        signal.signal(signal.SIGTERM, raise_keyboard_interrupt) if in_main_thread else None
    )
    try:
        yield forcer
    except BaseException:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_term)
        restore_holding_signals(forcer, label, note)
        raise
    if in_main_thread:
        signal.signal(signal.SIGTERM, previous_term)
    arrived = restore_holding_signals(forcer, label, note)
    if arrived:
        raise KeyboardInterrupt(signal.Signals(arrived[0]).name)


def check_update_strategy(configuration: dict[str, Any], qualifier: str | None) -> None:
    """Reject `--strategy update` where a configuration change cannot force a cold start."""
    version = configuration.get("Version")
    if qualifier not in (None, "$LATEST") and version not in (None, "$LATEST"):
        raise UsageError(
            f"--strategy update cannot force cold starts of {qualifier} (version {version}): "
            "a published version's configuration cannot change; use --strategy concurrent "
            "or invoke $LATEST"
        )
