"""Compare variants of a handler side by side, from interleaved runs, in one table."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coldstart.attribution.runner import AttributionSettings
from coldstart.commands.profile import ProfileRequest, build_variant
from coldstart.comparison import build_comparison
from coldstart.console import Streams
from coldstart.environment import ENV_NAME
from coldstart.errors import ExitCode, UsageError
from coldstart.findings import build_findings
from coldstart.measure import Variant, measure_variants
from coldstart.model import load_report
from coldstart.render.json_file import write_text_atomically

ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass
class CompareRequest:
    """Everything `coldstart compare` was asked to do; run options apply to every variant."""

    variants: list[str]
    labels: list[str] = field(default_factory=list)
    handler: str | None = None
    root: str | None = None
    runs: int = 10
    warm_invokes: int = 3
    event: str | None = None
    env: list[str] = field(default_factory=list)
    python: str = field(default_factory=lambda: sys.executable)
    memory_mb: int = 128
    timeout_s: float = 3.0
    init_timeout_s: float = 10.0
    json_path: str | None = None
    markdown_path: str | None = None
    html_path: str | None = None
    timing_only: bool = False
    imports: bool = True
    allocations: bool = True


@dataclass
class VariantSpec:
    """One variant as given on the command line: a TARGET with extra variables, or a report."""

    text: str
    target: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    report_path: str | None = None


def parse_assignments(text: str, spec: str) -> dict[str, str]:
    """Parse `KEY=VALUE,KEY=VALUE`; a comma not followed by `KEY=` belongs to the value."""
    pairs: list[list[str]] = []
    for piece in text.split(","):
        if ASSIGNMENT.match(piece):
            key, _, value = piece.partition("=")
            pairs.append([key, value])
        elif pairs:
            pairs[-1][1] += "," + piece
        else:
            raise UsageError(
                f"invalid variant {spec!r}: after @ write KEY=VALUE pairs separated by commas,"
                " e.g. app.py@LAZY_CLIENTS=1,LOG_LEVEL=INFO"
            )
    env = {key: value for key, value in pairs}
    for key in env:
        if not ENV_NAME.match(key):
            raise UsageError(f"invalid variable name {key!r} in variant {spec!r}")
    return env


def split_assignments(text: str) -> tuple[str, str]:
    """Split `TARGET@KEY=VALUE,...` at the first @ that starts an assignment.

    Values may contain @ (`app.py@EMAIL=ops@example.com`), and so may a folder name in
    the TARGET. Returns the text and "" when no @ starts an assignment.
    """
    start = 0
    while (at := text.find("@", start)) != -1:
        if at > 0 and ASSIGNMENT.match(text[at + 1:]):
            return text[:at], text[at + 1:]
        start = at + 1
    return text, ""


def parse_variant(text: str) -> VariantSpec:
    """Parse one variant: `TARGET`, `TARGET@KEY=VALUE,...` or a saved report `FILE.json`."""
    if not text:
        raise UsageError("empty variant: give a TARGET, TARGET@KEY=VALUE or a report.json")
    target, assignments = split_assignments(text)
    if not assignments and "@" in text and not Path(text.partition(":")[0]).exists():
        raise UsageError(
            f"invalid variant {text!r}: after @ write KEY=VALUE pairs separated by commas,"
            " e.g. app.py@LAZY_CLIENTS=1,LOG_LEVEL=INFO"
        )
    env = parse_assignments(assignments, text) if assignments else {}
    if target.endswith(".json"):
        if env:
            raise UsageError(
                f"invalid variant {text!r}: a saved report is not measured again, so it "
                "takes no @KEY=VALUE"
            )
        return VariantSpec(text, report_path=target)
    return VariantSpec(text, target=target, env=env)


def short_label(text: str) -> str:
    """Return the variant without its folders: `app.py:by_value` for `src/app.py:by_value`."""
    target, assignments = split_assignments(text)
    return target.rpartition("/")[2] + ("@" + assignments if assignments else "")


def choose_labels(specs: list[VariantSpec], labels: list[str]) -> list[str]:
    """Return the column labels: --label values, else each variant without its folders.

    When two variants differ only by their folders, both keep their full text.
    """
    if labels and len(labels) != len(specs):
        raise UsageError(
            f"{len(labels)} --label values for {len(specs)} variants: give one --label per "
            "variant, in the same order, or none"
        )
    if labels:
        chosen = list(labels)
        duplicates = sorted({label for label in chosen if chosen.count(label) > 1})
        if duplicates:
            raise UsageError(f"duplicate --label {duplicates[0]!r}: each column needs its own")
        return chosen
    texts = [spec.text for spec in specs]
    chosen = []
    for text in texts:
        short = short_label(text)
        # Keep the folders when a different variant has the same name in another folder.
        clash = any(short_label(other) == short and other != text for other in texts)
        chosen.append(text if clash else short)
    # Identical variants (an A/A comparison) get a number to tell their columns apart.
    seen: dict[str, int] = {}
    numbered = []
    for label in chosen:
        seen[label] = seen.get(label, 0) + 1
        numbered.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return numbered


def build_measured_variant(spec: VariantSpec, label: str, request: CompareRequest) -> Variant:
    """Validate one measured variant with the same rules as `coldstart profile`."""
    assert spec.target is not None
    extra_env = [f"{key}={value}" for key, value in spec.env.items()]
    profile_request = ProfileRequest(
        target=spec.target, handler=request.handler, root=request.root, runs=request.runs,
        warm_invokes=request.warm_invokes, event=request.event,
        env=[*request.env, *extra_env], python=request.python, memory_mb=request.memory_mb,
        timeout_s=request.timeout_s, init_timeout_s=request.init_timeout_s,
    )
    variant = build_variant(profile_request)
    variant.label = label
    return variant


def check_outputs(request: CompareRequest) -> None:
    """Reject output paths whose folder does not exist before anything is measured."""
    for option, path in (("--json", request.json_path), ("--markdown", request.markdown_path),
                         ("--html", request.html_path)):
        if path and path != "-" and not Path(path).parent.is_dir():
            raise UsageError(
                f"folder not found for {option} {path}: create {Path(path).parent} first"
            )
    if request.markdown_path == "-" or request.html_path == "-":
        raise UsageError("--markdown and --html take a file path; only --json takes -")


def attribution_settings(request: CompareRequest) -> AttributionSettings | None:
    """Return the attribution runs each measured variant gets, or None for --timing-only.

    The table uses the import tree and the allocations, not CPU samples, so compare makes
    no sampler run; `coldstart profile` of one variant shows its hot spots.
    """
    if request.timing_only:
        return None
    return AttributionSettings(
        imports=request.imports, allocations=request.allocations, sampler="none"
    )


def collect_reports(
    specs: list[VariantSpec], labels: list[str], request: CompareRequest, streams: Streams
) -> list[dict[str, Any]]:
    """Load the saved reports and measure the other variants together, interleaved."""
    reports: list[dict[str, Any] | None] = [None] * len(specs)
    measured: list[tuple[int, Variant]] = []
    for index, (spec, label) in enumerate(zip(specs, labels, strict=True)):
        if spec.report_path is not None:
            reports[index] = load_report(spec.report_path)
        else:
            measured.append((index, build_measured_variant(spec, label, request)))
    if measured:
        results = measure_variants(
            [variant for _, variant in measured], request.runs, streams,
            attribution=attribution_settings(request),
        )
        for (index, _), report in zip(measured, results, strict=True):
            report["findings"] = build_findings(report)
            reports[index] = report
    return [report for report in reports if report is not None]


def write_outputs(comparison: dict[str, Any], request: CompareRequest, streams: Streams) -> None:
    from coldstart.render.comparison_html import render_comparison_html
    from coldstart.render.comparison_markdown import render_comparison_markdown

    if request.json_path:
        text = json.dumps(comparison, indent=2) + "\n"
        if request.json_path == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_text_atomically(Path(request.json_path), text)
            streams.note(f"wrote {request.json_path}")
    if request.markdown_path:
        markdown = render_comparison_markdown(comparison)
        write_text_atomically(Path(request.markdown_path), markdown)
        streams.note(f"wrote {request.markdown_path}")
    if request.html_path:
        write_text_atomically(Path(request.html_path), render_comparison_html(comparison))
        streams.note(f"wrote {request.html_path}")


def run(request: CompareRequest, streams: Streams) -> int:
    from coldstart.render.comparison_terminal import render_comparison_terminal

    if len(request.variants) < 2:
        raise UsageError(
            f"compare needs at least two variants, got {len(request.variants)}: "
            "give a reference and a changed variant"
        )
    check_outputs(request)
    specs = [parse_variant(text) for text in request.variants]
    labels = choose_labels(specs, request.labels)
    reports = collect_reports(specs, labels, request, streams)
    sources = ["report" if spec.report_path else "measured" for spec in specs]
    comparison = build_comparison(reports, labels, [spec.text for spec in specs], sources)
    streams.print(render_comparison_terminal(comparison))
    for label, report in zip(labels, reports, strict=True):
        notes = (report.get("attribution") or {}).get("notes") or []
        for warning in (report.get("warnings") or []) + notes:
            streams.warn(f"{label}: {warning}")
    write_outputs(comparison, request, streams)
    if any(variant["status"] != "ok" for variant in comparison["variants"]):
        return ExitCode.TARGET_FAILED
    return ExitCode.OK
