"""The backoff schedule (webapp/sims/backoff.py) against tenacity's own wait strategies, with a fake
sleep: tenacity's Retrying loop calls a dependency that is down until `down_ms`, its sleeps move a
fake clock, and every attempt's start and every wait must match `backoff.timeline`.

Configured alike: tenacity's `wait_exponential(multiplier=base, exp_base=multiplier, max=cap)` is the
schedule without jitter, `wait_random_exponential` is full jitter, and equal jitter is tenacity's sum
of the two at half the base and half the cap. Both draw one `random()` per jittered sleep, so seeding
tenacity's random module like the app's generator makes the draws the same. tenacity has no
decorrelated jitter (its `wait_exponential_jitter` adds uniform(0, jitter) instead), so that one is
checked against Brooker's formula in tests/sims/test_backoff.py, not here.
"""

import random

import pytest
import tenacity
from hypothesis import given, settings, strategies as st

from webapp.sims import backoff


def tenacity_wait(jitter, base, multiplier, cap):
    if jitter == "none":
        return tenacity.wait_exponential(multiplier=base, exp_base=multiplier, max=cap)
    if jitter == "full":
        return tenacity.wait_random_exponential(multiplier=base, exp_base=multiplier, max=cap)
    return (tenacity.wait_exponential(multiplier=base / 2, exp_base=multiplier, max=cap / 2)
            + tenacity.wait_random_exponential(multiplier=base / 2, exp_base=multiplier, max=cap / 2))


def tenacity_timeline(monkeypatch, *, base_ms, multiplier, max_attempts, cap_ms, jitter, down_ms, attempt_ms, seed):
    """Attempt starts and waits as tenacity's retry loop makes them, in milliseconds."""
    monkeypatch.setattr(tenacity.wait, "random", random.Random(seed))  # the module-level random it draws from
    clock = {"t": 0.0}
    starts, waits = [], []

    def sleep(seconds):  # the values are milliseconds: tenacity only passes them through
        waits.append(seconds)
        clock["t"] += seconds

    def call():
        starts.append(clock["t"])
        if down_ms is None or clock["t"] < down_ms:
            clock["t"] += attempt_ms
            raise ConnectionError("down")
        return "ok"

    retrying = tenacity.Retrying(sleep=sleep, stop=tenacity.stop_after_attempt(max_attempts),
                                 wait=tenacity_wait(jitter, base_ms, multiplier, cap_ms), reraise=True)
    try:
        retrying(call)
        gave_up = False
    except ConnectionError:
        gave_up = True
    return starts, waits, gave_up


def compare(monkeypatch, **kw):
    mine = backoff.timeline(**kw)
    starts, waits, gave_up = tenacity_timeline(monkeypatch, **kw)
    assert mine["gave_up"] == gave_up
    assert [a["start_ms"] for a in mine["attempts"]] == pytest.approx(starts, abs=0.051)  # the app rounds to 0.1 ms
    assert [a["wait_ms"] for a in mine["attempts"][:-1]] == pytest.approx(waits, abs=0.051)
    return mine


@pytest.mark.parametrize("jitter", ["none", "full", "equal"])
def test_the_lesson_schedule_matches_tenacity(monkeypatch, jitter):
    mine = compare(monkeypatch, base_ms=100, multiplier=2.0, max_attempts=5, cap_ms=10_000, jitter=jitter,
                   down_ms=None, attempt_ms=0, seed=1)
    if jitter == "none":
        assert [a["wait_ms"] for a in mine["attempts"][:-1]] == [100, 200, 400, 800]


@settings(max_examples=300, deadline=None)
@given(jitter=st.sampled_from(["none", "full", "equal"]), base_ms=st.integers(1, 2000),
       multiplier=st.sampled_from([1.0, 1.5, 2.0, 3.0]), max_attempts=st.integers(1, 12),
       cap_ms=st.integers(1, 30_000), down_ms=st.one_of(st.none(), st.integers(0, 20_000)),
       attempt_ms=st.integers(0, 500), seed=st.integers(0, 1_000_000))
def test_any_schedule_matches_tenacity(jitter, base_ms, multiplier, max_attempts, cap_ms, down_ms, attempt_ms, seed):
    with pytest.MonkeyPatch.context() as monkeypatch:
        compare(monkeypatch, base_ms=base_ms, multiplier=multiplier, max_attempts=max_attempts, cap_ms=cap_ms,
                jitter=jitter, down_ms=down_ms, attempt_ms=attempt_ms, seed=seed)
