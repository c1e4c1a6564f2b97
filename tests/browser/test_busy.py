"""A learner in a real browser when every place in the simulation queue is taken: the demo says so
kindly where its result goes, the controls stay, and the next move works once there is room."""

import random
import re
import threading

import pytest
from playwright.sync_api import expect

from webapp import demo_state

pytestmark = pytest.mark.browser


def test_a_busy_server_is_said_kindly_in_the_demo(page, live_server, monkeypatch, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    seed = random.randint(100_000, 999_999)  # states no other test has simulated in this server
    page.goto(f"{live_server}/demos/backoff-timeline?seed={seed}&base_ms=130")
    verdict = page.locator("#result-backoff-timeline .verdict")
    expect(verdict).to_be_visible()
    full = threading.BoundedSemaphore(1)
    full.acquire()  # no place left: any new state is turned away
    monkeypatch.setattr(demo_state, "_ADMITTED", full)
    slider = page.locator("#backoff-timeline-base_ms")
    slider.focus()
    page.keyboard.press("ArrowRight")
    busy = page.locator("#result-backoff-timeline [data-busy]")
    expect(busy).to_contain_text("Many people are running new simulations right now")
    expect(busy).to_contain_text("try again in 2 seconds")
    expect(slider).to_be_visible()
    page.screenshot(path=str(tmp_path / "busy.png"))
    full.release()  # room again: the next move simulates
    page.keyboard.press("ArrowRight")
    expect(verdict).to_have_text(re.compile("Gave up after"))
    expect(busy).to_have_count(0)
