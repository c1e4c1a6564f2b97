"""Bulkheads: one shared thread pool vs. one pool per feature, under the same traffic and the same fault.

Three features (search, checkout, profile) receive Poisson traffic, each at its own rate and with
its own mean service time. From `fault_start_s` to `fault_end_s` search becomes slow: every search
request that arrives in that window takes `slow_factor` times longer (its dependency is sick).
The same arrivals and service times are then served twice:
  "shared":   one pool of `shared_size` threads for all three features;
  "isolated": one pool per feature (the seed's 100 / 200 / 50), each with its own queue.
Every pool is a `pool.ThreadPool`: a request that finds no free thread waits in a FIFO queue of at
most `queue_limit` (0 = rejected at once, None = unbounded) and gives up after `queue_timeout_ms`.

Without the fault, and with exponential service times, each isolated pool is an M/M/c/K queue
(M/M/c if the queue is unbounded and never times out): the result carries the closed forms of
`queueing.py` beside the simulated figures, and says when they are exact.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import random
from statistics import NormalDist

from . import queueing
from .pool import COMPLETED, REJECTED, TIMED_OUT, ThreadPool
from .stats import percentile

FEATURES = ("search", "checkout", "profile")
MODES = ("shared", "isolated")
SERVICE_DISTS = ("exponential", "lognormal")
# Spread of the lognormal service time (sigma of its log). 0.8 gives p99 / mean = 4.7, close to an
# exponential's 4.6, so switching shape changes the shape of the tail, not the load.
LOGNORMAL_SIGMA = 0.8
BUCKET_S = 1.0  # time-series resolution

# Defaults: the seed's pool sizes, and traffic under which the seed's story shows plainly.
DEFAULT_RATES = {"search": 60, "checkout": 20, "profile": 20}        # requests per second
DEFAULT_SERVICE_MS = {"search": 200, "checkout": 500, "profile": 100}  # mean service time
DEFAULT_POOLS = {"search": 100, "checkout": 200, "profile": 50}       # the seed's bulkheads
DEFAULT_SHARED_SIZE = 350
DEFAULT_QUEUE_LIMIT = 10
DEFAULT_QUEUE_TIMEOUT_MS = 1000
DEFAULT_FAULT_START_S = 5
DEFAULT_FAULT_END_S = 25
DEFAULT_SLOW_FACTOR = 100  # search goes from 200 ms to 20 s: its backend hangs until a socket timeout
DEFAULT_DURATION_S = 45

_STD_NORMAL = NormalDist()
_ARRIVAL, _START, _END = (operator.attrgetter(name) for name in ("arrival", "start", "end"))


def simulate(search_rate=DEFAULT_RATES["search"], checkout_rate=DEFAULT_RATES["checkout"],
             profile_rate=DEFAULT_RATES["profile"], search_ms=DEFAULT_SERVICE_MS["search"],
             checkout_ms=DEFAULT_SERVICE_MS["checkout"], profile_ms=DEFAULT_SERVICE_MS["profile"],
             service_dist="exponential", shared_size=DEFAULT_SHARED_SIZE,
             search_pool=DEFAULT_POOLS["search"], checkout_pool=DEFAULT_POOLS["checkout"],
             profile_pool=DEFAULT_POOLS["profile"], queue_limit=DEFAULT_QUEUE_LIMIT,
             queue_timeout_ms=DEFAULT_QUEUE_TIMEOUT_MS, fault_start_s=DEFAULT_FAULT_START_S,
             fault_end_s=DEFAULT_FAULT_END_S, slow_factor=DEFAULT_SLOW_FACTOR,
             duration_s=DEFAULT_DURATION_S, seed=1) -> dict:
    """Run the same traffic through a shared pool and through per-feature pools.

    Arrivals stop at `duration_s`; requests still inside then are served to the end, so every
    request has an outcome. A fault window with fault_end_s <= fault_start_s means no fault.
    Cost: one pool event per request per mode, i.e. ~2 x (sum of rates) x duration_s.
    """
    if service_dist not in SERVICE_DISTS:
        raise ValueError(f"unknown service_dist {service_dist!r}; expected one of {SERVICE_DISTS}")
    rates = {"search": search_rate, "checkout": checkout_rate, "profile": profile_rate}
    means_s = {"search": search_ms / 1000, "checkout": checkout_ms / 1000, "profile": profile_ms / 1000}
    sizes = {"search": search_pool, "checkout": checkout_pool, "profile": profile_pool}
    timeout_s = None if queue_timeout_ms is None else queue_timeout_ms / 1000
    fault_on = slow_factor != 1 and fault_end_s > fault_start_s and fault_start_s < duration_s
    fault = (fault_start_s, fault_end_s) if fault_on else None

    traffic = {f: _arrivals(f, rates[f], means_s[f], service_dist, duration_s, fault, slow_factor, seed)
               for f in FEATURES}

    # Shared: all arrivals, merged in time order, into one pool.
    merged = sorted(itertools.chain.from_iterable(traffic.values()))
    shared = ThreadPool(shared_size, queue_limit, timeout_s, name="shared")
    shared_jobs, shared_window = _run(shared, merged, duration_s)
    # Isolated: the pools never touch each other, so each runs on its own.
    isolated = {}
    for f in FEATURES:
        pool = ThreadPool(sizes[f], queue_limit, timeout_s, name=f)
        isolated[f] = (pool, *_run(pool, traffic[f], duration_s))

    n_buckets = max(1, math.ceil(duration_s / BUCKET_S))
    by_tag = [[] for _ in FEATURES]
    keep = [jobs.append for jobs in by_tag]
    for job in shared_jobs:
        keep[job.tag](job)
    by_feature = dict(zip(FEATURES, by_tag))
    modes = {
        "shared": _mode_result(by_feature, {f: shared_size for f in FEATURES},
                               {"shared": (shared, shared_jobs, shared_window)}, n_buckets, fault),
        "isolated": _mode_result({f: isolated[f][1] for f in FEATURES}, sizes, isolated, n_buckets, fault),
    }
    # Closed forms for each pool, with the reasons they are or are not exact for this run.
    for name, pool in (("shared", shared), *((f, isolated[f][0]) for f in FEATURES)):
        served = FEATURES if name == "shared" else (name,)
        mode = "shared" if name == "shared" else "isolated"
        modes[mode]["pools"][name]["theory"] = _theory(
            pool.size, [rates[f] for f in served], [means_s[f] for f in served], queue_limit, timeout_s,
            service_dist, fault)

    return {
        "features": list(FEATURES),
        "duration_s": duration_s, "bucket_s": BUCKET_S,
        "fault": {"active": fault_on, "start_s": fault_start_s, "end_s": fault_end_s,
                  "slow_factor": slow_factor, "feature": "search"},
        "arrivals": {f: len(traffic[f]) for f in FEATURES},
        "modes": modes,
        "headline": {f: {m: modes[m]["features"][f]["success_rate"] for m in MODES} for f in FEATURES},
        "sizing": sizing(rates, means_s, service_dist, sizes),
    }


def sizing(rates: dict, means_s: dict, service_dist: str, sizes: dict | None = None) -> dict:
    """Hystrix's rule per feature, computed from the healthy service-time distribution's p99."""
    out = {}
    for f in rates:
        p99 = service_quantile(service_dist, means_s[f], 0.99)
        rule = queueing.hystrix_pool_size(rates[f], p99)
        out[f] = {"rate": rates[f], "p99_ms": _ms(p99), "busy_at_p99": round(rule["busy_at_p99"], 2),
                  "suggested_threads": rule["threads"], "mean_busy": round(rates[f] * means_s[f], 2),
                  "configured": None if sizes is None else sizes[f]}
    return out


def service_quantile(service_dist: str, mean_s: float, p: float) -> float:
    """Closed-form quantile of the healthy service time: -ln(1-p) x mean, or the lognormal's
    exp(mu + sigma z_p) with mu chosen so that the mean is `mean_s`."""
    if service_dist == "exponential":
        return -math.log(1 - p) * mean_s
    mu = math.log(mean_s) - LOGNORMAL_SIGMA ** 2 / 2
    return math.exp(mu + LOGNORMAL_SIGMA * _STD_NORMAL.inv_cdf(p))


# ---- traffic and runs -----------------------------------------------------------------------

def _arrivals(feature, rate, mean_s, service_dist, duration_s, fault, slow_factor, seed):
    """(arrival time, tag, service time) for one feature, its tag being its index in FEATURES; its
    own random stream, so changing one feature's rate leaves the others' traffic unchanged."""
    if rate <= 0:
        return []
    tag = FEATURES.index(feature)
    rng = random.Random(f"bulkhead-{seed}-{feature}")
    # rng.expovariate(x) is -log(1 - random()) / x: inlined, the same draws at a fraction of the cost.
    rand, log, exp, gauss = rng.random, math.log, math.exp, rng.gauss
    exponential = service_dist == "exponential"
    mu = math.log(mean_s) - LOGNORMAL_SIGMA ** 2 / 2
    slow_from, slow_to = fault if (fault and feature == "search") else (math.inf, math.inf)
    out, t = [], 0.0
    keep = out.append
    inv_mean = 1 / mean_s
    while True:
        t += -log(1.0 - rand()) / rate
        if t >= duration_s:
            return out
        s = -log(1.0 - rand()) / inv_mean if exponential else exp(mu + LOGNORMAL_SIGMA * gauss(0.0, 1.0))
        if slow_from <= t < slow_to:
            s *= slow_factor
        keep((t, tag, s))


def _run(pool: ThreadPool, arrivals, duration_s):
    """Submit (time, tag, service) arrivals in order; returns the jobs and the pool's statistics over
    the observation window [0, duration] (the run then continues until every request has left)."""
    jobs = pool.submit_many(arrivals)
    pool.advance(duration_s)
    window = pool.stats()
    pool.drain()
    return jobs, window


def _mode_result(jobs_by_feature: dict, pool_size: dict, pools: dict, n_buckets: int, fault) -> dict:
    """Per-feature outcomes and time series, and per-pool measures.
    `pools`: name -> (pool, its jobs, its statistics over the observation window).

    This runs over every request of both modes, so it works on whole lists (attribute getters,
    `map`, `compress`, `bisect`) rather than request by request. It relies on two facts of a
    finished run: a feature's jobs are in arrival order, and every job has left the pool, either
    completed (it had a thread, from `start` to `end`), timed out (queued from arrival to `end`)
    or rejected (never inside)."""
    W = BUCKET_S
    features, series = {}, {"t_s": [round(i * W, 3) for i in range(n_buckets)], "busy": {}, "queued": {},
                            "success_rate": {}, "p50_ms": {}, "p99_ms": {}, "arrivals": {}}
    f0, f1 = fault if fault else (math.inf, math.inf)

    def bucket_cuts(arrivals: list[float]) -> list[int]:
        """Where each time bucket starts in a sorted list of arrivals: bucket b holds those in
        [b W, (b + 1) W), the last bucket also any later ones."""
        return [0, *(bisect.bisect_left(arrivals, b * W) for b in range(1, n_buckets)), len(arrivals)]

    for f in FEATURES:
        jobs = jobs_by_feature[f]
        done = [job for job in jobs if job.state is COMPLETED]
        gave_up = [job for job in jobs if job.state is TIMED_OUT]
        arrivals = list(map(_ARRIVAL, jobs))
        done_arrival, done_start, done_end = list(map(_ARRIVAL, done)), list(map(_START, done)), list(map(_END, done))
        latency = list(map(operator.sub, done_end, done_arrival))  # in arrival order
        cuts, done_cuts = bucket_cuts(arrivals), bucket_cuts(done_arrival)
        arrived = [cuts[b + 1] - cuts[b] for b in range(n_buckets)]
        ok_lat = [sorted(latency[done_cuts[b]:done_cuts[b + 1]]) for b in range(n_buckets)]
        latencies = sorted(itertools.chain.from_iterable(ok_lat))  # merging sorted runs: cheaper than sorting afresh
        fault_n = bisect.bisect_left(arrivals, f1) - bisect.bisect_left(arrivals, f0)
        fault_ok = bisect.bisect_left(done_arrival, f1) - bisect.bisect_left(done_arrival, f0)
        # Queued: completed requests that waited for their thread, and those that gave up waiting.
        waited = list(map(operator.lt, done_arrival, done_start))
        queued_from = [*itertools.compress(done_arrival, waited), *map(_ARRIVAL, gave_up)]
        queued_to = [*itertools.compress(done_start, waited), *map(_END, gave_up)]

        total, completed, timed_out = len(jobs), len(done), len(gave_up)
        features[f] = {
            "pool_size": pool_size[f],
            "arrivals": total,
            "completed": completed, "rejected": total - completed - timed_out, "timed_out": timed_out,
            "success_rate": round(completed / total, 4) if total else None,
            "p50_ms": _ms(percentile(latencies, 50)), "p99_ms": _ms(percentile(latencies, 99)),
            "fault_success_rate": round(fault_ok / fault_n, 4) if fault_n else None,
        }
        series["busy"][f] = _occupancy(done_start, done_end, n_buckets, W)
        series["queued"][f] = _occupancy(queued_from, queued_to, n_buckets, W)
        series["arrivals"][f] = arrived
        series["success_rate"][f] = [round(len(ok_lat[i]) / arrived[i], 4) if arrived[i] else None
                                     for i in range(n_buckets)]
        series["p50_ms"][f] = [_ms(percentile(lat, 50)) for lat in ok_lat]
        series["p99_ms"][f] = [_ms(percentile(lat, 99)) for lat in ok_lat]
    pool_info = {}
    for name, (pool, jobs, window) in pools.items():
        pool_info[name] = {"size": pool.size, **_pool_measures(jobs, window, pool.stats())}
    return {"features": features, "series": series, "pools": pool_info}


def _pool_measures(jobs, window: dict, whole: dict) -> dict:
    """The simulated counterparts of the closed forms.

    Over the observation window [0, duration]: p_wait, the share of arrivals that found every
    thread busy and joined the queue (they may still have given up later); p_reject, the share
    turned away at once; mean_wait_ms, the mean queue wait of the admitted (zero waits included,
    give-ups counted until they gave up); mean_busy and mean_queue, time-averages.
    littles_law is measured over the whole run, from time 0 (empty) until the last request left
    (empty again): over such a period L = lambda x W holds exactly, whatever the distributions,
    so L (the time-average number inside, busy + queued) equals lambda x W to rounding. Over a
    window cut while requests are still inside it only holds approximately.
    """
    n = len(jobs)
    if not n:
        return {"arrivals": 0}
    waited = rejected = 0
    wait_sum = inside_sum = 0.0
    for job in jobs:  # once per request and pool: each attribute read once
        if job.state is REJECTED:
            rejected += 1
            continue
        arrival, start, end = job.arrival, job.start, job.end
        if start is None:  # it timed out: it waited until it gave up
            wait = end - arrival
            waited += 1
        else:
            wait = start - arrival
            if wait > 0:
                waited += 1
        wait_sum += wait
        inside_sum += end - arrival
    admitted = n - rejected
    span = whole["until"] or 1.0
    lam = n / span
    return {
        "arrivals": n, "p_wait": round(waited / n, 5), "p_reject": round(rejected / n, 5),
        "mean_wait_ms": _ms(wait_sum / admitted) if admitted else None,
        "mean_busy": round(window["mean_busy"], 3), "mean_queue": round(window["mean_queue"], 3),
        "peak_busy": window["peak_busy"],
        "littles_law": {"period_s": round(span, 3), "L": round(whole["mean_busy"] + whole["mean_queue"], 3),
                        "lambda": round(lam, 3), "W_ms": _ms(inside_sum / n),
                        "lambda_W": round(lam * inside_sum / n, 3)},
    }


def _theory(c, rates, means_s, queue_limit, timeout_s, service_dist, fault) -> dict:
    """M/M/c/K closed forms for one pool, with the list of assumptions this run breaks."""
    means_s = [m for r, m in zip(rates, means_s) if r > 0]  # a feature with no traffic is no class
    rates = [r for r in rates if r > 0]
    lam = sum(rates)
    mean_s = sum(r * m for r, m in zip(rates, means_s)) / lam if lam else 0.0
    broken = []
    if fault:
        broken.append("the fault makes search's service times change during the run")
    if queue_limit != 0:  # with no queue (Erlang B) the service distribution does not matter
        if service_dist != "exponential":
            broken.append("service times are lognormal, not exponential")
        elif len(set(means_s)) > 1:
            broken.append("features share the pool with different mean service times (a mix of exponentials)")
        if timeout_s is not None:
            broken.append("queued requests give up after the queue timeout")
    a = lam * mean_s
    if lam == 0:
        return {"offered_load": 0.0, "exact": not broken, "assumptions_broken": broken}
    m = queueing.mmck(c, queue_limit, lam, mean_s)
    out = {"offered_load": round(a, 3), "utilisation": round(a / c, 4) if c else None,
           "arrival_rate": round(lam, 3), "mean_service_ms": _ms(mean_s),
           "p_wait": round(m["p_wait"], 5), "p_reject": round(m["p_reject"], 5),
           "mean_wait_ms": None if math.isinf(m["mean_wait"]) else _ms(m["mean_wait"]),
           "mean_busy": round(m["mean_busy"], 3),
           "mean_queue": None if math.isinf(m["mean_queue"]) else round(m["mean_queue"], 3),
           "stable": m["stable"], "exact": not broken, "assumptions_broken": broken,
           "model": ("Erlang B (M/G/c/c)" if queue_limit == 0 else
                     "Erlang C (M/M/c)" if queue_limit is None else f"M/M/c/K with K = c + {queue_limit}")}
    if queue_limit is None and m["stable"]:
        out["erlang_c"] = round(queueing.erlang_c(c, a), 5)
    return out


def _occupancy(starts: list[float], ends: list[float], n_buckets: int, W: float) -> list[float]:
    """Time spent in a state per bucket, from intervals [start, end): the time-average count.

    The time spent inside by time x is F(x) = sum over starts s < x of (x - s) minus the same over
    ends, which sorted lists and prefix sums give at every bucket edge in O(log n): no Python work
    per interval, however long it is (a request queued for a minute costs no more than one for 1 ms).
    """
    starts, ends = sorted(starts), sorted(ends)
    s_sum = [0.0, *itertools.accumulate(starts)]
    e_sum = [0.0, *itertools.accumulate(ends)]

    def inside(x: float) -> float:  # total time inside, summed over intervals, up to x
        k, m = bisect.bisect_left(starts, x), bisect.bisect_left(ends, x)
        return (k * x - s_sum[k]) - (m * x - e_sum[m])

    edges = [inside(i * W) for i in range(n_buckets + 1)]
    return [round((edges[i + 1] - edges[i]) / W, 2) + 0.0 for i in range(n_buckets)]


def _ms(seconds: float | None) -> float | None:
    """Seconds to milliseconds, rounded to 0.1 ms; None stays None."""
    return None if seconds is None else round(seconds * 1000, 1)
