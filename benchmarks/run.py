"""Benchmark coldstart against bare interpreter launches and write docs/benchmarks.md.

Usage: .venv/bin/python benchmarks/run.py --output docs/benchmarks.md [--quick]
(`make bench` does this). Each figure is a ratio against a baseline measured in the
same run, interleaved round by round; see figures.py. A full run takes about 5 minutes
on a 2-core machine; --quick takes fewer rounds, for trying the script out.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import figures
from page import render_page
from timing import COLDSTART, BenchmarkFailed, describe_machine, load_average


@dataclass
class Rounds:
    """How many interleaved rounds each figure takes."""

    overhead_hello: int = 16
    overhead_boto3: int = 8
    accuracy_hello: int = 60
    accuracy_boto3: int = 30
    accuracy_runs_per_round: int = 1
    own_startup: int = 40
    fixed_cost: int = 16
    attribution_total: int = 6


QUICK = Rounds(
    overhead_hello=2, overhead_boto3=2, accuracy_hello=4, accuracy_boto3=3,
    accuracy_runs_per_round=1, own_startup=4, fixed_cost=2, attribution_total=2,
)


def profile_supports(option: str) -> bool:
    """Return True when `coldstart profile --help` lists an option."""
    completed = subprocess.run(
        [COLDSTART, "profile", "--help"], capture_output=True, text=True,
        env=dict(os.environ, COLUMNS="200", NO_COLOR="1"),
    )
    return option in completed.stdout


def measure_all(rounds: Rounds) -> dict:
    """Measure every figure and return them with the conditions they were measured in."""
    machine = describe_machine()
    timing_only = profile_supports("--timing-only")
    results: dict = {"machine": machine, "timing_only": timing_only, "figures": {}}
    measured = results["figures"]
    measured["own_startup"] = figures.own_startup(rounds.own_startup)
    measured["fixed_cost"] = figures.fixed_cost("hello", rounds.fixed_cost, timing_only)
    measured["overhead"] = [
        figures.timing_overhead("hello", 20, rounds.overhead_hello, timing_only),
        figures.timing_overhead("boto3_clients", 20, rounds.overhead_boto3, timing_only),
    ]
    measured["accuracy"] = [
        *figures.accuracy("hello", rounds.accuracy_runs_per_round, rounds.accuracy_hello),
        *figures.accuracy(
            "boto3_clients", rounds.accuracy_runs_per_round, rounds.accuracy_boto3
        ),
    ]
    if timing_only:
        measured["attribution_total"] = figures.attribution_total(
            "boto3_clients", 10, rounds.attribution_total
        )
    results["load_after"] = load_average()
    results["elapsed_s"] = figures.elapsed_s()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--quick", action="store_true", help="fewer rounds, to try it out")
    args = parser.parse_args()
    try:
        results = measure_all(QUICK if args.quick else Rounds())
    except BenchmarkFailed as error:
        sys.stderr.write(f"benchmark failed: {error}\n")
        return 1
    args.output.write_text(render_page(results), encoding="utf-8")
    figures.log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
