"""Lessons are Markdown files in `lessons/` with YAML front matter; adding a lesson is adding a file.

Front matter: title, slug, order, summary, demos (the demo ids the text embeds) and optionally
questions (predict-then-run questions, see `Question`). In the text, a line `[[demo <demo-id>]]`
places a demo and `[[question <question-id>]]` a question. The index is the files sorted by `order`.
A figure quoted from a demo is written `{{ demo-id?state path.in.result | format }}` and rendered
from the model when the lesson loads (see `quotes`).
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode, urlsplit
from dataclasses import dataclass, field, replace
from pathlib import Path

import markdown
import yaml
from flask import Flask, current_app
from markupsafe import Markup, escape

from . import quotes
from .answers import MAX_ANSWER_LENGTH, read_number
from .steps import Step, StepError, build_steps, split_notes

# The default range of a numeric answer keeps every statistic over the room's answers finite.
NUMERIC_LIMIT = 1e12
DEMO_LINK = re.compile(r'href="/demos/[a-z0-9-]+(?:\?[^"#]*)?"')
MARKER = re.compile(r"^\[\[(demo|question) ([a-z0-9-]+)\]\]\s*$", re.MULTILINE)
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
REQUIRED = ("title", "slug", "order", "summary")


class LessonError(ValueError):
    """A lesson file is malformed; raised at start-up so a typo never reaches a learner."""


@dataclass(frozen=True)
class Question:
    """A prediction asked before the demo that answers it; written in the lesson's front matter.

        questions:
          - id: storm-peak
            ask: With 1,000 clients and no jitter, how many calls land in the worst 10 ms?
            choices: ["About 100", "About 500", "All 1,000"]   # omit for a numeric answer
            answer: 2                # index of the right choice, or the number
            tolerance: 0.1           # numeric only: relative error accepted (default 10%)
            min: 0                   # numeric only: the range an answer must lie in (default ±1e12)
            max: 100
            explain: Without jitter every client waits exactly 100 ms…   (Markdown)
            show: /demos/retry-storm?jitter=none                     (the state that shows it)
            reveals: retry-storm     # the demo whose result waits for this answer (default: the
                                     # next [[demo]] after the question; null: none)
    """

    id: str
    ask: str
    answer: float | int
    explain: Markup
    show: str
    choices: tuple[str, ...] = ()
    tolerance: float = 0.1
    unit: str = ""
    reveals: str | None = None
    min: float = -NUMERIC_LIMIT
    max: float = NUMERIC_LIMIT

    @property
    def numeric(self) -> bool:
        return not self.choices

    def number(self, raw: str) -> tuple[float | None, str]:
        """A numeric answer read as a person writes it ("95,1 %", "1.5 s", "0.951" for a percentage:
        see answers.py), finite and within [min, max]; else None and what is wrong with it."""
        raw = (raw or "").strip()
        if not raw:
            return None, "give a number"
        if len(raw) > MAX_ANSWER_LENGTH:
            return None, f"your answer is longer than {MAX_ANSWER_LENGTH} characters"
        value = read_number(raw, self.unit)
        if value is None:
            return None, f"“{raw}” is not a number: give a number like 12.5{' ' + self.unit if self.unit else ''}"
        if not (self.min <= value <= self.max):
            return None, f"give a number from {_plain(self.min)} to {_plain(self.max)}"
        return value, ""

    def read(self, raw: str) -> float | None:
        """A numeric answer as a number in the question's unit, or None."""
        return self.number(raw)[0]

    def problem(self, raw: str) -> str:
        """Why `raw` is not an answer to this question ("" when it is one)."""
        if self.numeric:
            return self.number(raw)[1]
        return "" if (raw or "").strip() in {str(i) for i in range(len(self.choices))} else "pick one of the choices"

    def check(self, raw: str) -> tuple[bool | None, str]:
        """(correct?, the answer as given); None when the input is not an answer at all."""
        raw = (raw or "").strip()
        if len(raw) > MAX_ANSWER_LENGTH:
            return None, raw[:MAX_ANSWER_LENGTH]
        if self.numeric:
            given = self.read(raw)
            if given is None:
                return None, raw
            return abs(given - self.answer) <= self.tolerance * abs(self.answer) + 1e-9, raw
        if raw not in {str(i) for i in range(len(self.choices))}:
            return None, raw
        return int(raw) == self.answer, self.choices[int(raw)]

    def answer_text(self) -> str:
        if self.numeric:
            return f"{self.answer:,}" + (f" {self.unit}" if self.unit else "")
        return self.choices[self.answer]


def _plain(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def _question(raw: dict, source: str) -> Question:
    try:
        choices = tuple(str(c) for c in raw.get("choices") or ())
        question = Question(id=str(raw["id"]), ask=str(raw["ask"]), answer=raw["answer"],
                            explain=_render(str(raw["explain"])), show=str(raw["show"]),
                            choices=choices, tolerance=float(raw.get("tolerance", 0.1)),
                            unit=str(raw.get("unit", "")), min=float(raw.get("min", -NUMERIC_LIMIT)),
                            max=float(raw.get("max", NUMERIC_LIMIT)),
                            reveals=str(raw["reveals"]) if raw.get("reveals") else None)
    except KeyError as missing:
        raise LessonError(f"{source}: a question lacks {missing}") from None
    if not (-NUMERIC_LIMIT <= question.min <= question.answer <= question.max <= NUMERIC_LIMIT):
        raise LessonError(f"{source}: question {question.id!r}: min <= answer <= max must hold, within ±1e12")
    if choices and not (isinstance(question.answer, int) and 0 <= question.answer < len(choices)):
        raise LessonError(f"{source}: question {question.id!r}: answer must be a choice index")
    if not choices and not isinstance(question.answer, (int, float)):
        raise LessonError(f"{source}: question {question.id!r}: answer must be a number")
    if not question.show.startswith("/"):
        raise LessonError(f"{source}: question {question.id!r}: show must be a path on this site")
    return question


@dataclass(frozen=True)
class Lesson:
    slug: str
    title: str
    order: int
    summary: str
    demos: tuple[str, ...]
    # The body split at markers: ("html", Markup), ("demo", demo_id) and ("question", Question) parts.
    parts: tuple[tuple[str, object], ...] = field(repr=False)
    questions: dict = field(default_factory=dict, repr=False)  # id -> Question, in order
    # demo id -> the questions whose answer it shows: its result waits until they are answered.
    guards: dict = field(default_factory=dict, repr=False)
    # index of an "html" part -> the demo it discusses: the text right after that demo, up to the
    # next heading, which quotes its result and so waits with it.
    discussions: dict = field(default_factory=dict, repr=False)
    extra: dict = field(default_factory=dict, repr=False)  # any other front-matter keys
    steps: tuple[Step, ...] = field(default=(), repr=False)  # slide mode, with speaker notes (steps.py)


def parse_lesson(text: str, source: str = "<lesson>") -> Lesson:
    text = quotes.render(text, source)  # front matter too: a question's answer can be quoted
    match = FRONT_MATTER.match(text)
    if not match:
        raise LessonError(f"{source}: no front matter (a '---' block at the top)")
    meta = yaml.safe_load(match.group(1)) or {}
    missing = [key for key in REQUIRED if key not in meta]
    if missing:
        raise LessonError(f"{source}: front matter lacks {', '.join(missing)}")
    try:  # speaker notes are for the instructor's slides only: the learner's text never holds them
        body_with_notes = text[match.end():]
        body = split_notes(body_with_notes)
        steps = build_steps(body_with_notes, str(meta["title"]), _render)
    except StepError as err:
        raise LessonError(f"{source}: {err}") from None
    declared = tuple(meta.get("demos") or ())
    questions = {q.id: q for q in (_question(raw, source) for raw in meta.get("questions") or ())}
    parts, placed, asked, pos = [], [], [], 0
    pending = []  # questions asked since the last demo: by default that demo answers them
    defaults = {}
    for marker in MARKER.finditer(body):
        kind, ident = marker.groups()
        parts.append(("html", _render(body[pos:marker.start()])))
        if kind == "demo":
            parts.append(("demo", ident))
            placed.append(ident)
            defaults.update((qid, ident) for qid in pending)
            pending = []
        else:
            if ident not in questions:
                raise LessonError(f"{source}: the text asks question {ident!r}, which the front matter lacks")
            parts.append(("question", questions[ident]))
            asked.append(ident)
            pending.append(ident)
        pos = marker.end()
    parts.append(("html", _render(body[pos:])))
    if sorted(placed) != sorted(declared):
        raise LessonError(f"{source}: front matter lists demos {list(declared)} "
                          f"but the text places {placed}")
    if sorted(asked) != sorted(questions):
        raise LessonError(f"{source}: questions {sorted(set(questions) - set(asked))} are never asked")
    raw_questions = {str(raw.get("id")): raw for raw in meta.get("questions") or ()}
    questions = {qid: _revealing(q, raw_questions[qid], defaults.get(qid), placed, source)
                 for qid, q in questions.items()}
    parts = [("question", questions[p.id]) if kind == "question" else (kind, p) for kind, p in parts]
    guards = {}
    for q in questions.values():
        if q.reveals:
            guards.setdefault(q.reveals, []).append(q.id)
    parts, discussions = _split_discussions(parts, guards)
    extra = {k: v for k, v in meta.items() if k not in (*REQUIRED, "demos", "questions")}
    return Lesson(slug=str(meta["slug"]), title=str(meta["title"]), order=int(meta["order"]),
                  summary=str(meta["summary"]), demos=declared, parts=tuple(parts),
                  questions=questions, guards={d: tuple(qs) for d, qs in guards.items()},
                  discussions=discussions, extra=extra, steps=steps)


def _revealing(question: Question, raw: dict, default: str | None, placed: list, source: str) -> Question:
    """The question with the demo it reveals: as written (`reveals:`, null for none), else the next
    demo after it. A demo named must be in the lesson and agree with the question's `show` link."""
    reveals = question.reveals if "reveals" in raw else default
    where = f"{source}: question {question.id!r}"
    if reveals is not None and reveals not in placed:
        raise LessonError(f"{where}: reveals {reveals!r}, which the lesson does not place")
    shown = question.show.split("?")[0].removeprefix("/demos/") if question.show.startswith("/demos/") else None
    if reveals and shown and shown != reveals:
        raise LessonError(f"{where}: its show link opens {shown!r} but it reveals {reveals!r}; "
                          f"set `reveals:` to the demo that answers it")
    return replace(question, reveals=reveals)


def _split_discussions(parts: list, guards: dict) -> tuple[tuple, dict]:
    """Split the text after each guarded demo at its first heading: the part before it discusses the
    result (and waits with it), the rest goes on with the lesson."""
    out, discussions = [], {}
    for i, (kind, part) in enumerate(parts):
        before = parts[i - 1] if i else (None, None)
        if kind == "html" and before[0] == "demo" and before[1] in guards and part.strip():
            head, cut, rest = str(part).partition("<h2")
            if head.strip():
                discussions[len(out)] = before[1]
                out.append(("html", Markup(head)))
                if cut:
                    out.append(("html", Markup(cut + rest)))
                continue
        out.append((kind, part))
    return tuple(out), discussions


def _render(md_text: str) -> Markup:
    html = markdown.markdown(md_text, extensions=["tables", "fenced_code", "toc", "attr_list"],
                             extension_configs={"toc": {"permalink": False}})
    return Markup(html)


def load_lessons(folder: str | Path) -> dict[str, Lesson]:
    """All lessons in `folder`, keyed by slug, in order. Fails loudly on a broken file."""
    from .demos import load_all

    registry = load_all()
    try:
        lessons = [parse_lesson(path.read_text(encoding="utf-8"), path.name)
                   for path in sorted(Path(folder).glob("*.md"))]
    except quotes.QuoteError as err:
        raise LessonError(str(err)) from None
    seen = set()
    for lesson in lessons:
        if lesson.slug in seen:
            raise LessonError(f"two lessons have the slug {lesson.slug!r}")
        seen.add(lesson.slug)
        unknown = [d for d in lesson.demos if d not in registry]
        if unknown:
            raise LessonError(f"lesson {lesson.slug!r} places unknown demos {unknown}")
        for question in lesson.questions.values():
            _check_demo_link(question.show, registry, f"lesson {lesson.slug!r}, question {question.id!r}")
    ordered = {lesson.slug: lesson for lesson in sorted(lessons, key=lambda les: les.order)}
    return {slug: _link_demos_in_lessons(lesson, ordered) for slug, lesson in ordered.items()}


def demo_in_lesson(url: str, lessons: dict, keep: list | tuple = ()) -> str:
    """A /demos/<id>?… link as the same state of the demo inside its lesson, scrolled to it and
    revealed (whoever follows it wants to see the result). `keep`: the lesson page's own query
    pairs (other demos, answers) to carry along. Any other URL comes back as it was."""
    parts = urlsplit(url)
    demo_id = parts.path.removeprefix("/demos/")
    lesson = next((les for les in lessons.values() if demo_id in les.demos), None)
    if not parts.path.startswith("/demos/") or lesson is None:
        return url
    prefix = f"{demo_id}."
    kept = [(k, v) for k, v in keep if not k.startswith(prefix)]
    done = {k.split(".", 1)[1] for k, _ in kept if k.startswith(("answer.", "revealed."))}
    mine = [(prefix + k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    reveal = [(f"revealed.{qid}", "1") for qid in lesson.guards.get(demo_id, ()) if qid not in done]
    query = urlencode(kept + mine + reveal)
    return f"/lessons/{lesson.slug}" + (f"?{query}" if query else "") + f"#demo-{demo_id}"


def _link_demos_in_lessons(lesson: Lesson, lessons: dict) -> Lesson:
    """The text's links to a demo open it inside its lesson (the key points link to every lesson)."""
    def inside(match: re.Match) -> str:
        url = html.unescape(match.group(0)[len('href="'):-1])
        return f'href="{escape(demo_in_lesson(url, lessons))}"'

    parts = tuple((kind, Markup(DEMO_LINK.sub(inside, str(part))) if kind == "html" else part)
                  for kind, part in lesson.parts)
    return replace(lesson, parts=parts)


def _check_demo_link(url: str, registry: dict, where: str) -> None:
    """A /demos/<id>?… link must name a demo and valid parameters: dead links fail at start-up."""
    from werkzeug.datastructures import MultiDict

    from .params import ParamError

    parts = urlsplit(url)
    if not parts.path.startswith("/demos/"):
        return
    demo_id = parts.path.removeprefix("/demos/")
    if demo_id not in registry:
        raise LessonError(f"{where}: links unknown demo {demo_id!r}")
    try:
        registry[demo_id].params.parse(MultiDict(parse_qsl(parts.query)))
    except ParamError as err:
        raise LessonError(f"{where}: bad link {url!r}: {err}") from None


def init_app(app: Flask) -> None:
    app.extensions["lessons"] = load_lessons(app.config["LESSONS_DIR"])


def all_lessons() -> dict[str, Lesson]:
    return current_app.extensions["lessons"]


def lesson_for_demo(demo_id: str) -> Lesson | None:
    """The first lesson that embeds a demo: its page is where the demo is explained."""
    return next((les for les in all_lessons().values() if demo_id in les.demos), None)
