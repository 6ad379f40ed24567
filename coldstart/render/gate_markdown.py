"""Render the gate's verdicts as GitHub-flavoured Markdown, for a CI job summary."""

from __future__ import annotations

from coldstart.gate.checks import CheckResult

STATUS_MARKS = {"pass": "✅ pass", "fail": "❌ **fail**", "skip": "⏭️ skip", "error": "💥 **error**"}


def escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_gate_markdown(
    results: list[CheckResult], verdict: str, reference: str, notes: list[str]
) -> str:
    """Return a Markdown section: the verdict heading, the table, then the notes."""
    lines = [f"### coldstart gate {verdict}", ""]
    if reference:
        lines += [f"Current code against {escape_cell(reference)}.", ""]
    lines += [
        "| target | check | verdict | reference | current | change | limit | detail |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for result in results:
        cells = [
            result.target, result.check, STATUS_MARKS[result.status], result.reference,
            result.current, result.change, result.limit, result.message,
        ]
        lines.append("| " + " | ".join(escape_cell(cell) for cell in cells) + " |")
    if notes:
        lines.append("")
        lines.extend(f"- {escape_cell(note)}" for note in notes)
    return "\n".join(lines) + "\n"
