"""The glossary, search, theme switch and a demo page's reading guide, in a real browser."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()
VIEWPORTS = [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]
PAGES = ["/glossary", "/search?q=retry+budget", "/search?q=zzzz", "/search?q=" + "x" * 201,
         "/demos/retry-storm", "/lessons/bulkhead"]
SHOTS = Path(__file__).resolve().parent.parent.parent / "build" / "screenshots"


def serious_violations(page):
    page.evaluate(AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:5])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_glossary_and_search_pass_axe_in_both_themes(browser, live_server, theme):
    # The system says the opposite of the chosen theme: the choice must win.
    context = browser.new_context(bypass_csp=True, color_scheme="dark" if theme == "light" else "light")
    context.add_init_script(f"localStorage.setItem('reliability-lab-theme', '{theme}')")
    page = context.new_page()
    problems = {}
    for url in ["/glossary", "/search?q=retry+budget", "/search?q=" + "x" * 201, "/lessons/bulkhead"]:
        page.goto(live_server + url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        found = serious_violations(page)
        if found:
            problems[url] = found
    context.close()
    assert problems == {}, json.dumps(problems, indent=1)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_no_page_scrolls_sideways(browser, live_server, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for url in PAGES:
        page.goto(live_server + url)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (url, width)
        name = url.strip("/").replace("/", "-").replace("?q=", "-")[:40]
        page.screenshot(path=str(SHOTS / f"reference-{name}-{viewport['width']}.png"))
    context.close()


def test_search_from_the_header_reaches_the_step(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/")
    page.get_by_role("searchbox", name="Search the lessons and the glossary").fill("Erlang C")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/search?q=Erlang+C")
    expect(page.locator(".search-results mark").first).to_have_text("Erlang")
    page.locator(".search-results a[href^='/lessons/bulkhead#']").first.click()
    anchor = page.evaluate("location.hash.slice(1)")
    assert anchor and page.locator(f"[id='{anchor}']").is_visible()


def test_a_term_shows_its_definition_on_focus_and_escape_hides_it(watched_page, live_server):
    page = watched_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server}/lessons/bulkhead")
    term = page.locator("a.term[href='/glossary#term-erlang-c']")
    tip = page.locator("#tip-term-erlang-c")
    expect(tip).to_be_hidden()
    assert "has to wait" in term.evaluate(
        "el => document.getElementById(el.getAttribute('aria-describedby')).textContent")
    term.focus()
    expect(tip).to_be_visible()
    box, tip_box = term.bounding_box(), tip.bounding_box()
    assert tip_box["y"] >= box["y"] + box["height"] - 1  # under the word, not over it
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    page.mouse.move(5, 5)
    term.hover()
    expect(tip).to_be_visible()
    term.click()
    expect(page).to_have_url(f"{live_server}/glossary#term-erlang-c")
    expect(page.locator("#term-erlang-c")).to_be_in_viewport()


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1024, "height": 768},
                                      {"width": 1280, "height": 800}], ids=lambda v: str(v["width"]))
def test_every_tooltip_stays_inside_the_window(watched_page, live_server, viewport):
    page = watched_page
    page.set_viewport_size(viewport)
    for slug in ["bulkhead", "retry-storms", "key-points"]:
        page.goto(f"{live_server}/lessons/{slug}")
        terms = page.locator("a.term")
        assert terms.count() >= 5
        for i in range(terms.count()):
            terms.nth(i).focus()
            box = page.locator(".term-ref:focus-within .term-tip").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (slug, i, box)


def chart_text_colour(page):
    return page.evaluate("document.querySelector('[data-drawn]')._fullLayout.font.color")


def test_the_theme_switch_is_remembered_and_charts_follow_it(watched_page, live_server):
    page = watched_page
    page.emulate_media(color_scheme="light")
    page.goto(f"{live_server}/demos/retry-storm")
    page.wait_for_selector("[data-drawn]")
    light = chart_text_colour(page)
    switch = page.get_by_label("Theme")
    expect(switch).to_have_value("auto")
    switch.select_option("dark")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 22, 28)"
    dark = chart_text_colour(page)
    assert dark != light and dark.lower() in ("#e6eaef", "rgb(230, 234, 239)")
    # A new page in the same browser starts dark, before its first paint.
    page.goto(f"{live_server}/glossary")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    expect(page.get_by_label("Theme")).to_have_value("dark")
    page.get_by_label("Theme").select_option("auto")
    assert page.evaluate("document.documentElement.hasAttribute('data-theme')") is False
    assert page.evaluate("localStorage.getItem('reliability-lab-theme')") == "auto"


def test_the_chosen_theme_is_on_html_before_the_body_is_parsed(browser, live_server):
    context = browser.new_context(color_scheme="light")
    context.add_init_script("""localStorage.setItem('reliability-lab-theme', 'dark');
      document.addEventListener('readystatechange', () => {
        if (document.readyState === 'interactive') window.__themeAtInteractive = document.documentElement.dataset.theme; });
      new MutationObserver((_, obs) => { if (document.body) { window.__themeAtBody = document.documentElement.dataset.theme; obs.disconnect(); } })
        .observe(document, {childList: true, subtree: true});""")
    page = context.new_page()
    page.goto(f"{live_server}/")
    assert page.evaluate("window.__themeAtBody") == "dark"
    context.close()


def test_the_demo_page_says_how_to_read_it_and_opens_its_lesson_step(watched_page, live_server):
    page = watched_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/demos/cascade?timeout_ms=2000")
    expect(page.get_by_role("heading", name="How to read this chart")).to_be_visible()
    page.get_by_role("link", name="See this demo, in this state, in its lesson").click()
    expect(page).to_have_url(f"{live_server}/lessons/circuit-breaker?cascade.timeout_ms=2000#demo-cascade")
    expect(page.locator("#demo-cascade")).to_be_in_viewport()
