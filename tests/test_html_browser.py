"""The HTML report in headless Chromium: loads cleanly, requests nothing, zooms on click."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from coldstart.render.html import HtmlRenderer
from tests.conftest import FIXTURES, run_cli
from tests.report_samples import boto3_report, failed_report

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ZOOM_FRAME = 'g.frame[data-label="load_service_model (botocore/loaders.py)"]'


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: install Debian's chromium "
                    "package (make browser)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageLog:
    """Console errors, page errors and every request a page made."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("request", lambda request: self.requests.append(request.url))

    def on_console(self, message) -> None:  # noqa: ANN001
        if message.type in ("error", "warning"):
            self.errors.append(f"console {message.type}: {message.text}")


def open_report(browser, tmp_path: Path, report: dict) -> tuple[Page, PageLog, str]:
    path = tmp_path / "report.html"
    path.write_text(HtmlRenderer().render(report), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    log = PageLog(page)
    url = path.as_uri()
    page.goto(url, wait_until="load")
    return page, log, url


def rect_width(page: Page, selector: str) -> float:
    return float(page.locator(f"#cpu-graph {selector} rect").get_attribute("width"))


def test_report_loads_and_zooms(browser, tmp_path: Path) -> None:
    page, log, url = open_report(browser, tmp_path, boto3_report())
    assert log.errors == []
    assert log.requests == [url]
    widget = page.locator("#cpu-graph-widget")
    reset = widget.locator("button.reset")
    assert reset.is_disabled()
    width_before = rect_width(page, ZOOM_FRAME)
    assert width_before < 700

    page.locator(f"#cpu-graph {ZOOM_FRAME}").click()
    assert rect_width(page, ZOOM_FRAME) > 1190
    assert reset.is_enabled()
    invoke = page.locator('#cpu-graph g.frame[data-label="[first invoke]"]')
    assert invoke.evaluate("frame => frame.style.display") == "none"
    page.screenshot(path=str(tmp_path / "zoomed.png"), full_page=True)

    reset.click()
    assert rect_width(page, ZOOM_FRAME) == pytest.approx(width_before, abs=0.05)
    assert invoke.evaluate("frame => frame.style.display") == ""
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert log.errors == []
    assert log.requests == [url]


def test_failed_report_loads(browser, tmp_path: Path) -> None:
    page, log, url = open_report(browser, tmp_path, failed_report())
    assert log.errors == []
    assert log.requests == [url]
    assert page.locator("#error h2").inner_text() == "KeyError in phase init"
    page.screenshot(path=str(tmp_path / "failed.png"), full_page=True)



def test_search_highlights_frames(browser, tmp_path: Path) -> None:
    page, log, _ = open_report(browser, tmp_path, boto3_report())
    page.locator("#cpu-graph-widget input.search").fill("loaders")
    matches = page.locator("#cpu-graph g.frame.match")
    assert matches.count() == 3
    details = page.locator("#cpu-graph-widget .details").inner_text()
    assert details == "3 frames match, 37.5% of the graph"
    page.locator("#cpu-graph-widget input.search").fill("")
    assert page.locator("#cpu-graph g.frame.match").count() == 0
    assert log.errors == []


def test_profiled_report_in_browser(browser, tmp_path: Path) -> None:
    result = run_cli("profile", str(FIXTURES / "boto3_clients" / "app.py"), "--runs", "2",
                     "--html", str(tmp_path / "report.html"))
    assert result.returncode == 0, result.stderr
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    log = PageLog(page)
    url = (tmp_path / "report.html").as_uri()
    page.goto(url, wait_until="load")
    assert log.errors == []
    assert log.requests == [url]
    frame = page.locator('#imports-graph g.frame[data-label="botocore.session"]')
    width_before = float(frame.locator("rect").get_attribute("width"))
    frame.click()
    assert float(frame.locator("rect").get_attribute("width")) > max(width_before, 1190)
    page.screenshot(path=str(tmp_path / "boto3.png"), full_page=True)
    assert log.errors == []
    assert log.requests == [url]
