"""The fallacy calculators against their closed forms: geometric chains, round-trip arithmetic,
and the M/D/1 queue (Pollaczek-Khinchine)."""

from __future__ import annotations

import json
import math

import pytest

from webapp.sims import fallacies as m
from webapp.sims.fallacies import fallacy_bandwidth, fallacy_latency, fallacy_network

N = m.NETWORK_REQUESTS


def _se(p: float) -> float:
    return math.sqrt(p * (1 - p) / N)


# ---- the network is reliable -------------------------------------------------------------------

def test_network_deterministic_and_json_ready():
    a = fallacy_network()
    assert a == fallacy_network() and json.loads(json.dumps(a)) == a
    assert fallacy_network(seed=2) != a


def test_network_chain_formula_and_simulation():
    r = fallacy_network(loss_pct=1.0, hops=20, retries=0)
    assert r["formula"] == pytest.approx(0.99 ** 20, abs=1e-6)  # 81.8%: twenty 99% calls
    assert r["formula_text"] == "(1 − 0.01)^20 = 81.79%"
    for row in r["chain"]:
        assert row["formula"] == pytest.approx(0.99 ** row["hops"], abs=1e-6)
        assert abs(row["simulated"] - row["formula"]) < 4 * _se(row["formula"])
    sims = [row["simulated"] for row in r["chain"]]
    assert sims == sorted(sims, reverse=True)  # a longer chain can only lose more


@pytest.mark.parametrize("loss,hops,retries", [(10.0, 10, 0), (10.0, 10, 2), (50.0, 20, 5), (5.0, 3, 1)])
def test_network_retries_formula(loss, hops, retries):
    p = loss / 100
    r = fallacy_network(loss_pct=loss, hops=hops, retries=retries, seed=7)
    assert r["per_call_success"] == pytest.approx(1 - p ** (retries + 1))
    assert r["formula"] == pytest.approx((1 - p ** (retries + 1)) ** hops, abs=1e-6)
    assert abs(r["success"] - r["formula"]) < 4 * _se(r["formula"]) + 1 / N
    assert r["attempts_per_request"] == pytest.approx(r["attempts_formula"], rel=0.03)


def test_network_retries_trade_load_for_success():
    bare = fallacy_network(loss_pct=10.0, hops=10, retries=0)
    retried = fallacy_network(loss_pct=10.0, hops=10, retries=2)
    assert bare["formula"] == pytest.approx(0.3487, abs=1e-4)  # 0.9**10
    assert retried["formula"] == pytest.approx(0.999 ** 10, abs=1e-6)  # 99.0%
    assert retried["attempts_per_request"] > bare["attempts_per_request"]


def test_network_attempts_formula_without_retries():
    # Without retries a request makes calls until its first failure: (1 - (1-p)**h) / p on average.
    p, h = 0.2, 8
    r = fallacy_network(loss_pct=20.0, hops=h, retries=0)
    assert r["attempts_formula"] == pytest.approx((1 - (1 - p) ** h) / p, abs=1e-4)


def test_network_no_loss():
    r = fallacy_network(loss_pct=0.0, hops=20, retries=5)
    assert r["success"] == r["formula"] == 1
    assert r["attempts_per_request"] == 20


# ---- latency is zero ---------------------------------------------------------------------------

def test_latency_defaults_arithmetic():
    r = fallacy_latency()  # 100 items, same datacenter (0.5 ms), 0.1 ms of work per item
    assert r["round_trips"] == {"chatty": 100, "batched": 1}
    assert r["chatty_ms"] == pytest.approx(100 * 0.5 + 10)
    assert r["batched_ms"] == pytest.approx(0.5 + 10)
    assert r["speedup"] == pytest.approx(60 / 10.5, abs=0.01)


def test_latency_partial_batches_and_environments():
    r = fallacy_latency(items=100, batch_size=30, rtt="intercontinental", server_ms=0.0)
    assert r["round_trips"]["batched"] == 4  # 30 + 30 + 30 + 10
    assert r["chatty_ms"] == 15_000 and r["batched_ms"] == 600
    envs = {e["id"]: e for e in r["environments"]}
    assert envs["intercontinental"]["chosen"] and not envs["same-dc"]["chosen"]
    assert envs["same-dc"]["chatty_ms"] == 50 and envs["localhost"]["batched_ms"] == pytest.approx(0.2)
    assert fallacy_latency(items=10, batch_size=1000)["round_trips"]["batched"] == 1
    chatty_is_batched = fallacy_latency(batch_size=1)
    assert chatty_is_batched["speedup"] == 1


def test_latency_rejects_unknown_environment():
    with pytest.raises(ValueError):
        fallacy_latency(rtt="mars")


# ---- bandwidth is infinite ---------------------------------------------------------------------

def test_bandwidth_transfer_time_and_capacity():
    r = fallacy_bandwidth()  # 500 kB at 150 req/s on 1 Gbit/s
    service_ms = 500_000 * 8 * (1538 / 1448) / 1e9 * 1000
    assert r["service_ms"] == pytest.approx(service_ms, abs=1e-4)  # 4.25 ms on the wire
    assert r["max_rate"] == pytest.approx(1000 / service_ms, abs=0.1)  # ~235 req/s fill the link
    assert r["utilisation"] == pytest.approx(150 * service_ms / 1000, abs=1e-4)
    assert r["stable"]


@pytest.mark.parametrize("rate,tolerance", [(118, 0.12), (188, 0.15)])  # rho 0.5 and 0.8
def test_bandwidth_mean_wait_matches_pollaczek_khinchine(rate, tolerance):
    for seed in (1, 2, 3):
        r = fallacy_bandwidth(rate=rate, seed=seed)
        rho, s = r["utilisation"], r["service_ms"]
        assert r["formula_wait_ms"] == pytest.approx(rho * s / (2 * (1 - rho)), rel=1e-3)  # inputs rounded
        assert r["mean_wait_ms"] == pytest.approx(r["formula_wait_ms"], rel=tolerance)
        assert r["mean_response_ms"] == pytest.approx(r["mean_wait_ms"] + s, abs=1e-3)
        assert r["formula_response_ms"] == pytest.approx(r["formula_wait_ms"] + s, abs=1e-3)


def test_bandwidth_overload_backlog_grows_linearly():
    r = fallacy_bandwidth(rate=300)  # rho ~ 1.27
    assert not r["stable"] and r["formula_wait_ms"] is None
    # After n requests the backlog is about n*S - n/lambda: (rho - 1) x the time simulated.
    expected_ms = (r["utilisation"] - 1) * r["simulated_seconds"] * 1000
    assert r["last_wait_ms"] == pytest.approx(expected_ms, rel=0.05)


def test_bandwidth_curve_is_the_md1_formula():
    r = fallacy_bandwidth()
    s = r["service_ms"]
    for point in r["curve"]:
        u = point["utilisation"]
        assert point["mean_response_ms"] == pytest.approx(s + u * s / (2 * (1 - u)), abs=1e-3)
        assert point["shared_response_ms"] == pytest.approx(s / (1 - u), abs=1e-3)
        assert point["shared_response_ms"] >= point["mean_response_ms"]  # sharing is slower on average
    assert [p["mean_response_ms"] for p in r["curve"]] == sorted(p["mean_response_ms"] for p in r["curve"])


def test_bandwidth_deterministic():
    assert fallacy_bandwidth(seed=3) == fallacy_bandwidth(seed=3) != fallacy_bandwidth(seed=4)


def test_costs_are_bounded():
    import time

    t = time.perf_counter()
    fallacy_network(loss_pct=50.0, hops=20, retries=5)
    fallacy_bandwidth(payload_kb=20000, rate=10000, link="100m")
    fallacy_latency(items=1000, batch_size=1)
    assert time.perf_counter() - t < 1.5  # target 0.3 s in all; generous for a shared machine
