"""Overload and retry budgets: the SRE throttle formula by hand, the healthy server against M/M/1,
N+1 attempts of load at total failure, token conservation, and the metastable failure itself."""

import json
import statistics

import pytest

from webapp.sims import retry_budget as rb
from webapp.sims.retry_budget import STRATEGIES


@pytest.fixture(scope="module")
def defaults():
    return rb.retry_budget()


# ---- the throttle formula ----------------------------------------------------------------------

@pytest.mark.parametrize("requests,accepts,expected", [
    (0, 0, 0.0),  # nothing seen, nothing rejected
    (100, 50, 0.0),  # exactly K x accepts: the threshold
    (100, 80, 0.0),  # healthy: max(0, negative)
    (100, 40, 20 / 101),  # (100 - 80) / 101
    (10, 0, 10 / 11),  # total failure: rejects all but 1 in (requests + 1)
    (3, 1, 0.25),  # (3 - 2) / 4
    (1, 0, 0.5),  # why the clients start warm: a cold throttle rejects the 2nd request half the time
])
def test_throttle_probability_by_hand(requests, accepts, expected):
    assert rb.throttle_probability(requests, accepts) == pytest.approx(expected)


def test_throttle_k_is_the_sre_books_two():
    assert rb.THROTTLE_K == 2
    assert rb.throttle_probability(100, 40, k=1) == pytest.approx(60 / 101)  # stricter
    assert rb.throttle_probability(100, 40, k=3) == 0  # more lenient: 120 >= 100


def test_window_keeps_only_the_trailing_seconds():
    w = rb._Window(3)
    w.add(0.5, a=1)
    w.add(1.2, a=2, b=1)
    w.add(2.9, a=4)
    assert w.totals(2.95) == (7, 1)
    assert w.totals(3.0) == (6, 1)  # second 0 has left the window
    assert w.totals(4.5) == (4, 0)
    assert w.totals(100) == (0, 0)
    warm = rb._Window(5, a=2, b=1)
    assert warm.totals(0.1) == (10, 5)
    assert warm.totals(2.0) == (6, 3)


# ---- the healthy server ------------------------------------------------------------------------

def test_healthy_server_is_an_mm1_queue():
    # No trigger, no retries, no timeouts: mean time at the server W = 1 / (mu - lambda).
    rate = 50
    means = [rb.retry_budget(rate=rate, trigger_s=0, strategies=("none",), seed=s)["strategies"]["none"]
             ["mean_response_ms"] for s in range(1, 6)]
    assert statistics.mean(means) == pytest.approx(1000 / (rb.CAPACITY - rate), rel=0.06)


def test_without_a_trigger_every_strategy_has_the_same_goodput():
    result = rb.retry_budget(trigger_s=0, seed=3)["strategies"]
    series = [s["series"]["goodput"] for s in result.values()]
    assert all(g == series[0] for g in series)
    assert len({s["goodput"] for s in result.values()}) == 1
    for s in result.values():
        assert s["retries"] == 0 and s["suppressed"] == 0 and s["wasted"] == 0
        assert s["success_pct"] == 100 and s["outcome"] == "recovered"


def test_same_first_tries_for_every_strategy(defaults):
    requests = {s["requests"] for s in defaults["strategies"].values()}
    assert len(requests) == 1
    firsts = [s["series"]["first_tries"][:10] for s in defaults["strategies"].values()]
    assert all(f == firsts[0] for f in firsts)  # identical until the trigger at 10 s


# ---- the metastable failure and the cures (defaults) -------------------------------------------

def test_naive_retries_stay_overloaded_after_the_trigger(defaults):
    naive = defaults["strategies"]["retries"]
    assert naive["outcome"] == "overloaded"
    assert naive["recovered_at_ms"] is None and naive["server_recovered_at_ms"] is None
    assert naive["goodput"] < 5  # the server is busy, with work nobody waits for
    # every attempt times out, so each request makes all its attempts: load x attempts (N + 1)
    assert naive["offered"] == pytest.approx(defaults["rate"] * 4, rel=0.05)
    # still flooded at the end of the run, long after the trigger
    assert naive["series"]["queue"][-1] > 1000


def test_without_retries_the_server_recovers(defaults):
    none = defaults["strategies"]["none"]
    end = defaults["trigger"]["end_ms"]
    assert none["outcome"] == "recovered" and end <= none["recovered_at_ms"] <= end + 15_000


@pytest.mark.parametrize("name", ["bucket", "breaker", "throttle"])
def test_the_budgets_let_the_server_recover(defaults, name):
    s = defaults["strategies"][name]
    end = defaults["trigger"]["end_ms"]
    assert s["server_recovered_at_ms"] is not None and s["server_recovered_at_ms"] <= end + 20_000
    assert s["retries"] < 0.05 * defaults["strategies"]["retries"]["retries"]
    assert s["goodput"] > 10 * defaults["strategies"]["retries"]["goodput"] + 40


def test_metastability_needs_retries_not_just_load():
    # Same trigger, more seeds: naive retries never recover, no retries always do.
    for seed in (2, 3):
        result = rb.retry_budget(strategies=("none", "retries"), seed=seed)["strategies"]
        assert result["none"]["outcome"] == "recovered"
        assert result["retries"]["outcome"] == "overloaded"


def test_token_bucket_retries_are_paid_for_by_successes(defaults):
    s = defaults["strategies"]["bucket"]
    assert s["retries"] <= rb.CLIENTS * rb.BUCKET_CAPACITY + rb.BUCKET_DEPOSIT * s["successes"]


def test_token_bucket_keeps_retries_under_a_tenth_of_requests_under_sustained_failure():
    # A long, deep trigger with a short timeout: most attempts fail for most of the run.
    s = rb.retry_budget(rate=100, drop_pct=10, trigger_s=20, timeout_ms=200, strategies=("bucket",),
                        seed=1)["strategies"]["bucket"]
    assert s["retries"] <= rb.CLIENTS * rb.BUCKET_CAPACITY + rb.BUCKET_DEPOSIT * s["successes"]
    assert s["retries"] <= 0.1 * s["requests"]


def test_short_timeouts_waste_work_even_without_a_trigger():
    # M/M/1 at 85 %: P(time in system > t) = exp(-(mu - lambda) t) = exp(-1.5) at 100 ms.
    s = rb.retry_budget(trigger_s=0, timeout_ms=100, strategies=("none",), seed=1)["strategies"]["none"]
    assert 100 - s["success_pct"] == pytest.approx(100 * 2.718281828 ** -1.5, abs=4)


# ---- the result --------------------------------------------------------------------------------

def test_result_shape(defaults):
    json.dumps(defaults)
    n = len(defaults["t_ms"])
    assert n == int(rb.SIM_S / rb.BIN_S)
    assert set(defaults["strategies"]) == set(STRATEGIES)
    for s in defaults["strategies"].values():
        for key in ("offered", "goodput", "retries", "recovered_at_ms"):
            assert key in s
        assert all(len(v) == n for v in s["series"].values())


def test_strategy_subset_gives_the_same_numbers():
    alone = rb.retry_budget(strategies=("breaker",), seed=4)["strategies"]["breaker"]
    together = rb.retry_budget(strategies=("none", "breaker"), seed=4)["strategies"]["breaker"]
    assert alone == together


def test_same_seed_same_result_different_seed_different_result():
    a = rb.retry_budget(strategies=("none", "bucket"), seed=1)
    assert a == rb.retry_budget(strategies=("none", "bucket"), seed=1)
    b = rb.retry_budget(strategies=("none", "bucket"), seed=2)
    assert a["strategies"]["none"]["series"] != b["strategies"]["none"]["series"]


# ---- the fluid model of the recovery without retries --------------------------------------------

def test_fluid_recovery_by_hand():
    # 85 req/s, half capacity for 5 s: the backlog grows 35/s to 175; the server clears 100 within a
    # 1 s timeout, so 75 must drain at the spare 15/s: 5 s after the trigger ends at 15 s.
    assert rb.fluid_recovery_s(85, 50, 5, 1000) == pytest.approx(20.0)
    assert rb.fluid_recovery_s(85, 50, 2, 1000) == pytest.approx(12.0)  # backlog 70 < 100: at once
    assert rb.fluid_recovery_s(40, 50, 10, 1000) == pytest.approx(20.0)  # below the reduced capacity
    assert rb.fluid_recovery_s(70, 50, 10, 500) == pytest.approx(20 + 150 / 30)
    assert rb.fluid_recovery_s(100, 50, 5, 1000) is None  # no spare capacity: never drains
    assert rb.fluid_recovery_s(120, 100, 0, 1000) is None


@pytest.mark.parametrize("args", [(85, 50, 5, 1000), (70, 50, 10, 1000), (50, 10, 10, 2000), (60, 30, 5, 1000)])
def test_no_retries_recover_when_the_fluid_model_says(args):
    rate, drop, trigger, timeout = args
    got = [rb.retry_budget(rate, drop, trigger, timeout, strategies=("none",), seed=s)["strategies"]["none"]
           ["recovered_at_ms"] / 1000 for s in (1, 2, 3, 4)]
    assert statistics.mean(got) == pytest.approx(rb.fluid_recovery_s(*args), abs=2.0)
    assert rb.retry_budget(rate, drop, trigger, timeout, strategies=("none",))["fluid_recovered_at_ms"] == \
        pytest.approx(1000 * rb.fluid_recovery_s(*args), abs=0.1)


def test_demand_is_the_first_tries_of_clients_that_never_hold_back(defaults):
    assert defaults["demand"] == defaults["strategies"]["none"]["series"]["first_tries"]
    assert sum(defaults["demand"]) == defaults["strategies"]["none"]["requests"]


def test_inlined_draws_match_the_backoff_class():
    # The full-jitter sleep is inlined in the hot loop; the Backoff class must give the same sleeps.
    import random

    from webapp.sims.backoff import Backoff

    a, b = random.Random(5), random.Random(5)
    backoff = Backoff(rb.BACKOFF_JITTER, rb.BACKOFF_BASE_MS, rb.BACKOFF_CAP_MS, 2.0, a)
    for n in range(1, 6):
        ceiling = min(rb.BACKOFF_CAP_MS, rb.BACKOFF_BASE_MS * 2.0 ** (n - 1))
        assert backoff.sleep(n - 1) == ceiling * b.random()
