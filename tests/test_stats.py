"""Statistics on fixed inputs with known results."""

from __future__ import annotations

import math

import pytest

from coldstart.stats import (
    bootstrap_ratio_interval,
    compare_values,
    mann_whitney_exact_p,
    mann_whitney_p_value,
    mann_whitney_u,
    percentile,
    stability_warnings,
    summarize,
)


def test_summarize_small_sample_has_no_p95() -> None:
    summary = summarize([1.0, 2.0, 3.0, 4.0])
    assert summary is not None
    assert summary["n"] == 4
    assert summary["median"] == 2.5
    assert summary["min"] == 1.0
    assert summary["max"] == 4.0
    assert summary["mean"] == 2.5
    assert summary["stdev"] == pytest.approx(1.2909944, rel=1e-6)
    assert "p95" not in summary


def test_summarize_twenty_values_has_p95() -> None:
    summary = summarize([float(v) for v in range(1, 21)])
    assert summary is not None
    assert summary["p95"] == pytest.approx(19.05)


def test_summarize_empty_is_none() -> None:
    assert summarize([]) is None


def test_summarize_single_value_has_zero_stdev() -> None:
    summary = summarize([5.0])
    assert summary is not None
    assert summary["stdev"] == 0.0


def test_percentile_interpolates() -> None:
    assert percentile([10, 20, 30, 40], 0.5) == 25
    assert percentile([10, 20, 30, 40], 1.0) == 40
    assert percentile([10, 20, 30, 40], 0.0) == 10


def test_mann_whitney_known_answer() -> None:
    # Worked by hand: U=25, mean 12.5, variance 25*11/12, z=(12.5-0.5)/4.787=2.507.
    u_changed, p_value = mann_whitney_u([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    assert u_changed == 25
    assert p_value == pytest.approx(0.01219, abs=1e-4)


def test_mann_whitney_identical_samples() -> None:
    _, p_value = mann_whitney_u([1, 1, 1, 1, 1], [1, 1, 1, 1, 1])
    assert p_value == 1.0


def test_mann_whitney_with_ties() -> None:
    # Worked by hand: rank sum 52.5 so U=31.5, tie term 78, variance 37.23, z=2.131.
    u_changed, p_value = mann_whitney_u([1, 2, 2, 3, 3, 4], [3, 3, 4, 5, 5, 6])
    assert u_changed == 31.5
    assert p_value == pytest.approx(0.0331, abs=1e-3)


def test_bootstrap_interval_brackets_ratio() -> None:
    ref = [100.0 + i for i in range(10)]
    changed = [200.0 + 2 * i for i in range(10)]
    low, high = bootstrap_ratio_interval(ref, changed)
    assert low <= 2.0 <= high
    assert low > 1.8
    assert high < 2.2


def test_bootstrap_is_deterministic() -> None:
    ref = [1.0, 3.0, 2.0, 5.0, 4.0]
    changed = [2.0, 6.0, 4.0, 10.0, 8.0]
    assert bootstrap_ratio_interval(ref, changed) == bootstrap_ratio_interval(ref, changed)


def test_compare_slower() -> None:
    ref = [10.0 + i * 0.1 for i in range(10)]
    result = compare_values(ref, [20.0 + i * 0.1 for i in range(10)])
    assert result.verdict == "slower"
    assert result.significant
    assert result.ratio == pytest.approx(20.45 / 10.45)


def test_compare_faster() -> None:
    ref = [20.0 + i * 0.1 for i in range(10)]
    result = compare_values(ref, [10.0 + i * 0.1 for i in range(10)])
    assert result.verdict == "faster"


def test_compare_overlapping_is_not_significant() -> None:
    ref = [10.0, 12.0, 11.0, 13.0, 9.0, 10.5, 11.5, 12.5]
    changed = [10.2, 11.8, 11.1, 12.9, 9.1, 10.4, 11.6, 12.4]
    result = compare_values(ref, changed)
    assert result.verdict == "not significant"
    assert not result.significant


def test_compare_too_few_runs() -> None:
    result = compare_values([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    assert result.verdict == "too few runs"
    assert math.isnan(result.low)


def test_stability_warning_on_large_spread() -> None:
    summary = summarize([10.0, 10.0, 10.0, 30.0])
    warnings = stability_warnings("init", summary)
    assert any("standard deviation" in w for w in warnings)
    assert any("outlier" in w for w in warnings)
    assert any("runs" in w for w in warnings)


def test_stability_no_warning_when_tight() -> None:
    assert stability_warnings("init", summarize([10.0, 10.1, 9.9, 10.0])) == []


def test_mann_whitney_exact_complete_separation() -> None:
    # Two of the C(10, 5) = 252 orderings are as extreme as complete separation.
    assert mann_whitney_exact_p(25, 5, 5) == pytest.approx(2 / 252)
    assert mann_whitney_exact_p(0, 5, 5) == pytest.approx(2 / 252)


def test_mann_whitney_exact_partial_overlap() -> None:
    # U <= 3 for 4 and 6 values: partitions of 0..3 into at most 4 parts of at most 6,
    # 1 + 1 + 2 + 3 = 7 orderings of C(10, 4) = 210, doubled for two sides.
    assert mann_whitney_exact_p(3, 4, 6) == pytest.approx(14 / 210)


def test_mann_whitney_exact_centre_is_one() -> None:
    assert mann_whitney_exact_p(12.5, 5, 5) == 1.0


def test_p_value_exact_without_ties() -> None:
    assert mann_whitney_p_value([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(2 / 252)


def test_p_value_approximate_with_ties() -> None:
    ref, changed = [1, 2, 2, 3, 3, 4], [3, 3, 4, 5, 5, 6]
    assert mann_whitney_p_value(ref, changed) == mann_whitney_u(ref, changed)[1]


def test_compare_five_runs_separated_is_significant() -> None:
    # At 5 runs a side only complete separation can be significant (exact p = 0.0079).
    result = compare_values([10.0, 10.1, 10.2, 10.3, 10.4], [20.0, 20.1, 20.2, 20.3, 20.4],
                            alpha=0.01)
    assert result.significant
    assert result.verdict == "slower"
    assert result.p_value == pytest.approx(2 / 252)
