"""Issue 15, target 5: a room on real parts. deploy/nginx-room.conf's nginx in front of two app
processes sharing live sessions through Redis (bench/room.py starts all of it on loopback): a live
session works whichever process answers, and demo answers come from nginx's cache as their
Cache-Control allows. Skipped, with the reason, where nginx or redis-server is missing."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from bench.room import missing, room

pytestmark = pytest.mark.skipif(bool(missing()), reason=missing() or "")


@pytest.fixture(scope="module")
def deployed():
    with room() as r:
        yield r


class Client:
    """One browser: its own cookies, whichever server it talks to."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def get(self, url: str, **headers):
        try:
            return self.opener.open(urllib.request.Request(url, headers=headers), timeout=30)
        except urllib.error.HTTPError as err:
            return err

    def post(self, url: str, data: dict, **headers):
        body = urllib.parse.urlencode(data).encode()
        try:
            return self.opener.open(urllib.request.Request(url, body, headers=headers), timeout=30)
        except urllib.error.HTTPError as err:
            return err


def test_a_live_session_works_whichever_process_answers(deployed):
    one, two = deployed.backends
    instructor = Client()
    form = instructor.get(f"{one}/live").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    started = instructor.post(f"{one}/live/new", {"lesson": "retry-backoff", "csrf_token": token})
    code = re.search(r"/live/([A-Z]{5})/control", started.url).group(1)  # started on the first

    attendee = Client()
    assert attendee.get(f"{two}/live/{code}").status == 200  # joined on the second
    assert attendee.get(f"{two}/live/{code}/follow?v=1", **{"HX-Request": "true"}).status == 204

    steered = instructor.post(f"{two}/live/{code}/state", {"demo": "backoff-timeline", "query": "base_ms=200"},
                              **{"X-CSRF-Token": instructor.cookie("rl_csrf"), "Accept": "application/json",
                                 "HX-Request": "true"})
    assert steered.status == 200  # the instructor's token, issued by the first, holds on the second
    moved = attendee.get(f"{one}/live/{code}/follow?v=1", **{"HX-Request": "true"})
    assert moved.status == 200 and moved.headers["X-Live-Version"] == "2"
    assert 'name="base_ms" value="200"' in moved.read().decode()
    for _ in range(4):  # through nginx, whichever process it picks: up to date, and never cached
        poll = attendee.get(f"{deployed.url}/live/{code}/follow?v=2", **{"HX-Request": "true"})
        assert poll.status == 204 and poll.headers.get("X-Cache-Status") != "HIT"


def test_public_demo_answers_come_from_nginx_and_private_ones_never_do(deployed):
    browser = Client()
    url = f"{deployed.url}/demos/backoff-timeline.json?base_ms=130"
    first, second = browser.get(url), browser.get(url)
    assert first.headers["Cache-Control"] == "public, max-age=600"
    assert (first.headers["X-Cache-Status"], second.headers["X-Cache-Status"]) == ("MISS", "HIT")
    assert first.read() == second.read()
    fragment = f"{deployed.url}/demos/backoff-timeline?base_ms=140"
    statuses = [browser.get(fragment, **{"HX-Request": "true"}).headers["X-Cache-Status"] for _ in range(2)]
    assert statuses == ["MISS", "HIT"]
    # An htmx swap into a named target is private (it depends on the asking page): always passed on.
    swap = [browser.get(fragment, **{"HX-Request": "true", "HX-Target": "result-backoff-timeline"}) for _ in range(2)]
    assert [r.headers["Cache-Control"] for r in swap] == ["private, no-cache"] * 2
    assert [r.headers["X-Cache-Status"] for r in swap] == ["MISS", "MISS"]
