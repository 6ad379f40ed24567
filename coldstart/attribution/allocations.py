"""The allocations section, from the summary the worker made in one tracemalloc run."""

from __future__ import annotations

from typing import Any

from coldstart.attribution.origins import Locations

TOP_LINES = 15
TOP_PACKAGES = 15


def by_package(by_file: list[dict[str, Any]], locations: Locations) -> list[dict[str, Any]]:
    """Sum blocks and bytes by top-level package, largest first."""
    totals: dict[tuple[str, str], list[int]] = {}
    for entry in by_file:
        key = locations.package_of_file(entry["file"])
        total = totals.setdefault(key, [0, 0])
        total[0] += entry["blocks"]
        total[1] += entry["bytes"]
    packages = [
        {"package": package, "origin": origin, "blocks": blocks, "bytes": size}
        for (package, origin), (blocks, size) in totals.items()
    ]
    packages.sort(key=lambda package: package["bytes"], reverse=True)
    return packages[:TOP_PACKAGES]


def phase_section(phase: dict[str, Any], locations: Locations) -> dict[str, Any]:
    return {
        "blocks": phase["blocks"],
        "bytes": phase["bytes"],
        "top": phase["top"][:TOP_LINES],
        "by_package": by_package(phase["by_file"], locations),
    }


def build_allocations_section(
    summary: dict[str, Any], copies: list[dict[str, Any]], locations: Locations
) -> dict[str, Any] | None:
    """Return the report's `allocations` section; the top level describes the init phase."""
    phases = {
        name: phase_section(phase, locations)
        for name, phase in summary.get("phases", {}).items()
    }
    init = phases.get("init")
    if init is None:
        return None
    return {
        "source": "tracemalloc run",
        "frames": summary.get("frames", 1),
        "blocks": init["blocks"],
        "bytes": init["bytes"],
        "top": init["top"],
        "by_package": init["by_package"],
        "phases": phases,
        "copies": [
            {**copy, "ms": round(copy["ms"], 3)}
            for copy in sorted(copies, key=lambda copy: copy["bytes"], reverse=True)
        ],
    }
