"""The fallacies lesson's demos, and the links the closing lessons give to demo states."""

import re

import pytest

from webapp.demos import REGISTRY, load_all

load_all()
HX = {"HX-Request": "true"}
COURSE_SLUGS = {"fallacies", "retry-backoff", "retry-storms", "circuit-breaker", "bulkhead", "timeouts",
                "idempotency", "graceful-degradation", "key-points"}


def test_defaults_show_the_lessons_numbers(client):
    network = client.get("/demos/fallacy-network", headers=HX).get_data(as_text=True)
    assert "succeeds 95.27% of the time (formula 95.10%)" in network
    latency = client.get("/demos/fallacy-latency", headers=HX).get_data(as_text=True)
    assert "60 ms, 83% of it on the network" in latency and "10.5 ms, 5.7× faster" in latency
    bandwidth = client.get("/demos/fallacy-bandwidth", headers=HX).get_data(as_text=True)
    assert "the link is full at 235 req/s" in bandwidth


def test_an_overloaded_link_has_no_steady_state(client):
    html = client.get("/demos/fallacy-bandwidth?rate=300", headers=HX).get_data(as_text=True)
    assert "no steady state" in html and "(ρ − 1)" in html


@pytest.mark.parametrize("path", ["lessons/01-fallacies.md", "lessons/07-idempotency.md",
                                  "lessons/08-graceful-degradation.md", "lessons/09-key-points.md"])
def test_every_demo_link_in_these_lessons_opens_a_valid_state(client, path):
    """A permalink in the text must land on a working demo, not on a 400 or a 404."""
    from pathlib import Path

    text = Path(__file__).parent.parent.joinpath(path).read_text()
    links = set(re.findall(r"\((/demos/[^)\s]+)\)", text)) | set(re.findall(r"show: (/demos/\S+)", text))
    assert links, path
    for link in links:
        demo_id = link.split("?")[0].removeprefix("/demos/")
        assert demo_id in REGISTRY, link
        response = client.get(link, headers=HX)
        assert response.status_code == 200, link
        assert 'class="verdict"' in response.get_data(as_text=True), link
    for slug in re.findall(r"\(/lessons/([a-z-]+)", text):
        assert slug in COURSE_SLUGS, slug


def test_key_points_renders_without_demos(client):
    html = client.get("/lessons/key-points").get_data(as_text=True)
    assert html.count('class="kp-lessons"') == 5
    assert ('href="/lessons/graceful-degradation?degradation.comments=slow&amp;revealed.product=1&amp;'
            'revealed.slow-comments=1&amp;revealed.longer-timeout=1#demo-degradation"') in html
    assert 'class="demo"' not in html


def test_the_lessons_predictions_are_true_for_the_model(client, app):
    questions = app.extensions["lessons"]["fallacies"].questions
    network = client.get("/demos/fallacy-network.json").get_json()["result"]
    assert questions["chain-success"].check(f"{100 * network['formula']:.2f}")[0]
    assert questions["chain-success"].check(f"{100 * network['success']:.2f}")[0]  # the simulation too
    latency = client.get("/demos/fallacy-latency.json?rtt=cross-region").get_json()["result"]
    assert 6_500 < latency["chatty_ms"] < 7_500
    assert questions["chatty-cross-region"].choices[questions["chatty-cross-region"].answer] == "About 7 s"
    bandwidth = client.get("/demos/fallacy-bandwidth.json").get_json()["result"]
    assert questions["link-full"].check(str(bandwidth["max_rate"]))[0]
