""""Run 20 seeds": every seeded demo's spread, in JSON and as a fragment, and its 400s."""

import re
import statistics

import plotly.graph_objects as go
import pytest

from webapp import demo_state, spread, spread_chart
from webapp.demos import REGISTRY, load_all
from webapp.spread_figures import SPECS

load_all()
SEEDED = sorted(d.id for d in REGISTRY.values() if "seed" in d.params.by_name)
HX = {"HX-Request": "true", "HX-Target": "spread-x"}


def test_every_seeded_demo_has_a_spread_and_no_other_does():
    assert sorted(SPECS) == SEEDED


@pytest.mark.parametrize("demo_id", SEEDED)
def test_json_spread_agrees_with_the_single_runs(client, demo_id):
    body = client.get(f"/demos/{demo_id}.json?seed=7&spread=3").get_json()
    s = body["spread"]
    assert s["seeds"] == [7, 8, 9]
    assert s["figures"] and s["verdicts"]
    for seed_index, seed in enumerate(s["seeds"]):
        single = client.get(f"/demos/{demo_id}.json?seed={seed}").get_json()
        figures = SPECS[demo_id].figures(single["result"], single["params"])
        for name, f in s["figures"].items():
            assert f["values"][seed_index] == figures[name], (name, seed)
    for name, f in s["figures"].items():
        numbers = [v for v in f["values"] if v is not None]
        assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers), name
        if numbers:
            assert (f["min"], f["median"], f["max"]) == (min(numbers), statistics.median(numbers), max(numbers))
    for verdict, share in s["verdicts"].items():
        assert isinstance(verdict, str) and verdict
        assert 0 < share <= 1 and abs(share * 3 - round(share * 3)) < 1e-3  # a whole number of runs
    assert body["result"] == client.get(f"/demos/{demo_id}.json?seed=7").get_json()["result"]  # the run itself


def test_no_spread_asked_no_spread_given(client):
    assert "spread" not in client.get("/demos/retry-budget.json").get_json()


@pytest.mark.parametrize("raw", ["1", "51", "0", "-3", "abc", "2.5", "", "nan", "1e9"])
def test_spread_outside_2_to_50_is_a_400_naming_it(client, raw):
    for url in (f"/demos/backoff-timeline.json?spread={raw}", f"/demos/backoff-timeline/spread?spread={raw}"):
        response = client.get(url)
        assert response.status_code == 400, url
        text = response.get_data(as_text=True)
        assert "spread" in text and "2 to 50" in text, url


def test_spread_given_twice_is_a_400(client):
    body = client.get("/demos/backoff-timeline.json?spread=3&spread=4").get_json()
    assert body["param"] == "spread" and "more than once" in body["error"]


def test_the_failure_lab_allows_fewer_seeds(client):
    body = client.get("/demos/failure-lab.json?spread=21").get_json()
    assert body["param"] == "spread" and body["allowed"] == "2 to 20"


def test_a_demo_without_a_seed_has_no_spread(client):
    assert client.get("/demos/breaker-step.json?spread=20").status_code == 400
    assert client.get("/demos/breaker-step/spread").status_code == 404
    assert "Run 20 seeds" not in client.get("/demos/breaker-step").get_data(as_text=True)


def test_a_bad_state_parameter_in_a_spread_is_a_400_naming_it(client):
    response = client.get("/demos/retry-budget/spread?rate=9999", headers=HX)
    assert response.status_code == 400 and "rate" in response.get_data(as_text=True)


def test_the_page_offers_the_spread_of_its_own_state_and_runs_nothing_for_it(client, monkeypatch):
    html = client.get("/demos/retry-budget?rate=60&trigger_s=2").get_data(as_text=True)
    link = "/demos/retry-budget/spread?rate=60&amp;trigger_s=2&amp;spread=20"
    assert f'href="{link}"' in html and f'hx-get="{link}"' in html and "Run 20 seeds" in html
    calls = []
    monkeypatch.setattr(spread, "compute", lambda *a: calls.append(a))
    client.get("/demos/retry-budget?rate=61&trigger_s=2")
    client.get("/lessons/retry-storms")
    assert calls == []  # the page never waits for the seeds


def test_the_fragment_counts_runs_and_draws_a_valid_chart(client):
    response = client.get("/demos/backoff-timeline/spread?down_ms=600&jitter=full", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Over 20 seeds (1–20)" in html
    counts = [int(n) for n in re.findall(r"</strong> in (\d+) of 20 runs", html)]
    assert counts and sum(counts) == 20  # one verdict per run in this demo
    assert html.count('class="spread-mine"') == 1  # this page's own run reached one of them
    state = demo_state.resolve(REGISTRY["backoff-timeline"], _query(down_ms="600", jitter="full"))
    go.Figure(spread_chart.figure(spread.compute(state, 20)))  # raises on a property Plotly does not know
    assert 'class="chart spread-chart"' in html


def test_a_full_page_without_javascript(client):
    html = client.get("/demos/breaker-timeline/spread?spread=5").get_data(as_text=True)
    assert "<h1>" in html and "the spread over seeds" in html and "Over 5 seeds (1–5)" in html
    assert 'href="/demos/breaker-timeline"' in html  # back to the single run


def test_a_second_look_simulates_nothing(monkeypatch):
    state = demo_state.resolve(REGISTRY["fallacy-network"], _query(hops="7"))
    first = spread.compute(state, 6)
    monkeypatch.setattr(demo_state, "_simulate", lambda *a: pytest.fail("simulated again"))
    assert spread.compute(state, 6) == first


def test_seeds_near_the_top_shift_down_to_stay_in_range():
    demo = REGISTRY["backoff-timeline"]
    assert spread.seeds_for(demo, 999_990, 20) == tuple(range(999_981, 1_000_001))
    assert spread.seeds_for(demo, 0, 3) == (0, 1, 2)


def _query(**items):
    from werkzeug.datastructures import MultiDict
    return MultiDict(items)


def test_a_heavy_spread_arrives_in_steps_that_each_run_at_least_one_new_seed(client, monkeypatch):
    monkeypatch.setattr(spread, "STEP_BUDGET_S", 0.0)  # every step stops after its first new seed
    url = "/demos/fallacy-network/spread?hops=9&spread=4"
    steps = []
    while True:
        response = client.get(url, headers=HX)
        html = response.get_data(as_text=True)
        if "Over 4 seeds" in html:
            break
        assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
        steps.append(re.search(r"Ran (\d+) of 4 seeds", html).group(1))
        assert f'hx-get="{url.replace("&", "&amp;")}"' in html and 'hx-trigger="load' in html  # it asks again
        assert len(steps) < 10
    assert steps == ["2", "3"]  # seed 1 is the page's own run, cached when the state resolved
    assert "no-store" not in response.headers.get("Cache-Control", "")
    full = client.get("/demos/fallacy-network.json?hops=9&spread=4").get_json()["spread"]
    assert len(full["seeds"]) == 4  # JSON is always whole
