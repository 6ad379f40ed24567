"""Hand-written reports in the documented shape, for the renderer tests.

`boto3_report()` has every section: an import tree shaped like boto3's, CPU stacks
shaped like py-spy's, allocations, GC and findings. The other builders null sections
out as a timing-only report or a failed target does.
"""

from __future__ import annotations

import copy
from typing import Any

SITE = "/var/task/.venv/lib/python3.11/site-packages"
STDLIB = "/usr/lib/python3.11"
ROOT = "/work/orders"


def module(name: str, self_ms: float, origin: str, *children: dict[str, Any],
           cached: bool = False) -> dict[str, Any]:
    cumulative = self_ms + sum(child["cumulative_ms"] for child in children)
    return {"module": name, "self_ms": self_ms, "cumulative_ms": round(cumulative, 3),
            "origin": origin, "cached": cached, "children": list(children)}


def boto3_import_tree() -> list[dict[str, Any]]:
    third = "third-party"
    botocore_session = module(
        "botocore.session", 3.1, third,
        module("botocore.client", 4.2, third,
               module("botocore.endpoint", 1.4, third,
                      module("urllib3", 6.8, third,
                             module("urllib3.connectionpool", 3.3, third),
                             module("ssl", 5.2, "stdlib", module("_ssl", 2.9, "stdlib")))),
               module("botocore.waiter", 0.8, third,
                      module("jmespath", 2.6, third, module("jmespath.parser", 1.9, third)))),
        module("botocore.credentials", 2.2, third,
               module("botocore.utils", 3.7, third,
                      module("xml.etree.ElementTree", 1.6, "stdlib"),
                      module("dateutil.parser", 7.4, third, module("dateutil.tz", 2.1, third)))),
        module("botocore.configprovider", 1.0, third),
        module("botocore.loaders", 1.1, third),
    )
    boto3 = module(
        "boto3", 1.3, third,
        module("boto3.session", 0.6, third, botocore_session,
               module("boto3.resources.factory", 1.8, third,
                      module("boto3.resources.action", 0.9, third))),
        module("boto3.compat", 0.3, third),
    )
    app = module("app", 0.5, "task-root",
                 module("os", 0.0, "stdlib", cached=True),
                 module("json", 0.9, "stdlib", module("json.decoder", 0.4, "stdlib")),
                 boto3)
    return [module("encodings.idna", 0.4, "stdlib"), app]


def flatten(tree: list[dict[str, Any]], chain: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    rows = []
    for node in tree:
        imported_by = list(reversed(chain))
        rows.append({
            "module": node["module"], "self_ms": node["self_ms"],
            "cumulative_ms": node["cumulative_ms"], "imported_by": imported_by,
            "chain": " ← ".join([node["module"], *imported_by]),
            "origin": node["origin"], "cached": node["cached"],
        })
        rows.extend(flatten(node["children"], (*chain, node["module"])))
    return rows


def imports_section() -> dict[str, Any]:
    tree = boto3_import_tree()
    rows = flatten(tree)
    invoke_tree = [module("botocore.parsers", 3.4, "third-party",
                          module("botocore.eventstream", 0.8, "third-party"))]
    return {
        "source": "importtime run",
        "count": len(rows),
        "total_ms": round(sum(node["cumulative_ms"] for node in tree), 3),
        "top": sorted(rows, key=lambda row: -row["cumulative_ms"])[:15],
        "tree": tree,
        "invoke": {"count": 2, "total_ms": invoke_tree[0]["cumulative_ms"],
                   "top": flatten(invoke_tree), "tree": invoke_tree},
    }


def frame(function: str, file: str, line: int) -> dict[str, Any]:
    return {"function": function, "file": file, "line": line}


def import_frames(file: str) -> list[dict[str, Any]]:
    """The importlib bootstrap frames py-spy shows between a module and the one it imports."""
    bootstrap = "<frozen importlib._bootstrap>"
    return [
        frame("_find_and_load", bootstrap, 1176),
        frame("_find_and_load_unlocked", bootstrap, 1147),
        frame("_load_unlocked", bootstrap, 690),
        frame("exec_module", "<frozen importlib._bootstrap_external>", 940),
        frame("_call_with_frames_removed", bootstrap, 241),
        frame("<module>", file, 1),
    ]


def cpu_stacks() -> list[dict[str, Any]]:
    """Return stacks below the worker's own frames, as the sampling run reports them, with
    the importlib frames py-spy shows (the renderers collapse them)."""
    importing = [frame("import_module", f"{STDLIB}/importlib/__init__.py", 126),
                 frame("_gcd_import", "<frozen importlib._bootstrap>", 1204),
                 *import_frames(f"{ROOT}/app.py")[1:]]
    boto3 = [*importing, *import_frames(f"{SITE}/boto3/__init__.py")]
    session = [*boto3, *import_frames(f"{SITE}/boto3/session.py")]
    botocore = [*session, *import_frames(f"{SITE}/botocore/session.py")]
    client_build = [*importing[:-1], frame("<module>", f"{ROOT}/app.py", 15),
                    frame("client", f"{SITE}/boto3/session.py", 299),
                    frame("create_client", f"{SITE}/botocore/session.py", 997)]
    loader = [*client_build, frame("load_service_model", f"{SITE}/botocore/loaders.py", 411),
              frame("load_data", f"{SITE}/botocore/loaders.py", 457)]
    invoking = [frame("handler", f"{ROOT}/app.py", 22)]
    stacks = [
        {"frames": importing, "ms": 4.0},
        {"frames": [*boto3, frame("<module>", f"{SITE}/boto3/__init__.py", 17)], "ms": 6.0},
        {"frames": session, "ms": 3.0},
        {"frames": [*botocore, *import_frames(f"{SITE}/botocore/client.py")], "ms": 21.0},
        {"frames": [*botocore, *import_frames(f"{SITE}/botocore/credentials.py"),
                    *import_frames(f"{SITE}/dateutil/parser/__init__.py")], "ms": 12.0},
        {"frames": [*botocore, frame("get_data", "<frozen importlib._bootstrap_external>", 1131)],
         "ms": 9.0},
        {"frames": [*loader, frame("loads", f"{STDLIB}/json/__init__.py", 346),
                    frame("decode", f"{STDLIB}/json/decoder.py", 337)], "ms": 38.0},
        {"frames": [*loader, frame("_load_file", f"{SITE}/botocore/loaders.py", 178)],
         "ms": 7.0},
        {"frames": [*client_build, frame("_create_client", f"{SITE}/botocore/client.py", 142),
                    frame("_create_methods", f"{SITE}/botocore/client.py", 420)], "ms": 14.0},
        {"frames": [*invoking, frame("deepcopy", f"{STDLIB}/copy.py", 128)], "ms": 5.0},
        {"frames": invoking, "ms": 1.0},
    ]
    for stack in stacks:
        stack["phase"] = "first_invoke" if stack["frames"][0] is invoking[0] else "init"
    return stacks


def hotspots_section() -> dict[str, Any]:
    stacks = cpu_stacks()
    return {
        "sampler": "py-spy", "rate_hz": 200,
        "samples": round(sum(stack["ms"] for stack in stacks) / 5),
        "top": [
            {"function": "decode", "file": f"{STDLIB}/json/decoder.py", "line": 337,
             "self_ms": 38.0, "total_ms": 38.0},
            {"function": "_create_methods", "file": f"{SITE}/botocore/client.py", "line": 420,
             "self_ms": 14.0, "total_ms": 14.0},
            {"function": "load_service_model", "file": f"{SITE}/botocore/loaders.py",
             "line": 411, "self_ms": 0.0, "total_ms": 45.0},
        ],
        "stacks": stacks,
    }


def allocation_rows() -> list[dict[str, Any]]:
    return [
        {"file": f"{STDLIB}/json/decoder.py", "line": 353, "blocks": 61234, "bytes": 7_340_032},
        {"file": f"{SITE}/botocore/model.py", "line": 86, "blocks": 9120, "bytes": 1_180_000},
        {"file": "<frozen importlib._bootstrap_external>", "line": 729, "blocks": 21400,
         "bytes": 4_210_000},
        {"file": f"{SITE}/botocore/hooks.py", "line": 565, "blocks": 3010, "bytes": 402_112},
        {"file": f"{ROOT}/app.py", "line": 14, "blocks": 4, "bytes": 1_024},
    ]


def allocations_section() -> dict[str, Any]:
    by_package = [
        {"package": "json", "origin": "stdlib", "blocks": 61234, "bytes": 7_340_032},
        {"package": "importlib", "origin": "stdlib", "blocks": 21400, "bytes": 4_210_000},
        {"package": "botocore", "origin": "third-party", "blocks": 15080, "bytes": 1_900_000},
        {"package": "app", "origin": "task-root", "blocks": 4, "bytes": 1_024},
    ]
    init = {"blocks": 97718, "bytes": 13_451_056, "top": allocation_rows(),
            "by_package": by_package}
    first_invoke = {"blocks": 310, "bytes": 48_200, "top": allocation_rows()[-1:],
                    "by_package": by_package[-1:]}
    return {
        "source": "tracemalloc run", "frames": 1, "blocks": init["blocks"],
        "bytes": init["bytes"], "top": init["top"], "by_package": by_package,
        "phases": {"init": init, "first_invoke": first_invoke},
        "copies": [{"kind": "copy.deepcopy", "phase": "first_invoke", "calls": 12,
                    "bytes": 40_960, "ms": 4.8}],
    }


def findings_list() -> list[dict[str, Any]]:
    return [
        {"kind": "lazy-import", "severity": "warning",
         "message": "dateutil.parser (+9.5 ms cumulative) is imported at init but the first "
                    "invoke does not use it",
         "fix": "import it inside the function that needs it", "cost_ms": 9.5},
        {"kind": "deepcopy-per-call", "severity": "info",
         "message": "copy.deepcopy copies 40 KiB in 12 calls during the first invoke",
         "fix": "pass the value itself, or copy only what the call changes", "cost_ms": 4.8},
    ]


def run(index: int, init_ms: float, invoke_ms: float) -> dict[str, Any]:
    startup_ms = 19.0 + index % 3 * 0.4
    gc = {"collections": [14, 1, 0], "pause_ms": 1.9, "max_pause_ms": 0.6,
          "by_phase": {"init": {"collections": [13, 1, 0], "pause_ms": 1.7,
                                "max_pause_ms": 0.6}}}
    return {
        "index": index, "status": "ok", "startup_ms": startup_ms,
        "import_ms": init_ms - startup_ms, "init_ms": init_ms, "first_invoke_ms": invoke_ms,
        "cold_start_ms": init_ms + invoke_ms, "warm_invoke_ms": [0.05, 0.04, 0.04],
        "peak_rss_mib": 61.5 + index * 0.1, "modules_at_init": 812, "modules_at_end": 815,
        "gc": gc, "output": {"stdout_bytes": 0, "stderr_bytes": 0}, "error": None,
    }


def stats(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    mean = sum(values) / len(values)
    stdev = (sum((value - mean) ** 2 for value in values) / max(len(values) - 1, 1)) ** 0.5
    return {"n": len(values), "median": median, "min": ordered[0], "max": ordered[-1],
            "mean": mean, "stdev": stdev}


def summary_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [run for run in runs if run["status"] == "ok"]
    summary = {}
    for key in ("startup_ms", "import_ms", "init_ms", "first_invoke_ms", "cold_start_ms",
                "peak_rss_mib"):
        values = [run[key] for run in ok]
        summary[key] = stats(values) if values else None
    warm = [value for run in ok for value in run["warm_invoke_ms"]]
    summary["warm_invoke_ms"] = stats(warm) if warm else None
    pauses = [run["gc"]["pause_ms"] for run in ok]
    summary["gc_pause_ms"] = stats(pauses) if pauses else None
    return summary


def base_report(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema": "coldstart.report/1", "tool_version": "0.1.0",
        "created": "2026-12-04T15:00:00Z",
        "target": {"kind": "local", "handler": "app.handler", "root": ROOT,
                   "label": "orders/app.py:handler", "python": "/usr/bin/python3"},
        "environment": {"python_version": "3.11.7", "executable": "/usr/bin/python3",
                        "implementation": "CPython", "platform": "Linux-6.1-x86_64",
                        "machine": "x86_64", "cpu_model": "Intel(R) Xeon(R) Processor",
                        "cpu_count": 2, "memory_mb": 128},
        "settings": {"runs": len(runs), "warm_invokes": 3, "memory_mb": 128,
                     "timeout_s": 3.0, "init_timeout_s": 10.0, "env": {}},
        "runs": runs,
        "summary": summary_of(runs),
        "warnings": [],
        "modules": {"count_at_init": 812, "names_at_init": ["abc", "boto3", "botocore"]},
        "imports": None, "allocations": None, "gc": None, "hotspots": None,
        "findings": [], "error": None,
    }


def boto3_report() -> dict[str, Any]:
    """Return a report with every section filled, as a full profile of boto3 code gives."""
    init_values = [231.0, 244.5, 238.2, 262.9, 229.4, 240.1, 236.6, 251.3]
    runs = [run(index, init_ms, 3.1 + index * 0.2) for index, init_ms in enumerate(init_values)]
    report = base_report(runs)
    report["warnings"] = ["init: the standard deviation is 11% of the mean, so the values "
                          "are unstable; about 121 runs would make the mean stable (--runs)"]
    report["imports"] = imports_section()
    report["allocations"] = allocations_section()
    report["gc"] = {"collections": [14, 1, 0], "pause_ms": 1.9, "max_pause_ms": 0.6,
                    "by_phase": runs[0]["gc"]["by_phase"],
                    "source": "timing runs (median run by pause time)"}
    report["hotspots"] = hotspots_section()
    report["findings"] = findings_list()
    return report


def timing_only_report() -> dict[str, Any]:
    """Return a report with only timings: every attribution section is null."""
    report = boto3_report()
    for key in ("imports", "allocations", "hotspots", "modules"):
        report[key] = None
    report["findings"] = []
    return report


def failed_report() -> dict[str, Any]:
    """Return the report of a target whose module raises at import in every run."""
    error = {
        "type": "KeyError", "phase": "init", "exception": "KeyError",
        "message": "'ORDERS_TABLE'",
        "traceback": ('Traceback (most recent call last):\n  File "/work/orders/app.py", '
                      'line 5, in <module>\n    TABLE = os.environ["ORDERS_TABLE"]\n'
                      "KeyError: 'ORDERS_TABLE'\n"),
        "stdout_tail": ["loading config <stage=dev>"], "stderr_tail": [],
    }
    runs = []
    for index in range(3):
        failed = run(index, 120.0 + index, 0.0)
        failed.update(status="error", first_invoke_ms=None, cold_start_ms=None,
                      warm_invoke_ms=[], error=copy.deepcopy(error))
        runs.append(failed)
    report = base_report(runs)
    report["error"] = copy.deepcopy(error)
    report["modules"] = None
    return report
