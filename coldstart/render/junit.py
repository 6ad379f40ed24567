"""Render the gate's verdicts as JUnit XML: one test case per target and check."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from coldstart.gate.checks import CheckResult


def render_junit(results: list[CheckResult], elapsed_s: float) -> str:
    """Return a JUnit XML document that CI systems (GitHub, GitLab, Jenkins) can read."""
    counts = {
        "tests": len(results),
        "failures": sum(result.status == "fail" for result in results),
        "errors": sum(result.status == "error" for result in results),
        "skipped": sum(result.status == "skip" for result in results),
    }
    attributes = {key: str(value) for key, value in counts.items()}
    suites = ElementTree.Element(
        "testsuites", name="coldstart gate", time=f"{elapsed_s:.3f}", **attributes
    )
    suite = ElementTree.SubElement(suites, "testsuite", name="coldstart gate", **attributes)
    for result in results:
        case = ElementTree.SubElement(
            suite, "testcase", classname=f"coldstart.gate.{result.target}", name=result.check,
        )
        detail = describe(result)
        if result.status == "fail":
            ElementTree.SubElement(case, "failure", message=result.message,
                                   type="regression").text = detail
        elif result.status == "error":
            ElementTree.SubElement(case, "error", message=result.message,
                                   type="target failed").text = detail
        elif result.status == "skip":
            ElementTree.SubElement(case, "skipped", message=result.message)
        else:
            ElementTree.SubElement(case, "system-out").text = detail
    ElementTree.indent(suites)
    body = ElementTree.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def describe(result: CheckResult) -> str:
    fields = {
        "reference": result.reference,
        "current": result.current,
        "change": result.change,
        "limit": result.limit,
        "detail": result.message,
    }
    return "\n".join(f"{label}: {value}" for label, value in fields.items() if value)
