"""Routes of a live session: the instructor drives, the room follows by short polls.

    GET  /live                     join a session (type the code) or start one
    GET  /live/new, POST /live/new  start a session: a room code and a private control token
    GET  /live/<code>              an attendee's page (?detached=1: explore on your own, no polling)
    GET  /live/<code>/follow?v=N   a poll: 204 when the room is still at version N, else the new block
    POST /live/<code>/answer       an attendee's prediction for the open question
    GET  /live/<code>/control      the instructor's page (the token arrives once in ?token=, then a cookie)
    POST /live/<code>/state        instructor: lesson, demo and the demo's query
    POST /live/<code>/question     instructor: open / close / revote / reveal / clear a question
    POST /live/<code>/pause        instructor: blank the attendees' screens (paused=1) or not (0)
    GET  /live/<code>/answers.csv  instructor: the room's answers, counts per question, vote and choice
    GET  /live/<code>/panel?sig=S  instructor: attendees online and the answers, 204 when unchanged
    GET  /live/<code>/preview?v=N  instructor: the step on screen, its notes, what attendees see (preview.py)
    POST /live/<code>/end          instructor: end the session

Why polling and not server-sent events: see README ("Run a workshop"). In short, a poll is an
independent request (any worker, any machine, survives a Wi-Fi drop by construction) and an unchanged
room costs one indexed read and a 204.
"""

from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import logging
import os
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, redirect, render_template, request
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from ..compressed import RenderCache, choose_encoding, compress
from ..demo_state import resolve, wants_fragment
from ..demos import REGISTRY
from ..lessons import all_lessons
from ..teach import join_links
from . import session as model
from .store import NOT_JOINED, OK, RATE_LIMITED, LiveSession, LiveStore, open_store, store_errors

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__, url_prefix="/live")

CONTROL_COOKIE = "rl_live_ctl"  # the control token, scoped to /live/<code>
ATTENDEE_COOKIE = "rl_live_id"  # a random attendee id, signed by the server: one answer per attendee and question
TOKEN_HEADER = "X-Live-Token"  # the control token for scripts (the benchmark)
VERSION_HEADER = "X-Live-Version"
STAGE_CACHE_SIZE = 64  # what a room sees at one version: lesson header, demo, revealed answers
BLOCK_CACHE_SIZE = 512  # compressed follow blocks: one per (version, answer) and encoding


def init_app(app: Flask) -> None:
    app.config.setdefault("LIVE_DB", os.environ.get("LIVE_DB") or str(Path(app.instance_path) / "live.sqlite3"))
    app.config.setdefault("REDIS_URL", os.environ.get("REDIS_URL") or None)
    app.config.setdefault("LIVE_TTL_S", model.SESSION_TTL_S)
    app.config.setdefault("LIVE_ROOM_LIMIT", model.ROOM_LIMIT)
    app.config.setdefault("LIVE_ANSWER_INTERVAL_S", model.ANSWER_INTERVAL_S)
    app.config.setdefault("LIVE_ONLINE_S", model.ONLINE_WINDOW_S)
    app.config.setdefault("LIVE_PRESENCE_WRITE_S", model.PRESENCE_WRITE_S)
    app.config.setdefault("LIVE_POLL_MS", model.POLL_MS)
    app.config.setdefault("LIVE_CLOCK", time.time)  # tests move time forward to expire a session
    # Per client address and minute: new attendees (each takes a seat) and lookups of codes with no
    # session (guessing a room: 6.4 million codes at 20 a minute is six months for one in 50,000).
    app.config.setdefault("LIVE_JOINS_PER_MINUTE", int(os.environ.get("LIVE_JOINS_PER_MINUTE", 60)))
    app.config.setdefault("LIVE_LOOKUPS_PER_MINUTE", int(os.environ.get("LIVE_LOOKUPS_PER_MINUTE", 20)))
    # The machine itself (tests, benchmarks, the instructor trying the room) is not limited. Behind a
    # proxy on the same machine, BEHIND_PROXY=1 gives each request its client's address (security.py).
    app.config.setdefault("LIVE_LIMIT_LOOPBACK", False)
    live_store = open_store(app.config["LIVE_DB"], app.config["REDIS_URL"])
    warning = getattr(live_store, "persistence_warning", lambda: None)()
    if warning:
        log.warning(warning)
    app.extensions["live"] = {
        "store": live_store,
        "presence": Presence(),
        "stage": RenderCache(STAGE_CACHE_SIZE),
        "blocks": RenderCache(BLOCK_CACHE_SIZE),
    }
    app.register_blueprint(bp)


def store() -> LiveStore:
    return current_app.extensions["live"]["store"]


def _now() -> float:
    return current_app.config["LIVE_CLOCK"]()


def _ttl() -> float:
    return current_app.config["LIVE_TTL_S"]


class Presence:
    """When this process last wrote that an attendee was seen: a poll writes at most every few
    seconds, so that the 'online' count costs a write per attendee every 4 s rather than every poll."""

    MAX_ENTRIES = 20_000

    def __init__(self):
        self._last: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def due(self, code: str, attendee: str, now: float, every: float) -> bool:
        with self._lock:
            if now - self._last.get((code, attendee), float("-inf")) < every:
                return False
            if len(self._last) >= self.MAX_ENTRIES:
                self._last.clear()
            self._last[(code, attendee)] = now
            return True


def _store_unavailable(err):  # registered for each store error class below
    log.exception("live session store unavailable")
    if request.path.endswith(("/follow", "/panel")):
        return Response("", 503, headers={"Retry-After": "1"})
    return render_template("error.html", error=_Unavailable()), 503


class _Unavailable:
    code, name = 503, "Service Unavailable"
    description = "The live-session store did not answer. Try again in a moment."


for _error in store_errors():
    bp.register_error_handler(_error, _store_unavailable)


# ---- helpers ------------------------------------------------------------------------------------

def _code_or_404(raw: str) -> str:
    code = model.normalise_code(raw)
    if code is None:
        abort(404, description=f"“{raw[:20]}” is not a room code: a room code is {model.CODE_LENGTH} letters.")
    return code


def _session_or_404(code: str) -> LiveSession:
    session = store().get(code, _now())
    if session is None:
        if _limited("lookup", current_app.config["LIVE_LOOKUPS_PER_MINUTE"]):
            _too_many("room codes that do not exist")
        abort(404, description=f"There is no live session {code}: it may have ended. Check the code with your instructor.")
    return session


def _instructor_session(raw_code: str) -> LiveSession:
    return _require_instructor(_session_or_404(_code_or_404(raw_code)))


def _require_instructor(session: LiveSession) -> LiveSession:
    token = (request.headers.get(TOKEN_HEADER) or request.cookies.get(CONTROL_COOKIE)
             or request.form.get("token"))
    if not model.token_matches(session.token_hash, token):
        abort(403, description="Only the instructor's private control link can drive this session.")
    return session


def _set_control_cookie(response: Response, code: str, token: str) -> None:
    response.set_cookie(CONTROL_COOKIE, token, max_age=int(current_app.config["LIVE_TTL_S"]),
                        path=f"/live/{code}", httponly=True, samesite="Lax", secure=request.is_secure)


def _attendee() -> str | None:
    """The attendee id from the cookie, if the server signed it: a client cannot make up ids (and
    seats) of its own, each one costs a join, which is rate-limited per address."""
    return model.verify_attendee(_secret(), request.cookies.get(ATTENDEE_COOKIE, ""))


def _secret() -> bytes:
    live = current_app.extensions["live"]
    if "secret" not in live:
        live["secret"] = store().secret()
    return live["secret"]


def _limited(kind: str, per_minute: int) -> bool:
    """True when this client address has used up its `kind` events for this minute (this one counted)."""
    address = request.remote_addr or ""
    if not current_app.config["LIVE_LIMIT_LOOPBACK"] and _is_loopback(address):
        return False
    return store().hit(f"{kind}:{address}", 60, _now()) > per_minute


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _too_many(what: str):
    abort(429, description=f"Too many {what} from your address in a minute: wait a minute and try again.")


def _lesson(state: dict):
    return all_lessons().get(state.get("lesson") or "")


def _question(state: dict):
    lesson = _lesson(state)
    return lesson.questions.get(state.get("question") or "") if lesson else None


def _join(session: LiveSession, attendee: str, now: float) -> bool:
    return store().join(session, attendee, now, current_app.config["LIVE_ROOM_LIMIT"])


def _demo_state(state: dict):
    demo_id = state.get("demo")
    if demo_id not in REGISTRY:
        return None
    return resolve(REGISTRY[demo_id], MultiDict(parse_qsl(state.get("query") or "")))


# ---- start and join -----------------------------------------------------------------------------

@bp.get("")
def index():
    raw = request.args.get("code")
    if raw is not None:
        code = model.normalise_code(raw)
        if code:
            return redirect(f"/live/{code}", 303)
        return render_template("live/index.html", lessons=all_lessons(), code_error=True, code=raw[:20]), 400
    return render_template("live/index.html", lessons=all_lessons())


@bp.get("/new")
def new():
    return render_template("live/index.html", lessons=all_lessons(), start=True)


@bp.post("/new")
def create():
    lessons = all_lessons()
    slug = request.form.get("lesson") or next(iter(lessons), "")
    if slug not in lessons:
        return render_template("live/index.html", lessons=lessons, start=True, lesson_error=slug[:60]), 400
    token, now = model.new_token(), _now()
    for _ in range(20):  # 6.4 million codes: a collision is rare, twenty in a row is a broken store
        session = store().create(model.new_code(), model.hash_token(token), model.initial_state(lessons[slug]),
                                 now, _ttl())
        if session:
            break
    else:
        abort(503, description="No free room code was found; try again.")
    response = redirect(f"/live/{session.code}/control", 303)
    _set_control_cookie(response, session.code, token)
    return response


# ---- attendees ----------------------------------------------------------------------------------

@bp.get("/<code>")
def attend(code: str):
    canonical = _code_or_404(code)
    if canonical != code:
        return redirect(f"/live/{canonical}" + (f"?{request.query_string.decode()}" if request.query_string else ""))
    session = _session_or_404(code)
    attendee, fresh = _attendee(), False
    if attendee is None:
        if _limited("join", current_app.config["LIVE_JOINS_PER_MINUTE"]):
            _too_many("new attendees")
        attendee, fresh = model.new_attendee(), True
    now = _now()
    if _join(session, attendee, now):
        current_app.extensions["live"]["presence"].due(code, attendee, now, 0)
        detached = request.args.get("detached") == "1"
        html = render_template("live/attendee.html", code=code, detached=detached,
                               follow=Markup(_follow_block(session, attendee, detached=detached, full_page=True)))
        response = Response(html)
    else:
        response = Response(render_template("live/full.html", code=code,
                                            limit=current_app.config["LIVE_ROOM_LIMIT"]), 403)
    if fresh:
        response.set_cookie(ATTENDEE_COOKIE, model.sign_attendee(_secret(), attendee), max_age=2 * 24 * 3600,
                            path="/live", httponly=True,
                            samesite="Lax", secure=request.is_secure)
    return response


@bp.get("/<code>/follow")
def follow(code: str):
    """One poll: one store read; 204 when nothing changed, else the new block with its version.

    The block is the same for every attendee who gave the same answer, so each process renders and
    compresses it once per (version, answer) and hands the bytes to the rest of the room."""
    code = _code_or_404(code)
    now = _now()
    session = store().get(code, now)
    if session is None:
        if _limited("lookup", current_app.config["LIVE_LOOKUPS_PER_MINUTE"]):
            return Response("", 429, headers={"Retry-After": "60"})
        return Response(render_template("live/_ended.html"), 410)
    attendee = _attendee()
    if attendee and current_app.extensions["live"]["presence"].due(
            code, attendee, now, current_app.config["LIVE_PRESENCE_WRITE_S"]):
        if not _join(session, attendee, now):
            return Response(render_template("live/_full_block.html", code=code,
                                            limit=current_app.config["LIVE_ROOM_LIMIT"]), 403)
    headers = {VERSION_HEADER: str(session.version)}
    if request.args.get("v") == str(session.version):
        return Response(status=204, headers=headers)
    question = _question(session.state)
    key = model.answer_key(question.id, model.vote_of(session.state)) if question else None
    mine = store().answer_of(code, key, attendee) if question and attendee else None
    encoding = choose_encoding(request.headers.get("Accept-Encoding", ""))
    body = current_app.extensions["live"]["blocks"].get(
        (code, session.created, session.version, mine, encoding),
        lambda: compress(_follow_block(session, attendee, mine=mine).encode(), encoding,
                         current_app.config.get("COMPRESS_BR_LEVEL", 4)))
    response = Response(body, headers=headers)
    if encoding != "identity":
        response.headers["Content-Encoding"] = encoding  # flask-compress leaves encoded bodies alone
    response.vary.add("Accept-Encoding")
    return response


def _follow_block(session: LiveSession, attendee: str | None, detached: bool = False,
                  full_page: bool = False, mine: str | None = None) -> str:
    stage = current_app.extensions["live"]["stage"].get(
        (session.code, session.created, session.version), lambda: _render_stage(session))
    question = _question(session.state)
    q_html = _render_question(session, question, attendee, preserve=not full_page, mine=mine,
                              full_page=full_page) if question and not session.state.get("paused") else ""
    return render_template("live/_follow.html", session=session, code=session.code, stage=stage,
                           question_html=Markup(q_html), detached=detached,
                           poll_ms=current_app.config["LIVE_POLL_MS"])


def _render_stage(session: LiveSession) -> dict:
    state = session.state
    lesson = _lesson(state)
    demo = _demo_state(state)
    question = _question(state)
    room = _tallies(session, question, revealed=True) if question and state.get("phase") == "revealed" else None
    withheld = model.result_withheld(state)  # "Ask the room": the result waits for the reveal
    return {"head": Markup(render_template("live/_stage_head.html", lesson=lesson, state=state)),
            "demo": Markup(render_template("demo/_demo.html", state=demo, withheld=withheld)) if demo else Markup(""),
            "room": room}


def _tallies(session: LiveSession, question, revealed: bool) -> list:
    """The room's answers to the question, one Tally per vote so far (a second vote beside the first)."""
    votes = model.vote_of(session.state) if session.state.get("question") == question.id else 1
    return [model.tally(question, store().answers(session.code, model.answer_key(question.id, vote)), revealed, vote)
            for vote in range(1, votes + 1)]


def _render_question(session: LiveSession, question, attendee: str | None, preserve: bool = False,
                     message: str = "", mine: str | None = None, full_page: bool = False) -> str:
    """The room's question as this attendee sees it. Only a full page carries the CSRF field (for a
    form posted without JavaScript); htmx sends the token from hx-headers on the page, so a fragment
    is the same for everyone who gave the same answer."""
    phase = session.state.get("phase")
    vote = model.vote_of(session.state)
    if mine is None and attendee:
        mine = store().answer_of(session.code, model.answer_key(question.id, vote), attendee)
    room = None
    if phase == "revealed":
        room = current_app.extensions["live"]["stage"].get(
            (session.code, session.created, session.version), lambda: _render_stage(session))["room"]
    return render_template("live/_question.html", code=session.code, question=question, phase=phase, vote=vote,
                           mine=mine, mine_label=model.answer_label(question, mine),
                           correct=question.check(mine)[0] if mine is not None else None,
                           room=room, message=message, preserve=preserve, full_page=full_page)


@bp.post("/<code>/answer")
def answer(code: str):
    code = _code_or_404(code)
    now = _now()
    session = store().get(code, now)
    if session is None:
        if _limited("lookup", current_app.config["LIVE_LOOKUPS_PER_MINUTE"]):
            _too_many("room codes that do not exist")
        return _answer_response(code, render_template("live/_ended.html"), 410)
    attendee = _attendee()
    if attendee is None:
        return _answer_response(code, render_template("live/_notice.html", message=(
            "Your browser did not send its attendee cookie: reload the page to join.")), 400)
    question = _question(session.state)
    qid = request.form.get("question", "")
    if question is None or question.id != qid:
        return _answer_response(code, render_template("live/_notice.html", message=(
            "That question is no longer asked: the instructor moved on.")), 409)
    if session.state.get("phase") != "open":
        return _answer_response(code, _render_question(session, question, attendee,
                                                       message="Answers are closed."), 409)
    stored = model.normalise_answer(question, request.form.get("answer", ""))
    if stored is None:
        raw = request.form.get("answer", "")
        message = f"That is not an answer: {question.problem(raw)}."
        return _answer_response(code, _render_question(session, question, attendee, message=message), 400)
    key = model.answer_key(qid, model.vote_of(session.state))
    voted = store().answer_of(code, key, attendee)
    if voted is not None:  # one vote per attendee and round: a second one is refused, never counted
        return _answer_response(code, _render_question(
            session, question, attendee, mine=voted,
            message="You have already voted in this round; your vote stays. The instructor may ask again."), 409)
    interval = current_app.config["LIVE_ANSWER_INTERVAL_S"]
    result = store().answer(session, key, attendee, stored, now, interval)
    if result == NOT_JOINED:  # e.g. the cookie arrived from another session's page: join first
        if not _join(session, attendee, now):
            return _answer_response(code, render_template("live/_full_block.html", code=code,
                                                          limit=current_app.config["LIVE_ROOM_LIMIT"]), 403)
        result = store().answer(session, key, attendee, stored, now, interval)
    if result == RATE_LIMITED:
        return _answer_response(code, _render_question(
            session, question, attendee, message="One answer a second, please: try again."), 429)
    assert result == OK, result
    return _answer_response(code, _render_question(session, question, attendee, mine=stored))


def _answer_response(code: str, html: str, status: int = 200):
    if wants_fragment(request):
        return Response(html, status)
    return redirect(f"/live/{code}", 303)  # a plain form post: back to the page, which shows the answer


# ---- the instructor -----------------------------------------------------------------------------

@bp.get("/<code>/control")
def control(code: str):
    canonical = _code_or_404(code)
    session = _session_or_404(canonical)
    token = request.args.get("token")
    if token is not None:  # the private link: keep the token in a cookie and out of the address bar
        if not model.token_matches(session.token_hash, token):
            abort(403, description="This control link is not valid for this session.")
        response = redirect(f"/live/{canonical}/control", 303)
        _set_control_cookie(response, canonical, token)
        return response
    _require_instructor(session)
    from .preview import render_preview  # preview.py builds on this module

    lesson = _lesson(session.state)
    join_url = f"{request.host_url}live/{canonical}"
    return render_template(
        "live/control.html", session=session, code=canonical, lesson=lesson, lessons=all_lessons(),
        state=_demo_state(session.state), withheld=model.result_withheld(session.state), join_url=join_url,
        demo_titles={d: REGISTRY[d].title for d in (lesson.demos if lesson else ()) if d in REGISTRY},
        control_url=f"{request.host_url}live/{canonical}/control?token={request.cookies.get(CONTROL_COOKIE, '')}",
        loopback=request.host.split(":")[0] in ("127.0.0.1", "localhost", "[::1]"),
        panel=Markup(_render_panel(session)),
        joins=join_links(canonical), preview=Markup(render_preview(session)))


@bp.post("/<code>/state")
def set_state(code: str):
    session = _instructor_session(code)
    lessons = all_lessons()
    state = session.state
    try:
        if "lesson" in request.form:
            state = model.with_lesson(state, lessons, request.form["lesson"])
        if "demo" in request.form:
            lesson = lessons.get(state["lesson"])
            if lesson is None:
                raise model.StateError("lesson", "The session's lesson is not on this server; pick another.")
            state = model.with_demo(state, lesson, request.form["demo"], request.form.get("query", ""))
    except model.StateError as err:
        if _wants_json():
            return jsonify(error=str(err), param=err.param), 400
        abort(400, description=f"{err.param}: {err}")
    updated = store().update(session.code, state, _now(), _ttl())
    if updated is None:
        abort(404, description="This live session has ended.")
    if _wants_json():
        return jsonify(version=updated.version, state=updated.state)
    return redirect(f"/live/{session.code}/control", 303)


@bp.post("/<code>/question")
def set_question(code: str):
    session = _instructor_session(code)
    lesson = _lesson(session.state)
    try:
        if lesson is None:
            raise model.StateError("lesson", "The session's lesson is not on this server; pick another.")
        state = model.with_question(session.state, lesson, request.form.get("action", ""),
                                    request.form.get("question"))
    except model.StateError as err:
        if wants_fragment(request):
            return Response(_render_panel(session, message=str(err)), 400)
        abort(400, description=f"{err.param}: {err}")
    updated = store().update(session.code, state, _now(), _ttl())
    if updated is None:
        abort(404, description="This live session has ended.")
    if wants_fragment(request):
        return Response(_render_panel(updated) + _control_demo(updated))
    return redirect(f"/live/{session.code}/control", 303)


def _control_demo(session: LiveSession) -> str:
    """The control page's demo, swapped out of band: asking the room hides its result, Reveal shows it."""
    demo = _demo_state(session.state)
    if demo is None:
        return ""
    return render_template("demo/_demo.html", state=demo, withheld=model.result_withheld(session.state), oob=True)


@bp.post("/<code>/pause")
def pause(code: str):
    session = _instructor_session(code)
    try:
        state = model.with_pause(session.state, request.form.get("paused", ""))
    except model.StateError as err:
        if wants_fragment(request):
            return Response(_render_panel(session, message=str(err)), 400)
        abort(400, description=f"{err.param}: {err}")
    updated = store().update(session.code, state, _now(), _ttl())
    if updated is None:
        abort(404, description="This live session has ended.")
    if wants_fragment(request):
        return Response(_render_panel(updated))
    return redirect(f"/live/{session.code}/control", 303)


@bp.get("/<code>/answers.csv")
def answers_csv(code: str):
    """The room's answers: per question and vote, how many gave each answer. No attendee appears."""
    session = _instructor_session(code)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["lesson", "question", "ask", "vote", "answer", "count", "correct"])
    for lesson in all_lessons().values():
        for question in lesson.questions.values():
            for vote in range(1, model.MAX_VOTES + 1):
                counts = Counter(store().answers(session.code, model.answer_key(question.id, vote)))
                if not counts:
                    continue
                stored = [str(i) for i in range(len(question.choices))] if question.choices else \
                    sorted(counts, key=float)
                for value in stored:  # every choice, even one nobody picked
                    writer.writerow([lesson.slug, question.id, question.ask, vote, model.answer_label(question, value),
                                     counts.get(value, 0), "yes" if question.check(value)[0] else "no"])
    response = Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="live-{session.code}-answers.csv"'})
    response.cache_control.no_store = True
    return response


@bp.get("/<code>/panel")
def panel(code: str):
    session = _instructor_session(code)
    context = _panel_context(session)
    if request.args.get("sig") == context["sig"]:
        return Response(status=204)
    return Response(render_template("live/_panel.html", **context))


@bp.post("/<code>/end")
def end(code: str):
    session = _instructor_session(code)
    store().end(session.code)
    response = redirect(f"/live?ended={session.code}", 303)
    response.delete_cookie(CONTROL_COOKIE, path=f"/live/{session.code}")
    return response


def _render_panel(session: LiveSession, message: str = "") -> str:
    return render_template("live/_panel.html", **_panel_context(session), message=message)


def _panel_context(session: LiveSession) -> dict:
    """Everything the instructor's panel shows, and a signature of it: the poll answers 204 while it holds."""
    now = _now()
    lesson = _lesson(session.state)
    question = _question(session.state)
    vote = model.vote_of(session.state)
    answers = store().answers(session.code, model.answer_key(question.id, vote)) if question else []
    phase = session.state.get("phase")
    online = store().online(session.code, now - current_app.config["LIVE_ONLINE_S"])
    joined = store().attendees(session.code)
    counts = sorted(Counter(answers).items())
    sig = hashlib.sha1(repr((session.version, online, joined, counts)).encode()).hexdigest()[:16]
    return {"session": session, "code": session.code, "lesson": lesson, "question": question, "phase": phase,
            "tally": model.tally(question, answers, phase == "revealed", vote) if question else None,
            "tallies": _tallies(session, question, phase == "revealed") if question else [], "vote": vote,
            "paused": bool(session.state.get("paused")), "online": online, "joined": joined, "sig": sig,
            "limit": current_app.config["LIVE_ROOM_LIMIT"]}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


__all__ = ["bp", "init_app", "store"]
