"""A lesson as slide-mode steps, with the instructor's speaker notes.

A step is one screen on a projector: the lesson's title, a heading (## or ###) with the text under
it, a question, or a demo. Text that follows a question or a demo without a new heading is a step
of its own, so nothing the learner reads is missing from the slides, and a section too long for one
screen at projection size goes on in "continued" steps, cut between paragraphs, lists and tables
(its notes show on each, its minutes are shared between them).

Speaker notes are written in the lesson Markdown, right after the content they belong to, in a
fenced block that the learner's page never shows:

    ::: notes 90=3 180=5
    What to say, what to ask, what to click. (Markdown)
    :::

`90=3 180=5` is the step's time budget in minutes in the 90-minute and the 3-hour plan (a plan
that leaves the step out omits it). A notes block belongs to the step being written when it
appears; at the very top of the text, to the title step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from markupsafe import Markup

PLANS = ("90", "180")  # the workshop plans, by length in minutes (docs/workshop.md)
NOTES_OPEN = re.compile(r"^:::\s*notes\b(.*)$")
NOTES_CLOSE = re.compile(r"^:::\s*$")
BUDGET = re.compile(r"^(\d+)=(\d+(?:\.\d+)?)$")
HEADING = re.compile(r"^(#{2,3})\s+(.+?)\s*#*\s*$")
MARKER = re.compile(r"^\[\[(demo|question) ([a-z0-9-]+)\]\]\s*$")
FENCE = re.compile(r"^(```|~~~)")
UNCLOSED = "a `::: notes` block is never closed with `:::`"


@dataclass(frozen=True)
class Step:
    index: int  # 0 is the title step; the URL's ?step= is index + 1
    kind: str  # "title", "text", "question" or "demo"
    title: str  # the heading, the question's id or the demo's id (see `label`)
    html: Markup = Markup("")  # the text of a title or text step
    continued: bool = False  # a text step without a heading of its own: `title` is the section's
    notes: Markup = Markup("")
    budget: dict = field(default_factory=dict)  # plan ("90", "180") -> minutes

    @property
    def number(self) -> int:
        return self.index + 1

    def minutes(self, plan: str) -> float:
        return self.budget.get(plan, 0)


class StepError(ValueError):
    """A malformed notes block: an unclosed fence or a budget that is not `plan=minutes`."""


def split_notes(body: str) -> str:
    """The body as learners read it: every notes block removed."""
    return "".join(line for line, in_notes in _lines(body) if not in_notes)


def build_steps(body: str, title: str, render: Callable[[str], Markup]) -> tuple[Step, ...]:
    """The steps of a lesson body (its Markdown after the front matter, notes included)."""
    steps: list[dict] = [{"kind": "title", "title": title, "notes": [], "budget": {}}]
    current: dict | None = None  # the text step being written
    section = title
    notes: list | None = None
    in_fence = False

    def flush():
        nonlocal current
        if current is not None:
            text = "".join(current["lines"])
            if text.strip() or current["heading"]:
                pages = _pages(current["heading"], current["lines"])
                share = {plan: minutes / len(pages) for plan, minutes in current["budget"].items()}
                for k, page in enumerate(pages):  # a section too long for one screen goes on, continued
                    steps.append({**current, "continued": current["continued"] or k > 0,
                                  "budget": dict(share), "html": render(page)})
        current = None

    for line in body.splitlines(keepends=True):
        stripped = line.rstrip("\n")
        if notes is not None:  # [the step it belongs to, its lines…]
            if NOTES_OPEN.match(stripped):
                raise StepError(UNCLOSED)
            if NOTES_CLOSE.match(stripped):
                notes[0]["notes"].append("".join(notes[1:]))
                notes = None
            else:
                notes.append(line)
            continue
        if FENCE.match(stripped):
            in_fence = not in_fence
        if not in_fence:
            opening = NOTES_OPEN.match(stripped)
            if opening:
                # Notes right after a question or a demo (no text of their own yet) are that step's.
                started = current is not None and (current["heading"] or "".join(current["lines"]).strip())
                target = current if started else steps[-1]
                target["budget"].update(_budget(opening.group(1)))
                notes = [target]
                continue
            heading = HEADING.match(stripped)
            marker = MARKER.match(stripped)
            if heading:
                flush()
                section = heading.group(2)
                current = {"kind": "text", "title": section, "heading": line, "lines": [], "notes": [],
                           "budget": {}, "continued": False}
                continue
            if marker:
                flush()
                steps.append({"kind": marker.group(1), "title": marker.group(2), "notes": [], "budget": {}})
                current = {"kind": "text", "title": section, "heading": "", "lines": [], "notes": [],
                           "budget": {}, "continued": True}
                continue
        if current is None:  # text before the first heading
            current = {"kind": "text", "title": section, "heading": "", "lines": [], "notes": [],
                       "budget": {}, "continued": True}
        current["lines"].append(line)
    if notes is not None:
        raise StepError(UNCLOSED)
    flush()
    return tuple(Step(index=i, kind=s["kind"], title=s["title"], html=s.get("html", Markup("")),
                      continued=s.get("continued", False),
                      notes=render("\n\n".join(s["notes"])) if s["notes"] else Markup(""),
                      budget=dict(s["budget"]))
                 for i, s in enumerate(steps))


SCREEN_LINES = 15  # lines of 26 px prose, about 70 characters each, under a heading on 1024×768 or 1280×720


def _pages(heading: str, lines: list[str]) -> list[str]:
    """A section's Markdown cut between blocks (paragraphs, lists, tables, code) into screens."""
    blocks, block, fence = [], [], False
    for line in lines:
        if FENCE.match(line):
            fence = not fence
        if not line.strip() and not fence:
            if block:
                blocks.append("".join(block))
            block = []
        else:
            block.append(line)
    if block:
        blocks.append("".join(block))
    pages, page, used = [], [heading] if heading else [], 2.5 if heading else 0.0
    for text in blocks:
        cost = _lines_of(text) + 0.6
        if page and page != [heading] and used + cost > SCREEN_LINES:
            pages.append("\n".join(page))
            page, used = [], 0.0
        page.append(text)
        used += cost
    if page:
        pages.append("\n".join(page))
    return pages or [heading]


def _lines_of(block: str) -> float:
    """About how many lines of slide text a Markdown block takes."""
    rows = block.strip().splitlines()
    if rows[0].startswith("|"):
        return 1.6 * max(1, len(rows) - 1)  # the separator row is not drawn
    if FENCE.match(rows[0]):
        return 0.9 * len(rows)
    items = re.split(r"\n(?=\s*(?:[-*+]|\d+\.)\s)", block.strip())
    return sum(-(-len(" ".join(item.split())) // 64) for item in items)


def _budget(spec: str) -> dict:
    budget = {}
    for item in spec.split():
        match = BUDGET.match(item)
        if not match or match.group(1) not in PLANS:
            raise StepError(f"notes budget {item!r}: write plan=minutes with plan one of {', '.join(PLANS)}")
        minutes = float(match.group(2))
        budget[match.group(1)] = int(minutes) if minutes.is_integer() else minutes
    return budget


def _lines(body: str):
    """(line, inside a notes block?) for every line; fenced code is never taken for notes."""
    in_notes = in_fence = False
    for line in body.splitlines(keepends=True):
        stripped = line.rstrip("\n")
        if in_notes:
            yield line, True
            in_notes = not NOTES_CLOSE.match(stripped)
            continue
        if FENCE.match(stripped):
            in_fence = not in_fence
        if not in_fence and NOTES_OPEN.match(stripped):
            in_notes = True
            yield line, True
            continue
        yield line, False
    if in_notes:
        raise StepError(UNCLOSED)
