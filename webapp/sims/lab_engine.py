"""The failure lab's engine: one discrete-event simulation of a small service graph, composed from
the lesson models rather than written again.

    users -> gateway -> search   -> index
                     -> checkout -> payments
                     -> profile  -> recommendations (optional)

What is reused, unchanged:
  - every service's threads and every caller-side bulkhead are a `pool.ThreadPool` (bulkhead lesson);
  - every circuit breaker is a `breaker.CircuitBreaker` built from a `BreakerConfig` (breaker lesson);
  - every wait between retries comes from `backoff.Backoff` (backoff lesson);
  - retry budgets use the token-bucket constants of `amplification` (retry-storm lesson);
  - payments run on a real SQLite ledger, `idempotency.PaymentStore` (idempotency lesson): a
    duplicate charge is a duplicate row, and a keyed retry is answered by the store's own replay.
A capacity-drop fault uses `ThreadPool.resize`: threads vanish and come back mid-run.

How a call is modelled (the choices that decide the outcomes; each one is what real systems do):
  - A caller's thread is held while it waits for its callee, so slowness travels upwards: the
    cascade. Every service does its own work (exponential, SERVICE mean) and then, unless it is a
    leaf, calls its one dependency; the gateway calls the feature's service.
  - A per-attempt timeout ends the caller's wait; the callee is not told (no deadline
    propagation, as with plain HTTP): its request stays queued or running, holds the thread it
    gets, is served for nobody (counted as wasted), and a payment still charges the card. That is
    what turns a queue into a trap under retries: every timed-out attempt is still paid for. The
    total deadline (if any) cuts the last attempt's timeout short and stops retries that could not
    start before it. Only the caller's own bulkhead slot (or its place in the bulkhead's queue) is
    given back when it stops waiting.
  - Wrapping order, per edge:
      retry(breaker(timeout(call)))  "retry_outside": each attempt asks the breaker and is recorded
                                     by it; an open breaker ends the retries at once (retrying a
                                     call the breaker refused only burns the retry budget).
      breaker(retry(timeout(call)))  "breaker_outside": the breaker admits the logical call once and
                                     records one result for all its attempts, so it needs
                                     threshold x attempts failed attempts to trip, and every
                                     admitted call still sends all its retries to a failing service.
    The bulkhead is always innermost (resilience4j's documented order: Retry(CircuitBreaker(
    TimeLimiter(Bulkhead(call))))): each attempt takes a slot, holds it until it resolves, and the
    attempt's timeout runs while it waits for one. A full bulkhead fails the attempt at once and
    counts as a failure for the breaker, as Hystrix's rejections do.
  - Faults act on a service: down (connections refused: the attempt fails at once, the service
    never sees it), slow (its own work takes k times longer), error (that share of its requests
    fails after doing the work, before any downstream call or payment), capacity (that share of
    its threads is gone), flapping (down for k s, up for k s, ...).
  - A fallback (optional dependencies only) turns the call's failure into a degraded success.
  - Payments: the key is the order's own id, so every retry of the order, at any layer, reuses it.
    With a key the store claims it when the payment starts; a copy arriving while the first is
    running gets 409 (a failure the caller may retry) and a copy arriving after it gets the
    stored answer replayed. Without a key every attempt that runs charges the card.

Pure Python, standard library, seeded: the same arguments give the same result. Arrivals come from
their own random streams (one per feature), so two configurations see the very same users.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import Counter, deque
from dataclasses import dataclass, field

from .amplification import BUDGET_CAPACITY, BUDGET_DEPOSIT
from .backoff import Backoff
from .breaker import BreakerConfig, CircuitBreaker, poisson_arrivals
from .idempotency import AMOUNT_CENTS, PaymentStore, order_key, order_name
from .pool import QUEUED, REJECTED, RUNNING, ThreadPool
from .stats import percentile

INF = math.inf
_log = math.log
_heappush = heapq.heappush

# ---- the fixed graph ----------------------------------------------------------------------------
SERVICES = ("gateway", "search", "checkout", "profile", "index", "payments", "recommendations")
FEATURES = ("search", "checkout", "profile")
# (caller, callee); the gateway calls the feature's service, each service calls its one dependency.
EDGES = (("gateway", "search"), ("gateway", "checkout"), ("gateway", "profile"),
         ("search", "index"), ("checkout", "payments"), ("profile", "recommendations"))
DEPENDENCY = {"search": "index", "checkout": "payments", "profile": "recommendations"}
OPTIONAL = {("profile", "recommendations")}  # a failure here may become a degraded success
ROOT = ("users", "gateway")  # the user's own wait: one attempt, the user's patience as timeout

# Mean own work per request (ms), exponential. The gateway only routes; payments waits on the bank.
SERVICE_MS = {"gateway": 2, "search": 20, "checkout": 30, "profile": 10, "index": 25, "payments": 100,
              "recommendations": 40}

FAULT_KINDS = ("none", "down", "slow", "error", "capacity", "flap")
ORDERS = ("retry_outside", "breaker_outside")
BUDGETS = ("none", "bucket", "ratio")

BACKOFF_MULTIPLIER = 2.0  # the seed's schedule: doubling ...
BACKOFF_CAP_MS = 10_000.0  # ... capped at 10 s, as in the backoff lesson
DOWN_FAIL_MS = 0.0  # connection refused comes back at once (network time is not modelled)
KEY_LOOKUP_MS = 2.0  # payments answers a duplicate key from its database, without the bank
RECOVERY_GRACE_MS = 10_000  # "after the faults" starts this long after the last one ends
# The cost bound. The busiest sensible runs (every rate and the longest run, every pool and queue at
# its maximum, slow dependencies) take about 100,000 events; retries at both layers (5 x 5) with a 10 ms
# backoff against services that fail at once can ask for millions. Past this many events the run
# stops, says so, and reports what it simulated: ~1-2 s on a 2-core machine, whatever the settings.
MAX_EVENTS = 120_000

# Event kinds, in a heap of (time, sequence, kind, object).
_DONE, _TIMEOUT, _RETRY, _STARTED, _SLOT, _BIN, _CAPACITY, _EDGE_TIMER = range(8)


@dataclass(frozen=True)
class EdgeConfig:
    """Every pattern on one call edge. Times in ms; None means "none" (no timeout, no deadline,
    no bulkhead, no breaker)."""

    timeout_ms: float | None = None
    deadline_ms: float | None = None
    attempts: int = 1
    backoff_ms: float = 100
    jitter: str = "none"
    budget: str = "none"
    order: str = "retry_outside"
    breaker: BreakerConfig | None = None
    bulkhead: int | None = None
    bulkhead_queue: int = 0
    fallback: bool = False
    idempotency: bool = False


@dataclass(frozen=True)
class ServiceConfig:
    threads: int
    queue: int | None = 0  # waiting requests allowed; None: unbounded
    mean_ms: float = 10


@dataclass(frozen=True)
class Fault:
    service: str
    kind: str
    start_ms: float
    end_ms: float
    magnitude: float  # slow: factor; error: %; capacity: % of threads lost; flap: half-period (s)

    def active(self, t: float) -> bool:
        if not self.start_ms <= t < self.end_ms:
            return False
        if self.kind == "flap":  # down for the first half-period, up for the next, ...
            return int((t - self.start_ms) // (self.magnitude * 1000)) % 2 == 0
        return True


@dataclass
class Setup:
    """A whole run: the graph's settings, the traffic, the faults."""

    services: dict  # name -> ServiceConfig
    edges: dict  # (caller, callee) -> EdgeConfig
    rates: dict  # feature -> requests per second
    user_timeout_ms: float
    duration_ms: float
    faults: list = field(default_factory=list)
    seed: int = 1
    bin_ms: float = 2000
    arrivals: dict | None = None  # feature -> explicit arrival times (ms), replacing Poisson traffic
    trace: bool = False  # record every attempt (tests)
    max_events: int = MAX_EVENTS


class _Service:
    __slots__ = ("name", "pool", "rate", "size", "faults", "work_rng", "error_rng", "child", "first",
                 "retry", "refused", "rejected", "errors", "wasted", "busy", "queued",
                 "area", "qarea", "first_full_ms", "first_reject_ms", "is_payments", "holders", "held", "rand")


class _Edge:
    __slots__ = ("key", "name", "callee", "cfg", "timeout", "deadline", "attempts", "cb", "outside",
                 "bulkhead", "budget", "tokens", "backoff", "rng", "fallback", "calls", "first", "retries",
                 "ok", "failed", "timeouts", "cb_rejected", "bh_rejected", "budget_denied",
                 "deadline_stops", "fallbacks", "causes", "first_timeout_ms", "first_fallback_ms",
                 "retry_bins", "timeout_bins", "fallback_bins", "slot_busy", "slot_area", "first_bh_reject_ms",
                 "first_budget_denied_ms", "timers", "timer_armed")


class _Request:
    __slots__ = ("id", "feature", "t0", "ok")

    def __init__(self, id, feature, t0):
        self.id, self.feature, self.t0, self.ok = id, feature, t0, None


class _Call:
    __slots__ = ("edge", "parent", "req", "t0", "deadline", "token", "backoff", "id")

    def __init__(self, edge, parent, req, t0, deadline):
        self.edge, self.parent, self.req, self.t0, self.deadline = edge, parent, req, t0, deadline
        self.token = None
        self.backoff = None


class _Attempt:
    __slots__ = ("call", "n", "t0", "cut", "work", "slot", "token", "done", "waiting")

    def __init__(self, call, n, t0):
        self.call, self.n, self.t0 = call, n, t0
        self.cut = self.waiting = False
        self.work = self.slot = self.token = None
        self.done = False


class _Work:
    __slots__ = ("svc", "att", "req", "job", "queued", "error", "pay_gen", "pay_resp")

    def __init__(self, svc, att, req):
        self.svc, self.att, self.req = svc, att, req
        self.queued = self.error = False
        self.pay_gen = self.pay_resp = None


def run(setup: Setup) -> dict:
    """Simulate `setup`; return plain data (see `_Sim.result`). Cost: bounded by the events of the
    run, which the parameter limits bound (and `max_events` caps)."""
    return _Sim(setup).go()


class _Sim:
    def __init__(self, s: Setup):
        self.s = s
        self.heap: list = []
        self.seq = itertools.count()  # ties in time are served first come, first served
        self.bin_ms = s.bin_ms
        self.inv_bin = 1.0 / s.bin_ms
        self.nbins = max(1, math.ceil(s.duration_ms / s.bin_ms))
        # Counters are kept for every bin up to the end of the run (users may still be answered up to
        # one user timeout after the last arrival); the result shows the first `nbins`.
        self.nb_all = self.nbins + math.ceil(s.user_timeout_ms / s.bin_ms) + 2
        self.events = 0
        self.truncated = False
        self.stopped_at = None
        self.trace = [] if s.trace else None
        self.store = PaymentStore()
        self.charges: list = []  # (t_ms, request id) of every charge that moved money
        self.replays = self.conflicts = 0
        self.keyed = s.edges[("checkout", "payments")].idempotency
        nb = self.nb_all
        faults_by = {}
        for f in s.faults:
            if f.kind != "none" and f.end_ms > f.start_ms:
                faults_by.setdefault(f.service, []).append(f)
        self.services = {}
        for name in SERVICES:
            cfg = s.services[name]
            sv = _Service()
            sv.name, sv.size, sv.rate = name, cfg.threads, cfg.mean_ms
            sv.pool = ThreadPool(cfg.threads, cfg.queue, None, name=name, on_start=self._on_start)
            sv.faults = faults_by.get(name, [])
            sv.work_rng = random.Random(f"lab/{s.seed}/work/{name}")
            sv.rand = sv.work_rng.random
            sv.error_rng = random.Random(f"lab/{s.seed}/errors/{name}")
            sv.first, sv.retry = [0] * nb, [0] * nb
            sv.busy, sv.queued = [0.0] * nb, [0.0] * nb
            sv.refused = sv.rejected = sv.errors = sv.wasted = 0
            sv.area = sv.qarea = 0.0
            sv.first_full_ms = sv.first_reject_ms = None
            # Threads held per feature (sampled at each bin's end): who filled a shared pool.
            sv.holders = dict.fromkeys(FEATURES, 0)
            sv.held = {f: [0] * nb for f in FEATURES}
            sv.is_payments = name == "payments"
            sv.child = None
            self.services[name] = sv
        self.edges = {}
        for key in (ROOT, *EDGES):
            cfg = (EdgeConfig(timeout_ms=s.user_timeout_ms) if key == ROOT else s.edges[key])
            self.edges[key] = self._edge(key, cfg)
        for caller, callee in EDGES:
            if caller != "gateway":
                self.services[caller].child = self.edges[(caller, callee)]
        self.gateway_edges = {f: self.edges[("gateway", f)] for f in FEATURES}
        self.root = self.edges[ROOT]
        # Users, per feature: arrival bins of outcomes, and latencies of the answered requests.
        self.f_arrived = {f: [0] * nb for f in FEATURES}
        self.f_ok = {f: [0] * nb for f in FEATURES}
        self.f_degraded = {f: [0] * nb for f in FEATURES}
        self.f_failed = {f: [0] * nb for f in FEATURES}
        self.f_lat = {f: [[] for _ in range(nb)] for f in FEATURES}
        self.f_causes = {f: Counter() for f in FEATURES}
        self.f_first_fail = {f: None for f in FEATURES}
        self.requests: list = []
        self.unfinished = 0

    def _edge(self, key, cfg: EdgeConfig) -> _Edge:
        e = _Edge()
        e.key, e.name, e.cfg = key, f"{key[0]}→{key[1]}", cfg
        e.callee = self.services[key[1]]
        e.timeout = INF if cfg.timeout_ms is None else cfg.timeout_ms
        e.deadline = INF if cfg.deadline_ms is None else cfg.deadline_ms
        e.attempts = cfg.attempts
        e.cb = CircuitBreaker(cfg.breaker) if cfg.breaker is not None else None
        e.outside = cfg.order == "breaker_outside"
        e.bulkhead = (None if cfg.bulkhead is None else
                      ThreadPool(cfg.bulkhead, cfg.bulkhead_queue, None, name=e.name, on_start=self._on_slot))
        e.budget = cfg.budget
        e.tokens = BUDGET_CAPACITY
        e.rng = random.Random(f"lab/{self.s.seed}/jitter/{e.name}")
        # Full and equal jitter have no memory: one Backoff serves every call of the edge. Decorrelated
        # jitter grows from each call's own last sleep, so each call gets its own (see _retry).
        e.backoff = Backoff(cfg.jitter, cfg.backoff_ms, BACKOFF_CAP_MS, BACKOFF_MULTIPLIER, e.rng)
        e.fallback = cfg.fallback
        e.calls = e.first = e.retries = e.ok = e.failed = e.timeouts = 0
        e.cb_rejected = e.bh_rejected = e.budget_denied = e.deadline_stops = e.fallbacks = 0
        e.causes = Counter()
        e.first_timeout_ms = e.first_fallback_ms = e.first_bh_reject_ms = e.first_budget_denied_ms = None
        e.retry_bins, e.timeout_bins, e.fallback_bins = [0] * self.nb_all, [0] * self.nb_all, [0] * self.nb_all
        e.slot_busy = [0.0] * self.nbins
        e.slot_area = 0.0
        # Every attempt on an edge gets the same timeout, so their expiry times arrive in order: a FIFO
        # per edge with one heap entry for its head replaces one heap entry per attempt (most of which
        # would be stale: the answer came first). Only attempts cut short by a deadline use the heap.
        e.timers = deque()
        e.timer_armed = False
        return e

    # ---- the event loop ---------------------------------------------------------------------
    def push(self, t, kind, obj):
        _heappush(self.heap, (t, next(self.seq), kind, obj))

    def go(self) -> dict:
        s = self.s
        arrivals = []
        for i, f in enumerate(FEATURES):
            if s.arrivals is not None:
                times = sorted(s.arrivals.get(f, ()))
            elif s.rates.get(f, 0) > 0:
                times = poisson_arrivals(s.rates[f], s.duration_ms, random.Random(f"lab/{s.seed}/arrivals/{f}"))
            else:
                times = []
            arrivals.extend((t, i) for t in times)
        arrivals.sort()
        for k in range(1, self.nbins + 1):
            self.push(min(k * self.bin_ms, s.duration_ms), _BIN, k - 1)
        for sv in self.services.values():
            for f in sv.faults:
                if f.kind == "capacity":
                    self.push(f.start_ms, _CAPACITY, sv)
                    self.push(f.end_ms, _CAPACITY, sv)
        # Every user gives up after the user timeout, so nothing a user sees happens after this.
        end = s.duration_ms + s.user_timeout_ms
        heap, pop = self.heap, heapq.heappop
        ai, na = 0, len(arrivals)
        budget, events = s.max_events, 0
        arrive = self._arrive
        handlers = (self._work_done, self._timeout, self._retry, self._start_work, self._slot, self._bin,
                    self._capacity, self._edge_timer)  # indexed by event kind
        while True:
            events += 1
            if events > budget:
                self.truncated = True
                self.stopped_at = heap[0][0] if heap else (arrivals[ai][0] if ai < na else s.duration_ms)
                break
            if ai < na and (not heap or arrivals[ai][0] <= heap[0][0]):
                t, i = arrivals[ai]
                ai += 1
                arrive(FEATURES[i], t)
                continue
            if not heap:
                break
            t, _, kind, obj = pop(heap)
            if t > end:
                break
            handlers[kind](obj, t)
        self.events = events
        self.unfinished = sum(1 for r in self.requests if r.ok is None)
        return self.result()

    def windows(self) -> dict:
        """Per feature, the requests that arrived before the first fault, during any fault, and after
        the last one ended, and how many of them succeeded: did the system ride it out, and recover?"""
        spans = sorted((f.start_ms, min(f.end_ms, self.s.duration_ms)) for f in self.s.faults
                       if f.kind != "none" and f.end_ms > f.start_ms and f.start_ms < self.s.duration_ms)
        out = {f: {"before": [0, 0], "during": [0, 0], "after": [0, 0]} for f in FEATURES}
        if not spans:
            for r in self.requests:
                if r.ok is not None:
                    out[r.feature]["before"][0] += 1
                    out[r.feature]["before"][1] += r.ok
            return out
        first, last = spans[0][0], max(b for _, b in spans)
        # "after" starts a little after the last fault ends: work that started slow finishes slow.
        after = last + min(RECOVERY_GRACE_MS, (self.s.duration_ms - last) / 2)
        for r in self.requests:
            t = r.t0
            where = ("before" if t < first else "after" if t >= after else
                     "during" if any(a <= t < b for a, b in spans) else "between")
            if where == "between":
                continue
            if r.ok is not None:  # unanswered only when the run was stopped early
                out[r.feature][where][0] += 1
                out[r.feature][where][1] += r.ok
        return out

    # ---- users ------------------------------------------------------------------------------
    def _arrive(self, feature, t):
        req = _Request(len(self.requests) + 1, feature, t)
        self.requests.append(req)
        self.f_arrived[feature][int(t * self.inv_bin)] += 1
        self._call(self.root, None, req, t)

    def _finish_request(self, req, t, ok, cause, degraded):
        req.ok = ok
        f = req.feature
        b = int(req.t0 * self.inv_bin)
        if ok:
            (self.f_degraded if degraded else self.f_ok)[f][b] += 1
            self.f_lat[f][b].append(t - req.t0)
        else:
            self.f_failed[f][b] += 1
            self.f_causes[f][cause] += 1
            if self.f_first_fail[f] is None:
                self.f_first_fail[f] = t

    # ---- calls and attempts -----------------------------------------------------------------
    def _call(self, edge, parent, req, t):
        """A logical call on `edge` on behalf of `parent` (a _Work at the caller; None for the user)."""
        edge.calls += 1
        call = _Call(edge, parent, req, t, t + edge.deadline)
        if edge.budget == "ratio":  # the SRE book's per-client budget: each request earns 0.1 retry
            edge.tokens = min(BUDGET_CAPACITY, edge.tokens + BUDGET_DEPOSIT)
        if edge.outside and edge.cb is not None:
            token = edge.cb.acquire(t)
            if token is None:
                edge.cb_rejected += 1
                self._call_done(call, t, False, (edge.name, "breaker"), False)
                return
            call.token = token
        self._attempt(call, 1, t)

    def _attempt(self, call, n, t):
        edge = call.edge
        att = _Attempt(call, n, t)
        if n == 1:
            edge.first += 1
        else:
            edge.retries += 1
            edge.retry_bins[int(t * self.inv_bin)] += 1
        if not edge.outside and edge.cb is not None:
            token = edge.cb.acquire(t)
            if token is None:
                edge.cb_rejected += 1
                self._attempt_done(att, t, False, (edge.name, "breaker"), False)
                return
            att.token = token
        if edge.bulkhead is not None:
            job = edge.bulkhead.submit(t, None, data=att)
            if job.state is REJECTED:
                edge.bh_rejected += 1
                if edge.first_bh_reject_ms is None:
                    edge.first_bh_reject_ms = t
                self._attempt_done(att, t, False, (edge.name, "bulkhead"), False)
                return
            att.slot = job
            if job.state is QUEUED:
                att.waiting = True
                self._arm(att, t)
                return
        self._arm(att, t)
        self._dispatch(att, t)

    def _arm(self, att, t):
        """Start the attempt's timeout: the per-attempt timeout, cut short by the call's deadline."""
        edge, call = att.call.edge, att.call
        end = t + edge.timeout
        if call.deadline < end:
            att.cut = True
            self.push(call.deadline, _TIMEOUT, att)
        elif end < INF:
            edge.timers.append((end, att))
            if not edge.timer_armed:
                edge.timer_armed = True
                _heappush(self.heap, (end, next(self.seq), _EDGE_TIMER, edge))

    def _edge_timer(self, edge, t):
        """The oldest pending timeout of an edge is due: fire every due one, then wait for the next."""
        edge.timer_armed = False
        timers = edge.timers
        while timers and timers[0][0] <= t:
            end, att = timers.popleft()
            if not att.done:
                self._timeout(att, end)
        while timers and timers[0][1].done:
            timers.popleft()
        if timers and not edge.timer_armed:
            edge.timer_armed = True
            self.push(timers[0][0], _EDGE_TIMER, edge)

    def _dispatch(self, att, t):
        """The attempt leaves the caller and reaches the callee's service."""
        sv = att.call.edge.callee
        b = int(t * self.inv_bin)
        if att.n == 1:
            sv.first[b] += 1
        else:
            sv.retry[b] += 1
        if sv.faults and self._down(sv, t):
            sv.refused += 1
            self._attempt_done(att, t + DOWN_FAIL_MS, False, (sv.name, "down"), False)
            return
        w = _Work(sv, att, att.call.req)
        job = sv.pool.submit(t, None, data=w)
        if job.state is REJECTED:
            sv.rejected += 1
            if sv.first_reject_ms is None:
                sv.first_reject_ms = t
            self._attempt_done(att, t, False, (sv.name, "full"), False)
            return
        w.job = job
        att.work = w
        if job.state is RUNNING:
            self._start_work(w, t)
        else:
            w.queued = True

    def _attempt_done(self, att, t, ok, cause, degraded):
        att.done = True
        call = att.call
        edge = call.edge
        slot = att.slot
        if slot is not None:
            if slot.state is RUNNING:
                edge.bulkhead.release(slot, t)
            elif slot.state is QUEUED:
                edge.bulkhead.cancel(slot, t)
        if att.token is not None:
            edge.cb.record(t, ok, att.token, None if ok else cause[1])
        if self.trace is not None:
            self.trace.append({"edge": edge.name, "request": call.req.id, "call": id(call), "attempt": att.n,
                               "start_ms": att.t0, "end_ms": t, "ok": ok,
                               "cause": None if ok else f"{cause[0]}: {cause[1]}"})
        if ok:
            edge.ok += 1
            if edge.budget == "bucket":  # Brooker's bucket: each success earns 0.1 retry
                edge.tokens = min(BUDGET_CAPACITY, edge.tokens + BUDGET_DEPOSIT)
            self._call_done(call, t, True, None, degraded)
            return
        edge.failed += 1
        edge.causes[cause] += 1
        if cause[1] == "breaker":  # the breaker refused: retrying now would only be refused again
            self._call_done(call, t, False, cause, False)
            return
        if att.n < edge.attempts:
            if edge.budget != "none":
                if edge.tokens < 1.0:
                    edge.budget_denied += 1
                    if edge.first_budget_denied_ms is None:
                        edge.first_budget_denied_ms = t
                    self._call_done(call, t, False, cause, False)
                    return
            backoff = edge.backoff
            if edge.cfg.jitter == "decorrelated":
                backoff = call.backoff
                if backoff is None:
                    cfg = edge.cfg
                    backoff = call.backoff = Backoff("decorrelated", cfg.backoff_ms, BACKOFF_CAP_MS,
                                                     BACKOFF_MULTIPLIER, edge.rng)
            wake = t + backoff.sleep(att.n - 1)
            if wake < call.deadline:
                if edge.budget != "none":
                    edge.tokens -= 1.0
                self.push(wake, _RETRY, (call, att.n + 1))
                return
            edge.deadline_stops += 1
        self._call_done(call, t, False, cause, False)

    def _retry(self, item, t):
        call, n = item
        self._attempt(call, n, t)

    def _call_done(self, call, t, ok, cause, degraded):
        edge = call.edge
        if call.token is not None:
            edge.cb.record(t, ok, call.token, None if ok else cause[1])
        parent = call.parent
        if parent is None:
            self._finish_request(call.req, t, ok, cause, degraded)
            return
        if not ok and edge.fallback:
            edge.fallbacks += 1
            edge.fallback_bins[int(t * self.inv_bin)] += 1
            if edge.first_fallback_ms is None:
                edge.first_fallback_ms = t
            ok, degraded, cause = True, True, None
        self._respond(parent, t, ok, cause, degraded)

    def _timeout(self, att, t):
        if att.done:
            return
        edge = att.call.edge
        # The callee is not told: its request stays in its queue or on its thread and is served for
        # nobody (wasted work). Only the caller's own bulkhead slot is given back (in _attempt_done).
        edge.timeouts += 1
        edge.timeout_bins[int(t * self.inv_bin)] += 1
        if edge.first_timeout_ms is None:
            edge.first_timeout_ms = t
        self._attempt_done(att, t, False, (edge.name, "deadline" if att.cut else "timeout"), False)

    # ---- work at a service ------------------------------------------------------------------
    def _on_start(self, job):
        """ThreadPool callback: a queued job got a thread. Only queued ones need an event (a job that
        starts at once is handled by whoever submitted it); the event keeps the pool's own call
        stack free of re-entrant calls."""
        w = job.data
        if w.queued:
            self.push(job.start, _STARTED, w)

    def _on_slot(self, job):
        att = job.data
        if att.waiting:
            self.push(job.start, _SLOT, att)

    def _slot(self, att, t):
        if not att.done:
            self._dispatch(att, t)

    def _start_work(self, w, t):
        sv = w.svc
        dur = -_log(1.0 - sv.rand()) * sv.rate  # exponential, mean sv.rate (ms)
        if sv.faults:
            slow, error = self._effects(sv, t)
            dur *= slow
            if error and sv.error_rng.random() < error:
                w.error = True
        if sv.is_payments and not w.error:
            dur = self._pay_start(w, t, dur)
        if sv.first_full_ms is None and sv.pool.busy >= sv.pool.size:
            sv.first_full_ms = t
        sv.holders[w.req.feature] += 1
        _heappush(self.heap, (t + dur, next(self.seq), _DONE, w))

    def _work_done(self, w, t):
        sv = w.svc
        if w.error:
            sv.errors += 1
            self._respond(w, t, False, (sv.name, "error"), False)
            return
        if sv.is_payments:
            resp = self._pay_finish(w, t)
            if resp.status == 200:
                self._respond(w, t, True, None, False)
            else:
                self._respond(w, t, False, ("payments", "conflict"), False)
            return
        edge = sv.child if sv.name != "gateway" else self.gateway_edges[w.req.feature]
        if edge is None:
            self._respond(w, t, True, None, False)
        else:
            self._call(edge, w, w.req, t)

    def _respond(self, w, t, ok, cause, degraded):
        sv = w.svc
        sv.pool.release(w.job, t)
        sv.holders[w.req.feature] -= 1
        att = w.att
        if att.done:  # the caller stopped waiting: the work was wasted
            sv.wasted += 1
            return
        self._attempt_done(att, t, ok, cause, degraded)

    # ---- payments on the real ledger ---------------------------------------------------------
    def _pay_start(self, w, t, dur):
        if not self.keyed:
            return dur  # no key: nothing to claim; the card is charged when the bank answers
        rid = w.req.id
        steps = self.store.charge_steps(AMOUNT_CENTS, key=order_key(rid), order=order_name(rid), now_ms=int(t))
        claim = next(steps)
        if claim.ok:
            w.pay_gen = steps  # ours: the bank call takes `dur`, then the charge is recorded
            return dur
        w.pay_resp = _finish(steps)  # a copy: 409 while the first runs, the stored answer after
        return KEY_LOOKUP_MS

    def _pay_finish(self, w, t):
        rid = w.req.id
        if w.pay_resp is not None:
            resp = w.pay_resp
        elif w.pay_gen is not None:
            resp = _finish(w.pay_gen)
        else:
            resp = self.store.charge(AMOUNT_CENTS, order=order_name(rid), now_ms=int(t))
        if resp.replayed:
            self.replays += 1
        elif resp.status == 409:
            self.conflicts += 1
        elif resp.status == 200:
            self.charges.append((t, rid))
        return resp

    # ---- faults -------------------------------------------------------------------------------
    @staticmethod
    def _down(sv, t) -> bool:
        for f in sv.faults:
            if (f.kind == "down" or f.kind == "flap") and f.active(t):
                return True
        return False

    @staticmethod
    def _effects(sv, t):
        slow, ok_share = 1.0, 1.0
        for f in sv.faults:
            if f.start_ms <= t < f.end_ms:
                if f.kind == "slow":
                    slow *= f.magnitude
                elif f.kind == "error":
                    ok_share *= 1 - f.magnitude / 100
        return slow, 1 - ok_share

    def _capacity(self, sv, t):
        share = 1.0
        for f in sv.faults:
            if f.kind == "capacity" and f.start_ms <= t < f.end_ms:
                share *= 1 - f.magnitude / 100
        sv.pool.resize(t, int(round(sv.size * share)))

    # ---- time series ----------------------------------------------------------------------------
    def _bin(self, k, t):
        """At the end of bin k: time-average busy and queued threads over the bin, from the pools'
        own integrals (pool.advance integrates up to t)."""
        start = k * self.bin_ms
        width = (t - start) or 1.0
        for sv in self.services.values():
            pool = sv.pool
            pool.advance(t)
            sv.busy[k] = (pool.busy_area - sv.area) / width
            sv.queued[k] = (pool.queue_area - sv.qarea) / width
            sv.area, sv.qarea = pool.busy_area, pool.queue_area
            for f, n in sv.holders.items():
                sv.held[f][k] = n
        for e in self.edges.values():
            if e.bulkhead is not None:
                e.bulkhead.advance(t)
                e.slot_busy[k] = (e.bulkhead.busy_area - e.slot_area) / width
                e.slot_area = e.bulkhead.busy_area

    # ---- the result ---------------------------------------------------------------------------
    def result(self) -> dict:
        s, nb, W = self.s, self.nbins, self.bin_ms
        features = {}
        for f in FEATURES:
            lat_all = sorted(x for b in self.f_lat[f] for x in b)
            arrived = sum(self.f_arrived[f])
            ok, deg, failed = sum(self.f_ok[f]), sum(self.f_degraded[f]), sum(self.f_failed[f])
            series_p50, series_p99, rate = [], [], []
            for b in range(nb):
                lat = sorted(self.f_lat[f][b])
                series_p50.append(_r(percentile(lat, 50)))
                series_p99.append(_r(percentile(lat, 99)))
                good = self.f_ok[f][b] + self.f_degraded[f][b]
                n = good + self.f_failed[f][b]  # answered, one way or the other (all of them, unless stopped)
                rate.append(None if n == 0 else round(good / n, 4))
            features[f] = {
                "requests": arrived, "ok": ok, "degraded": deg, "failed": failed,
                "unfinished": arrived - ok - deg - failed,
                "success_rate": round((ok + deg) / (ok + deg + failed), 4) if ok + deg + failed else None,
                "p50_ms": _r(percentile(lat_all, 50)), "p99_ms": _r(percentile(lat_all, 99)),
                "causes": [{"where": w, "what": what, "count": c}
                           for (w, what), c in self.f_causes[f].most_common()],
                "first_failure_ms": _r(self.f_first_fail[f]),
                "series": {"arrived": self.f_arrived[f][:nb], "ok": self.f_ok[f][:nb],
                           "degraded": self.f_degraded[f][:nb], "failed": self.f_failed[f][:nb],
                           "success_rate": rate, "p50_ms": series_p50, "p99_ms": series_p99},
            }
        services = {}
        for name, sv in self.services.items():
            st = sv.pool.stats()
            services[name] = {
                "threads": sv.size, "first_tries": sum(sv.first), "retries": sum(sv.retry),
                "refused": sv.refused, "rejected": sv.rejected, "errors": sv.errors, "wasted": sv.wasted,
                "peak_busy": st["peak_busy"], "peak_queue": st["peak_queue"],
                "queued_total": st["queued"], "submitted": st["submitted"],
                "first_full_ms": _r(sv.first_full_ms), "first_reject_ms": _r(sv.first_reject_ms),
                "series": {"first_tries": sv.first[:nb], "retries": sv.retry[:nb],
                           "held_by": {f: sv.held[f][:nb] for f in FEATURES},
                           "busy": [round(x, 2) for x in sv.busy[:nb]],
                           "queued": [round(x, 2) for x in sv.queued[:nb]]},
            }
        edges = {}
        horizon = s.duration_ms
        for key in EDGES:
            e = self.edges[key]
            out = {
                "calls": e.calls, "first_tries": e.first, "retries": e.retries, "ok": e.ok, "failed": e.failed,
                "timeouts": e.timeouts, "breaker_rejected": e.cb_rejected, "bulkhead_rejected": e.bh_rejected,
                "budget_denied": e.budget_denied, "deadline_stops": e.deadline_stops, "fallbacks": e.fallbacks,
                "first_timeout_ms": _r(e.first_timeout_ms), "first_fallback_ms": _r(e.first_fallback_ms),
                "first_bulkhead_reject_ms": _r(e.first_bh_reject_ms),
                "first_budget_denied_ms": _r(e.first_budget_denied_ms),
                "causes": [{"where": w, "what": what, "count": c} for (w, what), c in e.causes.most_common()],
                "series": {"retries": e.retry_bins[:nb], "timeouts": e.timeout_bins[:nb],
                           "fallbacks": e.fallback_bins[:nb]},
                "breaker": None, "bulkhead": None,
            }
            if e.cb is not None:
                e.cb.advance(max(e.cb.now, horizon))
                out["breaker"] = {"transitions": e.cb.transitions, "intervals": e.cb.intervals(horizon),
                                  "edges": e.cb.edge_counts(), "admitted": e.cb.admitted,
                                  "rejected": e.cb.rejected, "final_state": e.cb.state_at(horizon)}
            if e.bulkhead is not None:
                st = e.bulkhead.stats()
                out["bulkhead"] = {"size": e.bulkhead.size, "peak_busy": st["peak_busy"],
                                   "peak_queue": st["peak_queue"],
                                   "series": {"busy": [round(x, 2) for x in e.slot_busy]}}
            edges[f"{key[0]}_{key[1]}"] = out
        payments = self._payments()
        root = self.edges[ROOT]
        return {
            "duration_ms": s.duration_ms, "bin_ms": W, "t_s": [round(b * W / 1000, 3) for b in range(nb)],
            "features": features, "services": services, "edges": edges, "payments": payments,
            "users_gave_up": root.timeouts, "unfinished": self.unfinished,
            "windows": {f: {k: {"requests": n, "succeeded": ok} for k, (n, ok) in w.items()}
                        for f, w in self.windows().items()},
            "events": self.events, "truncated": self.truncated, "stopped_at_ms": _r(self.stopped_at),
            "trace": self.trace,
        }

    def _payments(self) -> dict:
        """Read the ledger back with SQL: the duplicates are rows, not a counter of ours."""
        conn = self.store.conn
        rows, orders = conn.execute("SELECT COUNT(*), COUNT(DISTINCT order_id) FROM charges").fetchone()
        twice = conn.execute("SELECT order_id, COUNT(*) FROM charges GROUP BY order_id HAVING COUNT(*) > 1").fetchall()
        charged_ids = {int(o.split("-")[1]) for (o,) in conn.execute("SELECT DISTINCT order_id FROM charges")}
        self.store.close()
        told_failed = sum(1 for rid in charged_ids if self.requests[rid - 1].ok is False)
        nb, W = self.nbins, self.bin_ms
        charges, dups = [0] * nb, [0] * nb
        seen = set()
        first_dup = None
        for t, rid in sorted(self.charges):
            b = min(int(t // W), nb - 1)
            charges[b] += 1
            if rid in seen:
                dups[b] += 1
                if first_dup is None:
                    first_dup = t
            seen.add(rid)
        duplicates = rows - orders
        return {"charges": rows, "orders_charged": orders, "duplicate_charges": duplicates,
                "orders_charged_twice_or_more": len(twice),
                "overcharged": round(duplicates * AMOUNT_CENTS / 100, 2),
                "amount": AMOUNT_CENTS / 100,
                "charged_but_told_failed": told_failed,
                "replayed": self.replays, "conflicts": self.conflicts, "first_duplicate_ms": _r(first_dup),
                "series": {"charges": charges, "duplicates": dups}}


def _finish(steps):
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def _r(x):
    """Milliseconds to 0.1 ms (None stays None)."""
    if x is None:
        return None
    x = round(x, 1)
    return int(x) if x == int(x) else x
