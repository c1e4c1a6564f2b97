"""Retry amplification across layers: the closed forms by hand, the Monte-Carlo run against them,
and the two retry budgets against their token arithmetic."""

import json
import math
import random

import pytest

from webapp.sims import amplification as amp
from webapp.sims.amplification import BUDGET_CAPACITY, BUDGET_DEPOSIT


def test_three_layers_of_four_attempts_send_64_attempts_down():
    result = amp.amplification(layers=3, attempts=4, failure_pct=100, seed=1)["policies"]
    assert result["every_layer"]["worst"] == 64 == result["every_layer"]["expected"]
    assert result["every_layer"]["simulated"]["bottom_attempts"] == 64
    assert result["top_only"]["worst"] == 4 == result["top_only"]["simulated"]["bottom_attempts"]
    assert result["none"]["worst"] == 1
    assert all(p["success_pct"] == 0 for p in result.values())


def test_n_retries_are_n_plus_one_attempts():
    # 4 attempts = 3 retries: at 100 % failure a top-only caller makes 3 retries per request.
    sim = amp.simulate(layers=1, attempts=4, p=1.0, policy="top_only", rng=random.Random(1))
    assert sim["bottom_attempts"] == 4
    assert sim["retries"] == 3 * sim["requests"]


@pytest.mark.parametrize("layers,attempts", [(1, 1), (2, 3), (3, 4), (6, 10), (4, 2)])
def test_worst_case_is_attempts_to_the_power_of_layers(layers, attempts):
    worst = amp.worst_case(layers, attempts)
    assert worst["every_layer"] == attempts ** layers
    assert worst["top_only"] == attempts
    assert worst["none"] == 1


def test_closed_forms_by_hand():
    # p = 0.5, 2 layers, 3 attempts. Layer 1: 1 + .5 + .25 = 1.75 attempts, fails with .125.
    # Layer 2: 1 + .125 + .015625 = 1.140625 calls to layer 1. Product 1.99609375.
    forms = amp.closed_form(2, 3, 0.5)
    assert forms["every_layer"]["expected"] == pytest.approx(1.75 * 1.140625)
    assert forms["every_layer"]["success"] == pytest.approx(1 - 0.5 ** 9)  # 1 - p ** (A ** L)
    assert forms["top_only"]["expected"] == pytest.approx(1.75)
    assert forms["top_only"]["success"] == pytest.approx(1 - 0.5 ** 3)
    assert forms["none"]["expected"] == 1 and forms["none"]["success"] == pytest.approx(0.5)
    # Ratio budget: 0.1 retry per request per layer, well below the 0.75 wanted, so 1.1 per layer.
    assert forms["ratio"]["expected"] == pytest.approx(1.1 ** 2)
    # Bucket: r = d(1-q)/(1-d(1-q)) = .05/.95 at layer 1.
    r1 = 0.05 / 0.95
    assert forms["bucket"]["expected"] == pytest.approx((1 + r1) * (1 + (0.1 * 0.5 * (1 + r1)) / (1 - 0.1 * 0.5 * (1 + r1))))


def test_no_failures_no_retries_and_one_attempt_is_no_retry():
    for policy, f in amp.closed_form(5, 7, 0.0).items():
        assert f["expected"] == 1 and f["success"] == 1
    for policy, f in amp.closed_form(4, 1, 0.3).items():
        assert f["expected"] == 1 and f["success"] == pytest.approx(0.7)


@pytest.mark.parametrize("layers,attempts,pct", [(3, 4, 90), (3, 4, 99), (2, 5, 60), (4, 3, 80), (1, 10, 95)])
def test_monte_carlo_agrees_with_the_exact_forms(layers, attempts, pct):
    result = amp.amplification(layers=layers, attempts=attempts, failure_pct=pct, seed=5)["policies"]
    for policy in ("none", "every_layer", "top_only"):
        r = result[policy]
        sim = r["simulated"]
        tol = 4 * max(sim["stderr"], 1e-3) + 1e-3
        assert abs(sim["bottom_attempts"] - r["expected"]) <= tol, policy
        # success is a proportion over `requests` trials
        p = r["success_pct"] / 100
        tol = 4 * math.sqrt(max(p * (1 - p), 1e-4) / sim["requests"]) * 100 + 0.1
        assert abs(sim["success_pct"] - r["success_pct"]) <= tol, policy


@pytest.mark.parametrize("pct", [50, 90])
def test_budget_steady_state_approximations_hold_away_from_the_knee(pct):
    # The fluid limit ignores the full bucket at the start (10 tokens per layer): allow for it.
    result = amp.amplification(layers=3, attempts=4, failure_pct=pct, seed=2)["policies"]
    for policy in ("bucket", "ratio"):
        r = result[policy]
        assert r["exact"] is False
        assert r["simulated"]["bottom_attempts"] == pytest.approx(r["expected"], rel=0.04)


def test_ratio_budget_keeps_retries_near_ten_percent_of_requests_at_total_failure():
    sim = amp.simulate(layers=3, attempts=4, p=1.0, policy="ratio", rng=random.Random(3))
    # every request earns 0.1 token, every retry costs 1: retries <= 0.1 x requests + the full bucket
    assert sim["retries"] <= BUDGET_DEPOSIT * sim["calls"] + 3 * BUDGET_CAPACITY
    assert 0.095 <= sim["retry_ratio"] <= 0.11


def test_success_funded_bucket_stops_retrying_at_total_failure():
    # Nothing succeeds, nothing is earned: only the bucket's starting tokens are ever spent.
    sim = amp.simulate(layers=3, attempts=4, p=1.0, policy="bucket", rng=random.Random(3))
    assert sim["retries"] <= 3 * BUDGET_CAPACITY
    assert sim["retry_ratio"] < 0.02


def test_bucket_retries_are_paid_by_successes():
    rng = random.Random(4)
    for p in (0.3, 0.5, 0.8):
        chain = amp._Chain("bucket", 2, 4, p, rng)
        successes = sum(chain.call(2) for _ in range(2000))
        # token conservation: spent <= start + earned, per layer; layer 2's successes are the
        # requests' successes, layer 1's are its calls that succeeded (at most all of them)
        assert chain.retries[2] <= BUDGET_CAPACITY + BUDGET_DEPOSIT * successes + 1e-9
        assert chain.retries[1] <= BUDGET_CAPACITY + BUDGET_DEPOSIT * chain.calls[1] + 1e-9


def test_budgets_behave_like_plain_retries_when_failures_are_rare():
    result = amp.amplification(layers=3, attempts=4, failure_pct=2, seed=1)["policies"]
    plain = result["every_layer"]["expected"]
    assert result["bucket"]["expected"] == pytest.approx(plain)
    assert result["ratio"]["expected"] == pytest.approx(plain)


def test_max_parameters_stay_bounded_and_exact_at_total_failure():
    result = amp.amplification(layers=6, attempts=10, failure_pct=100, seed=1)["policies"]
    every = result["every_layer"]["simulated"]
    assert every["requests"] >= 1 and every["bottom_attempts"] == 10 ** 6


def test_result_is_json_and_deterministic():
    a = amp.amplification(layers=3, attempts=3, failure_pct=70, seed=1)
    json.dumps(a)
    assert a == amp.amplification(layers=3, attempts=3, failure_pct=70, seed=1)
    b = amp.amplification(layers=3, attempts=3, failure_pct=70, seed=2)
    assert a["policies"]["every_layer"]["simulated"] != b["policies"]["every_layer"]["simulated"]
    assert a["policies"]["every_layer"]["expected"] == b["policies"]["every_layer"]["expected"]


def test_calls_into_each_level_multiply_down_the_chain():
    result = amp.amplification(layers=3, attempts=4, failure_pct=100, seed=1)["policies"]
    assert result["every_layer"]["levels"] == [1, 4, 16, 64]  # the top layer, layer 2, layer 1, the dependency
    assert result["every_layer"]["simulated"]["levels"] == [1, 4, 16, 64]
    assert result["top_only"]["levels"] == [1, 4, 4, 4]  # the lower layers fail fast: one call each
    assert result["none"]["levels"] == [1, 1, 1, 1]
    for p in result.values():
        assert p["levels"][-1] == p["expected"]
        assert p["simulated"]["levels"][-1] == p["simulated"]["bottom_attempts"]


@pytest.mark.parametrize("pct", [30, 80, 95])
def test_simulated_calls_per_level_agree_with_the_formula(pct):
    result = amp.amplification(layers=4, attempts=3, failure_pct=pct, seed=6)["policies"]["every_layer"]
    for formula, simulated in zip(result["levels"], result["simulated"]["levels"]):
        assert simulated == pytest.approx(formula, rel=0.08)


def test_issue_claim_retries_near_ten_percent_at_total_failure_is_the_request_funded_budget():
    """The issue asks that 'the token bucket keeps retries near 10 % of calls at 100 % failure'.
    That holds for the budget where every *request* earns 0.1 token (the SRE book's per-client
    budget, Finagle's RetryBudget), and NOT for the success-funded bucket, which stops retrying."""
    result = amp.amplification(layers=3, attempts=4, failure_pct=100, seed=1)["policies"]
    assert 9.5 <= result["ratio"]["simulated"]["retries_per_100"] <= 11
    assert result["ratio"]["expected"] == pytest.approx(1.1 ** 3)  # 10 % more calls at each layer
    assert result["bucket"]["simulated"]["retries"] <= 3 * BUDGET_CAPACITY  # only its starting tokens
    assert result["bucket"]["expected"] == 1  # in the long run: no retries at all
