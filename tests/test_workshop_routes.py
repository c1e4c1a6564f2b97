"""Predict-then-run questions and presets, through the routes a learner's browser uses."""

import re

import pytest
from markupsafe import escape

from webapp.demos import REGISTRY, load_all

load_all()


def token(client):
    response = client.get("/lessons/retry-backoff")
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_a_plain_form_post_redirects_to_a_link_that_shows_the_feedback(client):
    response = client.post("/lessons/retry-backoff/questions/storm-peak",
                           data={"answer": "2", "csrf_token": token(client)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/lessons/retry-backoff?answer.storm-peak=2#question-storm-peak"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-answered="storm-peak" data-correct="true"' in page


def test_htmx_gets_the_feedback_fragment(client):
    response = client.post("/lessons/retry-backoff/questions/give-up-time", headers={"HX-Request": "true"},
                           data={"answer": "3100", "csrf_token": token(client)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Not quite." in html and "the answer is 1,500 ms" in html
    assert 'href="/demos/backoff-timeline"' in html


def test_a_non_answer_asks_again(client):
    response = client.post("/lessons/retry-backoff/questions/give-up-time", headers={"HX-Request": "true"},
                           data={"answer": "soon", "csrf_token": token(client)})
    assert response.status_code == 400 and "give a number" in response.get_data(as_text=True)


@pytest.mark.parametrize("headers,data", [
    ({}, {"answer": "2"}),  # no token
    ({}, {"answer": "2", "csrf_token": "forged"}),
    ({"Origin": "http://evil.example"}, {"answer": "2"}),
])
def test_posts_without_the_token_or_from_another_site_are_refused(client, headers, data):
    if data.get("csrf_token") is None and "Origin" in headers:
        data = {**data, "csrf_token": token(client)}
    response = client.post("/lessons/retry-backoff/questions/storm-peak", headers=headers, data=data)
    assert response.status_code == 403


def test_unknown_question_is_a_404(client):
    assert client.post("/lessons/retry-backoff/questions/nope", data={"csrf_token": token(client)}).status_code == 404


@pytest.mark.parametrize("demo_id", sorted(REGISTRY))
def test_each_preset_is_a_link_to_a_state_that_says_it_is_that_preset(client, demo_id):
    demo = REGISTRY[demo_id]
    for preset in demo.presets:
        values = demo.preset_values(preset)
        assert demo.matching_preset(values) == preset  # two presets with one state would be a defect
        html = client.get(f"/demos/{demo_id}", query_string=demo.params.query_items(values),
                          headers={"HX-Request": "true"}).get_data(as_text=True)
        assert f"This is “{escape(preset.label)}”" in html


def test_a_preset_click_redraws_the_whole_demo(client):
    html = client.get("/demos/retry-storm?jitter=none",
                      headers={"HX-Request": "true", "HX-Target": "demo-retry-storm"}).get_data(as_text=True)
    assert html.lstrip().startswith('<section class="demo" id="demo-retry-storm"')
    assert re.search(r'value="none"\s+checked', html)


def test_security_headers_on_every_response(client):
    for url in ("/", "/lessons/retry-backoff", "/demos/retry-storm.json", "/nowhere", "/static/css/app.css"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "unsafe-eval" not in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] and headers["X-Frame-Options"] == "DENY"


def test_demo_results_revalidate_with_an_etag(client):
    first = client.get("/demos/retry-storm.json?clients=50")
    assert "public" in first.headers["Cache-Control"] and first.headers["ETag"]
    again = client.get("/demos/retry-storm.json?clients=50", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_versioned_static_files_are_immutable_and_compressed(client, app):
    with app.test_request_context():
        url = app.jinja_env.globals["asset"]("vendor/plotly-basic-4.1.1.min.js")
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    assert client.get("/static/../webapp/__init__.py").status_code == 404


def test_a_fragment_is_rendered_once_and_served_compressed_to_everyone(client):
    from webapp.caching import FRAGMENTS

    headers = {"HX-Request": "true", "Accept-Encoding": "br"}
    first = client.get("/demos/retry-storm?clients=77", headers=headers)
    entries = len(FRAGMENTS)
    again = client.get("/demos/retry-storm?clients=77", headers=headers)
    assert len(FRAGMENTS) == entries  # the second visitor did not render it again
    assert first.headers["Content-Encoding"] == "br" and first.get_data() == again.get_data()
    plain = client.get("/demos/retry-storm?clients=77", headers={"HX-Request": "true"})
    assert "Content-Encoding" not in plain.headers and b"class=\"verdict\"" in plain.get_data()
    assert plain.headers["ETag"] != first.headers["ETag"]  # one validator per encoding
    assert client.get("/demos/retry-storm?clients=77", headers={**headers, "If-None-Match": first.headers["ETag"]}
                      ).status_code == 304
    other = client.get("/demos/retry-storm?clients=78", headers=headers)
    assert other.get_data() != first.get_data()
