"""The circuit-breaker demos through their routes: the seed's story in the JSON, the state diagram's
counts, a click-through session that lives in links, Little's law beside the cascade, light charts
at the limits, any valid input rendering, and the lesson quoting the numbers the demos show."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from webapp import quotes
from webapp.demos import REGISTRY, load_all

load_all()
HX = {"HX-Request": "true"}
WHOLE = {**HX, "HX-Target": "demo-breaker-step"}
# As a learner reads it: with the quoted figures rendered from the demos.
LESSON = quotes.render((Path(__file__).resolve().parent.parent / "lessons" / "04-circuit-breaker.md").read_text())


def html_of(client, url, headers=HX):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def diagram_counts(html):
    return {key: int(n) for key, n in re.findall(r'data-edge="(\w+)" data-count="(\d+)"', html)}


def current_state(html):
    return re.findall(r'data-state="(\w+)" aria-current="true"', html)


def link(html, element_id):
    match = re.search(rf'id="{element_id}" href="([^"]+)"', html)
    return match and match.group(1).replace("&amp;", "&")


# ---- breaker-timeline ---------------------------------------------------------------------------

def test_timeline_defaults_show_the_seed_story_in_the_json(client):
    data = client.get("/demos/breaker-timeline.json").get_json()
    result = data["result"]
    transitions, requests, totals = result["transitions"], result["requests"], result["totals"]
    assert all(set(tr) == {"t_ms", "from", "to", "reason"} for tr in transitions)
    assert all({"t_ms", "outcome", "state"} <= set(r) for r in requests)
    assert {r["outcome"] for r in requests} == {"success", "failure", "rejected"}
    assert totals["requests"] == len(requests) == totals["success"] + totals["failure"] + totals["rejected"]

    # OPEN right after the 5th consecutive failure: the five results before the trip all failed,
    # and the last of them is the trip itself.
    trip = transitions[0]
    assert (trip["from"], trip["to"]) == ("CLOSED", "OPEN") and trip["reason"].startswith("5 consecutive")
    done = sorted((r["t_ms"] + r["latency_ms"], r["outcome"]) for r in requests
                  if r["outcome"] != "rejected" and r["t_ms"] + r["latency_ms"] <= trip["t_ms"] + 0.05)
    assert [o for _, o in done[-5:]] == ["failure"] * 5 and abs(done[-1][0] - trip["t_ms"]) < 0.1
    # Nothing reaches the dependency while OPEN.
    assert all(r["outcome"] == "rejected" for r in requests if r["state"] == "OPEN")
    assert totals["reached_while_open"] == 0
    # HALF_OPEN exactly 30 s after each OPEN (the timer), then CLOSED or OPEN again.
    for a, b in zip(transitions, transitions[1:]):
        if a["to"] == "OPEN":
            assert b["to"] == "HALF_OPEN" and b["t_ms"] - a["t_ms"] == pytest.approx(30_000, abs=0.2)
        if a["to"] == "HALF_OPEN":
            assert b["to"] in ("CLOSED", "OPEN")
            tests = [r for r in requests if a["t_ms"] <= r["t_ms"] < b["t_ms"] and r["outcome"] != "rejected"]
            assert 1 <= len(tests) <= 3
            if b["to"] == "CLOSED":
                assert b["reason"] == "2 of 3 test requests succeeded"
                assert sum(r["outcome"] == "success" for r in tests) >= 2  # a 3rd may still be out
    assert [tr["to"] for tr in transitions] == ["OPEN", "HALF_OPEN", "OPEN", "HALF_OPEN", "CLOSED"]


def test_timeline_page_draws_the_diagram_with_the_counts_and_the_transition_table(client):
    html = html_of(client, "/demos/breaker-timeline")
    edges = client.get("/demos/breaker-timeline.json").get_json()["result"]["edges"]
    assert diagram_counts(html) == {"trip": edges["CLOSED->OPEN"], "wait": edges["OPEN->HALF_OPEN"],
                                    "reopen": edges["HALF_OPEN->OPEN"], "close": edges["HALF_OPEN->CLOSED"]}
    assert diagram_counts(html) == {"trip": 1, "wait": 2, "reopen": 1, "close": 1}
    assert current_state(html) == ["CLOSED"]
    assert "OPEN at 10.26 s after 5 consecutive failures" in html
    assert "timer: open for 30 s" in html and "2 of 3 test requests succeeded" in html
    assert 'role="img" aria-labelledby="breaker-timeline-dg-title' in html
    csv = client.get("/demos/breaker-timeline.csv").get_data(as_text=True).splitlines()
    assert csv[0] == "t_ms,from,to,reason" and len(csv) == 6


def test_library_presets_change_the_diagram_labels(client):
    html = html_of(client, "/demos/breaker-timeline?policy=rate&min_calls=20&open_s=5&probes=1"
                           "&probe_successes=1&half_open_on=call")
    assert "≥ 50 % failed" in html and "at the next call" in html and "the test fails" in html


@pytest.mark.parametrize("query", ["rate=50&duration_s=300", "rate=50&duration_s=60", "rate=33&duration_s=90",
                                   "rate=50&duration_s=300&outage_s=never&failure_mode=hang&timeout_ms=30000"])
def test_timeline_fragment_stays_light_at_the_limits(client, query):
    html = html_of(client, f"/demos/breaker-timeline?{query}")
    assert len(html.encode()) < 300_000
    data = client.get(f"/demos/breaker-timeline.json?{query}").get_json()["result"]
    many = len(data["requests"]) + 2 * len(data["load"]["t_s"]) > 1950
    assert ("Requests per second by outcome" in html) == many  # bars, not one dot per request


# ---- breaker-step -------------------------------------------------------------------------------

def test_each_step_is_a_link_and_undo_is_the_link_one_letter_shorter(client):
    html = html_of(client, "/demos/breaker-step?steps=ffff&wait_s=20")
    assert current_state(html) == ["CLOSED"] and "4 of 5 failures" in html
    fails = link(html, "breaker-step-do-f")
    assert parse_qs(urlsplit(fails).query) == {"steps": ["fffff"], "wait_s": ["20"]}
    assert parse_qs(urlsplit(link(html, "breaker-step-undo")).query)["steps"] == ["fff"]
    assert link(html, "breaker-step-reset") == "/demos/breaker-step?wait_s=20"
    assert "Wait 20 s" in html

    # Following the link as htmx does redraws the whole demo: the form's copy of steps follows.
    page = client.get(fails, headers={**WHOLE, "HX-Current-URL": "http://h/lessons/circuit-breaker"})
    after = page.get_data(as_text=True)
    assert after.lstrip().startswith('<section class="demo" id="demo-breaker-step"')
    assert 'name="steps" value="fffff"' in after
    assert current_state(after) == ["OPEN"]
    assert re.search(r'class="bk-edge bk-edge-trip bk-fired" data-edge="trip" data-count="1"', after)
    assert "CLOSED → OPEN at 0.50 s (5 consecutive failures (last: error))" in after
    assert page.headers["HX-Replace-Url"] == (
        "/lessons/circuit-breaker?breaker-step.steps=fffff&breaker-step.wait_s=20#demo-breaker-step")


def test_a_request_while_open_is_rejected_whatever_the_learner_chose(client):
    html = html_of(client, "/demos/breaker-step?steps=fffffs")
    assert "Rejected at 0.50 s: the breaker is OPEN" in html and current_state(html) == ["OPEN"]
    data = client.get("/demos/breaker-step.json?steps=fffffs").get_json()["result"]
    assert data["events"][-1]["reached"] is False and data["counters"]["rejected"] == 1


def test_the_seed_story_as_a_link_and_the_lazy_variant(client):
    html = html_of(client, "/demos/breaker-step?steps=fffffswwwffwwwtss", headers={})
    assert current_state(html) == ["CLOSED"]
    assert diagram_counts(html) == {"trip": 1, "wait": 2, "reopen": 1, "close": 1}
    assert "This is “The whole story”" in html or "The whole story" in html
    timer = html_of(client, "/demos/breaker-step?steps=fffffwww")
    assert current_state(timer) == ["HALF_OPEN"]
    lazy = html_of(client, "/demos/breaker-step?steps=fffffwww&half_open_on=call")
    assert current_state(lazy) == ["OPEN"] and "moves only when a call arrives" in lazy
    moved = html_of(client, "/demos/breaker-step?steps=fffffwwws&half_open_on=call")
    assert current_state(moved) == ["HALF_OPEN"] and "Test request reached the dependency" in moved


def test_a_full_script_disables_the_step_buttons_but_not_undo(client):
    html = html_of(client, "/demos/breaker-step?steps=" + "sfwt" * 15)
    assert link(html, "breaker-step-do-s") is None and 'aria-disabled="true"' in html
    assert len(parse_qs(urlsplit(link(html, "breaker-step-undo")).query)["steps"][0]) == 59
    assert client.get("/demos/breaker-step?steps=" + "s" * 61).status_code == 400


def test_an_empty_session_has_nothing_to_undo(client):
    html = html_of(client, "/demos/breaker-step")
    assert link(html, "breaker-step-undo") is None and link(html, "breaker-step-do-s") == "/demos/breaker-step?steps=s"
    assert "no request has been sent yet" in html


# ---- cascade ------------------------------------------------------------------------------------

def test_cascade_json_has_per_run_series_and_totals(client):
    data = client.get("/demos/cascade.json").get_json()["result"]
    n = len(data["t_s"])
    for name in ("without", "with"):
        run = data["runs"][name]
        for key in ("busy_avg", "c_p50_ms", "c_p99_ms", "reached_b"):
            assert len(run["series"][key]) == n
        assert {"peak_busy", "saturated_s", "c_p50_ms", "c_p99_ms", "reached_b"} <= set(run["totals"])
    only = client.get("/demos/cascade.json?runs=without").get_json()["result"]
    assert set(only["runs"]) == {"without"}


def test_cascade_shows_littles_law_beside_the_plateau_and_says_the_breaker_comes_late(client):
    html = html_of(client, "/demos/cascade")
    assert "20/s × 30.005 s = <strong class=\"bk-num\">600.1 threads wanted</strong>" in html
    assert "200 = min(pool 200, 20/s × 30.005 s = 600.1)" in html
    assert "all busy for 82.6 s" in html and "for 20.7 s" in html and "cannot prevent it" in html
    short = html_of(client, "/demos/cascade?timeout_ms=2000")
    assert "pool never fills" in short and "40.1 threads" in short
    single = html_of(client, "/demos/cascade?runs=with")
    assert "With a breaker in A:" in single and "chart-cascade-threads" in single


# ---- any valid input renders ---------------------------------------------------------------------

def values_for(param):
    if param.kind == "choice":
        return st.sampled_from([v for v, _ in param.choices])
    if param.kind == "multi":
        return st.lists(st.sampled_from([v for v, _ in param.choices]), min_size=1, unique=True).map(",".join)
    if param.kind == "text":
        return st.text(alphabet=param.alphabet, max_size=int(param.max))
    n = int((param.max - param.min) // param.step)
    numbers = st.integers(0, n).map(lambda k: param.to_text(param.min + k * param.step))
    return st.one_of(numbers, st.just("never")) if param.never else numbers


@st.composite
def queries(draw, demo_id):
    demo = REGISTRY[demo_id]
    return {p.name: draw(values_for(p)) for p in demo.params if draw(st.booleans())}


@pytest.mark.parametrize("demo_id,examples", [("breaker-timeline", 25), ("breaker-step", 40), ("cascade", 8)])
def test_any_valid_input_renders(client, demo_id, examples):
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(query=queries(demo_id))
    def check(query):
        response = client.get(f"/demos/{demo_id}", query_string=query, headers=HX)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, (query, html[:300])
        assert 'class="verdict"' in html and "failed to run" not in html, query

    check()


# ---- the lesson quotes what the demos show -------------------------------------------------------

def seconds(ms):
    return f"{ms / 1000:.2f} s"


def test_the_lesson_quotes_the_numbers_the_demos_show(client):
    def result(url):
        return client.get(url).get_json()["result"]

    tl = result("/demos/breaker-timeline.json")
    times = [seconds(tr["t_ms"]) for tr in tl["transitions"]]
    quoted = [*times[:1], times[1], times[2], times[3], times[4], f"{tl['totals']['requests']:,}",
              f"{tl['totals']['reached_dependency']:,}", f"{tl['totals']['rejected']:,}"]
    cas = result("/demos/cascade.json")
    w, b = cas["runs"]["without"]["totals"], cas["runs"]["with"]["totals"]
    quoted += [f"{w['saturated_s']} s", f"{b['saturated_s']} s", f"{w['peak_queue']:,}", f"{w['c_max_ms'] / 1000:.1f} s",
               f"{b['reached_b']:,}", f"{w['reached_b']:,}", seconds(b["first_trip_ms"])]
    short = result("/demos/cascade.json?timeout_ms=2000")
    quoted.append(seconds(short["runs"]["with"]["totals"]["first_trip_ms"]))
    quoted.append(f"(simulated: {short['littles_law']['slow_without_breaker']['simulated']:g};")
    rate1 = result("/demos/breaker-timeline.json?rate=1")
    lazy = result("/demos/breaker-timeline.json?rate=1&half_open_on=call")
    quoted += [seconds(rate1["transitions"][1]["t_ms"]), seconds(lazy["transitions"][1]["t_ms"])]
    hang = result("/demos/breaker-timeline.json?failure_mode=hang")
    quoted += [seconds(tr["t_ms"]) for tr in hang["transitions"][:3]]
    for text in quoted:
        assert text in LESSON, text

    # The library table: trips at, closes at, calls that failed at the dependency.
    from webapp.demos.breaker import BREAKER_PRESETS
    for name, label in (("seed", "our example"), ("hystrix", "Hystrix"), ("resilience4j", "resilience4j"),
                        ("polly", "Polly v8")):
        query = "&".join(f"{k}={v}" for k, v in BREAKER_PRESETS[name].items())
        r = result(f"/demos/breaker-timeline.json?{query}")
        trs = r["transitions"]
        closes = [tr for tr in trs if tr["to"] == "CLOSED"]
        row = f"| {label} | {seconds(trs[0]['t_ms'])} | {seconds(closes[-1]['t_ms'])} | {r['totals']['failure']} |"
        assert row in LESSON, row


def test_the_predictions_are_true_for_the_models(client, app):
    lesson = app.extensions["lessons"]["circuit-breaker"]
    q = lesson.questions
    tl = client.get("/demos/breaker-timeline.json").get_json()["result"]
    assert q["open-load"].choices[q["open-load"].answer] == "None at all" and tl["totals"]["reached_while_open"] == 0
    rejected = q["rejected-anyway"]
    last = client.get(rejected.show.replace("breaker-step", "breaker-step.json")).get_json()["result"]["events"][-1]
    assert rejected.choices[rejected.answer].startswith("It is rejected")
    assert (last["event"], last["reached"], last["outcome"]) == ("s", False, "rejected")
    demand = client.get("/demos/cascade.json?runs=without").get_json()["result"]["littles_law"]["slow_without_breaker"]
    assert q["threads-needed"].check(str(demand["demand"]))[0] is True
    trip = client.get("/demos/cascade.json?runs=with").get_json()["result"]["runs"]["with"]["totals"]["first_trip_ms"]
    assert q["cascade-trip"].choices[q["cascade-trip"].answer] == "About 40 s" and 38_000 < trip < 42_000
