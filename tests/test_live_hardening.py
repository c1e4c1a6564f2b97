"""A room nobody can break: hostile answers, forged attendee ids, floods of joins and code guesses.

Each case is one that broke a live workshop when probed as an attacker in the room (issue 20), run
against both stores like the other route tests.
"""

from __future__ import annotations

import logging
import re

import pytest

from tests.test_live_routes import answer, attend, follow, live, live_app, start, steer  # noqa: F401
from tests.test_live_store import redis_url  # noqa: F401
from webapp.lessons import Question
from webapp.live import session as model
from webapp.live.store import RedisLiveStore


@pytest.fixture(autouse=True)
def limits_for_loopback(live_app):
    """The test client's address is 127.0.0.1, which the limits leave alone unless told otherwise."""
    live_app.config["LIVE_LIMIT_LOOPBACK"] = True
    yield
    live_app.config["LIVE_LIMIT_LOOPBACK"] = False


def test_two_huge_answers_do_not_take_the_room_down(live):
    """±1e308 made the histogram overflow: the control page, the panel and, after Reveal, every
    attendee page answered 500. They are refused now, each with the allowed range."""
    client, code = start(live, "fallacies")
    assert steer(client, code, "question", action="open", question="chain-success").status_code == 200
    (a, ta), (b, tb), (c, tc) = (attend(live, code) for _ in range(3))
    for who, token, value in ((a, ta, "1e308"), (b, tb, "-1e308")):
        refused = answer(who, token, code, "chain-success", value)
        assert refused.status_code == 400
        assert "give a number from 0 to 100" in refused.get_data(as_text=True)
    assert answer(c, tc, code, "chain-success", "95").status_code == 200
    assert client.get(f"/live/{code}/control").status_code == 200
    assert client.get(f"/live/{code}/panel").status_code == 200
    steer(client, code, "question", action="reveal")
    for who in (a, b, c):
        assert who.get(f"/live/{code}").status_code == 200
        assert follow(who, code, 1).status_code == 200


def test_answers_stored_before_the_validation_cannot_break_a_reveal(live):
    """A store may hold answers accepted by an older, laxer server: the chart leaves them out."""
    client, code = start(live, "fallacies")
    steer(client, code, "question", action="open", question="chain-success")
    who, token = attend(live, code)
    assert answer(who, token, code, "chain-success", "95").status_code == 200
    store = live.extensions["live"]["store"]
    session = store.get(code, live.clock())
    for attendee, value in (("A" * 16, "1e308"), ("B" * 16, "-1e308"), ("C" * 16, "inf")):
        store.join(session, attendee, live.clock(), 10)
        store.answer(session, "chain-success", attendee, value, live.clock(), 0)
    steer(client, code, "question", action="reveal")
    panel = client.get(f"/live/{code}/panel")
    assert panel.status_code == 200 and "<span data-answers>1</span> answer" in panel.get_data(as_text=True)
    assert follow(who, code, 1).status_code == 200


@pytest.mark.parametrize("values", [[1e308, -1e308], [float("inf"), 3.0], [float("nan")], [-1e300, 1e300, 5.0]])
def test_the_histogram_stands_on_any_floats(values):
    edges, counts = model.numeric_bins(values)
    assert sum(counts) == len([v for v in values if v == v and abs(v) != float("inf")])
    assert all(abs(e) < 1e16 for e in edges) and len(edges) == len(counts) + 1


@pytest.mark.parametrize("raw, problem", [
    ("1_000", "is not a number"), ("٣", "is not a number"), ("1,,,5", "is not a number"),
    ("nan", "is not a number"), ("inf", "is not a number"), ("0x10", "is not a number"), ("", "give a number"),
    ("1e999", "is not a number"), ("-1", "from 0 to 100"), ("101", "from 0 to 100"),
])
def test_a_numeric_answer_is_plain_digits_within_its_range(raw, problem):
    q = Question(id="q", ask="?", answer=95.1, explain="", show="/", min=0, max=100)
    value, said = q.number(raw)
    assert value is None and problem in said
    assert q.check(raw)[0] is None


@pytest.mark.parametrize("raw, value", [("95", 95), ("95.1", 95.1), (" 1,000 ", 1000), (".5", 0.5), ("5.", 5),
                                        ("1e2", 100), ("+7", 7), ("1,00", 1)])  # "1,00": a decimal comma
def test_a_numeric_answer_as_people_write_it(raw, value):
    q = Question(id="q", ask="?", answer=95.1, explain="", show="/", max=10_000)
    assert q.number(raw) == (value, "")


def test_the_lesson_question_says_what_is_wrong(client):
    client.get("/lessons/fallacies")
    token = client.get_cookie("rl_csrf").value
    response = client.post("/lessons/fallacies/questions/chain-success", data={"csrf_token": token, "answer": "1_000"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 400 and "“1_000” is not a number" in response.get_data(as_text=True)


# ---- attendee ids -------------------------------------------------------------------------------

def test_a_forged_attendee_id_gets_no_seat(live):
    """The id was any 16 characters the client chose: 520 forged ids took all 500 seats. Now a
    cookie the server did not sign is ignored, and the visitor is a new attendee like any other."""
    client, code = start(live)
    forger = live.test_client()
    forger.set_cookie("rl_live_id", "A" * 16, path="/live")
    page = forger.get(f"/live/{code}")
    assert page.status_code == 200
    issued = forger.get_cookie("rl_live_id", path="/live").value
    assert issued != "A" * 16 and model.verify_attendee(live.extensions["live"]["secret"], issued)
    forger.set_cookie("rl_live_id", issued[:-1] + ("0" if issued[-1] != "0" else "1"), path="/live")
    forger.get(f"/live/{code}")
    store = live.extensions["live"]["store"]
    assert store.attendees(code) == 2  # the tampered cookie was a second new attendee, not the first one


def test_the_signing_key_is_shared_by_every_process_on_the_store(live, tmp_path):
    from webapp import create_app

    client, code = start(live)
    who, _ = attend(live, code)
    other = create_app({"TESTING": True, "LIVE_DB": live.config["LIVE_DB"], "REDIS_URL": live.config["REDIS_URL"],
                        "LIVE_CLOCK": live.clock})
    other.extensions["live"]["store"] = live.extensions["live"]["store"]
    assert other.extensions["live"]["store"].secret() == live.extensions["live"]["store"].secret()
    second = other.test_client()
    second.set_cookie("rl_live_id", who.get_cookie("rl_live_id", path="/live").value, path="/live")
    assert second.get(f"/live/{code}").status_code == 200
    assert live.extensions["live"]["store"].attendees(code) == 1  # the same attendee on the other server


# ---- rate limits --------------------------------------------------------------------------------

def test_new_attendees_are_rate_limited_per_address(live):
    live.config.update(LIVE_ROOM_LIMIT=100, LIVE_JOINS_PER_MINUTE=5)
    try:
        client, code = start(live)
        statuses = [live.test_client().get(f"/live/{code}").status_code for _ in range(7)]
        assert statuses == [200] * 5 + [429] * 2
        limited = live.test_client().get(f"/live/{code}")
        assert "Too many new attendees from your address" in limited.get_data(as_text=True)
        assert live.extensions["live"]["store"].attendees(code) == 5
        live.clock.t += 60
        assert live.test_client().get(f"/live/{code}").status_code == 200  # a new minute
        for _ in range(4):
            live.test_client().get(f"/live/{code}")
        other = live.test_client()
        other.environ_base["REMOTE_ADDR"] = "10.0.0.7"
        assert other.get(f"/live/{code}").status_code == 200  # another address has its own budget
    finally:
        live.config.update(LIVE_JOINS_PER_MINUTE=60)


def test_a_known_attendee_is_never_limited_by_joins(live):
    live.config.update(LIVE_JOINS_PER_MINUTE=1)
    try:
        client, code = start(live)
        who, _ = attend(live, code)
        for _ in range(5):
            assert who.get(f"/live/{code}").status_code == 200
    finally:
        live.config.update(LIVE_JOINS_PER_MINUTE=60)


def test_guessing_room_codes_is_rate_limited(live):
    live.config.update(LIVE_LOOKUPS_PER_MINUTE=3)
    try:
        client, code = start(live)
        guesser = live.test_client()
        guesses = [f"/live/{c * 5}" for c in "ABCDE"]
        assert [guesser.get(u).status_code for u in guesses] == [404, 404, 404, 429, 429]
        assert "Too many room codes that do not exist" in guesser.get("/live/FFFFF").get_data(as_text=True)
        assert guesser.get("/live/GGGGG/follow", headers={"HX-Request": "true"}).status_code == 429
        assert guesser.get(f"/live/{code}").status_code == 200  # a real code still works
        live.clock.t += 60
        assert guesser.get("/live/HHHHH").status_code == 404
    finally:
        live.config.update(LIVE_LOOKUPS_PER_MINUTE=20)


def test_the_machine_itself_is_not_limited_by_default(live):
    live.config.update(LIVE_LIMIT_LOOPBACK=False, LIVE_LOOKUPS_PER_MINUTE=1, LIVE_ROOM_LIMIT=100, LIVE_JOINS_PER_MINUTE=1)
    try:
        client, code = start(live)
        assert [live.test_client().get(f"/live/{code}").status_code for _ in range(3)] == [200] * 3
        assert [client.get("/live/ZZZZZ").status_code for _ in range(3)] == [404] * 3
        phone = live.test_client()
        phone.environ_base["REMOTE_ADDR"] = "192.168.1.20"
        assert [phone.get(u).status_code for u in ("/live/ZZZZZ", "/live/YYYYY")] == [404, 429]
    finally:
        live.config.update(LIVE_LOOKUPS_PER_MINUTE=20, LIVE_JOINS_PER_MINUTE=60, LIVE_LIMIT_LOOPBACK=True)


def test_the_limiter_counts_per_window_in_the_store(live):
    store = live.extensions["live"]["store"]
    t = 60 * 16_667 + 20.0  # 20 s into a minute
    assert [store.hit("k", 60, t + i) for i in range(3)] == [1, 2, 3]
    assert store.hit("other", 60, t) == 1
    assert store.hit("k", 60, t + 40) == 1  # the next minute starts again


# ---- the instructor hears about a full room -----------------------------------------------------

def test_a_full_room_says_so_to_the_instructor(live):
    client, code = start(live)
    attend(live, code)
    assert "data-room-full" not in client.get(f"/live/{code}/panel").get_data(as_text=True)
    attend(live, code), attend(live, code)
    assert live.test_client().get(f"/live/{code}").status_code == 403
    html = client.get(f"/live/{code}/panel").get_data(as_text=True)
    assert "data-room-full" in html and re.search(r"all 3 seats\s+are taken", html)
    assert "data-room-full" in client.get(f"/live/{code}/control").get_data(as_text=True)


# ---- Redis without persistence ------------------------------------------------------------------

def test_redis_without_persistence_is_warned_about(redis_url, caplog):  # noqa: F811
    from webapp import create_app

    with caplog.at_level(logging.WARNING, logger="webapp.live.views"):
        create_app({"TESTING": True, "REDIS_URL": redis_url})
    assert any("without persistence" in r.getMessage() and "--appendonly yes" in r.getMessage()
               for r in caplog.records)
    store = RedisLiveStore(redis_url)
    store.redis.config_set("save", "3600 1")
    try:
        assert store.persistence_warning() is None
    finally:
        store.redis.config_set("save", "")
