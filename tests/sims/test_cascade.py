"""Cascading failure C -> A -> B: A's pool saturates without a breaker, stays free with one (once
the breaker has heard back from B), and busy threads follow Little's law on steady stretches."""

import inspect
import json
import math

import pytest

from webapp.sims.breaker import OPEN
from webapp.sims.cascade import A_WORK_MS, B_MEAN_MS, cascade


@pytest.fixture(scope="module")
def default():
    return cascade()


def test_without_breaker_the_pool_saturates_for_the_whole_slow_period(default):
    run = default["runs"]["without"]
    pool, rate = 200, 20
    assert run["totals"]["peak_busy"] == pool
    # Full from pool / rate = 10 s after B slows (at 10 s) until B recovers (at 100 s), plus the
    # few seconds the released threads need to empty A's queue (~1,070 requests by then; k(t) =
    # 6.7 t threads are free t s later, each serving ~18 requests/s: about 4.5 s).
    fill_s = pool / rate
    assert 90 - fill_s <= run["totals"]["saturated_s"] <= 90 - fill_s + 8
    busy = run["series"]["busy_avg"]
    assert all(b == pool for b in busy[25:95])
    # C waits in A's queue: far longer than the 30 s timeout.
    assert run["totals"]["c_max_ms"] > 60_000
    assert run["totals"]["peak_queue"] > 1_000


def test_with_breaker_threads_stay_free_once_it_has_tripped(default):
    run = default["runs"]["with"]
    trip = run["totals"]["first_trip_ms"]
    # It hears of B's trouble only when the first calls time out, 30 s after B slowed down...
    assert 10_000 + 30_000 <= trip < 10_000 + 30_000 + 1_000
    # ...so the pool still filled, but only for about one timeout instead of the whole outage.
    assert run["totals"]["saturated_s"] < 30
    assert default["runs"]["without"]["totals"]["saturated_s"] > 3 * run["totals"]["saturated_s"]
    # Once the calls admitted before the trip have timed out, busy threads stay well below the
    # pool: at most the 3 hung test requests, a straggler or two and fast rejections.
    after = math.ceil((trip + 30_000 + A_WORK_MS) / 1000)
    assert max(run["series"]["busy_max"][after:]) <= 10
    # B gets (almost) no load while the breaker is open, and none at all while OPEN.
    assert run["totals"]["reached_b_while_open"] == 0
    assert run["totals"]["reached_b"] < default["runs"]["without"]["totals"]["reached_b"] / 2
    assert run["totals"]["fast_fail"] > 1_000
    # The breaker closes again after B has recovered (at 100 s).
    last = run["transitions"][-1]
    assert last["to"] == "CLOSED" and last["t_ms"] > 100_000


def test_short_timeout_bounds_the_peak_by_littles_law():
    rate, timeout = 50, 2_000
    r = cascade(rate=rate, timeout_ms=timeout, slow_start_s=10, slow_s=60, duration_s=90)
    without, with_ = r["runs"]["without"], r["runs"]["with"]
    plateau = rate * (timeout + A_WORK_MS) / 1000  # 100.25 threads, well under 200
    law = r["littles_law"]["slow_without_breaker"]
    assert law["busy"] == pytest.approx(plateau, abs=0.1) and not law["saturates"]
    assert law["simulated"] == pytest.approx(plateau, rel=0.08)
    assert without["totals"]["peak_busy"] < 200 and without["totals"]["saturated_s"] == 0
    # With the breaker the same peak is reached (it learns only after the first timeouts), then
    # the threads are released within one more timeout.
    busy = with_["series"]["busy_avg"]
    assert max(busy[20:70]) < 10


def test_littles_law_in_normal_operation():
    rate = 50
    r = cascade(rate=rate, slow_start_s=100, slow_s=0, duration_s=100, runs=("without",))
    law = r["littles_law"]["normal"]
    hold = A_WORK_MS + B_MEAN_MS * (1 - math.exp(-30_000 / B_MEAN_MS))
    assert law["busy"] == pytest.approx(rate * hold / 1000, abs=0.05)
    assert law["simulated"] == pytest.approx(law["busy"], rel=0.1)
    # And exactly, with the measured hold times: time-average busy = total thread time / time.
    series = r["runs"]["without"]["series"]
    first, last = 5, 95
    mean_busy = sum(series["busy_avg"][first:last]) / (last - first)
    thread_time = sum(series["hold_sum_ms"][first:last]) / ((last - first) * 1000)
    assert mean_busy == pytest.approx(thread_time, rel=0.03)


def test_littles_law_figures_beside_the_simulated_plateaus(default):
    law = default["littles_law"]
    slow = law["slow_without_breaker"]
    assert slow["demand"] == pytest.approx(20 * 30.005, abs=0.1)  # 600 threads wanted
    assert slow["busy"] == 200 and slow["saturates"]
    assert slow["throughput_cap_per_s"] == pytest.approx(200 / 30.005, abs=0.05)
    assert slow["fill_s"] == pytest.approx(10)
    assert slow["simulated"] == pytest.approx(200, abs=0.5)
    # While the breaker is open and nothing is in flight to B, each request holds a thread for
    # A's own 5 ms: 20 x 0.005 = 0.1 thread.
    open_ = law["breaker_open"]
    assert open_["busy"] == pytest.approx(0.1)
    assert open_["simulated"] == pytest.approx(0.1, abs=0.05)
    assert open_["stretch_ms_total"] > 20_000


def test_same_traffic_in_both_runs(default):
    a, b = default["runs"]["without"], default["runs"]["with"]
    assert a["totals"]["requests"] == b["totals"]["requests"]
    # Identical until the breaker first acts.
    until = int(b["totals"]["first_trip_ms"] // 1000)
    for key in ("busy_avg", "reached_b", "completed"):
        assert a["series"][key][:until] == b["series"][key][:until]
    assert cascade() == default
    assert cascade(seed=2)["runs"]["without"]["series"] != a["series"]


def test_totals_add_up(default):
    for run in default["runs"].values():
        t = run["totals"]
        assert t["ok"] + t["error"] + t["fast_fail"] + t["unfinished"] == t["requests"]
        assert sum(run["series"]["reached_b"]) == t["reached_b"]
        assert sum(run["series"]["completed"]) == t["requests"] - t["unfinished"]
    assert default["runs"]["without"]["totals"]["fast_fail"] == 0


def test_one_run_only_and_bad_runs():
    r = cascade(runs=("with",), duration_s=30)
    assert set(r["runs"]) == {"with"} and "simulated" not in r["littles_law"]["normal"]
    with pytest.raises(ValueError):
        cascade(runs=("maybe",))


def test_json_rounded_and_params_match():
    from webapp.demos.breaker import CASCADE_PARAMS
    r = cascade(duration_s=60)
    text = json.dumps(r)
    assert "NaN" not in text and "Infinity" not in text
    signature = inspect.signature(cascade).parameters
    assert {p.name for p in CASCADE_PARAMS} == set(signature)
    for p in CASCADE_PARAMS:
        assert signature[p.name].default == p.default, p.name


def test_intervals_cover_the_run(default):
    run = default["runs"]["with"]
    ivs = run["intervals"]
    assert ivs[0]["start_ms"] == 0 and ivs[-1]["end_ms"] == default["horizon_ms"]
    assert sum(iv["end_ms"] - iv["start_ms"] for iv in ivs) == pytest.approx(default["horizon_ms"])
    assert any(iv["state"] == OPEN for iv in ivs)
