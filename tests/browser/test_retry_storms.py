"""Lesson 3 in a real browser: a slider multiplies the attempts, a preset removes the trigger, a
checkbox drops a strategy, and a prediction gets its feedback."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.predictions import lesson

pytestmark = pytest.mark.browser


def spec(page, chart_id):
    return page.locator(f"#{chart_id}").get_attribute("data-figure")


def test_one_more_layer_multiplies_the_attempts_by_four(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "retry-storms"))
    verdict = page.locator("#result-retry-amplification .verdict")
    expect(verdict).to_have_text(re.compile(r"send 64 attempts = 4\^3"))
    for chart in ("chart-retry-amplification", "chart-retry-amplification-curves", "chart-backoff-contention-writes",
                  "chart-retry-budget-queue"):
        expect(page.locator(f"#{chart} .main-svg").first).to_be_visible()  # plotly drew it
    expect(page.locator("#result-retry-amplification .rs-tree circle")).to_have_count(1 + 4 + 16 + 64)
    before = spec(page, "chart-retry-amplification")

    slider = page.locator("#retry-amplification-layers")
    slider.focus()
    page.keyboard.press("ArrowRight")  # 3 -> 4 layers, as a keyboard user would
    expect(page.locator("#retry-amplification-layers-out")).to_have_text("4 layers")
    expect(verdict).to_have_text(re.compile(r"send 256 attempts = 4\^4"))
    assert spec(page, "chart-retry-amplification") != before
    expect(page.locator("#result-retry-amplification .rs-tree")).to_contain_text("256 calls")  # drawn as a band
    expect(page).to_have_url(re.compile(r"/lessons/retry-storms\?(?:revealed\.[a-z0-9-]+=1&)*retry-amplification\.layers=4#demo-retry-amplification$"))

    page.reload()
    expect(verdict).to_have_text(re.compile(r"send 256 attempts = 4\^4"))
    expect(page.locator("#result-retry-budget .verdict")).to_have_text(re.compile("plain retries never recover"))


def test_the_no_trigger_preset_gives_every_strategy_the_same_goodput(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "retry-storms"))
    demo = page.locator("#demo-retry-budget")
    expect(demo.locator(".preset[aria-current=true]")).to_have_text("Metastable failure")
    before = spec(page, "chart-retry-budget-goodput")
    demo.get_by_role("link", name="No trigger").click()
    expect(demo.locator(".preset[aria-current=true]")).to_have_text("No trigger")
    expect(page.locator("#result-retry-budget .verdict")).to_have_text(
        re.compile("every strategy has the same goodput"))
    expect(page.locator("#retry-budget-trigger_s-out")).to_have_text("0 s")
    assert spec(page, "chart-retry-budget-goodput") != before
    expect(page).to_have_url(re.compile(r"retry-budget\.trigger_s=0"))


def test_dropping_a_strategy_removes_its_panel_and_its_row(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/demos/backoff-contention")
    rows = page.locator("#result-backoff-contention .data-table tbody tr")
    expect(rows).to_have_count(5)
    before = spec(page, "chart-backoff-contention-writes")
    page.locator("#demo-backoff-contention").get_by_label("No backoff").uncheck()
    expect(rows).to_have_count(4)
    assert spec(page, "chart-backoff-contention-writes") != before
    assert "No backoff" not in spec(page, "chart-backoff-contention-writes")
    expect(page).to_have_url(re.compile(r"/demos/backoff-contention\?strategies=exponential%2Cfull%2Cequal%2Cdecorrelated$"))
    expect(page.locator("#result-backoff-contention .verdict")).to_have_text(re.compile("exponential backoff without jitter"))


def test_predicting_the_metastable_failure(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "retry-storms"))
    question = page.locator("#question-metastable")
    question.get_by_label("Not before the run ends").check()
    question.get_by_role("button", name="Check").click()
    expect(page.locator("#question-metastable .question-feedback")).to_contain_text("Right.")
    expect(question.get_by_role("link", name="See it in the demo")).to_have_attribute(  # inside the lesson
        "href", re.compile(r"^/lessons/retry-storms\?.*answer\.metastable=3#demo-retry-budget$"))
