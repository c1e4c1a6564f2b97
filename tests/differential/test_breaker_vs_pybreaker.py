"""The breaker core (webapp/sims/breaker.py) against pybreaker, an independent implementation,
configured alike: trip after N consecutive failures, stay open for a fixed time, then admit test
calls and close after k successes.

pybreaker runs one call at a time and reads the wall clock; here its clock is a fake one that the
test moves, and each call is instantaneous, so both breakers see the same sequence of (time, outcome)
steps. What must agree, step by step: whether the call reached the dependency (was admitted), and the
state after it.

Where the app differs by design, each test names it:
- pybreaker half-opens lazily, on the first call after the wait; the app's default ("timer") half-opens
  when the wait ends even with no call. Admissions agree either way; the reported state differs only
  while OPEN's wait has ended and no call has come yet (test_timer_half_open_differs_only_in_the_reported_state).
- pybreaker re-opens on the first failed test call and admits any number of test calls; the app admits
  `probes` test calls and, with the seed's "close on 2 of 3", tolerates one failure among them
  (test_two_of_three_probes_differs_from_pybreaker). Alike means probes == probe_successes.
"""

import itertools
import random
from datetime import datetime, timedelta, timezone

import pybreaker
import pytest

from webapp.sims.breaker import CLOSED, HALF_OPEN, OPEN, BreakerConfig, CircuitBreaker

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
PYBREAKER_STATE = {"closed": CLOSED, "open": OPEN, "half-open": HALF_OPEN}


class Failure(Exception):
    pass


class FakeClock:
    """pybreaker asks `datetime.now(UTC)`; this answers the test's time instead."""

    def __init__(self):
        self.ms = 0.0
        clock = self

        class FakeDatetime(datetime):
            @classmethod
            def now(cls, tz=None):
                return EPOCH + timedelta(milliseconds=clock.ms)

        self.datetime = FakeDatetime


@pytest.fixture()
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(pybreaker, "datetime", fake.datetime)
    return fake


def run_pybreaker(clock, steps, fail_max, open_ms, successes):
    cb = pybreaker.CircuitBreaker(fail_max=fail_max, reset_timeout=open_ms / 1000, success_threshold=successes)
    out = []
    for t, ok in steps:
        clock.ms = t
        reached = []

        def call():
            reached.append(True)
            if not ok:
                raise Failure()

        try:
            cb.call(call)
        except (Failure, pybreaker.CircuitBreakerError):
            pass
        out.append((bool(reached), PYBREAKER_STATE[cb.current_state]))
    return out


def run_app(steps, fail_max, open_ms, successes, half_open_on="call"):
    cb = CircuitBreaker(BreakerConfig(failure_threshold=fail_max, open_ms=open_ms, probes=successes,
                                      probe_successes=successes, half_open_on=half_open_on))
    out = []
    for t, ok in steps:
        token = cb.acquire(t)
        if token is not None:
            cb.record(t, ok, token)
        out.append((token is not None, cb.state))
    return out


def timed(gaps_and_outcomes):
    t, steps = 0.0, []
    for gap, ok in gaps_and_outcomes:
        t += gap
        steps.append((t, ok))
    return steps


OPEN_MS = 1000
# Gaps that land just before, exactly at and well after the end of the open wait, and a short one.
SYMBOLS = [(gap, ok) for gap in (1, OPEN_MS - 1, OPEN_MS) for ok in (True, False)]


@pytest.mark.parametrize("fail_max,successes,longest", [(1, 1, 5), (2, 1, 5), (2, 2, 6)])
def test_every_short_sequence_agrees_step_by_step(clock, fail_max, successes, longest):
    checked = 0
    for length in range(1, longest + 1):
        for word in itertools.product(SYMBOLS, repeat=length):
            steps = timed(word)
            assert run_app(steps, fail_max, OPEN_MS, successes) == \
                run_pybreaker(clock, steps, fail_max, OPEN_MS, successes), word
            checked += 1
    assert checked == sum(6 ** n for n in range(1, longest + 1))


def test_random_long_sequences_agree(clock):
    rng = random.Random(2026)
    tripped = 0
    for _ in range(150):
        fail_max, successes = rng.randint(1, 6), rng.randint(1, 3)
        open_ms = rng.choice([100, 500, 1000, 30_000])
        p_fail = rng.random()
        steps = timed((rng.expovariate(1 / rng.choice([5, 50, 400])), rng.random() >= p_fail) for _ in range(400))
        app = run_app(steps, fail_max, open_ms, successes)
        assert app == run_pybreaker(clock, steps, fail_max, open_ms, successes), (fail_max, successes, open_ms)
        tripped += any(state == OPEN for _, state in app)
    assert tripped >= 100  # most runs go through every state, not only CLOSED


def test_timer_half_open_differs_only_in_the_reported_state(clock):
    """By design: the app's default half-opens on a timer; pybreaker only when a call comes. The same
    calls get through; read just before each call, the states differ only when the wait is over and
    no call has come yet: the app says HALF_OPEN where pybreaker still says open."""
    rng = random.Random(7)
    differed = 0
    for _ in range(100):
        steps = timed((rng.choice([10, 300, 1200]), rng.random() < 0.4) for _ in range(200))
        app = CircuitBreaker(BreakerConfig(failure_threshold=3, open_ms=OPEN_MS, probes=1, probe_successes=1,
                                           half_open_on="timer"))
        reference = pybreaker.CircuitBreaker(fail_max=3, reset_timeout=OPEN_MS / 1000)
        for t, ok in steps:
            clock.ms = t
            app.advance(t)
            mine, theirs = app.state, PYBREAKER_STATE[reference.current_state]
            if mine != theirs:
                differed += 1
                assert (mine, theirs) == (HALF_OPEN, OPEN), t
            token = app.acquire(t)
            if token is not None:
                app.record(t, ok, token)
            reached = []

            def call():
                reached.append(True)
                if not ok:
                    raise Failure()
            try:
                reference.call(call)
            except (Failure, pybreaker.CircuitBreakerError):
                pass
            assert (token is not None) == bool(reached), t
            assert app.state == PYBREAKER_STATE[reference.current_state], t
    assert differed > 100  # the difference is real and frequent, and it is the only one


def test_two_of_three_probes_differs_from_pybreaker(clock):
    """By design: the seed's breaker closes on 2 successes of 3 test requests; pybreaker re-opens on
    the first failed test call. Success, failure, success after the wait: the app closes."""
    steps = [(0, False), (OPEN_MS, True), (OPEN_MS + 1, False), (OPEN_MS + 2, True)]
    app = CircuitBreaker(BreakerConfig(failure_threshold=1, open_ms=OPEN_MS, probes=3, probe_successes=2,
                                       half_open_on="call"))
    states = []
    for t, ok in steps:
        token = app.acquire(t)
        if token is not None:
            app.record(t, ok, token)
        states.append(app.state)
    assert states == [OPEN, HALF_OPEN, HALF_OPEN, CLOSED]
    assert [s for _, s in run_pybreaker(clock, steps, 1, OPEN_MS, 2)] == [OPEN, HALF_OPEN, OPEN, OPEN]
