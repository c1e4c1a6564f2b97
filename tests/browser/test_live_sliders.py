"""Sliders that feel live (static/js/sliders.js): the first move is sent at once, a burst of moves
sends far fewer requests than moves and always ends on the last value, and charts are updated in
place (the same plotted element, redrawn with Plotly.react) rather than built again."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def demo_requests(page, demo_id):
    sent = []
    page.on("request", lambda r: f"/demos/{demo_id}?" in r.url and sent.append(r.url))
    return sent


def test_first_move_goes_at_once_and_a_burst_ends_on_its_last_value(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/demos/backoff-timeline")
    expect(page.locator("#chart-backoff-timeline .main-svg").first).to_be_visible()
    sent = demo_requests(page, "backoff-timeline")
    slider = page.locator("#backoff-timeline-base_ms")
    slider.focus()
    page.evaluate("""() => {
      document.addEventListener("htmx:beforeRequest", () => { window.sent = true; });
      // The last listener of the input event's dispatch: has the request left already?
      window.addEventListener("input", () => { window.sentWithTheMove ??= window.sent === true; });
    }""")
    page.keyboard.press("ArrowRight")
    # No debounce: the request leaves while the input event is still being handled (htmx used to
    # wait 150 ms for the slider to rest).
    page.wait_for_function("() => window.sentWithTheMove !== undefined")
    assert page.evaluate("window.sentWithTheMove") is True
    expect(page.locator("#result-backoff-timeline .verdict")).to_have_text(re.compile("Gave up after 1,650 ms"))
    assert len(sent) == 1 and "base_ms=110" in sent[0]

    for _ in range(19):  # a burst as fast as the keyboard repeats: 110 ms -> 300 ms
        page.keyboard.press("ArrowRight")
    expect(page.locator("#result-backoff-timeline .verdict")).to_have_text(re.compile("Gave up after 4,500 ms"))
    page.wait_for_timeout(300)
    assert "base_ms=300" in sent[-1]  # the final value is always sent...
    assert len(sent) < 20  # ...and values overtaken while a request was in flight are not
    expect(page).to_have_url(re.compile(r"base_ms=300"))


def test_charts_are_updated_in_place(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/demos/retry-storm")
    chart = page.locator("#chart-retry-storm")
    expect(chart.locator(".main-svg").first).to_be_visible()
    chart.evaluate("el => { el.dataset.marked = 'same element'; }")
    before = chart.get_attribute("data-figure")
    page.locator("#retry-storm-clients").focus()
    page.keyboard.press("ArrowLeft")
    expect(chart).not_to_have_attribute("data-figure", before)
    # The very element plotly.js drew into, kept through the swap and given the new figure.
    assert chart.evaluate("el => el.dataset.marked") == "same element"
    drawn = chart.evaluate("el => el.data.map(t => (t.y || []).length)")
    assert drawn and all(n > 0 for n in drawn)
    expect(page.locator("#result-retry-storm .verdict")).to_be_visible()
