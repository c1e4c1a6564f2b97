"""Predict, then see: tolerant answers, and a demo's result left out until its question is answered."""

import re

import pytest

from webapp.answers import read_number
from webapp.lessons import LessonError, parse_lesson

HX = {"HX-Request": "true"}

# (input, the question's unit, the number it reads as; None: unreadable, "give a number like…")
READINGS = [
    ("95.1", "%", 95.1),
    ("95.1%", "%", 95.1),
    ("95.1 %", "%", 95.1),
    ("95,1", "%", 95.1),
    ("95,1 %", "%", 95.1),
    ("0.951", "%", 95.1),
    ("0,951", "%", 95.1),
    ("95.1 percent", "%", 95.1),
    ("~95", "%", 95.0),
    ("1500", "ms", 1500.0),
    ("1,500", "ms", 1500.0),
    ("1 500 ms", "ms", 1500.0),
    ("1500ms", "ms", 1500.0),
    ("1.5 s", "ms", 1500.0),
    ("1,5 s", "ms", 1500.0),
    ("1.5 seconds", "ms", 1500.0),
    ("1,500.5", "ms", 1500.5),
    ("1.500,5", "ms", 1500.5),
    ("1.500.000", "", 1500000.0),
    ("64", "attempts", 64.0),
    ("64 attempts", "attempts", 64.0),
    ("64 Attempts", "attempts", 64.0),
    ("24.8 per 100 orders", "per 100 orders", 24.8),
    ("24.8 per", "per 100 orders", 24.8),
    ("235 req/s", "req/s", 235.0),
    ("-3", "", -3.0),
    ("", "%", None),
    ("about ninety", "%", None),
    ("95.1 ms", "%", None),  # a unit that does not fit the question is not silently dropped
    ("64 %", "attempts", None),
    ("1.5 bananas", "ms", None),
    ("1.2.3", "", None),
    ("inf", "", None),
    ("nan", "", None),
    ("1" * 41, "", None),  # over 40 characters
]


@pytest.mark.parametrize("text, unit, expected", READINGS)
def test_a_prediction_reads_as_a_person_means_it(text, unit, expected):
    value = read_number(text, unit)
    if expected is None:
        assert value is None
    else:
        assert value == pytest.approx(expected)


# (lesson, question, input, verdict: True right, False wrong, None "not an answer")
VERDICTS = [
    ("fallacies", "chain-success", "95.1%", True),
    ("fallacies", "chain-success", "95,1", True),
    ("fallacies", "chain-success", "0.951", True),
    ("fallacies", "chain-success", "95.1", True),
    ("fallacies", "chain-success", "951", None),  # outside the question's 0–100: "give a number from 0 to 100"
    ("fallacies", "chain-success", "0.5", False),
    ("fallacies", "chain-success", "99%", False),
    ("fallacies", "chain-success", "ninety-five", None),
    ("retry-backoff", "give-up-time", "1500 ms", True),
    ("retry-backoff", "give-up-time", "1.5 s", True),
    ("retry-backoff", "give-up-time", "1,500", True),
    ("retry-backoff", "give-up-time", "1.5", False),  # in ms, as the question asks
    ("retry-backoff", "give-up-time", "1.5 h", None),
    ("retry-storms", "layered-attempts", "64", True),
    ("retry-storms", "layered-attempts", "64 attempts", True),
    ("retry-storms", "layered-attempts", "12", False),
    ("retry-storms", "no-jitter-time", "2", True),
    ("retry-storms", "no-jitter-time", "1", False),
    ("retry-storms", "no-jitter-time", "9", None),
]


@pytest.mark.parametrize("slug, qid, text, verdict", VERDICTS)
def test_the_verdict_on_a_prediction(app, slug, qid, text, verdict):
    question = app.extensions["lessons"][slug].questions[qid]
    assert question.check(text)[0] is verdict


def _token(client, path="/lessons/fallacies"):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _result(html: str, demo_id: str) -> str:
    return html.split(f'id="result-{demo_id}"')[1].split("</section>")[0]


def test_a_guarded_demo_leaves_its_result_out_until_answered(client):
    html = client.get("/lessons/fallacies").get_data(as_text=True)
    result = _result(html, "fallacy-network")
    assert 'class="withheld"' in result
    for absent in ('class="verdict"', 'class="stats"', "data-figure", 'class="truth"', 'class="data-table"'):
        assert absent not in result
    assert 'class="presets"' in result  # the controls stay
    assert "the whole 95%" not in result  # a preset's note tells the result: it waits too
    assert 'name="hops"' in html.split('id="demo-fallacy-network"')[1].split("</section>")[0]
    assert "95.1%" not in html.split('id="discussion-fallacy-network"')[1].split("</div>")[0]
    assert "<strong>95.1%</strong>" not in html  # the text after the demo does not give it away

    answered = client.get("/lessons/fallacies?answer.chain-success=95").get_data(as_text=True)
    result = _result(answered, "fallacy-network")
    assert 'class="verdict"' in result and "data-figure" in result and 'class="truth"' in result
    assert "<strong>95.1%</strong>" in answered and "the whole 95%" in result
    assert 'class="withheld"' in _result(answered, "fallacy-latency")  # the next question still waits
    skipped = client.get("/lessons/fallacies?revealed.chain-success=1").get_data(as_text=True)
    assert 'class="verdict"' in _result(skipped, "fallacy-network")
    assert "Skipped: the demo below shows the result" in skipped
    unreadable = client.get("/lessons/fallacies?answer.chain-success=lots").get_data(as_text=True)
    assert 'class="withheld"' in _result(unreadable, "fallacy-network")


def test_a_demo_guarded_by_two_questions_waits_for_both(client):
    one = client.get("/lessons/retry-backoff?answer.storm-peak=1").get_data(as_text=True)
    assert 'class="withheld"' in _result(one, "retry-storm")
    both = client.get("/lessons/retry-backoff?answer.storm-peak=1&revealed.jitter-peak=1").get_data(as_text=True)
    assert 'class="verdict"' in _result(both, "retry-storm")


def test_a_withheld_demo_asks_for_withheld_fragments(client):
    html = client.get("/lessons/fallacies").get_data(as_text=True)
    section = html.split('<section class="demo" id="demo-fallacy-network"')[1].split(">")[0]
    assert "data-withheld" in section and "X-Predict" in section
    pending = {**HX, "X-Predict": "pending"}
    fragment = client.get("/demos/fallacy-network?hops=20", headers=pending).get_data(as_text=True)
    assert 'class="withheld"' in fragment and 'class="verdict"' not in fragment and "data-figure" not in fragment
    whole = client.get("/demos/fallacy-network?hops=20", headers={**pending, "HX-Target": "demo-fallacy-network"})
    assert "X-Predict" in whole.get_data(as_text=True) and 'class="verdict"' not in whole.get_data(as_text=True)
    plain = client.get("/demos/fallacy-network?hops=20", headers=HX)  # the same URL, asked when revealed
    assert 'class="verdict"' in plain.get_data(as_text=True)
    assert "X-Predict" in plain.headers["Vary"]


def test_answering_reveals_the_demo_out_of_band_and_keeps_the_page_state(client):
    token = _token(client)
    current = "http://h/lessons/fallacies?fallacy-network.hops=20&fallacy-latency.items=10"
    response = client.post("/lessons/fallacies/questions/chain-success", data={"answer": "95,1 %", "csrf_token": token},
                           headers={**HX, "HX-Current-URL": current})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Right." in html and "You said 95,1 %" in html
    demo = html.split('id="demo-fallacy-network"')[1]
    assert html.count('hx-swap-oob="true"') == 2  # the demo and the text that discusses it
    assert 'class="verdict"' in demo and "X-Predict" not in demo
    assert 'value="20"' in demo  # the learner's own state, not the defaults
    assert "<strong>95.1%</strong>" in html
    assert response.headers["HX-Replace-Url"] == (
        "/lessons/fallacies?fallacy-network.hops=20&fallacy-latency.items=10&answer.chain-success=95%2C1+%25"
        "#question-chain-success")


def test_skip_reveals_without_an_answer(client):
    token = _token(client)
    response = client.post("/lessons/fallacies/questions/chain-success", data={"skip": "1", "csrf_token": token},
                           headers={**HX, "HX-Current-URL": "http://h/lessons/fallacies"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "data-skipped" in html and 'class="verdict"' in html
    assert response.headers["HX-Replace-Url"] == "/lessons/fallacies?revealed.chain-success=1#question-chain-success"
    no_js = client.post("/lessons/fallacies/questions/chain-success?fallacy-network.hops=3",
                        data={"skip": "1", "csrf_token": token})
    assert no_js.status_code == 303
    assert no_js.headers["Location"].endswith(
        "/lessons/fallacies?fallacy-network.hops=3&revealed.chain-success=1#question-chain-success")


def test_without_javascript_the_redirect_carries_the_answer_and_the_page_state(client):
    token = _token(client)
    response = client.post("/lessons/fallacies/questions/chain-success?fallacy-latency.items=10",
                           data={"answer": "0.951", "csrf_token": token})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.endswith("/lessons/fallacies?fallacy-latency.items=10&answer.chain-success=0.951#question-chain-success")
    page = client.get(location.split("#")[0].replace("http://localhost", "")).get_data(as_text=True)
    assert "Right." in page and 'class="verdict"' in _result(page, "fallacy-network")
    # the form of the next question posts back with the page's state, so its redirect keeps it too
    assert 'action="/lessons/fallacies/questions/chatty-cross-region?fallacy-latency.items=10&amp;answer.chain-success=0.951"' in page


@pytest.mark.parametrize("fragment", [True, False])
def test_bad_answers_get_a_4xx_with_the_reason(client, fragment):
    token = _token(client)
    headers = HX if fragment else {}
    post = lambda qid, answer: client.post(f"/lessons/fallacies/questions/{qid}", headers=headers,  # noqa: E731
                                           data={"answer": answer, "csrf_token": token})
    too_long = post("chain-success", "9" * 41)
    assert too_long.status_code == 400 and "longer than 40 characters" in too_long.get_data(as_text=True)
    unreadable = post("chain-success", "ninety-five")
    assert unreadable.status_code == 400
    assert "give a number like 12.5 %" in unreadable.get_data(as_text=True)
    assert "Not quite" not in unreadable.get_data(as_text=True)
    unknown = post("no-such-question", "1")
    assert unknown.status_code == 404 and "has no question" in unknown.get_data(as_text=True)
    no_token = client.post("/lessons/fallacies/questions/chain-success", headers=headers, data={"answer": "95"})
    assert no_token.status_code in (400, 403)


def test_try_again_keeps_the_demo_revealed(client):
    response = client.get("/lessons/fallacies/questions/chain-success", headers={
        **HX, "HX-Current-URL": "http://h/lessons/fallacies?answer.chain-success=95"})
    assert response.headers["HX-Replace-Url"] == "/lessons/fallacies?revealed.chain-success=1#question-chain-success"
    page = client.get("/lessons/fallacies?answer.chain-success=95").get_data(as_text=True)
    assert 'href="/lessons/fallacies?revealed.chain-success=1#question-chain-success"' in page


LESSON = """---
title: T
slug: t
order: 1
summary: S
demos: [backoff-timeline, retry-storm]
questions:
  - {id: a, ask: "A", answer: 1, explain: E, show: /demos/backoff-timeline}
  - {id: b, ask: "B", answer: 1, explain: E, show: /demos/retry-storm%s}
---
[[question a]]

[[demo backoff-timeline]]

It gave up at 1,500 ms.

## Next

More.

[[question b]]

[[demo retry-storm]]
"""


def test_a_question_reveals_the_next_demo_or_the_one_it_names():
    lesson = parse_lesson(LESSON % "")
    assert lesson.questions["a"].reveals == "backoff-timeline" and lesson.questions["b"].reveals == "retry-storm"
    assert lesson.guards == {"backoff-timeline": ("a",), "retry-storm": ("b",)}
    (index, demo_id), = [(i, d) for i, d in lesson.discussions.items() if d == "backoff-timeline"]
    assert "1,500 ms" in lesson.parts[index][1] and "Next" not in lesson.parts[index][1]
    assert "Next" in lesson.parts[index + 1][1]  # the lesson goes on after the heading
    assert parse_lesson((LESSON % "").replace("show: /demos/retry-storm}", "show: /demos/retry-storm, reveals: null}")
                        ).questions["b"].reveals is None


@pytest.mark.parametrize("extra, message", [
    (", reveals: cascade", "does not place"),
    (", reveals: backoff-timeline", "show link opens 'retry-storm' but it reveals 'backoff-timeline'"),
])
def test_a_broken_reveal_fails_at_start_up(extra, message):
    text = (LESSON % "").replace("show: /demos/retry-storm}", f"show: /demos/retry-storm{extra}}}")
    with pytest.raises(LessonError, match=message):
        parse_lesson(text)


def test_a_demo_whose_controls_are_in_its_partial_keeps_them_while_withheld(client):
    html = client.get("/lessons/circuit-breaker?breaker-step.steps=ffff").get_data(as_text=True)
    result = _result(html, "breaker-step")
    assert 'class="withheld"' in result and 'id="breaker-step-do-f"' in result  # the step buttons
    assert "What just happened" not in result and 'class="verdict"' not in result
    revealed = _result(client.get("/lessons/circuit-breaker?breaker-step.steps=ffff&revealed.rejected-anyway=1")
                       .get_data(as_text=True), "breaker-step")
    assert "What just happened" in revealed and 'id="breaker-step-do-f"' in revealed
