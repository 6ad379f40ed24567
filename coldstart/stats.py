"""Summary statistics, stability checks and significance tests for run values."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# p95 is reported only from this many values on; below it, it is the max in disguise.
P95_MIN_VALUES = 20
# Spread thresholds above which a summary is flagged as unstable, as pyperf does.
MAX_RELATIVE_STDEV = 0.10
MAX_OVER_MEDIAN = 2.0
# Fewer values than this tell too little about the spread to warn about it.
MIN_VALUES_FOR_WARNINGS = 3
# Significance needs this many values on each side.
MIN_VALUES_FOR_SIGNIFICANCE = 5
# Up to this many values a side, with no ties, the Mann-Whitney p-value is computed from
# the exact distribution of U; the normal approximation is too coarse there (with 5 values
# a side it puts complete separation at p = 0.012, the exact value is 2/252 = 0.0079).
EXACT_MANN_WHITNEY_MAX = 20


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the percentile by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = math.ceil(position)
    weight = position - lower
    return ordered[lower] * (1 - weight) + ordered[upper] * weight


def summarize(values: Sequence[float]) -> dict[str, float | int] | None:
    """Return n, median, p95 (from 20 values), min, max, mean and stdev, or None if empty."""
    if not values:
        return None
    summary: dict[str, float | int] = {
        "n": len(values),
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
    }
    if len(values) >= P95_MIN_VALUES:
        summary["p95"] = percentile(values, 0.95)
    return summary


def runs_for_stable_mean(summary: dict[str, float | int]) -> int:
    """Estimate the runs that put the 95 % confidence interval of the mean within ±5 %.

    From n = (1.96 * stdev / (0.05 * mean))², assuming the spread stays as measured.
    """
    mean = float(summary["mean"])
    if mean <= 0:
        return int(summary["n"])
    relative = float(summary["stdev"]) / mean
    return max(int(summary["n"]), math.ceil((1.96 * relative / 0.05) ** 2))


# Values under this many milliseconds are timer noise relative to their spread.
MIN_WARNED_MEDIAN_MS = 1.0


def stability_warnings(name: str, summary: dict[str, float | int] | None) -> list[str]:
    """Return pyperf-style warnings when the spread of a phase is large."""
    if not summary or summary["n"] < MIN_VALUES_FOR_WARNINGS:
        return []
    if float(summary["median"]) < MIN_WARNED_MEDIAN_MS:
        return []
    warnings = []
    mean = float(summary["mean"])
    median = float(summary["median"])
    if mean > 0 and float(summary["stdev"]) / mean > MAX_RELATIVE_STDEV:
        warnings.append(
            f"{name}: the standard deviation is {float(summary['stdev']) / mean:.0%} of the "
            f"mean, so the values are unstable; about {runs_for_stable_mean(summary)} runs "
            "would bring the mean within ±5 % (--runs), or quiet the machine"
        )
    if median > 0 and float(summary["max"]) > MAX_OVER_MEDIAN * median:
        warnings.append(
            f"{name}: the max ({float(summary['max']):.1f} ms) is over "
            f"{MAX_OVER_MEDIAN:g}x the median ({median:.1f} ms); an outlier run, "
            "perhaps another process took the CPU"
        )
    return warnings


@dataclass(frozen=True)
class Comparison:
    """The verdict on changed against ref for one timing."""

    ratio: float  # median(changed) / median(ref)
    low: float  # bounds of the bootstrap confidence interval of the ratio
    high: float
    p_value: float  # two-sided Mann-Whitney U, exact for small samples without ties
    significant: bool
    verdict: str  # "faster", "slower", "not significant", or "too few runs"


def mann_whitney_u(ref: Sequence[float], changed: Sequence[float]) -> tuple[float, float]:
    """Return the U statistic of `changed` and the two-sided p-value.

    Uses the normal approximation with tie and continuity corrections, which is accurate
    from about 5 values per side.
    """
    n1, n2 = len(ref), len(changed)
    combined = sorted([(v, 0) for v in ref] + [(v, 1) for v in changed])
    ranks = [0.0] * len(combined)
    tie_term = 0.0
    i = 0
    while i < len(combined):
        j = i
        while j + 1 < len(combined) and combined[j + 1][0] == combined[i][0]:
            j += 1
        average_rank = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[k] = average_rank
        tied = j - i + 1
        tie_term += tied**3 - tied
        i = j + 1
    rank_sum_changed = sum(r for r, (_, side) in zip(ranks, combined, strict=True) if side == 1)
    u_changed = rank_sum_changed - n2 * (n2 + 1) / 2
    mean_u = n1 * n2 / 2
    total = n1 + n2
    variance = n1 * n2 / 12 * ((total + 1) - tie_term / (total * (total - 1)))
    if variance <= 0:
        return u_changed, 1.0
    z = (abs(u_changed - mean_u) - 0.5) / math.sqrt(variance)
    p_value = math.erfc(max(z, 0.0) / math.sqrt(2))
    return u_changed, min(1.0, p_value)


def mann_whitney_exact_p(u_statistic: float, n1: int, n2: int) -> float:
    """Return the exact two-sided p-value of a Mann-Whitney U from samples without ties.

    Counts, for every U, the orderings of n1 + n2 distinct values that give it, with the
    recurrence N(m, n, u) = N(m - 1, n, u - n) + N(m, n - 1, u).
    """
    max_u = n1 * n2
    # counts[m][n] is the list of orderings per U for samples of m and n values.
    counts: list[list[list[int]]] = [[[] for _ in range(n2 + 1)] for _ in range(n1 + 1)]
    for m in range(n1 + 1):
        for n in range(n2 + 1):
            if m == 0 or n == 0:
                counts[m][n] = [1]
                continue
            ways = [0] * (m * n + 1)
            for u, count in enumerate(counts[m - 1][n]):
                ways[u + n] += count
            for u, count in enumerate(counts[m][n - 1]):
                ways[u] += count
            counts[m][n] = ways
    distribution = counts[n1][n2]
    total = sum(distribution)
    tail_u = min(u_statistic, max_u - u_statistic)
    tail = sum(distribution[: math.floor(tail_u) + 1])
    return min(1.0, 2 * tail / total)


def mann_whitney_p_value(ref: Sequence[float], changed: Sequence[float]) -> float:
    """Return the two-sided Mann-Whitney p-value: exact for small samples without ties."""
    u_changed, approximate_p = mann_whitney_u(ref, changed)
    has_ties = len(set(ref) | set(changed)) < len(ref) + len(changed)
    if has_ties or max(len(ref), len(changed)) > EXACT_MANN_WHITNEY_MAX:
        return approximate_p
    return mann_whitney_exact_p(u_changed, len(ref), len(changed))


def bootstrap_ratio_interval(
    ref: Sequence[float],
    changed: Sequence[float],
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Return a percentile bootstrap interval of median(changed) / median(ref).

    The seed is fixed so that the same values always give the same interval.
    """
    generator = random.Random(seed)
    ratios = []
    for _ in range(resamples):
        ref_median = statistics.median(generator.choices(ref, k=len(ref)))
        changed_median = statistics.median(generator.choices(changed, k=len(changed)))
        if ref_median > 0:
            ratios.append(changed_median / ref_median)
    if not ratios:
        return math.nan, math.nan
    tail = (1 - confidence) / 2
    return percentile(ratios, tail), percentile(ratios, 1 - tail)


def compare_values(
    ref: Sequence[float], changed: Sequence[float], alpha: float = 0.05
) -> Comparison:
    """Compare two sets of timings: ratio of medians, bootstrap interval, Mann-Whitney U.

    The difference is significant when the p-value is under alpha and the interval of
    the ratio excludes 1, so both tests must agree.
    """
    ref_median = statistics.median(ref) if ref else math.nan
    changed_median = statistics.median(changed) if changed else math.nan
    ratio = changed_median / ref_median if ref_median and ref_median > 0 else math.nan
    if min(len(ref), len(changed)) < MIN_VALUES_FOR_SIGNIFICANCE:
        return Comparison(ratio, math.nan, math.nan, math.nan, False, "too few runs")
    low, high = bootstrap_ratio_interval(ref, changed, confidence=1 - alpha)
    p_value = mann_whitney_p_value(ref, changed)
    significant = p_value < alpha and (low > 1 or high < 1)
    if not significant:
        verdict = "not significant"
    elif ratio < 1:
        verdict = "faster"
    else:
        verdict = "slower"
    return Comparison(ratio, low, high, p_value, significant, verdict)
