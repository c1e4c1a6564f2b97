"""Fallacies 4 to 8 against their closed forms: replays (binomial x exponential), stale DNS (uniform
cache ages), timeouts that do not nest (geometric attempts), the retry bill (product of truncated
geometrics), and a path-MTU black hole (log-normal tail)."""

from __future__ import annotations

import json
import math

import pytest

from webapp.sims import fallacies_more as m

MODELS = (m.fallacy_secure, m.fallacy_topology, m.fallacy_admin, m.fallacy_cost, m.fallacy_homogeneous)


@pytest.mark.parametrize("fn", MODELS, ids=lambda f: f.__name__)
def test_seeded_deterministic_and_json_ready(fn):
    a = fn()
    assert a == fn() and json.loads(json.dumps(a)) == a
    assert fn(seed=2) != a


# ---- the network is secure ---------------------------------------------------------------------

@pytest.mark.parametrize("capture,replays,delay,window", [(5.0, 2, 120, 300), (50.0, 5, 60, 30), (100.0, 1, 10, 0)])
def test_secure_replays_against_the_formula(capture, replays, delay, window):
    r = m.fallacy_secure(capture_pct=capture, replays=replays, delay_s=delay, window_s=window, forged=7, seed=3)
    n, c = m.SECURE_REQUESTS, capture / 100
    d = {x["id"]: x for x in r["defences"]}
    assert d["signed"]["replays_formula"] == pytest.approx(n * c * replays)
    sd = math.sqrt(n * c * (1 - c)) * replays
    assert abs(r["replays_sent"] - n * c * replays) <= 4 * sd + 1e-9
    p = 1 - math.exp(-window / delay)
    assert r["p_within_window"] == pytest.approx(p, abs=1e-6)
    # Given the replays sent, the accepted ones are binomial with p.
    sent = r["replays_sent"]
    assert abs(d["window"]["replays_accepted"] - sent * p) <= 4 * math.sqrt(sent * p * (1 - p)) + 1e-9
    assert d["none"]["replays_accepted"] == d["signed"]["replays_accepted"] == sent
    assert d["nonce"]["replays_accepted"] == 0
    assert [x["forged_accepted"] for x in r["defences"]] == [7, 0, 0, 0]


def test_secure_a_wider_window_lets_more_through():
    accepted = [next(x for x in m.fallacy_secure(window_s=w)["defences"] if x["id"] == "window")["replays_accepted"]
                for w in (0, 30, 300, 3600)]
    assert accepted == sorted(accepted) and accepted[0] == 0


# ---- topology doesn't change -------------------------------------------------------------------

@pytest.mark.parametrize("clients,rate,ttl", [(1000, 2.0, 300), (1000, 0.5, 60), (500, 10.0, 3600)])
def test_topology_stale_requests_are_rate_times_half_the_ttl(clients, rate, ttl):
    r = m.fallacy_topology(clients=clients, rate=rate, ttl_s=ttl, seed=5)
    assert r["failed_formula"] == pytest.approx(clients * rate * ttl / 2)
    # Per client: ceil((s - o) * rate) with s ~ U(0, TTL); its SD is about rate * TTL / sqrt(12).
    sd = math.sqrt(clients) * (rate * ttl / math.sqrt(12) + 1)
    assert abs(r["failed"] - r["failed_formula"]) < 4 * sd
    assert r["last_client_moves_s"] <= ttl
    assert r["last_client_formula_s"] == pytest.approx(ttl * clients / (clients + 1), abs=0.01)


def test_topology_pinned_clients_fail_all_hour_and_reresolving_fails_once():
    pinned = m.fallacy_topology(clients=100, rate=2.0, ttl_s=300, pinned_pct=10.0)
    assert pinned["pinned"] == 10 and pinned["last_client_moves_s"] == m.WATCH_S
    assert pinned["failed_formula"] == pytest.approx(90 * 300 + 10 * 2.0 * m.WATCH_S)
    assert pinned["timeline"][-1]["clients_on_old"] == 10
    again = m.fallacy_topology(clients=1000, rate=2.0, ttl_s=300, pinned_pct=10.0, reresolve="yes")
    assert again["failed"] <= 1000
    p_first = 1 - 0.5 / (2 * 300)
    assert again["failed_formula"] == pytest.approx(900 * p_first + 100, abs=0.01)
    assert abs(again["failed"] - again["failed_formula"]) < 4 * math.sqrt(900 * p_first * (1 - p_first)) + 1


def test_topology_timeline_matches_the_uniform_expiry():
    r = m.fallacy_topology(clients=1000, ttl_s=600, seed=9)
    for point in r["timeline"]:
        left = max(0.0, 1 - point["t"] / 600)
        assert point["formula"] == pytest.approx(1000 * left, abs=1e-3)
        assert abs(point["clients_on_old"] - point["formula"]) < 4 * math.sqrt(1000 * left * (1 - left)) + 1


def test_topology_ttl_zero_never_fails():
    assert m.fallacy_topology(ttl_s=0)["failed"] == 0


# ---- there is one administrator ----------------------------------------------------------------

def test_admin_budgets_that_do_not_nest():
    r = m.fallacy_admin()  # 1000 ms deadline; 4 attempts of 400 ms, 100 ms apart
    assert r["inner_budget_ms"] == 4 * 400 + 3 * 100 and not r["nests"]
    assert r["attempt_starts_ms"] == [0, 500, 1000, 1500] and r["attempts_before_deadline"] == 2
    mine, prop = r["designs"]
    q = 0.1
    assert mine["answered_formula"] == pytest.approx((1 - q) + q * (1 - q))
    assert mine["orphans_formula"] == pytest.approx(q ** 2 + q ** 3)
    assert prop["attempts_formula"] == pytest.approx(1 + q)
    n = m.ADMIN_REQUESTS
    for d in (mine, prop):
        p = d["answered_formula"]
        assert abs(d["answered_share"] - p) < 4 * math.sqrt(p * (1 - p) / n)
        assert d["attempts_per_request"] == pytest.approx(d["attempts_formula"], rel=0.02)
        assert d["answered"] + d["error_in_time"] + d["gateway_timeout"] == n
    assert mine["orphans_per_request"] == pytest.approx(mine["orphans_formula"], abs=4 * math.sqrt(0.011 / n))
    assert prop["orphan_attempts"] == 0 and prop["late_answers"] == 0 and mine["late_answers"] > 0


def test_admin_nested_budgets_give_clean_errors_and_no_orphans():
    r = m.fallacy_admin(inner_ms=250, retries=2, slow_pct=50.0)
    assert r["nests"] and r["inner_budget_ms"] == 950
    for d in r["designs"]:
        assert d["orphan_attempts"] == 0 and d["gateway_timeout"] == 0
        assert abs(d["error_in_time"] / m.ADMIN_REQUESTS - 0.5 ** 3) < 0.02  # all three attempts hung
    assert r["designs"][0]["answered"] == r["designs"][1]["answered"]


def test_admin_every_attempt_hangs():
    mine, prop = m.fallacy_admin(retries=5, slow_pct=100.0)["designs"]
    assert mine["answered"] == 0 and mine["attempts_per_request"] == 6 and mine["orphans_per_request"] == 4
    assert prop["attempts_per_request"] == 2 and prop["orphan_attempts"] == 0


# ---- transport cost is zero --------------------------------------------------------------------

def test_cost_an_outage_is_r_plus_one_to_the_depth():
    r = m.fallacy_cost(failure_pct=100.0)  # 3 hops, 3 retries
    assert [h["attempts"] for h in r["hops"]] == [4, 16, 64] == [h["formula"] for h in r["hops"]]
    assert r["failed_share"] == 1.0 and r["attempts_per_request"] == 84


@pytest.mark.parametrize("failure,layers,retries", [(1.0, 3, 3), (50.0, 3, 3), (20.0, 2, 1), (30.0, 1, 2)])
def test_cost_attempts_against_the_product_of_geometrics(failure, layers, retries):
    r = m.fallacy_cost(failure_pct=failure, layers=layers, retries=retries, seed=4)
    p = failure / 100
    f = [p ** ((retries + 1) ** (layers - 1 - k)) for k in range(layers)]
    g = [sum(x ** j for j in range(retries + 1)) for x in f]
    assert [h["formula"] for h in r["hops"]] == pytest.approx([math.prod(g[:k + 1]) for k in range(layers)], abs=1e-4)
    assert r["attempts_per_request"] == pytest.approx(r["attempts_formula"], rel=0.03)
    assert r["failed_formula"] == pytest.approx(f[0] ** (retries + 1), abs=1e-8)


def test_cost_bill_arithmetic():
    r = m.fallacy_cost(rate=1000, size_kb=20, layers=3, retries=0, failure_pct=0.0, zones=3, price=0.02)
    # 2.592e9 requests x 3 calls x 20 kB x 2/3 across zones x $0.02/GB
    assert r["attempts_per_request"] == 3
    assert r["bill"] == pytest.approx(2.592e9 * 3 * 20e3 / 1e9 * (2 / 3) * 0.02, abs=0.01)
    assert m.fallacy_cost(zones=1)["bill"] == 0


# ---- the network is homogeneous ----------------------------------------------------------------

def _tail(limit, median_kb, sigma):
    return 0.5 * math.erfc((math.log(limit) - math.log(median_kb * 1000)) / sigma / math.sqrt(2))


@pytest.mark.parametrize("median,sigma,tunnel,mtu", [(4.0, 1.5, 20.0, 1400), (1.0, 0.5, 100.0, 1280), (0.5, 2.0, 50.0, 1450)])
def test_homogeneous_share_too_big_is_the_log_normal_tail(median, sigma, tunnel, mtu):
    r = m.fallacy_homogeneous(median_kb=median, sigma=sigma, tunnel_pct=tunnel, tunnel_mtu=mtu, seed=6)
    p = tunnel / 100 * _tail(mtu - 40, median, sigma)
    assert r["share_too_big_formula"] == pytest.approx(p, abs=1e-6)
    n = m.HOMOGENEOUS_REQUESTS
    assert abs(r["too_big"] - n * p) < 4 * math.sqrt(n * p * (1 - p)) + 1
    assert r["hung"] == r["too_big"]


def test_homogeneous_modes_and_a_uniform_path():
    assert m.fallacy_homogeneous(tunnel_mtu=1500)["too_big"] == 0
    works = m.fallacy_homogeneous(pmtud="works")
    assert works["hung"] == 0 and works["slowed"] == works["too_big"] > 0
    clamped = m.fallacy_homogeneous(pmtud="clamped")
    assert clamped["hung"] == clamped["slowed"] == 0
    r = m.fallacy_homogeneous()
    curve = [c["share_above"] for c in r["curve"]]
    assert curve == sorted(curve, reverse=True)  # the log-normal's tail
    assert curve[20] == pytest.approx(_tail(10_000, 4.0, 1.5), abs=1e-6)  # 10 kB
    assert r["share_above_mss"] == pytest.approx(_tail(1360, 4.0, 1.5), abs=1e-6)
