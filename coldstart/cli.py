"""The command line: parse options, call one command module, map failures to exit codes.

Command modules are imported inside each command so that `coldstart --help` and
`coldstart --version` import neither rich tables, boto3, psutil nor pyinstrument.
"""

from __future__ import annotations

import copy
import sys
from typing import Annotated

import typer

from coldstart import __version__
from coldstart.errors import ColdstartError, ExitCode

app = typer.Typer(
    name="coldstart",
    help="Profile the cold start of Python serverless functions (AWS Lambda first).",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=False,
)

RunsOption = Annotated[
    int, typer.Option("--runs", metavar="N", help="Fresh interpreter processes to run.")
]
EventOption = Annotated[
    str | None,
    typer.Option("--event", metavar="FILE", help="JSON file with the event (default: {})."),
]
EnvOption = Annotated[
    list[str] | None,
    typer.Option(
        "--env", metavar="KEY=VALUE", help="KEY=VALUE set in the handler's environment; repeatable."
    ),
]
PythonOption = Annotated[
    str | None,
    typer.Option(
        "--python", metavar="PATH", help="Interpreter to run the handler under (default: this one)."
    ),
]
MemoryOption = Annotated[
    int, typer.Option("--memory", metavar="MB", help="Memory size in MB, as configured on Lambda.")
]
TimeoutOption = Annotated[
    float,
    typer.Option("--timeout", metavar="SECONDS", help="Function timeout in seconds, per invoke."),
]
InitTimeoutOption = Annotated[
    float, typer.Option("--init-timeout", metavar="SECONDS", help="Init phase timeout in seconds.")
]
JsonOption = Annotated[
    str | None,
    typer.Option("--json", metavar="FILE", help="Write the JSON report to FILE, or - for stdout."),
]
HtmlOption = Annotated[
    str | None,
    typer.Option("--html", metavar="FILE", help="Write a self-contained HTML report to FILE."),
]
SpeedscopeOption = Annotated[
    str | None,
    typer.Option("--speedscope", metavar="FILE",
                 help="Write imports and CPU stacks as a speedscope file to FILE."),
]
CollapsedOption = Annotated[
    str | None,
    typer.Option("--collapsed", metavar="FILE",
                 help="Write folded CPU stacks (flamegraph.pl, inferno) to FILE, and folded "
                 "import chains to FILE with .imports before its extension."),
]
FlamegraphOption = Annotated[
    str | None,
    typer.Option("--flamegraph", metavar="FILE.svg", help="Write an SVG flame graph to FILE.svg."),
]
OutputOption = Annotated[
    list[str] | None,
    typer.Option("--output", "-o", metavar="FILE",
                 help="Write FILE in the format its extension names (.html, .svg, "
                 ".speedscope.json, .folded, .json); repeatable."),
]
MinMsOption = Annotated[
    float | None,
    typer.Option("--min-ms",
                 help="Collapse import and CPU tree entries below this many milliseconds in "
                 "the terminal (default: 1.5% of the tree's total, at least 0.5 ms). Each "
                 "tree shows at most 40 entries, the largest first; the JSON report has "
                 "them all."),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Overwrite output files that exist (default: stop).")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
NoColorOption = Annotated[
    bool, typer.Option("--no-color", help="No colour in the output (also NO_COLOR).")
]


def show_version(value: bool) -> None:
    if value:
        print(f"coldstart {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Profile the cold start of Python serverless functions (AWS Lambda first)."""


def make_streams(quiet: bool, no_color: bool, json_path: str | None = None):  # noqa: ANN201
    from coldstart.console import Streams

    return Streams(quiet=quiet, no_color=no_color, json_to_stdout=json_path == "-")


@app.command()
def profile(
    target: Annotated[
        str,
        typer.Argument(
            metavar="TARGET",
            help="app.py, app.py:function, or a handler string such as src/orders/app.handler.",
        ),
    ],
    handler: Annotated[
        str | None,
        typer.Option(
            "--handler",
            metavar="NAME",
            help="Function in the file (default: handler, else lambda_handler).",
        ),
    ] = None,
    root: Annotated[
        str | None,
        typer.Option(
            "--root",
            metavar="DIR",
            help="Task root a handler string is resolved against (default: .).",
        ),
    ] = None,
    runs: RunsOption = 10,
    warm_invokes: Annotated[
        int,
        typer.Option(
            "--warm-invokes", metavar="K", help="Warm invokes after the first one, in each run."
        ),
    ] = 3,
    event: EventOption = None,
    env: EnvOption = None,
    python: PythonOption = None,
    memory: MemoryOption = 128,
    timeout: TimeoutOption = 3.0,
    init_timeout: InitTimeoutOption = 10.0,
    json_path: JsonOption = None,
    html: HtmlOption = None,
    speedscope: SpeedscopeOption = None,
    collapsed: CollapsedOption = None,
    flamegraph: FlamegraphOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
    no_color: NoColorOption = False,
    timing_only: Annotated[bool, typer.Option(
        "--timing-only", help="Make only the clean timing runs: no attribution runs."
    )] = False,
    no_imports: Annotated[bool, typer.Option(
        "--no-imports", help="Skip the import-tree run (-X importtime)."
    )] = False,
    no_alloc: Annotated[bool, typer.Option(
        "--no-alloc", help="Skip the allocation run (tracemalloc)."
    )] = False,
    sampler: Annotated[str, typer.Option(
        "--sampler",
        help="CPU sampler for the hot-spot run: py-spy, pyinstrument or none "
             "(default: py-spy where it can trace, else pyinstrument).",
    )] = "auto",
    alloc_frames: Annotated[int | None, typer.Option(
        "--alloc-frames",
        help="Frames kept per allocation in the tracemalloc run; each extra frame slows "
             "that run down (1 is about 5x a clean init, 4 about 13x; default: 1).",
    )] = None,
    py_spy_rate: Annotated[int | None, typer.Option(
        "--py-spy-rate",
        help="Samples per second for py-spy (default: 250; higher slows the sampled run).",
    )] = None,
    min_ms: MinMsOption = None,
) -> None:
    """Measure cold starts of a local handler in fresh interpreter processes.

    Report files are written even when the target fails (exit status 3). An existing
    output file stops the command before it measures anything, unless --force is given.
    """
    from coldstart.commands import profile as command
    from coldstart.render.outputs import OutputRequest

    outputs = OutputRequest(json=json_path, html=html, speedscope=speedscope,
                            collapsed=collapsed, flamegraph=flamegraph, output=output or [],
                            force=force)
    request = command.ProfileRequest(
        target=target, handler=handler, root=root, runs=runs, warm_invokes=warm_invokes,
        event=event, env=env or [], python=python or sys.executable, memory_mb=memory,
        timeout_s=timeout, init_timeout_s=init_timeout, json_path=json_path, outputs=outputs,
        timing_only=timing_only, imports=not no_imports, allocations=not no_alloc,
        sampler=sampler, alloc_frames=alloc_frames, py_spy_rate_hz=py_spy_rate,
        min_ms=min_ms,
    )
    raise typer.Exit(command.run(request, make_streams(quiet, no_color, json_path)))


@app.command()
def invoke(
    arn: Annotated[
        str,
        typer.Option(
            "--arn",
            metavar="ARN",
            help="Function name, partial or full ARN, optionally with :VERSION or :ALIAS.",
        ),
    ],
    cold: Annotated[int, typer.Option("--cold", metavar="N", help="Cold starts to force.")] = 5,
    warm: Annotated[
        int, typer.Option("--warm", metavar="K", help="Warm invokes after each cold one.")
    ] = 3,
    event: EventOption = None,
    qualifier: Annotated[
        str | None,
        typer.Option(
            "--qualifier",
            metavar="QUALIFIER",
            help="Version or alias to invoke (default: the one in --arn, else $LATEST).",
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            metavar="REGION",
            help="AWS region (default: the one in --arn, else the AWS configuration).",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", metavar="NAME", help="AWS named profile for credentials."),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            metavar="URL",
            help="Lambda API endpoint, such as http://127.0.0.1:9001 for an emulator.",
        ),
    ] = None,
    strategy: Annotated[
        str,
        typer.Option(
            "--strategy",
            metavar="update|concurrent",
            help="update: change one environment variable before each cold invoke, then "
            "restore; concurrent: parallel invokes, no configuration change.",
        ),
    ] = "update",
    json_path: JsonOption = None,
    markdown_path: Annotated[
        str | None,
        typer.Option(
            "--markdown", metavar="FILE", help="Write a Markdown summary to FILE, or - for stdout."
        ),
    ] = None,
    quiet: QuietOption = False,
    no_color: NoColorOption = False,
) -> None:
    """Invoke a deployed Lambda function, force cold starts and parse its REPORT lines."""
    from coldstart.commands import invoke as command

    request = command.InvokeRequest(
        arn=arn, cold=cold, warm=warm, event=event, qualifier=qualifier, region=region,
        profile=profile, endpoint_url=endpoint_url, strategy=strategy, json_path=json_path,
        markdown_path=markdown_path,
    )
    to_stdout = "-" if "-" in (json_path, markdown_path) else None
    raise typer.Exit(command.run(request, make_streams(quiet, no_color, to_stdout)))


@app.command()
def logs(
    source: Annotated[
        str | None,
        typer.Argument(
            metavar="FILE",
            help="Log file (CloudWatch export as text, CSV or JSON lines), or - for stdin.",
        ),
    ] = None,
    function: Annotated[
        str | None,
        typer.Option(
            "--function",
            metavar="NAME",
            help="Read from CloudWatch Logs: the function's name or ARN.",
        ),
    ] = None,
    since: Annotated[
        str,
        typer.Option(
            "--since",
            metavar="DURATION",
            help="With --function: how far back to read, such as 30m, 1h, 2d.",
        ),
    ] = "1h",
    region: Annotated[
        str | None, typer.Option("--region", metavar="REGION", help="AWS region.")
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", metavar="NAME", help="AWS named profile for credentials."),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            metavar="URL",
            help="CloudWatch Logs endpoint, such as http://127.0.0.1:5000.",
        ),
    ] = None,
    json_path: JsonOption = None,
    quiet: QuietOption = False,
    no_color: NoColorOption = False,
) -> None:
    """Summarise REPORT, INIT_REPORT and platform.report records from a log or CloudWatch."""
    from coldstart.commands import logs as command

    request = command.LogsRequest(
        source=source, function=function, since=since, region=region, profile=profile,
        endpoint_url=endpoint_url, json_path=json_path,
    )
    raise typer.Exit(command.run(request, make_streams(quiet, no_color, json_path)))


ConfigOption = Annotated[str | None, typer.Option(
    "--config", help="pyproject.toml to read [tool.coldstart] from (default: ./pyproject.toml)."
)]
GateRunsOption = Annotated[int | None, typer.Option(
    "--runs", help="Fresh interpreter processes per target and side (default 10).")]
GateWarmInvokesOption = Annotated[int | None, typer.Option(
    "--warm-invokes", help="Warm invokes after the first one, in each run (default 3).")]
GateMemoryOption = Annotated[int | None, typer.Option(
    "--memory", help="Memory size in MB, as configured on Lambda (default 128).")]
GateTimeoutOption = Annotated[float | None, typer.Option(
    "--timeout", help="Function timeout in seconds, per invoke (default 3).")]
GateInitTimeoutOption = Annotated[float | None, typer.Option(
    "--init-timeout", help="Init phase timeout in seconds (default 10).")]
GateHandlerOption = Annotated[str | None, typer.Option(
    "--handler", help="Function in the TARGET file (default: handler, else lambda_handler).")]
GateRootOption = Annotated[str | None, typer.Option(
    "--root", help="Task root a handler string is resolved against (default: .).")]


GateAttributionOption = Annotated[bool | None, typer.Option(
    "--attribution/--no-attribution",
    help="Make one import-time and one tracemalloc run per target and side after the timing "
    "runs, to name new modules with their cost and check allocations (default: on).",
)]


def run_flags(
    runs: int | None, warm_invokes: int | None, memory: int | None, timeout: float | None,
    init_timeout: float | None, python: str | None, attribution: bool | None,
) -> dict[str, object]:
    """Map the run flags to configuration keys; None means the flag was not given."""
    return {
        "runs": runs, "warm_invokes": warm_invokes, "memory": memory, "timeout": timeout,
        "init_timeout": init_timeout, "python": python, "attribution": attribution,
    }


@app.command()
def gate(
    target: Annotated[str | None, typer.Argument(
        help="Gate this one target instead of the targets in pyproject.toml."
    )] = None,
    against: Annotated[str | None, typer.Option(
        "--against", help="Git ref to measure in a temporary worktree, interleaved with the "
        "working tree (recommended)."
    )] = None,
    baseline: Annotated[str | None, typer.Option(
        "--baseline", help="Baseline file written by `coldstart baseline save`."
    )] = None,
    max_regression: Annotated[float | None, typer.Option(
        "--max-regression", help="Tolerated slowdown of the median, in percent (default 10)."
    )] = None,
    max_new_modules: Annotated[int | None, typer.Option(
        "--max-new-modules", help="Modules newly imported at init tolerated (default 0)."
    )] = None,
    max_alloc_growth: Annotated[float | None, typer.Option(
        "--max-alloc-growth", help="Tolerated growth of bytes allocated at init, in percent "
        "(default 10)."
    )] = None,
    max_init_ms: Annotated[float | None, typer.Option(
        "--max-init-ms", help="Budget for the median init time, in ms.")] = None,
    max_cold_start_ms: Annotated[float | None, typer.Option(
        "--max-cold-start-ms", help="Budget for the median cold start, in ms.")] = None,
    max_peak_rss_mib: Annotated[float | None, typer.Option(
        "--max-peak-rss-mib", help="Budget for the highest peak RSS, in MiB.")] = None,
    max_init_alloc_mib: Annotated[float | None, typer.Option(
        "--max-init-alloc-mib", help="Budget for the memory allocated at init, in MiB.")] = None,
    max_imported_modules: Annotated[int | None, typer.Option(
        "--max-imported-modules", help="Budget for the number of modules imported at init."
    )] = None,
    handler: GateHandlerOption = None,
    root: GateRootOption = None,
    runs: GateRunsOption = None,
    warm_invokes: GateWarmInvokesOption = None,
    event: EventOption = None,
    env: EnvOption = None,
    python: PythonOption = None,
    memory: GateMemoryOption = None,
    timeout: GateTimeoutOption = None,
    init_timeout: GateInitTimeoutOption = None,
    attribution: GateAttributionOption = None,
    config: ConfigOption = None,
    junit: Annotated[str | None, typer.Option(
        "--junit", help="Write JUnit XML to FILE: one test case per target and check.")] = None,
    markdown: Annotated[str | None, typer.Option(
        "--markdown", help="Write the Markdown summary to FILE (it is also appended to "
        "$GITHUB_STEP_SUMMARY when that is set).")] = None,
    json_path: Annotated[str | None, typer.Option(
        "--json", help="Write the verdicts and reports as JSON to FILE, or - for stdout.")] = None,
    quiet: QuietOption = False,
    no_color: NoColorOption = False,
) -> None:
    """Fail CI when a change makes cold starts slower: exit 1 on a regression or budget."""
    from coldstart.commands import gate as command

    flags = {
        **run_flags(runs, warm_invokes, memory, timeout, init_timeout, python, attribution),
        "against": against, "baseline": baseline, "max_regression": max_regression,
        "max_new_modules": max_new_modules, "max_alloc_growth": max_alloc_growth,
        "max_init_ms": max_init_ms, "max_cold_start_ms": max_cold_start_ms,
        "max_peak_rss_mib": max_peak_rss_mib, "max_init_alloc_mib": max_init_alloc_mib,
        "max_imported_modules": max_imported_modules,
    }
    request = command.GateRequest(
        flags=flags, targets=[target] if target else [], handler=handler, root=root,
        event=event, env=env or [], config_path=config, junit=junit, markdown=markdown,
        json_path=json_path,
    )
    raise typer.Exit(command.run(request, make_streams(quiet, no_color, json_path)))


@app.command()
def emulate(
    target: Annotated[str, typer.Argument(
        help="app.py, app.py:function, or a handler string such as src/orders/app.handler."
    )],
    handler: Annotated[str | None, typer.Option(
        "--handler", help="Function in the file (default: handler, else lambda_handler)."
    )] = None,
    root: Annotated[str | None, typer.Option(
        "--root", help="Task root a handler string is resolved against (default: .)."
    )] = None,
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on. Anything but loopback exposes the handler."
    )] = "127.0.0.1",
    port: Annotated[int, typer.Option(
        "--port", help="TCP port to listen on; 0 picks a free one and prints it."
    )] = 9001,
    env: EnvOption = None,
    python: PythonOption = None,
    memory: MemoryOption = 128,
    timeout: TimeoutOption = 3.0,
    init_timeout: InitTimeoutOption = 10.0,
    max_environments: Annotated[int, typer.Option(
        "--max-environments",
        help="Execution environments per function at once; more concurrent invokes are "
             "throttled (429).",
    )] = 10,
    update_delay: Annotated[float, typer.Option(
        "--update-delay",
        help="Seconds a configuration update stays InProgress before it is Successful.",
    )] = 0.0,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also log every HTTP request."
    )] = False,
    quiet: QuietOption = False,
    no_color: NoColorOption = False,
) -> None:
    """Serve the Lambda API for one handler on 127.0.0.1, with real cold and warm starts."""
    from coldstart.commands import emulate as command

    request = command.EmulateRequest(
        target=target, handler=handler, root=root, env=env or [],
        python=python or sys.executable, memory_mb=memory, timeout_s=timeout,
        init_timeout_s=init_timeout, host=host, port=port,
        max_environments=max_environments, update_delay_s=update_delay, verbose=verbose,
    )
    raise typer.Exit(command.run(request, make_streams(quiet, no_color)))


baseline_app = typer.Typer(
    help="Write the baseline that `coldstart gate --baseline` compares with.",
    no_args_is_help=True,
)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("save")
def baseline_save(
    targets: Annotated[list[str] | None, typer.Argument(
        help="Targets to measure (default: the targets in pyproject.toml)."
    )] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Baseline file to write (default: the configured baseline)."
    )] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace this machine's entry in an existing file.")] = False,
    handler: GateHandlerOption = None,
    root: GateRootOption = None,
    runs: GateRunsOption = None,
    warm_invokes: GateWarmInvokesOption = None,
    event: EventOption = None,
    env: EnvOption = None,
    python: PythonOption = None,
    memory: GateMemoryOption = None,
    timeout: GateTimeoutOption = None,
    init_timeout: GateInitTimeoutOption = None,
    attribution: GateAttributionOption = None,
    config: ConfigOption = None,
    quiet: QuietOption = False,
    no_color: NoColorOption = False,
) -> None:
    """Measure targets and write their reports as a baseline, keyed by Python, OS and CPU."""
    from coldstart.commands import baseline as command
    from coldstart.commands.gate import GateRequest

    request = GateRequest(
        flags=run_flags(runs, warm_invokes, memory, timeout, init_timeout, python,
                        attribution),
        targets=targets or [], handler=handler, root=root, event=event, env=env or [],
        config_path=config, json_path=output,
    )
    raise typer.Exit(command.run(request, force, make_streams(quiet, no_color)))


@app.command()
def compare(
    variants: Annotated[list[str], typer.Argument(
        help="Two or more variants, the first one the reference: a TARGET as for profile, "
             "TARGET@KEY=VALUE,KEY=VALUE (the same handler with extra environment "
             "variables), or a report saved with --json."
    )],
    label: Annotated[list[str] | None, typer.Option(
        "--label", help="Column name of each variant, in order; repeat once per variant."
    )] = None,
    handler: Annotated[str | None, typer.Option(
        "--handler", help="Function in each file (default: handler, else lambda_handler)."
    )] = None,
    root: Annotated[str | None, typer.Option(
        "--root", help="Task root handler strings are resolved against (default: .)."
    )] = None,
    runs: Annotated[int, typer.Option(
        "--runs", help="Fresh interpreter processes per variant, interleaved across variants."
    )] = 10,
    warm_invokes: Annotated[int, typer.Option(
        "--warm-invokes", help="Warm invokes after the first one, in each run."
    )] = 3,
    event: EventOption = None,
    env: EnvOption = None,
    python: PythonOption = None,
    memory: MemoryOption = 128,
    timeout: TimeoutOption = 3.0,
    init_timeout: InitTimeoutOption = 10.0,
    json_path: Annotated[str | None, typer.Option(
        "--json", help="Write the comparison as JSON to FILE (each variant's report "
                       "inside), or - for stdout."
    )] = None,
    markdown_path: Annotated[str | None, typer.Option(
        "--markdown", help="Write the table as Markdown to FILE, for a pull request."
    )] = None,
    html_path: Annotated[str | None, typer.Option(
        "--html", help="Write the table as a self-contained HTML page to FILE."
    )] = None,
    quiet: QuietOption = False,
    no_color: NoColorOption = False,
    timing_only: Annotated[bool, typer.Option(
        "--timing-only", help="Make only the clean timing runs: no attribution runs."
    )] = False,
    no_imports: Annotated[bool, typer.Option(
        "--no-imports", help="Skip the import-tree run (-X importtime) of each variant."
    )] = False,
    no_alloc: Annotated[bool, typer.Option(
        "--no-alloc", help="Skip the allocation run (tracemalloc) of each variant."
    )] = False,
) -> None:
    """Run variants side by side, interleaved, and compare them in one table."""
    from coldstart.commands import compare as command

    request = command.CompareRequest(
        variants=variants, labels=label or [], handler=handler, root=root, runs=runs,
        warm_invokes=warm_invokes, event=event, env=env or [],
        python=python or sys.executable, memory_mb=memory, timeout_s=timeout,
        init_timeout_s=init_timeout, json_path=json_path, markdown_path=markdown_path,
        html_path=html_path, timing_only=timing_only, imports=not no_imports,
        allocations=not no_alloc,
    )
    raise typer.Exit(command.run(request, make_streams(quiet, no_color, json_path)))


@app.command()
def report(
    report_file: Annotated[str, typer.Argument(
        metavar="FILE.json", help="A report saved with --json."
    )],
    json_path: JsonOption = None,
    html: HtmlOption = None,
    speedscope: SpeedscopeOption = None,
    collapsed: CollapsedOption = None,
    flamegraph: FlamegraphOption = None,
    output: OutputOption = None,
    force: ForceOption = False,
    min_ms: MinMsOption = None,
    quiet: QuietOption = False,
    no_color: NoColorOption = False,
) -> None:
    """Render a saved report again, without measuring.

    With no output option, prints the report in the terminal. An existing output file
    stops the command unless --force is given.
    """
    from coldstart.commands import report as command
    from coldstart.render.outputs import OutputRequest

    outputs = OutputRequest(json=json_path, html=html, speedscope=speedscope,
                            collapsed=collapsed, flamegraph=flamegraph, output=output or [],
                            force=force)
    request = command.ReportRequest(path=report_file, outputs=outputs, min_ms=min_ms)
    raise typer.Exit(command.run(request, make_streams(quiet, no_color, json_path)))


def print_error(message: str) -> None:
    sys.stderr.write(f"coldstart: error: {message}\n")


def show_click_error(error: Exception) -> None:
    """Print a bad option value on one line, like our own errors; others as click does."""
    if type(error).__name__ == "BadParameter":
        print_error(f"{error.format_message()} (see --help)")  # type: ignore[attr-defined]
    else:
        error.show()  # type: ignore[attr-defined]


def click_exceptions() -> tuple[type[Exception], type[Exception]]:
    """Return click's ClickException and Abort as the installed typer provides them.

    Newer typer (0.29 here) vendors click as typer._click and defines Abort itself.
    """
    try:
        from typer._click.exceptions import ClickException
        from typer.exceptions import Abort
    except ImportError:
        from click.exceptions import Abort, ClickException
    return ClickException, Abort


def raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal_name(signum))


def signal_name(signum: int) -> str:
    import signal

    return signal.Signals(signum).name


def handle_termination_signals() -> None:
    """Treat SIGTERM and SIGHUP (a cancelled CI job, a closed terminal) as Ctrl-C.

    The KeyboardInterrupt unwinds through the cleanup code, which kills the worker's
    process group and removes temporary folders.
    """
    import signal

    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, raise_interrupt)
    # A shell starts background jobs with SIGINT ignored, and Python then installs no
    # KeyboardInterrupt handler; restore it so that kill -INT stops any command.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def command_name(info: typer.models.CommandInfo) -> str:
    return info.name or info.callback.__name__.replace("_", "-")


def app_for(arguments: list[str]) -> typer.Typer:
    """Return an app holding only the command the arguments name, or the whole app.

    typer builds the options of every registered command before it runs one, so a
    smaller app keeps coldstart's own start-up short.
    """
    name = next((argument for argument in arguments if not argument.startswith("-")), None)
    commands = [info for info in app.registered_commands if command_name(info) == name]
    groups = [info for info in app.registered_groups if info.name == name]
    if not commands and not groups:
        return app
    single = copy.copy(app)
    single.registered_commands = commands
    single.registered_groups = groups
    return single


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the only place that turns exceptions into exit codes."""
    arguments = sys.argv[1:] if argv is None else argv
    if arguments == ["--version"]:
        print(f"coldstart {__version__}")
        return finish(ExitCode.OK, argv)
    click_exception, abort = click_exceptions()
    command = typer.main.get_command(app_for(arguments))
    handle_termination_signals()
    try:
        result = command.main(args=argv, prog_name="coldstart", standalone_mode=False)
    except ColdstartError as error:
        print_error(str(error))
        code = int(error.exit_code)
    except click_exception as error:
        show_click_error(error)
        code = getattr(error, "exit_code", ExitCode.USAGE)
    except (KeyboardInterrupt, abort):
        code = ExitCode.INTERRUPTED
        print_error("interrupted")
    except BrokenPipeError:
        code = ExitCode.OK
    else:
        # typer turns Ctrl-C inside a command into exit status 130. The emulator handles
        # Ctrl-C itself and prints its own line.
        code = result if isinstance(result, int) else ExitCode.OK
        if code == ExitCode.INTERRUPTED and "emulate" not in arguments[:1]:
            print_error("interrupted")
    return finish(code, argv)


def finish(code: int, argv: list[str] | None) -> int:
    """Exit with the code when run as the console script, else return it."""
    if argv is None:
        sys.exit(int(code))
    return int(code)
