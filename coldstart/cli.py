"""The command line: parse options, call one command module, map failures to exit codes.

Command modules are imported inside each command so that `coldstart --help` and
`coldstart --version` import neither rich tables, boto3, psutil nor pyinstrument.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

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

RunsOption = Annotated[int, typer.Option("--runs", help="Fresh interpreter processes to run.")]
EventOption = Annotated[
    Optional[str], typer.Option("--event", help="JSON file with the event (default: {}).")
]
EnvOption = Annotated[
    Optional[list[str]],
    typer.Option("--env", help="KEY=VALUE set in the handler's environment; repeatable."),
]
PythonOption = Annotated[
    Optional[str],
    typer.Option("--python", help="Interpreter to run the handler under (default: this one)."),
]
MemoryOption = Annotated[
    int, typer.Option("--memory", help="Memory size in MB, as configured on Lambda.")
]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", help="Function timeout in seconds, per invoke.")
]
InitTimeoutOption = Annotated[
    float, typer.Option("--init-timeout", help="Init phase timeout in seconds.")
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
                 "the terminal (default: 1.5% of the tree's total, at least 0.5 ms)."),
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
        typer.Option("--version", callback=show_version, is_eager=True,
                     help="Print the version and exit."),
    ] = False,
) -> None:
    """Profile the cold start of Python serverless functions (AWS Lambda first)."""


def make_streams(quiet: bool, no_color: bool, json_path: str | None = None):  # noqa: ANN201
    from coldstart.console import Streams

    return Streams(quiet=quiet, no_color=no_color, json_to_stdout=json_path == "-")


@app.command()
def profile(
    target: Annotated[str, typer.Argument(
        help="app.py, app.py:function, or a handler string such as src/orders/app.handler."
    )],
    handler: Annotated[Optional[str], typer.Option(
        "--handler", help="Function in the file (default: handler, else lambda_handler)."
    )] = None,
    root: Annotated[Optional[str], typer.Option(
        "--root", help="Task root a handler string is resolved against (default: .)."
    )] = None,
    runs: RunsOption = 10,
    warm_invokes: Annotated[int, typer.Option(
        "--warm-invokes", help="Warm invokes after the first one, in each run."
    )] = 3,
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
    alloc_frames: Annotated[int, typer.Option(
        "--alloc-frames",
        help="Frames kept per allocation in the tracemalloc run; each extra frame slows "
             "that run down (1 is about 5x a clean init, 4 about 13x).",
    )] = 1,
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


def click_module():  # noqa: ANN201
    """Return the click that typer runs on: vendored as typer._click since typer 0.24."""
    try:
        from typer import _click as click
    except ImportError:
        import click
    return click


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the only place that turns exceptions into exit codes."""
    click = click_module()
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="coldstart", standalone_mode=False)
    except ColdstartError as error:
        print_error(str(error))
        code = int(error.exit_code)
    except click.exceptions.Exit as exit_:
        code = exit_.exit_code
    except click.exceptions.ClickException as error:
        error.show()
        code = ExitCode.USAGE
    except (KeyboardInterrupt, click.exceptions.Abort):
        print_error("interrupted")
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        code = ExitCode.OK
    else:
        code = result if isinstance(result, int) else ExitCode.OK
    if argv is None:
        sys.exit(int(code))
    return int(code)
