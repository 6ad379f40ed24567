"""The cost estimate of one invocation from its REPORT values."""

from __future__ import annotations

import pytest

from coldstart.lambda_api.cost import (
    USD_PER_GB_SECOND,
    USD_PER_REQUEST,
    billed_cold_ms,
    cost_section,
    invocation_usd,
)
from coldstart.lambda_api.report_lines import InvokeReport


def test_billed_cold_adds_unbilled_init() -> None:
    # Before 2025-08-01, Billed Duration of a managed runtime left the init out.
    report = InvokeReport(duration_ms=20.5, billed_ms=21, init_ms=229.1)
    assert billed_cold_ms(report) == 250


def test_billed_cold_keeps_billed_init() -> None:
    report = InvokeReport(duration_ms=20.5, billed_ms=250, init_ms=229.1)
    assert billed_cold_ms(report) == 250


def test_billed_warm_is_billed_duration() -> None:
    assert billed_cold_ms(InvokeReport(duration_ms=2.2, billed_ms=3)) == 3


def test_invocation_price() -> None:
    # 1 GB for one second on x86_64 costs one GB-second plus the request.
    assert invocation_usd(1000, 1024) == pytest.approx(
        USD_PER_REQUEST + USD_PER_GB_SECOND["x86_64"]
    )
    assert invocation_usd(1000, 1024, "arm64") < invocation_usd(1000, 1024, "x86_64")


def test_cost_section_ratio() -> None:
    section = cost_section([250.0, 260.0], [3.0, 2.0, 4.0], 256, "x86_64")
    assert section is not None
    assert section["cold_invoke_usd"] == pytest.approx(invocation_usd(255.0, 256))
    assert section["warm_invoke_usd"] == pytest.approx(invocation_usd(3.0, 256))
    assert section["cold_over_warm"] > 1
    assert section["prices"]["region"] == "us-east-1"


def test_cost_section_without_values() -> None:
    assert cost_section([], [], 256, "x86_64") is None
    assert cost_section([250.0], [], None, "x86_64") is None
