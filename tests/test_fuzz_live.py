"""Property-based fuzzing of every live-session and question POST, with the demo fuzz's rule: never a
5xx, and every 4xx names the problem.

Hypothesis sends answers, votes and control actions as browsers, scripts and attackers send them:
any text and unicode, numbers at and far beyond every range (±1e308, inf, "1_000", Arabic-Indic
digits), repeated and missing fields, urlencoded, multipart, JSON and undecodable bytes, with and
without htmx, as an attendee, the instructor or a stranger.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp import create_app

APP = create_app({"TESTING": True, "LIVE_DB": str(Path(tempfile.mkdtemp()) / "fuzz.sqlite3"), "REDIS_URL": None,
                  "LIVE_JOINS_PER_MINUTE": 10**9, "LIVE_LOOKUPS_PER_MINUTE": 10**9, "LIVE_ANSWER_INTERVAL_S": 0})
LESSONS = ["fallacies", "retry-backoff"]

# What each 4xx must say: the problem, in words a person can act on.
NAMES_THE_PROBLEM = {
    400: r"lesson|demo|query|action|question|answer|number|choices|no question is open|allowed|cookie",
    403: r"token|instructor|control link|another site|room is full",
    404: r"no live session|not a room code|no lesson|no question|has no",
    409: r"question|closed|moved on",
    410: r"ended",
    411: r"Content-Length",
    413: r"at most 64 KB",
    429: r"one answer a second|too many",
}


def _token(client) -> str:
    client.get("/live")
    return client.get_cookie("rl_csrf").value


def _setup():
    teacher = APP.test_client()
    token = _token(teacher)
    location = teacher.post("/live/new", data={"lesson": "fallacies", "csrf_token": token}).headers["Location"]
    code = re.search(r"/live/([A-Z]{5})/", location).group(1)
    teacher.post(f"/live/{code}/question", data={"action": "open", "question": "chain-success", "csrf_token": token})
    attendee = APP.test_client()
    attendee.get(f"/live/{code}")
    return code, teacher, token, attendee, _token(attendee)


CODE, TEACHER, TEACHER_CSRF, ATTENDEE, ATTENDEE_CSRF = _setup()

numbers = st.sampled_from(["1e308", "-1e308", "1e999", "inf", "-inf", "nan", "NaN", "1_000", "٣", "１２", "1,,,5",
                           "0x10", "95.1", "95", "1,000", "-0", ".5", "5.", "", " ", "9" * 400, "1e-400", "+-1"])
texts = st.one_of(numbers, st.text(max_size=40), st.text(min_size=300, max_size=3000),
                  st.sampled_from(["0", "1", "2", "3", "-1", "99", "open", "close", "reveal", "clear", "chain-success",
                                   "link-full", "give-up-time", "fallacies", "retry-backoff", "fallacy-network",
                                   "retry-storm", "hops=20", "hops=999", "hops=nan&hops=2", "%00", "\x00", "<script>"]),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr))
FIELDS = {
    "answer": ["question", "answer"],
    "state": ["lesson", "demo", "query"],
    "question": ["action", "question"],
    "end": [],
    "new": ["lesson"],
    "lesson-question": ["answer"],
}


@st.composite
def posts(draw):
    kind = draw(st.sampled_from(sorted(FIELDS)))
    code = draw(st.sampled_from([CODE, CODE.lower(), "ZZZZZ", "ABC", "ÄBCDE", CODE + "X"]))
    fields = []
    for name in FIELDS[kind]:
        for _ in range(draw(st.integers(min_value=0, max_value=2))):  # missing, once, repeated
            fields.append((name, draw(texts)))
    fields += draw(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=2))
    if kind == "lesson-question":
        slug = draw(st.sampled_from(LESSONS + ["nope"]))
        qid = draw(st.sampled_from(["chain-success", "link-full", "give-up-time", "storm-peak", "nope"]))
        path = f"/lessons/{slug}/questions/{qid}"
    elif kind == "new":
        path = "/live/new"
    else:
        path = f"/live/{code}/{kind}"
    who = draw(st.sampled_from(["attendee", "instructor", "stranger", "forger"]))
    encoding = draw(st.sampled_from(["urlencoded", "multipart", "json", "bytes"]))
    return path, who, fields, encoding, draw(st.booleans()), draw(st.booleans())


def _send(path, who, fields, encoding, htmx, wants_json):
    client = {"attendee": ATTENDEE, "instructor": TEACHER}.get(who) or APP.test_client()
    csrf = {"attendee": ATTENDEE_CSRF, "instructor": TEACHER_CSRF}.get(who)
    if who == "forger":
        client.set_cookie("rl_live_id", "A" * 16, path="/live")
    if csrf is None:
        csrf = _token(client)
    headers = {"X-CSRF-Token": csrf}
    if htmx:
        headers["HX-Request"] = "true"
    if wants_json:
        headers["Accept"] = "application/json"
    if encoding == "urlencoded":
        return client.post(path, data=urlencode(fields), headers=headers,
                           content_type="application/x-www-form-urlencoded")
    if encoding == "multipart":
        return client.post(path, data={k: v for k, v in fields} | {"file": (b"\xff" * 10, "f.bin")}, headers=headers,
                           content_type="multipart/form-data")
    if encoding == "json":
        return client.post(path, data=json.dumps(dict(fields)), headers=headers, content_type="application/json")
    return client.post(path, data=b"\xff\xfe" + urlencode(fields).encode() + b"\x80", headers=headers,
                       content_type="application/x-www-form-urlencoded; charset=utf-8")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(posts())
def test_no_post_breaks_a_live_session(case):
    path, who, fields, encoding, htmx, wants_json = case
    response = _send(path, who, fields, encoding, htmx, wants_json)
    assert response.status_code < 500, (response.status_code, case)
    if 400 <= response.status_code < 500:
        text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
        assert re.search(NAMES_THE_PROBLEM[response.status_code], text, re.IGNORECASE), (response.status_code, case,
                                                                                          text[-400:])


def test_the_room_survives_the_fuzzing():
    """After all of it, the instructor's page, the panel and an attendee's poll still answer."""
    assert TEACHER.get(f"/live/{CODE}/control").status_code in (200, 404)  # 404 if a fuzzed /end ended it
    fresh_code, teacher, token, attendee, csrf = _setup()
    for value in ("1e308", "-1e308", "95"):
        attendee.post(f"/live/{fresh_code}/answer", data={"question": "chain-success", "answer": value,
                                                         "csrf_token": csrf}, headers={"HX-Request": "true"})
    teacher.post(f"/live/{fresh_code}/question", data={"action": "reveal", "csrf_token": token})
    assert teacher.get(f"/live/{fresh_code}/panel").status_code == 200
    assert attendee.get(f"/live/{fresh_code}/follow?v=0", headers={"HX-Request": "true"}).status_code == 200
