"""Lessons are Markdown files in `lessons/` with YAML front matter; adding a lesson is adding a file.

Front matter: title, slug, order, summary, demos (the demo ids the text embeds). In the text, a line
`[[demo <demo-id>]]` places that demo. The index is the files sorted by `order`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import yaml
from flask import Flask, current_app
from markupsafe import Markup

DEMO_MARKER = re.compile(r"^\[\[demo ([a-z0-9-]+)\]\]\s*$", re.MULTILINE)
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
REQUIRED = ("title", "slug", "order", "summary")


class LessonError(ValueError):
    """A lesson file is malformed; raised at start-up so a typo never reaches a learner."""


@dataclass(frozen=True)
class Lesson:
    slug: str
    title: str
    order: int
    summary: str
    demos: tuple[str, ...]
    # The body split at demo markers: alternating ("html", Markup) and ("demo", demo_id) parts.
    parts: tuple[tuple[str, object], ...] = field(repr=False)
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
    parts, placed, pos = [], [], 0
    for marker in DEMO_MARKER.finditer(body):
        parts.append(("html", _render(body[pos:marker.start()])))
        parts.append(("demo", marker.group(1)))
        placed.append(marker.group(1))
        pos = marker.end()
    parts.append(("html", _render(body[pos:])))
    if sorted(placed) != sorted(declared):
        raise LessonError(f"{source}: front matter lists demos {list(declared)} "
                          f"but the text places {placed}")
    extra = {k: v for k, v in meta.items() if k not in (*REQUIRED, "demos")}
    return Lesson(slug=str(meta["slug"]), title=str(meta["title"]), order=int(meta["order"]),
                  summary=str(meta["summary"]), demos=declared, parts=tuple(parts), extra=extra)


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
    return {lesson.slug: lesson for lesson in sorted(lessons, key=lambda les: les.order)}


def init_app(app: Flask) -> None:
    app.extensions["lessons"] = load_lessons(app.config["LESSONS_DIR"])


def all_lessons() -> dict[str, Lesson]:
    return current_app.extensions["lessons"]


def lesson_for_demo(demo_id: str) -> Lesson | None:
    """The first lesson that embeds a demo: its page is where the demo is explained."""
    return next((les for les in all_lessons().values() if demo_id in les.demos), None)
