"""Lessons are Markdown files in `lessons/` with YAML front matter; adding a lesson is adding a file.

Front matter: title, slug, order, summary, demos (the demo ids the text embeds) and optionally
questions (predict-then-run questions, see `Question`). In the text, a line `[[demo <demo-id>]]`
places a demo and `[[question <question-id>]]` a question. The index is the files sorted by `order`.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import yaml
from flask import Flask, current_app
from markupsafe import Markup

# A numeric answer: ASCII digits, thousands commas only between groups of three, then an optional
# fraction and exponent. The default range keeps every statistic over the room's answers finite.
NUMBER_RE = re.compile(r"^[+-]?(?=\.?\d)(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:[eE][+-]?\d{1,3})?$", re.ASCII)
NUMERIC_LIMIT = 1e12
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
    """

    id: str
    ask: str
    answer: float | int
    explain: Markup
    show: str
    choices: tuple[str, ...] = ()
    tolerance: float = 0.1
    unit: str = ""
    min: float = -NUMERIC_LIMIT
    max: float = NUMERIC_LIMIT

    @property
    def numeric(self) -> bool:
        return not self.choices

    def number(self, raw: str) -> tuple[float | None, str]:
        """A numeric answer as a finite float within [min, max], or None and what is wrong with it.

        Plain ASCII digits only, with an optional sign, decimal point, exponent and thousands
        commas in their places ("1,000.5"): float() alone would also take "1_000", Arabic-Indic
        digits and "inf", and a stray "1,,,5" would silently become 15."""
        raw = (raw or "").strip()
        if not raw:
            return None, "give a number"
        if len(raw) > 40 or not NUMBER_RE.match(raw):
            return None, f"“{raw[:40]}” is not a number: give a number like 1500, 1,500 or 0.25"
        value = float(raw.replace(",", ""))
        if not (self.min <= value <= self.max):  # also refuses ±inf from "1e999"
            return None, f"give a number from {_plain(self.min)} to {_plain(self.max)}"
        return value, ""

    def problem(self, raw: str) -> str:
        """Why `raw` is not an answer to this question ("" when it is one)."""
        if self.numeric:
            return self.number(raw)[1]
        return "" if (raw or "").strip() in {str(i) for i in range(len(self.choices))} else "pick one of the choices"

    def check(self, raw: str) -> tuple[bool | None, str]:
        """(correct?, the answer as given); None when the input is not an answer at all."""
        raw = (raw or "").strip()[:40]
        if self.numeric:
            given, _ = self.number(raw)
            if given is None:
                return None, raw
            return abs(given - self.answer) <= self.tolerance * abs(self.answer), raw
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
                            max=float(raw.get("max", NUMERIC_LIMIT)))
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
    extra: dict = field(default_factory=dict, repr=False)  # any other front-matter keys


def parse_lesson(text: str, source: str = "<lesson>") -> Lesson:
    match = FRONT_MATTER.match(text)
    if not match:
        raise LessonError(f"{source}: no front matter (a '---' block at the top)")
    meta = yaml.safe_load(match.group(1)) or {}
    missing = [key for key in REQUIRED if key not in meta]
    if missing:
        raise LessonError(f"{source}: front matter lacks {', '.join(missing)}")
    body = text[match.end():]
    declared = tuple(meta.get("demos") or ())
    questions = {q.id: q for q in (_question(raw, source) for raw in meta.get("questions") or ())}
    parts, placed, asked, pos = [], [], [], 0
    for marker in MARKER.finditer(body):
        kind, ident = marker.groups()
        parts.append(("html", _render(body[pos:marker.start()])))
        if kind == "demo":
            parts.append(("demo", ident))
            placed.append(ident)
        else:
            if ident not in questions:
                raise LessonError(f"{source}: the text asks question {ident!r}, which the front matter lacks")
            parts.append(("question", questions[ident]))
            asked.append(ident)
        pos = marker.end()
    parts.append(("html", _render(body[pos:])))
    if sorted(placed) != sorted(declared):
        raise LessonError(f"{source}: front matter lists demos {list(declared)} "
                          f"but the text places {placed}")
    if sorted(asked) != sorted(questions):
        raise LessonError(f"{source}: questions {sorted(set(questions) - set(asked))} are never asked")
    extra = {k: v for k, v in meta.items() if k not in (*REQUIRED, "demos", "questions")}
    return Lesson(slug=str(meta["slug"]), title=str(meta["title"]), order=int(meta["order"]),
                  summary=str(meta["summary"]), demos=declared, parts=tuple(parts),
                  questions=questions, extra=extra)


def _render(md_text: str) -> Markup:
    html = markdown.markdown(md_text, extensions=["tables", "fenced_code", "toc", "attr_list"],
                             extension_configs={"toc": {"permalink": False}})
    return Markup(html)


def load_lessons(folder: str | Path) -> dict[str, Lesson]:
    """All lessons in `folder`, keyed by slug, in order. Fails loudly on a broken file."""
    from .demos import load_all

    registry = load_all()
    lessons = [parse_lesson(path.read_text(encoding="utf-8"), path.name)
               for path in sorted(Path(folder).glob("*.md"))]
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
    return {lesson.slug: lesson for lesson in sorted(lessons, key=lambda les: les.order)}


def _check_demo_link(url: str, registry: dict, where: str) -> None:
    """A /demos/<id>?… link must name a demo and valid parameters: dead links fail at start-up."""
    from urllib.parse import urlsplit

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
