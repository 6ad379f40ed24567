"""A temporary `git worktree` of a ref, removed afterwards even on failure, Ctrl-C or SIGTERM."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from coldstart.errors import EnvironmentProblem, UsageError

GIT_TIMEOUT_S = 120
# The exit status of a process ended by SIGTERM, as shells report it.
SIGTERM_EXIT_STATUS = 128 + signal.SIGTERM


def git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run git and return the finished process; a missing git is an environment problem."""
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT_S,
        )
    except FileNotFoundError as error:
        raise EnvironmentProblem("git not found: install git to use --against") from error
    except subprocess.TimeoutExpired as error:
        raise EnvironmentProblem(
            f"git {' '.join(args)} timed out after {GIT_TIMEOUT_S} s"
        ) from error


def repository_root(folder: Path) -> Path:
    """Return the top folder of the working tree that contains folder."""
    completed = git(["rev-parse", "--show-toplevel"], folder)
    if completed.returncode != 0:
        raise UsageError(
            f"--against needs a git repository, but {folder} is not in one; "
            "use --baseline FILE instead"
        )
    return Path(completed.stdout.strip()).resolve()


def resolve_commit(ref: str, repository: Path) -> str:
    """Return the commit a ref names. Raises UsageError when git does not know the ref."""
    completed = git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repository)
    if completed.returncode != 0:
        raise UsageError(
            f"git ref not found: {ref}; fetch it first (in CI, check out with full history, "
            "e.g. fetch-depth: 0) or name an existing branch, tag or commit"
        )
    return completed.stdout.strip()


def raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # SystemExit unwinds through every finally block, so the worktree is removed.
    raise SystemExit(SIGTERM_EXIT_STATUS)


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into SystemExit inside the block; restore the old handler afterwards."""
    previous = signal.signal(signal.SIGTERM, raise_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_ignored() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM inside the block, so that a second Ctrl-C cannot stop cleanup."""
    previous = {
        number: signal.signal(number, signal.SIG_IGN)
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def remove_worktree(repository: Path, path: Path, holder: Path) -> None:
    """Remove the worktree, its folder and git's record of it, raising nothing."""
    with signals_ignored():
        try:
            git(["worktree", "remove", "--force", str(path)], repository)
            shutil.rmtree(holder, ignore_errors=True)
            git(["worktree", "prune"], repository)
        except (EnvironmentProblem, OSError):
            shutil.rmtree(holder, ignore_errors=True)


@contextmanager
def ref_worktree(ref: str, folder: Path) -> Iterator[tuple[Path, str]]:
    """Check out ref in a temporary worktree and yield its top folder and the commit.

    The worktree is detached, so no branch is created or moved. It is removed when the
    block ends, whether it returns, raises, is interrupted by Ctrl-C or gets SIGTERM.
    """
    repository = repository_root(folder)
    commit = resolve_commit(ref, repository)
    # A gate killed with SIGKILL leaves its worktree registered; once the temporary folder
    # is gone, prune drops the record. Prune removes only records whose folder is missing.
    git(["worktree", "prune"], repository)
    holder = Path(tempfile.mkdtemp(prefix="coldstart-ref-"))
    path = holder / "worktree"
    stopped = False
    with sigterm_unwinds():
        try:
            # No hooks: a post-checkout hook of the project must not run in the gate.
            completed = git(
                ["-c", "core.hooksPath=/dev/null", "worktree", "add", "--detach", "--quiet",
                 str(path), commit],
                repository,
            )
            if completed.returncode != 0:
                raise EnvironmentProblem(
                    f"git worktree add failed for {ref}: {completed.stderr.strip()}"
                )
            yield path, commit
        except SystemExit as error:
            stopped = error.code == SIGTERM_EXIT_STATUS
            raise
        finally:
            remove_worktree(repository, path, holder)
            if stopped:
                sys.stderr.write("coldstart: error: gate stopped by SIGTERM; "
                                 "removed its temporary worktree\n")


def rebase_folder(folder: Path, repository: Path, worktree: Path) -> Path:
    """Map a folder of the working tree to the same folder in the worktree."""
    try:
        relative = folder.resolve().relative_to(repository)
    except ValueError as error:
        raise UsageError(
            f"{folder} is outside the git repository {repository}, so it has no "
            "counterpart at the ref; run the gate from inside the repository"
        ) from error
    return worktree / relative
