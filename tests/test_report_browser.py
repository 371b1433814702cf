"""report.html in a real browser: Chromium (Debian's /usr/bin/chromium, or $NASBENCH_CHROMIUM)
driven by Playwright, offline. The page loads with no console error and no request beyond the file,
every figure is drawn, the summary table shows the numbers of summary.csv, a click on a legend
entry hides that strategy's curve, and a phone-wide window needs no sideways scrolling.

Skips, saying why, where Playwright (``pip install 'nasbench[browser]'``) or a Chromium binary is
absent (``apt-get install chromium``; Playwright's own browser download is not used)."""
from __future__ import annotations

import csv
import math
import os
import shutil
from pathlib import Path

import pytest

import report_results

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def _chromium() -> str | None:
    env = os.environ.get("NASBENCH_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed "
                                   "(pip install 'nasbench[browser]')")
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set NASBENCH_CHROMIUM to its binary)")
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        except Exception as exc:  # noqa: BLE001 - a browser that cannot start here: say so and skip
            pytest.skip(f"Chromium at {exe} does not start: {str(exc).splitlines()[0]}")
        yield b
        b.close()


class Opened:
    """A report opened offline, with what it logged and asked for."""

    def __init__(self, browser, path: Path, width: int = 1100) -> None:
        self.context = browser.new_context(offline=True, viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                        else route.abort())
        self.page.goto(path.resolve().as_uri())
        n = self.page.eval_on_selector_all(".figure", "els => els.length")
        self.page.wait_for_function(f"document.querySelectorAll('.figure .main-svg').length >= {n}", timeout=20000)
        self.figures = n

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def single(browser):
    opened = Opened(browser, report_results.single() / "report.html")
    yield opened
    opened.close()


DRAWN = """el => {
  const gd = el;
  const traces = el.querySelectorAll('.cartesianlayer g.trace').length;
  const heat = el.querySelectorAll('.heatmaplayer image, .heatmaplayer .hm').length;
  const lines = Array.from(el.querySelectorAll('path.js-line, path.js-fill, .violinlayer path'))
      .filter(p => (p.getAttribute('d') || '').length > 10).length;
  const box = el.querySelector('.main-svg').getBoundingClientRect();
  return {kind: el.dataset.figure, data: gd.data.length, traces: traces, heat: heat, lines: lines,
          w: box.width, h: box.height};
}"""


def _drawn(opened: Opened) -> list[dict]:
    return opened.page.eval_on_selector_all(".figure", f"els => els.map({DRAWN})")


def test_loads_offline_without_errors_and_draws_every_figure(single):
    assert single.errors == []
    assert all(u.startswith("file:") for u in single.requests), single.requests
    figs = _drawn(single)
    assert [f["kind"] for f in figs] == ["regret-queries", "regret-time", "final-values"]
    for f in figs:
        assert f["w"] > 200 and f["h"] > 200, f
        assert f["traces"] >= f["data"] > 0 and f["lines"] > 0, f  # every trace drawn, with real paths


def test_summary_table_shows_summary_csv(single):
    with open(report_results.single() / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    shown = single.page.eval_on_selector_all(
        "table[data-file='summary.csv'] tbody tr",
        "trs => trs.map(tr => Array.from(tr.children).map(c => [c.dataset.col, c.innerText.trim()]))")
    assert len(shown) == len(rows)
    for row, cells in zip(rows, shown):
        cells = dict(cells)
        assert cells["strategy"] == row["strategy"]
        for col, value in row.items():
            if col == "strategy":
                continue
            text, v = cells[col], float(value)
            digits = len(text.split(".")[1]) if "." in text else 0
            assert (text == "n/a") if math.isnan(v) else abs(float(text) - v) <= 0.5 * 10 ** -digits + 1e-12


def test_legend_click_hides_and_shows_a_strategy(single):
    page = single.page
    fig = page.locator(".figure[data-figure='regret-queries']")
    fid = fig.get_attribute("id")
    count = f"document.querySelectorAll('#{fid} .scatterlayer g.trace').length"
    state = (f"label => document.getElementById('{fid}').data.filter(t => t.name === label)"
             ".map(t => t.visible === undefined ? true : t.visible)")
    before = page.evaluate(count)
    entry = fig.locator(".legend g.traces").filter(has_text="evolution")
    assert entry.count() == 1
    entry.click()
    page.wait_for_function(f"{count} < {before}")
    assert page.evaluate(state, "evolution") == ["legendonly", "legendonly"]  # its band and its mean line
    assert page.evaluate(count) == before - 2
    assert page.evaluate(state, "random") == [True, True]
    entry.click()
    page.wait_for_function(f"{count} == {before}")
    assert page.evaluate(state, "evolution") == [True, True]


def test_hover_shows_values(single):
    page = single.page
    fig = page.locator(".figure[data-figure='regret-queries']")
    fig.scroll_into_view_if_needed()
    box = fig.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    hover = f"document.querySelector('#{fig.get_attribute('id')} .hoverlayer').textContent"
    page.wait_for_function(f"{hover}.includes('±')", timeout=5000)
    text = page.evaluate(hover)
    assert "5 runs" in text and all(k in text for k in report_results.STRATEGIES)  # x unified: every strategy


def test_phone_width_needs_no_sideways_scrolling(browser):
    opened = Opened(browser, report_results.single() / "report.html", width=390)
    try:
        assert opened.errors == []
        width = opened.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], width  # wide tables scroll inside their own box
        assert all(f["w"] <= 390 and f["lines"] > 0 for f in _drawn(opened))
    finally:
        opened.close()


def test_multi_table_report_in_the_browser(browser):
    opened = Opened(browser, report_results.multi() / "report.html")
    try:
        assert opened.errors == []
        figs = _drawn(opened)
        kinds = [f["kind"] for f in figs]
        assert kinds[:2] == ["ranks", "normalised-regret"] and kinds.count("final-values") == 2
        for f in figs:
            assert f["w"] > 200 and (f["heat"] > 0 if f["kind"] == "ranks" else f["traces"] >= f["data"] > 0), f
    finally:
        opened.close()
