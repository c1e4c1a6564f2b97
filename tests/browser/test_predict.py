"""Predict, then see, in real browsers: a demo's result is absent until the learner answers (with and
without JavaScript), a revisit remembers, a live room sees the result only after Reveal and votes
twice, the instructor downloads the answers, and Back undoes a preset."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.predictions import lesson
from tests.browser.test_live import live_server, room  # noqa: F401  (a live store of its own)

pytestmark = pytest.mark.browser


def test_the_result_waits_for_the_answer_and_a_revisit_remembers_it(watched_page, live_server):  # noqa: F811
    page = watched_page
    page.goto(f"{live_server}/lessons/fallacies")
    demo = page.locator("#demo-fallacy-network")
    expect(demo.locator(".withheld")).to_be_visible()
    expect(demo.locator(".verdict, .stats, [data-figure], .truth, .data-table")).to_have_count(0)
    expect(demo.locator("#fallacy-network-hops")).to_be_visible()  # the controls are there
    expect(page.locator("#discussion-fallacy-network")).not_to_contain_text("95.1%")
    # Moving a control while the result waits keeps it waiting: the fragment leaves it out too.
    demo.locator("#fallacy-network-hops").fill("6")
    demo.locator("#fallacy-network-hops").dispatch_event("input")
    expect(page).to_have_url(re.compile(r"fallacy-network\.hops=6"))
    expect(demo.locator(".withheld")).to_be_visible()
    expect(demo.locator(".verdict")).to_have_count(0)

    question = page.locator("#question-chain-success")
    question.get_by_label("Your prediction").fill("0.8")
    question.get_by_role("button", name="Check").click()
    expect(page.locator("#question-chain-success .question-feedback")).to_contain_text("Not quite.")
    expect(demo.locator(".verdict")).to_be_visible()  # the same demo, revealed in the state left
    expect(demo.locator("#fallacy-network-hops")).to_have_value("6")
    expect(demo.locator("[data-figure] .main-svg").first).to_be_visible()  # drawn by plotly
    expect(page.locator("#discussion-fallacy-network")).to_contain_text("95.1%")
    expect(page.locator("#demo-fallacy-latency .withheld")).to_be_visible()  # the next one still waits
    expect(page).to_have_url(re.compile(r"fallacy-network\.hops=6&answer\.chain-success=0\.8#question-chain-success$"))

    page.goto(f"{live_server}/lessons/fallacies")  # a revisit, its URL without the answer
    expect(page.locator("#question-chain-success .question-feedback")).to_contain_text("You said 0.8")
    expect(page.locator("#demo-fallacy-network .verdict")).to_be_visible()
    expect(page.locator("#demo-fallacy-latency .withheld")).to_be_visible()

    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Forget my progress").click()
    page.goto(f"{live_server}/lessons/fallacies")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#demo-fallacy-network .withheld")).to_be_visible()


def test_skip_show_me_and_a_demo_behind_two_questions(watched_page, live_server):  # noqa: F811
    page = watched_page
    page.goto(f"{live_server}/lessons/retry-backoff")
    storm = page.locator("#demo-retry-storm")
    page.locator("#question-storm-peak").get_by_role("button", name="Skip, show me").click()
    expect(page.locator("#question-storm-peak [data-skipped]")).to_be_visible()
    expect(storm.locator(".withheld")).to_be_visible()  # jitter-peak is still open
    jitter = page.locator("#question-jitter-peak")
    jitter.get_by_role("radio").first.check()
    jitter.get_by_role("button", name="Check").click()
    expect(storm.locator(".verdict")).to_be_visible()
    expect(page).to_have_url(re.compile(r"revealed\.storm-peak=1&answer\.jitter-peak=0#question-jitter-peak$"))
    page.goto(f"{live_server}/lessons/retry-backoff")  # a revisit replays both, one after the other
    expect(page.locator("#question-storm-peak [data-skipped]")).to_be_visible()
    expect(page.locator("#question-jitter-peak .question-feedback")).to_be_visible()
    expect(storm.locator(".verdict")).to_be_visible()
    expect(page.locator("#demo-backoff-timeline .withheld")).to_be_visible()  # never answered


def test_without_javascript_the_result_waits_and_the_redirect_carries_the_answer(browser, live_server):  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/lessons/fallacies?fallacy-latency.rtt=cross-region")
    expect(page.locator("#demo-fallacy-network .withheld")).to_be_visible()
    expect(page.locator("#demo-fallacy-network .verdict")).to_have_count(0)
    question = page.locator("#question-chain-success")
    question.get_by_label("Your prediction").fill("lots")
    question.get_by_role("button", name="Check").click()
    expect(page.locator("#question-chain-success [role=alert]")).to_contain_text("give a number like 12.5 %")
    expect(page.locator("#demo-fallacy-network .verdict")).to_have_count(0)
    page.locator("#question-chain-success").get_by_label("Your prediction").fill("95,1 %")
    page.locator("#question-chain-success").get_by_role("button", name="Check").click()
    expect(page).to_have_url(re.compile(
        r"/lessons/fallacies\?fallacy-latency\.rtt=cross-region&answer\.chain-success=95%2C1\+%25#question-chain-success$"))
    expect(page.locator("#question-chain-success .question-feedback")).to_contain_text("Right.")
    expect(page.locator("#demo-fallacy-network .verdict")).to_be_visible()
    page.locator("#question-chatty-cross-region").get_by_role("button", name="Skip, show me").click()
    expect(page.locator("#demo-fallacy-latency .verdict")).to_be_visible()
    expect(page.locator("#demo-fallacy-network .verdict")).to_be_visible()  # the first answer was kept
    expect(page.locator("#fallacy-latency-rtt-cross-region, input[name=rtt][value=cross-region]").first).to_be_checked()
    context.close()


def test_back_after_two_presets_returns_to_the_first(watched_page, live_server):  # noqa: F811
    page = watched_page
    page.goto(lesson(live_server, "bulkhead"))
    loaded = page.url
    demo = page.locator("#demo-bulkhead")
    demo.get_by_role("link", name="A good day").click()
    expect(demo.locator(".preset[aria-current=true]")).to_have_text("A good day")
    first = page.url
    second = demo.locator(".preset:not([aria-current])").first
    name = second.inner_text()
    second.click()
    expect(demo.locator(".preset[aria-current=true]")).to_have_text(name)
    assert page.url != first
    page.go_back()
    expect(page).to_have_url(first)
    expect(page.locator("#demo-bulkhead .preset[aria-current=true]")).to_have_text("A good day")
    expect(page.locator("#bulkhead-slow_factor")).to_have_value("1")
    # A slider replaces the current entry instead: after it, Back goes to the page as it was loaded.
    slider = page.locator("#bulkhead-search_pool")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(re.compile(r"bulkhead\.search_pool="))
    page.go_back()
    expect(page).to_have_url(loaded)
    expect(page.locator("#demo-bulkhead .preset[aria-current=true]")).not_to_have_text("A good day")


def _attendee(browser, live_server, code):  # noqa: F811
    page = browser.new_context().new_page()
    page.goto(f"{live_server}/live/{code}")
    expect(page.locator("[data-live-status]")).to_have_text("Following the instructor")
    return page


def test_the_room_sees_the_result_only_after_reveal_and_votes_twice(room, browser, live_server):  # noqa: F811
    instructor, attendee, code = room
    second = _attendee(browser, live_server, code)
    panel = instructor.locator("#live-panel")
    expect(panel.locator("[data-online]")).to_have_text("2", timeout=8000)
    instructor.locator(".live-demo-buttons").get_by_role("button", name=re.compile("retry storm", re.I)).click()
    for page in (attendee, second):
        expect(page.locator("#demo-retry-storm .verdict")).to_be_visible()
    instructor.locator("#live-panel-storm-peak").get_by_role("button", name="Ask the room").click()
    for page in (attendee, second, instructor):  # attendees' screens and the instructor's projected demo
        expect(page.locator("#demo-retry-storm .withheld")).to_be_visible()
        expect(page.locator("#demo-retry-storm .verdict, #demo-retry-storm [data-figure]")).to_have_count(0)

    for page, choice in ((attendee, "About 100"), (second, "About 250")):
        question = page.locator("#live-q-storm-peak-open")
        question.get_by_label(choice).check()
        question.get_by_role("button", name="Send").click()
        expect(page.locator(".live-answered")).to_contain_text(f"Your answer is in: {choice}")
    expect(panel.locator("[data-answers]")).to_have_text("2")
    expect(panel.locator("[data-answered-of]")).to_have_text("2 of 2")
    panel.get_by_role("button", name="Close answers").click()
    panel.get_by_role("button", name="Ask again").click()
    time.sleep(1.1)  # an attendee answers at most once a second (LIVE_ANSWER_INTERVAL_S); a room discusses longer
    for page in (attendee, second):
        question = page.locator("#live-q-storm-peak-open-vote2")
        expect(question).to_contain_text("vote 2")
        question.get_by_label("All 1,000").check()
        question.get_by_role("button", name="Send").click()
        expect(page.locator(".live-answered")).to_contain_text("Your second vote is in: All 1,000")
    expect(panel.locator("[data-answers]")).to_have_text("2")
    expect(panel.locator('[data-vote="1"]')).to_contain_text("2 answers")
    expect(panel.locator('[data-vote="2"]')).to_contain_text("2 answers")
    expect(attendee.locator("#demo-retry-storm .verdict")).to_have_count(0)

    panel.get_by_role("button", name="Reveal the answer").click()
    for page in (attendee, second, instructor):
        expect(page.locator("#demo-retry-storm .verdict")).to_be_visible()
    revealed = attendee.locator("#live-q-storm-peak-revealed-vote2")
    expect(revealed).to_contain_text("Vote 1: 0 of 2 right.")
    expect(revealed).to_contain_text("Vote 2: 2 of 2 right.")
    expect(revealed.locator("#chart-live-storm-peak .main-svg").first).to_be_visible()
    expect(revealed.locator("#chart-live-storm-peak-vote2 .main-svg").first).to_be_visible()
    assert "\\u2713 All 1,000" in revealed.locator("#chart-live-storm-peak-vote2").get_attribute("data-figure")

    with instructor.expect_download() as download:
        panel.get_by_role("link", name=re.compile("Download the room's answers")).click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    counts = {(r["vote"], r["answer"]): r["count"] for r in rows if r["question"] == "storm-peak"}
    assert counts[("1", "About 100")] == "1" and counts[("1", "About 250")] == "1"
    assert counts[("2", "All 1,000")] == "2" and counts[("1", "All 1,000")] == "0"

    panel.get_by_role("button", name="Pause the room").click()
    expect(attendee.locator(".live-paused")).to_contain_text("Eyes on the instructor")
    expect(attendee.locator("#demo-retry-storm")).to_have_count(0)
    instructor.locator("#live-panel").get_by_role("button", name="Resume the room").click()
    expect(attendee.locator("#demo-retry-storm .verdict")).to_be_visible()
    second.context.close()
