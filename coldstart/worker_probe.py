"""Instruments of one attribution run, loaded by the worker inside the user's interpreter.

Like the worker, this file uses only the standard library and Python 3.9 syntax, and
imports nothing at module level beyond what the interpreter has already loaded, so that
it adds nothing to the handler's import tree. Options, each given after the worker's
four positional arguments:

  --stderr-to PREFIX      send fd 2 to PREFIX.init during the handler import and to
                          PREFIX.invoke during the first invoke (for -X importtime)
  --tracemalloc           a snapshot of what the handler import allocated and another of
                          what the first invoke allocated (the interpreter runs with
                          -X tracemalloc=N); time and memory of copies in the invokes
  --pyinstrument PATH INTERVAL_S
                          sample with pyinstrument from before the handler import to the
                          end of the first invoke and write the samples to PATH
  --track-calls           record which files run code during the first invoke and how
                          often boto3/botocore build sessions and clients there
  --describe-modules      report each module's file and which were compiled from source
                          because no valid cached bytecode was found

The probe sends its results in one {"kind": "attribution", ...} message. An
{"kind": "attributing"} message comes first, so that the launcher extends its deadline
while the probe summarises.
"""

import gc
import os
import sys
import time

# Calls counted by --track-calls: (function name, end of the file path) to the label.
NOTABLE_CALLS = {
    "create_client": (("botocore/session.py", "botocore.session.Session.create_client"),),
    "__init__": (
        ("botocore/session.py", "botocore.session.Session"),
        ("boto3/session.py", "boto3.session.Session"),
    ),
    "resource": (("boto3/session.py", "boto3.session.Session.resource"),),
}
TOP_LINES = 30


def parse_options(arguments):
    options = {}
    index = 0
    while index < len(arguments):
        name = arguments[index]
        if name == "--stderr-to":
            options["stderr_to"] = arguments[index + 1]
            index += 2
        elif name == "--pyinstrument":
            options["pyinstrument"] = (arguments[index + 1], float(arguments[index + 2]))
            index += 3
        elif name in ("--tracemalloc", "--track-calls", "--describe-modules"):
            options[name[2:].replace("-", "_")] = True
            index += 1
        else:
            raise ValueError("unknown probe option: %s" % name)
    return options


class Probe:
    """Hooks the worker calls around the handler import and each invoke."""

    def __init__(self, arguments, worker_file):
        self.options = parse_options(arguments)
        self.worker_file = worker_file
        self.probe_files = (worker_file, os.path.abspath(__file__))
        self.stdlib_dir = os.path.dirname(os.path.abspath(os.__file__))
        self.result = {}
        self.phase = "init"
        self._saved_stderr = None
        self._traces = {}
        self._copies = None
        self._calls = None
        self._profiler = None
        self._profiler_error = None
        self._import_started_ns = 0

    # Hooks, in the order the worker calls them.

    def before_import(self):
        if "pyinstrument" in self.options:
            self._start_pyinstrument()
        if "stderr_to" in self.options:
            self._redirect_stderr(self.options["stderr_to"] + ".init")
        if self.options.get("tracemalloc"):
            clear_traces()
        self._import_started_ns = time.perf_counter_ns()

    def after_import(self):
        elapsed_ns = time.perf_counter_ns() - self._import_started_ns
        self.result["handler_import_ms"] = elapsed_ns / 1e6
        if self.options.get("tracemalloc"):
            self._take_traces("init")
        self._restore_stderr()

    def before_invoke(self, index):
        self.phase = "first_invoke" if index == 0 else "warm_invoke"
        if index != 0:
            return
        if self.options.get("tracemalloc"):
            self._copies = CopyRecorder(self)
            self._copies.install()
            # From here the traces contain only what the invoke allocates.
            clear_traces()
        if "stderr_to" in self.options:
            self._redirect_stderr(self.options["stderr_to"] + ".invoke")

    def wrap_handler(self, handler):
        """Return the handler, wrapped to track calls during the first invoke if asked."""
        if not self.options.get("track_calls"):
            return handler
        self._calls = CallTracker()
        tracker = self._calls

        def tracked_handler(event, context):
            if self.phase != "first_invoke":
                return handler(event, context)
            sys.setprofile(tracker)
            try:
                return handler(event, context)
            finally:
                sys.setprofile(None)

        return tracked_handler

    def after_invoke(self, index):
        if index != 0:
            return
        if self.options.get("tracemalloc"):
            self._take_traces("first_invoke")
        self._restore_stderr()
        if self._profiler is not None:
            self._stop_pyinstrument()

    def report(self, result_fd, send):
        """Send what the instruments recorded; a failure here is reported, not raised."""
        send(result_fd, {"kind": "attributing"})
        self._restore_stderr()
        if self._profiler is not None:
            self._stop_pyinstrument()
        try:
            self._collect()
        except Exception as exc:  # the probe's own failure must not hide the run
            import traceback

            self.result["probe_error"] = "".join(
                traceback.format_exception(type(exc), exc, exc.__traceback__)
            )
        message = {"kind": "attribution"}
        message.update(self.result)
        send(result_fd, message)

    def _collect(self):
        self.result["stdlib_dir"] = self.stdlib_dir
        if self.options.get("tracemalloc"):
            import _tracemalloc

            _tracemalloc.stop()
            self.result["allocations"] = summarize_allocations(
                self._traces, self.stdlib_dir, self.probe_files)
            self.result["copies"] = self._copies.records if self._copies else []
        if self._calls is not None:
            self.result["invoke_files"] = sorted(self._calls.files)
            self.result["invoke_calls"] = self._calls.notable
        if self.options.get("describe_modules"):
            self.result["module_files"] = module_files()
            self.result["uncached_bytecode"] = uncached_modules()
        if self._profiler_error:
            self.result["pyinstrument_error"] = self._profiler_error

    # stderr capture for -X importtime: CPython writes its lines to fd 2 from C.

    def _redirect_stderr(self, path):
        flush_stderr()
        if self._saved_stderr is None:
            self._saved_stderr = os.dup(2)
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, 2)
        os.close(target)

    def _restore_stderr(self):
        if self._saved_stderr is None:
            return
        flush_stderr()
        os.dup2(self._saved_stderr, 2)
        os.close(self._saved_stderr)
        self._saved_stderr = None

    # tracemalloc: the traces are cleared when a phase starts, so a snapshot at its end
    # contains what the phase allocated and did not free. Raw traces are taken from the C
    # module and summed only after tracing stops, because summing a few hundred thousand
    # traces while every allocation is traced takes seconds. The tracemalloc module is
    # never imported, so its imports are not charged to the handler.

    def _take_traces(self, moment):
        import _tracemalloc

        if not _tracemalloc.is_tracing():
            return
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._traces[moment] = _tracemalloc._get_traces()
        finally:
            if enabled:
                gc.enable()
        self._traces["frames"] = _tracemalloc.get_traceback_limit()

    # pyinstrument, in process.

    def _start_pyinstrument(self):
        path, interval = self.options["pyinstrument"]
        # NOTE: modules that pyinstrument itself imports (such as inspect and typing) are
        # then already loaded, so the handler's samples miss their import cost.
        try:
            from pyinstrument import Profiler
        except ImportError as exc:
            self._profiler_error = "pyinstrument is not importable by %s: %s" % (
                sys.executable, exc)
            return
        self._profiler = Profiler(interval=interval, async_mode="disabled")
        self._profiler.start()

    def _stop_pyinstrument(self):
        """Stop sampling and write the samples; a failure is reported, not raised."""
        import json

        profiler = self._profiler
        self._profiler = None
        path, interval = self.options["pyinstrument"]
        try:
            session = profiler.stop()
            records = [[list(frames), duration] for frames, duration in session.frame_records]
            with open(path, "w", encoding="utf-8") as file:
                json.dump({"interval_s": interval, "records": records}, file)
        except Exception as exc:  # a pyinstrument version with another session layout
            self._profiler_error = "pyinstrument failed: %s: %s" % (type(exc).__name__, exc)


def flush_stderr():
    try:
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass  # the handler closed or replaced the stream


class CallTracker:
    """A sys.setprofile function: files that ran Python code, and notable calls."""

    def __init__(self):
        self.files = set()
        self.notable = {}

    def __call__(self, frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        self.files.add(code.co_filename)
        candidates = NOTABLE_CALLS.get(code.co_name)
        if candidates is None:
            return
        filename = code.co_filename.replace(os.sep, "/")
        for suffix, label in candidates:
            if filename.endswith(suffix):
                self.notable[label] = self.notable.get(label, 0) + 1


class CopyRecorder:
    """Wraps copy.deepcopy, dataclasses.asdict/astuple and json.dumps/loads for the invokes.

    Each outermost call records its time and the peak of traced memory above the level at
    its start. A json.loads of the string the previous json.dumps returned is recorded as
    one "json round trip". Calls made by the worker itself are passed through. Functions
    captured before the wrapping in closures or default arguments are not seen.
    """

    def __init__(self, probe):
        self.probe = probe
        self.records = []
        self._by_key = {}
        self._depth = 0
        self._pending_dumps = None

    def install(self):
        import functools  # noqa: F401 (loaded before the traces are cleared)

        targets = []
        for module_name, names in (
            ("copy", ("deepcopy",)),
            ("dataclasses", ("asdict", "astuple")),
            ("json", ("dumps", "loads")),
        ):
            module = sys.modules.get(module_name)
            for name in names:
                original = getattr(module, name, None) if module is not None else None
                if original is not None:
                    targets.append((original, self._wrap(original, module_name, name)))
        replace_everywhere(targets)

    def _wrap(self, original, module_name, name):
        import functools

        kind = "%s.%s" % (module_name, name)
        worker_file = self.probe.worker_file

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            if self._depth or sys._getframe(1).f_code.co_filename == worker_file:
                return original(*args, **kwargs)
            return self._measure(original, kind, args, kwargs)

        return wrapper

    def _measure(self, original, kind, args, kwargs):
        import _tracemalloc

        self._depth += 1
        before = _tracemalloc.get_traced_memory()[0]
        _tracemalloc.reset_peak()
        start = time.perf_counter_ns()
        try:
            result = original(*args, **kwargs)
        finally:
            elapsed_ms = (time.perf_counter_ns() - start) / 1e6
            peak_bytes = max(0, _tracemalloc.get_traced_memory()[1] - before)
            self._depth -= 1
        if kind == "json.dumps":
            self._pending_dumps = (result, elapsed_ms, peak_bytes)
        elif kind == "json.loads":
            pending = self._pending_dumps
            if pending is not None and args and args[0] is pending[0]:
                self._pending_dumps = None
                self._add("json round trip", pending[1] + elapsed_ms,
                          max(pending[2], peak_bytes))
        else:
            self._add(kind, elapsed_ms, peak_bytes)
        return result

    def _add(self, kind, elapsed_ms, peak_bytes):
        key = (kind, self.probe.phase)
        record = self._by_key.get(key)
        if record is None:
            record = {"kind": kind, "phase": self.probe.phase, "calls": 0, "bytes": 0,
                      "ms": 0.0}
            self._by_key[key] = record
            self.records.append(record)
        record["calls"] += 1
        record["bytes"] += peak_bytes
        record["ms"] += elapsed_ms


def replace_everywhere(targets):
    """Replace each original function by its wrapper in every loaded module's namespace."""
    originals = {id(original): wrapper for original, wrapper in targets}
    for module in list(sys.modules.values()):
        try:
            namespace = vars(module)
            found = [(name, value) for name, value in list(namespace.items())
                     if id(value) in originals]
        except Exception:  # a lazy or proxy module that fails on attribute access
            continue
        for name, value in found:
            try:
                setattr(module, name, originals[id(value)])
            except Exception:
                continue


def sum_traces(traces, stdlib_dir):
    """Sum raw traces into {(file, line): [blocks, bytes]} by charged frame.

    Each allocation is charged to its most recent frame outside the standard library and
    the import machinery when the traceback has one, else to its most recent frame. A raw
    trace is (domain, size, traceback, ...) with the most recent frame first, and the C
    module shares one traceback tuple between traces with the same frames.
    """
    totals = {}
    charged = {}
    for trace in traces:
        traceback = trace[2]
        key = charged.get(id(traceback))
        if key is None:
            key = charged_frame(traceback, stdlib_dir)
            charged[id(traceback)] = key
        entry = totals.get(key)
        if entry is None:
            totals[key] = [1, trace[1]]
        else:
            entry[0] += 1
            entry[1] += trace[1]
    return totals


def charged_frame(traceback, stdlib_dir):
    for filename, lineno in traceback:
        if filename.startswith("<"):
            continue
        if filename.startswith(stdlib_dir) and "-packages" not in filename:
            continue
        return (filename, lineno)
    if traceback:
        return tuple(traceback[0])
    return ("<unknown>", 0)


def clear_traces():
    import _tracemalloc

    _tracemalloc.clear_traces()


def summarize_allocations(traces, stdlib_dir, skipped_files):
    """Blocks and bytes allocated in each phase and still alive at its end, by line and file.

    Allocations made by coldstart's own files are left out.
    """
    phases = {}
    for phase in ("init", "first_invoke"):
        if phase in traces:
            totals = sum_traces(traces.pop(phase), stdlib_dir)
            phases[phase] = summarize_totals(totals, skipped_files)
    return {"frames": traces.get("frames", 1), "phases": phases}


def summarize_totals(totals, skipped_files):
    by_line = []
    by_file = {}
    blocks = 0
    size = 0
    for key, (count, total) in totals.items():
        if key[0] in skipped_files:
            continue
        blocks += count
        size += total
        by_line.append((total, count, key))
        entry = by_file.setdefault(key[0], [0, 0])
        entry[0] += count
        entry[1] += total
    by_line.sort(reverse=True)
    return {
        "blocks": blocks,
        "bytes": size,
        "top": [{"file": key[0], "line": key[1], "blocks": count, "bytes": total}
                for total, count, key in by_line[:TOP_LINES]],
        "by_file": [{"file": name, "blocks": value[0], "bytes": value[1]}
                    for name, value in by_file.items()],
    }


def module_files():
    """Map each loaded module to its file, or to its origin ("built-in", "frozen")."""
    files = {}
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None) if spec is not None else None
        files[name] = getattr(module, "__file__", None) or origin
    return files


# Compiling uncached modules again to time them stops after this many seconds in total.
COMPILE_BUDGET_S = 2.0


def uncached_modules():
    """Modules loaded from a .py file for which no valid cached bytecode exists.

    Each is compiled once more to measure what compiling it cost the import
    (`compile_ms`, null once COMPILE_BUDGET_S is spent).
    """
    import importlib.machinery
    import importlib.util

    found = []
    spent_s = 0.0
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            continue
        source = spec.origin
        if not source or not source.endswith(".py"):
            continue
        if has_valid_bytecode(source, spec.cached, importlib.util):
            continue
        entry = {"module": name, "file": source, "source_bytes": None, "compile_ms": None}
        try:
            with open(source, "rb") as file:
                text = file.read()
        except OSError:
            found.append(entry)
            continue
        entry["source_bytes"] = len(text)
        if spent_s < COMPILE_BUDGET_S:
            start = time.perf_counter()
            try:
                compile(text, source, "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                pass
            elapsed = time.perf_counter() - start
            spent_s += elapsed
            entry["compile_ms"] = round(elapsed * 1000, 3)
        found.append(entry)
    return found


def has_valid_bytecode(source, cached, util):
    """Check the .pyc header as the import system does: magic, then mtime and size or hash."""
    if not cached:
        return False
    try:
        with open(cached, "rb") as file:
            header = file.read(16)
        stat = os.stat(source)
    except OSError:
        return False
    if len(header) < 16 or header[:4] != util.MAGIC_NUMBER:
        return False
    flags = int.from_bytes(header[4:8], "little")
    if flags & 0b1:
        if not flags & 0b10:
            return True  # unchecked hash-based bytecode is used without looking at the source
        try:
            with open(source, "rb") as file:
                return util.source_hash(file.read()) == header[8:16]
        except OSError:
            return False
    mtime = int.from_bytes(header[8:12], "little")
    size = int.from_bytes(header[12:16], "little")
    return mtime == (int(stat.st_mtime) & 0xFFFFFFFF) and size == (stat.st_size & 0xFFFFFFFF)
