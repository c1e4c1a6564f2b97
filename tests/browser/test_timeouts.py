"""A learner moves the timeout slider: the marker on the histogram, the figures and the address move with it."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.predictions import lesson

pytestmark = pytest.mark.browser


def figure(page, chart_id):
    return json.loads(page.locator(f"#{chart_id}").get_attribute("data-figure"))


def timeout_marker_x(page):
    """Where Plotly drew the timeout line: the last shape above the data, in screen pixels."""
    line = page.locator("#chart-timeout-tradeoff-histogram .layer-above .shapelayer path").last
    box = line.bounding_box()
    return box["x"] + box["width"] / 2


def test_moving_the_timeout_moves_the_marker_the_figures_and_the_url(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "timeouts"))
    verdict = page.locator("#result-timeout-tradeoff .verdict")
    expect(verdict).to_have_text(re.compile(r"A 600\s+ms timeout \(3\.0 × the measured p99\) cuts off 0\.14\s+%"))
    expect(page.locator("#chart-timeout-tradeoff-histogram .main-svg").first).to_be_visible()
    expect(page.locator("#chart-timeout-tradeoff-curve .main-svg").first).to_be_visible()
    x_before = timeout_marker_x(page)
    stats = page.locator("#result-timeout-tradeoff .stats")
    expect(stats).to_contain_text("0.14")

    slider = page.locator("#timeout-tradeoff-timeout_ms")
    slider.focus()
    for _ in range(14):  # 600 ms -> 740 ms, ten milliseconds a press, as a keyboard user would
        page.keyboard.press("ArrowRight")
    expect(page.locator("#timeout-tradeoff-timeout_ms-out")).to_have_text("740 ms")
    expect(verdict).to_have_text(re.compile(r"A 740\s+ms timeout \(3\.7 × the measured p99\) cuts off 0\.11\s+%"))
    expect(stats).to_contain_text("0.11")
    expect(page).to_have_url(re.compile(r"/lessons/timeouts\?(?:revealed\.[a-z0-9-]+=1&)*timeout-tradeoff\.timeout_ms=740#demo-timeout-tradeoff$"))
    # The figure spec and the drawn marker both moved right; the preset that matches lights up.
    shapes = figure(page, "chart-timeout-tradeoff-histogram")["layout"]["shapes"]
    assert [s["x0"] for s in shapes if s["type"] == "line" and "timeout" in s["label"]["text"]] == [740]
    expect(page.locator("#chart-timeout-tradeoff-histogram .layer-above .shapelayer path")).to_have_count(4)
    page.wait_for_function("document.querySelector('#chart-timeout-tradeoff-histogram').hasAttribute('data-drawn')")
    assert timeout_marker_x(page) > x_before + 5
    mine = next(t for t in figure(page, "chart-timeout-tradeoff-curve")["data"] if t["name"].startswith("your timeout"))
    assert mine["name"] == "your timeout: 740\xa0ms"
    expect(page.locator("#demo-timeout-tradeoff .preset[aria-current=true]")).to_have_text("At p99.9")
    expect(page.locator("#result-timeout-tradeoff .to-chosen")).to_contain_text("740")

    page.keyboard.press("End")  # the last notch: no timeout at all
    expect(page.locator("#timeout-tradeoff-timeout_ms-out")).to_have_text("no timeout")
    expect(verdict).to_have_text(re.compile("With no timeout nothing is cut off"))
    expect(stats).to_contain_text("unbounded")
    expect(page).to_have_url(re.compile(r"timeout-tradeoff\.timeout_ms=never"))


def test_the_retry_demo_answers_a_prediction_and_a_preset(watched_page, live_server):
    page = watched_page
    page.goto(lesson(live_server, "timeouts"))
    question = page.locator("#question-attempts-fit")
    question.get_by_label("Your prediction").fill("2")
    question.get_by_role("button", name="Check").click()
    expect(page.locator("#question-attempts-fit .question-feedback")).to_contain_text("Right.")

    demo = page.locator("#demo-timeout-retry-budget")
    verdict = page.locator("#result-timeout-retry-budget .verdict")
    expect(verdict).to_have_text(re.compile(r"1 of 5 attempts of 600\s+ms fits"))
    demo.get_by_role("link", name="200 ms attempts").click()
    expect(verdict).to_have_text(re.compile(r"3 of 5 attempts of 200\s+ms fit"))
    expect(page.locator("#timeout-retry-budget-attempt_timeout_ms")).to_have_value("200")
    expect(page).to_have_url(re.compile(r"timeout-retry-budget\.attempt_timeout_ms=200"))
    expect(page.locator("#chart-timeout-retry-budget-schedule .main-svg").first).to_be_visible()
