"""The failure lab: every pattern of the course on one service graph, faults on a timeline, and what
the end user gets.

    failure_lab(**settings) -> dict     the model behind the demo "failure-lab" and the /lab page

Its keyword arguments are flat and named `<edge>_<setting>`, `<service>_<setting>` and
`fault<i>_<setting>` (see DEFAULTS), so that the web layer's parameter declarations, permalinks and
JSON export work as for every other demo. `setup_from(values)` turns them into an
`lab_engine.Setup`; `check(values)` finds configurations that contradict themselves (a timeout
longer than its caller's) and names the edge and the setting; `lab_engine` runs the simulation and
`lab_story` writes the verdicts and the "what went wrong" account from what the run recorded.

Defaults are the healthy baseline: no fault, and the settings a team typically starts with (a
timeout of about 3 x p99 on every call, 2 or 3 attempts with full jitter, nothing else).
"""

from __future__ import annotations

import inspect
import math

from . import lab_engine as engine
from . import lab_story
from .breaker import BreakerConfig
from .lab_engine import EDGES, FEATURES, SERVICE_MS, SERVICES, EdgeConfig, Fault, ServiceConfig, Setup

EDGE_IDS = tuple(f"{a}_{b}" for a, b in EDGES)
EDGE_OF = dict(zip(EDGE_IDS, EDGES))
ARROW = {e: f"{a}→{b}" for e, (a, b) in EDGE_OF.items()}
CALLER_EDGE = {"search_index": "gateway_search", "checkout_payments": "gateway_checkout",
               "profile_recommendations": "gateway_profile"}
FAULT_SLOTS = 3

# Rate policy of the lab's breakers: Hystrix's window (10 s rolling, at least 20 calls); the
# consecutive policy is the seed's. Both test with 3 requests and close on 2 (the seed).
RATE_WINDOW_MS = 10_000
RATE_MIN_CALLS = 20

# ---- defaults: the healthy baseline ------------------------------------------------------------
# Per edge: (timeout ms, attempts). Timeouts follow "3 x p99" of what the callee normally takes
# (index: p99 of Exp(25 ms) = 115 ms -> 400 ms), and each caller waits longer than its callee's
# whole retry schedule may take, so that no timeout contradicts its caller's.
EDGE_BASE = {"gateway_search": (2000, 2), "gateway_checkout": (5000, 2), "gateway_profile": (2000, 2),
             "search_index": (400, 3), "checkout_payments": (1500, 3), "profile_recommendations": (500, 3)}
EDGE_COMMON = {"deadline_ms": None, "backoff_ms": 100, "jitter": "full", "budget": "none",
               "order": "retry_outside", "breaker": "off", "breaker_failures": 5, "breaker_rate_pct": 50,
               "breaker_open_s": 30, "bulkhead": None, "bulkhead_queue": 0}
EDGE_SETTINGS = ("timeout_ms", "deadline_ms", "attempts", "backoff_ms", "jitter", "budget", "order",
                 "breaker", "breaker_failures", "breaker_rate_pct", "breaker_open_s", "bulkhead",
                 "bulkhead_queue")
# Threads and queue per service: several times the healthy need (Little: rate x time held), so the
# baseline never queues; the gateway's pool is shared by every feature.
SERVICE_BASE = {"gateway": (60, 20), "search": (20, 10), "checkout": (20, 10), "profile": (20, 10),
                "index": (10, 10), "payments": (10, 10), "recommendations": (10, 10)}
FAULT_BASE = [("payments", 30, 60, 10), ("index", 30, 60, 50), ("recommendations", 30, 90, 100)]
TRAFFIC = {"search_rate": 20, "checkout_rate": 5, "profile_rate": 10, "user_timeout_ms": 10_000,
           "duration_s": 120}


def _defaults() -> dict:
    d = dict(TRAFFIC)
    for e in EDGE_IDS:
        timeout, attempts = EDGE_BASE[e]
        d.update({f"{e}_{k}": v for k, v in {"timeout_ms": timeout, "attempts": attempts, **EDGE_COMMON}.items()})
    d["profile_recommendations_fallback"] = "none"
    d["checkout_payments_idempotency"] = "none"
    for s in SERVICES:
        d[f"{s}_threads"], d[f"{s}_queue"] = SERVICE_BASE[s]
    for i, (service, start, end, magnitude) in enumerate(FAULT_BASE, 1):
        d.update({f"fault{i}_service": service, f"fault{i}_kind": "none", f"fault{i}_start_s": start,
                  f"fault{i}_end_s": end, f"fault{i}_magnitude": magnitude})
    d["seed"] = 1
    return d


DEFAULTS = _defaults()


# ---- the model -------------------------------------------------------------------------------

def failure_lab(**values) -> dict:
    """Run the lab with these settings (any not given keep their DEFAULTS).

    Returns {"error": {...}} for a configuration that contradicts itself (see `check`), otherwise
    the run: "features" (per feature: requests, ok, degraded, failed, success_rate, p50/p99 of the
    answered, causes of failure, time series per bin), "services" (load as first tries and retries,
    threads busy and queued, who held them, rejections, wasted work), "edges" (attempts, timeouts,
    retries, breaker transitions and state intervals, bulkhead occupancy, fallbacks, budget and
    deadline stops), "payments" (charges and duplicate charges read back from the SQLite ledger),
    "windows" (success before, during and after the faults), and from `lab_story`: "verdicts",
    "story", "warnings", "headline". Cost: about (total rate x duration) user requests, each a few
    events per hop, times the retries the configuration allows.
    """
    unknown = set(values) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"failure_lab() got unexpected keyword arguments {sorted(unknown)}")
    values = {**DEFAULTS, **values}
    problem = check(values)
    if problem:
        return {"error": problem}
    setup = setup_from(values)
    raw = engine.run(setup)
    raw.pop("trace", None)
    raw["config"] = describe(values)
    raw["faults"] = faults_of(values)
    raw.update(lab_story.tell(raw, values))
    return raw


failure_lab.__signature__ = inspect.Signature(
    [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default) for name, default in DEFAULTS.items()])


def bin_ms_for(duration_s: float) -> float:
    """Chart resolution: 2 s bins up to 2 minutes, then wider, so a chart never has over 60 bars."""
    return 1000.0 * max(2, math.ceil(duration_s / 60))


def setup_from(values: dict, **extra) -> Setup:
    """The engine's Setup for these (already checked) settings. `extra` passes Setup fields that are
    not parameters (explicit arrivals, trace) for tests."""
    edges = {}
    for e, key in EDGE_OF.items():
        v = {k: values[f"{e}_{k}"] for k in EDGE_SETTINGS}
        breaker = None
        if v["breaker"] != "off":
            common = dict(open_ms=v["breaker_open_s"] * 1000)
            if v["breaker"] == "consecutive":
                breaker = BreakerConfig(policy="consecutive", failure_threshold=v["breaker_failures"], **common)
            else:
                breaker = BreakerConfig(policy="rate", rate_threshold=v["breaker_rate_pct"], min_calls=RATE_MIN_CALLS,
                                        window_kind="time", window_ms=RATE_WINDOW_MS, **common)
        edges[key] = EdgeConfig(
            timeout_ms=v["timeout_ms"], deadline_ms=v["deadline_ms"], attempts=v["attempts"],
            backoff_ms=v["backoff_ms"], jitter=v["jitter"], budget=v["budget"], order=v["order"],
            breaker=breaker, bulkhead=v["bulkhead"], bulkhead_queue=v["bulkhead_queue"],
            fallback=e == "profile_recommendations" and values["profile_recommendations_fallback"] == "fallback",
            idempotency=e == "checkout_payments" and values["checkout_payments_idempotency"] == "key")
    services = {s: ServiceConfig(values[f"{s}_threads"], values[f"{s}_queue"], SERVICE_MS[s]) for s in SERVICES}
    faults = [Fault(f["service"], f["kind"], f["start_s"] * 1000, f["end_s"] * 1000, f["magnitude"])
              for f in faults_of(values)]
    return Setup(services=services, edges=edges,
                 rates={f: values[f"{f}_rate"] for f in FEATURES},
                 user_timeout_ms=values["user_timeout_ms"], duration_ms=values["duration_s"] * 1000,
                 faults=faults, seed=values["seed"], bin_ms=bin_ms_for(values["duration_s"]), **extra)


def faults_of(values: dict) -> list[dict]:
    """The fault slots in use (kind other than "none"), in slot order."""
    out = []
    for i in range(1, FAULT_SLOTS + 1):
        kind = values[f"fault{i}_kind"]
        if kind == "none":
            continue
        out.append({"slot": i, "service": values[f"fault{i}_service"], "kind": kind,
                    "start_s": values[f"fault{i}_start_s"], "end_s": values[f"fault{i}_end_s"],
                    "magnitude": values[f"fault{i}_magnitude"],
                    "label": fault_label(values[f"fault{i}_service"], kind, values[f"fault{i}_magnitude"])})
    return out


def fault_label(service: str, kind: str, magnitude: float) -> str:
    return {"down": f"{service} down",
            "slow": f"{service} slow ×{magnitude:g}",
            "error": f"{service} fails {magnitude:g}% of requests",
            "capacity": f"{service} loses {magnitude:g}% of its threads",
            "flap": f"{service} flapping ({magnitude:g} s down, {magnitude:g} s up)"}[kind]


# ---- configurations that contradict themselves ---------------------------------------------------

def check(values: dict) -> dict | None:
    """The first setting that makes the configuration contradict itself, or None.

    The graph is fixed, so it can have no cycle (checked anyway, in case EDGES is ever edited);
    sizes cannot be negative (the parameter ranges forbid it). What is left:
      - a timeout or deadline longer than its caller's wait: the caller gives up first, so the
        extra wait can never help anyone and only holds threads. The caller of a gateway edge is
        the user (the load balancer's timeout); the caller of an inner edge is the gateway edge
        above it, whose wait for one attempt is min(timeout, deadline);
      - a deadline shorter than the edge's own per-attempt timeout is fine (it cuts the attempt);
      - a fault that ends before it starts.
    Returns {"param", "edge", "setting", "value", "message"}: the message names the edge and the
    setting, for a 400 that says what to change.
    """
    cycle = _cycle()
    if cycle:
        edge = f"{cycle[0]}_{cycle[1]}"
        return {"param": f"{edge}_timeout_ms", "edge": f"{cycle[0]}→{cycle[1]}", "setting": "graph", "value": None,
                "message": "the call graph has a cycle: " + " → ".join(cycle)}
    for e in EDGE_IDS:
        limit, whose = _caller_wait(values, e)
        for setting, word in (("timeout_ms", "timeout"), ("deadline_ms", "deadline")):
            own = values[f"{e}_{setting}"]
            if own is not None and own > limit:
                return {"param": f"{e}_{setting}", "edge": ARROW[e], "setting": setting, "value": own,
                        "message": f"edge {ARROW[e]}: {word} {own:,} ms exceeds its caller's timeout "
                                   f"{limit:,} ms ({whose})"}
    for i in range(1, FAULT_SLOTS + 1):
        if values[f"fault{i}_kind"] != "none" and values[f"fault{i}_end_s"] <= values[f"fault{i}_start_s"]:
            return {"param": f"fault{i}_end_s", "edge": None, "setting": "end_s", "value": values[f"fault{i}_end_s"],
                    "message": f"fault {i}: it ends at {values[f'fault{i}_end_s']} s, not after it starts "
                               f"at {values[f'fault{i}_start_s']} s"}
    return None


def _caller_wait(values: dict, edge: str) -> tuple[float, str]:
    """How long the caller of `edge` waits for one attempt of it, and a phrase saying whose wait it is."""
    parent = CALLER_EDGE.get(edge)
    if parent is None:
        t = values["user_timeout_ms"]
        return t, f"users give up after {t:,} ms"
    timeout, deadline = values[f"{parent}_timeout_ms"], values[f"{parent}_deadline_ms"]
    if deadline is not None and deadline < timeout:
        return deadline, f"the deadline of {ARROW[parent]}"
    return timeout, ARROW[parent]


def _cycle(edges=EDGES) -> list | None:
    """A cycle in `edges`, as the list of services around it, or None (depth-first search)."""
    out = {}
    for a, b in edges:
        out.setdefault(a, []).append(b)
    state = {}

    def visit(node, path):
        state[node] = "active"
        for nxt in out.get(node, ()):
            if state.get(nxt) == "active":
                return path + [node, nxt]
            if nxt not in state:
                found = visit(nxt, path + [node])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in list(out):
        if node not in state:
            found = visit(node, [])
            if found:
                return found[found.index(found[-1]):]  # from the node that closes the loop
    return None


# ---- description for the diagram -------------------------------------------------------------------

def describe(values: dict) -> dict:
    """What each edge and service is configured with, in short words for the graph's badges."""
    edges = {}
    for e in EDGE_IDS:
        v = {k: values[f"{e}_{k}"] for k in EDGE_SETTINGS}
        badges = [f"timeout {_secs(v['timeout_ms'])}"
                  + (f" · deadline {_secs(v['deadline_ms'])}" if v["deadline_ms"] is not None else "")]
        if v["attempts"] > 1:
            jitter = {"none": "no jitter", "full": "full jitter", "equal": "equal jitter",
                      "decorrelated": "decorrelated"}[v["jitter"]]
            badges.append(f"{v['attempts']} attempts · {jitter}" + (" · budget" if v["budget"] != "none" else ""))
        if v["breaker"] != "off":
            what = (f"{v['breaker_failures']} in a row" if v["breaker"] == "consecutive"
                    else f"{v['breaker_rate_pct']}% failing")
            badges.append(f"breaker {what} · {v['breaker_open_s']} s")
            if v["order"] == "breaker_outside" and v["attempts"] > 1:
                badges.append("breaker outside the retries")
        if v["bulkhead"] is not None:
            badges.append(f"bulkhead {v['bulkhead']}" + (f" + {v['bulkhead_queue']} queued" if v["bulkhead_queue"] else ""))
        if e == "profile_recommendations" and values["profile_recommendations_fallback"] == "fallback":
            badges.append("fallback")
        if e == "checkout_payments" and values["checkout_payments_idempotency"] == "key":
            badges.append("idempotency key")
        edges[e] = {"arrow": ARROW[e], "badges": badges, **v}
    services = {s: {"threads": values[f"{s}_threads"], "queue": values[f"{s}_queue"], "mean_ms": SERVICE_MS[s]}
                for s in SERVICES}
    return {"edges": edges, "services": services, "user_timeout_ms": values["user_timeout_ms"],
            "rates": {f: values[f"{f}_rate"] for f in FEATURES},
            "fallback": values["profile_recommendations_fallback"] == "fallback",
            "idempotency": values["checkout_payments_idempotency"] == "key"}


def _secs(ms: float) -> str:
    return f"{ms / 1000:g} s" if ms >= 1000 else f"{ms:g} ms"
