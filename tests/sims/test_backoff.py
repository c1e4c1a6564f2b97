"""The backoff model against the seed text's table and Brooker's jitter formulas."""

import random

import pytest

from webapp.sims import backoff

SEED_TABLE = [  # attempt, fails at (ms), then waits (ms): the seed text, word for word
    (1, 0, 100), (2, 100, 200), (3, 300, 400), (4, 700, 800), (5, 1500, None)]


def test_defaults_reproduce_the_seed_table():
    result = backoff.timeline()
    got = [(a["attempt"], a["start_ms"], a["wait_ms"]) for a in result["attempts"]]
    assert got == SEED_TABLE
    assert all(a["outcome"] == "fail" for a in result["attempts"])
    assert result["gave_up"] is True
    assert result["finished_ms"] == 1500


def test_recovery_stops_retrying_at_the_first_attempt_after_it():
    result = backoff.timeline(down_ms=600)
    assert [a["outcome"] for a in result["attempts"]] == ["fail", "fail", "fail", "success"]
    assert result["attempts"][-1]["start_ms"] == 700 and result["attempts"][-1]["wait_ms"] is None
    assert result["gave_up"] is False


def test_attempt_duration_shifts_every_start():
    starts = [a["start_ms"] for a in backoff.timeline(attempt_ms=50)["attempts"]]
    assert starts == [0, 150, 400, 850, 1700]  # each wait begins when the failed attempt ends


def test_cap_bounds_every_wait():
    waits = [a["wait_ms"] for a in backoff.timeline(max_attempts=10, cap_ms=500)["attempts"][:-1]]
    assert waits == [100, 200, 400, 500, 500, 500, 500, 500, 500]


@pytest.mark.parametrize("retry", range(12))
def test_jitter_bounds(retry):
    base, cap = 100, 5000
    for seed in range(200):
        v = min(cap, base * 2 ** retry)
        full = backoff.Backoff("full", base, cap, rng=random.Random(seed)).sleep(retry)
        equal = backoff.Backoff("equal", base, cap, rng=random.Random(seed)).sleep(retry)
        assert 0 <= full <= v
        assert v / 2 <= equal <= v


def test_decorrelated_stays_within_base_and_three_times_previous():
    base, cap = 10, 1000
    for seed in range(100):
        b = backoff.Backoff("decorrelated", base, cap, rng=random.Random(seed))
        previous = base
        for retry in range(30):
            sleep = b.sleep(retry)
            assert base <= sleep <= min(cap, 3 * previous)
            assert b.bounds == (base, min(cap, 3 * previous))
            previous = sleep


def test_jitter_means_match_their_closed_forms():
    """Full jitter averages v/2, equal jitter 3v/4: checked over 20,000 draws (std error < 0.5%)."""
    rng = random.Random(7)
    v = 800
    full = [backoff.Backoff("full", 100, 10_000, rng=rng).sleep(3) for _ in range(20_000)]
    equal = [backoff.Backoff("equal", 100, 10_000, rng=rng).sleep(3) for _ in range(20_000)]
    assert sum(full) / len(full) == pytest.approx(v / 2, rel=0.02)
    assert sum(equal) / len(equal) == pytest.approx(3 * v / 4, rel=0.02)


def test_same_seed_same_result_and_seeds_differ():
    a = backoff.timeline(jitter="full", seed=3)
    assert a == backoff.timeline(jitter="full", seed=3)
    assert a != backoff.timeline(jitter="full", seed=4)
    assert backoff.storm(jitter="equal", seed=3) == backoff.storm(jitter="equal", seed=3)
    assert backoff.storm(jitter="equal", seed=3) != backoff.storm(jitter="equal", seed=4)


def test_no_jitter_is_the_same_for_every_seed():
    assert backoff.timeline(seed=1) == backoff.timeline(seed=99)


def test_storm_without_jitter_hits_in_lock_step():
    result = backoff.storm(clients=500, outage_ms=1000, jitter="full")
    none = result["strategies"]["none"]
    assert none["peak_retries_per_bucket"] == 500  # every client retries in the same 10 ms
    assert none["total_calls"] == 500 * 5  # 0, 100, 300, 700 fail; 1,500 succeeds
    assert none["gave_up"] == 0
    nonzero = [i * result["bucket_ms"] for i, n in enumerate(none["per_bucket"]) if n]
    assert nonzero == [0, 100, 300, 700, 1500]


def test_storm_jitter_spreads_the_retries():
    full = backoff.storm(clients=1000, jitter="full")["strategies"]["full"]
    # Retry n draws from uniform(0, 100 * 2**n): at most ~10% of one wave lands in a 10 ms bucket.
    assert full["peak_retries_per_bucket"] < 250
    assert sum(full["per_bucket"]) == full["total_calls"]


def test_storm_outage_longer_than_the_schedule_makes_everyone_give_up():
    none = backoff.storm(clients=100, outage_ms=5000, jitter="none")["strategies"]["none"]
    assert none["gave_up"] == 100 and none["total_calls"] == 500
