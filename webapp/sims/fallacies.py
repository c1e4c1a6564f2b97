"""Three of the eight fallacies of distributed computing, each as a small calculation.

    fallacy_network(loss_pct, hops, retries, seed)     "The network is reliable"
        A request crosses `hops` calls in a chain; each attempt of each call fails independently
        with probability p. With r retries per call, one call succeeds with 1 - p**(r+1) and the
        chain with (1 - p**(r+1))**hops. Simulated next to the formula.
    fallacy_latency(items, batch_size, rtt, server_ms)  "Latency is zero"
        A chatty API pays one round trip per item; a batched one per batch. No randomness: the
        point is the arithmetic round_trips x RTT, so there is no seed.
    fallacy_bandwidth(payload_kb, rate, link, seed)     "Bandwidth is infinite"
        Responses of payload_kb at `rate` requests/s share one link: a FIFO queue with Poisson
        arrivals and a fixed transfer time (M/D/1). Simulated with Lindley's recursion and checked
        against the Pollaczek-Khinchine mean wait. Real TCP flows share a link rather than take
        turns, which is closer to processor sharing (mean response S / (1 - rho), larger); that
        formula is returned too. Both hit the same wall at rho = 1.
"""

from __future__ import annotations

import itertools
import math
import random

# ---- the network is reliable -------------------------------------------------------------------

NETWORK_REQUESTS = 10_000  # simulated requests: the measured success is within ~1 point (2 SE)


def fallacy_network(loss_pct=1.0, hops=5, retries=0, seed=1) -> dict:
    """Success of a chain of `hops` calls when each attempt fails with probability loss_pct/100.

    Returns, for every chain length 1..hops, the simulated and the closed-form success, with and
    without the retries, and the attempts each request costs. Cost: NETWORK_REQUESTS x hops x
    (retries + 1) draws at most.
    """
    p = loss_pct / 100
    per_call = 1 - p ** (retries + 1)
    ended_at, attempts = _walk_attempts(random.Random(f"fallacy-network-{seed}").random, p, hops,
                                        retries + 1)
    # passed[h]: requests that got through the first h calls
    passed = list(itertools.accumulate(reversed(ended_at)))[::-1]
    # Attempts per call (a truncated geometric): 1 + p + ... + p**retries. A request pays them
    # for every call it reaches: call h is reached with probability per_call**(h-1).
    tries_per_call = sum(p ** i for i in range(retries + 1))
    expected_attempts = tries_per_call * sum(per_call ** (h - 1) for h in range(1, hops + 1))
    chain = [{"hops": h,
              "simulated": round(passed[h] / NETWORK_REQUESTS, 5),
              "formula": round(per_call ** h, 6),
              "formula_no_retries": round((1 - p) ** h, 6)}
             for h in range(1, hops + 1)]
    return {
        "requests": NETWORK_REQUESTS,
        "per_call_success": round(per_call, 8),
        "success": chain[-1]["simulated"],
        "formula": chain[-1]["formula"],
        "formula_text": f"(1 − {_g(p)}^{retries + 1})^{hops} = {_pct(per_call ** hops)}"
                        if retries else f"(1 − {_g(p)})^{hops} = {_pct(per_call ** hops)}",
        "attempts_per_request": round(attempts / NETWORK_REQUESTS, 4),
        "attempts_formula": round(expected_attempts, 4),
        "chain": chain,
    }


def _walk_attempts(u, p: float, hops: int, tries: int) -> tuple[list, int]:
    """NETWORK_REQUESTS requests down a chain of `hops` calls, each call making up to `tries`
    attempts, each attempt failing when u() < p. Returns ended_at (ended_at[h]: requests that got
    through exactly h calls) and the attempts made.

    The attempts form one stream of draws, in order: the first request's attempts at its first
    call, then at its second call, ... Between two failed attempts every attempt succeeds and is a
    whole call, so the walk jumps from failure to failure and does arithmetic on the successes in
    between, instead of running the loop over requests, calls and attempts draw by draw (4x faster
    at the default; the same draws, so the same results). No request makes more than hops x tries
    attempts, which bounds the stream.
    """
    limit = NETWORK_REQUESTS * hops * tries
    # The failed attempts' positions, drawn lazily. With p = 0 nothing fails: draw nothing.
    failures = (i for i in range(limit) if u() < p) if p > 0 else ()
    ended_at = [0] * (hops + 1)
    done = 0  # requests finished
    h = 0  # calls the current request got through
    failed = 0  # failed attempts of its current call
    pos = 0  # the next attempt
    # `limit` stands for "no more failures": the last request ends before it.
    for f in itertools.chain(failures, (limit,)):
        run = f - pos  # attempts pos .. f - 1 succeed: each ends a call
        if run:
            failed = 0
            if h + run < hops:
                h += run
            else:  # the current request gets through, then `whole` more, then part of one more
                whole, rest = divmod(run - (hops - h), hops)
                if done + 1 + whole >= NETWORK_REQUESTS:  # the last request ends in this run
                    last = NETWORK_REQUESTS - done
                    ended_at[hops] += last
                    return ended_at, pos + (hops - h) + (last - 1) * hops
                ended_at[hops] += 1 + whole
                done += 1 + whole
                h = rest
        failed += 1  # attempt f fails
        if failed == tries:  # so does the call, and the request with it
            ended_at[h] += 1
            done += 1
            if done == NETWORK_REQUESTS:
                return ended_at, f + 1
            h = failed = 0
        pos = f + 1
    raise AssertionError("unreachable: every request ends within `limit` attempts")


# ---- latency is zero ---------------------------------------------------------------------------

# Typical round-trip times. The same-datacenter and California-Netherlands-California figures are
# the well-known "latency numbers every programmer should know" (0.5 ms, 150 ms); the others are
# common measurements: loopback ~0.05 ms, between zones of one cloud region ~1 ms, between US coasts ~70 ms.
ENVIRONMENTS = (
    ("localhost", "Same machine (loopback)", 0.05),
    ("same-dc", "Same datacenter", 0.5),
    ("cross-zone", "Another zone, same region", 1.0),
    ("cross-region", "Across the US (east ↔ west)", 70.0),
    ("intercontinental", "California ↔ Netherlands", 150.0),
)
RTT_MS = {key: rtt for key, _label, rtt in ENVIRONMENTS}


def fallacy_latency(items=100, batch_size=100, rtt="same-dc", server_ms=0.1) -> dict:
    """Time to fetch `items` things one call at a time (chatty) or `batch_size` per call (batched).

    total = round trips x RTT + items x server_ms; the server's work is the same in both designs,
    only the number of round trips changes. Computed for the chosen RTT and for every environment.
    """
    if rtt not in RTT_MS:
        raise ValueError(f"rtt must be one of {sorted(RTT_MS)}, got {rtt!r}")
    batch = min(batch_size, items)
    trips = {"chatty": items, "batched": math.ceil(items / batch)}
    work = items * server_ms

    def total(trips_, rtt_ms):
        return trips_ * rtt_ms + work

    rtt_ms = RTT_MS[rtt]
    chatty, batched = total(trips["chatty"], rtt_ms), total(trips["batched"], rtt_ms)
    return {
        "rtt_ms": rtt_ms,
        "round_trips": trips,
        "server_ms": _r(work),
        "chatty_ms": _r(chatty),
        "batched_ms": _r(batched),
        "network_share_chatty": round(trips["chatty"] * rtt_ms / chatty, 4) if chatty else 0.0,
        "speedup": round(chatty / batched, 2) if batched else 1.0,
        "environments": [{"id": key, "label": label, "rtt_ms": r,
                          "chatty_ms": _r(total(trips["chatty"], r)),
                          "batched_ms": _r(total(trips["batched"], r)), "chosen": key == rtt}
                         for key, label, r in ENVIRONMENTS],
    }


# ---- bandwidth is infinite ---------------------------------------------------------------------

LINKS = (
    ("100m", "100 Mbit/s", 100e6),
    ("1g", "1 Gbit/s", 1e9),
    ("10g", "10 Gbit/s", 10e9),
    ("25g", "25 Gbit/s", 25e9),
)
LINK_BPS = {key: bps for key, _label, bps in LINKS}
# TCP over Ethernet with a 1500-byte MTU carries 1448 payload bytes (IP 20 + TCP 20 + timestamps
# 12) in 1538 bytes of wire time (+ Ethernet header 14, FCS 4, preamble 8, inter-frame gap 12).
WIRE_OVERHEAD = 1538 / 1448
BANDWIDTH_REQUESTS = 20_000  # arrivals simulated
UTILISATION_CURVE = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 5% .. 95%


def fallacy_bandwidth(payload_kb=500, rate=150, link="1g", seed=1) -> dict:
    """Responses of `payload_kb` kB (1 kB = 1000 bytes) at `rate` requests/s over one link.

    Each response occupies the link for S = payload x 8 x WIRE_OVERHEAD / bandwidth; requests arrive
    as a Poisson stream and queue FIFO for the link (M/D/1). Below saturation the mean wait is
    Pollaczek-Khinchine's rho x S / (2 (1 - rho)); at rho >= 1 the queue grows without bound.
    """
    if link not in LINK_BPS:
        raise ValueError(f"link must be one of {sorted(LINK_BPS)}, got {link!r}")
    bps = LINK_BPS[link]
    service_s = payload_kb * 1000 * 8 * WIRE_OVERHEAD / bps
    rho = rate * service_s
    u, log, lambd = random.Random(f"fallacy-bandwidth-{seed}").random, math.log, float(rate)
    # The gaps between arrivals: rng.expovariate(rate) inlined, the same expression and draws (a
    # float divisor gives the same quotient as the int, without converting it every time).
    gaps = [-log(1.0 - u()) / lambd for _ in range(BANDWIDTH_REQUESTS)]
    # Lindley: the next request waits for what is left of this one's wait and transfer (the first
    # one finds the link idle; its gap only moves the clock). Below saturation many requests find
    # the link idle: only the positive waits are kept, summed and sorted (adding a zero wait to the
    # total would change nothing).
    wait = total_wait = 0.0
    clock = gaps[0]
    queued = []
    for gap in itertools.islice(gaps, 1, None):
        clock += gap
        wait = wait + service_s - gap
        if wait > 0.0:
            total_wait += wait
            queued.append(wait)
        else:
            wait = 0.0
    queued.sort()
    # Every response time, sorted (adding service_s keeps the order).
    responses = [service_s] * (BANDWIDTH_REQUESTS - len(queued))
    responses += [w + service_s for w in queued]
    stable = rho < 1
    formula_wait = rho * service_s / (2 * (1 - rho)) if stable else None
    return {
        "service_ms": _r4(service_s * 1000),
        "utilisation": round(rho, 4),
        "offered_mbps": round(rate * payload_kb * 8 / 1000 * WIRE_OVERHEAD, 1),
        "link_mbps": bps / 1e6,
        "max_rate": round(1 / service_s, 1),
        "stable": stable,
        "simulated_seconds": round(clock, 1),
        "mean_wait_ms": _r4(total_wait / BANDWIDTH_REQUESTS * 1000),
        "formula_wait_ms": None if formula_wait is None else _r4(formula_wait * 1000),
        "mean_response_ms": _r4(sum(responses) / len(responses) * 1000),
        "formula_response_ms": None if formula_wait is None else _r4((formula_wait + service_s) * 1000),
        # M/G/1 with processor sharing: every flow gets 1/n of the link; the mean depends on rho only.
        "shared_response_ms": _r4(service_s / (1 - rho) * 1000) if stable else None,
        "p99_response_ms": _r4(responses[math.ceil(0.99 * len(responses)) - 1] * 1000),
        "last_wait_ms": _r4(wait * 1000),  # grows with time when rho >= 1: the backlog
        "curve": [{"utilisation": u, "rate": round(u / service_s, 2),
                   "mean_response_ms": _r4((service_s + u * service_s / (2 * (1 - u))) * 1000),
                   "shared_response_ms": _r4(service_s / (1 - u) * 1000)}
                  for u in UTILISATION_CURVE],
    }


def _r(x: float) -> float:
    """Milliseconds to 0.01 ms: fine enough for sub-millisecond round trips, stable in outputs."""
    return round(x, 2)


def _r4(x: float) -> float:
    """Link times to 0.1 microsecond: a 1 kB response on 25 Gbit/s takes 0.3 microseconds."""
    return round(x, 4)


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def _g(x: float) -> str:
    return f"{x:g}"
