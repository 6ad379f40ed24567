"""Measure what attribution costs on one target: each instrument's init against the clean
median, and the wall time of a full profile against its timing runs alone.

Usage: python benchmarks/attribution_overhead.py [TARGET] [--runs 10] [--repeats 3]
       [--py-spy-rates 100,250,500]

Each repeat makes one `--timing-only` measurement and one full measurement (every
attribution run, py-spy at each listed rate, and pyinstrument), interleaved, and the
script prints the medians over the repeats.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coldstart.attribution.runner import AttributionSettings  # noqa: E402
from coldstart.commands.profile import ProfileRequest, build_variant  # noqa: E402
from coldstart.console import Streams  # noqa: E402
from coldstart.measure import measure_variants  # noqa: E402

DEFAULT_TARGET = "fixtures/boto3_clients/app.py"


def timed_measure(variant, runs, streams, settings):  # noqa: ANN001, ANN201
    started = time.perf_counter()
    [report] = measure_variants([variant], runs, streams, attribution=settings)
    return time.perf_counter() - started, report


def inflation(report: dict, instrument: str) -> float | None:
    for run in report.get("attribution", {}).get("runs", []):
        if run["instrument"] == instrument and run["init_inflation"] is not None:
            return run["init_inflation"]
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", nargs="?", default=DEFAULT_TARGET)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--py-spy-rates", default="250")
    args = parser.parse_args()
    rates = [int(rate) for rate in args.py_spy_rates.split(",")]
    variant = build_variant(ProfileRequest(target=args.target))
    streams = Streams(quiet=True)
    figures: dict[str, list[float]] = {}

    def add(name: str, value: float | None) -> None:
        if value is not None:
            figures.setdefault(name, []).append(value)

    for _ in range(args.repeats):
        timing_s, _ = timed_measure(variant, args.runs, streams, None)
        full_s, report = timed_measure(variant, args.runs, streams, AttributionSettings())
        add("timing-only wall s", timing_s)
        add("full profile wall s", full_s)
        add("full / timing-only", full_s / timing_s)
        add("clean init median ms", report["summary"]["init_ms"]["median"])
        for instrument in ("importtime", "tracemalloc", "py-spy"):
            add(f"{instrument} init inflation", inflation(report, instrument))
        for rate in rates:
            settings = AttributionSettings(imports=False, allocations=False,
                                           sampler="py-spy", py_spy_rate_hz=rate)
            _, sampled = timed_measure(variant, 3, streams, settings)
            add(f"py-spy {rate} Hz init inflation (3-run median)", inflation(sampled, "py-spy"))
        settings = AttributionSettings(imports=False, allocations=False, sampler="pyinstrument")
        _, sampled = timed_measure(variant, 3, streams, settings)
        add("pyinstrument init inflation (3-run median)", inflation(sampled, "pyinstrument"))
    print(f"target {args.target}, --runs {args.runs}, {args.repeats} repeats (medians)")
    for name, values in figures.items():
        print(f"{name:48} {statistics.median(values):8.3f}   "
              f"[{', '.join(f'{value:.3f}' for value in values)}]")


if __name__ == "__main__":
    main()
