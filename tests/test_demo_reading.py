"""A standalone demo page says how to read its chart and links to its step in the lesson."""

import re

import pytest

from webapp.demos import REGISTRY
from webapp.demos.how_to_read import HOW_TO_READ


def test_every_demo_says_how_to_read_it_in_two_or_three_sentences(app):
    assert set(HOW_TO_READ) == set(REGISTRY)
    for demo_id, text in HOW_TO_READ.items():
        sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text) if s]
        assert 2 <= len(sentences) <= 3, (demo_id, len(sentences))


@pytest.mark.parametrize("demo_id", sorted(HOW_TO_READ))
def test_the_page_shows_it_and_links_the_lesson_step(client, demo_id):
    html = client.get(f"/demos/{demo_id}").get_data(as_text=True)
    assert "How to read this chart" in html
    aside = re.search(r'<aside class="how-to-read".*?</aside>', html, re.S).group(0)
    link = re.search(r'class="demo-in-lesson"><a href="([^"]+)"', aside).group(1)
    if demo_id == "failure-lab":  # no lesson places it: it has a page of its own
        assert link == "/lab" and client.get(link).status_code == 200
        return
    assert link.endswith(f"#demo-{demo_id}")
    lesson_page = client.get(link.split("#")[0]).get_data(as_text=True)
    assert f'id="demo-{demo_id}"' in lesson_page


def test_the_lesson_link_carries_the_state(client):
    html = client.get("/demos/cascade?timeout_ms=2000").get_data(as_text=True)
    assert 'href="/lessons/circuit-breaker?cascade.timeout_ms=2000#demo-cascade"' in html
    lesson = client.get("/lessons/circuit-breaker?cascade.timeout_ms=2000").get_data(as_text=True)
    assert re.search(r'name="timeout_ms"[^>]*value="2000"|value="2000"[^>]*name="timeout_ms"', lesson)


def test_the_failure_lab_page_links_the_lab_in_the_same_state(client):
    html = client.get("/demos/failure-lab?seed=7").get_data(as_text=True)
    link = re.search(r'class="demo-in-lesson"><a href="([^"]+)"', html).group(1)
    assert link == "/lab?seed=7"
    assert client.get(link).status_code == 200
