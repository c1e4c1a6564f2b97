"""A learner turns the fault off, resizes a bulkhead and follows the sizing helper's link."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.predictions import lesson

pytestmark = pytest.mark.browser


def test_presets_sliders_and_the_sizing_link_change_the_result_and_the_url(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "bulkhead"))
    verdict = page.locator("#result-bulkhead .verdict")
    expect(verdict).to_have_text(re.compile(r"Slow search filled the shared pool of 350 threads: checkout"))
    expect(page.locator("#result-bulkhead .stats")).to_contain_text("vs 100")
    for chart in ("outcomes", "busy", "success", "latency"):
        expect(page.locator(f"#chart-bulkhead-{chart} .main-svg").first).to_be_visible()
    busy_before = page.locator("#chart-bulkhead-busy").get_attribute("data-figure")

    page.locator("#demo-bulkhead").get_by_role("link", name="A good day").click()
    expect(verdict).to_have_text(re.compile("No fault: every feature succeeds 100"))
    expect(page.locator("#bulkhead-slow_factor")).to_have_value("1")
    expect(page).to_have_url(re.compile(r"/lessons/bulkhead\?(?:revealed\.[a-z0-9-]+=1&)*bulkhead\.slow_factor=1#demo-bulkhead$"))
    expect(page.locator("#result-bulkhead .truth")).to_contain_text("Erlang C")
    assert page.locator("#chart-bulkhead-busy").get_attribute("data-figure") != busy_before

    slider = page.locator("#bulkhead-search_pool")
    slider.focus()
    for _ in range(10):  # 100 -> 90 threads for search
        page.keyboard.press("ArrowLeft")
    expect(page.locator("#bulkhead-search_pool-out")).to_have_text("90 threads")
    search_row = page.locator("#result-bulkhead .bh-sizing-table tbody tr").first
    expect(search_row).to_contain_text("90")
    expect(page.locator("#result-bulkhead .truth")).to_contain_text("c = 90")
    expect(page).to_have_url(re.compile(r"bulkhead\.search_pool=90&bulkhead\.slow_factor=1#demo-bulkhead$"))

    page.locator("#result-bulkhead").get_by_role("link", name="Run with these sizes").click()
    expect(page.locator("#result-bulkhead .bh-sizing-note")).to_contain_text("These are the sizes of this run")
    expect(page.locator("#bulkhead-search_pool")).to_have_value("93")
    expect(page).to_have_url(re.compile(r"bulkhead\.search_pool=93&bulkhead\.checkout_pool=77&bulkhead\.profile_pool=16"))
