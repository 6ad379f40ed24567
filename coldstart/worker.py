from time import monotonic_ns, perf_counter_ns

# t1: the first statement. Nothing of coldstart runs before this line in the worker.
T1_NS = monotonic_ns()

import gc  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

# The worker runs inside the user's interpreter (Python 3.9 to 3.14), where coldstart is
# not installed, so it uses only the standard library and no syntax newer than 3.9.
# Usage: python worker.py RESULT_FD CONFIG_PATH MODULE ATTRIBUTE [PROBE OPTIONS]
# PROBE OPTIONS turn a run into an attribution run; worker_probe.py describes them. A
# timing run has none, and then no probe code is loaded.
# Each message to the launcher is one JSON line on RESULT_FD; stdout and stderr belong
# to the handler. Heavier modules (json, traceback) are imported after init so that
# the worker does not pre-import what the handler would pay for, and through
# import_stdlib so that a file of the same name in the task root cannot replace them.
# The clocks are bound at import, before handler code can patch the time module.

PROTOCOL = 1
# Exit status of a worker whose result pipe was closed or replaced by the handler.
EXIT_RESULT_PIPE_LOST = 71
RESULT_PIPE = {}


def import_stdlib(name):
    """Import a standard-library module, ignoring the task root's files of the same name.

    A handler module shadowing it stays in sys.modules for the handler.
    """
    import importlib

    task_root = os.getcwd()
    shadow = sys.modules.get(name)
    shadow_file = getattr(shadow, "__file__", None) or ""
    from_task_root = bool(shadow_file) and os.path.abspath(shadow_file).startswith(
        task_root + os.sep
    )
    saved_path = sys.path[:]
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != task_root]
    try:
        if from_task_root:
            del sys.modules[name]
        return importlib.import_module(name)
    finally:
        sys.path[:] = saved_path
        if from_task_root:
            sys.modules[name] = shadow


class GcRecorder:
    """Collections per generation and pause time per phase, from gc.callbacks."""

    def __init__(self):
        self.phase = "init"
        self.phases = {}
        self._started_ns = 0
        self._new_phase("init")

    def _new_phase(self, name):
        self.phase = name
        self.phases.setdefault(
            name, {"collections": [0, 0, 0], "pause_ms": 0.0, "max_pause_ms": 0.0}
        )

    def switch(self, name):
        self._new_phase(name)

    def __call__(self, stage, info):
        if stage == "start":
            self._started_ns = perf_counter_ns()
            return
        pause_ms = (perf_counter_ns() - self._started_ns) / 1e6
        record = self.phases[self.phase]
        generation = info.get("generation", 0)
        if 0 <= generation <= 2:
            record["collections"][generation] += 1
        record["pause_ms"] += pause_ms
        if pause_ms > record["max_pause_ms"]:
            record["max_pause_ms"] = pause_ms


def remember_result_pipe(fd):
    info = os.fstat(fd)
    RESULT_PIPE["identity"] = (info.st_dev, info.st_ino)


def result_pipe_intact(fd):
    """Check that fd is still the launcher's pipe: the handler may have closed or reused it."""
    try:
        info = os.fstat(fd)
    except OSError:
        return False
    return (info.st_dev, info.st_ino) == RESULT_PIPE.get("identity")


def send(fd, message):
    json = import_stdlib("json")
    data = (json.dumps(message, default=repr) + "\n").encode("utf-8")
    if not result_pipe_intact(fd):
        os._exit(EXIT_RESULT_PIPE_LOST)
    while data:
        try:
            written = os.write(fd, data)
        except OSError:
            os._exit(EXIT_RESULT_PIPE_LOST)
        data = data[written:]


def peak_rss_kib():
    try:
        resource = import_stdlib("resource")
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in bytes on macOS and in KiB on Linux and the BSDs.
    if sys.platform == "darwin":
        peak //= 1024
    return peak


def handler_traceback(tb):
    """Skip the leading frames of the worker and the import machinery, as the Lambda
    runtime shows only the handler's frames."""
    import importlib

    machinery = os.path.dirname(os.path.abspath(importlib.__file__)) + os.sep
    # The code's file name, not __file__: a timing run executes compiled bytecode whose
    # frames still name worker.py.
    own = os.path.abspath(handler_traceback.__code__.co_filename)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not (filename == own or filename.startswith("<frozen importlib")
                or filename.startswith(machinery)):
            break
        tb = tb.tb_next
    return tb


def describe_exception(error_type, exc, phase):
    traceback = import_stdlib("traceback")
    lines = traceback.format_exception(type(exc), exc, handler_traceback(exc.__traceback__))
    try:
        message = str(exc)
    except Exception:  # a broken __str__ of the handler's exception
        message = repr(type(exc))
    return {
        "type": error_type,
        "phase": phase,
        "message": message,
        "exception": type(exc).__name__,
        "traceback": "".join(lines),
    }


def import_handler(module_name, attribute):
    """Import the handler as the Lambda Python runtime does, or return an error record."""
    import importlib

    if not module_name or not attribute:
        handler_string = os.environ.get("_HANDLER", module_name + "." + attribute)
        return None, {
            "type": "Runtime.MalformedHandlerName",
            "phase": "init",
            "message": "Bad handler '%s': not enough values to unpack (expected 2, got 1)"
            % handler_string,
            "exception": "ValueError",
            "traceback": "",
        }
    if module_name.split(".")[0] in sys.builtin_module_names:
        return None, {
            "type": "Runtime.BuiltInModuleConflict",
            "phase": "init",
            "message": "Cannot use built-in module %s as a handler module" % module_name,
            "exception": "ImportError",
            "traceback": "",
        }
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        error = describe_exception("Runtime.UserCodeSyntaxError", exc, "init")
        error["message"] = "Syntax error in module '%s': %s" % (module_name, exc)
        return None, error
    except ImportError as exc:
        error = describe_exception("Runtime.ImportModuleError", exc, "init")
        error["message"] = "Unable to import module '%s': %s" % (module_name, exc)
        return None, error
    except SystemExit as exc:
        return None, exit_error(exc, "init")
    except BaseException as exc:  # module code may raise anything, KeyboardInterrupt included
        return None, describe_exception(type(exc).__name__, exc, "init")
    try:
        handler = getattr(module, attribute)
    except SystemExit as exc:
        return None, exit_error(exc, "init")
    except AttributeError:
        return None, {
            "type": "Runtime.HandlerNotFound",
            "phase": "init",
            "message": "Handler '%s' missing on module '%s'" % (attribute, module_name),
            "exception": "AttributeError",
            "traceback": "",
        }
    except BaseException as exc:  # a module __getattr__ of the handler may raise anything
        return None, describe_exception(type(exc).__name__, exc, "init")
    return handler, None


def exit_error(exc, phase):
    code = exc.code
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        status = 1
    error = describe_exception("Runtime.ExitError", exc, phase)
    error["message"] = "Runtime exited with error: exit status %d" % status
    error["exit_status"] = status
    return error


def random_uuid4():
    """Return a random version 4 UUID string, as str(uuid.uuid4()) does.

    Importing uuid costs about 2 ms (it imports platform on Python 3.11), in every run.
    """
    value = int.from_bytes(os.urandom(16), "big")
    value = (value & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    value = (value & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    text = "%032x" % value
    return "%s-%s-%s-%s-%s" % (text[:8], text[8:12], text[12:16], text[16:20], text[20:])


class LambdaContext:
    """The context object the Lambda Python runtime passes to a handler."""

    def __init__(self, config, deadline_ns):
        self.function_name = config["function_name"]
        self.function_version = config["function_version"]
        self.invoked_function_arn = config["invoked_function_arn"]
        self.memory_limit_in_mb = int(config["memory_mb"])
        self.aws_request_id = random_uuid4()
        self.log_group_name = config["log_group_name"]
        self.log_stream_name = config["log_stream_name"]
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ns = deadline_ns

    def get_remaining_time_in_millis(self):
        remaining_ns = self._deadline_ns - monotonic_ns()
        return max(0, remaining_ns // 1000000)

    def __repr__(self):
        return "LambdaContext(%s, %s)" % (self.function_name, self.aws_request_id)


def invoke_once(handler, event, config):
    """Call the handler once and serialise its result as Lambda does.

    Returns (start_ns, end_ns, error). The serialisation is part of the invoke.
    """
    json = import_stdlib("json")
    start_ns = monotonic_ns()
    context = LambdaContext(config, start_ns + int(config["timeout_s"] * 1e9))
    try:
        result = handler(event, context)
    except SystemExit as exc:
        return start_ns, monotonic_ns(), exit_error(exc, "invoke")
    except BaseException as exc:
        return start_ns, monotonic_ns(), describe_exception(
            type(exc).__name__, exc, "invoke"
        )
    try:
        json.dumps(result)
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        if hasattr(result, "close") and type(result).__name__ == "coroutine":
            result.close()
        error = describe_exception("Runtime.MarshalError", exc, "invoke")
        error["message"] = "Unable to marshal response: %s" % exc
        return start_ns, monotonic_ns(), error
    return start_ns, monotonic_ns(), None


def load_config(path):
    json = import_stdlib("json")

    with open(path, encoding="utf-8") as file:
        return json.load(file)


class NoProbe:
    """The probe of a timing run: every hook does nothing."""

    def before_import(self):
        pass

    def after_import(self):
        pass

    def before_invoke(self, index):
        pass

    def after_invoke(self, index):
        pass

    def wrap_handler(self, handler):
        return handler

    def report(self, result_fd, send):
        pass


def load_probe(arguments):
    """Return the attribution probe asked for by the PROBE OPTIONS, or a NoProbe."""
    if not arguments:
        return NoProbe()
    # The probe is executed from its file because the worker's folder is never on
    # sys.path, and so that no import of it shows up in the import tree.
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker_probe.py")
    with open(path, "rb") as file:
        code = compile(file.read(), path, "exec")
    namespace = {"__name__": "coldstart_worker_probe", "__file__": path}
    exec(code, namespace)
    return namespace["Probe"](arguments, os.path.abspath(__file__))


def main():
    result_fd = int(sys.argv[1])
    config_path = sys.argv[2]
    module_name = sys.argv[3]
    attribute = sys.argv[4]
    os.set_inheritable(result_fd, False)
    remember_result_pipe(result_fd)
    probe = load_probe(sys.argv[5:])

    # sys.path as on Lambda: the task root first, never the worker's own folder.
    worker_folder = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != worker_folder]
    sys.path.insert(0, os.getcwd())
    sys.argv[:] = [os.environ.get("LAMBDA_RUNTIME_DIR", "/var/runtime") + "/bootstrap.py"]

    recorder = GcRecorder()
    gc.callbacks.append(recorder)

    probe.before_import()
    handler, error = import_handler(module_name, attribute)
    t2_ns = monotonic_ns()
    probe.after_import()
    recorder.switch("first_invoke")
    send(result_fd, {
        "kind": "init", "protocol": PROTOCOL, "t1_ns": T1_NS, "t2_ns": t2_ns,
        "modules": len(sys.modules), "module_names": sorted(sys.modules),
        "rss_kib": peak_rss_kib(), "error": error,
    })
    if error is not None:
        finish(result_fd, recorder, 1, probe)
        return

    # The worker's own module for the invoke phase, loaded before its clock starts.
    import_stdlib("json")

    config = load_config(config_path)
    handler = probe.wrap_handler(handler)
    event = config["event"]
    invokes = 1 + int(config["warm_invokes"])
    for index in range(invokes):
        if index == 1:
            recorder.switch("warm_invoke")
        probe.before_invoke(index)
        start_ns, end_ns, error = invoke_once(handler, event, config)
        probe.after_invoke(index)
        send(result_fd, {
            "kind": "invoke", "index": index, "start_ns": start_ns, "end_ns": end_ns,
            "error": error,
        })
        if error is not None:
            finish(result_fd, recorder, 1, probe)
            return
    finish(result_fd, recorder, 0, probe)


def finish(result_fd, recorder, status, probe):
    gc.callbacks.remove(recorder)
    probe.report(result_fd, send)
    send(result_fd, {
        "kind": "done", "peak_rss_kib": peak_rss_kib(), "gc": recorder.phases,
        "modules": len(sys.modules),
    })
    # Skip interpreter teardown: stray non-daemon threads or atexit hooks of the handler
    # must not keep the run alive, and Lambda freezes the environment instead of exiting.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass  # the handler closed or replaced the stream
    os._exit(status)


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        # A failure of the worker itself, not of the handler: print it on stderr and exit.
        import_stdlib("traceback").print_exc()
        os._exit(70)
