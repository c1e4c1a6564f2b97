"""The live-session model: room codes, control tokens, the state the room follows, and the room's answers.

The state is a small dict, the same in every store:
    {"lesson": slug, "demo": demo id or None, "query": canonical demo query ("base_ms=200"),
     "question": question id or None, "phase": "open" | "closed" | "revealed" | None,
     "vote": 1 | 2 (the question's second vote: "Ask again"), "paused": True while attendee screens are blank}
Everything that reaches it is validated here like any other input: the lesson and demo must exist
(and the demo belong to the lesson), the demo's query goes through the demo's ParamSet, so a bad
value is refused with its name, exactly as on the demo's own page.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from werkzeug.datastructures import MultiDict

from .. import charts
from ..demos import REGISTRY, Chart
from ..params import ParamError

# Room codes: 5 letters without I, L and O (read aloud or off a projector without confusion):
# 23^5 = 6.4 million codes, drawn at random and drawn again on a collision.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 5
CODE_RE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
TOKEN_BYTES = 24  # the control token: 192 random bits, only its SHA-256 is stored
ATTENDEE_RE = re.compile(r"^[A-Za-z0-9_-]{16}$")  # secrets.token_urlsafe(12)
MAX_QUERY_LENGTH = 2000  # a demo query longer than this is not a slider state

PHASES = ("open", "closed", "revealed")

# Defaults, each overridable in the app config under the LIVE_* name in views.py.
SESSION_TTL_S = 12 * 3600  # a session ends 12 h after the instructor's last change
ROOM_LIMIT = 500  # distinct attendees per session
ANSWER_INTERVAL_S = 1.0  # an attendee may answer at most once a second
ONLINE_WINDOW_S = 10.0  # "online" = polled in the last 10 s
PRESENCE_WRITE_S = 4.0  # a poll records "seen" at most every 4 s per attendee and process
POLL_MS = 500  # attendees poll twice a second: a change reaches them in 0.25 s on average


class StateError(ValueError):
    """A state change the server refuses; `param` names the input at fault (400 with that name)."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    code = (raw or "").strip().upper()
    return code if CODE_RE.match(code) else None


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token_hash: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(token_hash, hash_token(token))


def new_attendee() -> str:
    return secrets.token_urlsafe(12)


def sign_attendee(secret: bytes, attendee: str) -> str:
    """The cookie value: the id and an HMAC of it under the store's secret."""
    return f"{attendee}.{_attendee_mac(secret, attendee)}"


def verify_attendee(secret: bytes, cookie: str) -> str | None:
    """The attendee id if the cookie carries one this server signed, else None."""
    attendee, _, mac = (cookie or "").partition(".")
    if not ATTENDEE_RE.match(attendee) or not hmac.compare_digest(mac, _attendee_mac(secret, attendee)):
        return None
    return attendee


def _attendee_mac(secret: bytes, attendee: str) -> str:
    return hmac.new(secret, b"live-attendee:" + attendee.encode(), hashlib.sha256).hexdigest()[:32]


# ---- state --------------------------------------------------------------------------------------

def initial_state(lesson) -> dict:
    return {"lesson": lesson.slug, "demo": lesson.demos[0] if lesson.demos else None, "query": "",
            "question": None, "phase": None}


def with_lesson(state: dict, lessons: dict, slug: str) -> dict:
    if slug not in lessons:
        raise StateError("lesson", f"There is no lesson called “{slug[:60]}”.")
    if slug == state.get("lesson"):
        return state
    return initial_state(lessons[slug])


def with_demo(state: dict, lesson, demo_id: str, query: str) -> dict:
    """The state showing `demo_id` with the parameters in `query`, which is checked and made canonical."""
    if demo_id not in lesson.demos:
        raise StateError("demo", f"Lesson “{lesson.title}” has no demo “{demo_id[:60]}”.")
    if len(query) > MAX_QUERY_LENGTH:
        raise StateError("query", f"The demo's query is longer than {MAX_QUERY_LENGTH} characters.")
    demo = REGISTRY[demo_id]
    try:
        values = demo.params.parse(MultiDict(parse_qsl(query, keep_blank_values=True)))
    except ParamError as err:
        raise StateError(err.param.name, f"{err.param.name} ({err.param.label}): {err.problem}; "
                                         f"allowed: {err.param.allowed()}.") from None
    return {**state, "demo": demo_id, "query": urlencode(demo.params.query_items(values))}


MAX_VOTES = 2  # peer instruction: vote, discuss, vote again


def with_question(state: dict, lesson, action: str, qid: str | None) -> dict:
    """open (a question of the current lesson), close, revote ("Ask again" after closing the first
    vote), reveal or clear the room's question."""
    if action == "open":
        if qid not in lesson.questions:
            raise StateError("question", f"Lesson “{lesson.title}” has no question “{(qid or '')[:60]}”.")
        return {**state, "question": qid, "phase": "open", "vote": 1}
    if action == "clear":
        return {**state, "question": None, "phase": None, "vote": 1}
    if action == "revote":
        if not state.get("question") or state.get("phase") != "closed":
            raise StateError("action", "Ask again once the first vote is closed, before the reveal.")
        if vote_of(state) >= MAX_VOTES:
            raise StateError("action", f"A question has at most {MAX_VOTES} votes.")
        return {**state, "phase": "open", "vote": vote_of(state) + 1}
    if action in ("close", "reveal"):
        if not state.get("question"):
            raise StateError("action", "No question is open.")
        return {**state, "phase": "closed" if action == "close" else "revealed"}
    raise StateError("action", "The action must be open, close, revote, reveal or clear.")


def with_pause(state: dict, raw: str) -> dict:
    """Blank the attendees' screens ("1") or bring them back ("0")."""
    if raw not in ("0", "1"):
        raise StateError("paused", "paused must be 1 (blank the attendees' screens) or 0.")
    return {**state, "paused": raw == "1"}


def vote_of(state: dict) -> int:
    return int(state.get("vote") or 1)


def answer_key(qid: str, vote: int) -> str:
    """Where a vote's answers are stored: the first under the question's id (as always), the second apart."""
    return qid if vote == 1 else f"{qid}@vote{vote}"


def result_withheld(state: dict) -> bool:
    """While the room is asked (open or closed), the demo shows its controls but not its result."""
    return bool(state.get("question")) and state.get("phase") in ("open", "closed")


# ---- answers ------------------------------------------------------------------------------------

def normalise_answer(question, raw: str) -> str | None:
    """The answer as stored: a choice's index, or the number as text; None when it is not an answer."""
    correct, _ = question.check(raw)
    if correct is None:
        return None
    if question.numeric:
        return _num(question.read(raw))  # "95,1 %" and "0.951" are stored as 95.1
    return raw.strip()


def answer_label(question, stored: str | None) -> str:
    if stored is None:
        return ""
    if question.numeric:
        return f"{_number(float(stored))}" + (f" {question.unit}" if question.unit else "")
    return question.choices[int(stored)]


@dataclass(frozen=True)
class Tally:
    """The room's answers to one question: the chart, the count and, once revealed, how many were right."""

    count: int
    right: int
    chart: Chart | None
    bins: tuple[tuple[str, int], ...]  # (label, count), what the chart shows, for the alt text and tests


def tally(question, answers: list[str], revealed: bool, vote: int = 1) -> Tally:
    """Only answers that are valid now count: a stored answer from before the validation was this
    strict (or a question edited since) is left out rather than allowed to break the room's chart."""
    answers = [a for a in answers if question.check(a)[0] is not None]
    right = sum(1 for a in answers if question.check(a)[0])
    if not answers:
        return Tally(0, 0, None, ())
    if question.numeric:
        chart, bins = _numeric_chart(question, [question.number(a)[0] for a in answers], revealed)
    else:
        chart, bins = _choice_chart(question, answers, revealed)
    if vote != 1:  # two votes side by side: each chart its own id
        chart = Chart(f"{chart.id}-vote{vote}", chart.figure, f"Vote {vote}: {chart.alt}")
    return Tally(len(answers), right, chart, bins)


def _choice_chart(question, answers: list[str], revealed: bool):
    counts = [0] * len(question.choices)
    for a in answers:
        counts[int(a)] += 1
    # Once revealed, the right choice is marked in words as well as in colour.
    labels = [("✓ " if revealed and i == question.answer else "") + _wrap(c) for i, c in enumerate(question.choices)]
    colours = [(charts.OUTCOME["success"] if i == question.answer else charts.NEUTRAL) if revealed
               else charts.SERIES[0] for i in range(len(counts))]
    trace = charts.bars(counts, labels, "Predictions", colours, orientation="h", text=counts,
                        textposition="auto", hovertemplate="%{y}: %{x}<extra></extra>")
    spec = charts.layout(x="predictions", height=90 + 46 * len(counts), showlegend=False,
                         margin={"b": 56}, yaxis={"autorange": "reversed", "title": {"text": ""}},
                         xaxis={"rangemode": "tozero", "dtick": max(1, math.ceil(max(counts) / 8))})
    bins = tuple(zip(question.choices, counts))
    return _chart(question, charts.figure([trace], spec), bins), bins


BIN_LIMIT = 1e15


def numeric_bins(values: list[float], target: float | None = None, max_bins: int = 8):
    """Histogram bins with round edges over the middle 90 % of the values (and `target`, if given);
    values beyond that land in the first or last bin. Returns (edges, counts).

    Answers are validated to ±1e12, but a statistic must not trust its input to stay standing:
    non-finite values are dropped and the rest clipped to ±1e15, so no edge or width can overflow."""
    values = [min(max(v, -BIN_LIMIT), BIN_LIMIT) for v in values if math.isfinite(v)]
    if not values:
        return [0, 1], [0]
    ordered = sorted(values)
    lo = ordered[int(0.05 * (len(ordered) - 1))]
    hi = ordered[math.ceil(0.95 * (len(ordered) - 1))]
    if target is not None:
        lo, hi = min(lo, target), max(hi, target)
    if hi == lo:  # everyone agrees: one bin around the value
        width = _nice(max(abs(lo) * 0.1, 1))
        start, n = math.floor(lo / width) * width, 1
    else:
        width = _nice((hi - lo) / max_bins)
        start = math.floor(lo / width) * width
        n = max(1, math.ceil((hi - start) / width - 1e-9))
        if start + n * width <= hi:  # hi on the last edge still belongs in the last bin
            n += 1
    edges = [round(start + i * width, 10) for i in range(n + 1)]
    counts = [0] * n
    for v in values:
        counts[min(n - 1, max(0, int((v - start) // width)))] += 1
    return edges, counts


def _numeric_chart(question, values: list[float], revealed: bool):
    """A histogram of the predictions; once revealed, each bar splits into the predictions within the
    question's tolerance (right) and the rest, and a line marks the answer."""
    edges, counts = numeric_bins(values, question.answer if revealed else None)
    width = edges[1] - edges[0]
    start, n = edges[0], len(counts)
    centres = [round(e + width / 2, 10) for e in edges[:-1]]
    labels = [f"{_number(a)}–{_number(b)}" for a, b in zip(edges, edges[1:])]
    bar = {"width": [width * 0.92] * n, "customdata": labels}
    if revealed:
        right = [0] * n
        for v in values:
            if question.check(_num(v))[0]:
                right[min(n - 1, max(0, int((v - start) // width)))] += 1
        traces = [charts.bars(centres, right, "right", charts.OUTCOME["success"], **bar,
                              hovertemplate="%{customdata}: %{y} right<extra></extra>"),
                  charts.bars(centres, [c - r for c, r in zip(counts, right)], "not right", charts.NEUTRAL, **bar,
                              hovertemplate="%{customdata}: %{y} not right<extra></extra>")]
        shapes = [charts.vline(question.answer, charts.OUTCOME["success"])]
        notes = [{"x": question.answer, "y": 1, "xref": "x", "yref": "paper", "yanchor": "bottom",
                  "showarrow": False, "text": f"answer: {_number(question.answer)}", "font": {"size": 12}}]
    else:
        traces = [charts.bars(centres, counts, "Predictions", charts.SERIES[0], **bar,
                              hovertemplate="%{customdata}: %{y}<extra></extra>")]
        shapes, notes = [], []
    unit = f" ({question.unit})" if question.unit else ""
    spec = charts.layout(x=f"prediction{unit}", y="attendees", height=300, showlegend=revealed, barmode="stack",
                         shapes=shapes, annotations=notes, margin={"t": 28},
                         yaxis={"dtick": max(1, math.ceil(max(counts) / 6))})
    bins = tuple(zip(labels, counts))
    return _chart(question, charts.figure(traces, spec), bins), bins


def _chart(question, figure: dict, bins) -> Chart:
    total = sum(c for _, c in bins)
    alt = f"{total} prediction{'s' if total != 1 else ''}: " + "; ".join(f"{label}: {c}" for label, c in bins)
    return Chart(f"chart-live-{question.id}", figure, alt)


def _nice(x: float) -> float:
    """The round number (1, 2, 2.5 or 5 times a power of ten) at or above x."""
    power = 10 ** math.floor(math.log10(x))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= x - 1e-12)


def _wrap(text: str, width: int = 26) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join(lines + [line])


def _num(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _number(x: float) -> str:
    if abs(x) >= 1e15:
        return f"{x:.3g}"
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"
