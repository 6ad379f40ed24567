"""Text of the comparison's cells, shared by its terminal, Markdown and HTML renderers."""

from __future__ import annotations

from typing import Any

from coldstart.comparison import short_path

KIB = 1024
MIB = 1024 * 1024
# Packages listed per variant in the module changes; the JSON lists every module.
PACKAGES_SHOWN = 8


def format_value(value: float | None, unit: str) -> str:
    """Format one variant's value of a row in its unit."""
    if value is None:
        return "-"
    if unit == "bytes":
        return format_bytes(value)
    if unit == "count":
        return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    if value < 1:
        return f"{value:.3f} ms"
    if value < 100:
        return f"{value:.2f} ms"
    return f"{value:.1f} ms"


def format_bytes(value: float) -> str:
    if abs(value) >= MIB:
        return f"{value / MIB:.2f} MiB"
    if abs(value) >= KIB:
        return f"{value / KIB:.1f} KiB"
    return f"{value:.0f} B"


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return ""
    if ratio >= 100:
        return f"{ratio:,.0f}x"
    if ratio >= 10:
        return f"{ratio:.1f}x"
    return f"{ratio:.2f}x"


def format_difference(difference: float, unit: str) -> str:
    sign = "+" if difference > 0 else "-"
    return sign + format_value(abs(difference), unit)


def format_comparison(cell: dict[str, Any] | None, unit: str) -> str:
    """Format one variant against the reference: ratio, verdict and the test's interval."""
    if cell is None:
        return "reference"
    verdict = cell["verdict"]
    ratio = cell.get("ratio")
    if ratio is not None:
        measure = format_ratio(ratio)
    elif cell.get("difference"):
        measure = format_difference(cell["difference"], unit)
    else:
        measure = ""
    parts = [part for part in (measure, verdict) if part]
    text = " ".join(parts)
    if cell.get("low") is not None and cell.get("high") is not None:
        text += f" [{format_ratio(cell['low'])}, {format_ratio(cell['high'])}]"
    return text


def column_title(variant: dict[str, Any], is_reference: bool) -> str:
    title = variant["label"]
    if is_reference:
        title += " (reference)"
    if variant["status"] == "failed":
        title += f" failed: {variant['error']['type']}"
    elif variant["status"] == "partly failed":
        error = variant["error"]
        title += f" ({error['failed_runs']}/{error['runs']} runs failed: {error['type']})"
    return title


def failure_lines(comparison: dict[str, Any]) -> list[str]:
    lines = []
    for variant in comparison["variants"]:
        error = variant["error"]
        if error is None:
            continue
        phase = f" in phase {error['phase']}" if error.get("phase") else ""
        lines.append(
            f"{variant['label']}: {error['type']}{phase}, {error['failed_runs']}/"
            f"{error['runs']} runs failed: {error['message']}"
        )
    return lines


def package_text(package: dict[str, Any]) -> str:
    modules = package["modules"]
    text = f"{package['package']} ({modules} module{'s' if modules != 1 else ''}"
    if package.get("cumulative_ms") is not None:
        text += f", {package['cumulative_ms']:.1f} ms cumulative"
    return text + ")"


def module_change_rows(comparison: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(variant, "only in X", packages) for each variant whose modules at init differ."""
    labels = [variant["label"] for variant in comparison["variants"]]
    reference = labels[comparison["reference"]]
    rows = []
    for change in comparison["changes"]:
        modules = change["modules"]
        if not modules:
            continue
        label = labels[change["variant"]]
        for side, key in ((label, "added_packages"), (reference, "removed_packages")):
            if modules[key]:
                rows.append((label, f"only in {side}", packages_text(modules[key])))
    return rows


def packages_text(packages: list[dict[str, Any]]) -> str:
    """List the first packages (costliest, then largest) and count the rest."""
    text = ", ".join(package_text(package) for package in packages[:PACKAGES_SHOWN])
    rest = packages[PACKAGES_SHOWN:]
    if rest:
        modules = sum(package["modules"] for package in rest)
        text += f" and {len(rest)} more packages ({modules} modules)"
    return text


def allocation_change_rows(comparison: dict[str, Any]) -> list[tuple[str, ...]]:
    """(variant, phase, file:line, reference bytes, bytes, change) per changed line."""
    labels = [variant["label"] for variant in comparison["variants"]]
    rows = []
    for change in comparison["changes"]:
        for line in change["allocations"]:
            rows.append((
                labels[change["variant"]],
                line["phase"].replace("_", " "),
                f"{short_path(line['file'])}:{line['line']}",
                format_bytes(line["reference_bytes"]),
                format_bytes(line["bytes"]),
                format_difference(line["change_bytes"], "bytes"),
            ))
    return rows


def statistics_note(comparison: dict[str, Any]) -> str:
    statistics = comparison["statistics"]
    return (
        f"Timings, GC pause and peak RSS: ratio of medians to the reference, significant "
        f"only when a Mann-Whitney U test and a bootstrap {statistics['confidence']:.1%} "
        f"interval of the ratio (in brackets) agree, at {statistics['family_alpha']:g} over "
        f"the {statistics['tested_rows']} tested rows. Counts: compared directly."
    )
