"""The graceful-degradation lesson in a real browser: switch a dependency down, read the pages."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.predictions import lesson

pytestmark = pytest.mark.browser


def test_taking_the_comments_down_changes_both_pages(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "graceful-degradation"))
    result = page.locator("#result-degradation")
    expect(result.locator(".verdict")).to_have_text(re.compile("All or nothing: 96.60% of 5,000 page views work"))
    expect(result.locator(".np-window")).to_have_count(2)
    expect(result.locator(".np-error")).to_have_count(0)
    before = page.locator("#chart-degradation").get_attribute("data-figure")

    page.locator("#demo-degradation input[name=comments][value=down]").check()
    expect(result.locator(".verdict")).to_have_text(re.compile("All or nothing: 0.00% of 5,000 page views work"))
    expect(result.locator(".np-all_or_nothing .np-error-code")).to_have_text("500")
    expect(result.locator(".np-degraded .np-fallback")).to_have_text("Comments unavailable right now")
    expect(result.locator(".np-degraded .np-headline")).to_contain_text("City council approves")
    assert page.locator("#chart-degradation").get_attribute("data-figure") != before
    expect(page).to_have_url(re.compile(r"/lessons/graceful-degradation\?(?:revealed\.[a-z0-9-]+=1&)*degradation\.comments=down#demo-degradation$"))


def test_the_slow_preset_and_the_timeout_slider(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/demos/degradation")
    page.get_by_role("link", name="Comments slow").click()
    result = page.locator("#result-degradation")
    expect(result.locator(".verdict")).to_have_text(re.compile("p99 5.00 s\\. Degraded: 99.94% .*p99 305 ms"))
    expect(page).to_have_url(re.compile(r"/demos/degradation\?comments=slow$"))
    slider = page.locator("#degradation-timeout_ms")
    slider.focus()
    for _ in range(4):  # 300 ms -> 500 ms
        page.keyboard.press("ArrowRight")
    expect(page.locator("#degradation-timeout_ms-out")).to_have_text("500 ms")
    expect(result.locator(".verdict")).to_have_text(re.compile("p99 505 ms"))
    expect(page).to_have_url(re.compile(r"comments=slow&timeout_ms=500$"))
