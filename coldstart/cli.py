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
    Optional[str], typer.Option("--json", help="Write the JSON report to FILE, or - for stdout.")
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
    min_ms: Annotated[float | None, typer.Option(
        "--min-ms",
        help="Collapse import and CPU tree entries below this many milliseconds in the "
             "terminal (default: 1.5% of the tree's total, at least 0.5 ms).",
    )] = None,
) -> None:
    """Measure cold starts of a local handler in fresh interpreter processes."""
    from coldstart.commands import profile as command

    request = command.ProfileRequest(
        target=target, handler=handler, root=root, runs=runs, warm_invokes=warm_invokes,
        event=event, env=env or [], python=python or sys.executable, memory_mb=memory,
        timeout_s=timeout, init_timeout_s=init_timeout, json_path=json_path,
        timing_only=timing_only, imports=not no_imports, allocations=not no_alloc,
        sampler=sampler, alloc_frames=alloc_frames, py_spy_rate_hz=py_spy_rate,
        min_ms=min_ms,
    )
    raise typer.Exit(command.run(request, make_streams(quiet, no_color, json_path)))


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
