"""Gate cold starts in CI: compare with a git ref or a stored baseline, and check budgets."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coldstart.attribution.runner import AttributionSettings
from coldstart.commands.common import check_python, load_event
from coldstart.console import Streams
from coldstart.environment import parse_env_pairs
from coldstart.errors import GateFailed, TargetFailed, UsageError
from coldstart.gate.baseline import describe_key, environment_key, load_baseline, select_entry
from coldstart.gate.checks import (
    ERROR,
    FAIL,
    PASS,
    SKIP,
    CheckResult,
    Reference,
    check_target,
    failures,
)
from coldstart.gate.config import GateConfig, TargetConfig, load_config
from coldstart.gate.worktree import rebase_folder, ref_worktree, repository_root
from coldstart.launcher import RunOptions
from coldstart.measure import Variant, measure_variants
from coldstart.model import describe_environment
from coldstart.render.json_file import write_text_atomically
from coldstart.target import resolve_target

GATE_SCHEMA = "coldstart.gate/1"
WEAK_EVIDENCE = (
    "absolute timings stored by another job, perhaps on another machine, are weak "
    "evidence: noise between CI jobs is far larger than within one. --against REF "
    "measures both sides in this job, runs interleaved"
)


@dataclass
class GateRequest:
    """Everything `coldstart gate` and `coldstart baseline save` were asked to do."""

    # Configuration keys given as flags; None means not given.
    flags: dict[str, Any] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    handler: str | None = None
    root: str | None = None
    event: str | None = None
    env: list[str] = field(default_factory=list)
    config_path: str | None = None
    junit: str | None = None
    markdown: str | None = None
    json_path: str | None = None


@dataclass
class Outcome:
    """One target's current report and what it was compared with."""

    target: TargetConfig
    report: dict[str, Any]
    reference: Reference | None


def cli_targets(request: GateRequest) -> list[TargetConfig]:
    """Turn TARGET arguments into target configurations relative to the current folder."""
    env = parse_env_pairs(request.env)
    return [
        TargetConfig(name=text, target=text, base_dir=Path.cwd().resolve(),
                     handler=request.handler, root=request.root, event=request.event, env=env)
        for text in request.targets
    ]


def load_gate_config(request: GateRequest) -> GateConfig:
    """Read the configuration; raise UsageError when there is nothing to gate."""
    targets = cli_targets(request)
    config_path = Path(request.config_path) if request.config_path else None
    config = load_config(request.flags, targets or None, config_path)
    if not config.targets:
        raise UsageError(
            "nothing to gate: give a TARGET, or add [[tool.coldstart.targets]] with a "
            "target key to pyproject.toml"
        )
    return config


def resolve_in(target: TargetConfig, base_dir: Path) -> Any:
    """Resolve the target's TARGET string with relative paths taken from base_dir."""
    file_part, colon, function = target.target.partition(":")
    if file_part.endswith(".py"):
        path = Path(file_part)
        text = str(path if path.is_absolute() else base_dir / path) + colon + function
        root = str(base_dir / target.root) if target.root else None
    else:
        text = target.target
        root = str(base_dir / (target.root or "."))
    return resolve_target(text, target.handler, root)


def build_variant(
    target: TargetConfig, config: GateConfig, python: str, base_dir: Path | None = None,
    label: str | None = None,
) -> Variant:
    """Build one variant; base_dir replaces the target's folder (a worktree at a ref).

    The event file always comes from the target's own folder, so both sides of a
    comparison get the same event.
    """
    resolved = resolve_in(target, base_dir or target.base_dir)
    event_path = str(target.base_dir / target.event) if target.event else None
    options = RunOptions(
        python=python,
        event=load_event(event_path),
        env=dict(target.env),
        memory_mb=config.memory,
        timeout_s=config.timeout,
        init_timeout_s=config.init_timeout,
        warm_invokes=config.warm_invokes,
    )
    return Variant(resolved, options, label or target.name)


def attribution_settings(config: GateConfig) -> AttributionSettings | None:
    """Return the import-time and allocation runs to make, without a CPU sampler."""
    if not config.attribution:
        return None
    return AttributionSettings(imports=True, allocations=True, sampler="none")


def measure(variants: list[Variant], config: GateConfig, streams: Streams) -> list[dict]:
    """Make the interleaved timing runs, then the attribution runs, of the variants."""
    return measure_variants(variants, config.runs, streams,
                            attribution=attribution_settings(config))


def check_output_folders(*paths: str | None) -> None:
    """Raise UsageError before measuring when an output file's folder does not exist."""
    for path in paths:
        if not path or path == "-":
            continue
        if not Path(path).resolve().parent.is_dir():
            raise UsageError(f"output folder not found for {path}: create it first")
        if Path(path).is_dir():
            raise UsageError(f"output path {path} is a folder: give a file name")


def check_inside_repository(
    targets: list[TargetConfig], variants: list[Variant], repository: Path
) -> None:
    """Raise UsageError when a target's code lies outside the repository.

    Such a target has no counterpart at the ref: the same files would be measured on
    both sides, and the comparison would pass whatever changed.
    """
    for target, variant in zip(targets, variants, strict=True):
        root = variant.target.root.resolve()
        if not root.is_relative_to(repository):
            raise UsageError(
                f"target {target.name!r} is in {root}, outside the git repository "
                f"{repository}; for --against the target must be inside the repository "
                "(use --baseline FILE for code outside it)"
            )


def measure_against(
    config: GateConfig, python: str, streams: Streams
) -> tuple[list[Outcome], str]:
    """Measure each target at the ref and in the working tree, runs interleaved."""
    ref = config.against or ""
    current = [build_variant(target, config, python) for target in config.targets]
    project = config.targets[0].base_dir
    repository = repository_root(project)
    check_inside_repository(config.targets, current, repository)
    outcomes = []
    with ref_worktree(ref, project) as (worktree, commit):
        description = f"{ref} ({commit[:10]})"
        streams.note(f"measuring {ref} at {commit[:10]} in a temporary worktree, "
                     f"interleaved with the working tree, {config.runs} runs each")
        for target, variant in zip(config.targets, current, strict=True):
            try:
                ref_base = rebase_folder(target.base_dir, repository, worktree)
                ref_variant = build_variant(target, config, python, ref_base,
                                            label=f"{target.name} @ {ref}")
            except UsageError as error:
                [report] = measure([variant], config, streams)
                # The worktree is gone when the reason is read: name the ref instead.
                detail = str(error).replace(f"{worktree}/", f"{ref}:")
                reason = f"not measurable at {ref}: {detail}"
                outcomes.append(Outcome(target, report, Reference(None, description, reason)))
                continue
            ref_report, report = measure([ref_variant, variant], config, streams)
            reference = Reference(ref_report, description)
            if ref_report["error"] is not None:
                reference = Reference(None, description,
                                      f"the target failed to start at {ref}: "
                                      f"{ref_report['error']['type']}")
            outcomes.append(Outcome(target, report, reference))
    return outcomes, description


def measure_with_baseline(
    config: GateConfig, python: str, streams: Streams
) -> tuple[list[Outcome], str]:
    """Measure each target and compare it with the baseline entry for this machine."""
    path = config.baseline
    assert path is not None
    baseline = load_baseline(path)
    variants = [build_variant(target, config, python) for target in config.targets]
    key = environment_key(describe_environment(python, config.memory))
    entry, differences = select_entry(baseline, key, path)
    description = f"baseline {path} [{describe_key(entry['key'])}]"
    match = "an exact match" if not differences else "differs in " + "; ".join(differences)
    streams.warn(f"comparing with the stored baseline entry {describe_key(entry['key'])} "
                 f"({match}); {WEAK_EVIDENCE}")
    reports = measure(variants, config, streams)
    outcomes = []
    for target, report in zip(config.targets, reports, strict=True):
        stored = entry["reports"].get(target.name)
        reason = "" if stored else (
            f"no report for {target.name!r} in the baseline; add it with "
            "`coldstart baseline save --force`"
        )
        if stored:
            warn_on_changed_settings(target.name, stored, report, streams)
        outcomes.append(Outcome(target, report, Reference(stored, description, reason)))
    return outcomes, description


def warn_on_changed_settings(
    name: str, stored: dict[str, Any], report: dict[str, Any], streams: Streams
) -> None:
    """Warn when the baseline was measured with other settings (memory, env, timeouts)."""
    before = stored.get("settings") or {}
    after = report.get("settings") or {}
    changed = [
        f"{key} {before.get(key)!r} -> {after.get(key)!r}"
        for key in sorted(set(before) | set(after))
        if key != "runs" and before.get(key) != after.get(key)
    ]
    if changed:
        streams.warn(f"{name}: the baseline was measured with other settings "
                     f"({', '.join(changed)}); save it again with these settings")


def measure_alone(config: GateConfig, python: str, streams: Streams) -> list[Outcome]:
    variants = [build_variant(target, config, python) for target in config.targets]
    streams.warn("no baseline and no --against REF: only the budgets are checked")
    reports = measure(variants, config, streams)
    return [
        Outcome(target, report, None)
        for target, report in zip(config.targets, reports, strict=True)
    ]


def verdict_value(results: list[CheckResult]) -> str:
    """Return the stable verdict of the JSON result: "error", "failed" or "passed"."""
    if failures(results, ERROR):
        return "error"
    if failures(results, FAIL):
        return "failed"
    return "passed"


def count_checks(results: list[CheckResult]) -> dict[str, int]:
    """Count the checks by status, for the JSON result and the verdict line."""
    return {
        "checks": len(results),
        "passed": len(failures(results, PASS)),
        "failed": len(failures(results, FAIL)),
        "skipped": len(failures(results, SKIP)),
        "errors": len(failures(results, ERROR)),
    }


def verdict_of(results: list[CheckResult]) -> str:
    """Return the verdict in words: "passed: 3 passed, 4 skipped"."""
    counts = count_checks(results)
    parts = [f"{counts[status]} {status}" for status in ("passed", "failed", "skipped")
             if counts[status]]
    if counts["errors"]:
        parts.append(f"{counts['errors']} error{'s' if counts['errors'] != 1 else ''}")
    return f"{verdict_value(results)}: {', '.join(parts) or 'no checks'}"


def collect_notes(outcomes: list[Outcome], mode_note: str) -> list[str]:
    notes = [mode_note] if mode_note else []
    for outcome in outcomes:
        notes.extend(f"{outcome.target.name}: {warning}"
                     for warning in outcome.report.get("warnings", []))
    return notes


def gate_document(
    results: list[CheckResult], outcomes: list[Outcome], reference: str
) -> dict[str, Any]:
    """Return the JSON result: the verdicts, then the current and reference reports."""
    return {
        "schema": GATE_SCHEMA,
        "verdict": verdict_value(results),
        "counts": count_checks(results),
        "reference": reference,
        "checks": [result.to_dict() for result in results],
        "reports": {outcome.target.name: outcome.report for outcome in outcomes},
        "reference_reports": {
            outcome.target.name: outcome.reference.report
            for outcome in outcomes
            if outcome.reference is not None and outcome.reference.report is not None
        },
    }


def write_outputs(
    request: GateRequest, results: list[CheckResult], outcomes: list[Outcome],
    reference: str, notes: list[str], elapsed_s: float, streams: Streams,
) -> None:
    """Write the Markdown summary, JUnit XML and JSON result that were asked for.

    Every output is attempted before a write failure raises UsageError, so that one bad
    path loses none of the others.
    """
    from coldstart.render.gate_markdown import render_gate_markdown
    from coldstart.render.junit import render_junit

    verdict = verdict_of(results)
    markdown = render_gate_markdown(results, verdict, reference, notes)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        try:
            with open(step_summary, "a", encoding="utf-8") as summary:
                summary.write(markdown)
        except OSError as error:
            streams.warn(f"cannot append to GITHUB_STEP_SUMMARY {step_summary}: {error}")

    outputs: list[tuple[str, str]] = []
    if request.markdown:
        outputs.append((request.markdown, markdown))
    if request.junit:
        outputs.append((request.junit, render_junit(results, elapsed_s)))
    if request.json_path:
        document = gate_document(results, outcomes, reference)
        outputs.append((request.json_path, json.dumps(document, indent=2) + "\n"))
    failed = []
    for path, text in outputs:
        if path == "-":
            sys.stdout.write(text)
            continue
        try:
            write_text_atomically(Path(path), text)
        except OSError as error:
            failed.append(f"{path} ({error.strerror or error})")
            continue
        streams.note(f"wrote {path}")
    if failed:
        raise UsageError(f"cannot write {', '.join(failed)}; check the paths")


def raise_on_failure(results: list[CheckResult]) -> None:
    """Raise TargetFailed when a target failed to start, GateFailed on any failed check."""
    errors = failures(results, ERROR)
    if errors:
        first = errors[0]
        raise TargetFailed(f"gate: {first.target}: {first.message}")
    failed = failures(results, FAIL)
    if failed:
        named = ", ".join(f"{result.target} {result.check}" for result in failed)
        checks = f"{len(failed)} check{'s' if len(failed) != 1 else ''}"
        raise GateFailed(f"gate failed on {checks}: {named}")


def run(request: GateRequest, streams: Streams) -> int:
    """Measure, check, render and write; raise when the gate fails."""
    from coldstart.render.gate_terminal import render_gate_details, render_gate_table

    started = time.monotonic()
    config = load_gate_config(request)
    check_output_folders(request.junit, request.markdown, request.json_path)
    python = check_python(config.python or sys.executable)
    mode_note = ""
    if config.against:
        outcomes, reference = measure_against(config, python, streams)
    elif config.baseline:
        outcomes, reference = measure_with_baseline(config, python, streams)
        mode_note = f"Compared with a stored baseline: {WEAK_EVIDENCE}."
    else:
        outcomes, reference = measure_alone(config, python, streams), ""

    results = []
    for outcome in outcomes:
        results.extend(check_target(outcome.target.name, outcome.report, outcome.reference,
                                    outcome.target.limits))
    streams.print(render_gate_table(results, reference))
    streams.print(render_gate_details(results))
    for outcome in outcomes:
        for warning in outcome.report.get("warnings", []):
            streams.warn(f"{outcome.target.name}: {warning}")
    notes = collect_notes(outcomes, mode_note)
    write_outputs(request, results, outcomes, reference, notes,
                  time.monotonic() - started, streams)
    raise_on_failure(results)
    streams.note(f"gate {verdict_of(results)}")
    return 0
