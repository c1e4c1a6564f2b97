"""Layout on a phone, on a desktop and on paper, for every lesson and demo page.

Phone (390x844, touch) and desktop (1280x800): no page scrolls sideways; each demo's first chart is
within one screen height of its first control; at most five controls before "More settings"; no
Plotly modebar on touch. Print (media emulated at the A4 text width, then a real PDF): nothing is
wider than the paper, charts fit their box and overlap no text, the answers come at the end.
Set LAYOUT_SHOTS=<dir> to keep a screenshot of every page and the PDFs, to look at them.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from webapp.demos import REGISTRY
from tests.browser.predictions import LESSONS, lesson as revealed_lesson

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("LAYOUT_SHOTS")
PAPER_WIDTH = 703  # CSS px of A4 (210 mm) inside print.css's 12 mm side margins

CHARTS_DRAWN = "() => [...document.querySelectorAll('[data-figure]')].every(el => el.hasAttribute('data-drawn'))"

MEASURE = """() => {
  const top = el => el.getBoundingClientRect().top + window.scrollY;
  const demos = [...document.querySelectorAll('.demo')].map(d => {
    const chart = d.querySelector('.demo-result .chart-figure');
    const control = d.querySelector('.demo-controls .control input, .demo-controls .control fieldset');
    return {id: d.id, chart: chart && top(chart), control: control && top(control),
            upFront: d.querySelectorAll('form.demo-controls > .control').length,
            modebars: d.querySelectorAll('.modebar').length};
  });
  return {scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth,
          height: window.innerHeight, demos};
}"""

PRINT_PROBLEMS = """(paper) => {
  const problems = [];
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && el.className.baseVal === undefined ? '.' + String(el.className).split(' ')[0] : '');
  if (document.documentElement.scrollWidth > paper + 1) problems.push('page is ' + document.documentElement.scrollWidth + ' px wide');
  for (const el of document.querySelectorAll('main *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > paper + 1 && !el.closest('.visually-hidden')) { problems.push(name(el) + ' ends at ' + Math.round(r.right) + ' px'); break; }
  }
  const text = [...document.querySelectorAll('.demo p, .demo h2, .demo h3, .demo dl, .demo table, .demo figcaption:not(.visually-hidden), .prose > *, .question')];
  for (const fig of document.querySelectorAll('.chart-figure')) {
    const f = fig.getBoundingClientRect();
    const svg = fig.querySelector('.main-svg');
    if (svg) {
      const s = svg.getBoundingClientRect();
      if (s.right > f.right + 1 || s.bottom > f.bottom + 1) problems.push(name(fig.firstElementChild) + ' drawn outside its figure');
    }
    for (const t of text) {
      if (fig.contains(t) || t.contains(fig)) continue;
      const r = t.getBoundingClientRect();
      if (r.height && r.left < f.right - 2 && r.right > f.left + 2 && r.top < f.bottom - 2 && r.bottom > f.top + 2)
        problems.push(name(fig.firstElementChild) + ' overlaps ' + name(t));
    }
  }
  const answers = document.querySelector('.print-answers');
  if (document.querySelector('.question') && !(answers && answers.offsetHeight)) problems.push('no answers section in print');
  return problems;
}"""


def urls():
    for slug in LESSONS:
        yield slug, None
    for demo_id in sorted(REGISTRY):
        yield None, f"/demos/{demo_id}"
    yield None, "/lab"


def _open(page, live_server, slug, path):
    page.goto(revealed_lesson(live_server, slug) if slug else live_server + path)
    page.wait_for_function(CHARTS_DRAWN)


@pytest.mark.parametrize("width,height,touch", [(390, 844, True), (1280, 800, False)], ids=["phone", "desktop"])
def test_demos_keep_chart_near_controls_and_never_scroll_sideways(browser, live_server, width, height, touch):
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=touch, is_mobile=touch)
    page = context.new_page()
    problems = []
    for slug, path in urls():
        _open(page, live_server, slug, path)
        where = slug or path
        m = page.evaluate(MEASURE)
        # A mobile browser widens its layout viewport to the content: compare with the screen itself.
        if m["scrollWidth"] > width + 1 or m["width"] > width:
            problems.append(f"{where}: page is {m['scrollWidth']} px wide on a {width} px screen")
        for d in m["demos"]:
            # The failure lab (/lab) is its own layout: its result leads on a phone, its form beside it.
            if path != "/lab" and d["chart"] is not None and d["control"] is not None \
                    and abs(d["chart"] - d["control"]) > m["height"]:
                problems.append(f"{where} {d['id']}: first chart {d['chart'] - d['control']:+.0f} px from its first control")
            if d["upFront"] > 5:
                problems.append(f"{where} {d['id']}: {d['upFront']} controls before More settings")
            if touch and d["modebars"]:
                problems.append(f"{where} {d['id']}: Plotly modebar on a touch screen")
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"{'phone' if touch else 'desktop'}-{where.strip('/').replace('/', '-')}.png"), full_page=True)
    context.close()
    assert problems == [], "\n".join(problems)


def test_phone_chart_stays_in_view_while_a_slider_moves(browser, live_server):
    page = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True).new_page()
    _open(page, live_server, None, "/demos/bulkhead")
    slider = page.locator("#demo-bulkhead form.demo-controls > .control input[type=range]").last
    slider.scroll_into_view_if_needed()
    slider.focus()
    page.keyboard.press("ArrowRight")
    # The move redraws the result at once (sliders.js): read the chart once the new one is drawn.
    page.wait_for_load_state("networkidle")
    page.wait_for_function(CHARTS_DRAWN)
    expect(page.locator("#demo-bulkhead .chart-figure").first).to_be_visible()
    chart = page.locator("#demo-bulkhead .chart-figure").first.bounding_box()
    assert chart["y"] >= -1 and chart["y"] < 844 / 2, chart  # pinned at the top while the control has focus


def test_lessons_print_on_paper_without_overlap(browser, live_server, tmp_path):
    context = browser.new_context(viewport={"width": PAPER_WIDTH, "height": 1000})
    page = context.new_page()
    problems = {}
    out = Path(SHOTS) if SHOTS else tmp_path
    for slug in LESSONS:
        _open(page, live_server, slug, None)
        page.emulate_media(media="print")
        page.wait_for_selector("html[data-print-ready]", state="attached")  # charts redrawn at paper width
        found = page.evaluate(PRINT_PROBLEMS, PAPER_WIDTH)
        closed = page.evaluate("() => document.querySelectorAll('details:not([open])').length")
        if closed:
            found.append(f"{closed} <details> still closed")
        if found:
            problems[slug] = found[:8]
        pdf = page.pdf(path=str(out / f"print-{slug}.pdf"), format="A4", print_background=False)
        assert pdf[:4] == b"%PDF" and pdf.count(b"/Type /Page") > 1, slug
        page.emulate_media(media="screen")
    context.close()
    assert problems == {}, problems


def test_workshop_pack_holds_every_lesson_and_prints(page, live_server):
    page.set_viewport_size({"width": PAPER_WIDTH, "height": 1000})
    page.goto(live_server + "/pack")
    page.wait_for_function(CHARTS_DRAWN, timeout=60_000)
    titles = page.locator(".pack-lesson h1").all_inner_texts()
    assert titles == [lesson.title for lesson in LESSONS.values()]
    assert page.locator(".pack-lesson .withheld").count() == 0  # nothing waits for a prediction on paper
    page.emulate_media(media="print")
    page.wait_for_selector("html[data-print-ready]", state="attached", timeout=60_000)
    assert page.evaluate(PRINT_PROBLEMS, PAPER_WIDTH)[:8] == []
