"""The HTTP side of the emulator: Lambda's REST paths, headers and JSON errors.

Paths and field names follow botocore's Lambda service model (2015-03-31). Requests are
not authenticated: the signature is read only for the region it names.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from coldstart.lambda_api.emulator.configuration import ApiError, validation_error
from coldstart.lambda_api.emulator.functions import FunctionRegistry, InvokeOutcome
from coldstart.lambda_api.emulator.logs import log_tail
from coldstart.lambda_api.emulator.names import (
    DEFAULT_ACCOUNT,
    InvalidFunctionName,
    parse_function_name,
)

log = logging.getLogger("coldstart.emulate")

# Lambda's request payload limits: synchronous invokes 6 MB, asynchronous ones 1 MB
# (raised from 256 KB, AWS Compute Blog "More room to build: serverless services now
# support payloads up to 1 MB").
SYNC_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT_BYTES = 1024 * 1024
# A body over this size is not read at all: the connection is closed after the error.
DISCARD_LIMIT_BYTES = 64 * 1024 * 1024
DEFAULT_REGION = "us-east-1"
LOGS_TARGET_PREFIX = "Logs_20140328."
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/([a-z0-9-]+)/lambda/")

# Error codes of the answers to requests that are not HTTP that http.server understands.
PROTOCOL_ERROR_CODES = {
    400: "InvalidRequestContentException",
    404: "UnknownOperationException",
    408: "InvalidRequestContentException",
    411: "InvalidRequestContentException",
    413: "RequestTooLargeException",
    414: "RequestTooLargeException",
    431: "RequestTooLargeException",
    501: "UnknownOperationException",
    505: "InvalidRequestContentException",
}

ROUTES = (
    ("POST", re.compile(r"^/2015-03-31/functions/([^/]+)/invocations/?$"), "invoke"),
    ("GET", re.compile(r"^/2015-03-31/functions/([^/]+)/?$"), "get_function"),
    ("GET", re.compile(r"^/2015-03-31/functions/([^/]+)/configuration/?$"),
     "get_configuration"),
    ("PUT", re.compile(r"^/2015-03-31/functions/([^/]+)/configuration/?$"),
     "update_configuration"),
    ("GET", re.compile(r"^/2019-09-30/functions/([^/]+)/provisioned-concurrency/?$"),
     "list_provisioned_concurrency"),
)


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server with the registry of emulated functions."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], registry: FunctionRegistry) -> None:
        super().__init__(address, LambdaRequestHandler)
        self.registry = registry
        # Event invokes run in these threads after the 202 response.
        self.event_threads: set[threading.Thread] = set()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a request that failed outside an operation as one line, with no traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            log.info("client %s closed the connection", client_address[0])
        else:
            log.error("request from %s failed: %s: %s", client_address[0],
                      type(error).__name__, error)


class LambdaRequestHandler(BaseHTTPRequestHandler):
    """One HTTP request of the Lambda API."""

    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "coldstart-emulate"

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_PUT(self) -> None:
        self.dispatch("PUT")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def do_PATCH(self) -> None:
        self.dispatch("PATCH")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """Answer a request http.server could not parse with a Lambda-style JSON error."""
        if self.request_version == "HTTP/0.9":
            # A garbled request line: answer in HTTP/1.0, so that the status and headers go out.
            self.request_version = "HTTP/1.0"
        self.close_connection = True
        if not hasattr(self, "request_id"):
            self.request_id = str(uuid.uuid4())
        error = ApiError(code, PROTOCOL_ERROR_CODES.get(code, "ServiceException"),
                         message or self.responses.get(code, ("Error",))[0])
        log.info("malformed request from %s: %s %s", self.address_string(), code,
                 error.message)
        self.send_json(code, error.body(), {"x-amzn-ErrorType": error.code,
                                            "Connection": "close"})

    def dispatch(self, method: str) -> None:
        self.request_id = str(uuid.uuid4())
        url = urlsplit(self.path)
        self.query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        target = self.headers.get("X-Amz-Target") or ""
        try:
            if method == "POST" and url.path == "/" and target.startswith(LOGS_TARGET_PREFIX):
                self.cloudwatch_logs(target.removeprefix(LOGS_TARGET_PREFIX))
                return
            for route_method, pattern, action in ROUTES:
                match = pattern.match(url.path)
                if match and route_method == method:
                    getattr(self, action)(unquote(match[1]))
                    return
            self.discard_body()
            raise ApiError(
                404, "UnknownOperationException",
                f"Unknown operation {method} {url.path}: the emulator serves Invoke, "
                "GetFunction, GetFunctionConfiguration, UpdateFunctionConfiguration and "
                "ListProvisionedConcurrencyConfigs",
            )
        except ApiError as error:
            if target.startswith(LOGS_TARGET_PREFIX):
                self.send_json_1_1_error(error)
            else:
                self.send_error_response(error)
        except (BrokenPipeError, ConnectionResetError):
            log.info("client %s closed the connection", self.address_string())
        except Exception as error:  # an emulator fault: logged and returned as a 500
            log.exception("request %s %s failed", method, url.path)
            self.close_connection = True  # the request body may be left unread
            self.send_error_response(ApiError(500, "ServiceException", str(error)))

    # Helpers.

    def function_for(self, name: str):  # noqa: ANN201
        try:
            reference = parse_function_name(name, self.query.get("Qualifier"))
        except InvalidFunctionName as error:
            raise validation_error(str(error).removeprefix(
                "1 validation error detected: ")) from None
        function = self.server.registry.get(reference, self.request_region(), DEFAULT_ACCOUNT)
        return function, reference

    def request_region(self) -> str:
        """Return the region the request was signed for, else us-east-1."""
        match = CREDENTIAL_SCOPE.search(self.headers.get("Authorization", ""))
        return match[1] if match else DEFAULT_REGION

    def chunked(self) -> bool:
        encoding = self.headers.get("Transfer-Encoding") or ""
        return "chunked" in encoding.lower()

    def content_length(self) -> int:
        """Return the Content-Length; 400 when it is not a whole number of 0 or more."""
        text = (self.headers.get("Content-Length") or "0").strip()
        if not text.isdigit():
            # The body's end is unknown, so the connection cannot serve another request.
            self.close_connection = True
            raise ApiError(400, "InvalidRequestContentException",
                           f"Content-Length {text!r} is not a whole number of bytes")
        return int(text)

    def read_body(self, limit: int = DISCARD_LIMIT_BYTES, operation: str = "") -> bytes:
        """Read the body, of Content-Length bytes or in chunks; 413 past `limit` bytes."""
        if self.chunked():
            return self.read_chunked(limit, operation)
        return self.rfile.read(self.content_length())

    def read_chunked(self, limit: int, operation: str) -> bytes:
        """Decode a body sent with Transfer-Encoding: chunked, up to `limit` bytes."""
        body = bytearray()
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                raise ApiError(400, "InvalidRequestContentException",
                               f"Invalid chunk size line {line[:40]!r}") from None
            if size == 0:
                break
            if size < 0 or len(body) + size > limit:
                self.close_connection = True
                raise ApiError(413, "RequestTooLargeException",
                               f"Request must be smaller than {limit} bytes for the "
                               f"{operation or 'request'} operation")
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                self.close_connection = True
                raise ApiError(400, "InvalidRequestContentException",
                               "The chunked request body ended early")
            body += chunk
            self.rfile.readline(1024)  # the CRLF after the chunk
        while self.rfile.readline(8192).strip():  # trailer fields, up to the blank line
            pass
        return bytes(body)

    def discard_body(self) -> None:
        """Read and drop the request body, so the connection can serve the next request."""
        if self.chunked():
            self.close_connection = True
            return
        remaining = self.content_length()
        if remaining > DISCARD_LIMIT_BYTES:
            self.close_connection = True
            return
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)

    def read_json_body(self) -> dict[str, Any]:
        body = self.read_body()
        if not body:
            return {}
        try:
            document = json.loads(body)
        except ValueError as error:
            raise ApiError(400, "InvalidRequestContentException",
                           f"Could not parse request body into json: {error}") from None
        if not isinstance(document, dict):
            raise ApiError(400, "InvalidRequestContentException",
                           "The request body must be a JSON object")
        return document

    def send_json(self, status: int, document: Any, headers: dict[str, str] | None = None,
                  ) -> None:
        self.send_body(status, json.dumps(document).encode("utf-8"), headers)

    def send_body(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                  ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", self.request_id)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def send_error_response(self, error: ApiError) -> None:
        log.info("%s %s: %s %s", self.command, urlsplit(self.path).path, error.code,
                 error.message)
        self.send_json(error.status, error.body(), {"x-amzn-ErrorType": error.code})

    def send_json_1_1_error(self, error: ApiError) -> None:
        """Send an error in the JSON 1.1 protocol of CloudWatch Logs: `__type` names it."""
        log.info("CloudWatch Logs: %s %s", error.code, error.message)
        body = json.dumps({"__type": error.code, "message": error.message}).encode("utf-8")
        self.send_body(error.status, body, {"x-amzn-ErrorType": error.code})

    # Operations.

    def cloudwatch_logs(self, operation: str) -> None:
        request = self.read_json_body()
        if operation != "FilterLogEvents":
            raise ApiError(
                400, "UnknownOperationException",
                f"Unknown CloudWatch Logs operation {operation}: the emulator serves only "
                "FilterLogEvents",
            )
        self.send_json(200, self.server.registry.log_store.filter_events(request))

    def get_configuration(self, name: str) -> None:
        function, reference = self.function_for(name)
        self.send_json(200, function.describe(reference))

    def get_function(self, name: str) -> None:
        function, reference = self.function_for(name)
        self.send_json(200, {
            "Configuration": function.describe(reference),
            "Code": {"RepositoryType": "S3"},
            "Tags": {},
        })

    def update_configuration(self, name: str) -> None:
        request = self.read_json_body()
        function, _ = self.function_for(name)
        self.send_json(200, function.update(request))

    def list_provisioned_concurrency(self, name: str) -> None:
        self.function_for(name)
        self.send_json(200, {"ProvisionedConcurrencyConfigs": []})

    def invoke(self, name: str) -> None:
        invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            self.discard_body()
            raise validation_error(
                f"Value '{invocation_type}' at 'invocationType' failed to satisfy "
                "constraint: Member must satisfy enum value set: [Event, RequestResponse, "
                "DryRun]"
            )

        limit = ASYNC_PAYLOAD_LIMIT_BYTES if invocation_type == "Event" else (
            SYNC_PAYLOAD_LIMIT_BYTES
        )
        operation = "InvokeAsync" if invocation_type == "Event" else "InvokeFunction"
        if not self.chunked() and self.content_length() > limit:
            self.discard_body()
            raise ApiError(
                413, "RequestTooLargeException",
                f"Request must be smaller than {limit} bytes for the {operation} operation",
            )

        payload = self.read_body(limit, operation)
        function, reference = self.function_for(name)
        check_payload_json(payload)
        client_context = decode_client_context(self.headers.get("X-Amz-Client-Context"))

        if invocation_type == "DryRun":
            self.send_body(204, b"", {"X-Amz-Executed-Version": reference.executed_version})
            return
        # Lambda's x-amzn-RequestId of an invoke is the request id the function runs with.
        if invocation_type == "Event":
            self.start_event_invoke(function, reference, payload, client_context)
            self.send_body(202, b"")
            return
        outcome = function.invoke(reference, payload, client_context, self.request_id)
        self.send_invoke_response(outcome)

    def send_invoke_response(self, outcome: InvokeOutcome) -> None:
        headers = {"X-Amz-Executed-Version": outcome.executed_version}
        if outcome.function_error:
            headers["X-Amz-Function-Error"] = outcome.function_error
        if (self.headers.get("X-Amz-Log-Type") or "None") == "Tail":
            headers["X-Amz-Log-Result"] = log_tail(outcome.log)
        self.send_body(200, outcome.payload, headers)

    def start_event_invoke(self, function: Any, reference: Any, payload: bytes,
                           client_context: Any) -> None:
        request_id = self.request_id

        def run() -> None:
            try:
                function.invoke(reference, payload, client_context, request_id, wait=True)
            except ApiError as error:
                log.warning("event invoke of function %s dropped: %s", function.name,
                            error.message)
            finally:
                self.server.event_threads.discard(thread)

        thread = threading.Thread(target=run, daemon=True)
        self.server.event_threads.add(thread)
        thread.start()


def check_payload_json(payload: bytes) -> None:
    """Raise Lambda's InvalidRequestContentException unless the payload is JSON."""
    if not payload:
        return
    try:
        json.loads(payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(
            400, "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: "
            f"{error}",
        ) from None


def decode_client_context(header: str | None) -> dict[str, Any] | None:
    """Decode X-Amz-Client-Context: base64 of a JSON object."""
    if not header:
        return None
    try:
        document = json.loads(base64.b64decode(header, validate=True))
    except (ValueError, TypeError):
        raise ApiError(400, "InvalidRequestContentException",
                       "Client context must be a valid Base64-encoded JSON object.") from None
    if not isinstance(document, dict):
        raise ApiError(400, "InvalidRequestContentException",
                       "Client context must be a valid Base64-encoded JSON object.")
    return document
