"""The fallacies lesson in a real browser: lengthen the chain, move the caller, fill the link."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.predictions import lesson

pytestmark = pytest.mark.browser


def test_a_longer_chain_fails_more_often(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "fallacies"))
    verdict = page.locator("#result-fallacy-network .verdict")
    expect(verdict).to_have_text(re.compile("A chain of 5 calls at 1% failure each succeeds 95.27%"))
    expect(page.locator("#chart-fallacy-network .main-svg").first).to_be_visible()
    slider = page.locator("#fallacy-network-hops")
    slider.focus()
    page.keyboard.press("End")  # 20 calls
    expect(page.locator("#fallacy-network-hops-out")).to_have_text("20")
    expect(verdict).to_have_text(re.compile("A chain of 20 calls .* succeeds 82.23% of the time \\(formula 81.79%\\)"))
    expect(page.locator("#result-fallacy-network .data-table tbody tr")).to_have_count(20)
    expect(page).to_have_url(re.compile(r"/lessons/fallacies\?(?:revealed\.[a-z0-9-]+=1&)*fallacy-network\.hops=20#demo-fallacy-network$"))


def test_moving_the_caller_across_the_country_and_overloading_the_link(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "fallacies"))
    page.locator("#demo-fallacy-latency").get_by_label(re.compile("Across the US")).check()
    expect(page.locator("#result-fallacy-latency .verdict")).to_have_text(re.compile("^100 items one call each, across the us .*: 7.01 s"))
    page.locator("#demo-fallacy-bandwidth").get_by_role("link", name="300 req/s", exact=True).click()
    expect(page.locator("#result-fallacy-bandwidth .verdict")).to_contain_text("no steady state")
    expect(page).to_have_url(re.compile(r"fallacy-latency\.rtt=cross-region.*fallacy-bandwidth\.rate=300"))
