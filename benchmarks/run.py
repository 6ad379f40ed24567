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
from timing import COLDSTART, BenchmarkFailed, describe_machine, import_time_ms, load_average


@dataclass
class Rounds:
    """How many interleaved rounds each figure takes."""

    overhead_hello: int = 16
    overhead_boto3: int = 8
    accuracy_hello: int = 34
    accuracy_boto3: int = 14
    accuracy_runs_per_round: int = 3
    own_startup: int = 40
    fixed_cost: int = 16
    attribution_total: int = 6
    attribution_hello: int = 6
    pyinstrument: int = 6


QUICK = Rounds(
    overhead_hello=2, overhead_boto3=2, accuracy_hello=4, accuracy_boto3=3,
    accuracy_runs_per_round=1, own_startup=4, fixed_cost=2, attribution_total=2,
    attribution_hello=2, pyinstrument=2,
)


def profile_supports(option: str) -> bool:
    """Return True when `coldstart profile --help` lists an option."""
    completed = subprocess.run(
        [COLDSTART, "profile", "--help"], capture_output=True, text=True,
        env=dict(os.environ, COLUMNS="200", NO_COLOR="1"),
    )
    return option in completed.stdout


def instrument_settings() -> dict[str, str]:
    """Return the default setting of each instrument, as coldstart defines it."""
    try:
        from coldstart.attribution.runner import DEFAULT_ALLOC_FRAMES
        from coldstart.attribution.sampling import PY_SPY_RATE_HZ, PYINSTRUMENT_INTERVAL_S
    except ImportError:
        return {}
    return {
        "importtime": "`-X importtime`",
        "tracemalloc": f"`-X tracemalloc={DEFAULT_ALLOC_FRAMES}` (default `--alloc-frames`)",
        "py-spy": f"`py-spy record` at {PY_SPY_RATE_HZ} Hz (default rate)",
        "pyinstrument": f"in-process, {PYINSTRUMENT_INTERVAL_S * 1000:g} ms interval (default)",
    }


def measure_attribution(rounds: Rounds, results: dict) -> None:
    """Measure the full profile against its timing runs, and each instrument's inflation."""
    measured = results["figures"]
    inflation_rows = []
    notes: set[str] = set()
    for fixture, figure_rounds in (
        ("boto3_clients", rounds.attribution_total), ("hello", rounds.attribution_hello)
    ):
        by_instrument: dict[str, list[float]] = {}
        figure = figures.attribution_total(
            fixture, 10, figure_rounds, by_instrument, notes
        )
        measured.setdefault("attribution_total", []).append(figure)
        pyinstrument, pyinstrument_command = figures.sampler_inflation(
            fixture, "pyinstrument", 5, rounds.pyinstrument
        )
        by_instrument.setdefault("pyinstrument", []).extend(pyinstrument)
        for instrument in ("importtime", "tracemalloc", "py-spy", "pyinstrument"):
            command = pyinstrument_command if instrument == "pyinstrument" else figure.command
            inflation_rows.append(figures.Inflation(
                instrument, fixture, command, by_instrument.get(instrument, [])
            ))
    measured["inflation"] = inflation_rows
    results["instrument_settings"] = instrument_settings()
    results["attribution_notes"] = sorted(notes)


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
    per_round = rounds.accuracy_runs_per_round
    results["accuracy_runs_per_round"] = per_round
    measured["accuracy"] = [
        *figures.accuracy("hello", per_round, rounds.accuracy_hello, timing_only),
        *figures.accuracy("boto3_clients", per_round, rounds.accuracy_boto3, timing_only),
    ]
    if timing_only:
        measure_attribution(rounds, results)
    results["adapters_import_ms"] = import_time_ms("typer._adapters", after="typer")
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
