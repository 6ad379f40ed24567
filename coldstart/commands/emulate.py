"""Serve the Lambda API on 127.0.0.1 for one handler, with real cold and warm starts.

The same handler serves any function name, partial or full ARN, or qualifier in a
request, as AWS's runtime interface emulator does. Each name has its own configuration
and execution environments.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

from coldstart.commands.common import check_positive, check_python, check_range, work_folder
from coldstart.console import Streams
from coldstart.environment import parse_env_pairs, python_minor_version
from coldstart.errors import EnvironmentProblem, ExitCode, UsageError
from coldstart.lambda_api.emulator.configuration import RESERVED_VARIABLES
from coldstart.lambda_api.emulator.functions import EmulatorSettings, FunctionRegistry
from coldstart.lambda_api.emulator.server import EmulatorServer
from coldstart.launcher import RunOptions
from coldstart.target import resolve_target

log = logging.getLogger("coldstart.emulate")


@dataclass
class EmulateRequest:
    """Everything `coldstart emulate` was asked to do."""

    target: str
    handler: str | None = None
    root: str | None = None
    env: list[str] = field(default_factory=list)
    python: str = field(default_factory=lambda: sys.executable)
    memory_mb: int = 128
    timeout_s: float = 3.0
    init_timeout_s: float = 10.0
    host: str = "127.0.0.1"
    port: int = 9001
    max_environments: int = 10
    update_delay_s: float = 0.0
    verbose: bool = False


class Terminated(Exception):
    """SIGTERM arrived: stop serving and exit 0."""


def raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


def configure_logging(quiet: bool, verbose: bool) -> None:
    """Send the emulator's log records (starts, stops, cold starts, errors) to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.propagate = False
    if quiet:
        log.setLevel(logging.WARNING)
    else:
        log.setLevel(logging.DEBUG if verbose else logging.INFO)


def check_request(request: EmulateRequest) -> None:
    # Lambda accepts 128 to 10240 MB of memory, as `coldstart profile` checks.
    check_range("--memory", request.memory_mb, 128, 10240, " MB")
    check_positive("--timeout", request.timeout_s)
    check_positive("--init-timeout", request.init_timeout_s)
    check_positive("--max-environments", request.max_environments)
    if not 0 <= request.port <= 65535:
        raise UsageError(f"invalid --port {request.port}: use 0 to 65535 (0 picks a free port)")
    if request.update_delay_s < 0:
        raise UsageError(f"invalid --update-delay {request.update_delay_s}: use 0 or more")


def build_settings(request: EmulateRequest, work_dir: Any) -> EmulatorSettings:
    """Resolve the target and split --env into process variables and configured ones."""
    check_request(request)
    target = resolve_target(request.target, request.handler, request.root)
    python = check_python(request.python)
    pairs = parse_env_pairs(request.env)
    reserved = {key: value for key, value in pairs.items() if key in RESERVED_VARIABLES}
    variables = {key: value for key, value in pairs.items() if key not in RESERVED_VARIABLES}
    options = RunOptions(
        python=python, env=reserved, memory_mb=request.memory_mb,
        timeout_s=request.timeout_s, init_timeout_s=request.init_timeout_s, warm_invokes=0,
    )
    return EmulatorSettings(
        target=target, options=options, variables=variables,
        runtime=f"python{python_minor_version(python)}", work_dir=work_dir,
        max_environments=request.max_environments, update_delay_s=request.update_delay_s,
    )


def bind(host: str, port: int, registry: FunctionRegistry) -> EmulatorServer:
    try:
        return EmulatorServer((host, port), registry)
    except OSError as error:
        raise EnvironmentProblem(
            f"cannot listen on {host}:{port}: {error.strerror or error}; "
            "pick another --port, or --port 0 for a free one"
        ) from error


def warn_if_exposed(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        log.warning(
            "listening on %s: any host that reaches this address can run the handler, "
            "without authentication", host,
        )


def run(request: EmulateRequest, streams: Streams) -> int:
    configure_logging(streams.quiet, request.verbose)
    with work_folder() as work_dir:
        settings = build_settings(request, work_dir)
        registry = FunctionRegistry(settings)
        server = bind(request.host, request.port, registry)
        host, port = server.server_address[:2]
        warn_if_exposed(request.host)
        # The address goes to stdout on its own line, so that a script can read the port.
        print(f"Serving the Lambda API for {settings.target.handler_string} at "
              f"http://{host}:{port}", flush=True)
        streams.note(f"use it with --endpoint-url http://{host}:{port}; Ctrl-C stops it")
        log.info("emulator started: pid %d, handler %s, root %s", os.getpid(),
                 settings.target.handler_string, settings.target.root)
        code = serve_until_stopped(server, registry)
        signal_name = "SIGINT" if code == ExitCode.INTERRUPTED else "SIGTERM"
        streams.note(f"coldstart: emulator stopped on {signal_name}")
        return code


def serve_until_stopped(server: EmulatorServer, registry: FunctionRegistry) -> int:
    """Serve until SIGINT (exit 130) or SIGTERM (exit 0); return the exit status."""
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    # A shell without job control starts background commands with SIGINT ignored. The
    # emulator still stops on it, so that `kill -INT` cleans up as Ctrl-C does.
    previous_interrupt = signal.signal(signal.SIGINT, signal.default_int_handler)
    reason = "stopped"
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        # Ctrl-C is how the emulator is meant to stop: exit 130 with a plain line, not an error.
        reason = "interrupted"
        return ExitCode.INTERRUPTED
    except Terminated:
        reason = "terminated"
        return ExitCode.OK
    finally:
        # A second Ctrl-C must not cut the cleanup short and leave workers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            server.server_close()
            registry.stop()
            log.info("emulator %s: every environment stopped", reason)
        finally:
            signal.signal(signal.SIGINT, previous_interrupt)
            signal.signal(signal.SIGTERM, previous)
    return ExitCode.OK
