"""Live sessions through their routes, against both stores (SQLite and a real redis-server).

Each test gets a fresh store and a clock it can move (`live.clock.t += …`), so expiry and the answer
rate limit are tested without sleeping. Instructor and attendees are separate test clients, as they
are separate browsers.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.test_live_store import flush, redis_url  # noqa: F401  (the session's redis-server)
from webapp import create_app
from webapp.live.store import open_store
from webapp.compressed import RenderCache
from webapp.live.views import Presence


class Clock:
    def __init__(self):
        self.t = time.time()

    def __call__(self):
        return self.t


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def live_app(request, tmp_path_factory):
    config = {"TESTING": True, "LIVE_CLOCK": Clock(), "REDIS_URL": None,
              "LIVE_DB": str(tmp_path_factory.mktemp("live") / "unused.sqlite3")}
    if request.param == "redis":
        config["REDIS_URL"] = request.getfixturevalue("redis_url")
    return create_app(config)


@pytest.fixture()
def live(live_app, tmp_path):
    """The app with an empty store, a fresh clock and a room limit of 3."""
    url = live_app.config["REDIS_URL"]
    if url:
        flush(url)
    live_app.config.update(LIVE_CLOCK=Clock(), LIVE_ROOM_LIMIT=3, LIVE_ANSWER_INTERVAL_S=1.0)
    live_app.extensions["live"] = {"store": open_store(tmp_path / "live.sqlite3", url), "presence": Presence(),
                                   "stage": RenderCache(8), "blocks": RenderCache(8)}
    live_app.clock = live_app.config["LIVE_CLOCK"]
    return live_app


def csrf(client, url="/live") -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def start(live, lesson="retry-backoff"):
    """An instructor's client and the room code of the session they started."""
    client = live.test_client()
    response = client.post("/live/new", data={"lesson": lesson, "csrf_token": csrf(client)})
    assert response.status_code == 303
    code = re.fullmatch(r"/live/([A-Z]{5})/control", response.headers["Location"]).group(1)
    return client, code


def attend(live, code):
    """An attendee's client (joined) and its CSRF token."""
    client = live.test_client()
    response = client.get(f"/live/{code}")
    assert response.status_code == 200, response.status_code
    return client, client.get_cookie("rl_csrf").value


def steer(client, code, path="state", **data):
    token = client.get_cookie("rl_csrf").value
    return client.post(f"/live/{code}/{path}", data=data,
                       headers={"X-CSRF-Token": token, "Accept": "application/json", "HX-Request": "true"})


def follow(client, code, version):
    return client.get(f"/live/{code}/follow", query_string={"v": version}, headers={"HX-Request": "true"})


def answer(client, token, code, qid, value):
    return client.post(f"/live/{code}/answer", data={"csrf_token": token, "question": qid, "answer": value},
                       headers={"HX-Request": "true"})


# ---- starting ------------------------------------------------------------------------------------

def test_starting_a_session_needs_the_csrf_token(live):
    client = live.test_client()
    assert client.post("/live/new", data={"lesson": "retry-backoff"}).status_code == 403
    assert client.post("/live/new", data={"lesson": "retry-backoff", "csrf_token": "forged"}).status_code == 403
    assert client.get("/live/new").status_code == 200


def test_starting_a_session_gives_a_room_code_and_a_private_control_page(live):
    client, code = start(live)
    cookie = client.get_cookie("rl_live_ctl", path=f"/live/{code}")
    assert cookie is not None and cookie.http_only and len(cookie.value) >= 32
    page = client.get(f"/live/{code}/control")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and code in html and f"/live/{code}" in html
    assert 'data-live="control"' in html and 'id="demo-backoff-timeline"' in html
    assert 'id="live-panel-storm-peak"' in html  # the lesson's questions, ready to ask
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script>" not in html


def test_an_unknown_lesson_is_refused(live):
    client = live.test_client()
    response = client.post("/live/new", data={"lesson": "nope", "csrf_token": csrf(client)})
    assert response.status_code == 400 and "There is no lesson" in response.get_data(as_text=True)


def test_the_control_page_needs_the_token(live):
    client, code = start(live)
    token = client.get_cookie("rl_live_ctl", path=f"/live/{code}").value
    stranger = live.test_client()
    assert stranger.get(f"/live/{code}/control").status_code == 403
    assert stranger.get(f"/live/{code}/control?token=wrong").status_code == 403
    # The private link: the token moves into a cookie and out of the address bar.
    response = stranger.get(f"/live/{code}/control?token={token}")
    assert response.status_code == 303 and response.headers["Location"] == f"/live/{code}/control"
    assert stranger.get(f"/live/{code}/control").status_code == 200


def test_only_the_instructor_can_steer(live):
    client, code = start(live)
    attendee, token = attend(live, code)
    for path, data in (("state", {"demo": "retry-storm"}), ("question", {"action": "open", "question": "storm-peak"}),
                       ("end", {})):
        response = attendee.post(f"/live/{code}/{path}", data=data, headers={"X-CSRF-Token": token})
        assert response.status_code == 403, path
    assert attendee.get(f"/live/{code}/panel").status_code == 403
    assert live.extensions["live"]["store"].get(code, live.clock()).version == 1


def test_steering_needs_the_csrf_token_too(live):
    client, code = start(live)
    response = client.post(f"/live/{code}/state", data={"demo": "retry-storm"})
    assert response.status_code == 403
    response = client.post(f"/live/{code}/state", data={"demo": "retry-storm"},
                           headers={"X-CSRF-Token": client.get_cookie("rl_csrf").value, "Origin": "http://evil.example"})
    assert response.status_code == 403


# ---- steering and following ----------------------------------------------------------------------

def test_a_state_change_is_validated_like_every_parameter(live):
    client, code = start(live)
    for data, param in (({"demo": "backoff-timeline", "query": "base_ms=5"}, "base_ms"),
                        ({"demo": "backoff-timeline", "query": "jitter=chaos"}, "jitter"),
                        ({"demo": "backoff-timeline", "query": "seed=1&seed=2"}, "seed"),
                        ({"demo": "no-such-demo"}, "demo"),
                        ({"lesson": "no-such-lesson"}, "lesson")):
        response = steer(client, code, **data)
        assert response.status_code == 400, data
        assert response.get_json()["param"] == param
    assert "allowed: 10 to 2000 ms" in steer(client, code, demo="backoff-timeline", query="base_ms=5").get_json()["error"]
    ok = steer(client, code, demo="backoff-timeline", query="base_ms=200&multiplier=2")
    assert ok.status_code == 200
    assert ok.get_json() == {"version": 2, "state": {"lesson": "retry-backoff", "demo": "backoff-timeline",
                                                     "query": "base_ms=200", "question": None, "phase": None}}


def test_a_poll_is_204_until_the_instructor_moves_then_the_new_state(live):
    client, code = start(live)
    attendee, _ = attend(live, code)
    unchanged = follow(attendee, code, 1)
    assert unchanged.status_code == 204 and unchanged.data == b"" and unchanged.headers["X-Live-Version"] == "1"
    steer(client, code, demo="backoff-timeline", query="base_ms=200")
    moved = follow(attendee, code, 1)
    html = moved.get_data(as_text=True)
    assert moved.status_code == 200 and moved.headers["X-Live-Version"] == "2"
    assert f'hx-get="/live/{code}/follow?v=2"' in html and 'hx-trigger="every 500ms"' in html
    assert "Gave up after 3,000 ms and 5 attempts" in html  # the demo in the instructor's state
    assert 'id="backoff-timeline-base_ms" name="base_ms" value="200"' in html
    assert follow(attendee, code, 2).status_code == 204
    # A client that lost track (a flaky network, a stale tab) catches up from any version.
    assert follow(attendee, code, 0).status_code == 200 and follow(attendee, code, "junk").status_code == 200


def test_switching_lesson_and_demo(live, app):
    client, code = start(live)
    attendee, _ = attend(live, code)
    response = client.post(f"/live/{code}/state", data={"demo": "retry-storm",
                                                        "csrf_token": client.get_cookie("rl_csrf").value})
    assert response.status_code == 303  # a plain form: back to the control page
    html = follow(attendee, code, 1).get_data(as_text=True)
    assert 'id="demo-retry-storm"' in html and 'id="demo-backoff-timeline"' not in html


def test_the_attendee_page_follows_and_the_detached_page_does_not_poll(live):
    client, code = start(live)
    attendee = live.test_client()
    page = attendee.get(f"/live/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "data-live-poll" in html and 'data-live="follow"' in html
    cookie = attendee.get_cookie("rl_live_id", path="/live")
    assert cookie is not None and cookie.http_only
    detached = attendee.get(f"/live/{code}?detached=1").get_data(as_text=True)
    assert "data-live-poll" not in detached and "hx-trigger" not in detached.split('id="live-follow"')[1][:400]
    assert f'href="/live/{code}"' in detached and "Rejoin the session" in detached
    assert 'id="demo-backoff-timeline"' in detached  # the same state, to explore from
    assert attendee.get(f"/live/{code.lower()}").headers["Location"] == f"/live/{code}"


def test_joining_by_typing_the_code(live):
    client, code = start(live)
    response = live.test_client().get("/live", query_string={"code": f" {code.lower()} "})
    assert response.status_code == 303 and response.headers["Location"] == f"/live/{code}"
    bad = live.test_client().get("/live", query_string={"code": "nope!"})
    assert bad.status_code == 400 and "A room code is 5 letters" in bad.get_data(as_text=True)
    assert live.test_client().get("/live/QQQQQ1").status_code == 404


def test_unknown_and_ended_sessions(live):
    client, code = start(live)
    attendee, _ = attend(live, code)
    missing = "ZZZZZ" if code != "ZZZZZ" else "YYYYY"
    assert live.test_client().get(f"/live/{missing}").status_code == 404
    assert follow(attendee, missing, 1).status_code == 410
    response = client.post(f"/live/{code}/end", data={"csrf_token": client.get_cookie("rl_csrf").value})
    assert response.status_code == 303
    ended = follow(attendee, code, 1)
    assert ended.status_code == 410 and "has ended" in ended.get_data(as_text=True)
    assert "hx-trigger" not in ended.get_data(as_text=True)  # the poll stops there


def test_a_session_expires_after_the_instructors_last_change(live):
    client, code = start(live)
    attendee, _ = attend(live, code)
    ttl = live.config["LIVE_TTL_S"]
    live.clock.t += ttl - 60
    assert steer(client, code, demo="backoff-timeline", query="base_ms=200").status_code == 200  # pushes it back
    live.clock.t += ttl - 60
    assert follow(attendee, code, 1).status_code == 200
    live.clock.t += 120
    assert follow(attendee, code, 2).status_code == 410
    assert attendee.get(f"/live/{code}").status_code == 404
    assert client.get(f"/live/{code}/control").status_code == 404


# ---- the room's questions ------------------------------------------------------------------------

def test_each_attendee_counts_once_and_the_instructor_sees_the_distribution(live):
    client, code = start(live)
    assert steer(client, code, "question", action="open", question="storm-peak").status_code == 200
    people = [attend(live, code) for _ in range(3)]
    for (who, token), value in zip(people, ("2", "2", "0")):
        response = answer(who, token, code, "storm-peak", value)
        assert response.status_code == 200 and "Your answer is in" in response.get_data(as_text=True)
    live.clock.t += 2
    assert answer(*people[2], code, "storm-peak", "2").status_code == 200  # changed their mind: still one
    store = live.extensions["live"]["store"]
    assert sorted(store.answers(code, "storm-peak")) == ["2", "2", "2"]
    html = client.get(f"/live/{code}/panel").get_data(as_text=True)
    assert re.search(r"<span data-answers>3</span> answers", html)
    assert '"x": [0, 0, 3, 0]' in html.replace("&#34;", '"')  # the chart counts All 1,000 three times
    assert "<strong data-online>3</strong> attendees online" in html


def test_the_panel_poll_is_204_while_nothing_changed(live):
    client, code = start(live)
    steer(client, code, "question", action="open", question="storm-peak")
    html = client.get(f"/live/{code}/panel").get_data(as_text=True)
    sig = re.search(r"sig=([0-9a-f]+)", html).group(1)
    assert client.get(f"/live/{code}/panel?sig={sig}").status_code == 204
    who, token = attend(live, code)
    answer(who, token, code, "storm-peak", "1")
    assert client.get(f"/live/{code}/panel?sig={sig}").status_code == 200


def test_answers_are_rate_limited_and_validated(live):
    client, code = start(live)
    steer(client, code, "question", action="open", question="give-up-time")
    who, token = attend(live, code)
    assert answer(who, token, code, "give-up-time", "soon").status_code == 400
    assert answer(who, token, code, "give-up-time", "1,500").status_code == 200
    limited = answer(who, token, code, "give-up-time", "1400")
    assert limited.status_code == 429 and "One answer a second" in limited.get_data(as_text=True)
    live.clock.t += 1.5
    assert answer(who, token, code, "give-up-time", "1400").status_code == 200
    assert live.extensions["live"]["store"].answers(code, "give-up-time") == ["1400"]
    assert answer(who, token, code, "storm-peak", "2").status_code == 409  # not the open question
    assert answer(who, "forged", code, "give-up-time", "1").status_code == 403  # CSRF


def test_closed_and_revealed_questions(live):
    client, code = start(live)
    steer(client, code, "question", action="open", question="storm-peak")
    who, token = attend(live, code)
    answer(who, token, code, "storm-peak", "1")
    steer(client, code, "question", action="close")
    live.clock.t += 2
    closed = answer(who, token, code, "storm-peak", "2")
    assert closed.status_code == 409 and "Answers are closed" in closed.get_data(as_text=True)
    steer(client, code, "question", action="reveal")
    html = follow(who, code, 1).get_data(as_text=True)
    assert "The answer: All 1,000." in html and "You said About 250: not quite." in html
    assert 'id="chart-live-storm-peak"' in html and "The room: 0 of 1 right." in html
    assert 'id="live-q-storm-peak-revealed"' in html
    assert "hx-preserve" in html  # a later demo change keeps this block as it is on the attendee's page
    panel = client.get(f"/live/{code}/panel").get_data(as_text=True)
    assert "Revealed:" in panel and "the answer is All 1,000" in panel
    assert steer(client, code, "question", action="open", question="nope").status_code == 400


def test_a_plain_form_answer_redirects_back_to_the_page(live):
    client, code = start(live)
    steer(client, code, "question", action="open", question="storm-peak")
    who, token = attend(live, code)
    response = who.post(f"/live/{code}/answer", data={"csrf_token": token, "question": "storm-peak", "answer": "2"})
    assert response.status_code == 303 and response.headers["Location"] == f"/live/{code}"
    assert "Your answer is in: <strong>All 1,000</strong>" in who.get(f"/live/{code}").get_data(as_text=True)


def test_the_room_has_a_size_limit(live):
    client, code = start(live)
    for _ in range(3):
        attend(live, code)
    latecomer = live.test_client()
    response = latecomer.get(f"/live/{code}")
    assert response.status_code == 403 and "This room is full" in response.get_data(as_text=True)
    assert live.extensions["live"]["store"].attendees(code) == 3


def test_a_poll_records_presence_at_most_every_few_seconds(live):
    client, code = start(live)
    who, _ = attend(live, code)
    store = live.extensions["live"]["store"]
    writes = []
    join = store.join
    store.join = lambda *args: writes.append(args[2]) or join(*args)
    for _ in range(6):  # three seconds of polls after joining: no write
        live.clock.t += 0.5
        assert follow(who, code, 1).status_code == 204
    assert writes == []
    live.clock.t += 1.5
    follow(who, code, 1)
    assert writes == [live.clock()]  # four seconds on: seen again
    live.clock.t += 30  # everybody left...
    assert store.online(code, live.clock() - 10) == 0
    follow(who, code, 1)  # ...one came back: counted again
    assert store.online(code, live.clock() - 10) == 1


def test_the_live_script_is_only_on_live_pages(live, client):
    _, code = start(live)
    assert "js/live.js" in live.test_client().get(f"/live/{code}").get_data(as_text=True)
    assert "js/live.js" not in client.get("/lessons/retry-backoff").get_data(as_text=True)
    assert Path(live.static_folder, "js", "live.js").is_file()


def test_two_app_servers_share_the_room(live, tmp_path):
    """A second app on the same store is another gunicorn worker, or another machine behind a load
    balancer: whichever one holds an attendee's connection, the room is the same."""
    other = create_app({"TESTING": True, "LIVE_CLOCK": live.clock, "REDIS_URL": live.config["REDIS_URL"],
                        "LIVE_DB": str(tmp_path / "live.sqlite3")})
    client, code = start(live)
    attendee, token = attend(other, code)
    steer(client, code, demo="backoff-timeline", query="base_ms=200")
    assert "Gave up after 3,000 ms" in follow(attendee, code, 1).get_data(as_text=True)
    steer(client, code, "question", action="open", question="storm-peak")
    assert answer(attendee, token, code, "storm-peak", "2").status_code == 200
    assert "<span data-answers>1</span>" in client.get(f"/live/{code}/panel").get_data(as_text=True)


def test_the_follow_block_is_compressed_once_per_version_and_answer(live):
    import brotli

    client, code = start(live)
    steer(client, code, "question", action="open", question="storm-peak")
    people = [attend(live, code) for _ in range(3)]
    for (who, token), value in zip(people, ("2", "2", "0")):
        answer(who, token, code, "storm-peak", value)
    blocks = [who.get(f"/live/{code}/follow?v=0", headers={"HX-Request": "true", "Accept-Encoding": "gzip, br"})
              for who, _ in people]
    assert all(b.headers["Content-Encoding"] == "br" and "Accept-Encoding" in b.headers["Vary"] for b in blocks)
    assert blocks[0].data == blocks[1].data != blocks[2].data  # the same answer, the same bytes
    html = brotli.decompress(blocks[2].data).decode()
    assert "Your answer is in: <strong>About 100</strong>" in html
    assert 'name="csrf_token"' not in html  # the token rides in hx-headers: the block is not per person
    plain = people[0][0].get(f"/live/{code}/follow?v=0", headers={"HX-Request": "true"})
    assert "Content-Encoding" not in plain.headers and "All 1,000</strong>" in plain.get_data(as_text=True)


def test_an_unreachable_store_is_a_friendly_503_and_polls_keep_trying(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on: Redis is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app({"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{port}/0",
                      "LIVE_DB": str(tmp_path / "unused.sqlite3")})
    client = app.test_client()
    assert client.get("/live").status_code == 200  # nothing to read yet
    response = client.post("/live/new", data={"lesson": "retry-backoff", "csrf_token": csrf(client)})
    assert response.status_code == 503 and "did not answer" in response.get_data(as_text=True)
    poll = client.get("/live/ABCDE/follow?v=1", headers={"HX-Request": "true"})
    assert poll.status_code == 503 and poll.headers["Retry-After"] == "1"  # htmx keeps polling; no swap


def test_a_change_is_rendered_once_per_process_however_many_polls_arrive_together():
    import threading

    cache, calls = RenderCache(4), []

    def build():
        calls.append(1)
        time.sleep(0.05)
        return "block"

    threads = [threading.Thread(target=cache.get, args=(("ABCDE", 1.0, 2), build)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and cache.get(("ABCDE", 1.0, 2), build) == "block"
    for version in range(3, 9):  # least recently used out
        cache.get(("ABCDE", 1.0, version), lambda: "newer")
    assert len(cache._items) == 4
