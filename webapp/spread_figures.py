"""What "Run 20 seeds" measures for each seeded demo: its headline figures as numbers, and the kind of
verdict a run reaches, so that runs can be counted ("stuck in 4 of 20 runs").

A View's `stats` are display strings in mixed units ("800 ms", "1.2 s"), so they cannot be compared
across runs; each demo here reads the same quantities straight from its model's result instead.
`figures(result, values)` returns {name: number or None} (None: the quantity does not exist in that
run, e.g. a breaker that never trips has no trip time); `kinds(result, values)` returns the verdicts
the run reaches, usually one, one per strategy where a demo compares several.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .demos import REGISTRY


@dataclass(frozen=True)
class SpreadSpec:
    figures: Callable[[dict, dict], dict]
    kinds: Callable[[dict, dict], tuple]
    max_seeds: int = 50  # the heaviest model (the failure lab) allows fewer, to bound one request's cost


def _label(demo_id: str, param: str, value: str) -> str:
    return dict(REGISTRY[demo_id].params.by_name[param].choices)[value]


def _pct(x):
    return None if x is None else round(100 * x, 2)


def _secs(ms):
    return None if ms is None else round(ms / 1000, 2)


# ---- retries and backoff -------------------------------------------------------------------------
def _backoff_timeline(r, v):
    return {"Attempts": len(r["attempts"]), "Time spent (ms)": r["finished_ms"], "Waiting (ms)": r["total_wait_ms"]}


def _backoff_timeline_kinds(r, v):
    return ("gave up",) if r["gave_up"] else ("succeeded",)


def _retry_storm(r, v):
    out = {}
    for name, s in r["strategies"].items():
        label = _label("retry-storm", "jitter", name)
        out[f"Worst 10 ms of retries, {label}"] = s["peak_retries_per_bucket"]
        out[f"Gave up, {label}"] = s["gave_up"]
    return out


def _retry_storm_kinds(r, v):
    s = r["strategies"]
    if len(s) == 1:
        return ("no jitter: every wave in lock-step",)
    jittered = next(k for k in s if k != "none")
    cut = s[jittered]["peak_retries_per_bucket"] < s["none"]["peak_retries_per_bucket"]
    return ("jitter lowers the worst 10 ms" if cut else "jitter does not lower the worst 10 ms",)


def _contention(r, v):
    out = {}
    for name, s in r["strategies"].items():
        label = _label("backoff-contention", "strategies", name)
        out[f"Calls, {label}"] = s["calls"]
        out[f"Time (s), {label}"] = round(s["time"] / 1000, 3)
    return out


def _contention_kinds(r, v):
    s = r["strategies"]
    fewest = min(s, key=lambda k: s[k]["calls"])
    return (f"fewest calls: {_label('backoff-contention', 'strategies', fewest)}",)


def _amplification(r, v):
    names = {"every_layer": "every layer retries", "top_only": "only the top retries",
             "bucket": "budget per success", "ratio": "budget per request"}
    return {f"Attempts at the bottom, {label}": r["policies"][k]["simulated"]["bottom_attempts"]
            for k, label in names.items() if k in r["policies"]}


def _amplification_kinds(r, v):
    pol = r["policies"]
    ok = pol["every_layer"]["simulated"]["bottom_attempts"] > pol["ratio"]["simulated"]["bottom_attempts"]
    return ("the budget sends less than every layer retrying" if ok else "the budget sends no less",)


def _retry_budget(r, v):
    out = {}
    for name, s in r["strategies"].items():
        label = _label("retry-budget", "strategies", name)
        out[f"Success, {label} (%)"] = s["success_pct"]
        out[f"Served again at (s), {label}"] = _secs(s["recovered_at_ms"])
    return out


def _retry_budget_kinds(r, v):
    words = {"recovered": "recovers", "overloaded": "stuck", "clients lagging": "server recovers, clients lag"}
    return tuple(f"{_label('retry-budget', 'strategies', name)}: {words[s['outcome']]}"
                 for name, s in r["strategies"].items())


# ---- circuit breakers ----------------------------------------------------------------------------
def _breaker_timeline(r, v):
    t = r["totals"]
    first_open = next((x["t_ms"] for x in r["transitions"] if x["to"] == "OPEN"), None)
    return {"Trips": t["trips"], "First trip at (s)": _secs(first_open),
            "Reached the dependency": t["reached_dependency"], "Rejected fast": t["rejected"],
            "Failed at the dependency": t["failure"]}


def _breaker_timeline_kinds(r, v):
    if not r["totals"]["trips"]:
        return ("never opened",)
    final = r["transitions"][-1]["to"]
    return ("closed again" if final == "CLOSED" else f"still {final.replace('_', '-').lower()} at the end",)


def _cascade(r, v):
    w, b = r["runs"]["without"]["totals"], r["runs"]["with"]["totals"]
    return {"Pool full (s), no breaker": w["saturated_s"], "Pool full (s), breaker": b["saturated_s"],
            "C's p99 (s), no breaker": _secs(w["c_p99_ms"]), "C's p99 (s), breaker": _secs(b["c_p99_ms"]),
            "Calls reaching B, no breaker": w["reached_b"], "Calls reaching B, breaker": b["reached_b"]}


def _cascade_kinds(r, v):
    w, b = r["runs"]["without"]["totals"], r["runs"]["with"]["totals"]
    return ("the breaker shortens the saturation" if b["saturated_s"] < w["saturated_s"]
            else "the breaker does not shorten the saturation",)


# ---- bulkheads, degradation, timeouts ------------------------------------------------------------
def _bulkhead(r, v):
    out = {}
    for feature, h in r["headline"].items():
        out[f"{feature.capitalize()} success, shared (%)"] = _pct(h["shared"])
        out[f"{feature.capitalize()} success, bulkheads (%)"] = _pct(h["isolated"])
    return out


def _bulkhead_kinds(r, v):
    h = r["headline"]["checkout"]
    if h["shared"] is None or h["isolated"] is None:
        return ("no checkout traffic",)
    return ("bulkheads protect checkout" if h["isolated"] - h["shared"] >= 0.01
            else "checkout does as well in the shared pool",)


def _degradation(r, v):
    a, d = r["designs"]["all_or_nothing"], r["designs"]["degraded"]
    return {"Page works, all or nothing (%)": _pct(a["page_availability"]),
            "Page works, degraded (%)": _pct(d["page_availability"]),
            "p99 page time, all or nothing (ms)": a["p99_ms"], "p99 page time, degraded (ms)": d["p99_ms"]}


def _degradation_kinds(r, v):
    a, d = r["designs"]["all_or_nothing"], r["designs"]["degraded"]
    return ("degrading keeps more pages working" if d["page_availability"] > a["page_availability"]
            else "degrading keeps no more pages working",)


def _timeout_tradeoff(r, v):
    p, t = r["percentiles_ms"], r["timeout"]
    return {"p50 (ms)": p["p50"], "p99 (ms)": p["p99"], "p99.9 (ms)": p["p99.9"],
            "False timeouts (%)": _pct(t["false_timeout_rate"]),
            "Thread-seconds per 1,000 requests": t["thread_seconds_per_1000"]}


def _timeout_tradeoff_kinds(r, v):
    rate = r["timeout"]["false_timeout_rate"]
    return ("cuts off under 1 % of answers" if rate < 0.01 else "cuts off 1 % of answers or more",)


def _timeout_budget(r, v):
    per, dl = r["policies"]["per_attempt"], r["policies"]["deadline"]
    return {"Answered in time, deadline ignored (%)": _pct(per["success_within_deadline"]),
            "Answered in time, deadline bounded (%)": _pct(dl["success_within_deadline"]),
            "p99 end to end, ignored (ms)": per["percentiles_ms"]["p99"],
            "p99 end to end, bounded (ms)": dl["percentiles_ms"]["p99"],
            "Attempts after the deadline, ignored": per["attempts_after_deadline"]}


def _timeout_budget_kinds(r, v):
    late = r["policies"]["per_attempt"]["attempts_after_deadline"]
    return ("attempts start after the caller left" if late else "no attempt starts after the caller left",)


# ---- idempotency, fallacies, the lab -------------------------------------------------------------
def _double_charge(r, v):
    n, k = r["modes"]["no_key"], r["modes"]["key"]
    return {"Charges without keys": n["charges"], "Charges with keys": k["charges"],
            "Duplicate charges without keys": n["duplicate_charges"], "Overcharged without keys ($)": n["overcharged"]}


def _double_charge_kinds(r, v):
    dup = r["modes"]["no_key"]["duplicate_charges"]
    kinds = ("charges twice without keys" if dup else "no duplicate without keys",)
    return kinds + (("charges twice with keys",) if r["modes"]["key"]["duplicate_charges"] else ())


def _race(r, v):
    d = r["designs"]
    return {"Charges, check then insert": d["check_then_insert"]["charges"],
            "Charges, atomic claim": d["atomic_claim"]["charges"]}


def _race_kinds(r, v):
    d = r["designs"]
    naive, atomic = d["check_then_insert"]["double_charged"], d["atomic_claim"]["double_charged"]
    return ("check-then-insert charges twice" if naive else "check-then-insert charges once",
            "the atomic claim charges twice" if atomic else "the atomic claim charges once")


def _network(r, v):
    return {"Requests that succeed (%)": _pct(r["success"]), "Attempts per request": r["attempts_per_request"]}


def _network_kinds(r, v):
    return ("success at or above the formula" if r["success"] >= r["formula"] else "success below the formula",)


def _bandwidth(r, v):
    return {"Link busy (%)": _pct(r["utilisation"]), "Mean wait for the link (ms)": r["mean_wait_ms"],
            "p99 response (ms)": r["p99_response_ms"]}


def _bandwidth_kinds(r, v):
    if not r["stable"]:
        return ("the link is overloaded",)
    return ("waits longer than M/D/1" if r["mean_wait_ms"] > r["formula_wait_ms"] else "waits no longer than M/D/1",)


def _lab(r, v):
    if "error" in r:
        return {}
    out = {f"{f.capitalize()} success (%)": _pct(s["success_rate"]) for f, s in r["features"].items()}
    out["Customers charged twice"] = r["payments"]["orders_charged_twice_or_more"]
    out["Retries sent"] = sum(e["retries"] for e in r["edges"].values())
    return out


def _lab_kinds(r, v):
    if "error" in r:
        return ()
    return tuple(f"{feature}: {kind}" for feature, kind in r["verdict_kind"].items())


# ---- the other five fallacies --------------------------------------------------------------------
def _secure(r, v):
    d = {x["id"]: x for x in r["defences"]}
    return {"Replays sent": r["replays_sent"], "Replays accepted in the window": d["window"]["replays_accepted"]}


def _secure_kinds(r, v):
    window = next(x for x in r["defences"] if x["id"] == "window")["replays_accepted"]
    return ("replays get through the window" if window else "no replay gets through the window",)


def _topology(r, v):
    return {"Requests to the old address": r["failed"], "Last client moves (s)": r["last_client_moves_s"]}


def _topology_kinds(r, v):
    return ("more failures than the formula" if r["failed"] > r["failed_formula"] else "no more than the formula",)


def _admin(r, v):
    mine = r["designs"][0]
    return {"Users answered (%)": _pct(mine["answered_share"]), "Attempts after the deadline": mine["orphan_attempts"]}


def _admin_kinds(r, v):
    return ("attempts run after the deadline" if r["designs"][0]["orphan_attempts"] else "no attempt after the deadline",)


def _cost(r, v):
    return {"Calls per request": r["attempts_per_request"], "Monthly bill ($)": r["bill"]}


def _cost_kinds(r, v):
    return ("bill at or above the formula" if r["bill"] >= r["bill_formula"] else "bill below the formula",)


def _homogeneous(r, v):
    return {"Requests that hang (%)": _pct(r["hung_share"]), "Too big for the tunnel": r["too_big"]}


def _homogeneous_kinds(r, v):
    return ("requests hang" if r["hung"] else "no request hangs",)


SPECS: dict[str, SpreadSpec] = {
    "backoff-timeline": SpreadSpec(_backoff_timeline, _backoff_timeline_kinds),
    "retry-storm": SpreadSpec(_retry_storm, _retry_storm_kinds),
    "backoff-contention": SpreadSpec(_contention, _contention_kinds),
    "retry-amplification": SpreadSpec(_amplification, _amplification_kinds),
    "retry-budget": SpreadSpec(_retry_budget, _retry_budget_kinds),
    "breaker-timeline": SpreadSpec(_breaker_timeline, _breaker_timeline_kinds),
    "cascade": SpreadSpec(_cascade, _cascade_kinds),
    "bulkhead": SpreadSpec(_bulkhead, _bulkhead_kinds),
    "degradation": SpreadSpec(_degradation, _degradation_kinds),
    "timeout-tradeoff": SpreadSpec(_timeout_tradeoff, _timeout_tradeoff_kinds),
    "timeout-retry-budget": SpreadSpec(_timeout_budget, _timeout_budget_kinds),
    "double-charge": SpreadSpec(_double_charge, _double_charge_kinds),
    "idempotency-race": SpreadSpec(_race, _race_kinds),
    "fallacy-network": SpreadSpec(_network, _network_kinds),
    "fallacy-bandwidth": SpreadSpec(_bandwidth, _bandwidth_kinds),
    "failure-lab": SpreadSpec(_lab, _lab_kinds, max_seeds=20),
    "fallacy-secure": SpreadSpec(_secure, _secure_kinds),
    "fallacy-topology": SpreadSpec(_topology, _topology_kinds),
    "fallacy-admin": SpreadSpec(_admin, _admin_kinds),
    "fallacy-cost": SpreadSpec(_cost, _cost_kinds),
    "fallacy-homogeneous": SpreadSpec(_homogeneous, _homogeneous_kinds),
}
