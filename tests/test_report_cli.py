"""`coldstart report` and the report options of `coldstart profile`, through the real CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import FIXTURES, run_cli
from tests.report_samples import boto3_report, failed_report
from tests.test_render_collapsed import parse_folded
from tests.test_render_speedscope import FILE_SCHEMA, check_events, check_samples

FILE_OPTIONS = {
    "--html": "report.html",
    "--speedscope": "report.speedscope.json",
    "--collapsed": "cpu.folded",
    "--flamegraph": "flame.svg",
}
WRITTEN = ["report.html", "report.speedscope.json", "cpu.folded", "cpu.imports.folded",
           "flame.svg"]


def saved_report(tmp_path: Path, report: dict | None = None) -> Path:
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(report or boto3_report()), encoding="utf-8")
    return path


def output_arguments(folder: Path) -> list[str]:
    arguments = []
    for option, name in FILE_OPTIONS.items():
        arguments += [option, str(folder / name)]
    return arguments


def check_outputs(folder: Path, stderr: str) -> None:
    for name in WRITTEN:
        path = folder / name
        assert path.exists(), name
        assert f"wrote {path}" in stderr, name
    assert "<!DOCTYPE html>" in (folder / "report.html").read_text()
    assert json.loads((folder / "report.speedscope.json").read_text())["profiles"]
    ElementTree.parse(folder / "flame.svg")


def test_report_prints_terminal(tmp_path: Path) -> None:
    result = run_cli("report", str(saved_report(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "orders/app.py:handler  (8/8 runs ok)" in result.stdout
    assert "cold start" in result.stdout


def test_report_writes_every_format(tmp_path: Path) -> None:
    result = run_cli("report", str(saved_report(tmp_path)), *output_arguments(tmp_path))
    assert result.returncode == 0, result.stderr
    check_outputs(tmp_path, result.stderr)
    assert result.stdout == ""


def test_report_output_by_extension(tmp_path: Path) -> None:
    result = run_cli("report", str(saved_report(tmp_path)), "-o", str(tmp_path / "a.html"),
                     "-o", str(tmp_path / "a.speedscope.json"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "a.html").read_text().startswith("<!DOCTYPE html>")
    speedscope = json.loads((tmp_path / "a.speedscope.json").read_text())
    assert speedscope["$schema"] == "https://www.speedscope.app/file-format-schema.json"


def test_report_json_to_stdout(tmp_path: Path) -> None:
    result = run_cli("report", str(saved_report(tmp_path)), "--json", "-")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == boto3_report()


def test_report_failed_target_renders(tmp_path: Path) -> None:
    source = saved_report(tmp_path, failed_report())
    result = run_cli("report", str(source), *output_arguments(tmp_path))
    assert result.returncode == 0, result.stderr
    check_outputs(tmp_path, result.stderr)
    assert "KeyError in phase init" in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize(("content", "message"), [
    (None, "report not found"),
    ("not json {", "not JSON"),
    ('{"schema": "other/1"}', "schema is 'other/1'"),
    ('{"schema": "coldstart.report/1", "runs": 3, "target": {}, "summary": {}}',
     "'runs' is missing or not a list"),
])
def test_report_invalid_file(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content)
    result = run_cli("report", str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_report_wrong_types_one_line(tmp_path: Path) -> None:
    report = boto3_report()
    report["summary"]["init_ms"] = "fast"
    result = run_cli("report", str(saved_report(tmp_path, report)), "--html",
                     str(tmp_path / "r.html"))
    assert result.returncode == 2
    assert "cannot render report" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_keeps_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("kept")
    result = run_cli("report", str(saved_report(tmp_path)), "--html", str(target))
    assert result.returncode == 2
    assert "exists: add --force to overwrite it" in result.stderr
    assert target.read_text() == "kept"
    forced = run_cli("report", str(saved_report(tmp_path)), "--html", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert target.read_text().startswith("<!DOCTYPE html>")


def test_profile_writes_every_format(tmp_path: Path) -> None:
    result = run_cli("profile", str(FIXTURES / "hello" / "app.py"), "--runs", "2",
                     "--json", str(tmp_path / "r.json"), *output_arguments(tmp_path))
    assert result.returncode == 0, result.stderr
    check_outputs(tmp_path, result.stderr)
    again = run_cli("report", str(tmp_path / "r.json"), "-o", str(tmp_path / "again.html"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.html").exists()


def test_profile_failed_target_writes(tmp_path: Path) -> None:
    result = run_cli("profile", str(FIXTURES / "failures" / "exception_at_import.py"),
                     "--runs", "2", *output_arguments(tmp_path))
    assert result.returncode == 3, result.stderr
    check_outputs(tmp_path, result.stderr)
    assert "KeyError in phase init" in (tmp_path / "report.html").read_text()


def test_profile_checks_outputs_first(tmp_path: Path) -> None:
    existing = tmp_path / "flame.svg"
    existing.write_text("kept")
    result = run_cli("profile", str(FIXTURES / "hello" / "app.py"), "--runs", "2",
                     "--flamegraph", str(existing))
    assert result.returncode == 2
    assert "exists: add --force to overwrite it" in result.stderr
    assert "startup" not in result.stdout
    assert existing.read_text() == "kept"


def test_profile_boto3_every_format(tmp_path: Path) -> None:
    result = run_cli("profile", str(FIXTURES / "boto3_clients" / "app.py"), "--runs", "2",
                     "--json", str(tmp_path / "r.json"), *output_arguments(tmp_path))
    assert result.returncode == 0, result.stderr
    check_outputs(tmp_path, result.stderr)

    speedscope = json.loads((tmp_path / "report.speedscope.json").read_text())
    jsonschema.validate(speedscope, FILE_SCHEMA)
    kinds = [profile["type"] for profile in speedscope["profiles"]]
    assert kinds[0] == "evented"
    assert "sampled" in kinds
    frame_count = len(speedscope["shared"]["frames"])
    for profile in speedscope["profiles"]:
        if profile["type"] == "evented":
            check_events(profile, frame_count)
        else:
            check_samples(profile, frame_count)

    cpu = parse_folded((tmp_path / "cpu.folded").read_text())
    imports = parse_folded((tmp_path / "cpu.imports.folded").read_text())
    assert cpu, "the py-spy or pyinstrument run gave no stacks"
    assert any(frames[-1] == "botocore.session" for frames, _ in imports)

    svg = ElementTree.parse(tmp_path / "flame.svg").getroot()
    labels = {group.get("data-label") for group in svg.iter("{http://www.w3.org/2000/svg}g")}
    assert "botocore.session" in labels
    assert "botocore.session ←" in (tmp_path / "report.html").read_text()
