"""Retry amplification: retries at every layer of a call chain multiply the load at the bottom.

A request goes down a chain of `layers` callers; the lowest caller calls a dependency that fails each
attempt independently with probability p. A caller that may make up to `attempts` attempts (the
first try included: N retries are N + 1 attempts) is compared under five policies:

    none          one attempt everywhere                        the baseline
    every_layer   every layer retries                           worst case attempts**layers at the bottom
    top_only      only the top layer retries, the others fail fast
    bucket        every layer retries while its token bucket has a whole token; each *success*
                  deposits 0.1 token, each retry spends 1 (Brooker 2022, "adaptive retries")
    ratio         the same bucket, but each *request* deposits 0.1 token: retries stay under 10 % of
                  requests (the SRE book's per-client retry budget; Finagle's RetryBudget works so)

Closed forms (exact for the first three; steady-state fluid limit for the budgets), and a seeded
Monte-Carlo simulation of the same chain, so the page can show both side by side. Failures are
independent here, which flatters retries: real overload makes failures correlated with load, which
is what the retry-budget demo shows.
"""

from __future__ import annotations

import math
import random

POLICIES = ("none", "every_layer", "top_only", "bucket", "ratio")

# Budgets: a retry costs one whole token; a success (bucket) or a request (ratio) earns this much.
BUDGET_DEPOSIT = 0.1
# Each layer is one client with one bucket of this size, full when the run starts.
BUDGET_CAPACITY = 10.0

# Monte-Carlo size: this many requests at the top, unless the work cap stops the run first.
SIM_REQUESTS = 1000
# Work cap: calls into the lowest layer (chain.calls[1]), summed over the run (each costs O(1) or
# O(attempts)).
# The worst single request (6 layers, 10 attempts, p = 1) alone makes 10**5 of them.
SIM_WORK_CAP = 60_000


# ---- closed forms ------------------------------------------------------------------------------

def _mean_attempts(q: float, attempts: int) -> float:
    """Expected attempts of one call that retries up to `attempts` times at failure probability q:
    1 + q + q**2 + ... + q**(attempts-1)."""
    if q >= 1.0:
        return float(attempts)
    return (1.0 - q ** attempts) / (1.0 - q)


def _budget_retries(q: float, attempts: int, deposit: float, per_success: bool) -> float:
    """Long-run retries per call under a token budget (fluid limit).

    Without a budget a call makes R = q + ... + q**(attempts-1) retries. Tokens in must equal tokens
    out, so retries per call r <= deposit x (successes per call) for the bucket, where successes per
    call are (1 - q)(1 + r) by Wald's identity; solving gives r = d(1-q) / (1 - d(1-q)).
    For the ratio budget r <= deposit (one deposit per request). The budget binds only when that
    supply is below R, hence the min().
    """
    wanted = _mean_attempts(q, attempts) - 1.0
    if per_success:
        earned = deposit * (1.0 - q)
        supply = earned / (1.0 - earned)
    else:
        supply = deposit
    return min(wanted, supply)


def closed_form(layers: int, attempts: int, p: float) -> dict:
    """Attempts reaching the bottom per top-level request and end-to-end success, per policy.

    Layers are counted from the bottom: layer 1 calls the dependency (failure p); layer j + 1 calls
    layer j, whose calls fail with q_{j+1}. Expected attempts multiply across layers by Wald's
    identity (whether attempt k happens depends only on earlier attempts).
    """
    out = {}
    for policy in POLICIES:
        q, expected = p, 1.0
        per_call = []  # attempts each layer makes per call it receives, bottom layer first
        for layer in range(1, layers + 1):
            retrying = policy in ("every_layer", "bucket", "ratio") or (
                policy == "top_only" and layer == layers)
            n = attempts if retrying else 1
            if policy in ("bucket", "ratio") and n > 1:
                made = 1.0 + _budget_retries(q, n, BUDGET_DEPOSIT, policy == "bucket")
            else:
                made = _mean_attempts(q, n)
            per_call.append(made)
            expected *= made
            q = 1.0 - (1.0 - q) * made  # Wald again: successes per call = (1 - q) x attempts
            q = min(1.0, max(0.0, q))
        # Calls arriving at each level per top-level request, from the top layer (1) down to the
        # dependency (the product of the attempts made by every layer above it).
        levels = [1.0]
        for made in reversed(per_call):
            levels.append(levels[-1] * made)
        out[policy] = {"expected": expected, "success": 1.0 - q, "levels": levels,
                       "exact": policy not in ("bucket", "ratio") or attempts == 1}
    return out


def worst_case(layers: int, attempts: int) -> dict:
    """Attempts at the bottom per request when the dependency is down (p = 1), in the long run.

    attempts**layers for every_layer, attempts for top_only, 1 for the success-funded bucket (it
    earns nothing, so after its first few tokens it stops retrying) and 1.1**layers for the ratio
    budget. A budget's bucket, full at the start, can pay for a short burst above this.
    """
    return {policy: f["expected"] for policy, f in closed_form(layers, attempts, 1.0).items()}


# ---- Monte-Carlo -------------------------------------------------------------------------------

class _Chain:
    """One run of one policy: a bucket per layer (for the budgets) and counters."""

    def __init__(self, policy: str, layers: int, attempts: int, p: float, rng: random.Random):
        self.policy, self.layers, self.attempts, self.p, self.rng = policy, layers, attempts, p, rng
        self.tokens = [BUDGET_CAPACITY] * (layers + 1)  # index = layer
        self.bottom = 0  # attempts that reached the dependency
        self.retries = [0] * (layers + 1)
        self.calls = [0] * (layers + 1)
        # Fixed for the run, per layer (index = layer): attempts allowed, and whether a budget pays
        # for the retries (the hot recursion looks these up rather than working them out per call).
        self.limits = [0] + [self.limit(layer) for layer in range(1, layers + 1)]
        self.budgeted = [policy in ("bucket", "ratio") and limit > 1 for limit in self.limits]
        self.per_request = policy == "ratio"  # the ratio budget earns per request, the bucket per success
        # ln p for the geometric shortcut at the bottom; None when p is 0 or 1.
        self.log_p = math.log(p) if 0.0 < p < 1.0 else None
        # Calls from layer 2 into layer 1 are most of the work when every layer retries at a high
        # failure rate: without budgets on either, a call into layer 2 draws them all in one loop.
        self.draws_below = [layer == 2 and not self.budgeted[2] and not self.budgeted[1]
                            and self.log_p is not None for layer in range(layers + 1)]

    def limit(self, layer: int) -> int:
        if self.policy in ("every_layer", "bucket", "ratio"):
            return self.attempts
        if self.policy == "top_only" and layer == self.layers:
            return self.attempts
        return 1

    def call(self, layer: int) -> bool:
        """One call into `layer` (which then calls layer - 1, or the dependency). True on success."""
        calls = self.calls
        # A layer that makes a single attempt (so without a budget) passes the call straight down.
        while layer > 1 and self.limits[layer] == 1:
            calls[layer] += 1
            layer -= 1
        calls[layer] += 1
        limit, budget = self.limits[layer], self.budgeted[layer]
        if layer == 1 and not budget:
            return self._bottom(limit)
        if self.draws_below[layer]:
            return self._over_bottom(limit)
        tokens, retries = self.tokens, self.retries
        if budget and self.per_request:
            earned = tokens[layer] + BUDGET_DEPOSIT
            tokens[layer] = earned if earned < BUDGET_CAPACITY else BUDGET_CAPACITY  # min(), inlined
        for k in range(limit):
            if k:  # a retry: budgets must pay for it
                if budget:
                    if tokens[layer] < 1.0:
                        return False
                    tokens[layer] -= 1.0
                retries[layer] += 1
            if layer == 1:
                self.bottom += 1
                ok = self.rng.random() >= self.p
            else:
                ok = self.call(layer - 1)
            if ok:
                if budget and not self.per_request:
                    earned = tokens[layer] + BUDGET_DEPOSIT
                    tokens[layer] = earned if earned < BUDGET_CAPACITY else BUDGET_CAPACITY
                return True
        return False

    def _bottom(self, limit: int) -> bool:
        """Layer 1 without a budget: attempts until the first success, capped, drawn in O(1)."""
        if self.log_p is None:
            n, ok = (limit, False) if self.p >= 1.0 else (1, True)
        else:
            # Failures before the first success ~ Geometric: floor(ln U / ln p), U in (0, 1].
            failures = int(math.log(1.0 - self.rng.random()) / self.log_p)
            n, ok = (failures + 1, True) if failures < limit else (limit, False)
        self.bottom += n
        self.retries[1] += n - 1
        return ok

    def _over_bottom(self, limit: int) -> bool:
        """Layer 2 making up to `limit` calls into layer 1, neither with a budget: each call is
        _bottom's truncated geometric, drawn in this one loop and counted once at the end."""
        rnd, log, log_p, below = self.rng.random, math.log, self.log_p, self.limits[1]
        bottom = 0  # attempts at the dependency
        ok = False
        for made in range(1, limit + 1):  # calls into layer 1 so far
            failures = int(log(1.0 - rnd()) / log_p)
            if failures < below:
                bottom += failures + 1
                ok = True
                break
            bottom += below
        self.calls[1] += made
        self.retries[2] += made - 1
        self.retries[1] += bottom - made
        self.bottom += bottom
        return ok

    def same_every_time(self) -> bool:
        """One request without budgets and without randomness (p is 0 or 1), counted layer by
        layer rather than replayed: every call into a layer then goes the same way."""
        ok = self.p <= 0.0  # then every first attempt succeeds; else every attempt fails
        calls = 1  # calls into the current layer per request, from the top down
        for layer in range(self.layers, 0, -1):
            made = 1 if ok else self.limits[layer]  # attempts this layer makes per call
            self.calls[layer] += calls
            self.retries[layer] += calls * (made - 1)
            calls *= made
        self.bottom += calls
        return ok


def simulate(layers: int, attempts: int, p: float, policy: str, rng: random.Random) -> dict:
    chain = _Chain(policy, layers, attempts, p, rng)
    # Without randomness (p = 0 or 1) a request that leaves every bucket as it found it is repeated
    # exactly by every later request: the loop then counts it for all of them at once. Without
    # budgets that is every request, each counted rather than replayed (up to attempts**layers calls).
    certain = chain.log_p is None
    counted = certain and not any(chain.budgeted)
    requests = successes = 0
    total_sq = 0.0
    while requests < SIM_REQUESTS and (requests == 0 or chain.calls[1] < SIM_WORK_CAP):
        before = chain.bottom
        if certain:  # the state before the request
            tokens0, calls0, retries0 = chain.tokens[:], chain.calls[:], chain.retries[:]
        ok = chain.same_every_time() if counted else chain.call(layers)
        successes += ok
        requests += 1
        n = chain.bottom - before
        total_sq += n ** 2
        if certain and chain.tokens == tokens0:
            work = chain.calls[1] - calls0[1]  # >= 1: every request reaches layer 1
            more = min(SIM_REQUESTS - requests, max(0, -(-(SIM_WORK_CAP - chain.calls[1]) // work)))
            chain.calls[:] = [c + more * (c - c0) for c, c0 in zip(chain.calls, calls0)]
            chain.retries[:] = [r + more * (r - r0) for r, r0 in zip(chain.retries, retries0)]
            chain.bottom += more * n
            successes += more * ok
            requests += more
            for _ in range(more):  # the same float sum as the loop's
                total_sq += n ** 2
            break
    mean = chain.bottom / requests
    var = max(0.0, total_sq / requests - mean * mean)
    calls, retries = sum(chain.calls[1:]), sum(chain.retries[1:])
    return {
        "requests": requests,
        "bottom_attempts": mean,
        # calls arriving at each level per request: the top layer first, the dependency last
        "levels": [chain.calls[j] / requests for j in range(layers, 0, -1)] + [mean],
        "stderr": math.sqrt(var / requests) if requests > 1 else None,
        "success": successes / requests,
        "retries": retries,
        "calls": calls,  # requests into all layers (each layer's incoming calls, retries included)
        "retry_ratio": retries / calls if calls else 0.0,  # retries per request, over all layers
    }


def amplification(layers: int = 3, attempts: int = 4, failure_pct: float = 100.0, seed: int = 1) -> dict:
    """Closed forms and a Monte-Carlo run for each policy.

    Result: {"layers", "attempts", "failure_pct", "policies": {policy: {"worst", "expected",
    "success_pct", "exact", "levels", "simulated": {"requests", "bottom_attempts", "stderr",
    "success_pct", "retries", "retries_per_100", "levels"}}}}. `expected` and `bottom_attempts` are
    attempts reaching the dependency per top-level request; `levels` are the calls arriving at each
    level per request, from the top layer (always 1) down to the dependency (= expected). Cost: at most SIM_REQUESTS requests or SIM_WORK_CAP calls at
    layer 1 per policy.
    """
    p = failure_pct / 100.0
    forms, worst = closed_form(layers, attempts, p), worst_case(layers, attempts)
    out = {}
    for policy in POLICIES:
        sim = simulate(layers, attempts, p, policy, random.Random(f"{seed}-{policy}"))
        f = forms[policy]
        out[policy] = {
            "worst": _r(worst[policy]),
            "expected": _r(f["expected"]),
            "success_pct": _r(100 * f["success"]),
            "exact": f["exact"],
            "levels": [_r(x) for x in f["levels"]],
            "simulated": {
                "requests": sim["requests"],
                "levels": [_r(x) for x in sim["levels"]],
                "bottom_attempts": _r(sim["bottom_attempts"]),
                "stderr": None if sim["stderr"] is None else _r(sim["stderr"]),
                "success_pct": _r(100 * sim["success"]),
                "retries": sim["retries"],
                "retries_per_100": _r(100 * sim["retry_ratio"]),
            },
        }
    return {"layers": layers, "attempts": attempts, "failure_pct": failure_pct, "policies": out}


def _r(x: float) -> float:
    """Three decimals (whole numbers stay ints): enough for a table, stable in stored outputs."""
    x = round(x, 3)
    return int(x) if x == int(x) else x
