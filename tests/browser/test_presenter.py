"""Presenter mode for a projector, and the print stylesheet for handouts."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.predictions import lesson

pytestmark = pytest.mark.browser


def test_presenter_mode_keeps_the_state_and_the_keyboard_drives_it(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "retry-backoff", "backoff-timeline.down_ms=600"))
    page.get_by_role("link", name="Presenter mode").click()
    expect(page).to_have_url(re.compile(r"backoff-timeline\.down_ms=600.*present=1|present=1.*down_ms=600"))
    expect(page.locator("body")).to_have_class(re.compile("present"))
    expect(page.locator("#result-backoff-timeline .verdict")).to_have_text(re.compile("Succeeded on attempt 4"))
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 21  # projector-sized type

    page.keyboard.press("q")  # jump to the first question
    expect(page.locator("#question-give-up-time")).to_be_in_viewport()
    page.keyboard.press("ArrowRight")  # on to the next section: the demo that answers it
    expect(page.locator("#demo-backoff-timeline")).to_be_in_viewport()
    page.keyboard.press("r")  # reset that demo to its defaults
    expect(page.locator("#result-backoff-timeline .verdict")).to_have_text(re.compile("Gave up after 1,500 ms"))
    page.keyboard.press("Escape")
    expect(page.locator("body")).not_to_have_class(re.compile("present"))


def test_print_hides_controls_and_keeps_results(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "retry-backoff"))
    page.emulate_media(media="print")
    expect(page.locator("#demo-backoff-timeline .demo-controls")).to_be_hidden()
    expect(page.locator("#result-backoff-timeline .verdict")).to_be_visible()
    expect(page.locator("#chart-backoff-timeline")).to_be_visible()
