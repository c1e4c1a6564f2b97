"""The two timeout demos through their URLs: percentiles beside their closed forms, the marked
timeout that moves with the slider, and the retry schedule under a deadline."""

import csv
import io
import json
import re
from html import unescape

import pytest

from tests.page_figures import page_figure
from webapp.sims import timeouts

HX = {"HX-Request": "true"}


def fragment(client, demo, query=""):
    response = client.get(f"/demos/{demo}?{query}", headers=HX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def figure(html, chart_id):
    return page_figure(html, chart_id)


def truth_rows(html):
    box = html.split('<table class="truth">')[1].split("</table>")[0]
    return {cells[0]: cells[1:] for cells in (
        [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", box.split("<tbody>")[1]))}


def ms(text):
    """'761.1 ms' -> 761.1 (the page uses a no-break space before the unit)."""
    return float(text.replace(",", "").split("\xa0")[0])


# ---- timeout-tradeoff --------------------------------------------------------------------------

def test_tradeoff_json_has_percentiles_closed_forms_the_chosen_timeout_and_the_curve(client):
    result = client.get("/demos/timeout-tradeoff.json").get_json()["result"]
    assert set(result["percentiles_ms"]) == {"p50", "p90", "p99", "p99.9"}
    assert set(result["closed_form"]["percentiles_ms"]) == set(result["percentiles_ms"])
    chosen = result["timeout"]
    assert chosen["timeout_ms"] == 600 and {"false_timeout_rate", "thread_seconds_per_1000"} <= set(chosen)
    curve = result["curve"]
    assert len(curve["timeout_ms"]) == len(curve["false_timeout_rate"]) == len(curve["thread_seconds_per_1000"])
    assert [r["rule"] for r in result["rules"]] == ["3 x p99", "p99.9", "p99 + 3 sigma"]


def test_percentiles_sit_beside_the_exact_mixture_quantiles(client):
    rows = truth_rows(fragment(client, "timeout-tradeoff"))
    model = timeouts.LatencyModel(timeouts.DEFAULT_MEDIAN_MS, timeouts.DEFAULT_SIGMA, timeouts.DEFAULT_TAIL_PCT,
                                  timeouts.DEFAULT_TAIL_ALPHA, timeouts.DEFAULT_HANG_PCT)
    for name, p in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999)):
        simulated, formula = rows[f"{name} latency"]
        assert ms(formula) == round(model.quantile(p), 1)
        assert f"lognormal body alone: {round(model.body_quantile(p), 1):g}" in formula.replace("\xa0", " ")
        assert abs(ms(simulated) - ms(formula)) / ms(formula) < 0.1  # 20,000 calls: p99.9 is the loosest
    # The heavy tail: at p99.9 the lognormal formula is a third of the truth.
    assert ms(rows["p99.9 latency"][1]) > 3 * model.body_quantile(0.999)
    assert "infinite" in rows["standard deviation σ"][1]


def test_false_timeouts_are_the_share_of_answers_above_the_timeout(client):
    result = client.get("/demos/timeout-tradeoff.json?timeout_ms=300").get_json()["result"]
    lat = sorted(x for x in timeouts.draw(timeouts.LatencyModel(50, 0.5, 2.0, 1.5, 0.5), timeouts.SAMPLE_SIZE, 1)
                 if x is not None)
    assert result["timeout"]["false_timeout_rate"] == round(sum(x > 300 for x in lat) / len(lat), 6)
    rows = truth_rows(fragment(client, "timeout-tradeoff", "timeout_ms=300"))
    assert "P(X > 300" in rows["false timeouts at 300\xa0ms"][1]


def test_the_timeout_marker_and_the_figures_move_with_the_parameter(client):
    before, after = fragment(client, "timeout-tradeoff"), fragment(client, "timeout-tradeoff", "timeout_ms=200")

    def marker(html):
        shapes = figure(html, "chart-timeout-tradeoff-histogram")["layout"]["shapes"]
        return [s["x0"] for s in shapes if s["type"] == "line" and "timeout" in s["label"]["text"]]

    assert marker(before) == [600] and marker(after) == [200]
    curve = figure(after, "chart-timeout-tradeoff-curve")
    mine = next(t for t in curve["data"] if t["name"].startswith("your timeout"))
    assert mine["y"] == [pytest.approx(100 * 0.010355, rel=1e-3)]  # the page keeps 4 digits
    assert re.search(r"A 200\xa0ms timeout \(1\.0 × the measured p99\) cuts off 1\.04\xa0%", after)
    assert "<dt>False timeouts</dt><dd>0.14\xa0%</dd>" in before
    assert "<dt>False timeouts</dt><dd>1.04\xa0%</dd>" in after


def test_no_timeout_means_unbounded_threads_held_when_calls_hang(client):
    html = fragment(client, "timeout-tradeoff", "timeout_ms=never")
    assert "hold their threads for ever" in html
    assert "<dt>Thread-seconds per 1,000 requests</dt><dd>unbounded</dd>" in html
    calm = fragment(client, "timeout-tradeoff", "timeout_ms=never&hang_pct=0")
    assert "since no call hangs" in calm


def test_a_lesson_link_keeps_the_timeout(client):
    html = client.get("/lessons/timeouts?timeout-tradeoff.timeout_ms=740&answer.tail-p999=0&answer.thirty-seconds=0").get_data(as_text=True)
    result = html.split('id="result-timeout-tradeoff"')[1]
    assert "A 740\xa0ms timeout" in result and "This is “At p99.9”" in result


def test_tradeoff_csv_is_the_curve(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/demos/timeout-tradeoff.csv").get_data(as_text=True))))
    assert len(rows) > 100
    timeouts_ms = [float(r["timeout_ms"]) for r in rows]
    assert timeouts_ms == sorted(timeouts_ms)
    false = [float(r["false_timeout_rate"]) for r in rows]
    assert all(a >= b for a, b in zip(false, false[1:]))  # a longer timeout never cuts off more


# ---- timeout-retry-budget ----------------------------------------------------------------------

def test_retry_budget_defaults_show_how_many_attempts_fit(client):
    result = client.get("/demos/timeout-retry-budget.json").get_json()["result"]
    assert [(r["start_ms"], r["end_ms"], r["fits"]) for r in result["schedule"]] == [
        (0, 600, "full"), (700, 1300, "partial"), (1500, 2100, "no"), (2500, 3100, "no"), (3900, 4500, "no")]
    assert result["attempts_fit"] == 1 and result["worst_case_ms"] == 4500
    html = fragment(client, "timeout-retry-budget")
    assert "Under a 1,000\xa0ms deadline, 1 of 5 attempts of 600\xa0ms fits (and 1 more starts)" in html
    assert result["policies"]["deadline"]["max_ms"] <= 1000 < result["policies"]["per_attempt"]["max_ms"]


def test_retry_budget_failure_rates_beside_independent_attempts(client):
    rows = truth_rows(fragment(client, "timeout-retry-budget", "attempt_timeout_ms=200"))
    simulated, formula = rows["not answered by the deadline, bounded"]
    assert formula.endswith("q(200\xa0ms)^3")
    assert abs(float(simulated.split("\xa0")[0]) - float(formula.split("\xa0")[0])) < 0.1  # percent
    q_sim, q_formula = rows["one attempt fails (hangs, or answers after the timeout)"]
    assert abs(float(q_sim.split("\xa0")[0]) - float(q_formula.split("\xa0")[0])) < 1.0


def test_retry_budget_schedule_chart_marks_the_deadline(client):
    html = fragment(client, "timeout-retry-budget", "deadline_ms=2000")
    spec = figure(html, "chart-timeout-retry-budget-schedule")
    assert [s["x0"] for s in spec["layout"]["shapes"]] == [2000]
    late = next(t for t in spec["data"] if t["name"].startswith("attempt after the deadline"))
    assert late["y"] == ["attempt 3", "attempt 4", "attempt 5"]


@pytest.mark.parametrize("demo,name,raw", [
    ("timeout-tradeoff", "timeout_ms", "5"), ("timeout-tradeoff", "sigma", "0"),
    ("timeout-tradeoff", "hang_pct", "100"), ("timeout-retry-budget", "max_attempts", "11"),
    ("timeout-retry-budget", "deadline_ms", "never")])
def test_bad_inputs_answer_400_naming_the_parameter(client, demo, name, raw):
    response = client.get(f"/demos/{demo}.json?{name}={raw}")
    assert response.status_code == 400 and response.get_json()["param"] == name
