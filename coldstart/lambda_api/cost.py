"""The price of one invocation, from its billed duration, billed init and memory size.

This module is the one place that contains Lambda prices. They are the on-demand prices of
US East (N. Virginia), first tier (the first 6 billion GB-seconds a month on x86_64, the
first 7.5 billion on arm64), free tier not deducted, as listed on
https://aws.amazon.com/lambda/pricing/ and quoted by cloudchipr.com/blog/aws-lambda-pricing
(2024). Read on 2026-12-04. Other regions and higher tiers differ: the figures are an
estimate for comparing cold and warm invocations, not a bill.

Since 2025-08-01 Lambda bills the init phase of on-demand ZIP functions on managed
runtimes too (AWS Compute Blog, "AWS Lambda standardizes billing for INIT Phase",
2025-04-29), so the billed time of a cold invocation includes its Init Duration.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

PRICES_SOURCE = {
    "region": "us-east-1",
    "read_on": "2026-12-04",
    "url": "https://aws.amazon.com/lambda/pricing/",
    "note": "on-demand, first tier, free tier not deducted; an estimate",
}
USD_PER_REQUEST = 0.20 / 1_000_000
USD_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}


def billed_cold_ms(report: Any) -> float | None:
    """Return the billed milliseconds of a cold invocation, init included.

    REPORT lines written before 2025-08-01 left the init out of Billed Duration, later
    ones include it: the larger of Billed Duration and the rounded-up Init Duration plus
    Duration covers both.
    """
    if report.billed_ms is None:
        return None
    if report.init_ms is None:
        return report.billed_ms
    with_init = math.ceil(report.init_ms + (report.duration_ms or 0.0))
    return max(report.billed_ms, float(with_init))


# NOTE: SnapStart restores (Billed Restore Duration) and snapshot caching are billed at
# their own prices, which this table does not contain, so restored invocations are
# priced from their billed duration only.
def invocation_usd(billed_ms: float, memory_mb: float, architecture: str = "x86_64") -> float:
    """Return the price in US dollars of one request billed for billed_ms at memory_mb."""
    per_gb_second = USD_PER_GB_SECOND.get(architecture, USD_PER_GB_SECOND["x86_64"])
    gb_seconds = (memory_mb / 1024) * (billed_ms / 1000)
    return USD_PER_REQUEST + gb_seconds * per_gb_second


def cost_section(
    cold_billed_ms: list[float], warm_billed_ms: list[float], memory_mb: float | None,
    architecture: str,
) -> dict[str, Any] | None:
    """Return the median price of a cold and of a warm invocation, or None without data."""
    if not memory_mb or not (cold_billed_ms or warm_billed_ms):
        return None

    def median_usd(values: list[float]) -> float | None:
        if not values:
            return None
        return invocation_usd(statistics.median(values), memory_mb, architecture)

    cold = median_usd(cold_billed_ms)
    warm = median_usd(warm_billed_ms)
    return {
        "cold_invoke_usd": cold,
        "warm_invoke_usd": warm,
        "cold_over_warm": cold / warm if cold is not None and warm else None,
        "memory_mb": memory_mb,
        "architecture": architecture,
        "usd_per_request": USD_PER_REQUEST,
        "usd_per_gb_second": USD_PER_GB_SECOND.get(architecture, USD_PER_GB_SECOND["x86_64"]),
        "prices": PRICES_SOURCE,
    }
