"""The bulkhead demo: the seed's story at defaults, and each isolated pool held to queueing theory.

Closed forms (per pool: c threads, arrival rate lambda, mean service S, a = lambda S):
    P(wait) = C(c, a) = (a^c/c!)(c/(c-a)) / (sum_{k<c} a^k/k! + (a^c/c!)(c/(c-a)))   (Erlang C)
    Wq      = C(c, a) S / (c - a)                                                    (M/M/c)
    busy    = a                                                     (Little's law on the threads)
    P(reject, no queue) = (a^c/c!) / sum_{k<=c} a^k/k!              (Erlang B, any service shape)
"""

from __future__ import annotations

import inspect
import json
import math

import pytest

from webapp.demos.bulkhead import BULKHEAD_PARAMS
from webapp.sims import bulkhead, queueing
from webapp.sims.bulkhead import FEATURES, MODES


@pytest.fixture(scope="module")
def default_run():
    return bulkhead.simulate()


def erlang_c(c, a):
    head = sum(a ** k / math.factorial(k) for k in range(c))
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (head + top)


def erlang_b(c, a):
    return (a ** c / math.factorial(c)) / sum(a ** k / math.factorial(k) for k in range(c + 1))


# ---- the seed's story ---------------------------------------------------------------------------

def test_shared_pool_lets_slow_search_break_checkout_and_bulkheads_contain_it(default_run):
    shared, isolated = default_run["modes"]["shared"], default_run["modes"]["isolated"]
    # Shared: slow search requests pile up until they hold every one of the 350 threads ...
    assert shared["pools"]["shared"]["peak_busy"] == 350
    peak_search = max(shared["series"]["busy"]["search"])
    assert peak_search > 0.95 * 350
    # ... and checkout, which has no bug, fails for a large share of its requests during the fault.
    assert shared["features"]["checkout"]["fault_success_rate"] < 0.7
    assert shared["features"]["checkout"]["success_rate"] < 0.85
    assert shared["features"]["profile"]["success_rate"] < 0.85
    # Bulkheads: search fills its own 100 threads and suffers alone; checkout and profile never notice.
    assert isolated["pools"]["search"]["peak_busy"] == 100
    assert isolated["features"]["search"]["success_rate"] < 0.7
    for f in ("checkout", "profile"):
        stats = isolated["features"][f]
        assert stats["success_rate"] == 1.0 and stats["rejected"] == 0 and stats["timed_out"] == 0
        assert max(isolated["series"]["busy"][f]) < stats["pool_size"] / 4
    # The bulkhead does not save the sick feature: search does worse with fewer threads of its own.
    assert isolated["features"]["search"]["success_rate"] < shared["features"]["search"]["success_rate"]
    assert default_run["headline"]["checkout"] == {"shared": shared["features"]["checkout"]["success_rate"],
                                                   "isolated": 1.0}


def test_without_the_fault_every_request_succeeds_in_both_modes():
    run = bulkhead.simulate(fault_end_s=bulkhead.DEFAULT_FAULT_START_S)  # empty window: no fault
    assert run["fault"]["active"] is False
    for mode in MODES:
        for f in FEATURES:
            assert run["modes"][mode]["features"][f]["success_rate"] == 1.0
    assert bulkhead.simulate(slow_factor=1)["fault"]["active"] is False


def test_every_request_has_exactly_one_outcome_and_both_modes_see_the_same_traffic(default_run):
    for mode in MODES:
        for f in FEATURES:
            s = default_run["modes"][mode]["features"][f]
            assert s["completed"] + s["rejected"] + s["timed_out"] == s["arrivals"] == default_run["arrivals"][f]
            assert sum(default_run["modes"][mode]["series"]["arrivals"][f]) == s["arrivals"]


def test_busy_threads_never_exceed_the_pool(default_run):
    shared = default_run["modes"]["shared"]["series"]["busy"]
    for i in range(len(shared["search"])):
        assert sum(shared[f][i] for f in FEATURES) <= bulkhead.DEFAULT_SHARED_SIZE + 0.02
    isolated = default_run["modes"]["isolated"]["series"]["busy"]
    for f in FEATURES:
        assert max(isolated[f]) <= bulkhead.DEFAULT_POOLS[f] + 0.01


def test_littles_law_holds_for_every_pool(default_run):
    for mode in MODES:
        for name, pool in default_run["modes"][mode]["pools"].items():
            law = pool["littles_law"]
            assert law["L"] == pytest.approx(law["lambda_W"], abs=0.002), (mode, name)


def test_no_queue_means_reject_never_wait():
    run = bulkhead.simulate(queue_limit=0)
    for mode in MODES:
        for name, pool in run["modes"][mode]["pools"].items():
            assert pool["p_wait"] == 0 and pool["mean_wait_ms"] == 0
        for f in FEATURES:
            assert run["modes"][mode]["features"][f]["timed_out"] == 0


def test_deterministic_json_and_seeded():
    a, b = bulkhead.simulate(seed=4), bulkhead.simulate(seed=4)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a != bulkhead.simulate(seed=5)
    # Changing one feature's traffic leaves the other features' arrivals untouched.
    assert bulkhead.simulate(seed=4, checkout_rate=50)["arrivals"]["search"] == a["arrivals"]["search"]


def test_sizing_helper_is_hystrix_rule_on_the_healthy_p99():
    sizing = bulkhead.sizing({"search": 60}, {"search": 0.2}, "exponential")
    p99 = 0.2 * math.log(100)  # exponential: -ln(1 - 0.99) x mean
    assert sizing["search"]["p99_ms"] == pytest.approx(p99 * 1000, abs=0.05)
    assert sizing["search"]["suggested_threads"] == math.ceil(60 * p99 * (1 + queueing.HYSTRIX_ROOM))
    # Lognormal with mean S and sigma s: median exp(ln S - s^2/2).
    assert bulkhead.service_quantile("lognormal", 0.2, 0.5) == pytest.approx(
        0.2 * math.exp(-bulkhead.LOGNORMAL_SIGMA ** 2 / 2))


def test_parameters_match_the_model():
    signature = inspect.signature(bulkhead.simulate).parameters
    assert list(BULKHEAD_PARAMS.by_name) == list(signature)
    for p in BULKHEAD_PARAMS:
        assert p.default == signature[p.name].default, p.name
        assert p.label and p.help
        if p.kind == "int" and p.default is not None:
            assert p.min <= p.default <= p.max
            assert (p.default - p.min) % p.step == 0, f"{p.name}: the slider cannot land on the default"


# ---- each isolated pool is an M/M/c queue ------------------------------------------------------
#
# Small pools that actually queue (rho 0.67-0.75), unbounded queues, no fault, exponential service.
# Tolerances: the standard deviation of each estimate across 16 independent seeds at 1,200 s of
# traffic was measured as
#                P(wait)   Wq (ms)   mean busy
#   search       0.0115    2.85      0.047       (c = 8, a = 6)
#   checkout     0.0139    4.43      0.044       (c = 7, a = 5)
#   profile      0.0071    2.27      0.016       (c = 3, a = 2)
# Estimates from one run are averages over many correlated requests, so their spread falls like
# 1/sqrt(run length): this test runs 2,400 s, so each SD is divided by sqrt(2), and the tolerance is
# 4 of those standard errors (a correct model fails a check with probability ~1e-4). The queue
# forgets its start (empty) within its relaxation time 1/(mu (sqrt(c) - sqrt(a))^2) < 4 s, a
# negligible bias over 2,400 s.

TRUTH_CONFIG = dict(search_rate=30, search_ms=200, search_pool=8, checkout_rate=20, checkout_ms=250,
                    checkout_pool=7, profile_rate=20, profile_ms=100, profile_pool=3, shared_size=20,
                    queue_limit=None, queue_timeout_ms=None, slow_factor=1, service_dist="exponential")
TRUTH_DURATION = 2400
SD_AT_1200 = {"search": (0.0115, 2.85, 0.047), "checkout": (0.0139, 4.43, 0.044),
              "profile": (0.0071, 2.27, 0.016)}


@pytest.fixture(scope="module")
def truth_run():
    return bulkhead.simulate(**TRUTH_CONFIG, duration_s=TRUTH_DURATION, seed=2024)


@pytest.mark.parametrize("feature", FEATURES)
def test_isolated_pool_agrees_with_erlang_c(truth_run, feature):
    rate, mean_s, c = (TRUTH_CONFIG[f"{feature}_rate"], TRUTH_CONFIG[f"{feature}_ms"] / 1000,
                       TRUTH_CONFIG[f"{feature}_pool"])
    a = rate * mean_s
    p_wait = erlang_c(c, a)
    wq_ms = p_wait * mean_s / (c - a) * 1000
    pool = truth_run["modes"]["isolated"]["pools"][feature]
    theory = pool["theory"]
    # The model's closed forms are the textbook's, and it knows they are exact here.
    assert theory["exact"] and theory["assumptions_broken"] == []
    assert theory["p_wait"] == pytest.approx(p_wait, abs=1e-5)
    assert theory["mean_wait_ms"] == pytest.approx(wq_ms, abs=0.05)
    assert theory["mean_busy"] == pytest.approx(a)
    # The simulation agrees with them.
    scale = 4 / math.sqrt(TRUTH_DURATION / 1200)
    sd_p, sd_w, sd_busy = SD_AT_1200[feature]
    assert abs(pool["p_wait"] - p_wait) < scale * sd_p
    assert abs(pool["mean_wait_ms"] - wq_ms) < scale * sd_w
    assert abs(pool["mean_busy"] - a) < scale * sd_busy
    # Little's law for the queue: time-average queue length = lambda x Wq.
    assert pool["mean_queue"] == pytest.approx(rate * pool["mean_wait_ms"] / 1000, rel=0.03)
    # And the check can fail: one thread more or less is far outside the tolerance.
    one_less = erlang_c(c - 1, a) if a < c - 1 else 1.0
    for wrong in (erlang_c(c + 1, a), one_less):
        assert abs(pool["p_wait"] - wrong) > scale * sd_p


def test_shared_pool_is_not_claimed_exact_when_features_differ(truth_run):
    theory = truth_run["modes"]["shared"]["pools"]["shared"]["theory"]
    assert not theory["exact"]
    assert any("different mean service times" in reason for reason in theory["assumptions_broken"])


def test_loss_pools_follow_erlang_b_even_shared_and_lognormal():
    """With no queue, blocking depends only on the offered load (Erlang B is insensitive to the
    service distribution, and holds for several classes sharing one pool). Tolerance: across 12
    seeds at 600 s the SD of P(reject) was <= 0.005 for every pool; 4 x that."""
    run = bulkhead.simulate(**{**TRUTH_CONFIG, "queue_limit": 0, "service_dist": "lognormal",
                               "shared_size": 14}, duration_s=600, seed=99)
    loads = {f: TRUTH_CONFIG[f"{f}_rate"] * TRUTH_CONFIG[f"{f}_ms"] / 1000 for f in FEATURES}
    cases = [("shared", "shared", 14, sum(loads.values()))]
    cases += [("isolated", f, TRUTH_CONFIG[f"{f}_pool"], loads[f]) for f in FEATURES]
    for mode, name, c, a in cases:
        pool = run["modes"][mode]["pools"][name]
        assert pool["theory"]["exact"], name
        assert pool["theory"]["p_reject"] == pytest.approx(erlang_b(c, a), abs=1e-5)
        assert abs(pool["p_reject"] - erlang_b(c, a)) < 0.02, name
