"""The HTML renderer: self-contained, every section present, every section optional."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from coldstart.render.html import HtmlRenderer
from tests.report_samples import boto3_report, failed_report, timing_only_report

URL = re.compile(r"https?://[^\s\"'<>)]+")
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml",
              "http://www.w3.org/XML/1998/namespace", "http://www.w3.org/1999/xlink"}


class PageParser(HTMLParser):
    """Collect tags, ids and the attributes that could load something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.sources: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("src", "href", "srcset", "action", "data") and value:
                self.sources.append((tag, name, value))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(report: dict) -> tuple[str, PageParser]:
    page = HtmlRenderer().render(report)
    parser = PageParser()
    parser.feed(page)
    return page, parser


@pytest.mark.parametrize("build", [boto3_report, timing_only_report, failed_report])
def test_html_has_no_url(build) -> None:
    page, parser = parse(build())
    assert set(URL.findall(page)) <= NAMESPACES
    assert parser.tags.count("link") == 0
    assert parser.tags.count("img") == 0
    assert parser.tags.count("iframe") == 0
    assert [source for source in parser.sources if not source[2].startswith("#")] == []


def test_html_blocks_network_by_policy() -> None:
    page, _ = parse(boto3_report())
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page


def test_html_full_sections() -> None:
    page, parser = parse(boto3_report())
    for section in ("summary", "distribution", "findings", "imports", "cpu", "allocations",
                    "gc"):
        assert section in parser.ids, section
    assert "error" not in parser.ids
    assert "imports-graph" in parser.ids
    assert "cpu-graph" in parser.ids
    text = " ".join(parser.text)
    assert "dateutil.parser (+9.5 ms cumulative)" in text
    assert "botocore.session ← boto3.session ← boto3 ← app" in text
    assert "json/decoder.py:353" in text
    assert page.count('class="frame"') > 40


def test_html_timing_only() -> None:
    page, parser = parse(timing_only_report())
    text = " ".join(parser.text)
    assert "No import tree: this report has timings only" in text
    assert "No CPU samples" in text
    assert "No allocation figures" in text
    assert 'class="frame"' not in page
    assert "summary" in parser.ids


def test_html_failed_target() -> None:
    page, parser = parse(failed_report())
    assert "error" in parser.ids
    text = " ".join(parser.text)
    assert "KeyError in phase init" in text
    assert "3 of 3 runs failed" in text
    assert "TABLE = os.environ[\"ORDERS_TABLE\"]" in text
    assert "loading config <stage=dev>" in text
    assert "No run succeeded" in text


def test_html_extra_summary_figures() -> None:
    report = boto3_report()
    for index, run in enumerate(report["runs"]):
        run["billed_ms"] = 250.0 + index
    report["summary"]["billed_ms"] = {"n": 8, "median": 253.5, "min": 250.0, "max": 257.0,
                                      "mean": 253.5, "stdev": 2.4}
    page, parser = parse(report)
    cells = [text.strip() for text in parser.text]
    assert "billed" in cells
    assert "253.5" in cells
    assert "median 253.5" in cells, "billed_ms has its own strip in the distribution"


def test_html_sources_table() -> None:
    report = boto3_report()
    report["attribution"] = {"runs": [
        {"instrument": "tracemalloc", "status": "ok", "init_ms": 812.0, "init_inflation": 3.4},
    ], "notes": ["py-spy cannot trace here: fell back to pyinstrument"]}
    _, parser = parse(report)
    text = " ".join(parser.text)
    assert "8/8 runs ok" in text
    assert "tracemalloc" in text
    assert "3.40x" in text
    assert "fell back to pyinstrument" in text


def test_html_escapes_report_text() -> None:
    report = failed_report()
    report["error"]["message"] = "</script><script>alert(1)</script>"
    report["target"]["label"] = "<b>app</b>"
    page, parser = parse(report)
    assert parser.tags.count("script") == 1
    assert "b" not in parser.tags
    assert "&lt;/script&gt;" in page
