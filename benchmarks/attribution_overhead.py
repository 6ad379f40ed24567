"""Measure what attribution costs on one target: each instrument's init against the clean
median, and the wall time of a full `coldstart profile` against its timing runs alone.

Usage: python benchmarks/attribution_overhead.py [TARGET] [--runs 10] [--repeats 3]
       [--py-spy-rates 100,250,500]

Each repeat runs the real CLI twice, interleaved: `coldstart profile TARGET --runs N` and
the same with `--timing-only`. Then one 3-run profile per instrument alone (importtime,
tracemalloc, pyinstrument, and py-spy at each rate of --py-spy-rates). Medians over the
repeats are printed, with every value. Figures depend on the machine's load: run it on a
quiet machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TARGET = "fixtures/boto3_clients/app.py"


def profile(target: str, runs: int, *options: str) -> tuple[float, dict]:
    """Run `coldstart profile` and return its wall time in seconds and its report."""
    with tempfile.TemporaryDirectory() as folder:
        report_path = Path(folder) / "report.json"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "coldstart", "profile", target, "--runs", str(runs),
             "--json", str(report_path), "--quiet", *options],
            cwd=REPO, check=True, capture_output=True,
        )
        wall_s = time.perf_counter() - started
        return wall_s, json.loads(report_path.read_text())


def inflation(report: dict, instrument: str) -> float | None:
    for run in report.get("attribution", {}).get("runs", []):
        if run["instrument"] == instrument:
            return run["init_inflation"]
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", nargs="?", default=DEFAULT_TARGET)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--py-spy-rates", default="")
    args = parser.parse_args()
    rates = [int(rate) for rate in args.py_spy_rates.split(",") if rate]
    figures: dict[str, list[float]] = {}

    def add(name: str, value: float | None) -> None:
        if value is not None:
            figures.setdefault(name, []).append(value)

    for _ in range(args.repeats):
        timing_s, _ = profile(args.target, args.runs, "--timing-only")
        full_s, report = profile(args.target, args.runs)
        attribution = report["attribution"]
        add("timing-only CLI wall s", timing_s)
        add("full CLI wall s", full_s)
        add("full CLI / timing-only CLI", full_s / timing_s)
        add("full CLI / its timing runs", full_s * 1000 / attribution["timing_runs_wall_ms"])
        add("attribution runs wall s", attribution["wall_ms"] / 1000)
        add("clean init median ms", report["summary"]["init_ms"]["median"])
        for instrument in ("importtime", "tracemalloc", "py-spy"):
            add(f"{instrument} init inflation", inflation(report, instrument))
        single = [("importtime", ("--no-alloc", "--sampler", "none")),
                  ("tracemalloc", ("--no-imports", "--sampler", "none")),
                  ("pyinstrument", ("--no-imports", "--no-alloc", "--sampler", "pyinstrument"))]
        single += [("py-spy", ("--no-imports", "--no-alloc", "--sampler", "py-spy",
                               "--py-spy-rate", str(rate))) for rate in rates]
        for instrument, options in single:
            _, alone = profile(args.target, 3, *options)
            label = " ".join(options[-2:]) if instrument == "py-spy" else instrument
            add(f"{label} alone, init inflation (3 clean runs)", inflation(alone, instrument))
    print(f"target {args.target}, --runs {args.runs}, {args.repeats} repeats (medians)")
    for name, values in figures.items():
        print(f"{name:48} {statistics.median(values):8.3f}   "
              f"[{', '.join(f'{value:.3f}' for value in values)}]")


if __name__ == "__main__":
    main()
