"""Write a baseline for the gate: one report per target, keyed by this machine's Python,
platform and CPU."""

from __future__ import annotations

import sys
from pathlib import Path

from coldstart.commands.common import check_python
from coldstart.commands.gate import GateRequest, build_variant, load_gate_config, measure
from coldstart.console import Streams
from coldstart.errors import TargetFailed, UsageError
from coldstart.gate.baseline import (
    describe_key,
    environment_key,
    load_baseline,
    new_baseline,
    put_entry,
    save_baseline,
)


def output_path(request: GateRequest, configured: Path | None) -> Path:
    if request.json_path:
        return Path(request.json_path)
    if configured is not None:
        return configured
    raise UsageError(
        "no output file: give -o FILE, or set baseline = \"FILE\" under [tool.coldstart]"
    )


def create_parent_folder(path: Path) -> None:
    """Create the baseline's folder (.coldstart/ in a fresh repository) before measuring."""
    if path.is_dir():
        raise UsageError(f"output path {path} is a folder: give a file name")
    try:
        path.resolve().parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create the folder of {path}: {error.strerror or error}; check the path"
        ) from error


def existing_or_new(path: Path, force: bool, streams: Streams) -> dict:
    """Return the baseline to add to: the existing file with --force, else a new one.

    Raises UsageError when the file exists and --force was not given, before anything is
    measured.
    """
    if not path.exists():
        return new_baseline()
    if not force:
        raise UsageError(f"{path} already exists; add --force to replace this machine's entry")
    try:
        return load_baseline(path)
    except UsageError as error:
        streams.warn(f"{error}; --force replaces the whole file")
        return new_baseline()


def run(request: GateRequest, force: bool, streams: Streams) -> int:
    """Measure every target and store the reports under this machine's key."""
    config = load_gate_config(request)
    path = output_path(request, config.baseline)
    create_parent_folder(path)
    baseline = existing_or_new(path, force, streams)
    python = check_python(config.python or sys.executable)
    variants = [build_variant(target, config, python) for target in config.targets]
    reports = measure(variants, config, streams)

    for target, report in zip(config.targets, reports, strict=True):
        if report["error"] is not None:
            raise TargetFailed(
                f"{target.name} failed to start ({report['error']['type']}: "
                f"{report['error']['message']}); the baseline was not written"
            )
        failed = [run for run in report["runs"] if run["status"] != "ok"]
        if failed:
            streams.warn(f"{target.name}: {len(failed)} of {len(report['runs'])} runs failed "
                         f"({failed[0]['error']['type']}); the gate compares only the "
                         "successful ones")
        for warning in report["warnings"]:
            streams.warn(f"{target.name}: {warning}")
    key = environment_key(reports[0]["environment"])
    named = {target.name: report for target, report in zip(config.targets, reports, strict=True)}
    replaced = put_entry(baseline, key, named)
    save_baseline(path, baseline)
    action = "replaced the entry" if replaced else "added an entry"
    streams.note(f"wrote {path}: {action} for {describe_key(key)} "
                 f"({len(named)} target{'s' if len(named) != 1 else ''})")
    streams.note(f"next: commit {path} and run `coldstart gate --baseline {path}` in CI")
    return 0
