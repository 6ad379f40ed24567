"""Emulated functions: each has its configuration and a pool of execution environments.

Each environment runs one invoke at a time. An invoke takes an idle environment of the
current configuration revision (a warm start) or starts a new one (a cold start), as
Lambda does. Invokes beyond `max_environments` busy at once are throttled.
A configuration change retires every environment, so the next invoke is a cold start
under the new configuration.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import math
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from coldstart.lambda_api.emulator.cloudwatch_logs import LogStore
from coldstart.lambda_api.emulator.configuration import (
    ApiError,
    apply_update,
    initial_configuration,
)
from coldstart.lambda_api.emulator.environments import (
    EnvironmentSpec,
    ExecutionEnvironment,
    InvokeResult,
    exit_lines,
)
from coldstart.lambda_api.emulator.logs import InvokeRecord, invoke_log
from coldstart.lambda_api.emulator.names import FunctionReference
from coldstart.launcher import RunOptions
from coldstart.target import Target

log = logging.getLogger("coldstart.emulate")

# Lambda's limit on a synchronous response payload.
RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024 + 100


@dataclass
class EmulatorSettings:
    """The command-line settings every emulated function starts with."""

    target: Target
    # Run options of the workers. `options.env` contains the --env variables that Lambda
    # reserves (such as AWS_REGION): they reach the process but not the configuration.
    options: RunOptions
    # The function's own environment variables (the other --env values).
    variables: dict[str, str]
    runtime: str
    work_dir: Path
    max_environments: int = 10
    # Seconds an update stays InProgress before LastUpdateStatus becomes Successful.
    update_delay_s: float = 0.0


@dataclass
class InvokeOutcome:
    """The Invoke response: payload, FunctionError header and the log."""

    payload: bytes
    function_error: str | None
    log: str
    executed_version: str
    request_id: str
    cold: bool


@dataclass
class InvokeCounts:
    """Invokes of one function since the emulator started, for the summary at exit."""

    invokes: int = 0
    cold_starts: int = 0
    errors: int = 0
    init_ms: list[float] = field(default_factory=list)

    def add(self, outcome: InvokeOutcome, init_ms: float | None) -> None:
        self.invokes += 1
        self.cold_starts += outcome.cold
        self.errors += outcome.function_error is not None
        if init_ms is not None:
            self.init_ms.append(init_ms)

    def summary(self) -> str:
        text = (f"{self.invokes} invokes, {self.cold_starts} cold starts, "
                f"{self.errors} function errors")
        if self.init_ms:
            text += f", median Init Duration {statistics.median(self.init_ms):.2f} ms"
        return text


@dataclass
class FunctionState:
    """The mutable part of a function: its configuration and its environments."""

    configuration: dict[str, Any]
    target: Target
    timeout_s: float
    update_done_ns: int = 0
    idle: list[ExecutionEnvironment] = field(default_factory=list)
    busy: int = 0


class EmulatedFunction:
    """One function name with its configuration and pool of execution environments."""

    def __init__(self, settings: EmulatorSettings, name: str, region: str, account: str,
                 counter: Any, log_store: LogStore) -> None:
        self.settings = settings
        self.log_store = log_store
        self.name = name
        self.region = region
        self.account = account
        self.arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
        self._next_index = counter
        self._lock = threading.Condition()
        options = settings.options
        self.state = FunctionState(
            configuration=initial_configuration(
                name, self.arn, settings.target, settings.runtime, options.memory_mb,
                options.timeout_s, settings.variables,
            ),
            target=settings.target,
            timeout_s=options.timeout_s,
        )
        self._stopped = False
        # Every environment started and not yet stopped, busy or idle, for shutdown.
        self._live: set[ExecutionEnvironment] = set()
        self.counts = InvokeCounts()

    # Configuration calls.

    def describe(self, reference: FunctionReference | None = None) -> dict[str, Any]:
        """Return the configuration document, with the update status as of now."""
        with self._lock:
            document = dict(self.state.configuration)
            in_progress = time.monotonic_ns() < self.state.update_done_ns
        document["LastUpdateStatus"] = "InProgress" if in_progress else "Successful"
        if reference is not None and reference.qualifier:
            document["FunctionArn"] = f"{self.arn}:{reference.qualifier}"
        return document

    def update(self, request: dict[str, Any]) -> dict[str, Any]:
        """Apply UpdateFunctionConfiguration and retire every environment."""
        with self._lock:
            state = self.state
            if time.monotonic_ns() < state.update_done_ns:
                raise ApiError(
                    409, "ResourceConflictException",
                    "The operation cannot be performed at this time. An update is in "
                    f"progress for resource: {self.arn}",
                )
            revision = request.get("RevisionId")
            if revision and revision != state.configuration["RevisionId"]:
                raise ApiError(
                    412, "PreconditionFailedException",
                    "The Revision Id provided does not match the latest Revision Id. Call "
                    "the GetFunction/GetAlias API to retrieve the latest Revision Id",
                )
            updated = apply_update(state.configuration, request)
            if "Timeout" in request:
                state.timeout_s = float(updated["Timeout"])
            state.configuration = updated
            delay_ns = int(self.settings.update_delay_s * 1e9)
            state.update_done_ns = time.monotonic_ns() + delay_ns
            retired, state.idle = state.idle, []
        log.info(
            "updated the configuration of function %s: revision %s; retiring %d idle and "
            "%d busy environments", self.name, updated["RevisionId"], len(retired), state.busy,
        )
        for environment in retired:
            environment.stop("configuration changed")
            with self._lock:
                self._live.discard(environment)
        response = dict(updated)
        # With no --update-delay the update is done at once: a second update may follow.
        response["LastUpdateStatus"] = "InProgress" if delay_ns > 0 else "Successful"
        return response

    # Invoke.

    def invoke(self, reference: FunctionReference, payload: bytes,
               client_context: dict[str, Any] | None, request_id: str,
               wait: bool = False) -> InvokeOutcome:
        """Run one invoke in a warm environment, or in a new one (a cold start)."""
        environment, cold = self._acquire(wait)
        logging_config = self.describe().get("LoggingConfig") or {}
        record = InvokeRecord(
            function_name=self.name,
            log_format=logging_config.get("LogFormat") or "Text",
            request_id=request_id,
            version=reference.executed_version,
            memory_mb=environment.spec.options.memory_mb,
            runtime_version=f"{self.settings.runtime}.coldstart-emulate",
            runtime_version_arn=(
                f"arn:aws:lambda:{self.region}::runtime:coldstart-emulate"
            ),
        )
        try:
            outcome = self._run(environment, cold, record, reference, payload, client_context)
        finally:
            self._release(environment)
        with self._lock:
            self.counts.add(outcome, record.init_ms)
        self.log_store.append(
            logging_config.get("LogGroup") or f"/aws/lambda/{self.name}",
            environment.spec.options.env["AWS_LAMBDA_LOG_STREAM_NAME"],
            outcome.log,
        )
        return outcome

    def _run(self, environment: ExecutionEnvironment, cold: bool, record: InvokeRecord,
             reference: FunctionReference, payload: bytes,
             client_context: dict[str, Any] | None) -> InvokeOutcome:
        if cold:
            init = environment.start()
            record.init_ms = init.init_ms
            record.init_output = init.output
            record.max_memory_used_mb = mebibytes(init.max_memory_kib)
            environment.last_peak_kib = init.max_memory_kib
            if init.error is not None:
                return self._init_failed(record, init.error, reference)
            log.info("cold start of function %s in environment %d: Init Duration "
                     "%.2f ms", self.name, environment.index, init.init_ms)
        result = environment.invoke({
            "request_id": record.request_id,
            "payload": payload.decode("utf-8"),
            "invoked_function_arn": reference.arn(self.region, self.account),
            "client_context": client_context,
        })
        if result.max_memory_kib:
            environment.last_peak_kib = result.max_memory_kib
        else:  # the worker died before reporting: keep its last known peak
            result = dataclasses.replace(result, max_memory_kib=environment.last_peak_kib)
        if result.status is None and mebibytes(result.max_memory_kib) > record.memory_mb:
            environment.stop("memory size exceeded")
            result = out_of_memory(result, record)
        return self._invoked(record, result, reference, cold)

    def _init_failed(self, record: InvokeRecord, error: dict[str, Any],
                     reference: FunctionReference) -> InvokeOutcome:
        record.init_error = error
        record.max_memory_used_mb = min(record.max_memory_used_mb, record.memory_mb)
        record.status = "timeout" if error["type"] == "Sandbox.Timedout" else "error"
        log.warning("init of function %s failed: %s: %s", self.name, error["type"],
                    error.get("message"))
        payload = error_payload(error, "", record.request_id)
        return InvokeOutcome(payload, "Unhandled", invoke_log(record),
                             reference.executed_version, record.request_id, cold=True)

    def _invoked(self, record: InvokeRecord, result: InvokeResult,
                 reference: FunctionReference, cold: bool) -> InvokeOutcome:
        record.duration_ms = result.duration_ms
        record.output = result.output
        record.error = result.error
        record.status = result.status
        record.extra_lines = result.extra_lines
        # Lambda stops an environment at its memory size, so no REPORT shows more.
        record.max_memory_used_mb = min(
            max(record.max_memory_used_mb, mebibytes(result.max_memory_kib)), record.memory_mb
        )
        body = (result.result or "null").encode("utf-8")
        error = result.error
        if error is None and len(body) > RESPONSE_LIMIT_BYTES:
            error = {
                "type": "Function.ResponseSizeTooLarge",
                "message": "Response payload size exceeded maximum allowed payload size "
                           f"({RESPONSE_LIMIT_BYTES} bytes).",
                "stack_trace": [],
            }
            record.status = "error"
            record.error = error
        kind = "cold" if cold else "warm"
        if error is not None:
            log.warning("invoke %s of function %s (%s) failed: %s: %s", record.request_id,
                        self.name, kind, error["type"], error.get("message"))
            payload = error_payload(error, record.request_id, record.request_id)
            return InvokeOutcome(payload, "Unhandled", invoke_log(record),
                                 reference.executed_version, record.request_id, cold)
        log.info("invoke %s of function %s (%s): Duration %.2f ms", record.request_id,
                 self.name, kind, record.duration_ms)
        return InvokeOutcome(body, None, invoke_log(record), reference.executed_version,
                             record.request_id, cold)

    def _acquire(self, wait: bool) -> tuple[ExecutionEnvironment, bool]:
        """Take an idle environment of the current revision, or a new one to start."""
        with self._lock:
            state = self.state
            while not state.idle and state.busy >= self.settings.max_environments:
                if not wait or self._stopped:
                    raise ApiError(
                        429, "TooManyRequestsException", "Rate Exceeded.",
                        extra={"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"},
                    )
                self._lock.wait()
            if self._stopped:
                raise ApiError(503, "ServiceException", "The emulator is shutting down.")
            state.busy += 1
            if state.idle:
                return state.idle.pop(), False
            spec = EnvironmentSpec(
                target=state.target,
                options=self._run_options(),
                function_name=self.name,
                revision=state.configuration["RevisionId"],
                work_dir=self.settings.work_dir,
            )
            environment = ExecutionEnvironment(spec, next(self._next_index))
            self._live.add(environment)
        return environment, True

    def _release(self, environment: ExecutionEnvironment) -> None:
        with self._lock:
            self.state.busy -= 1
            current = self.state.configuration["RevisionId"]
            keep = environment.alive and environment.revision == current and not self._stopped
            if keep:
                self.state.idle.append(environment)
            else:
                self._live.discard(environment)
            self._lock.notify()
        if not keep and environment.alive:
            environment.stop("configuration changed")

    def _run_options(self) -> RunOptions:
        """Return the run options of a new environment under the current configuration."""
        configuration = self.state.configuration
        variables = (configuration.get("Environment") or {}).get("Variables") or {}
        stream = f"{datetime.now(timezone.utc):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        env = {
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_REGION": self.region,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            **self.settings.options.env,
            **variables,
        }
        return dataclasses.replace(
            self.settings.options,
            env=env,
            memory_mb=configuration["MemorySize"],
            timeout_s=self.state.timeout_s,
            warm_invokes=0,
        )

    def stop(self) -> None:
        """Stop every environment, idle or busy; a busy one's invoke fails."""
        with self._lock:
            self._stopped = True
            self.state.idle = []
            live, self._live = list(self._live), set()
            self._lock.notify_all()
        for environment in live:
            environment.stop("emulator stopping")


def mebibytes(kib: int) -> int:
    return math.ceil(kib / 1024) if kib else 0


def out_of_memory(result: InvokeResult, record: InvokeRecord) -> InvokeResult:
    """Turn an invoke whose peak RSS passed the memory size into Lambda's OOM failure.

    Lambda kills the environment when it reaches its memory size. The emulator does not
    limit the worker, so it checks the peak RSS after each invoke instead.
    """
    error = {
        "type": "Runtime.OutOfMemory",
        "message": "Runtime exited with error: signal: killed",
        "stack_trace": [],
    }
    return dataclasses.replace(
        result, result=None, error=error, status="error",
        max_memory_kib=record.memory_mb * 1024,
        extra_lines=exit_lines(record.request_id, error),
    )


def error_payload(error: dict[str, Any], request_id: str, log_request_id: str) -> bytes:
    """Return Lambda's error payload of a failed invoke."""
    message = error.get("message", "")
    if error["type"] in ("Runtime.ExitError", "Runtime.OutOfMemory"):
        message = f"RequestId: {log_request_id} Error: {message}"
    elif error["type"] == "Sandbox.Timedout":
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        message = f"{now}Z {log_request_id} {message}"
    document = {
        "errorMessage": message,
        "errorType": error["type"],
        "requestId": request_id,
        "stackTrace": error.get("stack_trace") or [],
    }
    return json.dumps(document).encode("utf-8")


class FunctionRegistry:
    """Every function name the emulator has been asked about, created on first use."""

    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self._functions: dict[str, EmulatedFunction] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self.log_store = LogStore()
        self._stopped = False

    def get(self, reference: FunctionReference, region: str, account: str) -> EmulatedFunction:
        with self._lock:
            function = self._functions.get(reference.name)
            if function is None:
                if self._stopped:
                    raise ApiError(503, "ServiceException", "The emulator is shutting down.")
                function = EmulatedFunction(
                    self.settings, reference.name, reference.region or region,
                    reference.account or account, self._counter, self.log_store,
                )
                self._functions[reference.name] = function
                log.info("serving function %s (%s)", reference.name, function.arn)
            return function

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            functions = list(self._functions.values())
        for function in functions:
            function.stop()
            log.info("function %s: %s", function.name, function.counts.summary())
