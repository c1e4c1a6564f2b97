"""A learner takes a state to production: open the panel, pick a library, copy the configuration;
a slider keeps the panel open on that library; a pasted configuration opens its demo."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_panel_shows_each_library_and_copies_it(watched_page, live_server):
    page = watched_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server}/demos/backoff-timeline?max_attempts=4")
    panel = page.locator("#production-backoff-timeline")
    panel.locator("summary").click()
    code = panel.locator(".production-code")
    expect(code).to_contain_text("stop_after_attempt(4)")  # tenacity is the first tab
    copy = panel.locator("[data-copy-config]")
    expect(copy).to_be_visible()

    panel.locator('.production-tab[data-library="grpc"]').click()
    expect(code).to_contain_text('"maxAttempts": 4')
    expect(panel.locator('.production-tab[data-library="grpc"]')).to_have_attribute("aria-current", "true")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert '"maxAttempts": 4' in page.evaluate("navigator.clipboard.readText()")

    # A slider redraws the result: the panel stays open, on gRPC, with the new state.
    slider = page.locator("#backoff-timeline-max_attempts")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    expect(code).to_contain_text('"maxAttempts": 3')
    expect(panel).to_have_attribute("open", "")
    panel.screenshot(path="/tmp/h19-panel-desktop.png")
    page.set_viewport_size({"width": 390, "height": 844})
    panel.screenshot(path="/tmp/h19-panel-phone.png")
    assert not page.console_errors and not page.foreign_requests


def test_import_opens_the_demo(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/production/import")
    page.fill("#import-config", "retry_policy:\n  num_retries: 3\n  retry_back_off:\n    base_interval: 0.2s\n")
    page.click("text=Open in the lab")
    expect(page.locator(".production-fields")).to_contain_text("num_retries")
    expect(page.locator("#result-backoff-timeline .verdict")).to_have_text(re.compile("4 attempts"))
    expect(page.locator("#backoff-timeline-base_ms")).to_have_value("200")
    assert not page.console_errors
