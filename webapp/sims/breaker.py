"""Circuit breaker: a reusable state machine, a seeded timeline, and a click-through replay.

`CircuitBreaker` knows nothing about any simulation loop: a caller asks it for permission before a
call (`acquire` / `allow`) and reports each result (`record`). Every transition is logged with its
time and reason. Two trip policies:

- "consecutive": trip after N failures in a row (the seed text: 5 failures, open 30 s, 3 test
  requests, close when 2 of them succeed).
- "rate": trip when failures / calls >= threshold over a sliding window (last N seconds, in
  WINDOW_BUCKETS buckets, or last N calls), once the window holds at least `min_calls` calls.
  This is how Hystrix, resilience4j and Polly v8 decide (see LIBRARY_CONFIGS).

Choices made explicit because users of breaker libraries keep asking about them:
- OPEN -> HALF_OPEN: `half_open_on="timer"` fires at exactly opened + open_ms (like resilience4j
  with automaticTransitionFromOpenToHalfOpenEnabled); `"call"` waits for the first call after the
  wait (Hystrix, Polly v8, resilience4j's default). Which requests get through is the same either
  way; what differs is the reported state and the time of the transition when traffic is sparse.
- The call that trips the breaker was already executed: its own failure goes back to its caller
  and the breaker opens right after recording it. Calls already in flight finish normally; their
  results arrive while OPEN and are ignored (as in Polly and resilience4j), so they neither extend
  nor shorten the open period.
- Results are tagged with the transition count ("epoch") at admission, so a late result from an
  earlier state never counts as a half-open test result (libraries differ here; this is the safe
  reading). A half-open test request that never returns would hold HALF_OPEN forever (Polly v8,
  resilience4j with maxWaitDurationInHalfOpenState = 0): the simulations here give every call a
  timeout, so a hung test request comes back as a failure after the timeout.

Pure Python, seeded, standard library only.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections import Counter, deque
from dataclasses import asdict, dataclass

CLOSED, OPEN, HALF_OPEN = "CLOSED", "OPEN", "HALF_OPEN"
STATES = (CLOSED, OPEN, HALF_OPEN)
# The only edges a breaker may take. CLOSED never goes straight to HALF_OPEN, OPEN never closes
# without a test.
LEGAL_EDGES = ((CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, OPEN), (HALF_OPEN, CLOSED))

POLICIES = ("consecutive", "rate")
WINDOW_KINDS = ("time", "count")
HALF_OPEN_ON = ("timer", "call")
HALF_OPEN_DECISIONS = ("early", "all")
# Hystrix (10 buckets of 1 s) and Polly v8 (10 windows of SamplingDuration / 10) both roll their
# time windows in ten steps; resilience4j's time window uses 1 s buckets.
WINDOW_BUCKETS = 10

# Seed defaults: trip after 5 consecutive failures, open 30 s, 3 test requests, close on 2 of 3.
SEED_FAILURE_THRESHOLD = 5
SEED_OPEN_MS = 30_000
SEED_PROBES = 3
SEED_PROBE_SUCCESSES = 2


@dataclass(frozen=True)
class BreakerConfig:
    """Everything that decides a breaker's behaviour. Times in milliseconds."""

    policy: str = "consecutive"
    failure_threshold: int = SEED_FAILURE_THRESHOLD  # "consecutive": failures in a row to trip
    rate_threshold: float = 50.0  # "rate": trip when failure % >= this ...
    min_calls: int = 20  # ... and the window holds at least this many calls
    window_kind: str = "time"  # "time": last window_ms; "count": last window_calls calls
    window_ms: float = 10_000
    window_calls: int = 100
    open_ms: float = SEED_OPEN_MS
    probes: int = SEED_PROBES  # test requests admitted in HALF_OPEN; the rest fail fast
    probe_successes: int = SEED_PROBE_SUCCESSES  # close once this many test requests succeed
    # "early": decide as soon as the outcome is certain (the seed: close on the 2nd success, re-open
    # once 2 successes are out of reach); "all": wait for every test result (resilience4j).
    half_open_decision: str = "early"
    half_open_on: str = "timer"

    def __post_init__(self):
        for name, value, allowed in (("policy", self.policy, POLICIES),
                                     ("window_kind", self.window_kind, WINDOW_KINDS),
                                     ("half_open_on", self.half_open_on, HALF_OPEN_ON),
                                     ("half_open_decision", self.half_open_decision,
                                      HALF_OPEN_DECISIONS)):
            if value not in allowed:
                raise ValueError(f"{name}={value!r}; expected one of {allowed}")
        if self.failure_threshold < 1 or self.min_calls < 1 or self.window_calls < 1:
            raise ValueError("failure_threshold, min_calls and window_calls must be at least 1")
        if not 0 < self.rate_threshold <= 100:
            raise ValueError("rate_threshold is a percentage in (0, 100]")
        if self.open_ms <= 0 or self.window_ms <= 0:
            raise ValueError("open_ms and window_ms must be positive")
        if not 1 <= self.probe_successes <= self.probes:
            raise ValueError("need 1 <= probe_successes <= probes")

    @classmethod
    def clamped(cls, **kwargs) -> tuple["BreakerConfig", list[str]]:
        """Build a config from independently validated demo parameters, fixing combinations
        that cannot work and saying what was changed (for the page to show)."""
        notes = []
        if kwargs.get("probe_successes", SEED_PROBE_SUCCESSES) > kwargs.get("probes", SEED_PROBES):
            kwargs["probe_successes"] = kwargs["probes"]
            notes.append(f"Successes to close lowered to {kwargs['probes']}: it cannot exceed the "
                         "number of test requests.")
        if (kwargs.get("policy") == "rate" and kwargs.get("window_kind") == "count"
                and kwargs.get("min_calls", 20) > kwargs.get("window_calls", 100)):
            # resilience4j does the same: a count window can never hold more calls than its size.
            kwargs["min_calls"] = kwargs["window_calls"]
            notes.append(f"Minimum calls lowered to the window size ({kwargs['window_calls']}).")
        return cls(**kwargs), notes


# Library defaults (see the lesson and shared notes). Sources: Hystrix HystrixCircuitBreakerImpl
# 1.5 (volume 20, 50 %, rolling 10 s, sleep window 5 s, one test request, state moves on the next
# call); resilience4j CircuitBreakerConfig (count window 100, minimum 100 calls, 50 %, 60 s open,
# 10 test requests judged together: close when their failure rate < 50 %, i.e. >= 6 succeed);
# Polly v8 CircuitBreakerStrategyOptions (FailureRatio 0.1, MinimumThroughput 100,
# SamplingDuration 30 s, BreakDuration 5 s, one test request).
LIBRARY_CONFIGS = {
    "seed": BreakerConfig(),
    "hystrix": BreakerConfig(policy="rate", rate_threshold=50, min_calls=20, window_kind="time",
                             window_ms=10_000, open_ms=5_000, probes=1, probe_successes=1,
                             half_open_on="call"),
    "resilience4j": BreakerConfig(policy="rate", rate_threshold=50, min_calls=100,
                                  window_kind="count", window_calls=100, open_ms=60_000,
                                  probes=10, probe_successes=6, half_open_decision="all",
                                  half_open_on="call"),
    "polly": BreakerConfig(policy="rate", rate_threshold=10, min_calls=100, window_kind="time",
                           window_ms=30_000, open_ms=5_000, probes=1, probe_successes=1,
                           half_open_on="call"),
}


class CircuitBreaker:
    """A circuit breaker driven by the caller's clock (milliseconds, never going backwards).

    Use: `token = cb.acquire(t)`; None means rejected (fail fast, the dependency never sees the
    call). Otherwise make the call and later `cb.record(t_done, ok, token)`. `allow(t)` is
    `acquire(t) is not None` for callers that don't keep tokens (their results then count for the
    state current when they are recorded).
    """

    def __init__(self, config: BreakerConfig = BreakerConfig(), start_ms: float = 0.0):
        self.config = config
        self.state = CLOSED
        self.now = start_ms
        self.since_ms = start_ms  # when the current state began
        self.epoch = 0  # number of transitions so far; tags each admitted call
        self.transitions: list[dict] = []
        self.open_until = math.inf
        # CLOSED bookkeeping
        self.consecutive = 0
        self._count_window: deque = deque()  # bools (True = failure), for window_kind "count"
        self._buckets: deque = deque()  # [bucket index, calls, failures], for window_kind "time"
        self.window_total = self.window_failures = 0
        # HALF_OPEN bookkeeping
        self.probes_admitted = self.probe_ok = self.probe_failed = 0
        # Lifetime totals
        self.admitted = self.rejected = self.ignored = 0
        self.admitted_in = Counter()  # state -> calls admitted in it (OPEN must stay 0)
        self.max_probes_admitted = 0

    # ---- the caller's interface --------------------------------------------------------------
    def acquire(self, t_ms: float) -> int | None:
        """Ask to make a call at t_ms. Returns a token (the epoch) or None when rejected."""
        # The two common cases first, in short (simulations call this for every request): CLOSED
        # admits; OPEN before its timer rejects. Both only move the clock.
        if t_ms >= self.now:
            if self.state == CLOSED:
                self.now = t_ms
                self.admitted += 1
                self.admitted_in[CLOSED] += 1
                return self.epoch
            if self.state == OPEN and t_ms < self.open_until:
                self.now = t_ms
                self.rejected += 1
                return None
        self._tick(t_ms)
        if self.state == OPEN and t_ms >= self.open_until:  # half_open_on="call"
            self._go(HALF_OPEN, t_ms, f"first call after {_secs(self.config.open_ms)} open")
        if self.state == OPEN or (self.state == HALF_OPEN
                                  and self.probes_admitted >= self.config.probes):
            self.rejected += 1
            return None
        if self.state == HALF_OPEN:
            self.probes_admitted += 1
            self.max_probes_admitted = max(self.max_probes_admitted, self.probes_admitted)
        self.admitted += 1
        self.admitted_in[self.state] += 1
        return self.epoch

    def allow(self, t_ms: float) -> bool:
        return self.acquire(t_ms) is not None

    def record(self, t_ms: float, success: bool, token: int | None = None,
               cause: str | None = None) -> bool:
        """Report a finished call. `cause` ("error", "timeout") only words the reason text.

        Returns False when the result was ignored: it belongs to an earlier state (stale token) or
        arrived while OPEN from a call admitted before the trip.
        """
        if self.state == CLOSED and t_ms >= self.now:  # _tick, in short: no timer to fire
            self.now = t_ms
        else:
            self._tick(t_ms)
        if (token is not None and token != self.epoch) or self.state == OPEN:
            self.ignored += 1
            return False
        if self.state == HALF_OPEN:
            self._record_probe(t_ms, success, _what(success, cause))
        elif self.config.policy == "consecutive":
            self.consecutive = 0 if success else self.consecutive + 1
            if self.consecutive >= self.config.failure_threshold:
                self._go(OPEN, t_ms, f"{self.consecutive} consecutive failures "
                                     f"(last: {_what(success, cause)})")
        else:
            self._window_add(t_ms, not success)
            # Checked on failures only (Polly v8); resilience4j also checks after a success,
            # which differs only when that success is the call that fills the minimum.
            if not success and self._rate_exceeded():
                pct = 100 * self.window_failures / self.window_total
                limit = _num(self.config.rate_threshold)
                self._go(OPEN, t_ms, f"failure rate {pct:.0f}% >= {limit}% over "
                                     f"{self.window_total} calls (last: {_what(success, cause)})")
        return True

    def advance(self, t_ms: float) -> None:
        """Let time pass with no call (fires the OPEN timer in half_open_on="timer")."""
        self._tick(t_ms)

    # ---- reading the state (pure) ------------------------------------------------------------
    def state_at(self, t_ms: float) -> str:
        """The state at t_ms: from the log for the past, including a timer due by t_ms."""
        if t_ms < self.now:
            times = [tr["t_ms"] for tr in self.transitions]
            i = bisect.bisect_right(times, t_ms)
            return self.transitions[i - 1]["to"] if i else CLOSED
        if self.state == OPEN and self.config.half_open_on == "timer" and t_ms >= self.open_until:
            return HALF_OPEN
        return self.state

    def would_admit(self, t_ms: float) -> bool:
        """Would a call at t_ms get through? (No side effects.)"""
        state = self.state_at(max(t_ms, self.now))
        if state == OPEN:
            return t_ms >= self.open_until
        if state == HALF_OPEN:
            fresh = self.state == OPEN  # the timer is due but has not run yet
            return fresh or self.probes_admitted < self.config.probes
        return True

    def counters(self) -> dict:
        c = self.config
        return {
            "state": self.state,
            "since_ms": _round(self.since_ms),
            "consecutive_failures": self.consecutive,
            "failure_threshold": c.failure_threshold,
            "window_calls": self.window_total,
            "window_failures": self.window_failures,
            "failure_rate_pct": (None if not self.window_total
                                 else _round(100 * self.window_failures / self.window_total)),
            "open_until_ms": None if self.state != OPEN else _round(self.open_until),
            "probes_admitted": self.probes_admitted if self.state == HALF_OPEN else 0,
            "probe_successes": self.probe_ok if self.state == HALF_OPEN else 0,
            "probe_failures": self.probe_failed if self.state == HALF_OPEN else 0,
            "probes": c.probes,
            "probes_needed": c.probe_successes,
            "admitted": self.admitted,
            "rejected": self.rejected,
            "ignored_results": self.ignored,
        }

    def edge_counts(self) -> dict:
        """How many times each legal edge fired, keyed "FROM->TO" (all four keys present)."""
        counts = {f"{a}->{b}": 0 for a, b in LEGAL_EDGES}
        for tr in self.transitions:
            counts[f"{tr['from']}->{tr['to']}"] += 1
        return counts

    def intervals(self, end_ms: float, start_ms: float = 0.0) -> list[dict]:
        """The state as consecutive [start, end) intervals up to end_ms, for a coloured band."""
        out, state, start = [], CLOSED, start_ms
        for tr in self.transitions:
            if tr["t_ms"] > end_ms:
                break
            if tr["t_ms"] > start:
                out.append({"state": state, "start_ms": _round(start), "end_ms": tr["t_ms"]})
            state, start = tr["to"], tr["t_ms"]
        if end_ms > start or not out:
            out.append({"state": state, "start_ms": _round(start), "end_ms": _round(end_ms)})
        return out

    # ---- internals ---------------------------------------------------------------------------
    def _tick(self, t_ms: float) -> None:
        if t_ms < self.now:
            raise ValueError(f"time went backwards: {t_ms} < {self.now}")
        if self.state == OPEN and self.config.half_open_on == "timer" and t_ms >= self.open_until:
            # The timer fired at open_until, whatever happened since.
            self._go(HALF_OPEN, self.open_until, f"timer: open for {_secs(self.config.open_ms)}")
        self.now = t_ms

    def _go(self, to: str, t_ms: float, reason: str) -> None:
        frm = self.state
        assert (frm, to) in LEGAL_EDGES, (frm, to)
        self.transitions.append({"t_ms": _round(t_ms), "from": frm, "to": to, "reason": reason})
        self.state, self.since_ms, self.epoch = to, t_ms, self.epoch + 1
        if to == OPEN:
            self.open_until = t_ms + self.config.open_ms
        else:
            self.open_until = math.inf
        if to == HALF_OPEN:
            self.probes_admitted = self.probe_ok = self.probe_failed = 0
        if to == CLOSED:  # every library starts the closed state with empty statistics
            self.consecutive = self.window_total = self.window_failures = 0
            self._count_window.clear()
            self._buckets.clear()

    def _record_probe(self, t_ms: float, success: bool, what: str) -> None:
        c = self.config
        if success:
            self.probe_ok += 1
        else:
            self.probe_failed += 1
        done = self.probe_ok + self.probe_failed
        of = f"{self.probe_ok} of {c.probes} test requests succeeded"
        if c.half_open_decision == "early" or done >= c.probes:
            if self.probe_ok >= c.probe_successes:
                self._go(CLOSED, t_ms, of)
            elif self.probe_failed > c.probes - c.probe_successes:
                why = (f"test request failed ({what})" if c.probes == 1 else
                       f"{self.probe_failed} test requests failed (last: {what}): "
                       f"{c.probe_successes} successes out of reach" if done < c.probes else
                       f"only {of}, {c.probe_successes} needed (last: {what})")
                self._go(OPEN, t_ms, why)

    def _window_add(self, t_ms: float, failed: bool) -> None:
        c = self.config
        if c.window_kind == "count":
            self._count_window.append(failed)
            self.window_total += 1
            self.window_failures += failed
            if len(self._count_window) > c.window_calls:
                old = self._count_window.popleft()
                self.window_total -= 1
                self.window_failures -= old
            return
        bucket_ms = c.window_ms / WINDOW_BUCKETS
        idx = int(t_ms // bucket_ms)
        buckets = self._buckets
        while buckets and buckets[0][0] <= idx - WINDOW_BUCKETS:
            _, calls, fails = buckets.popleft()
            self.window_total -= calls
            self.window_failures -= fails
        if not buckets or buckets[-1][0] != idx:
            buckets.append([idx, 0, 0])
        buckets[-1][1] += 1
        buckets[-1][2] += failed
        self.window_total += 1
        self.window_failures += failed

    def _rate_exceeded(self) -> bool:
        c = self.config
        return (self.window_total >= c.min_calls
                and 100 * self.window_failures >= c.rate_threshold * self.window_total)


# ==== Demo "breaker-timeline" =====================================================================

# A healthy dependency answers in 10 ms + an exponential part (mean 50 ms in all).
LATENCY_FLOOR_MS = 10
LATENCY_MEAN_MS = 50
# A failing dependency that "errors fast" answers with an error after this long.
ERROR_MS = 5
LOAD_BUCKET_MS = 1000


def breaker_timeline(rate=20, duration_s=90, outage_start_s=10, outage_s=45, error_pct=100,
                     failure_mode="error", timeout_ms=1000, policy="consecutive",
                     failure_threshold=SEED_FAILURE_THRESHOLD, rate_threshold=50, min_calls=20,
                     window_kind="time", window_s=10, window_calls=100,
                     open_s=SEED_OPEN_MS // 1000, probes=SEED_PROBES,
                     probe_successes=SEED_PROBE_SUCCESSES, half_open_decision="early",
                     half_open_on="timer", seed=1) -> dict:
    """A caller sends Poisson traffic through a breaker to a dependency that fails for a while.

    During [outage_start_s, outage_start_s + outage_s) (outage_s None: to the end) a share
    `error_pct` of calls fail: with an error after ERROR_MS ("error") or by hanging until the
    caller's timeout ("hang"). Healthy calls take LATENCY_FLOOR_MS + Exp, and time out too if
    slower than `timeout_ms`. Whether a call fails is decided when it starts. Each request's random
    draws depend only on (seed, its index), so two breaker settings see exactly the same traffic.
    Cost: rate x duration_s requests.
    """
    if failure_mode not in ("error", "hang"):
        raise ValueError(f"failure_mode={failure_mode!r}; expected 'error' or 'hang'")
    config, notes = BreakerConfig.clamped(
        policy=policy, failure_threshold=failure_threshold, rate_threshold=rate_threshold,
        min_calls=min_calls, window_kind=window_kind, window_ms=window_s * 1000,
        window_calls=window_calls, open_ms=open_s * 1000, probes=probes,
        probe_successes=probe_successes, half_open_decision=half_open_decision,
        half_open_on=half_open_on)
    horizon = duration_s * 1000
    out_start = outage_start_s * 1000
    out_end = math.inf if outage_s is None else (outage_start_s + outage_s) * 1000
    arrivals = poisson_arrivals(rate, horizon, random.Random(f"breaker-timeline/{seed}/arrivals"))
    draws = random.Random(f"breaker-timeline/{seed}/calls")
    cb = CircuitBreaker(config)
    n_buckets = max(1, math.ceil(horizon / LOAD_BUCKET_MS))
    rejected, success, failure = [0] * n_buckets, [0] * n_buckets, [0] * n_buckets
    n_error = 0  # failures by error (the other failures are timeouts)
    b, b_end = 0, LOAD_BUCKET_MS  # the load bucket of the request's (rounded) time, and its end
    # Each request's two draws, in order: whether it fails (if the dependency is failing), then
    # its latency (expovariate inlined: the same expression, the same draws). Drawn, and the times
    # rounded, for all requests up front: list comprehensions and map() cost less than the loop.
    u, log, lambd = draws.random, math.log, 1 / (LATENCY_MEAN_MS - LATENCY_FLOOR_MS)
    uniforms = [u() for _ in range(2 * len(arrivals))]
    u_fails = uniforms[0::2]
    latencies = [LATENCY_FLOOR_MS + -log(1.0 - x) / lambd for x in uniforms[1::2]]
    arrivals_ms, latencies_ms = _round_all(arrivals), _round_all(latencies)
    # Then once per request, so: helpers hoisted, finished calls recorded in the loop, the load
    # counted as the requests are made (they come in time order: the bucket only moves on).
    acquire, record = cb.acquire, cb.record
    push, pop = heapq.heappush, heapq.heappop
    requests, pending = [], []  # pending: heap of (done_ms, index, success, cause, token)
    for i, t in enumerate(arrivals):
        while pending and pending[0][0] <= t:
            done, _, ok, cause, token = pop(pending)
            record(done, ok, token, cause)
        token = acquire(t)
        t_ms = arrivals_ms[i]
        while t_ms >= b_end and b < n_buckets - 1:
            b += 1
            b_end += LOAD_BUCKET_MS
        if token is None:
            requests.append({"t_ms": t_ms, "outcome": "rejected", "state": cb.state, "latency_ms": 0,
                             "cause": None})
            rejected[b] += 1
            continue
        failing = out_start <= t < out_end and u_fails[i] * 100 < error_pct
        if failing and failure_mode == "error":
            ok, took, cause = False, ERROR_MS, "error"
        elif failing or latencies[i] > timeout_ms:  # hangs, or merely slower than the timeout
            ok, took, cause = False, timeout_ms, "timeout"
        else:
            ok, took, cause = True, latencies[i], None
        requests.append({"t_ms": t_ms, "outcome": "success" if ok else "failure", "state": cb.state,
                         "latency_ms": latencies_ms[i] if ok else _round(took), "cause": cause})
        if ok:
            success[b] += 1
        else:
            failure[b] += 1
            n_error += cause == "error"
        push(pending, (t + took, i, ok, cause, token))
    while pending and pending[0][0] <= horizon:
        done, _, ok, cause, token = pop(pending)
        record(done, ok, token, cause)
    cb.advance(horizon)
    load = {"reached": [s + f for s, f in zip(success, failure)], "rejected": rejected,
            "success": success, "failure": failure}

    intervals = cb.intervals(horizon)
    time_in = Counter()
    for iv in intervals:
        time_in[iv["state"]] += iv["end_ms"] - iv["start_ms"]
    return {
        "transitions": cb.transitions,
        "requests": requests,
        "intervals": intervals,
        "load": {"bucket_ms": LOAD_BUCKET_MS, "t_s": list(range(n_buckets)), **load},
        "edges": cb.edge_counts(),
        "outage": {"start_ms": min(out_start, horizon), "end_ms": min(out_end, horizon),
                   "mode": failure_mode,
                   "error_pct": error_pct},
        "horizon_ms": horizon,
        "config": config_to_dict(config),
        "notes": notes,
        "totals": {
            "requests": len(requests),
            "success": sum(success),
            "failure": sum(failure),
            "failure_error": n_error,
            "failure_timeout": sum(failure) - n_error,
            "rejected": sum(rejected),
            "reached_dependency": cb.admitted,
            "reached_while_open": cb.admitted_in[OPEN],
            "test_requests": cb.admitted_in[HALF_OPEN],
            "max_test_requests_per_half_open": cb.max_probes_admitted,
            "trips": cb.edge_counts()[f"{CLOSED}->{OPEN}"],
            "ignored_results": cb.ignored,
            "in_flight_at_end": len(pending),
            "time_in_state_ms": {s: _round(time_in[s]) for s in STATES},
        },
    }


def timeline_params_for(config: BreakerConfig) -> dict:
    """The breaker-timeline parameter values that reproduce `config` (for presets)."""
    return {"policy": config.policy, "failure_threshold": config.failure_threshold,
            "rate_threshold": int(config.rate_threshold), "min_calls": config.min_calls,
            "window_kind": config.window_kind, "window_s": int(config.window_ms // 1000),
            "window_calls": config.window_calls, "open_s": int(config.open_ms // 1000),
            "probes": config.probes, "probe_successes": config.probe_successes,
            "half_open_decision": config.half_open_decision, "half_open_on": config.half_open_on}


# ==== Demo "breaker-step" =========================================================================

STEP_LETTERS = {"s": "request succeeds", "f": "request fails", "t": "request times out",
                "w": "wait"}
MAX_STEPS = 60
# A request the learner sends takes this long when it succeeds or fails; a timeout takes timeout_ms;
# a rejected request takes no time at all (that is the point of failing fast).
STEP_CALL_MS = 100


def replay(steps: str = "", failure_threshold=SEED_FAILURE_THRESHOLD, open_s=SEED_OPEN_MS // 1000,
           probes=SEED_PROBES, probe_successes=SEED_PROBE_SUCCESSES, half_open_decision="early",
           half_open_on="timer", wait_s=10, timeout_ms=1000) -> dict:
    """Replay a click-through session: one letter per click (see STEP_LETTERS), oldest first.

    s / f / t send one request whose fate the learner picked (if the breaker lets it through);
    w advances the clock by wait_s. Deterministic; "back" is simply steps[:-1].
    """
    steps = validate_steps(steps)
    config, notes = BreakerConfig.clamped(
        failure_threshold=failure_threshold, open_ms=open_s * 1000, probes=probes,
        probe_successes=probe_successes, half_open_decision=half_open_decision,
        half_open_on=half_open_on)
    cb = CircuitBreaker(config)
    clock, events = 0.0, []
    for i, letter in enumerate(steps):
        before_log = len(cb.transitions)
        state_before = cb.state_at(clock)
        event = {"i": i, "event": letter, "label": STEP_LETTERS[letter], "t_ms": _round(clock),
                 "state_before": state_before, "reached": None, "outcome": None,
                 "test_request": False}
        if letter == "w":
            clock += wait_s * 1000
            cb.advance(clock)
        else:
            token = cb.acquire(clock)
            event["reached"] = token is not None
            if token is None:
                event["outcome"] = "rejected"
            else:
                event["test_request"] = cb.state == HALF_OPEN
                ok = letter == "s"
                clock += STEP_CALL_MS if letter != "t" else timeout_ms
                cb.record(clock, ok, token, {"s": None, "f": "error", "t": "timeout"}[letter])
                event["outcome"] = {"s": "success", "f": "failure", "t": "timeout"}[letter]
        event.update(end_ms=_round(clock), state_after=cb.state_at(clock),
                     transitions=cb.transitions[before_log:], counters=cb.counters(),
                     next_request=_next_request(cb, clock))
        events.append(event)
    return {
        "steps": steps,
        "events": events,
        "state": cb.state_at(clock),
        "clock_ms": _round(clock),
        "counters": cb.counters(),
        "next_request": _next_request(cb, clock),
        "transitions": cb.transitions,
        "edges": cb.edge_counts(),
        "config": config_to_dict(config),
        "notes": notes,
        "letters": STEP_LETTERS,
        "max_steps": MAX_STEPS,
    }


def validate_steps(steps: str) -> str:
    """The rules a `steps` parameter must follow: letters from STEP_LETTERS, at most MAX_STEPS."""
    steps = (steps or "").strip().lower()
    if len(steps) > MAX_STEPS:
        raise ValueError(f"at most {MAX_STEPS} steps (got {len(steps)})")
    bad = sorted(set(steps) - set(STEP_LETTERS))
    if bad:
        raise ValueError(f"unknown step letters {''.join(bad)!r}; use {''.join(STEP_LETTERS)}")
    return steps


def _next_request(cb: CircuitBreaker, t_ms: float) -> str:
    if not cb.would_admit(t_ms):
        return "rejected"
    return "test request" if cb.state_at(t_ms) != CLOSED else "admitted"


# ==== helpers =====================================================================================

def poisson_arrivals(rate_per_s: float, horizon_ms: float, rng: random.Random) -> list[float]:
    """Arrival times (ms) of a Poisson stream in [0, horizon_ms): exponential gaps."""
    out, t, mean_gap = [], 0.0, 1000 / rate_per_s
    # rng.expovariate(lambd) inlined: the same expression, so the same draws.
    u, log, lambd = rng.random, math.log, 1 / mean_gap
    while True:
        t += -log(1.0 - u()) / lambd
        if t >= horizon_ms:
            return out
        out.append(t)


def config_to_dict(config: BreakerConfig) -> dict:
    """The config as plain JSON-ready values (it also rebuilds it: BreakerConfig(**d))."""
    return {k: (_round(v) if isinstance(v, float) else v) for k, v in asdict(config).items()}


def _what(success: bool, cause: str | None) -> str:
    """A result in words, for the reason of a transition."""
    return cause or ("success" if success else "failure")


def _secs(ms: float) -> str:
    return f"{_num(ms / 1000)} s"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _round_all(xs: list[float]) -> list:
    """[_round(x) for x in xs] for floats, with round() called by map() in C."""
    out = list(map(round, xs, itertools.repeat(1)))
    for i in itertools.compress(itertools.count(), map(float.is_integer, out)):
        out[i] = int(out[i])
    return out


def _round(x: float) -> float:
    """Milliseconds to 0.1 ms: enough for a chart, and stable in stored outputs."""
    x = round(x, 1)
    return int(x) if x == int(x) else x
