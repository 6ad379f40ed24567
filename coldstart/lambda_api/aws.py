"""boto3 clients for Lambda and CloudWatch Logs, and AWS errors turned into one-line errors.

Clients use the standard credential chain (or `--profile`), botocore's standard retry
mode, which retries throttling and transient errors with exponential backoff, and a read
timeout long enough for the longest Lambda invocation (15 minutes).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from coldstart.errors import EnvironmentProblem, UsageError

MAX_ATTEMPTS = 5
INVOKE_READ_TIMEOUT_S = 15 * 60 + 30
CONNECT_TIMEOUT_S = 10

ACCESS_DENIED_CODES = {
    "AccessDeniedException", "AccessDenied", "UnrecognizedClientException",
    "InvalidSignatureException", "ExpiredTokenException", "InvalidClientTokenId",
    "KMSAccessDeniedException",
}
# Lambda rejects these requests for their content, so they are invalid input (exit 2).
INVALID_REQUEST_CODES = {"RequestTooLargeException", "InvalidRequestContentException"}
THROTTLING_CODES = {
    "TooManyRequestsException", "ThrottlingException", "Throttling",
    "RequestLimitExceeded", "EC2ThrottledException",
}
# CloudWatch Logs calls, made on a log group by `coldstart logs --function`.
LOGS_CALLS = {"FilterLogEvents"}
# The IAM action that allows each API call, where its name differs from the call's.
IAM_ACTIONS = {
    "Invoke": "lambda:InvokeFunction",
    "FilterLogEvents": "logs:FilterLogEvents",
}
NETWORK_ERRORS = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ProxyConnectionError,
    botocore.exceptions.SSLError,
)


@dataclass(frozen=True)
class AwsSettings:
    """The region, profile and endpoint URL of the AWS calls (`--region` and so on)."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None


def make_session(settings: AwsSettings) -> boto3.Session:
    try:
        return boto3.Session(profile_name=settings.profile, region_name=settings.region)
    except botocore.exceptions.ProfileNotFound as error:
        raise EnvironmentProblem(
            f"AWS profile not found: {settings.profile} (list profiles with "
            "`aws configure list-profiles`, or drop --profile)"
        ) from error


def make_client(session: boto3.Session, service: str, settings: AwsSettings) -> Any:
    """Create a client with standard retries; raises UsageError when no region is known."""
    config = Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=INVOKE_READ_TIMEOUT_S,
        # The pool is sized for `--strategy concurrent`, which invokes from many threads.
        max_pool_connections=64,
    )
    try:
        return session.client(
            service, region_name=settings.region, endpoint_url=settings.endpoint_url,
            config=config,
        )
    except botocore.exceptions.NoRegionError as error:
        raise UsageError(
            "missing AWS region: pass --region, a full ARN, or set AWS_REGION"
        ) from error


def error_code(error: botocore.exceptions.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: botocore.exceptions.ClientError) -> str:
    """Return the service's message on one line, cut to 200 characters (some are HTML)."""
    message = " ".join(str(error.response.get("Error", {}).get("Message", "")).split())
    return message if len(message) <= 200 else message[:197] + "..."


def short_error(error: Exception) -> str:
    """Describe an AWS failure in one short line, for notes about optional calls."""
    if isinstance(error, botocore.exceptions.ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = error_code(error) or f"HTTP {status}"
        message = error_message(error)
        if message.startswith("<"):
            message = "not implemented by this endpoint" if status == 404 else "HTML response"
        return f"{code}: {message}" if message else code
    return " ".join(str(error).split())


def describe_aws_error(error: Exception, call: str, function: str) -> str:
    """Return one line naming the call, the function, what went wrong and what to do."""
    where = f"{call} on {function}"
    if isinstance(error, botocore.exceptions.NoCredentialsError):
        return (
            f"{where} failed: no AWS credentials found; configure them (aws configure, "
            "AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        )
    if isinstance(error, botocore.exceptions.PartialCredentialsError):
        return f"{where} failed: incomplete AWS credentials ({error}); complete them"
    if isinstance(error, NETWORK_ERRORS):
        return f"{where} failed: network error ({error}); check the connection and --endpoint-url"
    if isinstance(error, botocore.exceptions.ClientError):
        code = error_code(error)
        message = error_message(error)
        if code in ACCESS_DENIED_CODES:
            return (
                f"{where} failed: access denied ({code}: {message}); grant "
                f"{IAM_ACTIONS.get(call, 'lambda:' + call)} to these credentials or use "
                "another --profile"
            )
        if code == "ResourceNotFoundException" and call in LOGS_CALLS:
            return (
                f"{where} failed: not found ({message}); check --function and --region "
                "(a function that has never run has no log group yet)"
            )
        if code == "ResourceNotFoundException":
            return (
                f"{where} failed: not found ({message}); check the function name, the "
                "qualifier and --region"
            )
        if code in THROTTLING_CODES:
            return (
                f"{where} failed: throttled ({code}) after {MAX_ATTEMPTS} attempts; "
                "wait, lower --cold, or raise the function's concurrency"
            )
        return f"{where} failed: {code}: {message}"
    if isinstance(error, botocore.exceptions.BotoCoreError):
        return f"{where} failed: {error}"
    return f"{where} failed: {type(error).__name__}: {error}"


@contextmanager
def aws_call(call: str, function: str) -> Iterator[None]:
    """Turn botocore failures inside the block into EnvironmentProblem (exit 4).

    A request Lambda rejects for its content, such as a payload over 6 MB, raises
    UsageError (exit 2) instead.
    """
    try:
        yield
    except botocore.exceptions.ClientError as error:
        if error_code(error) in INVALID_REQUEST_CODES:
            raise UsageError(
                f"{call} on {function} failed: invalid request ({error_code(error)}: "
                f"{error_message(error)}); fix the --event payload"
            ) from error
        raise EnvironmentProblem(describe_aws_error(error, call, function)) from error
    except botocore.exceptions.BotoCoreError as error:
        raise EnvironmentProblem(describe_aws_error(error, call, function)) from error


def is_conflict(error: BaseException) -> bool:
    return (
        isinstance(error, botocore.exceptions.ClientError)
        and error_code(error) == "ResourceConflictException"
    )
