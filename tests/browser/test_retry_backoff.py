"""A learner in a real browser: move a slider, see the chart and the address bar change."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.predictions import lesson

pytestmark = pytest.mark.browser


def chart_spec(page, chart_id):
    return page.locator(f"#{chart_id}").get_attribute("data-figure")


def test_slider_changes_chart_table_and_url_and_the_url_reproduces_it(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "retry-backoff"))
    verdict = page.locator("#result-backoff-timeline .verdict")
    expect(verdict).to_have_text(re.compile("Gave up after 1,500 ms and 5 attempts"))
    expect(page.locator("#chart-backoff-timeline .main-svg").first).to_be_visible()  # plotly drew it
    before = chart_spec(page, "chart-backoff-timeline")

    slider = page.locator("#backoff-timeline-base_ms")
    slider.focus()
    for _ in range(10):  # 100 ms -> 200 ms in steps of 10, as a keyboard user would
        page.keyboard.press("ArrowRight")
    expect(page.locator("#backoff-timeline-base_ms-out")).to_have_text("200 ms")
    expect(verdict).to_have_text(re.compile("Gave up after 3,000 ms and 5 attempts"))
    assert chart_spec(page, "chart-backoff-timeline") != before
    expect(page.locator("#result-backoff-timeline .data-table tbody tr").nth(4)).to_contain_text("3,000")
    expect(page).to_have_url(re.compile(r"/lessons/retry-backoff\?(?:revealed\.[a-z0-9-]+=1&)*backoff-timeline\.base_ms=200#demo-backoff-timeline$"))

    page.reload()
    expect(verdict).to_have_text(re.compile("Gave up after 3,000 ms and 5 attempts"))
    expect(page.locator("#backoff-timeline-base_ms")).to_have_value("200")
    expect(page.locator("#result-retry-storm .verdict")).to_have_text(re.compile("Full jitter cuts"))


def test_choosing_jitter_and_recovery_on_the_demo_page(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/demos/backoff-timeline")
    page.get_by_label("Full jitter").check()
    expect(page).to_have_url(re.compile(r"/demos/backoff-timeline\?jitter=full$"))
    slider = page.locator("#backoff-timeline-down_ms")
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#backoff-timeline-down_ms-out")).to_have_text("600 ms")
    expect(page.locator("#result-backoff-timeline .verdict")).to_have_text(re.compile("Succeeded on attempt"))
    page.get_by_role("link", name="Reset to defaults").click()
    expect(page.locator("#result-backoff-timeline .verdict")).to_have_text(
        re.compile("Gave up after 1,500 ms and 5 attempts"))
    expect(page.locator("#backoff-timeline-down_ms-out")).to_have_text("never recovers")


def test_a_bad_value_shows_the_message_in_the_demo_and_the_page_keeps_working(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/demos/retry-storm")
    page.locator("#demo-retry-storm .more-settings > summary").click()  # the seed is past the first five
    seed = page.locator("#retry-storm-seed")
    seed.fill("-5")
    expect(page.locator("#result-retry-storm [role=alert]")).to_contain_text("seed")
    expect(page.locator("#result-retry-storm [role=alert]")).to_contain_text("0 to 1000000")
    seed.fill("7")
    expect(page.locator("#result-retry-storm .verdict")).to_be_visible()
    # Chromium logs every 4xx response as a console error; that one was the point of the test.
    page.console_errors[:] = [e for e in page.console_errors if "status of 400" not in e]


def test_without_javascript_the_page_still_shows_the_result(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(lesson(live_server, "retry-backoff", "backoff-timeline.down_ms=600"))
    expect(page.locator("#result-backoff-timeline .verdict")).to_have_text("Succeeded on attempt 4 at 700 ms.")
    expect(page.locator("#result-backoff-timeline .data-table tbody tr")).to_have_count(4)
    page.locator("#demo-retry-storm .run-button").click()  # the plain GET form works too
    expect(page).to_have_url(re.compile(r"/demos/retry-storm"))
    expect(page.locator("#result-retry-storm .verdict")).to_be_visible()
    context.close()


def test_a_preset_moves_the_controls_and_a_prediction_gets_feedback(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "retry-backoff"))
    page.locator("#demo-retry-storm").get_by_role("link", name="Retry storm without jitter").click()
    expect(page.locator("#demo-retry-storm .preset[aria-current=true]")).to_have_text("Retry storm without jitter")
    expect(page.locator("#demo-retry-storm input[name=jitter][value=none]")).to_be_checked()
    expect(page.locator("#result-retry-storm .verdict")).to_have_text(re.compile("lock-step"))
    expect(page).to_have_url(re.compile(r"retry-storm\.jitter=none"))

    question = page.locator("#question-storm-peak")
    question.get_by_label("All 1,000").check()
    question.get_by_role("button", name="Check").click()
    expect(page.locator("#question-storm-peak .question-feedback")).to_contain_text("Right.")
    # Progress is recorded once htmx has settled the swap; wait for it rather than race it.
    page.wait_for_function("(localStorage.getItem('reliability-lab-progress') || '').includes('storm-peak')")
    progress = page.evaluate("JSON.parse(localStorage.getItem('reliability-lab-progress'))")
    assert progress["answered"] == {"storm-peak": True} and progress["visited"] == {"retry-backoff": True}
    page.goto(f"{live_server}/")
    expect(page.locator("[data-progress-for=retry-backoff]")).to_have_text("✓ visited · 1/3 predictions")
