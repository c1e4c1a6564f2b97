"""The idempotency lesson in a real browser: move a slider, pick an interleaving, type a schedule."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.predictions import lesson

pytestmark = pytest.mark.browser


def test_losing_more_answers_changes_the_ledgers_and_the_url(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "idempotency"))
    verdict = page.locator("#result-double-charge .verdict")
    expect(verdict).to_have_text(re.compile("20 orders became 27 charges: 7 duplicates, \\$699.93"))
    expect(page.locator("#result-double-charge .idem-seq")).to_have_count(2)
    expect(page.locator("#chart-double-charge .main-svg").first).to_be_visible()
    before = page.locator("#chart-double-charge").get_attribute("data-figure")

    slider = page.locator("#double-charge-loss_pct")
    slider.focus()
    for _ in range(30):  # 20% -> 50%, as a keyboard user would
        page.keyboard.press("ArrowRight")
    expect(page.locator("#double-charge-loss_pct-out")).to_have_text("50 %")
    expect(verdict).not_to_contain_text("27 charges")
    expect(verdict).to_contain_text("With keys, 20 charges")
    assert page.locator("#chart-double-charge").get_attribute("data-figure") != before
    expect(page).to_have_url(re.compile(r"/lessons/idempotency\?(?:revealed\.[a-z0-9-]+=1&)*double-charge\.loss_pct=50#demo-double-charge$"))
    expect(page.locator("#result-double-charge .idem-ledger").nth(1).locator("tbody tr")).to_have_count(20)


def test_picking_and_typing_an_interleaving(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "idempotency"))
    verdict = page.locator("#result-idempotency-race .verdict")
    expect(verdict).to_have_text(re.compile("^Lockstep \\(ABABAB\\): check-then-insert charges twice"))

    page.locator("#demo-idempotency-race").get_by_label("B arrives after A has answered").check()
    expect(verdict).to_have_text(re.compile("^Serial \\(AAABBB\\): check-then-insert charges once"))
    expect(page.locator("#result-idempotency-race .race-double")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"idempotency-race\.interleaving=serial"))

    page.locator("#idempotency-race-schedule").fill("BBAA")
    expect(verdict).to_have_text(re.compile("^Your schedule BBAA: check-then-insert charges twice"))
    expect(page.locator("#result-idempotency-race .race-double")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"idempotency-race\.schedule=BBAA"))
    page.reload()
    expect(verdict).to_have_text(re.compile("^Your schedule BBAA"))
    expect(page.locator("#idempotency-race-schedule")).to_have_value("BBAA")


def test_a_prediction_about_the_race(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "idempotency"))
    question = page.locator("#question-naive-interleavings")
    question.get_by_label("18").check()
    question.get_by_role("button", name="Check").click()
    expect(page.locator("#question-naive-interleavings .question-feedback")).to_contain_text("Right.")
    numeric = page.locator("#question-duplicates-per-100")
    numeric.locator("input[name=answer]").fill("25")
    numeric.get_by_role("button", name="Check").click()
    expect(page.locator("#question-duplicates-per-100 .question-feedback")).to_contain_text("Right.")
