"""A learner in a real browser: step a breaker one request at a time and watch the diagram move;
switch the timeline to a library preset; run the cascade without its breaker."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.predictions import lesson

pytestmark = pytest.mark.browser


def settled(page):
    """htmx swaps new content in, then wires it up when it settles (20 ms later): until then a step
    is a plain link, and clicking it (or pressing Enter on it) loads the whole page instead."""
    expect(page.locator(".htmx-request, .htmx-added, .htmx-settling")).to_have_count(0)


def step(demo, name):
    demo.get_by_role("link", name=name).click()
    settled(demo.page)


def node(page, state):
    return page.locator(f"#demo-breaker-step .bk-node[data-state={state}]")


def test_stepping_through_the_breaker_moves_the_diagram_and_the_url(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "circuit-breaker"))
    demo = page.locator("#demo-breaker-step")
    expect(node(page, "CLOSED")).to_have_attribute("aria-current", "true")
    expect(demo.locator(".verdict")).to_have_text(re.compile("no request has been sent yet"))

    for n in range(1, 5):
        step(demo, "Request fails")
        expect(page).to_have_url(re.compile(rf"breaker-step\.steps=f{{{n}}}#demo-breaker-step$"))
        expect(node(page, "CLOSED")).to_contain_text(f"{n} of 5 failures")
    # The fifth failure trips it: the trip edge fires once and OPEN is the current state.
    page.keyboard.press("Enter")  # focus stayed on the button across the swap
    settled(page)
    expect(node(page, "OPEN")).to_have_attribute("aria-current", "true")
    expect(node(page, "CLOSED")).not_to_have_attribute("aria-current", "true")
    trip = demo.locator(".bk-edge[data-edge=trip]")
    expect(trip).to_have_attribute("data-count", "1")
    expect(trip).to_have_class(re.compile("bk-fired"))
    expect(demo.locator("input[name=steps]")).to_have_value("fffff")
    expect(page).to_have_url(re.compile(r"breaker-step\.steps=fffff#demo-breaker-step$"))

    # A request while OPEN is rejected, whatever the learner chose for it; undo takes it back.
    step(demo, "Request succeeds")
    expect(demo.locator(".bk-latest")).to_contain_text("Rejected at 0.50 s")
    step(demo, "Undo last step")
    expect(demo.locator("input[name=steps]")).to_have_value("fffff")

    # Three waits of 10 s: HALF_OPEN on the timer, and the wait edge fired.
    for _ in range(3):
        step(demo, "Wait 10 s")
    expect(node(page, "HALF_OPEN")).to_have_attribute("aria-current", "true")
    expect(demo.locator(".bk-edge[data-edge=wait]")).to_have_attribute("data-count", "1")
    for _ in range(2):
        step(demo, "Request succeeds")
    expect(node(page, "CLOSED")).to_have_attribute("aria-current", "true")
    expect(demo.locator(".bk-edge[data-edge=close]")).to_have_class(re.compile("bk-fired"))
    expect(page).to_have_url(re.compile(r"breaker-step\.steps=fffffwwwss#demo-breaker-step$"))

    page.reload()  # the URL is the whole state
    expect(node(page, "CLOSED")).to_have_attribute("aria-current", "true")
    expect(page.locator("#demo-breaker-step .bk-edge[data-edge=close]")).to_have_attribute("data-count", "1")


def test_the_browser_back_button_undoes_a_step(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "circuit-breaker", "breaker-step.steps=ffff"))
    step(page.locator("#demo-breaker-step"), "Request fails")
    expect(node(page, "OPEN")).to_have_attribute("aria-current", "true")
    expect(page).to_have_url(re.compile(r"breaker-step\.steps=fffff#demo-breaker-step$"))
    page.go_back()  # each step pushed a history entry; back restores the page before it
    expect(page).to_have_url(re.compile(r"breaker-step\.steps=ffff$"))
    expect(node(page, "CLOSED")).to_have_attribute("aria-current", "true")
    expect(page.locator("#demo-breaker-step input[name=steps]")).to_have_value("ffff")


def test_without_javascript_each_step_is_a_page_and_back_undoes_it(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/demos/breaker-step?steps=ffff")
    page.get_by_role("link", name="Request fails").click()
    expect(page).to_have_url(re.compile(r"/demos/breaker-step\?steps=fffff$"))
    expect(page.locator(".bk-node[data-state=OPEN]")).to_have_attribute("aria-current", "true")
    page.go_back()
    expect(page.locator(".bk-node[data-state=CLOSED]")).to_have_attribute("aria-current", "true")
    context.close()


def test_a_library_preset_switches_the_policy_and_its_controls(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "circuit-breaker"))
    demo = page.locator("#demo-breaker-timeline")
    verdict = demo.locator(".verdict")
    expect(verdict).to_have_text(re.compile(r"^OPEN at 10\.26 s after 5 consecutive failures"))
    expect(page.locator("#chart-breaker-timeline .main-svg").first).to_be_visible()
    before = page.locator("#chart-breaker-timeline").get_attribute("data-figure")
    # Only the settings of the chosen policy are shown.
    expect(page.locator("#breaker-timeline-failure_threshold")).to_be_visible()
    expect(page.locator("#breaker-timeline-min_calls")).to_be_hidden()

    demo.get_by_role("link", name="Hystrix").click()
    expect(demo.locator(".preset[aria-current=true]")).to_have_text("Hystrix")
    expect(verdict).to_have_text(re.compile(r"^OPEN at 14\.60 s after failure rate"))
    expect(page).to_have_url(re.compile(r"breaker-timeline\.policy=rate"))
    expect(page.locator("#breaker-timeline-min_calls")).to_be_visible()
    expect(page.locator("#breaker-timeline-failure_threshold")).to_be_hidden()
    assert page.locator("#chart-breaker-timeline").get_attribute("data-figure") != before
    expect(demo.locator(".bk-diagram")).to_contain_text("at the next call")

    # Back to counting failures in a row, as a user would: the radio button.
    page.get_by_label("N failures in a row").check()
    expect(verdict).to_have_text(re.compile(r"after 5 consecutive failures"))


def test_the_cascade_without_its_breaker(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/demos/cascade")
    verdict = page.locator("#result-cascade .verdict")
    expect(verdict).to_have_text(re.compile(r"all busy for 82\.6 s.*for 20\.7 s"))
    before = page.locator("#chart-cascade-threads").get_attribute("data-figure")
    page.get_by_label("With a breaker in A").uncheck()
    expect(verdict).to_have_text(re.compile(r"^Without a breaker: all 200 threads are busy for 82\.6 s"))
    expect(page).to_have_url(re.compile(r"/demos/cascade\?runs=without$"))
    assert page.locator("#chart-cascade-threads").get_attribute("data-figure") != before
    expect(page.locator("#result-cascade .bk-little")).to_contain_text("600.1 threads wanted")
