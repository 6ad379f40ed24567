"""CPU hot spots from one sampled run: py-spy launching the worker, or pyinstrument inside it."""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from coldstart.launcher import WORKER_PATH

# py-spy's sampling rate, with --nonblocking (py-spy reads the worker's memory without
# pausing it). It was measured with benchmarks/attribution_overhead.py on the boto3
# fixture (CPython 3.11, 2 cores shared with other work, medians of 5 repeats). The
# sampled run's init, py-spy's own start included, was 1.02x the clean median at 100 Hz,
# 1.10x at 250 Hz (1.21x in a second series; single runs vary by about 0.2) and 1.15x at
# 500 Hz. 250 Hz stays near 1.1x and gives about 55 samples over a 220 ms init.
PY_SPY_RATE_HZ = 250
# pyinstrument's interval inside the worker, in seconds (init 1.3x the clean median on
# the same benchmark, pyinstrument's own import included).
PYINSTRUMENT_INTERVAL_S = 0.001
TOP_FRAMES = 20
# Frames of the import machinery carry no decision for the user: a sample whose leaf is
# in them is charged to the import statement that triggered it.
SKIPPED_FILES = ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")
PHASE_FUNCTIONS = {"import_handler": "init", "invoke_once": "first_invoke"}

Frame = tuple[str, str, int]  # function, file, line


def find_py_spy() -> str | None:
    """Return py-spy beside this interpreter (a virtual environment's bin) or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    if beside.exists():
        return str(beside)
    return shutil.which("py-spy")


def py_spy_prefix(py_spy: str, rate_hz: int, output: Path) -> list[str]:
    return [
        py_spy, "record", "--rate", str(rate_hz), "--format", "speedscope",
        "--output", str(output), "--nonblocking", "--",
    ]


def py_spy_failure_reason(stderr_lines: list[str], python_version: str | None) -> str:
    """Turn py-spy's error output into one line with the reason and the fix."""
    text = "\n".join(line for line in stderr_lines if line.strip())
    lowered = text.lower()
    if "permission denied" in lowered or "operation not permitted" in lowered \
            or "ptrace" in lowered:
        return (
            "py-spy is not permitted to read the worker's memory (ptrace is restricted): "
            "run the container with --cap-add SYS_PTRACE, or set kernel.yama.ptrace_scope "
            "to 1 or lower (sysctl -w kernel.yama.ptrace_scope=1)"
        )
    if "python version" in lowered or "unsupported" in lowered or "unknown version" in lowered:
        return (
            f"py-spy cannot read this interpreter (Python {python_version or '?'}): "
            "upgrade py-spy (pip install -U py-spy) or use --sampler pyinstrument"
        )
    # py-spy prints "Error: <what failed>", then "Caused by:" lines and a backtrace.
    errors = [line.strip() for line in stderr_lines if line.strip().startswith("Error:")]
    others = [line.strip() for line in stderr_lines if line.strip()]
    detail = errors[0] if errors else (others or ["no output"])[-1]
    return f"py-spy wrote no profile ({detail})"


def read_speedscope(path: Path) -> list[tuple[list[Frame], float]]:
    """Return (frames root first, seconds) for each sample of a py-spy speedscope file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    shared = [
        (frame.get("name", "?"), frame.get("file") or "?", int(frame.get("line") or 0))
        for frame in data["shared"]["frames"]
    ]
    samples: list[tuple[list[Frame], float]] = []
    for profile in data["profiles"]:
        if profile.get("type") != "sampled":
            continue
        for sample, weight in zip(profile["samples"], profile["weights"], strict=False):
            samples.append(([shared[index] for index in sample], float(weight)))
    return samples


def parse_pyinstrument_identifier(identifier: str) -> Frame | None:
    """Parse pyinstrument's "function\\0file\\0first line\\x01lLINE..." frame identifier."""
    base, *attributes = identifier.split("\x01")
    parts = base.split("\x00")
    if len(parts) < 3 or parts[1] == "<thread>":
        return None
    line = int(parts[2]) if parts[2].isdigit() else 0
    for attribute in attributes:
        if attribute.startswith("l") and attribute[1:].isdigit():
            line = int(attribute[1:])
    return parts[0], parts[1], line


def read_pyinstrument(path: Path) -> list[tuple[list[Frame], float]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    samples = []
    for identifiers, seconds in data["records"]:
        frames = [parse_pyinstrument_identifier(identifier) for identifier in identifiers]
        samples.append(([frame for frame in frames if frame is not None], float(seconds)))
    return samples


def handler_phase(frames: list[Frame], worker_file: str) -> tuple[str, list[Frame]] | None:
    """Return the phase of a sample and its frames below the worker, or None for the
    worker's own samples (interpreter start, sending results)."""
    for index, (function, file, _) in enumerate(frames):
        if file == worker_file and function in PHASE_FUNCTIONS:
            # The worker's GC callback shows up wherever a collection starts: its
            # samples go to the frame that triggered the collection.
            below = [frame for frame in frames[index + 1:]
                     if frame[1] not in SKIPPED_FILES and frame[1] != worker_file]
            return PHASE_FUNCTIONS[function], below
    return None


def frame_dict(frame: Frame) -> dict[str, Any]:
    return {"function": frame[0], "file": frame[1], "line": frame[2]}


def build_hotspots_section(
    samples: Iterable[tuple[list[Frame], float]], sampler: str, rate_hz: float | None,
    worker_file: str = str(WORKER_PATH),
) -> dict[str, Any]:
    """Return the report's `hotspots` section: top frames and distinct stacks by phase."""
    stacks: Counter[tuple[str, tuple[Frame, ...]]] = Counter()
    self_ms: Counter[Frame] = Counter()
    total_ms: Counter[Frame] = Counter()
    phases: dict[str, dict[str, float]] = {}
    count = 0
    for frames, seconds in samples:
        placed = handler_phase(frames, worker_file)
        if placed is None:
            continue
        phase, below = placed
        ms = seconds * 1000
        count += 1
        stacks[(phase, tuple(below))] += ms
        phase_totals = phases.setdefault(phase, {"samples": 0, "ms": 0.0})
        phase_totals["samples"] += 1
        phase_totals["ms"] += ms
        if below:
            self_ms[below[-1]] += ms
        for frame in set(below):
            total_ms[frame] += ms
    top = sorted(self_ms.items(), key=lambda item: item[1], reverse=True)[:TOP_FRAMES]
    return {
        "source": f"{sampler} run",
        "sampler": sampler,
        "rate_hz": rate_hz,
        "samples": count,
        "phases": {name: {"samples": int(value["samples"]), "ms": round(value["ms"], 3)}
                   for name, value in phases.items()},
        "top": [
            {**frame_dict(frame), "self_ms": round(ms, 3),
             "total_ms": round(total_ms[frame], 3)}
            for frame, ms in top
        ],
        "stacks": [
            {"phase": phase, "frames": [frame_dict(frame) for frame in frames],
             "ms": round(ms, 3)}
            for (phase, frames), ms in sorted(stacks.items(), key=lambda item: -item[1])
        ],
    }
