"""Quoted figures: a lesson's `{{ demo-id?state expression | format }}` is rendered from the model."""

from pathlib import Path

import pytest

from webapp import quotes
from webapp.demos import load_all
from webapp.lessons import LessonError, load_lessons, parse_lesson

load_all()
LESSONS = Path(__file__).resolve().parent.parent / "lessons"


def test_a_quote_renders_the_figure_of_its_demo_state():
    assert quotes.render("{{ retry-storm?jitter=none strategies.none.peak_retries_per_bucket }} calls") == "1,000 calls"
    assert quotes.render("{{ backoff-timeline?down_ms=600 attempts[-1].start_ms }} ms") == "700 ms"


def test_a_preset_a_format_an_expression_and_a_comprehension():
    assert quotes.value("retry-budget@one-retry", "values['attempts']") == 2
    assert quotes.render("{{ backoff-timeline attempts[4].start_ms / 1000 | .1f }} s") == "1.5 s"
    assert quotes.render("{{ backoff-timeline sum(a.wait_ms for a in attempts if a.wait_ms) }}") == "1,500"


@pytest.mark.parametrize(("figure", "text"), [(9.86, "9.9"), (0.14, "0.14"), (0.00204, "0.0020"), (0, "0"), (12.4, "12")])
def test_sig_keeps_two_significant_digits_without_scientific_notation(figure, text):
    assert quotes.format_value(figure, "sig") == text


@pytest.mark.parametrize(("quote", "names"), [
    ("{{ no-such-demo totals.x }}", "unknown demo 'no-such-demo'"),
    ("{{ retry-storm@no-such-preset bucket_ms }}", "no preset 'no-such-preset'"),
    ("{{ retry-storm?clients=0 bucket_ms }}", "clients"),
    ("{{ retry-storm strategies.full.no_such_key }}", "no key 'no_such_key'"),
    ("{{ retry-storm strategies.full }}", "a group of values"),
])
def test_a_broken_quote_names_what_is_wrong(quote, names):
    with pytest.raises(quotes.QuoteError, match=names.replace("(", r"\(")):
        quotes.render(quote, "x.md")


def test_a_broken_quote_stops_the_lessons_from_loading(tmp_path):
    (tmp_path / "01-x.md").write_text("---\ntitle: X\nslug: x\norder: 1\nsummary: s\n---\n"
                                      "It gave {{ retry-storm strategies.full.renamed_key }} calls.\n")
    with pytest.raises(LessonError, match=r"01-x.md: quote retry-storm .*renamed_key"):
        load_lessons(tmp_path)


def test_quotes_work_in_front_matter_too():
    lesson = parse_lesson("---\ntitle: X\nslug: x\norder: 1\nsummary: s\nquestions:\n  - id: q\n"
                          "    ask: How many?\n    answer: {{ backoff-timeline attempts[4].start_ms | d }}\n"
                          "    explain: {{ backoff-timeline attempts[4].start_ms }} ms.\n    show: /demos/backoff-timeline\n"
                          "---\n[[question q]]\n")
    assert lesson.questions["q"].answer == 1500 and "1,500 ms" in lesson.questions["q"].explain


def test_every_lesson_quote_renders_and_none_is_left_in_a_page(client):
    count = 0
    for path in LESSONS.glob("*.md"):
        count += len(quotes.quotes_in(path.read_text(encoding="utf-8")))
    assert count >= 435  # what the lessons quote today (437); a drop means figures were unbound
    for slug in ("fallacies", "retry-backoff", "retry-storms", "circuit-breaker", "bulkhead", "timeouts", "idempotency",
                 "graceful-degradation", "key-points"):
        page = client.get(f"/lessons/{slug}").get_data(as_text=True)
        assert "{{" not in page, slug
