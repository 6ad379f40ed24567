from time import monotonic_ns

# t1: the first statement. Nothing of coldstart runs before this line in the worker.
T1_NS = monotonic_ns()

import os  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402

# Serve mode of the worker, used by `coldstart emulate`: one warm execution environment.
# Usage: python worker_serve.py RESULT_FD REQUEST_FD CONFIG_PATH MODULE ATTRIBUTE
# The worker imports the handler once and sends an init message on RESULT_FD. Each request
# on REQUEST_FD is an ASCII length line followed by that many bytes of JSON, and gets one
# invoke message in reply. The worker leaves when REQUEST_FD reaches end of file.
# Like worker.py, whose functions it reuses, this file runs inside the user's interpreter:
# standard library only, Python 3.9 syntax. It is a file of its own so that the worker of
# timing runs compiles and allocates nothing for it.


def load_worker():
    """Execute worker.py from its file as a module that is not in sys.modules.

    The worker's folder is never on the handler's sys.path, and no import of the worker
    may show up in the handler's import tree.
    """
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
    with open(path, "rb") as file:
        code = compile(file.read(), path, "exec")
    module = types.ModuleType("coldstart_worker")
    module.__file__ = path
    exec(code, module.__dict__)
    return module


worker = load_worker()


def serve_main():
    result_fd = int(sys.argv[1])
    request_fd = int(sys.argv[2])
    config_path = sys.argv[3]
    module_name = sys.argv[4]
    attribute = sys.argv[5]
    os.set_inheritable(result_fd, False)
    os.set_inheritable(request_fd, False)
    worker.remember_result_pipe(result_fd)
    set_lambda_sys_path()

    handler, error = worker.import_handler(module_name, attribute)
    t2_ns = monotonic_ns()
    if error is not None:
        error["stack_trace"] = stack_trace_from_text(error.get("traceback", ""))
    flush_standard_streams()
    worker.send(result_fd, {
        "kind": "init", "protocol": worker.PROTOCOL, "t1_ns": T1_NS, "t2_ns": t2_ns,
        "rss_kib": worker.peak_rss_kib(), "error": error,
    })
    if error is not None:
        os._exit(error.get("exit_status") or 1)

    config = worker.load_config(config_path)
    requests = os.fdopen(request_fd, "rb")
    while True:
        request = read_request(requests)
        if request is None:
            break
        reply, exit_status = serve_invoke(handler, request, config)
        flush_standard_streams()
        worker.send(result_fd, reply)
        if exit_status is not None:
            os._exit(exit_status)
    flush_standard_streams()
    os._exit(0)


def set_lambda_sys_path():
    """Put the task root first on sys.path and drop the worker's own folder, as on Lambda."""
    worker_folder = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != worker_folder]
    sys.path.insert(0, os.getcwd())
    sys.argv[:] = [os.environ.get("LAMBDA_RUNTIME_DIR", "/var/runtime") + "/bootstrap.py"]


def flush_standard_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass  # the handler closed or replaced the stream


def read_request(requests):
    """Read one request frame, or return None at end of file."""
    json = worker.import_stdlib("json")

    header = requests.readline()
    if not header:
        return None
    size = int(header)
    body = requests.read(size)
    if len(body) < size:
        return None
    return json.loads(body.decode("utf-8"))


class ClientContext:
    """The client_context of the Lambda Python runtime, from X-Amz-Client-Context."""

    def __init__(self, document):
        self.client = document.get("client")
        self.custom = document.get("custom")
        self.env = document.get("env")


def serve_invoke(handler, request, config):
    """Run one request: decode the event, call the handler, serialise its result.

    Returns the invoke message, and the exit status when the handler called sys.exit.
    """
    json = worker.import_stdlib("json")

    start_ns = monotonic_ns()
    context = worker.LambdaContext(config, start_ns + int(config["timeout_s"] * 1e9))
    context.aws_request_id = request["request_id"]
    context.invoked_function_arn = request["invoked_function_arn"]
    if request.get("client_context") is not None:
        context.client_context = ClientContext(request["client_context"])
    reply = {"kind": "invoke", "request_id": request["request_id"], "start_ns": start_ns}
    result, error, exit_status = call_handler(handler, request["payload"], context)
    if error is None:
        try:
            reply["result"] = json.dumps(result)
        except (TypeError, ValueError, OverflowError) as exc:
            if hasattr(result, "close") and type(result).__name__ == "coroutine":
                result.close()
            error = worker.describe_exception("Runtime.MarshalError", exc, "invoke")
            error["message"] = "Unable to marshal response: %s" % exc
            error["stack_trace"] = []
    reply["end_ns"] = monotonic_ns()
    reply["error"] = error
    reply["rss_kib"] = worker.peak_rss_kib()
    return reply, exit_status


def call_handler(handler, payload, context):
    """Return (result, error, exit_status) of one handler call on the JSON payload."""
    json = worker.import_stdlib("json")

    try:
        event = json.loads(payload) if payload else {}
    except ValueError as exc:
        error = worker.describe_exception("Runtime.UnmarshalError", exc, "invoke")
        error["message"] = "Unable to unmarshal input: %s" % exc
        error["stack_trace"] = []
        return None, error, None
    try:
        return handler(event, context), None, None
    except SystemExit as exc:
        error = worker.exit_error(exc, "invoke")
        error["stack_trace"] = []
        return None, error, error["exit_status"]
    except BaseException as exc:  # the handler may raise anything, KeyboardInterrupt included
        error = worker.describe_exception(type(exc).__name__, exc, "invoke")
        error["stack_trace"] = handler_stack_trace(exc)
        return None, error, None


def handler_stack_trace(exc):
    """Format the handler's frames as the Lambda Python runtime's stackTrace list."""
    traceback = worker.import_stdlib("traceback")

    frames = traceback.extract_tb(exc.__traceback__)
    # The first frame is call_handler itself, hidden as the runtime hides its own frames.
    return traceback.format_list(frames[1:])


def stack_trace_from_text(text):
    """Split a formatted traceback into stackTrace entries, dropping import machinery.

    Only the last exception of a chain is kept, as the Lambda Python runtime reports it.
    """
    marker = "Traceback (most recent call last):\n"
    if marker not in text:
        return []
    block = text.rsplit(marker, 1)[1]
    entries = []
    for line in block.splitlines(True):
        if line.startswith("  File "):
            entries.append(line)
        elif line.startswith("    ") and entries:
            if line.strip().strip("^~") or not line.strip():
                entries[-1] += line
        else:
            break
    machinery = (
        "<frozen importlib", os.sep + "importlib" + os.sep + "__init__.py",
        os.path.abspath(__file__), os.path.abspath(worker.__file__),
    )
    return [entry for entry in entries if not any(part in entry for part in machinery)]


if __name__ == "__main__":
    try:
        serve_main()
    except BaseException:
        # A failure of the worker itself, not of the handler: report it on stderr and leave.
        worker.import_stdlib("traceback").print_exc()
        os._exit(70)
