"""Lesson 3 through the routes: the defaults tell the lesson's story, the closed forms sit beside the
simulated figures, the fixed sweep says it is fixed, and the predictions are true for the model."""

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from webapp.demos import REGISTRY, load_all
from tests.page_figures import page_figure
from webapp.sims import contention

load_all()
HX = {"HX-Request": "true"}
DEMOS = ("backoff-contention", "retry-amplification", "retry-budget")


def fragment(client, url):
    response = client.get(url, headers=HX)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def figure(html, chart_id):
    return page_figure(html, chart_id)


# ---- backoff-contention ---------------------------------------------------------------------------

def test_contention_defaults_are_the_lessons_table(client):
    result = client.get("/demos/backoff-contention.json").get_json()["result"]
    assert (result["clients"], result["runs"]) == (50, 10)
    calls = {name: round(s["calls"]) for name, s in result["strategies"].items()}
    secs = {name: round(s["time"] / 1000, 1) for name, s in result["strategies"].items()}
    assert calls == {"none": 694, "exponential": 624, "full": 334, "equal": 345, "decorrelated": 376}
    assert secs == {"none": 1.1, "exponential": 37.4, "full": 3.0, "equal": 3.9, "decorrelated": 2.3}
    # the JSON contract: {"clients", "runs", "strategies": {name: {"calls", "time"}}} plus the sweep
    assert result["sweep"]["clients"] == list(contention.SWEEP_CLIENTS)
    assert (result["sweep"]["runs"], result["sweep"]["seed"]) == (50, 1)


def test_contention_page_says_the_sweep_is_fixed_and_marks_the_learners_run(client):
    html = fragment(client, "/demos/backoff-contention?clients=70&seed=9&runs=3")
    for what in ("calls", "time"):
        fig = figure(html, f"chart-backoff-contention-{what}")
        assert "fixed sweep (50 runs, seed 1)" in fig["layout"]["title"]["text"]
        mine = fig["data"][-1]
        assert mine["x"] == [70] * 5 and "your run" in mine["name"]
        assert fig["layout"]["shapes"][0]["x0"] == 70
    data = client.get("/demos/backoff-contention.json?clients=70&seed=9&runs=3").get_json()["result"]
    sweep_at_70 = data["sweep"]["strategies"]["full"]["calls"][contention.SWEEP_CLIENTS.index(70)]
    assert data["strategies"]["full"]["calls"] != sweep_at_70  # the diamonds are the learner's own run
    time_fig = figure(html, "chart-backoff-contention-time")
    assert time_fig["layout"]["yaxis"]["type"] == "log"


def test_contention_histogram_is_one_panel_per_chosen_strategy(client):
    html = fragment(client, "/demos/backoff-contention?strategies=exponential,full")
    fig = figure(html, "chart-backoff-contention-writes")
    assert [t["name"] for t in fig["data"]] == ["Exponential, no jitter", "Full jitter"]
    assert all(t["type"] == "bar" for t in fig["data"])  # pre-binned: no histogram trace
    assert fig["data"][1]["xaxis"] == "x2" and fig["layout"]["xaxis2"]["anchor"] == "y2"
    assert len(fig["layout"]["annotations"]) == 2


def test_contention_checks_brookers_findings_and_says_when_one_does_not_hold(client):
    html = fragment(client, "/demos/backoff-contention")
    truth = html.split('class="truth"')[1].split("</table>")[0]
    assert truth.count("✓") == 4 and "✗" not in truth
    assert "the clear loser" in truth
    # At 170 clients this seed's equal jitter makes fewer calls than full jitter: the box says so.
    html = fragment(client, "/demos/backoff-contention?clients=170&strategies=full,equal")
    assert "✗ not at this size" in html


def test_one_client_shows_the_closed_form(client):
    html = fragment(client, "/demos/backoff-contention?clients=1")
    assert "A lone client never collides" in html
    assert "4 hops × 10 ms = 40 ms" in html


# ---- retry-amplification --------------------------------------------------------------------------

def test_amplification_defaults_show_64_beside_its_formula(client):
    result = client.get("/demos/retry-amplification.json").get_json()["result"]
    every = result["policies"]["every_layer"]
    assert every["worst"] == every["expected"] == every["simulated"]["bottom_attempts"] == 64
    html = fragment(client, "/demos/retry-amplification")
    assert "send 64 attempts = 4^3 to the dependency" in html
    assert "64 = A^L = 4^3" in html
    # both budgets, labelled by what earns their tokens
    assert "Budget earned by successes (token bucket)" in html
    assert "Budget earned by requests (10 % retry ratio)" in html


def test_amplification_tree_draws_one_dot_per_call(client):
    html = fragment(client, "/demos/retry-amplification")
    tree = html.split('class="rs-tree"')[1].split("</svg>")[0]
    levels = tree.split('<g class="rs-level')[1:]
    assert [level.count("<circle") for level in levels] == [1, 4, 16, 64]
    assert "64 = 4^3" in levels[-1]
    deep = fragment(client, "/demos/retry-amplification?layers=6&attempts=5")
    tree = deep.split('class="rs-tree"')[1].split("</svg>")[0]
    assert tree.count("<circle") == 1 + 5 + 25 + 125  # 625 calls and more are drawn as a band
    assert "15,625 calls" in tree


def test_amplification_truth_at_partial_failure(client):
    html = fragment(client, "/demos/retry-amplification?failure_pct=90")
    truth = html.split('class="truth"')[1].split("</table>")[0]
    assert "∏ (1 − q^A)/(1 − q)" in truth and "1 − p^(A^L)" in truth and "(1 − p^A)/(1 − p)" in truth
    assert "9.99" in truth  # the expected attempts, beside the simulated 10.13


def test_amplification_curves_mark_the_chosen_failure_rate(client):
    fig = figure(fragment(client, "/demos/retry-amplification?failure_pct=37"), "chart-retry-amplification-curves")
    assert fig["layout"]["shapes"][0]["x0"] == 37
    every = next(t for t in fig["data"] if t["name"] == "Every layer retries")
    assert every["y"][-1] == 64 and every["y"][0] == 1


# ---- retry-budget ---------------------------------------------------------------------------------

def test_budget_defaults_are_the_metastable_failure(client):
    result = client.get("/demos/retry-budget.json").get_json()["result"]
    s = result["strategies"]
    for st in s.values():
        assert {"offered", "goodput", "retries", "recovered_at_ms", "series"} <= set(st)
    assert s["retries"]["recovered_at_ms"] is None and s["retries"]["outcome"] == "overloaded"
    assert [s[n]["recovered_at_ms"] for n in ("none", "bucket", "throttle", "breaker")] == [20000, 26000, 33000, 22000]
    html = fragment(client, "/demos/retry-budget")
    assert "plain retries never recover (341 attempts/s offered" in html
    assert "20 s = 15 s + (backlog 175 − 100 cleared within one timeout) / spare capacity 15/s" in html
    assert "340/s = 85 req/s × 4 attempts" in html


def test_budget_charts_shade_the_trigger_and_draw_one_line_per_strategy(client):
    html = fragment(client, "/demos/retry-budget?strategies=none,bucket")
    for chart in ("offered", "goodput", "queue"):
        fig = figure(html, f"chart-retry-budget-{chart}")
        band = fig["layout"]["shapes"][0]
        assert (band["x0"], band["x1"]) == (10, 15) and band["type"] == "rect"
        names = [t["name"] for t in fig["data"]]
        assert "No retries" in names and "Token-bucket retry budget" in names
        assert "Retries with backoff" not in names
    queue = figure(html, "chart-retry-budget-queue")
    assert queue["layout"]["yaxis"]["type"] == "log"
    assert queue["layout"]["shapes"][1]["y0"] == 100  # one timeout of work at 100/s


def test_without_a_trigger_every_strategy_shows_the_same_goodput(client):
    html = fragment(client, "/demos/retry-budget?trigger_s=0")
    assert "every strategy has the same goodput" in html
    assert html.count("86 answers/s") == 5
    fig = figure(html, "chart-retry-budget-goodput")
    assert fig["layout"]["shapes"] == []  # no trigger, no band


# ---- all three ------------------------------------------------------------------------------------

@pytest.mark.parametrize("demo_id", DEMOS)
def test_fragment_stays_small_at_maximum_parameters(client, demo_id):
    demo = REGISTRY[demo_id]
    query = {p.name: p.to_text(p.max) for p in demo.params if p.kind in ("int", "float") and p.name != "seed"}
    html = fragment(client, f"/demos/{demo_id}?" + "&".join(f"{k}={v}" for k, v in query.items()))
    assert len(html.encode()) < 300_000
    assert 'class="verdict"' in html


def test_lesson_predictions_are_true_for_the_model(client, app):
    lesson = app.extensions["lessons"]["retry-storms"]
    q = lesson.questions
    # no-jitter-time: more than ten times as long
    data = client.get(_json(q["no-jitter-time"].show)).get_json()["result"]["strategies"]
    assert data["exponential"]["time"] > 10 * data["full"]["time"]
    assert q["no-jitter-time"].choices[q["no-jitter-time"].answer].startswith("More than ten")
    # layered-attempts: 64
    data = client.get(_json(q["layered-attempts"].show)).get_json()["result"]
    assert data["policies"]["every_layer"]["expected"] == q["layered-attempts"].answer == 64
    # bucket-total-failure: the success-funded bucket stops; the request-funded one keeps ~10 %
    pol = client.get(_json(q["bucket-total-failure"].show)).get_json()["result"]["policies"]
    assert pol["bucket"]["expected"] == 1 and pol["bucket"]["simulated"]["retries"] == 30
    assert 9.5 < pol["ratio"]["simulated"]["retries_per_100"] < 11
    assert q["bucket-total-failure"].choices[q["bucket-total-failure"].answer].startswith("None")
    # metastable: plain retries never recover
    s = client.get(_json(q["metastable"].show)).get_json()["result"]["strategies"]
    assert s["retries"]["server_recovered_at_ms"] is None
    assert q["metastable"].choices[q["metastable"].answer].startswith("Not before the run ends")


def test_lesson_links_to_demo_states_show_what_the_text_says(client):
    assert client.get("/demos/retry-budget.json?attempts=2").get_json()["result"]["strategies"]["retries"][
        "outcome"] == "overloaded"
    assert client.get("/demos/retry-budget.json?rate=60").get_json()["result"]["strategies"]["retries"][
        "outcome"] == "overloaded"
    blip = client.get("/demos/retry-budget.json?trigger_s=1").get_json()["result"]["strategies"]
    assert all(s["outcome"] == "recovered" for s in blip.values())
    slow = client.get("/demos/retry-budget.json?window_s=10").get_json()["result"]["strategies"]["throttle"]
    assert slow["server_recovered_at_ms"] == 26000 and slow["outcome"] == "clients lagging"
    flaky = client.get("/demos/retry-amplification.json?failure_pct=90").get_json()["result"]["policies"]
    assert round(flaky["every_layer"]["expected"], 1) == 10.0 and round(flaky["top_only"]["expected"], 1) == 3.4


def test_a_prediction_posts_and_gets_the_right_feedback(client):
    page = client.get("/lessons/retry-storms").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/lessons/retry-storms/questions/layered-attempts", headers=HX,
                           data={"answer": "16", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert "Not quite." in html and "the answer is 64 attempts" in html
    # "See it in the demo" opens it inside the lesson, the other question on it revealed too
    assert ('href="/lessons/retry-storms?answer.layered-attempts=16&amp;revealed.bucket-total-failure=1'
            '#demo-retry-amplification"') in html


def _json(show: str) -> str:
    parts = urlsplit(show)
    query = "&".join(f"{k}={v}" for k, v in parse_qsl(parts.query))
    return parts.path + ".json" + (f"?{query}" if query else "")
