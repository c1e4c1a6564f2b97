"""The closing lesson: no demos of its own, but every point opens a demo already in its telling state."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_key_point_link_opens_the_demo_in_that_state(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/lessons/key-points")
    expect(page.locator("h2")).to_have_count(8)  # five points, a self-check, how they fit, the checklist
    question = page.locator("#question-review-attempts")
    question.get_by_label("Your prediction").fill("4")
    question.get_by_role("button", name="Check").click()
    expect(page.locator("#question-review-attempts .question-feedback")).to_contain_text("Right.")
    page.get_by_role("link", name="The comments service turns slow").click()
    # inside its lesson, in that state, revealed and scrolled to
    expect(page).to_have_url(re.compile(
        r"/lessons/graceful-degradation\?degradation\.comments=slow(&revealed\.[a-z-]+=1)+#demo-degradation$"))
    expect(page.locator("#demo-degradation")).to_be_in_viewport()
    expect(page.locator("#demo-degradation input[name=comments][value=slow]")).to_be_checked()
    expect(page.locator("#result-degradation .preset[aria-current=true]")).to_have_text("Comments slow")
    expect(page.locator("#result-degradation .np-degraded .np-fallback")).to_be_visible()
