"""Peer instruction in a live room: the result waits for Reveal, a second vote, pause, the CSV export."""

from __future__ import annotations

import csv
import io

from tests.test_live_routes import answer, attend, follow, live, live_app, start, steer  # noqa: F401
from tests.test_live_store import redis_url  # noqa: F401  (the session's redis-server)


def _demo(html: str, demo_id: str = "retry-storm") -> str:
    return html.split(f'id="result-{demo_id}"')[1].split("</section>")[0]


def test_asking_the_room_withholds_the_result_everywhere_until_reveal(live):
    client, code = start(live)
    steer(client, code, demo="retry-storm", query="")
    who, token = attend(live, code)
    assert 'class="verdict"' in _demo(follow(who, code, 0).get_data(as_text=True))
    opened = steer(client, code, "question", action="open", question="storm-peak")
    oob = opened.get_data(as_text=True).split('id="demo-retry-storm"')[1]
    assert 'class="withheld"' in oob and 'class="verdict"' not in oob  # the instructor's own demo, out of band
    attendee = _demo(follow(who, code, 0).get_data(as_text=True))
    assert 'class="withheld"' in attendee and 'class="verdict"' not in attendee and "data-figure" not in attendee
    assert 'class="presets"' in attendee  # the controls stay
    control = client.get(f"/live/{code}/control").get_data(as_text=True)
    assert 'class="withheld"' in _demo(control) and "X-Predict" in control
    steer(client, code, "question", action="close")
    assert 'class="verdict"' not in _demo(follow(who, code, 0).get_data(as_text=True))
    revealed = steer(client, code, "question", action="reveal").get_data(as_text=True)
    assert 'class="verdict"' in revealed.split('id="demo-retry-storm"')[1]
    assert 'class="verdict"' in _demo(follow(who, code, 0).get_data(as_text=True))
    assert 'class="verdict"' in _demo(client.get(f"/live/{code}/control").get_data(as_text=True))


def test_the_right_choice_is_marked_after_reveal(live):
    client, code = start(live)
    steer(client, code, "question", action="open", question="storm-peak")
    who, token = attend(live, code)
    answer(who, token, code, "storm-peak", "2")
    steer(client, code, "question", action="close")
    assert "\\u2713 All 1,000" not in client.get(f"/live/{code}/panel").get_data(as_text=True)
    steer(client, code, "question", action="reveal")
    html = follow(who, code, 0).get_data(as_text=True)
    assert "\\u2713 All 1,000" in html and "The room: 1 of 1 right." in html  # ✓ in the chart's JSON


def test_ask_again_runs_a_second_vote_shown_beside_the_first(live):
    client, code = start(live)
    steer(client, code, "question", action="open", question="storm-peak")
    people = [attend(live, code) for _ in range(2)]
    for (who, token), value in zip(people, ("0", "1")):
        assert answer(who, token, code, "storm-peak", value).status_code == 200
    too_soon = steer(client, code, "question", action="revote")
    assert too_soon.status_code == 400 and "once the first vote is closed" in too_soon.get_data(as_text=True)
    steer(client, code, "question", action="close")
    assert steer(client, code, "question", action="revote").status_code == 200
    live.clock.t += 2
    page = follow(people[0][0], code, 0).get_data(as_text=True)
    assert "vote 2" in page and 'name="answer"' in page  # each attendee may vote again
    for (who, token) in people:
        assert answer(who, token, code, "storm-peak", "2").status_code == 200
        live.clock.t += 2
        again = answer(who, token, code, "storm-peak", "1")
        assert again.status_code == 409 and "already voted in this round" in again.get_data(as_text=True)
    store = live.extensions["live"]["store"]
    assert sorted(store.answers(code, "storm-peak")) == ["0", "1"]  # the first vote is kept as it was
    panel = client.get(f"/live/{code}/panel").get_data(as_text=True)
    assert 'data-vote="1"' in panel and 'data-vote="2"' in panel and "Vote 2." in panel
    steer(client, code, "question", action="close")
    third = steer(client, code, "question", action="revote")
    assert third.status_code == 400 and "at most 2 votes" in third.get_data(as_text=True)
    steer(client, code, "question", action="reveal")
    html = follow(people[0][0], code, 0).get_data(as_text=True)
    assert "Vote 1: 0 of 2 right." in html and "Vote 2: 2 of 2 right." in html
    assert 'id="chart-live-storm-peak"' in html and 'id="chart-live-storm-peak-vote2"' in html


def test_votes_after_close_and_bad_answers_are_refused_and_never_counted(live):
    client, code = start(live)
    steer(client, code, "question", action="open", question="give-up-time")
    who, token = attend(live, code)
    too_long = answer(who, token, code, "give-up-time", "1" * 41)
    assert too_long.status_code == 400 and "longer than 40 characters" in too_long.get_data(as_text=True)
    assert answer(who, token, code, "no-such-question", "1").status_code == 409
    steer(client, code, "question", action="close")
    late = answer(who, token, code, "give-up-time", "1500")
    assert late.status_code == 409 and "Answers are closed" in late.get_data(as_text=True)
    assert live.extensions["live"]["store"].answers(code, "give-up-time") == []
    assert who.post(f"/live/{code}/answer", data={"question": "give-up-time", "answer": "1"},
                    headers={"HX-Request": "true"}).status_code in (400, 403)  # no CSRF token


def test_pause_blanks_the_attendees_screens(live):
    client, code = start(live)
    steer(client, code, "question", action="open", question="storm-peak")
    who, token = attend(live, code)
    assert steer(client, code, "pause", paused="maybe").status_code == 400
    panel = steer(client, code, "pause", paused="1").get_data(as_text=True)
    assert "Resume the room" in panel and 'aria-pressed="true"' in panel
    html = follow(who, code, 0).get_data(as_text=True)
    assert "Eyes on the instructor" in html and "storm-peak" not in html and 'id="demo-' not in html
    assert "data-live-poll" in html  # still polling, so it comes back by itself
    steer(client, code, "pause", paused="0")
    html = follow(who, code, 0).get_data(as_text=True)
    assert "Eyes on the instructor" not in html and 'id="live-q-storm-peak-open"' in html
    assert who.post(f"/live/{code}/pause", data={"paused": "1", "csrf_token": token}).status_code == 403
    assert client.post(f"/live/{code}/pause", data={"paused": "1"}).status_code in (400, 403)  # no CSRF token
    assert client.post(f"/live/{code}/pause", data={"paused": "1"}, headers={
        "X-CSRF-Token": client.get_cookie("rl_csrf").value, "Origin": "https://evil.example"}).status_code in (400, 403)


def test_the_csv_export_counts_per_question_vote_and_choice_without_identities(live):
    client, code = start(live)
    steer(client, code, "question", action="open", question="storm-peak")
    people = [attend(live, code) for _ in range(3)]
    for (who, token), value in zip(people, ("2", "2", "0")):
        answer(who, token, code, "storm-peak", value)
    steer(client, code, "question", action="close")
    steer(client, code, "question", action="revote")
    live.clock.t += 2
    for who, token in people:
        assert answer(who, token, code, "storm-peak", "2").status_code == 200
    steer(client, code, "question", action="open", question="give-up-time")
    live.clock.t += 2
    assert answer(*people[0], code, "give-up-time", "1,500").status_code == 200
    response = client.get(f"/live/{code}/answers.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    storm = [(r["vote"], r["answer"], r["count"], r["correct"]) for r in rows if r["question"] == "storm-peak"]
    assert storm == [("1", "About 100", "1", "no"), ("1", "About 250", "0", "no"), ("1", "All 1,000", "2", "yes"),
                     ("1", "More than 1,000", "0", "no"),
                     ("2", "About 100", "0", "no"), ("2", "About 250", "0", "no"), ("2", "All 1,000", "3", "yes"),
                     ("2", "More than 1,000", "0", "no")]
    assert [(r["vote"], r["answer"], r["count"]) for r in rows if r["question"] == "give-up-time"] == [
        ("1", "1,500 ms", "1")]
    text = response.get_data(as_text=True)
    for who, _ in people:
        assert who.get_cookie("rl_live_id", path="/live").value not in text
    assert people[0][0].get(f"/live/{code}/answers.csv").status_code == 403  # the instructor's only
