"""The glossary: entries in lessons/glossary/*.md, the /glossary page, and each term's first use linked."""

import re

import pytest

from webapp.glossary import Linker, Term, load_glossary, parse_term
from webapp.lessons import LessonError
from markupsafe import Markup

REQUIRED_TERMS = ["M/M/c", "Erlang B", "Erlang C", "Little's law", "p99", "p99.9", "percentile", "goodput",
                  "optimistic concurrency control", "OCC", "metastable failure", "half-open", "full jitter",
                  "equal jitter", "decorrelated jitter", "token bucket", "retry budget", "bulkhead",
                  "idempotency key", "deadline propagation", "load shedding", "circuit breaker", "timeout",
                  "SLO", "tail latency", "thundering herd", "cascading failure"]


def term(ident, spelling, *aliases):
    return Term(id=ident, term=spelling, aliases=aliases, lesson=None, definition=Markup("<p>d</p>"),
                tip=f"{spelling} means d.")


@pytest.fixture()
def linker():
    terms = [term("idempotency-key", "Idempotency key"), term("idempotent", "Idempotent", "idempotency"),
             term("occ", "OCC"), term("percentile", "Percentile (p99)", "p99", "p99.9"),
             term("mmc", "M/M/c")]
    return Linker({t.id: t for t in terms})


def linked(html):
    return re.findall(r'<a class="term" href="/glossary#term-([a-z0-9-]+)"[^>]*>([^<]*)</a>', html)


def test_the_glossary_covers_the_terms_the_issue_lists(app):
    spellings = {s.lower() for t in app.extensions["glossary"].values() for s in t.spellings}
    assert [s for s in REQUIRED_TERMS if s.lower() not in spellings] == []


def test_every_entry_names_a_lesson_that_exists(app):
    lessons = app.extensions["lessons"]
    assert {t.id: t.lesson for t in app.extensions["glossary"].values() if t.lesson not in lessons} == {}


def test_first_use_only_longest_spelling_first(linker):
    seen = set()
    html = linker.link_html("<p>An idempotency key makes a charge idempotent; idempotency keys again.</p>", seen)
    assert linked(html) == [("idempotency-key", "idempotency key"), ("idempotent", "idempotent")]
    assert linker.link_html("<p>Another idempotency key.</p>", seen).count('class="term"') == 0  # same lesson


def test_headings_code_links_and_markup_are_left_alone(linker):
    html = ('<h2>OCC</h2><p><code>OCC</code> <a href="/x">OCC</a> <span class="n">OCC</span> '
            '<strong>p99</strong> and OCC.</p>')
    assert linked(linker.link_html(html, set())) == [("percentile", "p99"), ("occ", "OCC")]


def test_case_and_word_boundaries(linker):
    assert linked(linker.link_html("<p>occasional occ, M/M/cx, xp99, p99.5.</p>", set())) == []
    assert linked(linker.link_html("<p>Idempotency matters; p99.9 and p99.</p>", set())) == [
        ("idempotent", "Idempotency"), ("percentile", "p99.9")]


def test_the_link_is_described_by_its_definition(linker):
    html = linker.link_html("<p>Size it with M/M/c.</p>", set())
    match = re.search(r'aria-describedby="([^"]+)"', html)
    assert re.search(rf'<span class="term-tip" id="{match.group(1)}" role="tooltip">M/M/c means d.</span>', html)


def test_lessons_link_their_terms_but_not_in_demos_or_questions(app, client):
    lesson = app.extensions["lessons"]["bulkhead"]
    # Every question skipped, so the text that discusses a demo's result is on the page too.
    html = client.get("/lessons/bulkhead", query_string={f"revealed.{q}": "1" for q in lesson.questions}).get_data(
        as_text=True)
    terms = dict((t, text) for t, text in linked(html))
    assert {"mmc", "erlang-c", "littles-law", "bulkhead"} <= set(terms)
    assert len(linked(html)) == len(terms)  # each term once per lesson
    # Every link on the page comes from the lesson's prose parts: none from a demo or a question.
    prose = "".join(str(part) for kind, part in lesson.parts if kind == "html")
    assert html.count('class="term"') == prose.count('class="term"') == len(terms)
    assert all('class="term"' not in str(q.explain) for q in lesson.questions.values())
    assert lesson.questions and 'id="question-' in html and 'id="demo-bulkhead"' in html


def test_glossary_page_lists_every_entry_with_its_lesson(app, client):
    response = client.get("/glossary")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for t in app.extensions["glossary"].values():
        assert f'id="{t.anchor}"' in html
    assert '<a href="/lessons/bulkhead">Lesson 5: ' in html.split('id="term-erlang-c"')[1].split("</dd>")[0]


@pytest.mark.parametrize("text, message", [
    ("no front matter", "needs front matter"),
    ("---\naliases: []\n---\nbody\n", "lacks term"),
    ("---\nterm: X\n---\n\n", "definition is empty"),
])
def test_broken_entries_fail_loudly(text, message):
    with pytest.raises(LessonError, match=message):
        parse_term(text, "x")


def test_a_spelling_claimed_twice_fails_loudly(tmp_path):
    (tmp_path / "a.md").write_text("---\nterm: Retry\n---\nOne.\n")
    (tmp_path / "b.md").write_text("---\nterm: Again\naliases: [retry]\n---\nTwo.\n")
    with pytest.raises(LessonError, match="claimed by both"):
        load_glossary(tmp_path)
