"""Marc Brooker's backoff experiment ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015),
reproduced from his simulator (aws-samples/aws-arch-backoff-simulator) as a discrete-event model.

One database row with a version number; each client wants to write it once under optimistic
concurrency control: it reads the version, then writes with the version it read, and the write
succeeds only if nobody else's write succeeded in between. Every one-way message takes
abs(normal(10, 2)) ms. A client whose write fails backs off and starts again with a fresh read; the
backoff is added to the delay of that read message, and the first retry has attempt number 1 (so
the exponential ceiling of the first retry is base x 2**1 = 10 ms, as in the simulator).
A "call" is a write reaching the server (reads are not counted); the completion time is when the
last reply to a successful write arrives (the simulator's last event). Results are means over
independent runs.

Only the server's order of events matters, so a client's read, its reply and its write collapse into
one event: a write sent after a read that reached the server at t_read succeeds iff no other write
succeeded after t_read. This is exactly the simulator's version check, with half the events.
"""

from __future__ import annotations

import heapq
import math
import random
from math import cos as _cos, log as _log, sin as _sin, sqrt as _sqrt, tau as _TWOPI


STRATEGIES = ("none", "exponential", "full", "equal", "decorrelated")
# Our strategy name -> the Backoff class's jitter ("none" there means "exponential, no jitter").
_JITTER = {"exponential": "none", "full": "full", "equal": "equal", "decorrelated": "decorrelated"}

BASE_MS = 5  # Brooker's base and cap
CAP_MS = 2000
HOP_MEAN_MS = 10.0  # one-way message delay ~ abs(normal(10, 2))
HOP_SD_MS = 2.0

# The write-time histogram: at most this many bins, of a round width. Fine enough to show the
# no-jitter waves (one every ~2 s once the backoff reaches its cap) as a comb at 200 clients.
HIST_MAX_BINS = 200

# The sweep over client counts is the expensive part (no backoff does ~clients**2 / 2 writes), so it
# is computed once, offline, with these settings and stored below (SWEEP); a test recomputes some
# of its points. Regenerate with `python -m webapp.sims.contention` after changing the model.
SWEEP_CLIENTS = (1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 120, 140, 160, 180, 200)
SWEEP_RUNS = 50
SWEEP_SEED = 1


# The exponential ceilings min(cap, base x 2**n), n = 0, 1, ...; from the last one on, the cap.
_CEILINGS = []
while not _CEILINGS or _CEILINGS[-1] < CAP_MS:
    _CEILINGS.append(min(CAP_MS, BASE_MS * 2.0 ** len(_CEILINGS)))


def _hops(rng: random.Random, pending: list):
    """One-way message delays abs(normal(HOP_MEAN_MS, HOP_SD_MS)), drawn exactly as rng.gauss draws
    them (Box-Muller, two values per pair of uniforms, the second kept for the next call) but about
    three times faster. `pending` holds the kept value, so the caller can hand it back to rng."""
    rand, mu, sd = rng.random, HOP_MEAN_MS, HOP_SD_MS
    while True:
        z = pending[0]
        if z is None:
            x2pi = rand() * _TWOPI
            g2rad = _sqrt(-2.0 * _log(1.0 - rand()))
            pending[0] = _sin(x2pi) * g2rad
            yield abs(mu + _cos(x2pi) * g2rad * sd)
        else:
            pending[0] = None
            yield abs(mu + z * sd)


def _two_hops(rng: random.Random, pending: list):
    """t + hop() + hop() in one call, with the very same draws and arithmetic as two calls of the
    _hops generator sharing `pending`. Two hops always use exactly one pair of normals, so the kept
    value is kept (or not) as before. A failed write costs four hops: this is its hot path."""
    rand, mu, sd = rng.random, HOP_MEAN_MS, HOP_SD_MS

    def two_hops(t: float) -> float:
        z = pending[0]
        x2pi = rand() * _TWOPI
        g2rad = _sqrt(-2.0 * _log(1.0 - rand()))
        if z is None:  # both values of the new pair
            return t + abs(mu + _cos(x2pi) * g2rad * sd) + abs(mu + _sin(x2pi) * g2rad * sd)
        pending[0] = _sin(x2pi) * g2rad  # the kept value, then the first of the new pair
        return t + abs(mu + z * sd) + abs(mu + _cos(x2pi) * g2rad * sd)

    return two_hops


def _check(strategy: str) -> None:
    if strategy != "none" and strategy not in _JITTER:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {STRATEGIES}")


def run_once(clients: int, strategy: str, rng: random.Random) -> dict:
    """One run: every client writes the row once. Returns the run's totals and its write times.

    {"calls", "failed", "time", "slept", "writes": [times the writes reached the server],
     "retries": [failed writes per client]}

    The sleeps are webapp.sims.backoff.Backoff's formulas written out in the loop (this is the hot
    path of the heaviest demo): the same draws from the same stream, so the same numbers.
    """
    _check(strategy)
    pending = [rng.gauss_next]  # rng.gauss's state, taken over for this run and handed back at the end
    rng.gauss_next = None
    hop = _hops(rng, pending).__next__
    hops2 = _two_hops(rng, pending)
    rand = rng.random
    ceilings, top, cap, base = _CEILINGS, len(_CEILINGS), CAP_MS, BASE_MS
    previous = [base] * clients  # decorrelated jitter grows from each client's last sleep
    retries = [0] * clients
    heap = []
    for c in range(clients):
        t_read = hop()  # the read reaches the server
        # read reply + write message: the write reaches the server at
        heap.append((hops2(t_read), c, t_read))
    heapq.heapify(heap)
    # A failed write's client goes straight back into the heap, so peek, then pop or replace: one
    # sift instead of two. Entries are unique (one per client), so the order of events is the same.
    pop, replace = heapq.heappop, heapq.heapreplace
    last_success = -1.0  # when the row's version last changed
    done = 0.0  # when the last reply to a successful write arrives
    writes = []
    slept = 0.0
    while heap:
        t, c, t_read = heap[0]
        writes.append(t)
        if t_read > last_success:  # nobody wrote since this client's read: the version matches
            pop(heap)
            last_success = t
            reply = t + hop()
            if reply > done:
                done = reply
            continue
        n = retries[c] = retries[c] + 1  # the first retry is attempt 1, as in the simulator
        # write reply + the next read message, which carries the backoff
        t_read = hops2(t)
        if strategy != "none":
            v = ceilings[n] if n < top else cap
            if strategy == "exponential":
                pause = v
            elif strategy == "full":
                pause = v * rand()  # uniform(0, v)
            elif strategy == "equal":
                half = v / 2
                pause = half + half * rand()  # v/2 + uniform(0, v/2)
            else:  # decorrelated: min(cap, uniform(base, 3 x previous))
                pause = previous[c] = min(cap, base + (3 * previous[c] - base) * rand())
            slept += pause
            t_read += pause
        replace(heap, (hops2(t_read), c, t_read))
    rng.gauss_next = pending[0]
    return {"calls": len(writes), "failed": len(writes) - clients, "time": done, "slept": slept,
            "writes": writes, "retries": retries}


def _point(clients: int, runs: int, strategy: str, seed: int, keep_writes: bool = False) -> dict:
    """Means over `runs` runs. The stream depends on (seed, strategy, clients) only, so a point of
    the sweep and the same point asked for by the page are the same numbers."""
    rng = random.Random(f"{seed}-{strategy}-{clients}")
    calls = time = slept = 0.0
    times, writes = [], []
    for _ in range(runs):
        r = run_once(clients, strategy, rng)
        calls += r["calls"]
        time += r["time"]
        slept += r["slept"]
        times.append(r["time"])
        if keep_writes:
            writes.extend(r["writes"])
    return {"calls": calls / runs, "time": time / runs, "slept": slept / runs,
            "failed": calls / runs - clients, "time_max": max(times), "writes": writes}


def _histogram(writes: list[float], runs: int) -> dict:
    """Write times binned at a round width; counts are per run (means), so runs do not matter."""
    top = max(writes) if writes else 1.0
    width = _round_width(top / HIST_MAX_BINS)
    counts = [0] * (int(top // width) + 1)
    for t in writes:
        counts[int(t // width)] += 1
    return {"bin_ms": width, "counts": [_r(c / runs) for c in counts]}


def _round_width(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10**k that is >= x."""
    k = 10.0 ** math.floor(math.log10(x)) if x > 0 else 1.0
    for m in (1, 2, 2.5, 5, 10):
        if m * k >= x:
            width = round(m * k, 6)  # no float dust: 0.25, not 0.25000000000000006
            return int(width) if width == int(width) else width
    return 10 * k  # not reached: 10 x k >= x by the choice of k


def contention(clients: int = 50, runs: int = 10, strategies=STRATEGIES, seed: int = 1) -> dict:
    """The experiment at one client count, and the stored sweep over client counts.

    Result: {"clients", "runs", "base_ms", "cap_ms", "hop_ms",
             "strategies": {name: {"calls", "time", "failed", "slept", "time_max"}},
             "write_times": {name: {"bin_ms", "counts"}},
             "sweep": {"clients": [...], "runs", "seed", "strategies": {name: {"calls": [...], "time": [...]}}}}
    "calls" and "time" (ms) are means over the runs; "failed" = calls - clients (each client
    succeeds exactly once); "slept" is the total backoff of all clients per run (ms).
    Cost: runs x (writes per run), about clients**2 / 2 writes for "none" and "exponential".
    """
    out, hist = {}, {}
    for name in strategies:
        p = _point(clients, runs, name, seed, keep_writes=True)
        out[name] = {"calls": _r(p["calls"]), "time": _r(p["time"]), "failed": _r(p["failed"]),
                     "slept": _r(p["slept"]), "time_max": _r(p["time_max"])}
        hist[name] = _histogram(p["writes"], runs)
    return {
        "clients": clients,
        "runs": runs,
        "base_ms": BASE_MS,
        "cap_ms": CAP_MS,
        "hop_ms": HOP_MEAN_MS,
        "strategies": out,
        "write_times": hist,
        "sweep": sweep(strategies),
    }


def sweep(strategies=STRATEGIES) -> dict:
    """Calls and completion time against the number of clients, from the stored table."""
    return {"clients": list(SWEEP_CLIENTS), "runs": SWEEP_RUNS, "seed": SWEEP_SEED,
            "strategies": {name: {"calls": list(SWEEP[name]["calls"]), "time": list(SWEEP[name]["time"])}
                           for name in strategies}}


def compute_sweep(clients=SWEEP_CLIENTS, runs: int = SWEEP_RUNS, seed: int = SWEEP_SEED,
                  strategies=STRATEGIES) -> dict:
    """What SWEEP stores: {name: {"calls": [...], "time": [...]}} over `clients` (several seconds)."""
    table = {}
    for name in strategies:
        points = [_point(n, runs, name, seed) for n in clients]
        table[name] = {"calls": [_r(p["calls"]) for p in points], "time": [_r(p["time"]) for p in points]}
    return table


def _r(x: float) -> float:
    """0.1 of a call or a millisecond: enough for a chart, and stable in stored outputs."""
    x = round(x, 1)
    return int(x) if x == int(x) else x


# Generated by compute_sweep() (SWEEP_CLIENTS, SWEEP_RUNS runs, seed SWEEP_SEED).
SWEEP = {
    "none": {
        "calls": (1, 14.8, 50, 152, 287.9, 467.1, 690.6, 957.4, 1265, 1610.2, 1994.2, 2422.5, 3396.9, 4522.4,
                  5795.6, 7236.3, 8818.4),
        "time": (39.6, 203.6, 375.4, 605.7, 779.9, 954.2, 1139.2, 1314.9, 1494.8, 1683.9, 1847.8, 2023.8, 2368.4,
                   2719.8, 3042.7, 3372.2, 3703.8),
    },
    "exponential": {
        "calls": (1, 14.9, 50.3, 150.1, 275.8, 434, 627.5, 832.2, 1055.8, 1307.5, 1575.2, 1852.2, 2495.9, 3159.9,
                  3925.3, 4720.3, 5579.5),
        "time": (40.5, 351.2, 3271.1, 14510.1, 21937.3, 30099, 36911.6, 43031.4, 48132.6, 53962.6, 58941.9,
                   63391.5, 73305.4, 81058, 90116.1, 96563.5, 104315.7),
    },
    "full": {
        "calls": (1, 13.9, 39, 100.6, 171.2, 250.2, 332.4, 420, 507.9, 603, 697.4, 795.2, 997.5, 1211, 1429.3,
                  1655.4, 1892.4),
        "time": (38.9, 233, 454, 1003.6, 1635.8, 2272, 2841.4, 3364.7, 3845, 4178, 4561.4, 4925.4, 5512.1,
                   6111.5, 6712, 7256.4, 7733.2),
    },
    "equal": {
        "calls": (1, 14.9, 42.2, 109, 181.8, 262.3, 346.3, 434.2, 524.2, 620.5, 714.4, 812.9, 1013.4, 1218.4,
                  1431.9, 1650.8, 1873.7),
        "time": (39.6, 314.8, 711.1, 1634.4, 2531.5, 3624.1, 4236.2, 4820.1, 5361.9, 5784.2, 6140.7, 6550.8,
                   7399.2, 7879.2, 8593.8, 9218.6, 9640.9),
    },
    "decorrelated": {
        "calls": (1, 13.8, 37.2, 101.8, 182.2, 275.4, 374.3, 488.6, 602, 729.6, 865.7, 1006.4, 1290.8, 1595,
                  1921.4, 2257.1, 2614.8),
        "time": (39.4, 252, 425.8, 852.5, 1267.9, 1701.6, 2386.2, 2710.2, 3189.9, 3604.3, 4166.5, 4554.6, 5240.7,
                   6157.3, 6830.2, 7471.5, 8113.6),
    },
}


if __name__ == "__main__":
    import pprint
    pprint.pprint(compute_sweep(), width=110, compact=True)
