"""Overload, metastable failure, and the cures: retries against a server that is already too busy.

Open-loop clients send first tries as a Poisson stream at `rate` to one server: a FIFO queue in
front of a single worker with exponential service times at CAPACITY requests/s (an M/M/1 queue while
healthy). A client waits `timeout_ms` for each attempt; the server does not know a client gave up, so
it still serves the stale request: that work is wasted. A trigger drops the server's capacity to
`drop_pct` % for `trigger_s` seconds. Once the queue holds more than a timeout's worth of work,
every attempt times out, and whatever the clients do next decides whether the server recovers when
the trigger ends.

Strategies, all on the same first-try traffic (the same seed draws the same arrivals):
    none      no retries
    retries   up to `attempts` attempts, full-jitter backoff from 100 ms doubling (webapp.sims.backoff)
    bucket    the same retries, each paid with a token from the client's bucket; each success
              deposits 0.1 token (Brooker, "Fixing retries with token buckets and circuit breakers")
    throttle  the same retries; every attempt first passes the SRE book's client-side adaptive
              throttling: reject locally with P = max(0, (requests - K*accepts) / (requests + 1))
    breaker   the same retries, but only while the client's recent failure rate is at most 10 %;
              first tries always go (a circuit breaker on retries only, Brooker 2022)
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_left, bisect_right
from collections import defaultdict, deque
from operator import itemgetter

STRATEGIES = ("none", "retries", "bucket", "throttle", "breaker")

# ---- the world ---------------------------------------------------------------------------------
CAPACITY = 100.0  # requests/s the server completes when healthy (mean service 10 ms)
SIM_S = 60.0  # first tries arrive during [0, SIM_S); the series cover the same span
TRIGGER_AT_S = 10.0  # when the capacity drop starts, unless `trigger_at_s` says otherwise
CLIENTS = 10  # client processes; each keeps its own bucket, throttle and breaker state
BIN_S = 1.0  # resolution of the time series

# ---- retries (the seed's schedule: 100 ms doubling, full jitter) -------------------------------
BACKOFF_BASE_MS = 100.0
BACKOFF_CAP_MS = 10_000.0
BACKOFF_JITTER = "full"  # drawn inline in the loops below: uniform(0, v) is v x random() (tested)

# ---- the cures ---------------------------------------------------------------------------------
BUCKET_DEPOSIT = 0.1  # token earned by each success
BUCKET_CAPACITY = 10.0  # tokens a client can hold (full at the start)
THROTTLE_K = 2.0  # the SRE book's K: the client lets through up to K times what the server accepts
DEFAULT_WINDOW_S = 5  # trailing window of the throttle and the breaker. The SRE book uses 2 minutes
# against outages of minutes; this run lasts one minute, so the window is scaled down with it.
BREAKER_MAX_FAILURE = 0.10  # retries stop while more than 10 % of recent attempts failed
BREAKER_MIN_SAMPLES = 10  # below this many recent attempts the breaker does not judge

# ---- the verdict -------------------------------------------------------------------------------
RECOVERED_SUCCESS = 0.95  # a second is healthy when >= 95 % of the requests arriving in it succeed
RECOVERED_CONFIRM_S = 5  # and recovery must be seen for at least this long before the run ends


class _Window:
    """Two counters over a trailing window of whole seconds (a ring of per-second slots)."""

    __slots__ = ("a", "b", "sa", "sb", "sec", "size")

    def __init__(self, size: int, a: float = 0, b: float = 0):
        """Start warm: as if every past second of the window had seen `a` and `b`."""
        self.size = size
        self.a, self.b = [a] * size, [b] * size
        self.sa, self.sb = a * size, b * size
        self.sec = 0

    def advance(self, t: float) -> int:
        """Drop the seconds that left the window by time t; the slot of t's second."""
        sec, size = int(t), self.size
        if sec > self.sec:
            for s in range(self.sec + 1, min(sec, self.sec + size) + 1):
                i = s % size
                self.sa -= self.a[i]
                self.sb -= self.b[i]
                self.a[i] = self.b[i] = 0
            self.sec = sec
        return sec % size

    def add(self, t: float, a: float = 0, b: float = 0) -> None:
        i = self.advance(t)
        self.a[i] += a
        self.b[i] += b
        self.sa += a
        self.sb += b

    def totals(self, t: float) -> tuple[float, float]:
        self.advance(t)
        return self.sa, self.sb


def throttle_probability(requests: float, accepts: float, k: float = THROTTLE_K) -> float:
    """SRE book, "Handling Overload": the chance the client rejects a request locally."""
    return max(0.0, (requests - k * accepts) / (requests + 1.0))


class _Draws:
    """What every strategy shares, drawn once per demo run rather than once per strategy.

    The first tries (send times, clients, bins, in time order; counted per bin in `arrived`) come
    from the "traffic" stream in the order the strategies would draw them (client, then the gap to
    the next first try). `work[k]` is the service work of the k-th attempt sent to the server:
    service.expovariate(mu) is -log(1 - random()) / mu, so the k-th attempt takes work[k] / mu in
    every strategy. It is drawn in chunks as far as the busiest strategy reaches: `more(k)`.
    """

    CHUNK = 4096

    def __init__(self, rate: float, seed: int):
        traffic = random.Random(f"{seed}-traffic")
        rnd, log = traffic.random, math.log
        self.times: list[float] = []
        self.clients: list[int] = []
        self.bins: list[int] = []
        self.attempts: list[tuple[float, int, int]] = []  # (time, bin, attempt number 1)
        times, clients, bins = self.times.append, self.clients.append, self.bins.append
        attempts = self.attempts.append
        t = traffic.expovariate(rate)
        while t < SIM_S:
            b = int(t / BIN_S)
            times(t)
            clients(int(rnd() * CLIENTS))  # randrange is 10x slower
            bins(b)
            attempts((t, b, 1))
            t = t + -log(1.0 - rnd()) / rate  # traffic.expovariate(rate), inlined
        self.arrived = [0] * int(math.ceil(SIM_S / BIN_S))  # requests (first tries) per bin of arrival
        for b in self.bins:
            self.arrived[b] += 1
        self.work: list[float] = []
        self._service = random.Random(f"{seed}-service").random

    def more(self, k: int) -> float:
        """Draw the next chunk of service work; work[k]."""
        rnd, log = self._service, math.log
        self.work.extend([-log(1.0 - rnd()) for _ in range(self.CHUNK)])
        return self.work[k]


def _run(strategy: str, draws: _Draws, rate: float, drop: float, trigger_s: float, timeout_s: float,
         attempts: int, window_s: int, seed: int, trigger_at_s: float = TRIGGER_AT_S) -> dict:
    """One strategy on the shared first tries and service work: per-bin counts and run totals.

    Two event loops, the same model: when no client state depends on outcomes (no retries, or plain
    retries) an attempt's outcome is known the moment it is sent, so only retries wait; the cures
    must learn each outcome in time order, so their answers and give-ups wait too.
    """
    nbins = int(math.ceil(SIM_S / BIN_S))
    arrived = draws.arrived
    # Each strategy has its own stream for its own decisions (backoff, throttling), so every
    # strategy sees the very same first tries and clients, and the same service work for the k-th
    # attempt sent, as far as their histories agree.
    local = random.Random(f"{seed}-{strategy}")
    server = (CAPACITY * drop, trigger_at_s + trigger_s, timeout_s, trigger_at_s)
    retrying = strategy != "none" and attempts > 1
    if strategy == "throttle" or (retrying and strategy != "retries"):
        raw = _stateful(strategy, rate, window_s, attempts, draws, nbins, server, local.random)
    else:  # with a single attempt, the bucket and the breaker have nothing to decide: no retries
        raw = _stateless(attempts if retrying else 1, draws, nbins, server, local.random)
    raw["first"] = [a - h for a, h in zip(arrived, raw.pop("held_back"))]  # first tries sent
    # The loops record when attempts were sent and answered, in time order; counting those per
    # bin here is cheaper than counting every attempt into its bin as it happens.
    starts, finishes, answered = raw.pop("starts"), raw.pop("finishes"), raw.pop("answered")
    sent, completed, good = _per_bin(starts, nbins), _per_bin(finishes, nbins), _per_bin(answered, nbins)
    raw["retried"] = [s - f for s, f in zip(sent, raw["first"])]
    raw["good"] = good
    raw["wasted"] = [c - g for c, g in zip(completed, good)]  # completions nobody waited for
    edges = [(i + 1) * BIN_S for i in range(nbins)]
    raw["queue"] = [bisect_right(starts, e) - bisect_right(finishes, e) for e in edges]
    raw["arrived"] = arrived
    raw["requests"] = len(draws.times)
    raw["sent"] = n_sent = len(finishes)
    raw["retries"] = n_sent - sum(raw["first"])
    raw["successes"] = len(answered)
    raw["wasted_total"] = n_sent - len(answered)  # every attempt sent is answered in time or wasted
    raw["mean_response_s"] = raw.pop("sojourn") / n_sent if n_sent else 0.0
    return raw


def _per_bin(times: list[float], nbins: int) -> list[int]:
    """How many of the sorted `times` fall in each bin int(t / BIN_S), by bisection at the bins'
    ends (the very bins of int(t / BIN_S) while BIN_S is a power of two, as 1 s is)."""
    ends = [bisect_left(times, (b + 1) * BIN_S) for b in range(nbins)]
    return [end - start for start, end in zip([0] + ends, ends)]


# The two loops below are the hot path (~20,000 attempts a run at the defaults): globals and
# attribute lookups are hoisted into locals, the full-jitter sleep is inlined with the very same
# draws (BACKOFF_JITTER), and nothing is allocated per attempt but a waiting event. Both process
# events in the order of one heap keyed on (time, sequence number), first tries going first at
# equal times, as the model's single event loop did; they only get there more cheaply.

def _stateless(attempts, draws, nbins, server, local_random) -> dict:
    """No retries, or plain retries: nothing a client does depends on earlier outcomes."""
    succeeded = [0] * nbins  # requests per bin of arrival that eventually succeeded (by any attempt)
    # The pause before attempt n + 1 (ms) is ceiling[n] x random(): 100, 200, 400 ms ceilings.
    ceiling = [0.0] + [min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2.0 ** k) for k in range(max(1, attempts))]
    slow_mu, trigger_end, timeout_s, trigger_at = server
    capacity = CAPACITY
    work, more = draws.work, draws.more
    starts: list[float] = []  # server arrival times (sorted: handled in time order)
    finishes: list[float] = []  # completion times (sorted too: FIFO)
    answered: list[float] = []  # completion times of the answers in time
    starts_append, finishes_append, answered_append = starts.append, finishes.append, answered.append
    # Attempts run in time order, slab by slab (slab int(time / width), width half a timeout)
    # rather than through a heap (a heap of tuples costs more than the rest of an attempt). A retry
    # comes at least a timeout after the attempt that failed, so by the time the loop reaches a
    # slab nothing more can land in it: its first tries and retries are sorted by time, stably,
    # which puts first tries before retries at the same time and retries in the order they were
    # scheduled, just as a heap keyed on (time, sequence number) would.
    width = timeout_s / 2 if attempts > 1 else math.inf  # without retries, one slab holds all
    times, firsts = draws.times, draws.attempts
    n_first = len(times)
    waiting = defaultdict(list)  # slab -> [(time, bin of the request's first try, attempt)] of retries
    by_time = itemgetter(0)
    lo = slab = k = 0  # lo: first tries sent so far; k: attempts sent so far
    free_at = 0.0  # when the server finishes the work queued so far
    sojourn = 0.0  # total time attempts spent at the server (queue + service)

    while lo < n_first or waiting:
        hi, edge = lo, slab + 1
        while hi < n_first and times[hi] / width < edge:  # the first tries of this slab
            hi += 1
        events = firsts[lo:hi]
        lo = hi
        retries = waiting.pop(slab, None)
        slab = edge
        if retries:
            events += retries
            events.sort(key=by_time)
        for t, b0, n in events:
            # The server is FIFO, so this attempt's completion is fixed by the work ahead of it.
            start = t if t > free_at else free_at
            try:
                w = work[k]
            except IndexError:
                w = more(k)
            k += 1
            finish = free_at = start + w / (slow_mu if trigger_at <= start < trigger_end else capacity)
            stay = finish - t
            sojourn += stay
            starts_append(t)
            finishes_append(finish)
            if stay <= timeout_s:
                answered_append(finish)
                succeeded[b0] += 1
            elif n < attempts:  # the client gives up at t + timeout, sleeps, and retries
                when = t + timeout_s + ceiling[n] * local_random() / 1000.0
                waiting[int(when / width)].append((when, b0, n + 1))

    return {"held_back": [0] * nbins, "suppressed": [0] * nbins, "succeeded": succeeded, "starts": starts,
            "finishes": finishes, "answered": answered, "suppressed_total": 0, "sojourn": sojourn}


def _stateful(strategy, rate, window_s, attempts, draws, nbins, server, local_random) -> dict:
    """The cures: bucket, throttle and breaker clients change their state as outcomes arrive."""
    held_back = [0] * nbins  # first tries the throttle did not send, per bin
    suppressed = [0] * nbins  # attempts the client chose not to send (throttled, or retry withheld)
    succeeded = [0] * nbins  # requests per bin of arrival that eventually succeeded (by any attempt)
    is_bucket, is_throttle, is_breaker = strategy == "bucket", strategy == "throttle", strategy == "breaker"
    tokens = [BUCKET_CAPACITY] * CLIENTS
    # The clients have been running before t = 0 against a healthy server: their windows start
    # full of successes (a cold throttle would reject the second request, at 1/(1+1) = 50 %).
    per_client = rate / CLIENTS
    windows = [_Window(window_s, per_client, per_client if is_throttle else 0) for _ in range(CLIENTS)]
    # Events come in time order, so every window is moved on to the current second as soon as an
    # event reaches it (not just the client's own): the loop then counts into the current slot
    # directly. A window skipped forward only subtracts empty slots, so the sums are the same.
    next_sec = 0.0 if is_throttle or is_breaker else math.inf
    slot = 0
    # The pause before attempt n + 1 (ms) is ceiling[n] x random(): 100, 200, 400 ms ceilings.
    ceiling = [0.0] + [min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2.0 ** k) for k in range(max(1, attempts))]
    push, pop, inf = heapq.heappush, heapq.heappop, math.inf
    slow_mu, trigger_end, timeout_s, trigger_at = server
    capacity, bin_s, k_accepts = CAPACITY, BIN_S, THROTTLE_K
    work, more = draws.work, draws.more
    times, clients, bins = draws.times + [inf], draws.clients, draws.bins
    starts: list[float] = []  # server arrival times (sorted: handled in time order)
    finishes: list[float] = []  # completion times (sorted too: FIFO)
    answered: list[float] = []  # completion times of the answers in time
    starts_append, finishes_append = starts.append, finishes.append
    # Waiting events, each (time, seq, bin of the request's first try, client, attempt number).
    # Answers come in the order the FIFO server completes them and give-ups a fixed timeout after
    # their attempts, so both queues are in time order already; only retries, after random pauses,
    # need a heap. The next event is the smallest (time, seq) of the three heads: the order one
    # heap of everything would give, without paying a heap of tuples for every outcome. The first
    # tries end with a sentinel at infinity, and an empty queue's head is `nothing`, at infinity.
    answers: deque = deque()
    give_ups: deque = deque()
    nothing = (inf, 0, 0, 0, 0)  # the head of an empty queue
    answer = give_up = nothing
    retries: list = [nothing]
    seq = i = k = 0  # k: attempts sent so far
    next_first = times[0]
    free_at = 0.0  # when the server finishes the work queued so far
    sojourn = 0.0  # total time attempts spent at the server (queue + service)
    n_suppressed = 0

    while True:
        head = answer if answer < give_up else give_up
        if retries[0] < head:
            head = retries[0]
        if next_first <= head[0]:  # a first try goes before an event at the same time
            if next_first == inf:
                break
            t, b0, client, n = next_first, bins[i], clients[i], 1
            i += 1
            next_first = times[i]
            if t >= next_sec:
                for window in windows:
                    slot = window.advance(t)
                next_sec = int(t) + 1
        else:
            t, _, b0, client, n = head
            if t >= next_sec:
                for window in windows:
                    slot = window.advance(t)
                next_sec = int(t) + 1
            if head is answer:  # ---- the client learns that attempt n succeeded ----
                answers.popleft()
                answer = answers[0] if answers else nothing
                succeeded[b0] += 1
                if is_bucket:
                    if tokens[client] < BUCKET_CAPACITY:  # a full bucket stays full
                        tokens[client] = min(BUCKET_CAPACITY, tokens[client] + BUCKET_DEPOSIT)
                elif is_throttle:  # an accept
                    window = windows[client]
                    window.b[slot] += 1
                    window.sb += 1
                else:  # the breaker: one more attempt in the window, not failed
                    window = windows[client]
                    window.a[slot] += 1
                    window.sa += 1
                continue
            if head is give_up:  # ---- the client gives up on attempt n ----
                give_ups.popleft()
                give_up = give_ups[0] if give_ups else nothing
                if is_breaker:  # one more attempt in the window, failed
                    window = windows[client]
                    window.a[slot] += 1
                    window.b[slot] += 1
                    window.sa += 1
                    window.sb += 1
                if n >= attempts:
                    continue
                if is_bucket:
                    allowed = tokens[client] >= 1.0
                    if allowed:
                        tokens[client] -= 1.0
                elif is_breaker:
                    total, failed = window.sa, window.sb
                    allowed = total < BREAKER_MIN_SAMPLES or failed <= BREAKER_MAX_FAILURE * total
                else:
                    allowed = True
                if not allowed:
                    n_suppressed += 1
                    b = int(t / bin_s)
                    if b < nbins:
                        suppressed[b] += 1
                    continue
                seq += 1
                push(retries, (t + ceiling[n] * local_random() / 1000.0, seq, b0, client, n + 1))
                continue
            pop(retries)  # ---- a retry, sent now ----

        # ---- attempt n of a request, at time t ----
        if is_throttle:
            window = windows[client]
            requests, accepts = window.sa, window.sb
            window.a[slot] += 1
            window.sa += 1
            # Drawn for every attempt; below K x accepts the probability is 0 and the call is moot.
            u = local_random()
            if requests > k_accepts * accepts and u < throttle_probability(requests, accepts):
                n_suppressed += 1
                b = int(t / bin_s)
                if b < nbins:
                    suppressed[b] += 1
                if n == 1:
                    held_back[b] += 1
                continue  # failed fast on the client; not retried
        # The server is FIFO, so this attempt's completion is fixed by the work ahead of it.
        start = t if t > free_at else free_at
        try:
            w = work[k]
        except IndexError:
            w = more(k)
        k += 1
        finish = free_at = start + w / (slow_mu if trigger_at <= start < trigger_end else capacity)
        stay = finish - t
        sojourn += stay
        starts_append(t)
        finishes_append(finish)
        seq += 1
        if stay <= timeout_s:
            answered.append(finish)
            event = (finish, seq, b0, client, n)
            if answer is nothing:
                answer = event
            answers.append(event)
        else:
            event = (t + timeout_s, seq, b0, client, n)
            if give_up is nothing:
                give_up = event
            give_ups.append(event)

    return {"held_back": held_back, "suppressed": suppressed, "succeeded": succeeded, "starts": starts,
            "finishes": finishes, "answered": answered, "suppressed_total": n_suppressed,
            "sojourn": sojourn}


def _sustained(healthy: list[bool], first_bin: int) -> float | None:
    """Start (s) of the first bin at or after `first_bin` from which every bin is healthy until
    the end of the run; None if there is none, or if it leaves under RECOVERED_CONFIRM_S to see."""
    candidate = None
    for b in range(len(healthy) - 1, first_bin - 1, -1):
        if not healthy[b]:
            break
        candidate = b
    if candidate is None or (len(healthy) - candidate) * BIN_S < RECOVERED_CONFIRM_S:
        return None
    return candidate * BIN_S


def _recovery(raw: dict, trigger_end: float) -> tuple[float | None, float | None]:
    """(clients recovered, server recovered), in seconds.

    Clients: >= RECOVERED_SUCCESS of the requests arriving in each second succeed (by any attempt).
    Server: it wastes <= 1 - RECOVERED_SUCCESS of its work on requests already given up.
    """
    first_bin = int(math.ceil(trigger_end / BIN_S - 1e-9))
    clients = [s >= RECOVERED_SUCCESS * a for a, s in zip(raw["arrived"], raw["succeeded"])]
    server = [w <= (1 - RECOVERED_SUCCESS) * (g + w) for g, w in zip(raw["good"], raw["wasted"])]
    return _sustained(clients, first_bin), _sustained(server, first_bin)


def fluid_recovery_s(rate: float, drop_pct: float, trigger_s: float, timeout_ms: float,
                     trigger_at_s: float = TRIGGER_AT_S) -> float | None:
    """When clients without retries are served again, in the fluid (average-rate) model.

    During the trigger the backlog grows at rate - drop x CAPACITY; afterwards it drains at the
    spare capacity, CAPACITY - rate. A request is answered in time once the work ahead of it is
    under one timeout, i.e. the backlog is under CAPACITY x timeout. None if it never drains.
    Queueing noise is ignored, so the simulation lands within a few seconds of this.
    """
    if rate >= CAPACITY:  # the backlog never drains, trigger or not
        return None
    end = trigger_at_s + trigger_s
    backlog = max(0.0, (rate - CAPACITY * drop_pct / 100.0) * trigger_s)
    excess = backlog - CAPACITY * timeout_ms / 1000.0
    return end + max(0.0, excess) / (CAPACITY - rate)


def retry_budget(rate: float = 85, drop_pct: int = 50, trigger_s: float = 5, timeout_ms: int = 1000,
                 attempts: int = 4, window_s: int = DEFAULT_WINDOW_S, strategies=STRATEGIES,
                 seed: int = 1, trigger_at_s: float = TRIGGER_AT_S) -> dict:
    """Each chosen strategy on the same traffic through the same trigger, which starts at
    `trigger_at_s` (TRIGGER_AT_S unless a published example starts it elsewhere).

    Result: {"capacity", "rate", "trigger": {"start_ms", "end_ms", "capacity"}, "bin_ms",
    "t_ms": [bin starts], "strategies": {name: {"offered", "goodput", "retries", "recovered_at_ms",
    "recovery_ms", "server_recovered_at_ms", "outcome", "requests", "successes", "success_pct",
    "mean_response_ms", "wasted", "suppressed", "series":
    {"first_tries", "retries", "goodput", "wasted", "suppressed", "queue", "success_pct"}}}}.
    "recovered_at_ms" is when the clients are served again (>= 95 % of the requests arriving in each
    second succeed, from then to the end of the run), None if never; "server_recovered_at_ms" is when
    the server stops wasting work on abandoned requests (a throttled client can lag behind it).
    "outcome": "recovered", "clients lagging" (the server has recovered, the clients not yet) or
    "overloaded" (the server never recovers: metastable, when the load without retries is not).
    Top level also: "demand" (new requests per second per bin: the same for every strategy) and
    "fluid_recovered_at_ms" (fluid_recovery_s for no retries, the closed form the page shows).
    Rates are per second. "offered" and "goodput" are averages from the trigger's end to the end of
    the run (the part that tells a metastable failure from a recovery); "retries" counts the retries
    sent to the server over the whole run. Series rates are per second per bin; "queue" is the number
    of requests at the server at the end of each bin.
    Cost: at most rate x SIM_S x attempts attempts per strategy.
    """
    drop = drop_pct / 100.0
    timeout_s = timeout_ms / 1000.0
    trigger_end = trigger_at_s + trigger_s
    nbins = int(math.ceil(SIM_S / BIN_S))
    after = int(math.ceil(trigger_end / BIN_S - 1e-9))  # first whole bin after the trigger
    span = max(1, nbins - after) * BIN_S
    fluid = fluid_recovery_s(rate, drop_pct, trigger_s, timeout_ms, trigger_at_s)
    out = {}
    demand = None
    draws = _Draws(rate, seed)
    raws: dict[str, dict] = {}
    for name in sorted(strategies, key=lambda s: s != "none"):  # "none" first: see below
        none = raws.get("none")
        if name in ("retries", "bucket", "breaker") and none is not None and (
                attempts == 1 or none["wasted_total"] == 0):
            # These clients differ from no-retry clients only after a time-out: with a single
            # attempt they do nothing then, and when no attempt times out without retries, none
            # does with them either (the same first tries meet the same server). They send
            # exactly what no-retry clients send: a copy of that run, not a rerun.
            raws[name] = {key: list(v) if isinstance(v, list) else v for key, v in none.items()}
        else:
            raws[name] = _run(name, draws, rate, drop, trigger_s, timeout_s, attempts, window_s, seed, trigger_at_s)
    for name in strategies:
        raw = raws[name]
        demand = raw["arrived"]
        recovered, server_ok = _recovery(raw, trigger_end)
        offered = [f + r for f, r in zip(raw["first"], raw["retried"])]
        out[name] = {
            "offered": _r(sum(offered[after:]) / span),
            "goodput": _r(sum(raw["good"][after:]) / span),
            "retries": raw["retries"],
            "recovered_at_ms": None if recovered is None else _r(recovered * 1000),
            "recovery_ms": None if recovered is None else _r(max(0.0, recovered - trigger_end) * 1000),
            "server_recovered_at_ms": None if server_ok is None else _r(server_ok * 1000),
            "outcome": ("recovered" if recovered is not None else
                        "overloaded" if server_ok is None else "clients lagging"),
            "requests": raw["requests"],
            "successes": raw["successes"],
            "success_pct": _r(100 * raw["successes"] / max(1, raw["requests"])),
            "mean_response_ms": _r(1000 * raw["mean_response_s"]),
            "wasted": raw["wasted_total"],
            "suppressed": raw["suppressed_total"],
            "series": {
                "first_tries": _per_s(raw["first"]),
                "retries": _per_s(raw["retried"]),
                "goodput": _per_s(raw["good"]),
                "wasted": _per_s(raw["wasted"]),
                "suppressed": _per_s(raw["suppressed"]),
                "queue": raw["queue"],
                "success_pct": [None if a == 0 else _r(100 * s / a)
                                for a, s in zip(raw["arrived"], raw["succeeded"])],
            },
        }
    return {
        "capacity": CAPACITY,
        "rate": rate,
        "trigger": {"start_ms": _r(trigger_at_s * 1000), "end_ms": _r(trigger_end * 1000),
                    "capacity": _r(CAPACITY * drop)},
        "bin_ms": _r(BIN_S * 1000),
        "t_ms": [_r(i * BIN_S * 1000) for i in range(nbins)],
        "demand": _per_s(demand),
        "fluid_recovered_at_ms": None if fluid is None else _r(fluid * 1000),
        "strategies": out,
    }


def _per_s(counts: list[int]) -> list[float]:
    return [_r(c / BIN_S) for c in counts]


def _r(x: float) -> float:
    x = round(x, 1)
    return int(x) if x == int(x) else x
