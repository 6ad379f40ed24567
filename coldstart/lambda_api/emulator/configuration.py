"""A function's configuration document, as GetFunctionConfiguration returns it, and the
checks and changes of UpdateFunctionConfiguration."""

from __future__ import annotations

import base64
import hashlib
import json
import platform
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from coldstart.target import Target

# Variables Lambda sets itself; a function's configuration may not define them.
RESERVED_VARIABLES = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})
VARIABLE_NAME = re.compile(r"^[a-zA-Z]([a-zA-Z0-9_])+$")
# Lambda limits the variables of one function to 4 KB, measured as their JSON text.
VARIABLES_LIMIT_BYTES = 4096
MEMORY_RANGE_MB = (128, 10240)
TIMEOUT_RANGE_S = (1, 900)
EMULATOR_ROLE = "arn:aws:iam::123456789012:role/coldstart-emulate"


class ApiError(Exception):
    """A Lambda API error: HTTP status, error code and message, sent as Lambda sends it."""

    def __init__(self, status: int, code: str, message: str, message_key: str = "message",
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        # Lambda's error shapes spell the member `message` or `Message`, per error.
        self.message_key = message_key
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"Type": "User", self.message_key: self.message, **self.extra}


def validation_error(message: str) -> ApiError:
    return ApiError(400, "ValidationException", f"1 validation error detected: {message}")


def invalid_parameter(message: str) -> ApiError:
    return ApiError(400, "InvalidParameterValueException", message)


def timestamp_now() -> str:
    """Return the time in Lambda's LastModified format, such as 2026-12-04T15:00:00.000+0000."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def handler_file(target: Target) -> Path | None:
    """Return the file of the handler's module under the task root, if it is there."""
    base = target.root.joinpath(*target.module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def code_digest(target: Target) -> tuple[int, str]:
    """Return CodeSize and CodeSha256 of the handler's module file."""
    path = handler_file(target)
    data = path.read_bytes() if path is not None else b""
    return len(data), base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def architecture() -> str:
    return "arm64" if platform.machine().lower() in ("arm64", "aarch64") else "x86_64"


def initial_configuration(
    name: str, arn: str, target: Target, runtime: str, memory_mb: int, timeout_s: float,
    variables: dict[str, str],
) -> dict[str, Any]:
    """Return the configuration a function starts with, from the command line."""
    code_size, code_sha = code_digest(target)
    configuration: dict[str, Any] = {
        "FunctionName": name,
        "FunctionArn": arn,
        "Runtime": runtime,
        "Role": EMULATOR_ROLE,
        "Handler": target.handler_string,
        "CodeSize": code_size,
        "Description": "",
        "Timeout": max(1, round(timeout_s)),
        "MemorySize": memory_mb,
        "LastModified": timestamp_now(),
        "CodeSha256": code_sha,
        "Version": "$LATEST",
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": str(uuid.uuid4()),
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": [architecture()],
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"},
    }
    if variables:
        configuration["Environment"] = {"Variables": dict(variables)}
    return configuration


def check_variables(variables: Any) -> dict[str, str]:
    """Check Environment.Variables of an update as Lambda does; return them."""
    if not isinstance(variables, dict):
        raise validation_error("Value at 'environment.variables' must be a map of strings")
    reserved = sorted(key for key in variables if key in RESERVED_VARIABLES)
    if reserved:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that are "
            "currently not supported for modification. Reserved keys used in this request: "
            + ", ".join(reserved)
        )
    for key, value in variables.items():
        if not VARIABLE_NAME.match(key):
            raise validation_error(
                "Value at 'environment.variables' failed to satisfy constraint: Map keys "
                "must satisfy constraint: [Member must satisfy regular expression pattern: "
                "[a-zA-Z]([a-zA-Z0-9_])+]"
            )
        if not isinstance(value, str):
            raise validation_error(f"Value of variable '{key}' must be a string")
    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode("utf-8")) > VARIABLES_LIMIT_BYTES:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided exceeded the 4KB limit. "
            f"String measured: {measured}"
        )
    return dict(variables)


def check_range(name: str, value: Any, bounds: tuple[int, int]) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise validation_error(f"Value '{value}' at '{name}' must be an integer")
    low, high = bounds
    if value < low:
        raise validation_error(
            f"Value '{value}' at '{name}' failed to satisfy constraint: Member must have "
            f"value greater than or equal to {low}"
        )
    if value > high:
        raise validation_error(
            f"Value '{value}' at '{name}' failed to satisfy constraint: Member must have "
            f"value less than or equal to {high}"
        )
    return value


def apply_update(configuration: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """Return a new configuration with the update applied. Raises ApiError when invalid.

    Fields the emulator does not act on are stored as given, in the response's shape.
    """
    updated = json.loads(json.dumps(configuration))
    if "Timeout" in request:
        updated["Timeout"] = check_range("timeout", request["Timeout"], TIMEOUT_RANGE_S)
    if "MemorySize" in request:
        updated["MemorySize"] = check_range(
            "memorySize", request["MemorySize"], MEMORY_RANGE_MB
        )
    if "Environment" in request:
        variables = check_variables((request["Environment"] or {}).get("Variables") or {})
        if variables:
            updated["Environment"] = {"Variables": variables}
        else:
            updated.pop("Environment", None)
    if "KMSKeyArn" in request:
        if request["KMSKeyArn"]:
            updated["KMSKeyArn"] = request["KMSKeyArn"]
        else:
            updated.pop("KMSKeyArn", None)
    check_fixed_fields(configuration, request)
    copy_as_given(updated, request)
    updated["LastModified"] = timestamp_now()
    updated["RevisionId"] = str(uuid.uuid4())
    return updated


# Fields fixed by the command line: the emulator runs one handler in one interpreter.
FIXED_FIELDS = (("Handler", "--handler"), ("Runtime", "--python"))


def check_fixed_fields(configuration: dict[str, Any], request: dict[str, Any]) -> None:
    """Reject a change of Handler or Runtime, which the emulator cannot act on."""
    for key, option in FIXED_FIELDS:
        if key in request and request[key] != configuration.get(key):
            raise invalid_parameter(
                f"{key} cannot be changed in coldstart emulate: it is "
                f"{configuration.get(key)!r}, set by the command line; restart the emulator "
                f"with another {option} to change it"
            )


def copy_as_given(updated: dict[str, Any], request: dict[str, Any]) -> None:
    """Store the remaining fields as given, in the response's shape."""
    for key in ("Role", "Description", "DeadLetterConfig",
                "FileSystemConfigs", "EphemeralStorage", "TracingConfig",
                "CapacityProviderConfig", "DurableConfig", "RuntimeConfig",
                "AcceleratorConfig"):
        if key in request:
            updated[key] = request[key]
    if "LoggingConfig" in request:
        updated["LoggingConfig"] = {**updated.get("LoggingConfig", {}),
                                    **request["LoggingConfig"]}
    if "VpcConfig" in request:
        updated["VpcConfig"] = {"VpcId": "", **request["VpcConfig"]}
    if "ImageConfig" in request:
        updated["ImageConfigResponse"] = {"ImageConfig": request["ImageConfig"]}
    if "Layers" in request:
        updated["Layers"] = [{"Arn": arn, "CodeSize": 0} for arn in request["Layers"]]
    if "SnapStart" in request:
        updated["SnapStart"] = {
            "ApplyOn": request["SnapStart"].get("ApplyOn", "None"),
            "OptimizationStatus": "Off",
        }
