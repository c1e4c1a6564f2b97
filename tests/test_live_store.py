"""The live-session model and both stores (SQLite and a real redis-server), held to the same contract.

The `store_factory` fixture is parametrised over the two stores: every contract test runs against each.
The Redis tests start a throwaway `redis-server` on a free 127.0.0.1 port (no persistence) for the
whole test session, and are skipped, saying why, when the binary is missing (`make test` installs it).
"""

from __future__ import annotations

import atexit
import multiprocessing
import shutil
import socket
import subprocess
import threading
import time

import plotly.graph_objects as go
import pytest

from webapp.lessons import Question
from webapp.live import session as model
from webapp.live.store import NOT_JOINED, OK, RATE_LIMITED, RedisLiveStore, SQLiteLiveStore

TTL = 3600.0
STATE = {"lesson": "retry-backoff", "demo": "backoff-timeline", "query": "", "question": None, "phase": None}


# ---- a real redis-server for the session (shared with the route and browser tests) ---------------

class RedisServer:
    """`redis-server` on a free loopback port, in memory only; one per test process."""

    _shared: "RedisServer | None" = None

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    @classmethod
    def shared(cls) -> "RedisServer":
        if cls._shared is None:
            cls._shared = cls()
            atexit.register(cls._shared.stop)
        return cls._shared


REDIS_MISSING = "redis-server is not installed: run `make test` as root to install Debian's redis-server"


@pytest.fixture(scope="session")
def redis_url():
    if not shutil.which("redis-server"):
        pytest.skip(REDIS_MISSING)
    server = RedisServer.shared()
    yield server.url


def flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@pytest.fixture(params=["sqlite", "redis"])
def store_factory(request, tmp_path):
    """A function that opens a store on the same data each time it is called (a 'restart')."""
    if request.param == "sqlite":
        path = tmp_path / "live.sqlite3"
        return lambda: SQLiteLiveStore(path)
    url = request.getfixturevalue("redis_url")
    flush(url)
    return lambda: RedisLiveStore(url)


@pytest.fixture()
def store(store_factory):
    return store_factory()


def new(store, code="ABCDE", now=None, ttl=TTL):
    session = store.create(code, model.hash_token("secret"), STATE, time.time() if now is None else now, ttl)
    assert session is not None
    return session


# ---- sessions -----------------------------------------------------------------------------------

def test_a_new_session_starts_at_version_1_and_its_code_is_taken(store):
    now = time.time()
    session = new(store, now=now)
    assert (session.code, session.version, session.state) == ("ABCDE", 1, STATE)
    assert session.expires == pytest.approx(now + TTL)
    assert store.get("ABCDE", now) == session
    assert store.create("ABCDE", "other", STATE, now, TTL) is None
    assert store.get("ZZZZZ", now) is None


def test_the_version_moves_only_when_the_state_changes(store):
    now = time.time()
    new(store, now=now)
    moved = {**STATE, "query": "base_ms=200"}
    assert store.update("ABCDE", moved, now + 1, TTL).version == 2
    assert store.update("ABCDE", moved, now + 2, TTL).version == 2  # the same state again: no change
    touched = store.update("ABCDE", None, now + 3, TTL)  # an instructor's visit only pushes expiry back
    assert (touched.version, touched.state, touched.expires) == (2, moved, pytest.approx(now + 3 + TTL))
    assert store.update("ZZZZZ", moved, now, TTL) is None


def test_a_session_survives_a_restart_of_the_app(store_factory):
    now = time.time()
    first = store_factory()
    new(first, now=now)
    first.update("ABCDE", {**STATE, "query": "base_ms=300"}, now, TTL)
    restarted = store_factory()
    session = restarted.get("ABCDE", now + 1)
    assert (session.version, session.state["query"]) == (2, "base_ms=300")


def test_a_session_expires_ttl_after_the_instructors_last_change(store):
    now = time.time()
    new(store, now=now, ttl=100)
    assert store.get("ABCDE", now + 99) is not None
    store.update("ABCDE", {**STATE, "query": "base_ms=20"}, now + 50, 100)  # pushed back to now + 150
    assert store.get("ABCDE", now + 149) is not None
    assert store.get("ABCDE", now + 151) is None
    assert store.update("ABCDE", STATE, now + 151, 100) is None


def test_expired_sessions_are_pruned_with_their_rooms(tmp_path):
    store = SQLiteLiveStore(tmp_path / "live.sqlite3")
    now = time.time()
    old = new(store, now=now - 200, ttl=100)
    store.join(old, "a" * 16, now - 150, 10)
    store.answer(old, "q", "a" * 16, "1", now - 150, 1.0)
    assert new(store, "ABCDE", now=now).version == 1  # the expired code is free again...
    assert store.attendees("ABCDE") == 0 and store.answers("ABCDE", "q") == []  # ...and its room is gone


def test_redis_keys_expire_with_the_session(redis_url):
    import redis

    flush(redis_url)
    store = RedisLiveStore(redis_url)
    now = time.time()
    session = new(store, now=now, ttl=100)
    store.join(session, "a" * 16, now, 10)
    store.answer(session, "q", "a" * 16, "1", now, 1.0)
    r = redis.Redis.from_url(redis_url)
    keys = r.keys("rl:live:{ABCDE}*")
    assert len(keys) == 5  # session, seen, last, asked, ans:q
    for key in keys:
        assert 95_000 < r.pttl(key) <= 100_000, key
    store.update("ABCDE", None, now + 50, 100)  # the instructor's change pushes every key back
    for key in keys:
        assert 140_000 < r.pttl(key) <= 150_000, key


def test_ending_a_session_removes_everything_of_it(store):
    now = time.time()
    session = new(store, now=now)
    store.join(session, "a" * 16, now, 10)
    store.answer(session, "q", "a" * 16, "1", now, 1.0)
    store.end("ABCDE")
    assert store.get("ABCDE", now) is None
    assert store.attendees("ABCDE") == 0 and store.answers("ABCDE", "q") == []


# ---- the room -----------------------------------------------------------------------------------

def test_the_room_limit_counts_distinct_attendees(store):
    now = time.time()
    session = new(store, now=now)
    assert all(store.join(session, f"attendee-{i:07d}", now, 3) for i in range(3))
    assert store.join(session, "attendee-0000001", now + 1, 3)  # one already in: welcome back
    assert not store.join(session, "attendee-0000009", now + 1, 3)  # a fourth: the room is full
    assert store.attendees("ABCDE") == 3


def test_online_counts_attendees_seen_in_the_window(store):
    now = time.time()
    session = new(store, now=now)
    store.join(session, "a" * 16, now - 30, 10)
    store.join(session, "b" * 16, now - 5, 10)
    store.join(session, "c" * 16, now, 10)
    assert store.online("ABCDE", now - 10) == 2
    store.join(session, "a" * 16, now, 10)  # a poll: seen again
    assert store.online("ABCDE", now - 10) == 3


def test_each_attendee_counts_once_per_question(store):
    now = time.time()
    session = new(store, now=now)
    for who in ("a", "b", "c"):
        store.join(session, who * 16, now, 10)
    assert store.answer(session, "q1", "a" * 16, "0", now, 1.0) == OK
    assert store.answer(session, "q1", "b" * 16, "2", now, 1.0) == OK
    assert store.answer(session, "q1", "a" * 16, "2", now + 2, 1.0) == OK  # changed their mind
    assert store.answer(session, "q2", "c" * 16, "7", now, 1.0) == OK
    assert sorted(store.answers("ABCDE", "q1")) == ["2", "2"]
    assert store.answers("ABCDE", "q2") == ["7"]
    assert store.answer_of("ABCDE", "q1", "a" * 16) == "2"
    assert store.answer_of("ABCDE", "q1", "c" * 16) is None


def test_answers_are_rate_limited_per_attendee(store):
    now = time.time()
    session = new(store, now=now)
    store.join(session, "a" * 16, now, 10)
    store.join(session, "b" * 16, now, 10)
    assert store.answer(session, "q1", "a" * 16, "0", now, 1.0) == OK
    assert store.answer(session, "q1", "a" * 16, "1", now + 0.5, 1.0) == RATE_LIMITED
    assert store.answer(session, "q2", "a" * 16, "1", now + 0.5, 1.0) == RATE_LIMITED  # any question
    assert store.answer(session, "q1", "b" * 16, "1", now + 0.5, 1.0) == OK  # others are not slowed
    assert store.answer(session, "q1", "a" * 16, "1", now + 1.0, 1.0) == OK
    assert store.answer_of("ABCDE", "q1", "a" * 16) == "1"


def test_only_attendees_who_joined_can_answer(store):
    session = new(store)
    assert store.answer(session, "q1", "z" * 16, "0", time.time(), 1.0) == NOT_JOINED
    assert store.answers("ABCDE", "q1") == []


def test_concurrent_writers_lose_nothing(store):
    """16 threads (a gunicorn worker's worth and more) answer and steer at once."""
    now = time.time()
    session = new(store, now=now)
    errors = []

    def attendee(i):
        try:
            who = f"attendee-{i:07d}"
            assert store.join(session, who, now, 1000)
            assert store.answer(session, "q1", who, str(i % 4), now, 1.0) == OK
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def instructor(i):
        try:
            for j in range(10):
                store.update("ABCDE", {**STATE, "query": f"base_ms={10 * (100 * i + j + 1)}"}, now, TTL)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=attendee, args=(i,)) for i in range(120)]
    threads += [threading.Thread(target=instructor, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.answers("ABCDE", "q1")) == 120
    assert store.get("ABCDE", now).version == 1 + 40  # every one of the 40 distinct states counted


def _steer_from_another_process(path, start, count):
    store = SQLiteLiveStore(path)
    for j in range(count):
        store.update("ABCDE", {**STATE, "query": f"base_ms={10 * (start + j)}"}, time.time(), TTL)


def test_sqlite_is_safe_with_several_processes(tmp_path):
    """What gunicorn's workers do: separate processes writing the same file."""
    path = tmp_path / "live.sqlite3"
    new(SQLiteLiveStore(path))
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_steer_from_another_process, args=(path, 1 + 100 * i, 30)) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert SQLiteLiveStore(path).get("ABCDE", time.time()).version == 1 + 90


# ---- the model ----------------------------------------------------------------------------------

def test_room_codes_are_short_unambiguous_and_random():
    codes = {model.new_code() for _ in range(2000)}
    assert len(codes) > 1990  # 6.4 million codes: collisions are rare
    assert all(model.CODE_RE.match(c) for c in codes)
    assert not set("".join(codes)) & set("ILO01")
    assert model.normalise_code(" kxqmb ") == "KXQMB"
    assert model.normalise_code("KXQM") is None and model.normalise_code("KXQMO") is None


def test_the_control_token_is_checked_against_its_hash_only():
    token = model.new_token()
    digest = model.hash_token(token)
    assert token not in digest and len(token) >= 32
    assert model.token_matches(digest, token)
    assert not model.token_matches(digest, token[:-1] + ("y" if token.endswith("x") else "x"))
    assert not model.token_matches(digest, None) and not model.token_matches(digest, "")


def _lessons(app):
    with app.app_context():
        from webapp.lessons import all_lessons

        return all_lessons()


def test_a_demo_state_is_validated_by_the_demos_parameters(app):
    lesson = _lessons(app)["retry-backoff"]
    state = model.initial_state(lesson)
    assert state == {"lesson": "retry-backoff", "demo": lesson.demos[0], "query": "", "question": None, "phase": None}
    moved = model.with_demo(state, lesson, "backoff-timeline", "jitter=none&base_ms=200&multiplier=2&seed=1")
    assert moved["query"] == "base_ms=200"  # canonical: defaults dropped
    for query, param in (("base_ms=5", "base_ms"), ("base_ms=abc", "base_ms"), ("base_ms=20&base_ms=30", "base_ms"),
                         ("jitter=chaos", "jitter"), ("x" * 3000, "query")):
        with pytest.raises(model.StateError) as err:
            model.with_demo(state, lesson, "backoff-timeline", query)
        assert err.value.param == param
    with pytest.raises(model.StateError) as err:
        model.with_demo(state, lesson, "breaker-timeline", "")
    assert err.value.param == "demo"
    with pytest.raises(model.StateError):
        model.with_lesson(state, _lessons(app), "no-such-lesson")


def test_questions_open_close_reveal_and_clear(app):
    lesson = _lessons(app)["retry-backoff"]
    state = model.initial_state(lesson)
    opened = model.with_question(state, lesson, "open", "storm-peak")
    assert (opened["question"], opened["phase"]) == ("storm-peak", "open")
    assert model.with_question(opened, lesson, "close", None)["phase"] == "closed"
    assert model.with_question(opened, lesson, "reveal", None)["phase"] == "revealed"
    assert model.with_question(opened, lesson, "clear", None)["question"] is None
    for action, qid in (("open", "nope"), ("close", None), ("explode", None)):
        with pytest.raises(model.StateError):
            model.with_question(state, lesson, action, qid)


CHOICE = Question(id="peak", ask="?", answer=2, explain="", show="/", choices=("a", "b", "c", "d"))
NUMBER = Question(id="give-up", ask="?", answer=1500, explain="", show="/", tolerance=0.1, unit="ms")


def test_answers_are_stored_normalised():
    assert model.normalise_answer(CHOICE, " 2 ") == "2"
    assert model.normalise_answer(CHOICE, "4") is None and model.normalise_answer(CHOICE, "c") is None
    assert model.normalise_answer(NUMBER, "1,500") == "1500"
    assert model.normalise_answer(NUMBER, "1500.5") == "1500.5"
    assert model.normalise_answer(NUMBER, "nan") is None and model.normalise_answer(NUMBER, "soon") is None
    assert model.answer_label(NUMBER, "1500") == "1,500 ms" and model.answer_label(CHOICE, "1") == "b"


def test_a_choice_tally_counts_each_choice_and_colours_the_answer_only_when_revealed():
    answers = ["2", "2", "0", "2", "3"]
    hidden = model.tally(CHOICE, answers, revealed=False)
    assert (hidden.count, hidden.right, hidden.bins) == (5, 3, (("a", 1), ("b", 0), ("c", 3), ("d", 1)))
    trace = hidden.chart.figure["data"][0]
    assert trace["x"] == [1, 0, 3, 1] and len(set(trace["marker"]["color"])) == 1  # no hint before the reveal
    shown = model.tally(CHOICE, answers, revealed=True).chart.figure["data"][0]["marker"]["color"]
    assert shown[2] != shown[0] and len({shown[0], shown[1], shown[3]}) == 1
    go.Figure(hidden.chart.figure)  # valid Plotly
    assert model.tally(CHOICE, [], revealed=False).chart is None


def test_numeric_bins_hold_every_value_on_round_edges():
    values = [900, 1000, 1400, 1500, 1500, 1600, 3100, 2000]
    edges, counts = model.numeric_bins(values)
    assert sum(counts) == len(values) and len(counts) <= 9
    width = edges[1] - edges[0]
    assert width in (100, 200, 250, 500, 1000) and all(e % width == 0 for e in edges)
    edges, counts = model.numeric_bins([5, 5, 5])
    assert counts == [3]
    edges, counts = model.numeric_bins([10, 12], target=1500)  # the answer is on the chart
    assert edges[0] <= 10 and edges[-1] >= 1500 and sum(counts) == 2
    outlier = model.numeric_bins([100, 110, 120, 130, 140, 150, 160, 170, 180, 190] * 3 + [1e12])
    assert outlier[0][-1] < 1000 and sum(outlier[1]) == 31  # one silly answer does not flatten the chart


def test_a_numeric_tally_splits_right_from_wrong_once_revealed():
    answers = ["1500", "1400", "3100", "700", "1300"]
    shown = model.tally(NUMBER, answers, revealed=True)
    assert (shown.count, shown.right) == (5, 2)  # 1,500 and 1,400 are within 10 %; 1,300 is not
    go.Figure(shown.chart.figure)
    right, wrong = shown.chart.figure["data"]
    assert sum(right["y"]) == 2 and sum(wrong["y"]) == 3
    assert shown.chart.figure["layout"]["shapes"][0]["x0"] == 1500
    hidden = model.tally(NUMBER, answers, revealed=False).chart.figure
    assert len(hidden["data"]) == 1 and sum(hidden["data"][0]["y"]) == 5 and hidden["layout"]["shapes"] == []
