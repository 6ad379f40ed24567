"""Shared helpers: run the real CLI in a subprocess and read its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


def cli_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "NO_COLOR": "1",
        "COLUMNS": "120",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    })
    return env


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300,
            input_text: str | None = None) -> subprocess.CompletedProcess:
    """Run `python -m coldstart ARGS` and return the finished process (text output)."""
    return subprocess.run(
        [sys.executable, "-m", "coldstart", *args],
        cwd=cwd or REPO, env=cli_environment(), capture_output=True, text=True,
        timeout=timeout, input=input_text,
    )


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
