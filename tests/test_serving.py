"""Serving a room: the in-process shared cache, and a demo that fails without taking the page down."""

import dataclasses
import logging
import threading
import time

import pytest

from werkzeug.datastructures import MultiDict

from webapp import create_app
from webapp.demo_state import RESULTS, freeze, resolve, warm
from webapp.demos import REGISTRY
from webapp.shared_cache import SharedCache

HX = {"HX-Request": "true", "Accept-Encoding": "br, gzip"}


# ---- the shared cache as a WSGI middleware, against a tiny app that counts its calls -------------

class CountingApp:
    def __init__(self, status="200 OK", headers=(("Cache-Control", "public, max-age=60"),)):
        self.status, self.headers, self.calls = status, list(headers), 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response(self.status, [*self.headers, ("Content-Type", "text/plain")])
        return [f"answer {self.calls} to {environ.get('HTTP_ACCEPT_ENCODING', '-')}".encode()]


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


def get(cache, path="/demos/x", query="a=1", **headers):
    seen = {}

    def start_response(status, headers_, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers_)

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
               **{"HTTP_" + k.upper(): v for k, v in headers.items()}}
    body = b"".join(cache(environ, start_response))
    return seen["status"], seen["headers"], body.decode()


def test_a_repeat_is_answered_without_the_app_and_says_its_age():
    app, clock = CountingApp(), Clock()
    cache = SharedCache(app, clock=clock)
    first = get(cache)
    clock.now += 7
    status, headers, body = get(cache)
    assert app.calls == 1 and body == first[2] == "answer 1 to -" and status == "200 OK"
    assert headers["Age"] == "7" and "Age" not in first[1]
    get(cache, query="a=2")  # another URL is another entry
    assert app.calls == 2


def test_answers_are_kept_per_value_of_the_headers_they_vary_on():
    app = CountingApp(headers=[("Cache-Control", "public, max-age=60"), ("Vary", "Accept-Encoding")])
    cache = SharedCache(app)
    assert get(cache, accept_encoding="br")[2] == "answer 1 to br"
    assert get(cache, accept_encoding="gzip")[2] == "answer 2 to gzip"
    assert get(cache, accept_encoding="br")[2] == "answer 1 to br"
    assert get(cache, accept_encoding="gzip")[2] == "answer 2 to gzip"
    assert app.calls == 2


def test_a_stale_answer_is_fetched_again():
    app, clock = CountingApp(), Clock()
    cache = SharedCache(app, clock=clock)
    get(cache)
    clock.now += 60
    assert get(cache)[2] == "answer 2 to -"


@pytest.mark.parametrize("status, headers", [
    ("200 OK", [("Cache-Control", "private, max-age=60")]),
    ("200 OK", [("Cache-Control", "public, no-store")]),
    ("200 OK", [("Cache-Control", "public, max-age=0")]),
    ("200 OK", [("Cache-Control", "public, max-age=60"), ("Set-Cookie", "rl_csrf=abc")]),
    ("200 OK", [("Cache-Control", "public, max-age=60"), ("Vary", "*")]),
    ("200 OK", []),
    ("400 BAD REQUEST", [("Cache-Control", "public, max-age=60")]),
])
def test_only_public_answers_without_cookies_are_kept(status, headers):
    app = CountingApp(status, headers)
    cache = SharedCache(app)
    get(cache)
    get(cache)
    assert app.calls == 2


@pytest.mark.parametrize("headers", [{"if_none_match": '"abc"'}, {"cache_control": "no-cache"},
                                     {"pragma": "no-cache"}])
def test_conditional_and_no_cache_requests_go_to_the_app(headers):
    app = CountingApp()
    cache = SharedCache(app)
    get(cache)
    assert get(cache, **headers)[2] == "answer 2 to -"
    assert app.calls == 2


def test_the_least_recently_used_answers_make_room():
    app = CountingApp()
    cache = SharedCache(app, entries=2)
    for query in ("a=1", "a=2", "a=1", "a=3"):  # a=2 is the least recently used when a=3 arrives
        get(cache, query=query)
    assert app.calls == 3
    get(cache, query="a=1")
    get(cache, query="a=3")
    assert app.calls == 3
    get(cache, query="a=2")
    assert app.calls == 4


# ---- the shared cache in the real app -------------------------------------------------------------

def test_a_cached_fragment_is_the_same_answer_for_the_same_request():
    client = create_app({"TESTING": True}).test_client()
    url = "/demos/backoff-timeline?base_ms=150&seed=424242"
    first = client.get(url, headers=HX)
    again = client.get(url, headers=HX)
    assert first.status_code == again.status_code == 200
    assert again.headers["Age"] == "0" and "Age" not in first.headers
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Encoding"] == "br"
    plain = client.get(url, headers={"HX-Request": "true"})  # Vary: Accept-Encoding
    assert "Content-Encoding" not in plain.headers and b"<" in plain.data
    for _ in range(2):  # Vary: HX-Request: the full page is another answer, kept apart
        page = client.get(url)
        assert page.data.lower().startswith(b"<!doctype html>")
    assert page.headers["Age"] == "0"


def test_the_url_written_back_follows_the_asking_page():
    client = create_app({"TESTING": True}).test_client()
    url = "/demos/backoff-timeline?base_ms=200"
    on_demo = client.get(url, headers={**HX, "HX-Current-URL": "http://127.0.0.1/demos/backoff-timeline"})
    on_lesson = client.get(url, headers={**HX, "HX-Current-URL": "http://127.0.0.1/lessons/retry-backoff"})
    assert on_demo.headers["HX-Replace-Url"].startswith("/demos/backoff-timeline?")
    assert on_lesson.headers["HX-Replace-Url"].startswith("/lessons/retry-backoff?")


# ---- a demo that raises -----------------------------------------------------------------------------

@pytest.fixture()
def broken(monkeypatch):
    """backoff-timeline's model raises, as a bug would."""
    def boom(**values):
        raise RuntimeError("a bug in the model")

    demo = REGISTRY["backoff-timeline"]
    monkeypatch.setitem(REGISTRY, demo.id, dataclasses.replace(demo, model=boom))
    return create_app({"TESTING": True}).test_client()


def test_a_failing_demo_says_so_with_its_parameters_and_logs_the_error(broken, caplog):
    with caplog.at_level(logging.ERROR, logger="webapp.demo_state"):
        response = broken.get("/demos/backoff-timeline?base_ms=250&seed=31337", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This demo failed to run with these parameters." in html
    assert "<code>base_ms=250</code>" in html and "<code>seed=31337</code>" in html
    assert "no-store" in response.headers["Cache-Control"]
    assert any("backoff-timeline" in r.getMessage() and r.exc_info for r in caplog.records)


def test_the_rest_of_the_lesson_still_works_when_one_demo_fails(broken):
    response = broken.get("/lessons/retry-backoff?backoff-timeline.seed=31339"
                          "&revealed.storm-peak=1&revealed.jitter-peak=1")  # a state not yet cached
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This demo failed to run with these parameters." in html
    assert 'id="demo-retry-storm"' in html and 'class="verdict"' in html


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_exports_of_a_failing_demo_are_a_plain_server_error(broken, suffix):
    response = broken.get(f"/demos/backoff-timeline{suffix}?seed=31338")
    assert response.status_code == 500 and "no-store" in response.headers["Cache-Control"]
    assert "This demo failed to run" in response.get_data(as_text=True)


# ---- simulations: warmed before the room asks, one per state however many ask at once -----------

def test_warm_simulates_every_default_and_preset_as_a_request_would_ask_for_it(app):
    count = warm()
    assert count == sum(1 + len(demo.presets) for demo in REGISTRY.values())
    for demo in REGISTRY.values():
        for values in [demo.params.defaults(), *(demo.preset_values(p) for p in demo.presets)]:
            asked = demo.params.parse(MultiDict(demo.params.query_items(values)))
            assert (demo.id, freeze(asked)) in RESULTS, (demo.id, values)


def test_a_new_state_asked_for_by_many_at_once_is_simulated_once(monkeypatch):
    calls = []
    demo = REGISTRY["backoff-timeline"]

    def slow_model(**values):
        calls.append(values)
        time.sleep(0.2)
        return demo.model(**values)

    monkeypatch.setitem(REGISTRY, demo.id, dataclasses.replace(demo, model=slow_model))
    query = MultiDict({"base_ms": "170", "seed": "777001"})
    states = []
    threads = [threading.Thread(target=lambda: states.append(resolve(REGISTRY[demo.id], query))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(states) == 8
    assert all(s.result is states[0].result and s.failure is None for s in states)
