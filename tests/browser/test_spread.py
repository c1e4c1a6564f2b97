""""Run 20 seeds" in a real browser: a click fetches the spread after the page, the strip chart draws,
and the verdict counts and the table appear beside the single run; without JavaScript the same button
is a link to a page of its own."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import predictions

pytestmark = pytest.mark.browser


def test_run_20_seeds_shows_the_spread_beside_the_run(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/demos/retry-budget?rate=60&trigger_s=2")
    slot = page.locator("#spread-retry-budget")
    expect(slot.locator(".spread")).to_have_count(0)  # nothing is run before the click
    page.get_by_role("link", name="Run 20 seeds").click()
    expect(slot.locator("h3")).to_have_text("Over 20 seeds (1–20)")
    expect(slot.locator("#spread-chart-retry-budget .main-svg").first).to_be_visible()  # plotly drew it
    verdicts = slot.locator(".spread-verdicts")
    expect(verdicts).to_contain_text(re.compile(r"Retries with backoff: \w[\w ,]* in \d+ of 20 runs"))
    expect(slot.locator(".spread-table tbody tr")).to_have_count(10)  # 5 strategies x 2 figures
    expect(page).to_have_url(re.compile(r"/demos/retry-budget\?rate=60&trigger_s=2$"))  # the page did not change
    expect(page.locator("#result-retry-budget .verdict")).to_be_visible()  # the single run is still there


def test_moving_a_slider_offers_the_spread_of_the_new_state(watched_page, live_server):
    page = watched_page
    page.goto(predictions.lesson(live_server, "retry-backoff") + "#demo-backoff-timeline")
    link = page.locator("#spread-backoff-timeline a")
    before = link.get_attribute("href")
    page.locator("#backoff-timeline-down_ms").focus()
    page.keyboard.press("ArrowLeft")  # "never recovers" -> 10,000 ms
    expect(link).not_to_have_attribute("href", before)
    expect(link).to_have_attribute("href", re.compile(r"down_ms=\d+&spread=20$"))
    link.click()
    first_verdict = page.locator("#spread-backoff-timeline .spread-verdicts li").first
    expect(first_verdict).to_contain_text(re.compile(r"in \d+ of 20 runs"))


def test_without_javascript_the_button_is_a_link_to_a_page(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/demos/breaker-timeline")
    page.get_by_role("link", name="Run 20 seeds").click()
    expect(page).to_have_url(re.compile(r"/demos/breaker-timeline/spread\?spread=20$"))
    expect(page.locator("h1")).to_contain_text("the spread over seeds")
    expect(page.locator(".spread-table")).to_contain_text("Trips")
    context.close()
