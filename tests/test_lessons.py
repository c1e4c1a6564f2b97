"""Lesson files: front matter, demo and question markers, and the errors that keep typos out."""

import pytest

from webapp.lessons import LessonError, parse_lesson

GOOD = """---
title: T
slug: t
order: 3
summary: S
demos: [backoff-timeline]
questions:
  - id: q1
    ask: How long?
    answer: 1500
    tolerance: 0.1
    unit: ms
    explain: Because *waits* add up.
    show: /demos/backoff-timeline
  - id: q2
    ask: Which?
    choices: [a, b, c]
    answer: 1
    explain: b.
    show: /demos/retry-storm?jitter=none
---
Intro **text**.

[[question q1]]

[[demo backoff-timeline]]

[[question q2]]
Outro.
"""


def test_parts_come_in_the_order_of_the_text():
    lesson = parse_lesson(GOOD)
    kinds = [kind for kind, _ in lesson.parts]
    assert kinds == ["html", "question", "html", "demo", "html", "question", "html"]
    assert "<strong>text</strong>" in lesson.parts[0][1]
    assert lesson.parts[3][1] == "backoff-timeline"
    assert lesson.parts[1][1].id == "q1" and "<em>waits</em>" in lesson.parts[1][1].explain


@pytest.mark.parametrize("raw,expected", [("1500", True), ("1,600", True), ("1,700", False),
                                          ("abc", None), ("nan", None), ("inf", None)])
def test_numeric_answers_accept_a_tolerance(raw, expected):
    assert parse_lesson(GOOD).questions["q1"].check(raw)[0] is expected


@pytest.mark.parametrize("raw,expected", [("1", True), ("0", False), ("3", None), ("x", None)])
def test_choice_answers_are_indexes(raw, expected):
    assert parse_lesson(GOOD).questions["q2"].check(raw)[0] is expected


@pytest.mark.parametrize("broken,message", [
    (GOOD.replace("---\ntitle", "title", 1), "no front matter"),
    (GOOD.replace("summary: S\n", ""), "lacks summary"),
    (GOOD.replace("[[demo backoff-timeline]]", ""), "places []"),
    (GOOD.replace("[[question q2]]", ""), "never asked"),
    (GOOD.replace("[[question q1]]", "[[question q9]]"), "q9"),
    (GOOD.replace("answer: 1\n", "answer: 7\n"), "choice index"),
])
def test_broken_lessons_fail_loudly(broken, message):
    with pytest.raises(LessonError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_lesson(broken)


def test_every_real_lesson_question_links_a_valid_demo_state(app):
    for lesson in app.extensions["lessons"].values():
        for question in lesson.questions.values():
            assert question.show.startswith("/"), (lesson.slug, question.id)
