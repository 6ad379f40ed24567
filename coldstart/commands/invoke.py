"""Invoke a deployed Lambda function, force cold starts, and report its REPORT records."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from coldstart.commands.common import check_output_path, check_positive, load_event
from coldstart.console import Streams, counted
from coldstart.errors import ColdstartError, ExitCode, UsageError
from coldstart.lambda_api.arn import FunctionRef, parse_function_ref, region_of
from coldstart.lambda_api.aws import AwsSettings, aws_call, make_client, make_session
from coldstart.lambda_api.forcing import (
    EnvironmentForcer,
    check_update_strategy,
    environment_restored,
)
from coldstart.lambda_api.invoker import InvokeResult, invoke_once, log_group_of
from coldstart.lambda_api.lambda_report import build_lambda_report, build_run
from coldstart.lambda_api.preflight import preflight_warnings
from coldstart.model import failed_runs
from coldstart.render.json_file import write_json, write_text_atomically

STRATEGIES = ("update", "concurrent")


@dataclass
class InvokeRequest:
    """Everything `coldstart invoke` was asked to do."""

    arn: str
    cold: int = 5
    warm: int = 3
    event: str | None = None
    qualifier: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    strategy: str = "update"
    json_path: str | None = None
    markdown_path: str | None = None


@dataclass
class Deployment:
    """The function under test, its clients and what was read of its configuration."""

    ref: FunctionRef
    settings: AwsSettings
    client: Any
    logs_client: Any
    configuration: dict[str, Any]
    payload: bytes

    def invoke(self) -> InvokeResult:
        return invoke_once(
            self.client, self.ref.function_name, self.ref.qualifier, self.payload,
            self.logs_client, log_group_of(self.configuration, self.ref.name),
        )


def validate(request: InvokeRequest) -> FunctionRef:
    check_positive("--cold", request.cold)
    if request.warm < 0:
        raise UsageError(f"invalid --warm {request.warm}: use 0 or more")
    if request.json_path == "-" and request.markdown_path == "-":
        raise UsageError("--json - and --markdown - both write to stdout: give one a FILE")
    check_output_path(request.json_path, "--json")
    check_output_path(request.markdown_path, "--markdown")
    if request.strategy not in STRATEGIES:
        raise UsageError(
            f"invalid --strategy {request.strategy!r}: use one of {', '.join(STRATEGIES)}"
        )
    ref = parse_function_ref(request.arn, request.qualifier)
    region_of(ref, request.region, "--arn")
    return ref


def connect(request: InvokeRequest, ref: FunctionRef) -> Deployment:
    """Create the clients and read the function's configuration (GetFunctionConfiguration)."""
    payload = json.dumps(load_event(request.event)).encode("utf-8")
    settings = AwsSettings(
        region=region_of(ref, request.region, "--arn"), profile=request.profile,
        endpoint_url=request.endpoint_url,
    )
    session = make_session(settings)
    client = make_client(session, "lambda", settings)
    # The region the client resolved (from the profile or AWS_REGION when --region and
    # the ARN give none) goes into the report and into the printed restore command.
    settings = replace(settings, region=client.meta.region_name)
    logs_client = make_client(session, "logs", settings)
    arguments = {"FunctionName": ref.function_name}
    if ref.qualifier:
        arguments["Qualifier"] = ref.qualifier
    with aws_call("GetFunctionConfiguration", ref.label):
        configuration = client.get_function_configuration(**arguments)
    return Deployment(ref, settings, client, logs_client, configuration, payload)


Results = list[tuple[InvokeResult, list[InvokeResult]]]


def run_update_strategy(
    deployment: Deployment, cold: int, warm: int, progress: Callable[..., None],
    streams: Streams, results: Results,
) -> None:
    """Force each cold start with a nonce variable; restore the environment however it ends.

    Each finished run is appended to results at once, so that an interrupted run still
    reports the runs before it.
    """
    check_update_strategy(deployment.configuration, deployment.ref.qualifier)
    forcer = EnvironmentForcer(deployment.client, deployment.ref.function_name,
                               deployment.settings)
    unqualified = deployment.configuration
    if deployment.ref.qualifier not in (None, "$LATEST"):
        with aws_call("GetFunctionConfiguration", deployment.ref.name):
            unqualified = deployment.client.get_function_configuration(
                FunctionName=deployment.ref.function_name
            )
    forcer.save(unqualified)
    with environment_restored(forcer, deployment.ref.name, streams.note):
        for _ in range(cold):
            forcer.force_cold_start()
            first = deployment.invoke()
            progress()
            warm_results = []
            for _ in range(warm):
                warm_results.append(deployment.invoke())
                progress()
            results.append((first, warm_results))
    if forcer.conflicts_retried:
        streams.note(
            f"retried {counted(forcer.conflicts_retried, 'configuration update')} after "
            "ResourceConflictException"
        )


def run_concurrent_strategy(
    deployment: Deployment, cold: int, warm: int, progress: Callable[..., None],
    results: Results,
) -> None:
    """Invoke N times in parallel (each may land in a new environment), then K per run."""
    def invoke_and_advance() -> InvokeResult:
        result = deployment.invoke()
        progress()
        return result

    with ThreadPoolExecutor(max_workers=min(cold, 64)) as pool:
        firsts = list(pool.map(lambda _: invoke_and_advance(), range(cold)))
    for first in firsts:
        results.append((first, [invoke_and_advance() for _ in range(warm)]))


def build_runs(results: Results) -> list[dict[str, Any]]:
    """Turn invokes into runs; a warm invoke whose REPORT has Init Duration is a run too."""
    runs: list[dict[str, Any]] = []
    extra: list[InvokeResult] = []
    for first, warm in results:
        cold_among_warm = [r for r in warm if r.report is not None and r.report.cold]
        extra.extend(cold_among_warm)
        runs.append(build_run(len(runs), first, [r for r in warm if r not in cold_among_warm]))
    for result in extra:
        runs.append(build_run(len(runs), result, []))
    return runs


def describe_target(deployment: Deployment) -> dict[str, Any]:
    configuration = deployment.configuration
    return {
        "kind": "lambda",
        "function_name": deployment.ref.name,
        "function_arn": configuration.get("FunctionArn"),
        "qualifier": deployment.ref.qualifier,
        "version": configuration.get("Version"),
        "handler": configuration.get("Handler"),
        "region": deployment.settings.region,
        "endpoint_url": deployment.settings.endpoint_url,
        "label": deployment.ref.label,
    }


def collect_notes(results: Results) -> list[str]:
    notes: list[str] = []
    for first, warm in results:
        for result in (first, *warm):
            notes.extend(result.notes)
    return sorted(set(notes))


def has_have(count: int) -> str:
    return "has" if count == 1 else "have"


def cold_start_warnings(runs: list[dict[str, Any]], strategy: str, cold: int) -> list[str]:
    observed = sum(1 for run in runs if run["cold"])
    missing = sum(1 for run in runs if run["report_source"] == "none")
    warnings = []
    if observed + missing < cold:
        reason = (
            "parallel invokes can reuse an environment that has finished"
            if strategy == "concurrent"
            else "the forced invokes found warm environments"
        )
        warnings.append(
            f"only {observed} of {counted(cold, 'forced invoke')} started cold "
            f"(REPORT with Init Duration): {reason}"
        )
    if missing:
        warnings.append(
            f"{counted(missing, 'invoke')} {has_have(missing)} no REPORT (neither in the "
            "log tail nor in CloudWatch Logs), so their durations are missing"
        )
    return warnings


def missing_report_problem(results: Results, name: str) -> tuple[str, ExitCode] | None:
    """Return the message and exit code when a cold invoke has no REPORT, else None.

    Without its REPORT a cold start has no Init Duration and no Duration, so its figures
    are missing data, not a success. The exit code is 4 when the CloudWatch Logs search
    failed for these credentials or this network, and 3 when the function wrote no REPORT
    where Lambda puts it (no log tail and none in its log group).
    """
    missing = [first for first, _ in results if first.report is None]
    if not missing:
        return None
    if len(missing) == len(results):
        problem = (
            f"cannot report the cold starts of {name}: none of "
            f"{counted(len(results), 'cold invoke')} has a REPORT"
        )
    else:
        problem = (
            f"the cold-start figures of {name} are incomplete: "
            f"{len(missing)} of {counted(len(results), 'cold invoke')} "
            f"{has_have(len(missing))} no REPORT"
        )
    if any(result.log_search_failed for result in missing):
        return (
            f"{problem}; FilterLogEvents failed (see the notes above): grant "
            "logs:FilterLogEvents to these credentials or check the network",
            ExitCode.ENVIRONMENT,
        )
    return (
        f"{problem}, neither in the log tail nor in CloudWatch Logs; check that the "
        "function writes its logs (its role needs logs:CreateLogStream and "
        "logs:PutLogEvents, and LoggingConfig names the log group)",
        ExitCode.TARGET_FAILED,
    )


def write_outputs(report: dict[str, Any], request: InvokeRequest, streams: Streams) -> None:
    from coldstart.render.lambda_markdown import render_lambda_markdown

    if request.json_path:
        write_json(report, request.json_path)
        if request.json_path != "-":
            streams.note(f"wrote {request.json_path}")
    if request.markdown_path:
        text = render_lambda_markdown(report)
        if request.markdown_path == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_text_atomically(Path(request.markdown_path), text)
            streams.note(f"wrote {request.markdown_path}")


def invoke_all(
    request: InvokeRequest, deployment: Deployment, streams: Streams, results: Results
) -> None:
    from coldstart.commands.common import run_progress

    total = request.cold * (1 + request.warm)
    with run_progress(streams, total, f"invoking {deployment.ref.label}") as progress:
        if request.strategy == "update":
            run_update_strategy(
                deployment, request.cold, request.warm, progress, streams, results
            )
        else:
            run_concurrent_strategy(deployment, request.cold, request.warm, progress, results)


def build_report(
    request: InvokeRequest, deployment: Deployment, results: Results,
    warnings: list[str], notes: list[str],
) -> dict[str, Any]:
    runs = build_runs(results)
    settings = {
        "cold": request.cold, "warm": request.warm, "strategy": request.strategy,
        "qualifier": deployment.ref.qualifier, "event": request.event,
    }
    run_warnings = cold_start_warnings(runs, request.strategy, len(results))
    report = build_lambda_report(
        describe_target(deployment), deployment.configuration, settings, runs,
        warnings + run_warnings,
    )
    report["notes"] = notes + collect_notes(results)
    report["interrupted"] = False
    return report


def run(request: InvokeRequest, streams: Streams) -> int:
    from coldstart.render.lambda_terminal import render_lambda_terminal

    ref = validate(request)
    deployment = connect(request, ref)
    warnings, notes = preflight_warnings(deployment.client, ref, deployment.configuration)
    for warning in warnings:
        streams.warn(warning)
    results: Results = []
    try:
        invoke_all(request, deployment, streams, results)
    except (KeyboardInterrupt, ColdstartError) as error:
        if request.json_path or request.markdown_path:
            # Keep the finished runs, even none: write what was measured, then fail.
            report = build_report(request, deployment, results, warnings, notes)
            report["interrupted"] = isinstance(error, KeyboardInterrupt)
            report["warnings"].append(
                f"the run stopped early: {len(results)} of "
                f"{counted(request.cold, 'cold start')} done"
            )
            write_outputs(report, request, streams)
        raise
    report = build_report(request, deployment, results, warnings, notes)
    run_warnings = [warning for warning in report["warnings"] if warning not in warnings]
    streams.print(render_lambda_terminal(report))
    for warning in run_warnings:
        streams.warn(warning)
    for note in report["notes"]:
        streams.note(f"note: {note}")
    write_outputs(report, request, streams)
    missing = missing_report_problem(results, deployment.ref.name)
    if missing is not None:
        message, code = missing
        streams.error_line(message)
        return code
    if failed_runs(report):
        return ExitCode.TARGET_FAILED
    return ExitCode.OK
