"""The process environment Lambda gives a handler, rebuilt for a local run."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from functools import cache
from typing import TYPE_CHECKING

from coldstart.errors import EnvironmentProblem, UsageError

if TYPE_CHECKING:
    from coldstart.launcher import RunOptions
    from coldstart.target import Target

DEFAULT_REGION = "us-east-1"
DEFAULT_FUNCTION_NAME = "coldstart-local"
# Variables of the caller's environment passed on to the worker: what an interpreter needs
# to start (locale, temporary folder, search path for a launcher such as pyenv). Anything
# else, AWS credentials included, stays out unless given with --env.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")
# Lambda passes the execution role's credentials in these variables. Placeholders keep
# botocore on the same short path (environment variables first) and away from the
# instance metadata address. --env replaces them.
PLACEHOLDER_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ASIACOLDSTARTLOCAL00",
    "AWS_SECRET_ACCESS_KEY": "coldstart-local-placeholder-secret",
    "AWS_SESSION_TOKEN": "coldstart-local-placeholder-token",
    "AWS_EC2_METADATA_DISABLED": "true",
}
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_env_pairs(pairs: list[str]) -> dict[str, str]:
    """Parse repeated --env KEY=VALUE options. Raises UsageError on a malformed pair."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not ENV_NAME.match(key):
            raise UsageError(f"invalid --env {pair!r}: write it as KEY=VALUE, e.g. TABLE=orders")
        env[key] = value
    return env


INTERPRETER_PROBE = (
    "import json, platform, sys; print(json.dumps({"
    "'python_version': platform.python_version(), 'executable': sys.executable, "
    "'implementation': platform.python_implementation()}))"
)


def running_interpreter() -> dict[str, str]:
    """Return what INTERPRETER_PROBE prints, for the interpreter running coldstart."""
    return {
        "python_version": platform.python_version(),
        "executable": sys.executable,
        "implementation": platform.python_implementation(),
    }


@cache
def probe_interpreter(python: str) -> dict[str, str]:
    """Return the version, executable and implementation of an interpreter, asked once.

    The default --python is the interpreter running coldstart, which is described without
    a probe process (about 20 ms saved per command).
    """
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        return running_interpreter()
    try:
        completed = subprocess.run(
            [python, "-c", INTERPRETER_PROBE], capture_output=True, text=True, timeout=30,
        )
    except FileNotFoundError as error:
        raise EnvironmentProblem(
            f"interpreter not found: {python} (give an installed Python with --python)"
        ) from error
    except (subprocess.TimeoutExpired, OSError) as error:
        raise EnvironmentProblem(f"interpreter {python} failed to start: {error}") from error
    try:
        return json.loads(completed.stdout)
    except ValueError:
        detail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise EnvironmentProblem(
            f"interpreter {python} is not a working Python (exit status "
            f"{completed.returncode}: {detail}); give another with --python"
        ) from None


def python_minor_version(python: str) -> str:
    """Return "3.X" for an interpreter."""
    return ".".join(probe_interpreter(python)["python_version"].split(".")[:2])


def lambda_environment(target: Target, options: RunOptions) -> dict[str, str]:
    """Build the worker's environment: Lambda's variables, then every --env."""
    env = {key: os.environ[key] for key in PASSED_THROUGH if key in os.environ}
    region = options.env.get("AWS_REGION") or DEFAULT_REGION
    function_name = options.env.get("AWS_LAMBDA_FUNCTION_NAME") or DEFAULT_FUNCTION_NAME
    env.update(PLACEHOLDER_CREDENTIALS)
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(options.memory_mb),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{python_minor_version(options.python)}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "LAMBDA_TASK_ROOT": str(target.root),
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "_HANDLER": target.handler_string,
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]coldstartlocal",
        "TZ": ":UTC",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(options.env)
    return env
