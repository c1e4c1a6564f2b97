"""Timeouts: what a dependency's latency distribution says about where to cut, and retries under a deadline.

The dependency's latency is a mixture with closed-form pieces, so every figure the simulation
shows has an exact counterpart:
  - with probability `hang`, the call never answers (a hung connection, a lost packet with no
    retransmit, a deadlocked callee): only a timeout ends it;
  - otherwise the call answers after X, where X is
      body  (share 1 - w): lognormal with median m and spread sigma, F(x) = Phi((ln x - ln m) / sigma),
            quantile exp(ln m + sigma * z_p);
      tail  (share w):     Pareto from x_m = TAIL_START * m with shape alpha, F(x) = 1 - (x_m / x)^alpha,
            the slow path (cache miss, GC pause, retransmit) whose own tail is a power law.
    The mixture's CDF is (1 - w) F_body + w F_tail; its quantiles have no formula, so
    `LatencyModel.quantile` solves F(x) = p by bisection to machine precision. The lognormal
    formula exp(mu + sigma z_p) is the answer only when w = 0; with a tail it is the body's own
    percentile, a lower bound that drifts further from the truth the further out you look.
Percentiles are of the calls that answer: hung calls have no latency to measure, just as a
latency histogram in production only holds calls that returned.

Thread-seconds: a caller that waits for a call holds a thread (or a connection, a memory
buffer) for min(X, timeout), and a hung call holds it for the whole timeout. The mean of that, in
milliseconds per request, is exactly the thread-seconds held per 1,000 requests.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import operator
import random
from statistics import NormalDist

from .stats import percentile

# The tail component starts at twice the body's median: slow paths are slow from the start.
TAIL_START = 2.0
# Requests drawn for the trade-off demo: 20,000 leaves ~20 samples above p99.9.
SAMPLE_SIZE = 20_000
# Requests pushed through both retry policies (common random numbers: same latencies for both).
RETRY_REQUESTS = 8_000
STREAM_CHUNK = 512       # draws made at a time for the retry demo, which takes them one by one
CURVE_POINTS = 160       # timeouts on the trade-off curve, log-spaced
HISTOGRAM_BINS = 60      # log-spaced bins; latencies span orders of magnitude
PERCENTILES = (50, 90, 99, 99.9)

# Defaults of the demos (the web layer's parameter declarations use the same values).
DEFAULT_MEDIAN_MS = 50
DEFAULT_SIGMA = 0.5
DEFAULT_TAIL_PCT = 2.0
DEFAULT_TAIL_ALPHA = 1.5
DEFAULT_HANG_PCT = 0.5
DEFAULT_TIMEOUT_MS = 600       # ~3 x p99 of the default distribution (p99 = 200 ms): the seed's rule
DEFAULT_BACKOFF_MS = 100       # the seed's backoff: 100 ms, doubling, 5 attempts
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_DEADLINE_MS = 1000
DEFAULT_RETRY_HANG_PCT = 10.0  # the retry demo's dependency is in trouble: 1 call in 10 hangs

_STD_NORMAL = NormalDist()


class LatencyModel:
    """The dependency: lognormal body + Pareto tail for the calls that answer, plus hung calls."""

    def __init__(self, median_ms: float, sigma: float, tail_pct: float = 0.0, tail_alpha: float = 1.5,
                 hang_pct: float = 0.0):
        if median_ms <= 0 or sigma <= 0 or tail_alpha <= 0:
            raise ValueError("median, sigma and tail_alpha must be positive")
        if not (0 <= tail_pct <= 100 and 0 <= hang_pct < 100):
            raise ValueError("tail_pct must be in [0, 100] and hang_pct in [0, 100)")
        self.median, self.sigma = float(median_ms), float(sigma)
        self.mu = math.log(self.median)
        self.w = tail_pct / 100
        self.alpha = float(tail_alpha)
        self.x_m = TAIL_START * self.median
        self.hang = hang_pct / 100

    # ---- closed forms (of the calls that answer) ---------------------------------------------
    def cdf(self, x: float) -> float:
        return 1.0 - self.sf(x)

    def sf(self, x: float) -> float:
        """P(X > x): computed directly so that far-tail probabilities keep their precision."""
        if x <= 0:
            return 1.0
        body = _STD_NORMAL.cdf(-(math.log(x) - self.mu) / self.sigma)
        tail = 1.0 if x <= self.x_m else (self.x_m / x) ** self.alpha
        return (1 - self.w) * body + self.w * tail

    def quantile(self, p: float) -> float:
        """The exact mixture quantile: solves P(X <= x) = p by bisection in log x."""
        if not 0 < p < 1:
            raise ValueError("p must be in (0, 1)")
        if self.w == 0:
            return self.body_quantile(p)
        if self.w == 1:
            return self.tail_quantile(p)
        q = 1 - p
        lo = hi = self.median
        while self.sf(lo) <= q:
            lo /= 2
        while self.sf(hi) > q:
            hi *= 2
        lo, hi = math.log(lo), math.log(hi)
        for _ in range(200):  # the bracket halves each step: 200 steps reach double precision
            mid = (lo + hi) / 2
            if self.sf(math.exp(mid)) > q:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-15:
                break
        return math.exp((lo + hi) / 2)

    def body_quantile(self, p: float) -> float:
        """exp(mu + sigma z_p): the lognormal body's own quantile; the mixture's only when w = 0."""
        return math.exp(self.mu + self.sigma * _STD_NORMAL.inv_cdf(p))

    def tail_quantile(self, p: float) -> float:
        """x_m (1 - p)^(-1/alpha): the Pareto component's own quantile."""
        return self.x_m * (1 - p) ** (-1 / self.alpha)

    def mean(self) -> float | None:
        """E[X]; None (infinite) when the tail has alpha <= 1."""
        body = math.exp(self.mu + self.sigma ** 2 / 2)
        if self.w == 0:
            return body
        if self.alpha <= 1:
            return None
        return (1 - self.w) * body + self.w * self.alpha * self.x_m / (self.alpha - 1)

    def std(self) -> float | None:
        """Standard deviation of X; None (infinite) when the tail has alpha <= 2.

        A Pareto tail with alpha <= 2 has no variance: "p99 + 3 sigma" then rests on a sample
        standard deviation that never settles, however many requests you measure."""
        m2_body = math.exp(2 * self.mu + 2 * self.sigma ** 2)
        if self.w == 0:
            m2 = m2_body
        elif self.alpha <= 2:
            return None
        else:
            m2 = (1 - self.w) * m2_body + self.w * self.alpha * self.x_m ** 2 / (self.alpha - 2)
        mean = self.mean()
        return math.sqrt(max(0.0, m2 - mean * mean))

    def mean_capped(self, t: float | None) -> float | None:
        """E[min(X, t)], the mean time a call that answers holds its caller when cut at t."""
        if t is None:
            return self.mean()
        if t <= 0:
            return 0.0
        z = (math.log(t) - self.mu) / self.sigma
        body = (math.exp(self.mu + self.sigma ** 2 / 2) * _STD_NORMAL.cdf(z - self.sigma)
                + t * _STD_NORMAL.cdf(-z))
        if t <= self.x_m:
            tail = t
        elif self.alpha == 1:
            tail = self.x_m * (1 + math.log(t / self.x_m))
        else:
            tail = self.x_m * (1 + ((t / self.x_m) ** (1 - self.alpha) - 1) / (1 - self.alpha))
        return (1 - self.w) * body + self.w * tail

    def thread_seconds_per_1000(self, t: float | None) -> float | None:
        """Thread-seconds held per 1,000 requests with timeout t (ms): (1 - h) E[min(X, t)] + h t.
        None (unbounded) without a timeout if any call hangs, or if the mean is infinite."""
        if t is None:
            mean = self.mean()
            return None if self.hang > 0 or mean is None else mean
        return (1 - self.hang) * self.mean_capped(t) + self.hang * t

    # ---- sampling ---------------------------------------------------------------------------
    def sample(self, rng: random.Random) -> float | None:
        """One call's latency in ms, or None for a call that hangs."""
        if self.hang and rng.random() < self.hang:
            return None
        if self.w and rng.random() < self.w:
            return self.x_m * (1.0 - rng.random()) ** (-1 / self.alpha)  # inverse CDF, 1-U in (0, 1]
        return math.exp(self.mu + self.sigma * rng.gauss(0.0, 1.0))


def draw(model: LatencyModel, n: int, seed) -> list:
    """The n calls the trade-off demo measures (None = hung), from the demo's own random stream."""
    return _Sampler(model, random.Random(f"timeouts-{seed}")).take(n)


def stream(model: LatencyModel, rng: random.Random):
    """An endless iterator of `model.sample(rng)`, drawn STREAM_CHUNK at a time: the same draws in
    the same order, whatever chunk size, since each chunk continues where the last one stopped."""
    return itertools.chain.from_iterable(iter(functools.partial(_Sampler(model, rng).take, STREAM_CHUNK), None))


class _Sampler:
    """`model.sample(rng)` in bulk, with the method call and `random.gauss` inlined (CPython's own
    algorithm, Box-Muller in pairs, its spare kept here between calls), because drawing is most of
    what the timeout demos cost: `take(n)` returns the same n draws as n calls of `sample`."""

    def __init__(self, model: LatencyModel, rng: random.Random):
        self.model, self.rng = model, rng
        self.spare = None  # random.gauss's gauss_next
        self.hung = 0      # hung calls drawn so far

    def take(self, n: int, keep_hung: bool = True) -> list:
        """The next n draws; with keep_hung=False the hung ones are only counted (in `hung`), and
        the list holds just the latencies of the calls that answer."""
        rand, exp, log, sqrt, cos, sin = self.rng.random, math.exp, math.log, math.sqrt, math.cos, math.sin
        model = self.model
        hang, w, x_m, power = model.hang, model.w, model.x_m, -1 / model.alpha
        mu, sigma = model.mu, model.sigma
        two_pi = 2 * math.pi
        spare = self.spare
        out = []
        keep = out.append
        for _ in itertools.repeat(None, n):
            if hang and rand() < hang:
                self.hung += 1
                if keep_hung:
                    keep(None)
            elif w and rand() < w:
                keep(x_m * (1.0 - rand()) ** power)
            else:
                if spare is None:
                    x2pi = rand() * two_pi
                    g2rad = sqrt(-2.0 * log(1.0 - rand()))
                    z, spare = cos(x2pi) * g2rad, sin(x2pi) * g2rad
                else:
                    z, spare = spare, None
                keep(exp(mu + sigma * z))
        self.spare = spare
        return out


# ---- timeout-tradeoff ----------------------------------------------------------------------------

def tradeoff(median_ms=DEFAULT_MEDIAN_MS, sigma=DEFAULT_SIGMA, tail_pct=DEFAULT_TAIL_PCT,
             tail_alpha=DEFAULT_TAIL_ALPHA, hang_pct=DEFAULT_HANG_PCT, timeout_ms=DEFAULT_TIMEOUT_MS,
             seed=1) -> dict:
    """Draw SAMPLE_SIZE calls and weigh every possible timeout: false timeouts vs. threads held.

    A false timeout is a call that would have answered but is cut off: its share among the calls
    that answer is exactly the share of measured latencies above the timeout. `timeout_ms=None`
    means no timeout at all. Cost: SAMPLE_SIZE draws and one sort, whatever the parameters.
    """
    model, lat, hung, curve, sampled, mean_s, std_s = _measured(median_ms, sigma, tail_pct, tail_alpha,
                                                                  hang_pct, seed)
    exact = {_pname(p): model.quantile(p / 100) for p in PERCENTILES}
    body = {_pname(p): model.body_quantile(p / 100) for p in PERCENTILES}

    rules = []
    for rule, t in (("3 x p99", 3 * sampled["p99"]), ("p99.9", sampled["p99.9"]),
                    ("p99 + 3 sigma", sampled["p99"] + 3 * std_s)):
        rules.append({"rule": rule, "timeout_ms": _r(t), **curve.at(_r(t), model)})

    chosen = {"timeout_ms": timeout_ms, **curve.at(timeout_ms, model)}

    top = max([sampled["p99.9"], *(r["timeout_ms"] for r in rules), timeout_ms or 0]) * 3
    # Rounded to 4 significant digits first, so that each point's figures belong to the timeout shown.
    grid = sorted({float(f"{t:.4g}") for t in _log_grid(max(lat[0], sampled["p50"] / 4) if lat else 1.0,
                                                       max(top, 10.0), CURVE_POINTS)})
    points = [curve.at(t, model) for t in grid]
    return {
        "n": SAMPLE_SIZE, "answered": len(lat), "hung": hung,
        "percentiles_ms": {k: _r(v) for k, v in sampled.items()},
        "mean_ms": _r(mean_s), "std_ms": _r(std_s),
        "closed_form": {
            "percentiles_ms": {k: _r(v) for k, v in exact.items()},
            "body_only_percentiles_ms": {k: _r(v) for k, v in body.items()},
            "body_only_exact": model.w == 0,
            "mean_ms": _r_or_none(model.mean()), "std_ms": _r_or_none(model.std()),
            "tail_start_ms": _r(model.x_m),
        },
        "timeout": chosen,
        "rules": rules,
        "curve": {
            "timeout_ms": grid,
            "false_timeout_rate": [p["false_timeout_rate"] for p in points],
            "thread_seconds_per_1000": [p["thread_seconds_per_1000"] for p in points],
            "false_timeout_rate_exact": [p["false_timeout_rate_exact"] for p in points],
            "thread_seconds_per_1000_exact": [p["thread_seconds_per_1000_exact"] for p in points],
        },
        "histogram": _histogram(lat, model, sampled["p99.9"], timeout_ms),
    }


@functools.lru_cache(maxsize=32)
def _measured(median_ms, sigma, tail_pct, tail_alpha, hang_pct, seed) -> tuple:
    """The sorted sample of SAMPLE_SIZE calls and all of its figures that no timeout changes. Kept for
    the last few distributions, so that moving the timeout slider (the demo's main control) costs a
    lookup, not 20,000 draws and a sort. Shared by the results built from it: read, never changed."""
    model = LatencyModel(median_ms, sigma, tail_pct, tail_alpha, hang_pct)
    sampler = _Sampler(model, random.Random(f"timeouts-{seed}"))  # the calls of `draw(model, SAMPLE_SIZE, seed)`
    lat = sampler.take(SAMPLE_SIZE, keep_hung=False)
    lat.sort()
    sampled = {_pname(p): percentile(lat, p) for p in PERCENTILES}
    return (model, lat, sampler.hung, _Curve(lat, sampler.hung), sampled, *_mean_std(lat))


class _Curve:
    """False-timeout rate and thread-seconds for any timeout, from the sorted sample in O(log n)."""

    def __init__(self, lat: list[float], hung: int):
        self.lat, self.hung, self.n = lat, hung, len(lat) + hung
        self.prefix = list(itertools.accumulate(lat, initial=0.0))  # prefix[k] = sum of the k fastest

    def at(self, t: float | None, model: LatencyModel) -> dict:
        answered = len(self.lat)
        if t is None:  # no timeout: nothing is cut, and a hung call holds its thread for ever
            held = None if self.hung else self.prefix[-1] / self.n
            return {"false_timeout_rate": 0.0, "false_timeouts_per_1000": 0.0,
                    "timeouts_per_1000": 0.0, "thread_seconds_per_1000": _r_or_none(held),
                    "false_timeout_rate_exact": 0.0,
                    "thread_seconds_per_1000_exact": _r_or_none(model.thread_seconds_per_1000(None))}
        k = bisect.bisect_right(self.lat, t)  # calls that answer within t
        cut = answered - k
        held_ms = self.prefix[k] + (cut + self.hung) * t  # per-call hold summed, in ms
        return {
            "false_timeout_rate": round(cut / answered, 6) if answered else 0.0,
            "false_timeouts_per_1000": round(1000 * cut / self.n, 3),
            "timeouts_per_1000": round(1000 * (cut + self.hung) / self.n, 3),
            # ms per request == thread-seconds per 1,000 requests
            "thread_seconds_per_1000": _r(held_ms / self.n),
            "false_timeout_rate_exact": round(model.sf(t), 6),
            "thread_seconds_per_1000_exact": _r(model.thread_seconds_per_1000(t)),
        }


def _histogram(lat: list[float], model: LatencyModel, p999: float, timeout_ms: float | None) -> dict:
    """Log-spaced bins with counts, and the counts the closed-form CDF expects in each bin."""
    if not lat:
        return {"edges_ms": [], "counts": [], "expected": [], "overflow": 0, "scale": "log"}
    hi = max(p999 * 2, (timeout_ms or 0) * 1.2)
    lo = min(lat[0], hi / 2)
    edges = _log_grid(lo, hi, HISTOGRAM_BINS + 1)
    edges[0], edges[-1] = lo, hi  # exact ends, no rounding drift
    idx = [bisect.bisect_left(lat, e) for e in edges]
    idx[-1] = bisect.bisect_right(lat, hi)
    counts = [idx[i + 1] - idx[i] for i in range(HISTOGRAM_BINS)]
    n = len(lat)
    expected = [round(n * (model.sf(edges[i]) - model.sf(edges[i + 1])), 2) for i in range(HISTOGRAM_BINS)]
    return {"edges_ms": [round(e, 3) for e in edges], "counts": counts, "expected": expected,
            "overflow": n - idx[-1], "below": idx[0], "scale": "log"}


# ---- timeout-retry-budget -----------------------------------------------------------------------

def retry_budget(median_ms=DEFAULT_MEDIAN_MS, sigma=DEFAULT_SIGMA, tail_pct=DEFAULT_TAIL_PCT,
                 tail_alpha=DEFAULT_TAIL_ALPHA, hang_pct=DEFAULT_RETRY_HANG_PCT,
                 attempt_timeout_ms=DEFAULT_TIMEOUT_MS, max_attempts=DEFAULT_MAX_ATTEMPTS,
                 backoff_ms=DEFAULT_BACKOFF_MS, deadline_ms=DEFAULT_DEADLINE_MS, seed=1) -> dict:
    """A caller with a total deadline calls the dependency with a per-attempt timeout and retries.

    Two policies on the same calls (every attempt k of request i draws the same latency in both):
      "per_attempt": each attempt gets the full timeout, retries wait base x 2^(k-1) (the seed's
                     backoff), and nothing looks at the caller's deadline;
      "deadline":    the same, but an attempt's timeout is min(timeout, time left before the
                     deadline), and no attempt starts once the deadline has passed.
    The caller stops waiting at the deadline either way; what the first policy does after that is
    work nobody will read. Attempts are independent draws (a real outage makes them correlated,
    which makes retries worth even less). Cost: at most RETRY_REQUESTS x max_attempts draws.
    """
    model = LatencyModel(median_ms, sigma, tail_pct, tail_alpha, hang_pct)
    sample = stream(model, random.Random(f"retry-budget-{seed}")).__next__
    timeout, deadline = float(attempt_timeout_ms), float(deadline_ms)
    backoffs = [backoff_ms * 2 ** k for k in range(max_attempts)]  # wait after failed attempt k+1

    # Worst case (every attempt times out): when each attempt starts and ends.
    schedule, t = [], 0.0
    for k in range(max_attempts):
        budget = min(timeout, deadline - t) if t < deadline else None
        schedule.append({"attempt": k + 1, "start_ms": _r(t), "end_ms": _r(t + timeout),
                         "bounded_timeout_ms": None if budget is None else _r(budget),
                         "fits": "full" if t + timeout <= deadline else ("partial" if t < deadline else "no")})
        t += timeout + (backoffs[k] if k < max_attempts - 1 else 0)
    worst_case_ms = t

    stats = {name: _RetryStats() for name in ("per_attempt", "deadline")}
    naive, bounded = stats["per_attempt"], stats["deadline"]
    first_limit = min(timeout, deadline)
    answered_first = []  # end-to-end latencies of the calls whose first attempt answered in time
    keep_first = answered_first.append
    for _ in range(RETRY_REQUESTS):
        x = sample()
        if x is not None and x <= first_limit:
            # Most calls: the first attempt answers in time, and both policies are the same call:
            # one attempt, answered within the deadline, nothing held after it. Those are counted
            # once at the end; only the held time is added here, in request order like the rest.
            keep_first(x)
            naive.held += x
            bounded.held += x
            continue
        draws: list = [x]
        for stat in (naive, bounded):
            is_bounded = stat is bounded
            t, ok, attempts, held, late_attempts, late_held = 0.0, False, 0, 0.0, 0, 0.0
            for k in range(max_attempts):
                if k == len(draws):
                    draws.append(sample())
                x = draws[k]
                limit = min(timeout, deadline - t) if is_bounded else timeout
                if x is not None and x <= limit:
                    took, ok = x, True
                else:
                    took = limit
                attempts += 1
                held += took
                end = t + took
                # Held after the caller left: from the later of the start and the deadline.
                if t >= deadline:
                    late_attempts += 1
                    late = end - t
                else:
                    late = end - deadline
                if late > 0:
                    late_held += late
                t = end
                if ok or k == max_attempts - 1:
                    break
                if is_bounded and t + backoffs[k] >= deadline:
                    break  # no time left for another attempt: report the failure now, not later
                t += backoffs[k]
            stat.add(t, ok, attempts, held, late_attempts, late_held, deadline)
    for stat in (naive, bounded):
        stat.add_answered_first(answered_first)

    # Closed form: attempts are independent, an attempt with budget b fails with
    # q(b) = h + (1 - h) P(X > b); the call fails if every attempt it makes fails.
    def q(b):
        return model.hang + (1 - model.hang) * model.sf(b)

    fail_naive = q(timeout) ** max_attempts
    fail_bounded = 1.0
    for row in schedule:
        if row["bounded_timeout_ms"] is not None:
            fail_bounded *= q(min(timeout, deadline - row["start_ms"]))

    edges = _log_grid(max(1.0, median_ms / 4), max(worst_case_ms, deadline) * 1.05, HISTOGRAM_BINS + 1)
    return {
        "n": RETRY_REQUESTS,
        "schedule": schedule,
        "worst_case_ms": _r(worst_case_ms),
        "attempts_fit": sum(1 for r in schedule if r["fits"] == "full"),
        "attempts_started_within_deadline": sum(1 for r in schedule if r["fits"] != "no"),
        "policies": {name: s.result(edges) for name, s in stats.items()},
        "histogram_edges_ms": [round(e, 3) for e in edges],
        "closed_form": {
            "p_attempt_fails": round(q(timeout), 6),
            "failure_rate": {"per_attempt": round(fail_naive, 8), "deadline": round(fail_bounded, 8)},
        },
    }


class _RetryStats:
    __slots__ = ("latencies", "ok", "ok_in_time", "attempts", "late_attempts", "over_deadline", "held",
                 "late_held")

    def __init__(self):
        self.latencies = []
        self.ok = self.ok_in_time = self.attempts = self.late_attempts = self.over_deadline = 0
        self.held = self.late_held = 0.0

    def add(self, t, ok, attempts, held, late_attempts, late_held, deadline):
        self.latencies.append(t)
        self.attempts += attempts
        self.late_attempts += late_attempts
        self.held += held
        self.late_held += late_held
        if t > deadline:
            self.over_deadline += 1
        if ok:
            self.ok += 1
            if t <= deadline:
                self.ok_in_time += 1

    def add_answered_first(self, latencies: list) -> None:
        """The calls whose single attempt answered within the deadline, counted at once (their
        held time is already in `held`); `result` sorts the latencies, so their order is free."""
        self.latencies += latencies
        self.attempts += len(latencies)
        self.ok += len(latencies)
        self.ok_in_time += len(latencies)

    def result(self, edges) -> dict:
        n = len(self.latencies)
        lat = sorted(self.latencies)
        idx = [bisect.bisect_left(lat, e) for e in edges]
        return {
            "success_rate": round(self.ok / n, 6),              # an answer came back, eventually
            "success_within_deadline": round(self.ok_in_time / n, 6),  # ... while the caller still waited
            "over_deadline": round(self.over_deadline / n, 6),  # still running when the caller gave up
            "attempts_per_request": round(self.attempts / n, 4),
            "attempts_after_deadline": self.late_attempts,      # started when nobody was waiting
            "thread_seconds_per_1000": _r(self.held / n),      # downstream work held (ms/req)
            "wasted_thread_seconds_per_1000": _r(self.late_held / n),  # ... of it after the deadline
            "percentiles_ms": {_pname(p): _r(percentile(lat, p)) for p in PERCENTILES},
            "max_ms": _r(lat[-1]),
            "histogram": [idx[i + 1] - idx[i] for i in range(len(edges) - 1)],
        }


# ---- helpers ------------------------------------------------------------------------------------

def _mean_std(values: list[float]) -> tuple[float, float]:
    n = len(values)
    if n < 2:
        return (values[0] if values else 0.0), 0.0
    mean = math.fsum(values) / n
    dev = list(map(operator.sub, values, itertools.repeat(mean)))
    var = math.fsum(map(operator.mul, dev, dev)) / (n - 1)
    return mean, math.sqrt(var)


def _log_grid(lo: float, hi: float, n: int) -> list[float]:
    if hi <= lo:
        hi = lo * 2
    step = math.log(hi / lo) / (n - 1)
    return [lo * math.exp(step * i) for i in range(n)]


def _pname(p: float) -> str:
    return f"p{p:g}"


def _r(x: float) -> float:
    """Milliseconds to 0.1 ms: enough for a chart, and stable in stored outputs."""
    return round(x, 1)


def _r_or_none(x: float | None) -> float | None:
    return None if x is None else _r(x)
