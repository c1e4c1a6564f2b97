"""Slide-mode steps and speaker notes: parsed from the lesson Markdown, never shown to learners, and
their time budgets add up to the plans in docs/workshop.md."""

import re

import pytest

from webapp.lessons import LessonError, _render, parse_lesson
from webapp.steps import build_steps, split_notes
from webapp.teach import read_guide

LESSON = """---
title: T
slug: t
order: 1
summary: S.
demos: [backoff-timeline]
questions:
  - id: q1
    ask: How long?
    answer: 1500
    explain: Because.
    show: /demos/backoff-timeline
---
::: notes 90=1
Welcome them.
:::

Intro text.

## First heading

Some *text*.

::: notes 90=2 180=3
Say **this**.
:::

[[question q1]]

::: notes 180=1.5
Ask the room.
:::

[[demo backoff-timeline]]

::: notes
Click a preset.
:::

After the demo.

```
::: notes
code, not notes
:::
```
"""


def test_steps_are_the_title_headings_questions_demos_and_the_text_between():
    lesson = parse_lesson(LESSON)
    assert [(s.kind, s.title, s.continued) for s in lesson.steps] == [
        ("title", "T", False), ("text", "T", True), ("text", "First heading", False),
        ("question", "q1", False), ("demo", "backoff-timeline", False), ("text", "First heading", True)]
    assert [s.number for s in lesson.steps] == [1, 2, 3, 4, 5, 6]
    assert "<em>text</em>" in lesson.steps[2].html and "First heading" in lesson.steps[2].html


def test_notes_belong_to_the_step_they_follow_with_their_budgets():
    steps = parse_lesson(LESSON).steps
    assert "Welcome them." in steps[0].notes and steps[0].budget == {"90": 1}
    assert "<strong>this</strong>" in steps[2].notes and steps[2].budget == {"90": 2, "180": 3}
    assert "Ask the room." in steps[3].notes and steps[3].minutes("180") == 1.5 and steps[3].minutes("90") == 0
    assert "Click a preset." in steps[4].notes and steps[4].budget == {}
    assert steps[1].notes == "" and steps[5].notes == ""  # notes inside a code fence are code
    assert "code, not notes" in steps[5].html


def test_learners_never_see_the_notes():
    lesson = parse_lesson(LESSON)
    html = "".join(str(part) for kind, part in lesson.parts if kind == "html")
    for secret in ("Welcome them", "Say <strong>this", "Ask the room", "Click a preset", "::: notes 90"):
        assert secret not in html
    assert "code, not notes" in html  # a fenced example of the syntax stays
    assert "::: notes" not in split_notes("a\n::: notes\nb\n:::\nc\n").replace("a\n", "")


@pytest.mark.parametrize("broken,message", [
    ("::: notes\nnever closed\n", "never closed"),
    ("::: notes 45=3\nx\n:::\n", "plan=minutes"),
    ("::: notes 90=soon\nx\n:::\n", "plan=minutes"),
])
def test_a_broken_notes_block_stops_the_app_with_the_lesson_named(broken, message):
    text = LESSON.replace("Intro text.\n", "Intro text.\n\n" + broken)
    with pytest.raises(LessonError, match=rf"lesson.md: .*{message}"):
        parse_lesson(text, "lesson.md")


def test_build_steps_without_headings_is_one_text_step():
    steps = build_steps("Just text.\n", "Title", _render)
    assert [(s.kind, s.continued) for s in steps] == [("title", False), ("text", True)]


def test_every_step_of_every_lesson_has_speaker_notes(app):
    lessons = app.extensions["lessons"]
    missing = [(slug, s.number) for slug, lesson in lessons.items() for s in lesson.steps if not s.notes]
    assert missing == []


def test_the_learner_page_of_every_lesson_shows_no_notes(client, app):
    for slug, lesson in app.extensions["lessons"].items():
        html = client.get(f"/lessons/{slug}").get_data(as_text=True)
        assert "::: notes" not in html
        for step in lesson.steps:
            text = re.sub(r"<[^>]+>", "", str(step.notes)).strip()
            assert text[:60] not in html, (slug, step.number)


def test_step_budgets_add_up_to_each_lessons_time_in_the_plans(app):
    """The minutes in the notes and the minutes in docs/workshop.md are one plan, not two."""
    lessons = app.extensions["lessons"]
    _, plans = read_guide()
    for plan, details in plans.items():
        rows = details.rows
        assert rows and rows[0].start == 0 and rows[-1].end == int(plan)
        assert all(a.end == b.start for a, b in zip(rows, rows[1:])), f"plan {plan} has a gap or an overlap"
        planned = {row.slug: row.minutes for row in rows if row.slug}
        assert set(planned) <= set(lessons)
        for slug, lesson in lessons.items():
            budget = round(sum(s.minutes(plan) for s in lesson.steps), 6)
            assert budget == planned.get(slug, 0), (plan, slug)


def test_a_section_too_long_for_one_screen_goes_on_in_continued_steps():
    paragraph = "A sentence of ordinary lesson prose that runs on for a while. " * 6
    body = "## Long\n\n" + "\n\n".join([paragraph] * 6) + "\n\n::: notes 90=3\nSay it.\n:::\n"
    steps = build_steps(body, "T", _render)[1:]
    assert len(steps) > 1
    assert [s.continued for s in steps] == [False] + [True] * (len(steps) - 1)
    assert all(s.title == "Long" for s in steps) and "<h2" in steps[0].html and "<h2" not in steps[1].html
    assert sum(s.html.count("<p>") for s in steps) == 6  # every paragraph on exactly one screen
    assert all("Say it." in s.notes for s in steps)  # the section's notes, on each of its screens
    assert round(sum(s.minutes("90") for s in steps), 6) == 3
