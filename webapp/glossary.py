"""The glossary: one Markdown file per term in `lessons/glossary/`, and links from each lesson's first use.

A file is front matter plus a short definition in Markdown:

    ---
    term: "Erlang C"
    aliases: ["Erlang-C", "Erlang C formula"]   # other spellings and plurals found in lessons
    lesson: bulkhead                             # the slug of the lesson that teaches it
    ---
    The probability that a request has to wait in an M/M/c queue…

At start-up each lesson's rendered HTML is rewritten once: the first use of each term becomes a
link to its entry, described (aria-describedby) by a tooltip holding the definition. Headings, code,
links and other inline markup are left alone, and demos and questions are separate parts of a
lesson, so they are never touched.
"""

from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass
from pathlib import Path

import markdown
import yaml
from markupsafe import Markup, escape

from .lessons import FRONT_MATTER, Lesson, LessonError

IDENT = re.compile(r"^[a-z0-9-]+$")
# Text inside these is never linked: headings, code, existing links and interactive or styled markup.
SKIP = {"a", "abbr", "button", "code", "dfn", "h1", "h2", "h3", "h4", "h5", "h6", "kbd", "label",
        "math", "pre", "samp", "script", "select", "span", "style", "summary", "svg", "textarea", "var"}
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
TAG = re.compile(r"(<[^>]*>)")
TAG_NAME = re.compile(r"^</?\s*([a-zA-Z0-9]+)")


@dataclass(frozen=True)
class Term:
    id: str
    term: str
    aliases: tuple[str, ...]
    lesson: str | None
    definition: Markup  # the entry, rendered
    tip: str  # the definition as plain text, for the tooltip

    @property
    def anchor(self) -> str:
        return f"term-{self.id}"

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every form the linker looks for: the term without its parenthesis, and the aliases."""
        bare = re.sub(r"\s*\(.*?\)\s*", " ", self.term).strip()
        return tuple(dict.fromkeys((bare, *self.aliases)))


def parse_term(text: str, ident: str) -> Term:
    match = FRONT_MATTER.match(text)
    if not match or not IDENT.match(ident):
        raise LessonError(f"lessons/glossary/{ident}.md: needs front matter and a lowercase-hyphen file name")
    meta = yaml.safe_load(match.group(1)) or {}
    if "term" not in meta:
        raise LessonError(f"lessons/glossary/{ident}.md: front matter lacks term")
    body = text[match.end():].strip()
    if not body:
        raise LessonError(f"lessons/glossary/{ident}.md: the definition is empty")
    rendered = markdown.markdown(body)
    tip = " ".join(html.unescape(re.sub(r"<[^>]+>", "", rendered)).split())
    return Term(id=ident, term=str(meta["term"]), aliases=tuple(str(a) for a in meta.get("aliases") or ()),
                lesson=meta.get("lesson"), definition=Markup(rendered), tip=tip)


def load_glossary(folder: str | Path) -> dict[str, Term]:
    """Every term in `folder`, keyed by id, sorted by term. Fails loudly on a broken file."""
    terms = [parse_term(path.read_text(encoding="utf-8"), path.stem) for path in Path(folder).glob("*.md")]
    owners: dict[str, str] = {}
    for term in terms:
        for spelling in term.spellings:
            other = owners.setdefault(spelling.lower(), term.id)
            if other != term.id:
                raise LessonError(f"glossary: {spelling!r} is claimed by both {other!r} and {term.id!r}")
    return {t.id: t for t in sorted(terms, key=lambda t: t.term.lower())}


class Linker:
    """Finds glossary terms in text, longest spelling first so "idempotency key" wins over
    "idempotency". A lowercase spelling matches any case ("Bulkhead" at a sentence start); one with
    capitals inside (M/M/c, OCC, Erlang C) matches exactly. One regex per first letter, tried only
    where a word starts: a single regex of every spelling would try them all at every character."""

    WORD_START = re.compile(r"(?<![\w/-])\w")

    def __init__(self, terms: dict[str, Term]):
        self.terms = terms
        groups: dict[str, list[tuple[str, str]]] = {}
        for t in terms.values():
            for spelling in t.spellings:
                groups.setdefault(spelling[0].lower(), []).append((spelling, t.id))
        self.by_first: dict[str, tuple[re.Pattern, list[str]]] = {}
        for first, spellings in groups.items():
            spellings.sort(key=lambda pair: -len(pair[0]))
            alternatives = []
            for spelling, _ in spellings:
                pattern = re.escape(spelling).replace(r"\ ", r"\s+") + ("(?:e?s)?" if spelling[-1].isalpha() else "")
                if spelling[1:] == spelling[1:].lower():
                    pattern = f"(?i:{pattern})"
                alternatives.append(f"({pattern})")
            regex = re.compile("(?:" + "|".join(alternatives) + r")(?![\w-]|\.\d)")
            self.by_first[first] = (regex, [term_id for _, term_id in spellings])

    def link_html(self, fragment: str, seen: set[str]) -> str:
        """`fragment` with the first use of each term not in `seen` linked; `seen` is updated."""
        out, skipping = [], []
        for piece in TAG.split(fragment):
            if piece.startswith("<"):
                name = TAG_NAME.match(piece)
                tag = name.group(1).lower() if name else ""
                if tag in SKIP and not piece.endswith("/>"):
                    if piece.startswith("</"):
                        if tag in skipping:
                            del skipping[len(skipping) - 1 - skipping[::-1].index(tag):]
                    elif tag not in VOID:
                        skipping.append(tag)
                out.append(piece)
            elif skipping or not piece:
                out.append(piece)
            else:
                out.append(self._link_text(piece, seen))
        return "".join(out)

    def _link_text(self, text: str, seen: set[str]) -> str:
        out, pos = [], 0
        for start in self.WORD_START.finditer(text):
            if start.start() < pos or start.group(0).lower() not in self.by_first:
                continue
            regex, owners = self.by_first[start.group(0).lower()]
            match = regex.match(text, start.start())
            if not match:
                continue
            term = self.terms[owners[match.lastindex - 1]]
            if term.id in seen:
                continue
            seen.add(term.id)
            tip_id = f"tip-{term.anchor}"
            out += [text[pos:match.start()],
                    f'<span class="term-ref"><a class="term" href="/glossary#{term.anchor}" '
                    f'aria-describedby="{tip_id}">{match.group(0)}</a>'
                    f'<span class="term-tip" id="{tip_id}" role="tooltip">{escape(term.tip)}</span></span>']
            pos = match.end()
        out.append(text[pos:])
        return "".join(out)


def link_lesson(lesson: Lesson, linker: Linker) -> Lesson:
    """The lesson with each term's first use (over all its prose parts, in order) linked."""
    seen: set[str] = set()
    parts = tuple((kind, Markup(linker.link_html(str(part), seen)) if kind == "html" else part)
                  for kind, part in lesson.parts)
    return dataclasses.replace(lesson, parts=parts)


def init_app(app) -> None:
    """Load the glossary and link the lessons already loaded (lessons.init_app runs first)."""
    from . import search

    terms = load_glossary(app.config["GLOSSARY_DIR"])
    app.extensions["glossary"] = terms
    lessons = app.extensions["lessons"]
    # The index reads the prose before the links are added: the tooltips are not the lesson's text.
    app.extensions["search"] = search.build_index(lessons, terms)
    linker = Linker(terms)
    app.extensions["lessons"] = {slug: link_lesson(lesson, linker) for slug, lesson in lessons.items()}
