"""The other five fallacies of distributed computing, each as a small seeded simulation with a closed
form next to it (the first three are in fallacies.py).

    fallacy_secure(capture_pct, replays, delay_s, window_s, forged, seed)    "The network is secure"
        An attacker on the path records some signed payment requests and sends each again later,
        and also sends requests of its own. Four endpoints: no authentication, an HMAC signature,
        a signature plus a timestamp window, a signature plus a single-use key (nonce). Replays
        accepted = N x capture x replays (x P(delay <= window) with a window; 0 with a nonce).
    fallacy_topology(clients, rate, ttl_s, pinned_pct, reresolve, seed)  "Topology doesn't change"
        A service fails over to a new address. Each client cached the DNS answer at a random
        moment of the TTL, so it keeps calling the old address for U(0, TTL); some clients never
        look the name up again. Failed requests = rate x (clients x TTL / 2 + pinned x WATCH_S).
    fallacy_admin(outer_ms, inner_ms, retries, backoff_ms, slow_pct, seed)  "There is one administrator"
        A gateway team sets the caller's deadline; the service team sets a per-attempt timeout and
        retries. Each attempt hangs with probability q. Whether the teams' budgets nest decides
        what the user sees: P(answer in time) = sum of q^j (1 - q) over attempts j that can still
        answer before the deadline; attempts that start after it are work nobody waits for.
    fallacy_cost(rate, size_kb, layers, retries, failure_pct, zones, price, seed)  "Transport cost is zero"
        Calls through `layers` hops, each retried by its caller; a hop crosses a zone with
        probability 1 - 1/zones. Bill = requests x attempts x bytes x cross-zone share x price.
    fallacy_homogeneous(median_kb, sigma, tunnel_pct, tunnel_mtu, pmtud, seed)  "The network is homogeneous"
        Some paths cross a tunnel with a smaller MTU. If the ICMP "fragmentation needed" messages
        are filtered, every response larger than the tunnel's MSS hangs (a path-MTU black hole):
        share failing = tunnel share x P(size > MTU - 40), sizes log-normal.
"""

from __future__ import annotations

import math
import random

# ---- the network is secure ---------------------------------------------------------------------

SECURE_REQUESTS = 10_000  # legitimate signed requests during the attack
DEFENCES = (
    ("none", "No authentication"),
    ("signed", "HMAC signature"),
    ("window", "Signature + timestamp window"),
    ("nonce", "Signature + single-use key"),
)


def fallacy_secure(capture_pct=5.0, replays=2, delay_s=120, window_s=300, forged=100, seed=1) -> dict:
    """Replayed and forged requests each endpoint accepts. Cost: SECURE_REQUESTS x (1 + replays) draws."""
    rng = random.Random(f"fallacy-secure-{seed}")
    u, c = rng.random, capture_pct / 100
    captured = sum(1 for _ in range(SECURE_REQUESTS) if u() < c)
    # A replay's delay after the original: exponential with mean delay_s (inverse transform).
    sent, log = captured * replays, math.log
    within = sum(1 for _ in range(sent) if -log(1.0 - u()) * delay_s <= window_s)
    expected_sent = SECURE_REQUESTS * c * replays
    p_within = 1 - math.exp(-window_s / delay_s)
    accepted = {"none": sent, "signed": sent, "window": within, "nonce": 0}
    formula = {"none": expected_sent, "signed": expected_sent, "window": expected_sent * p_within, "nonce": 0.0}
    return {
        "requests": SECURE_REQUESTS,
        "captured": captured,
        "replays_sent": sent,
        "p_within_window": round(p_within, 6),
        "defences": [{"id": key, "label": label, "replays_accepted": accepted[key],
                      "replays_formula": round(formula[key], 2),
                      "forged_accepted": forged if key == "none" else 0}
                     for key, label in DEFENCES],
    }


# ---- topology doesn't change -------------------------------------------------------------------

WATCH_S = 3600  # how long after the failover we count: an hour (a pinned client fails all of it)
TIMELINE_POINTS = 61


def fallacy_topology(clients=100, rate=2.0, ttl_s=300, pinned_pct=0.0, reresolve="no", seed=1) -> dict:
    """Requests sent to the old address after a failover at t = 0, when clients cache DNS answers.

    Client i's cached answer has s_i = U(0, TTL) seconds left (pinned clients: the whole WATCH_S);
    it sends every 1/rate s from a random offset o_i, so it fails ceil((s_i - o_i) x rate) times,
    whose mean is exactly rate x s_i. A client that re-resolves after a failed connection fails once,
    if its first request comes before its cache expires: P = 1 - a / (2 TTL) for a = 1/rate <= TTL,
    else TTL / (2a). Cost: 2 draws per client.
    """
    if reresolve not in ("no", "yes"):
        raise ValueError(f"reresolve must be 'no' or 'yes', got {reresolve!r}")
    u = random.Random(f"fallacy-topology-{seed}").random
    pinned = round(clients * pinned_pct / 100)
    gap = 1 / rate
    stale, failures = [], 0  # stale[i]: when client i stops calling the old address
    for i in range(clients):
        s = WATCH_S if i < pinned else u() * ttl_s
        o = u() * gap
        n = math.ceil((s - o) * rate) if s > o else 0
        if reresolve == "yes" and n:
            n, s = 1, o  # its first failure makes it look the name up again
        failures += n
        stale.append(s)
    per_ttl_client = rate * ttl_s / 2
    if reresolve == "yes":
        p_first = 0.0 if ttl_s == 0 else (1 - gap / (2 * ttl_s) if gap <= ttl_s else ttl_s / (2 * gap))
        formula = (clients - pinned) * p_first + pinned
    else:
        formula = (clients - pinned) * per_ttl_client + pinned * rate * WATCH_S
    horizon = min(WATCH_S, max(60.0, 1.25 * ttl_s))
    stale.sort()
    timeline, j = [], 0
    for k in range(TIMELINE_POINTS):
        t = round(horizon * k / (TIMELINE_POINTS - 1), 3)
        while j < clients and stale[j] <= t:
            j += 1
        # P(still on the old address at t): its cache has not expired (and, re-resolving, it has
        # not yet sent its first request, uniform over the first gap).
        cached = max(0.0, 1 - t / ttl_s) if ttl_s else 0.0
        first_not_sent = max(0.0, 1 - t / gap) if reresolve == "yes" else 1.0
        timeline.append({"t": t, "clients_on_old": clients - j,
                         "formula": round(((clients - pinned) * cached + pinned) * first_not_sent, 3)})
    return {
        "requests": round(clients * rate * WATCH_S),
        "pinned": pinned,
        "failed": failures,
        "failed_formula": round(formula, 2),
        "failed_per_ttl_client_formula": round(per_ttl_client, 3),
        "last_client_moves_s": round(stale[-1], 2),
        # The largest of n uniform expiries is n / (n + 1) of the TTL on average.
        "last_client_formula_s": None if reresolve == "yes" else
        WATCH_S if pinned else round(ttl_s * clients / (clients + 1), 2),
        "timeline": timeline,
    }


# ---- there is one administrator ----------------------------------------------------------------

ADMIN_REQUESTS = 10_000
FAST_MS = 40  # an attempt that does not hang answers in this time
DESIGNS = (("as-set", "Each team's own settings"), ("propagated", "Deadline passed down"))


def fallacy_admin(outer_ms=1000, inner_ms=400, retries=3, backoff_ms=100, slow_pct=10.0, seed=1) -> dict:
    """Outcomes of requests when a gateway's deadline and a service's retry policy are set apart.

    Attempt j starts at j x (inner + backoff) after j hung attempts. 'as-set': the service knows
    nothing of the deadline and runs every attempt it planned. 'propagated': each attempt gets
    min(inner, time left) and none starts after the deadline. Both designs see the same draws.
    Cost: ADMIN_REQUESTS x (retries + 1) draws at most.
    """
    q = slow_pct / 100
    u = random.Random(f"fallacy-admin-{seed}").random
    step = inner_ms + backoff_ms
    starts = [j * step for j in range(retries + 1)]
    budget = (retries + 1) * inner_ms + retries * backoff_ms
    hung = [0] * (retries + 2)  # hung[k]: requests whose first k attempts hung (k = retries + 1: all)
    for _ in range(ADMIN_REQUESTS):
        k = 0
        while k <= retries and u() < q:
            k += 1
        hung[k] += 1

    def outcome(design):
        answered = error_in_time = gateway_timeout = late_answers = orphans = attempts = 0
        for k, n in enumerate(hung):
            if not n:
                continue
            answer_at = starts[k] + FAST_MS if k <= retries else None  # attempt k answers
            if design == "as-set":
                made = min(k + 1, retries + 1)
                attempts += n * made
                orphans += n * sum(1 for j in range(made) if starts[j] >= outer_ms)
                if answer_at is not None and answer_at <= outer_ms:
                    answered += n
                elif answer_at is None and budget <= outer_ms:
                    error_in_time += n
                else:
                    gateway_timeout += n
                    late_answers += n if answer_at is not None else 0
            else:
                made = min(k + 1, sum(1 for s in starts if s < outer_ms))
                attempts += n * made
                if answer_at is not None and answer_at <= outer_ms:
                    answered += n
                elif answer_at is None and budget <= outer_ms:
                    error_in_time += n
                else:
                    gateway_timeout += n
        return {"answered": answered, "error_in_time": error_in_time, "gateway_timeout": gateway_timeout,
                "late_answers": late_answers, "orphan_attempts": orphans, "attempts": attempts}

    # Closed forms: attempt j is made when the j before it hung (q^j) and answers with (1 - q).
    fits = [j for j in range(retries + 1) if starts[j] + FAST_MS <= outer_ms]
    p_answer = sum(q ** j * (1 - q) for j in fits)
    formulas = {
        "as-set": {"answered": p_answer, "attempts": sum(q ** j for j in range(retries + 1)),
                   "orphan_attempts": sum(q ** j for j in range(retries + 1) if starts[j] >= outer_ms)},
        "propagated": {"answered": p_answer, "orphan_attempts": 0.0,
                       "attempts": sum(q ** j for j in range(retries + 1) if starts[j] < outer_ms)},
    }
    designs = []
    for key, label in DESIGNS:
        o = outcome(key)
        f = formulas[key]
        designs.append({"id": key, "label": label, **o,
                        "answered_share": round(o["answered"] / ADMIN_REQUESTS, 5),
                        "answered_formula": round(f["answered"], 6),
                        "attempts_per_request": round(o["attempts"] / ADMIN_REQUESTS, 4),
                        "attempts_formula": round(f["attempts"], 4),
                        "orphans_per_request": round(o["orphan_attempts"] / ADMIN_REQUESTS, 5),
                        "orphans_formula": round(f["orphan_attempts"], 6)})
    return {
        "requests": ADMIN_REQUESTS,
        "inner_budget_ms": budget,
        "nests": budget <= outer_ms,
        "attempt_starts_ms": starts,
        "attempts_before_deadline": sum(1 for s in starts if s < outer_ms),
        "designs": designs,
    }


# ---- transport cost is zero --------------------------------------------------------------------

SECONDS_PER_MONTH = 30 * 86_400
COST_DRAWS = 40_000  # attempts simulated, on average, at most: bounds the cost at the maxima
COST_SAMPLE = 5_000   # requests simulated when that bound allows it


def fallacy_cost(rate=1000, size_kb=20, layers=3, retries=3, failure_pct=1.0, zones=3, price=0.02,
                 seed=1) -> dict:
    """A month's cross-zone bill for calls through `layers` hops, each caller retrying `retries` times.

    Only the deepest hop fails on its own (with p per attempt); a hop above fails when the one
    below gave up. One attempt at hop k fails with f_k = p^((r+1)^(L-k)) and a call at hop k makes
    G(f_k) = 1 + f_k + ... + f_k^r attempts, so hop k sees G(f_1) x ... x G(f_k) attempts per
    request. Load balancing picks any of `zones` zones, so an attempt crosses a zone with
    probability 1 - 1/zones (taken as that expectation; the attempts are simulated).
    """
    p = failure_pct / 100
    u = random.Random(f"fallacy-cost-{seed}").random
    f = [p ** ((retries + 1) ** (layers - 1 - k)) for k in range(layers)]
    per_call = [sum(fk ** j for j in range(retries + 1)) for fk in f]
    formula_hops = [math.prod(per_call[:k + 1]) for k in range(layers)]
    formula = sum(formula_hops)
    # The expected attempts are known before simulating: size the sample to bound the work.
    sample = max(1, min(COST_SAMPLE, int(COST_DRAWS // formula)))
    counts = [0] * layers

    def call(level: int) -> bool:  # one call at hop `level`, with its retries; True if it succeeded
        for _ in range(retries + 1):
            counts[level] += 1
            if (u() >= p) if level == layers - 1 else call(level + 1):
                return True
        return False

    failed = sum(1 for _ in range(sample) if not call(0))
    cross = 1 - 1 / zones
    month = rate * SECONDS_PER_MONTH
    gb_per_attempt = size_kb * 1000 / 1e9

    def bill(attempts_per_request):
        return month * attempts_per_request * gb_per_attempt * cross * price

    simulated = sum(counts) / sample
    return {
        "sample": sample,
        "failed_share": round(failed / sample, 5),
        "failed_formula": round(f[0] ** (retries + 1), 8),
        "hops": [{"hop": k + 1, "attempts": round(counts[k] / sample, 4), "formula": round(formula_hops[k], 4)}
                 for k in range(layers)],
        "attempts_per_request": round(simulated, 4),
        "attempts_formula": round(formula, 4),
        "cross_zone_share": round(cross, 4),
        "requests_per_month": month,
        "cross_zone_tb": round(month * simulated * gb_per_attempt * cross / 1000, 3),
        "bill": round(bill(simulated), 2),
        "bill_formula": round(bill(formula), 2),
        "bill_no_retries": round(bill(layers), 2),
        "bill_outage": round(bill(sum((retries + 1) ** (k + 1) for k in range(layers))), 2),
    }


# ---- the network is homogeneous ----------------------------------------------------------------

HOMOGENEOUS_REQUESTS = 10_000
ETHERNET_MTU = 1500
TCP_IP_HEADERS = 40  # IPv4 20 + TCP 20: MSS = MTU - 40
SIZE_CURVE = tuple(round(10 ** (2 + k / 10)) for k in range(41))  # 100 B .. 1 MB, log-spaced
PMTUD = (("blocked", "ICMP filtered (black hole)"), ("works", "Path MTU discovery works"),
         ("clamped", "MSS clamped at the tunnel"))


def _share_above(limit_bytes: float, median_kb: float, sigma: float) -> float:
    """P(size > limit) for a log-normal size with this median and shape."""
    z = (math.log(limit_bytes) - math.log(median_kb * 1000)) / sigma
    return 0.5 * math.erfc(z / math.sqrt(2))


def fallacy_homogeneous(median_kb=4.0, sigma=1.5, tunnel_pct=20.0, tunnel_mtu=1400, pmtud="blocked",
                        seed=1) -> dict:
    """Requests whose response cannot cross a path where one hop has a smaller MTU than the rest.

    A response larger than the tunnel's MSS is sent in at least one full-size segment, which the
    tunnel cannot carry. 'blocked': the sender never learns (ICMP filtered), and the request hangs.
    'works': ICMP reaches the sender, which resends smaller: one extra round trip. 'clamped': the
    tunnel rewrites the MSS at the handshake, and nothing is lost. Cost: 2 draws per request at most.
    """
    if pmtud not in dict(PMTUD):
        raise ValueError(f"pmtud must be one of {sorted(dict(PMTUD))}, got {pmtud!r}")
    rng = random.Random(f"fallacy-homogeneous-{seed}")
    u, gauss = rng.random, rng.gauss
    t = tunnel_pct / 100
    mss = tunnel_mtu - TCP_IP_HEADERS
    limit = math.inf if tunnel_mtu >= ETHERNET_MTU else mss
    mu = math.log(median_kb * 1000)
    through = sum(1 for _ in range(HOMOGENEOUS_REQUESTS) if u() < t)
    # Only the responses that cross the tunnel need a size: compare in log space.
    log_limit = math.log(limit) if limit != math.inf else math.inf
    too_big = sum(1 for _ in range(through) if mu + sigma * gauss() > log_limit)
    p_big = 0.0 if limit == math.inf else _share_above(limit, median_kb, sigma)
    hung = too_big if pmtud == "blocked" else 0
    slowed = too_big if pmtud == "works" else 0
    return {
        "requests": HOMOGENEOUS_REQUESTS,
        "through_tunnel": through,
        "tunnel_mss": mss,
        "too_big": too_big,
        "too_big_share_of_tunnel": round(too_big / through, 5) if through else None,
        "hung": hung,
        "hung_share": round(hung / HOMOGENEOUS_REQUESTS, 5),
        "slowed": slowed,
        "too_big_formula": round(HOMOGENEOUS_REQUESTS * t * p_big, 2),
        "share_too_big_formula": round(t * p_big, 6),
        "share_above_mss": round(p_big, 6),
        # The share of responses larger than each size: the tunnel's MSS is one point on it.
        "curve": [{"bytes": b, "share_above": round(_share_above(b, median_kb, sigma), 6)} for b in SIZE_CURVE],
    }
