"""Exponential backoff with jitter: the sleep schedule, one client's timeline, and a retry storm.

Formulas follow Marc Brooker, "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015):
    exponential   v = min(cap, base * multiplier**n)        (n = retries so far, first retry n = 0)
    full          uniform(0, v)
    equal         v/2 + uniform(0, v/2)
    decorrelated  min(cap, uniform(base, 3 * previous))     (previous starts at base)
Pure Python and seeded: the same arguments always give the same result.
"""

from __future__ import annotations

import random
from collections import Counter

JITTERS = ("none", "full", "equal", "decorrelated")

# The seed text's schedule: 100 ms, doubling, 5 attempts.
DEFAULT_BASE_MS = 100
DEFAULT_MULTIPLIER = 2.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_CAP_MS = 10_000

# Retry-storm chart resolution: one bar per 10 ms, so "the worst 10 ms" is a single bar.
STORM_BUCKET_MS = 10


class Backoff:
    """The sleep before each retry for one client; keeps the state decorrelated jitter needs."""

    def __init__(self, jitter: str, base: float, cap: float, multiplier: float = 2.0,
                 rng: random.Random | None = None):
        if jitter not in JITTERS:
            raise ValueError(f"unknown jitter {jitter!r}; expected one of {JITTERS}")
        self.jitter, self.base, self.cap, self.multiplier = jitter, base, cap, multiplier
        self.rng = rng or random.Random(0)
        self.previous = base  # decorrelated jitter grows from the last sleep, starting at base
        self.bounds = (0.0, 0.0)  # the interval the last sleep was drawn from, for display and tests

    def ceiling(self, retry: int) -> float:
        """The un-jittered exponential delay before retry number `retry` (0 for the first retry)."""
        # min() before the power would be wrong; cap the float early to avoid overflow on huge n.
        try:
            return min(self.cap, self.base * self.multiplier ** retry)
        except OverflowError:
            return self.cap

    def sleep(self, retry: int) -> float:
        v = self.ceiling(retry)
        if self.jitter == "none":
            self.bounds = (v, v)
            return v
        if self.jitter == "full":
            self.bounds = (0.0, v)
            return self.rng.uniform(0, v)
        if self.jitter == "equal":
            self.bounds = (v / 2, v)
            return v / 2 + self.rng.uniform(0, v / 2)
        self.bounds = (self.base, min(self.cap, 3 * self.previous))
        self.previous = min(self.cap, self.rng.uniform(self.base, 3 * self.previous))
        return self.previous


def timeline(base_ms=DEFAULT_BASE_MS, multiplier=DEFAULT_MULTIPLIER, max_attempts=DEFAULT_MAX_ATTEMPTS,
             cap_ms=DEFAULT_CAP_MS, jitter="none", down_ms=None, attempt_ms=0, seed=1) -> dict:
    """One client calls a dependency that is down until `down_ms` (None: never recovers).

    An attempt that starts at or after `down_ms` succeeds; earlier ones fail after `attempt_ms`.
    Returns the attempts, each with its start, outcome and the wait that followed it.
    """
    backoff = Backoff(jitter, base_ms, cap_ms, multiplier, random.Random(seed))
    attempts, t = [], 0.0
    for n in range(1, max_attempts + 1):
        ok = down_ms is not None and t >= down_ms
        last = ok or n == max_attempts
        wait = None if last else backoff.sleep(n - 1)
        attempts.append({"attempt": n, "start_ms": _round(t), "outcome": "success" if ok else "fail",
                         "wait_ms": None if wait is None else _round(wait),
                         "wait_range_ms": None if wait is None else [_round(b) for b in backoff.bounds]})
        if last:
            break
        t += attempt_ms + wait
    final = attempts[-1]
    return {
        "attempts": attempts,
        "gave_up": final["outcome"] == "fail",
        "finished_ms": _round(final["start_ms"] + attempt_ms),
        "total_wait_ms": _round(sum(a["wait_ms"] or 0 for a in attempts)),
    }


def storm(clients=1000, outage_ms=1000, base_ms=DEFAULT_BASE_MS, multiplier=DEFAULT_MULTIPLIER,
          cap_ms=DEFAULT_CAP_MS, max_attempts=DEFAULT_MAX_ATTEMPTS, jitter="full", seed=1) -> dict:
    """`clients` callers lose a dependency at t = 0 and all retry with the same policy.

    The dependency fails every call that arrives before `outage_ms` and answers every later one.
    Runs the policy without jitter and with `jitter` on the same clients, and counts arrivals at the
    dependency per STORM_BUCKET_MS bucket. Cost: clients x max_attempts per strategy.
    """
    strategies = ["none"] if jitter == "none" else ["none", jitter]
    runs = {name: _storm_run(name, clients, outage_ms, base_ms, multiplier, cap_ms, max_attempts,
                             seed)
            for name in strategies}
    horizon = max(r["finished_ms"] for r in runs.values())
    n_buckets = int(horizon // STORM_BUCKET_MS) + 1
    out = {}
    for name, r in runs.items():
        counts = [r["buckets"].get(i, 0) for i in range(n_buckets)]
        out[name] = {"peak_per_bucket": max(counts),
                     "peak_retries_per_bucket": max(r["retry_buckets"].values(), default=0),
                     "total_calls": r["calls"],
                     "finished_ms": _round(r["finished_ms"]), "gave_up": r["gave_up"],
                     "per_bucket": counts}
    return {"bucket_ms": STORM_BUCKET_MS, "strategies": out}


def _storm_run(jitter, clients, outage_ms, base_ms, multiplier, cap_ms, max_attempts, seed):
    rng = random.Random(f"{seed}-{jitter}")
    rnd = rng.random
    # Without jitter every client follows the same schedule: run it once and count it `clients` times.
    runs, weight = (1, clients) if jitter == "none" else (clients, 1)
    # Backoff.sleep written out (the hot loop: up to clients x max_attempts sleeps), with the same
    # draws from the same stream: uniform(a, b) is a + (b - a) x random(), so full jitter is
    # v x random() and equal jitter v/2 + v/2 x random(); the ceilings are Backoff's own.
    ceilings = [Backoff(jitter, base_ms, cap_ms, multiplier, rng).ceiling(n) for n in range(max_attempts)]
    full, equal, decorrelated = jitter == "full", jitter == "equal", jitter == "decorrelated"
    retry_buckets_of: list[int] = []  # the STORM_BUCKET_MS bucket of every retry
    append = retry_buckets_of.append
    gave_up = 0
    finished = 0.0
    for _ in range(runs):
        previous = base_ms  # decorrelated jitter grows from the client's last sleep
        t = 0.0
        for n in range(max_attempts):  # n: retries so far
            if n:
                append(int(t // STORM_BUCKET_MS))
            if t >= outage_ms:
                break
            if n == max_attempts - 1:
                gave_up += 1
                break
            if full:
                t += ceilings[n] * rnd()
            elif equal:
                t += ceilings[n] / 2 + ceilings[n] / 2 * rnd()
            elif decorrelated:
                previous = min(cap_ms, base_ms + (3 * previous - base_ms) * rnd())
                t += previous
            else:
                t += ceilings[n]
        finished = max(finished, t)
    retry_buckets = Counter(retry_buckets_of)
    if weight > 1:
        retry_buckets = Counter({k: v * weight for k, v in retry_buckets.items()})
    buckets = retry_buckets.copy()
    buckets[0] += clients  # the first wave: every client's first call fails at t = 0
    return {"buckets": buckets, "retry_buckets": retry_buckets,
            "calls": clients + len(retry_buckets_of) * weight, "gave_up": gave_up * weight,
            "finished_ms": finished}


def _round(x: float) -> float:
    """Milliseconds to 0.1 ms: enough for a chart, and stable in stored outputs."""
    return round(x, 1) if x != int(x) else int(x)
