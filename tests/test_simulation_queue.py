"""The bounded queue in front of simulation (issue 20): heavy new states beyond it are told to come
back (503, Retry-After, a message the page shows), and cached answers never wait behind them."""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time

import pytest
from werkzeug.datastructures import MultiDict

from webapp import demo_state
from webapp.demos import REGISTRY

DEMO = "backoff-timeline"
SEEDS = itertools.count(910_000)  # a new state for every simulation the tests start (results are cached)


@pytest.fixture()
def full_queue(monkeypatch):
    """Every place in the simulation queue taken by a simulation that waits until the test ends."""
    demo = REGISTRY[DEMO]
    release, entered = threading.Event(), threading.Semaphore(0)

    def stuck_model(**values):
        entered.release()
        release.wait(10)
        return demo.model(**values)

    monkeypatch.setitem(REGISTRY, DEMO, dataclasses.replace(demo, model=stuck_model))
    monkeypatch.setattr(demo_state, "_ADMITTED", threading.BoundedSemaphore(2))
    threads = [threading.Thread(target=demo_state.resolve, args=(REGISTRY[DEMO], MultiDict({"seed": str(next(SEEDS))})))
               for _ in range(2)]
    for t in threads:
        t.start()
    assert entered.acquire(timeout=5)  # one is simulating, the other waits for it: the queue is full
    deadline = time.monotonic() + 5
    while demo_state._ADMITTED._value and time.monotonic() < deadline:
        time.sleep(0.01)
    yield
    release.set()
    for t in threads:
        t.join()


def test_beyond_the_queue_a_new_state_is_a_kind_503_in_the_demo(app, client, full_queue):
    response = client.get(f"/demos/{DEMO}", query_string={"seed": next(SEEDS)},
                          headers={"HX-Request": "true", "HX-Target": f"demo-{DEMO}"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert response.headers["HX-Retarget"] == f"#result-{DEMO}"  # the controls stay, the message goes in the result
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "data-busy" in html and "try again in 2 seconds" in html


@pytest.mark.parametrize("suffix, kind", [(".json", "application/json"), (".csv", "text/plain"), ("", "text/html")])
def test_every_format_says_busy_with_retry_after(client, full_queue, suffix, kind):
    response = client.get(f"/demos/{DEMO}{suffix}", query_string={"seed": next(SEEDS)})
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert response.mimetype == kind and "Try again in 2 seconds" in response.get_data(as_text=True)


@pytest.fixture()
def defaults_cached(client):
    assert client.get(f"/demos/{DEMO}", headers={"HX-Request": "true"}).status_code == 200


def test_cached_answers_do_not_wait_behind_the_queue(client, defaults_cached, full_queue):
    response = client.get(f"/demos/{DEMO}", headers={"HX-Request": "true"})  # the defaults: simulated already
    assert response.status_code == 200 and "verdict" in response.get_data(as_text=True)


def test_the_queue_frees_its_places(client):
    response = client.get(f"/demos/{DEMO}", query_string={"seed": next(SEEDS)})
    assert response.status_code == 200
    assert demo_state._ADMITTED._value == demo_state.SIM_QUEUE


def test_the_busy_message_is_swapped_in_by_the_page(client):
    html = client.get(f"/demos/{DEMO}").get_data(as_text=True)
    assert "js/busy" in html
