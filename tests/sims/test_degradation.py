"""Graceful degradation against the availability arithmetic and the latency distributions."""

from __future__ import annotations

import json
import math

import pytest

from webapp.sims import degradation as m
from webapp.sims.degradation import degradation

VIEWS = 20_000


def _se(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


def test_deterministic_and_json_ready():
    a, b = degradation(), degradation()
    assert a == b
    assert json.loads(json.dumps(a)) == a
    assert degradation(seed=2) != a


def test_defaults_product_of_availabilities():
    r = degradation(views=VIEWS)
    aon, deg = r["designs"]["all_or_nothing"], r["designs"]["degraded"]
    product = 0.9995 * 0.995 * 0.99 * 0.98
    assert aon["formula_value"] == pytest.approx(product, abs=1e-5)
    assert aon["formula"] == "99.95% × 99.50% × 99% × 98% = 96.49%"
    assert abs(aon["page_availability"] - product) < 4 * _se(product, VIEWS)
    assert deg["formula_value"] == pytest.approx(0.9995, abs=1e-5)
    assert abs(deg["page_availability"] - 0.9995) < 4 * _se(0.9995, VIEWS) + 1 / VIEWS


@pytest.mark.parametrize("avails", [(99.0, 95.0, 92.0, 90.0), (100.0, 100.0, 100.0, 90.0)])
def test_measured_matches_formula_for_other_availabilities(avails):
    a, c, rec, ads = avails
    r = degradation(article_avail=a, comments_avail=c, recommendations_avail=rec, ads_avail=ads,
                    views=VIEWS, seed=3)
    product = math.prod(x / 100 for x in avails)
    aon = r["designs"]["all_or_nothing"]
    assert aon["formula_value"] == pytest.approx(product, abs=1e-5)
    assert abs(aon["page_availability"] - product) < 4 * _se(product, VIEWS) + 1 / VIEWS
    assert abs(r["designs"]["degraded"]["page_availability"] - a / 100) < 4 * _se(a / 100, VIEWS) + 1 / VIEWS


def test_optional_dependency_down():
    up, down = degradation(), degradation(comments="down")
    aon, deg = down["designs"]["all_or_nothing"], down["designs"]["degraded"]
    assert aon["page_availability"] == 0 and aon["formula_value"] == 0
    assert aon["p99_ms"] == m.DOWN_FAIL_MS  # the error page is at least fast
    # Each dependency has its own random stream: the article's fate is the same draw in both runs.
    assert deg["page_availability"] == up["designs"]["degraded"]["page_availability"]
    comments = deg["sections"]["comments"]
    assert comments["shown"] == 0 and comments["fallback"] == deg["page_availability"]
    sample = down["sample"]
    assert sample["all_or_nothing"]["status"] == 500
    assert sample["all_or_nothing"]["error_text"] == m.ERROR_PAGE[500]
    by_name = {s["name"]: s for s in sample["degraded"]["sections"]}
    assert sample["degraded"]["status"] == 200
    assert by_name["comments"]["shows"] == "fallback"
    assert by_name["comments"]["text"] == "Comments unavailable right now"
    assert by_name["article"]["text"] == m.CONTENT["article"]


def test_hidden_sections_and_core_down():
    r = degradation(recommendations="down", ads="down")
    deg = r["designs"]["degraded"]
    assert deg["sections"]["recommendations"]["hidden"] == deg["page_availability"]
    assert deg["sections"]["ads"]["hidden"] == deg["page_availability"]
    core_down = degradation(article="down")
    for design in core_down["designs"].values():
        assert design["page_availability"] == 0
        assert all(s["not_rendered"] == 1 for s in design["sections"].values())
    assert core_down["sample"]["degraded"]["status"] == 503


def test_slow_optional_dependency_holds_only_the_all_or_nothing_page():
    r = degradation(comments="slow", views=VIEWS)
    aon, deg = r["designs"]["all_or_nothing"], r["designs"]["degraded"]
    # The slow call answers before the 5 s deadline with P = Phi(ln(5000/2000) / sigma).
    sigma = math.log(m.SLOW_P99_MS / m.SLOW_MEDIAN_MS) / m.Z99
    on_time = 0.5 * (1 + math.erf(math.log(m.PAGE_DEADLINE_MS / m.SLOW_MEDIAN_MS) / sigma / math.sqrt(2)))
    factor = next(f for f in aon["factors"] if f["name"] == "comments")
    assert factor["on_time"] == pytest.approx(on_time, abs=1e-5)
    expected = 0.9995 * 0.995 * on_time * 0.99 * 0.98
    assert abs(aon["page_availability"] - expected) < 4 * _se(expected, VIEWS)
    assert aon["p99_ms"] == m.PAGE_DEADLINE_MS  # the slowest pages are 504s at the deadline
    assert aon["p50_ms"] > 1000
    # Degraded: the per-section timeout caps the wait; the article is unaffected.
    assert deg["p99_ms"] <= r["timeout_ms"] + m.RENDER_MS
    assert deg["page_availability"] == degradation(views=VIEWS)["designs"]["degraded"]["page_availability"]


def test_section_timeout_share_matches_the_latency_distribution():
    # Ads slow (median 2000 ms) with a 2000 ms timeout: shown = availability x P(latency <= 2000) = 0.98 x 0.5
    r = degradation(ads="slow", timeout_ms=2000, views=VIEWS, seed=4)
    ads = r["designs"]["degraded"]["sections"]["ads"]
    p_page = r["designs"]["degraded"]["page_availability"]
    expected = 0.98 * 0.5 * p_page
    assert abs(ads["shown"] - expected) < 4 * _se(0.49, VIEWS)
    assert ads["shown"] + ads["hidden"] == pytest.approx(p_page, abs=1e-4)


def test_page_latency_is_the_max_of_parallel_calls():
    """With every call succeeding, the page takes RENDER_MS + the slowest call, so its CDF is the
    product of the four log-normal CDFs. Check the measured p50 and p99 against that product."""
    r = degradation(article_avail=100.0, comments_avail=100.0, recommendations_avail=100.0, ads_avail=100.0,
                    views=VIEWS, seed=5)
    aon = r["designs"]["all_or_nothing"]
    assert aon["page_availability"] == 1

    def cdf(x):
        return math.prod(m._on_time(med, p99, x - m.RENDER_MS) for _n, _l, _c, med, p99, _a in m.DEPENDENCIES)

    assert abs(cdf(aon["p50_ms"]) - 0.50) < 0.02
    assert abs(cdf(aon["p99_ms"]) - 0.99) < 0.003


def test_lognormal_parameters_reproduce_median_and_p99():
    for _name, _label, _core, median, p99, _avail in m.DEPENDENCIES:
        assert m._on_time(median, p99, median) == pytest.approx(0.5)
        assert m._on_time(median, p99, p99) == pytest.approx(0.99)


def test_bad_state_is_rejected():
    with pytest.raises(ValueError):
        degradation(ads="sideways")


def test_cost_is_bounded():
    import time

    t = time.perf_counter()
    degradation(comments="slow", ads="slow", views=m.MAX_VIEWS)
    assert time.perf_counter() - t < 1.5  # target 0.3 s; generous for a shared machine


# ---- what the demo draws: outcomes, histogram, the view it renders -----------------------------

def test_outcomes_and_histogram_account_for_every_view():
    r = degradation(comments="slow", seed=4)
    for design in r["designs"].values():
        outcomes = design["outcomes"]
        assert sum(outcomes.values()) == r["views"]
        assert outcomes["full"] + outcomes["degraded"] == round(design["page_availability"] * r["views"])
        hist = design["latency_histogram"]
        assert sum(hist["all"]) == r["views"] and sum(hist["error"]) == outcomes["error"]
        assert len(hist["all"]) == len(r["latency_bins"]) == len(m.LATENCY_EDGES_MS)
    aon, deg = r["designs"]["all_or_nothing"], r["designs"]["degraded"]
    assert aon["outcomes"]["degraded"] == 0  # this design has no half-served page
    assert aon["latency_histogram"]["all"][-1] > 0  # the 504s sit in the deadline bin
    assert deg["latency_histogram"]["all"][-1] == 0 and deg["outcomes"]["degraded"] > 0.99 * r["views"]


def test_the_rendered_view_is_the_first_where_the_designs_differ():
    r = degradation()
    v = r["shown_view"]
    assert v > 1
    deg = r["sample"]["degraded"]
    assert deg["status"] == 200 and any(s["shows"] != "shown" for s in deg["sections"])
    # Every earlier view shows the full page in the degraded design: re-render them one by one.
    for earlier in range(1, v):
        sample = degradation(show_view=earlier)["sample"]["degraded"]
        assert sample["status"] != 200 or all(s["shows"] == "shown" for s in sample["sections"])
    assert degradation(show_view=3)["shown_view"] == 3
    assert degradation(views=1000, show_view=40_000)["shown_view"] == 1000


def test_section_shown_share_matches_its_closed_form():
    views = 20_000
    r = degradation(views=views, seed=5)
    deg = r["designs"]["degraded"]
    for dep in r["dependencies"]:
        if dep["core"]:
            continue
        expected = deg["formula_value"] * dep["availability"] * dep["within_timeout"]
        assert abs(deg["sections"][dep["name"]]["shown"] - expected) < 4 * _se(expected, views) + 1 / views
    assert r["dependencies"][3]["within_timeout"] == pytest.approx(m._on_time(60, 400, 300), abs=1e-5)


def test_box_muller_draws_have_the_declared_median_and_p99():
    import random

    draws = sorted(m._lognormal(random.Random(9), 40_001, math.log(60), m._sigma(60, 400)))
    n = len(draws)
    assert draws[n // 2] == pytest.approx(60, rel=0.03)
    assert draws[int(0.99 * n)] == pytest.approx(400, rel=0.06)
    assert len(m._lognormal(random.Random(1), 7, 0.0, 1.0)) == 7  # odd counts too
