"""Cascading failure: C calls A, A calls B, B turns slow. Does a breaker in A save A (and C)?

A serves C's requests with a fixed pool of `pool` threads and an unbounded FIFO queue in front of
it. Each request holds a thread for A's own work (A_WORK_MS) plus its call to B. B normally answers
in Exp(B_MEAN_MS); during its slow period it does not answer at all, so A's call ends at A's
timeout. With a breaker in A (the CircuitBreaker from webapp.sims.breaker wrapping A's handler),
calls that the breaker rejects take only A_WORK_MS and never reach B.

The same arrivals and the same B latencies (drawn per request index) feed both runs. Cost:
rate x duration_s requests per run.

Little's law (L = lambda x W) is the check: threads busy = arrival rate x the time each call holds
a thread, until that product exceeds the pool; then the pool is full, throughput is capped at
pool / hold, and the rest waits in the queue.

A breaker only learns from calls that have finished. With a 30 s timeout, the first failure
reaches it 30 s after B slows down: by then the pool is already full (it fills in pool / rate
seconds). The breaker shortens the saturation from (slow period + timeout) to about one timeout; a
short timeout is what bounds the peak. The simulation shows both.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque

from webapp.sims.stats import percentile

from webapp.sims.breaker import (CLOSED, HALF_OPEN, OPEN, SEED_FAILURE_THRESHOLD, SEED_OPEN_MS,
                                 SEED_PROBE_SUCCESSES, SEED_PROBES, BreakerConfig, CircuitBreaker,
                                 config_to_dict, poisson_arrivals)

A_WORK_MS = 5  # A's own handling time per request (parse, fallback, respond)
B_MEAN_MS = 50  # B's normal latency: exponential with this mean
BUCKET_MS = 1000  # series resolution
RUNS = ("without", "with")


def cascade(rate=20, pool=200, slow_start_s=10, slow_s=90, timeout_ms=30_000, runs=RUNS,
            failure_threshold=SEED_FAILURE_THRESHOLD, open_s=SEED_OPEN_MS // 1000,
            probes=SEED_PROBES, probe_successes=SEED_PROBE_SUCCESSES, duration_s=160,
            seed=1) -> dict:
    """Run the C -> A -> B story without and/or with a breaker in A, on the same traffic."""
    unknown = set(runs) - set(RUNS)
    if unknown or not runs:
        raise ValueError(f"runs must be a non-empty subset of {RUNS}")
    config, notes = BreakerConfig.clamped(failure_threshold=failure_threshold,
                                          open_ms=open_s * 1000, probes=probes,
                                          probe_successes=probe_successes)
    horizon = duration_s * 1000
    slow = (slow_start_s * 1000, (slow_start_s + slow_s) * 1000)
    arrivals = poisson_arrivals(rate, horizon, random.Random(f"cascade/{seed}/arrivals"))
    # B's latency for each request: random.expovariate(1 / B_MEAN_MS), inlined (the same draws)
    u, log, lambd = random.Random(f"cascade/{seed}/latency").random, math.log, 1 / B_MEAN_MS
    b_latency = [-log(1.0 - u()) / lambd for _ in arrivals]
    out = {}
    for name in RUNS:
        if name in runs:
            out[name] = _run(arrivals, b_latency, pool, slow, timeout_ms, horizon,
                             config if name == "with" else None)
    return {
        "runs": out,
        "littles_law": _littles_law(rate, pool, slow, timeout_ms, out),
        "slow": {"start_ms": slow[0], "end_ms": slow[1]},
        "horizon_ms": horizon,
        "bucket_ms": BUCKET_MS,
        "t_s": list(range(math.ceil(horizon / BUCKET_MS))),
        "config": config_to_dict(config),
        "notes": notes,
    }


def _run(arrivals, b_latency, pool, slow, timeout_ms, horizon, config) -> dict:
    """One run. Events: arrivals (sorted) and thread releases (heap), releases first on ties.

    One loop, one event per turn: integrate the busy threads up to the event's time, handle a
    release or an arrival, then start at most one request (the queued one the release frees a
    thread for, or the arrival). All of it is written out in the loop, with the current bucket
    kept up to date as time moves on, rather than in helper functions that recompute it: the
    calls cost more than the work.
    """
    n_buckets = math.ceil(horizon / BUCKET_MS)
    last_bucket = n_buckets - 1
    busy_area = [0.0] * n_buckets  # integral of busy threads over each bucket, in thread-ms
    busy_max = [0] * n_buckets
    queue_max = [0] * n_buckets
    reached_b = [0] * n_buckets
    latencies = [[] for _ in range(n_buckets)]  # C's latency, by completion bucket
    fast_fail = [0] * n_buckets
    errors = [0] * n_buckets
    hold_sum = [0.0] * n_buckets  # thread-ms of the requests that got a thread in each bucket
    full_ms = 0.0  # time with every thread busy
    quiet_ms = quiet_area = 0.0  # breaker OPEN and no call to B in flight (see _littles_law)
    cb = CircuitBreaker(config) if config else None
    acquire, record = (cb.acquire, cb.record) if cb else (None, None)
    n = len(arrivals)
    started_at = [0.0] * n  # request -> when it got a thread ...
    started_in = [0] * n  # ... and that time's bucket
    outcome = [None] * n  # request -> "ok", "error" or "fast_fail", decided when it starts
    tokens = [None] * n  # request -> its breaker token
    queue: deque = deque()
    releases: list = []  # heap of (t_release, i): requests finish in that order
    push, pop = heapq.heappush, heapq.heappop
    slow_start, slow_end = slow
    busy = b_inflight = 0
    last_t = 0.0
    k, k_end = 0, BUCKET_MS  # the bucket of the latest event (at most the last), and its end
    next_arrival = 0
    due = arrivals[0] if n else horizon  # the next arrival; after the last one, the horizon

    while True:
        # The next event: a release due by `due` (releases first on ties), else the next
        # arrival, else the end.
        if releases and releases[0][0] <= due:
            t, i = pop(releases)
            kind = outcome[i]
        elif next_arrival < n:
            t, i, kind = due, next_arrival, None
            next_arrival += 1
            due = arrivals[next_arrival] if next_arrival < n else horizon
        else:
            t, kind = horizon, "end"

        # Integrate `busy` from last_t (in bucket k) to t into the buckets.
        dt = t - last_t
        if dt > 0:
            # The timer may move OPEN to HALF_OPEN with no event: hence the open_until bound.
            if cb is not None and b_inflight == 0 and cb.state == OPEN and t <= cb.open_until:
                quiet_ms += dt
                quiet_area += busy * dt
            if busy >= pool:
                full_ms += dt
            if busy:
                if t <= k_end:  # the usual case: most gaps are shorter than a bucket
                    busy_area[k] += busy * dt
                else:
                    a, kk, end = last_t, k, k_end
                    while a < t:
                        b = t if t < end else end
                        busy_area[kk] += busy * (b - a)
                        a, kk, end = b, kk + 1, end + BUCKET_MS
            last_t = t
            while t >= k_end and k < last_bucket:
                k += 1
                k_end += BUCKET_MS

        if kind is None:  # an arrival: a free thread takes it, else it queues
            if busy >= pool:
                queue.append(i)
                if len(queue) > queue_max[k]:
                    queue_max[k] = len(queue)
                continue
        elif kind == "end":
            break
        else:  # a release: the request is done, and its thread takes the next queued one
            if kind != "fast_fail":
                b_inflight -= 1
                if cb:
                    ok = kind == "ok"
                    record(t, ok, tokens[i], None if ok else "timeout")
                if kind == "error":
                    errors[k] += 1
            else:
                fast_fail[k] += 1
            busy -= 1
            hold_sum[started_in[i]] += t - started_at[i]
            latencies[k].append(t - arrivals[i])
            if not queue:
                continue
            i = queue.popleft()

        # A thread picks up request i at t: ask the breaker, call B or fail fast.
        busy += 1
        started_at[i] = t
        started_in[i] = k
        if busy > busy_max[k]:
            busy_max[k] = busy
        if cb:
            token = tokens[i] = acquire(t)
            if token is None:
                outcome[i] = "fast_fail"
                push(releases, (t + A_WORK_MS, i))
                continue
        reached_b[k] += 1
        b_inflight += 1
        if slow_start <= t < slow_end:  # B does not answer: the call ends at A's timeout
            outcome[i] = "error"
            push(releases, (t + timeout_ms + A_WORK_MS, i))
        elif b_latency[i] <= timeout_ms:
            outcome[i] = "ok"
            push(releases, (t + b_latency[i] + A_WORK_MS, i))
        else:
            outcome[i] = "error"
            push(releases, (t + timeout_ms + A_WORK_MS, i))
    if cb:
        cb.advance(horizon)

    all_latencies = [x for bucket in latencies for x in bucket]
    n_error, n_fast_fail = sum(errors), sum(fast_fail)
    totals = {"requests": n, "ok": len(all_latencies) - n_error - n_fast_fail, "error": n_error,
              "fast_fail": n_fast_fail, "reached_b": sum(reached_b)}
    full = {"ms": full_ms}
    quiet = {"ms": quiet_ms, "area": quiet_area}

    series = {
        "busy_avg": [_round(a / BUCKET_MS) for a in busy_area],
        "busy_max": busy_max,
        "queue_max": queue_max,
        "reached_b": reached_b,
        "completed": [len(x) for x in latencies],
        "fast_fail": fast_fail,
        "errors": errors,
        "c_p50_ms": [_q(sorted(x), 50) for x in latencies],
        "c_p99_ms": [_q(sorted(x), 99) for x in latencies],
        # Little's law check: over a steady stretch, mean busy = sum(hold_sum_ms) / stretch length
        # (calls still holding a thread at the horizon are left out).
        "hold_sum_ms": [_round(x) for x in hold_sum],
    }
    all_latencies.sort()
    result = {
        "breaker": cb is not None,
        "series": series,
        "totals": {
            **totals,
            "unfinished": len(queue) + len(releases),
            "peak_busy": max(busy_max),
            "saturated_s": _round(full["ms"] / 1000),
            "peak_queue": max(queue_max),
            "c_p50_ms": _q(all_latencies, 50),
            "c_p99_ms": _q(all_latencies, 99),
            "c_max_ms": _round(all_latencies[-1]) if all_latencies else None,
        },
        "_quiet": quiet,
    }
    if cb:
        result["transitions"] = cb.transitions
        result["intervals"] = cb.intervals(horizon)
        result["edges"] = cb.edge_counts()
        result["totals"]["reached_b_while_open"] = cb.admitted_in[OPEN]
        result["totals"]["test_requests"] = cb.admitted_in[HALF_OPEN]
        trips = [tr["t_ms"] for tr in cb.transitions if tr["from"] == CLOSED]
        result["totals"]["first_trip_ms"] = trips[0] if trips else None
    return result


def _q(ordered, p):
    """The p-th percentile of a sorted list (stats.percentile), rounded to 0.1 ms; None for no data."""
    value = percentile(ordered, p)
    return None if value is None else _round(value)


def _littles_law(rate, pool, slow, timeout_ms, runs) -> dict:
    """Busy threads predicted from the parameters, beside the simulated plateau of each regime."""
    lam = rate / 1000  # requests per ms
    # E[min(X, T)] for X ~ Exp(mean m): m (1 - e^(-T/m)). The timeout cuts the rare slow answer.
    normal_hold = A_WORK_MS + B_MEAN_MS * (1 - math.exp(-timeout_ms / B_MEAN_MS))
    slow_hold = A_WORK_MS + timeout_ms
    demand = lam * slow_hold
    fill_ms = pool / lam if demand > pool else slow_hold  # time to reach the plateau
    out = {
        "normal": {
            "rate_per_s": rate, "hold_ms": _round(normal_hold),
            "busy": _round(lam * normal_hold),
            "stretch_ms": [0, slow[0]],
        },
        "slow_without_breaker": {
            "rate_per_s": rate, "hold_ms": _round(slow_hold),
            "demand": _round(demand),  # threads the traffic would need
            "busy": _round(min(pool, demand)),
            "pool": pool,
            "saturates": demand >= pool,
            "fill_s": _round(fill_ms / 1000),
            "throughput_cap_per_s": _round(pool / slow_hold * 1000),
            "queue_growth_per_s": _round(max(0.0, rate - pool / slow_hold * 1000)),
            "stretch_ms": [_round(slow[0] + fill_ms + BUCKET_MS), slow[1]],
        },
        "breaker_open": {
            "rate_per_s": rate, "hold_ms": A_WORK_MS,
            "busy": _round(lam * A_WORK_MS),
        },
    }
    if "without" in runs:
        run = runs["without"]
        for key in ("normal", "slow_without_breaker"):
            a, b = out[key]["stretch_ms"]
            out[key]["simulated"] = _mean_busy(run["series"]["busy_avg"], a, b)
    if "with" in runs:
        quiet = runs["with"]["_quiet"]
        out["breaker_open"]["simulated"] = (_round(quiet["area"] / quiet["ms"])
                                            if quiet["ms"] > 0 else None)
        out["breaker_open"]["stretch_ms_total"] = _round(quiet["ms"])
    for run in runs.values():
        run.pop("_quiet", None)
    return out


def _mean_busy(busy_avg, a_ms, b_ms):
    """Mean of the whole buckets inside [a_ms, b_ms); None if there are none."""
    first, last = math.ceil(a_ms / BUCKET_MS), min(int(b_ms // BUCKET_MS), len(busy_avg))
    if last <= first:
        return None
    return _round(sum(busy_avg[first:last]) / (last - first))


def _round(x: float) -> float:
    """Milliseconds (or threads) to 0.1: enough for a chart, and stable in stored outputs."""
    x = round(x, 1)
    return int(x) if x == int(x) else x
