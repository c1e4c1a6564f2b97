"""Envoy (v3 API): the route's `retry_policy` and `timeout`, the cluster's `circuit_breakers` (with
`retry_budget`) and `outlier_detection`.

Envoy's rules, from its API reference: `num_retries` counts retries only (default 1); the n-th retry
waits uniform[0, (2^n − 1) × base_interval), base_interval 25 ms if unset, capped at max_interval
(10 × base by default); the route timeout (15 s by default) covers every attempt and wait.
Thresholds default to 1024 connections, pending and active requests, and 3 concurrent retries.
"""

from __future__ import annotations

from .formats import Rendered, comment_block, yaml_text, proto_duration, worst_case_ms
from .policy import Mapping, Policy

LABEL = "Envoy"
VERSION = "Envoy v3 API (1.36)"
DEFAULT_ROUTE_TIMEOUT_MS = 15_000


def expresses(policy: Policy) -> bool:
    return any(x is not None for x in (policy.retry, policy.timeout_ms, policy.deadline_ms, policy.breaker,
                                       policy.bulkhead))


def _route(policy: Policy, notes: list[str]) -> dict | None:
    retry = policy.retry
    route: dict = {"cluster": policy.name}
    retrying = retry is not None and retry.attempts > 1
    timeout = policy.deadline_ms
    if timeout is None and policy.timeout_ms is not None:
        timeout = worst_case_ms(retry if retrying else None, policy.timeout_ms)
        if retrying:
            notes.append(f"{policy.label}: the route timeout covers all attempts; the demo has no deadline, "
                         f"so it is every attempt timing out plus the waits: {proto_duration(timeout)}.")
    if timeout is not None:
        route["timeout"] = proto_duration(timeout)
    elif retrying:
        notes.append(f"{policy.label}: the demo has no deadline; Envoy's route timeout (15 s by default) "
                     "still ends the call, retries included. Set timeout: 0s to disable it.")
    if retrying:
        base = retry.base_ms
        if base == 0:
            notes.append(f"{policy.label}: base_interval must be above 0; the demo retries at once. "
                         "Nearest: 0.001s.")
            base = 1
        cap = retry.cap_ms if retry.cap_ms is not None else retry.longest_wait_ms
        policy_ = {"retry_on": "5xx,reset,connect-failure",
                   "num_retries": retry.attempts - 1}
        if retrying and policy.timeout_ms is not None:
            policy_["per_try_timeout"] = proto_duration(policy.timeout_ms)
        policy_["retry_back_off"] = {"base_interval": proto_duration(base),
                                     "max_interval": proto_duration(max(cap, base))}
        route["retry_policy"] = policy_
        growth = ", ".join(f"{retry.multiplier ** n:g}" for n in range(4))
        notes.append(f"{policy.label}: Envoy's waits are always full jitter with a ceiling of (2ⁿ − 1) × "
                     f"base_interval before retry n (1, 3, 7, 15 × base); the demo's ceilings are {growth} × "
                     f"base with {'no' if retry.jitter == 'none' else retry.jitter} jitter. The first retry matches"
                     + ("; the later ones wait longer in Envoy." if retry.attempts > 2 else "."))
        if retry.cap_ms is None:
            notes.append(f"{policy.label}: the demo's waits have no cap; max_interval is the longest wait "
                         f"it reaches, {proto_duration(cap)}.")
    return route


def _cluster(policy: Policy, notes: list[str]) -> dict:
    cluster: dict = {"name": policy.name}
    thresholds: dict = {"priority": "DEFAULT"}
    if policy.bulkhead is not None:
        b = policy.bulkhead
        thresholds["max_requests"] = b.max_concurrent
        thresholds["max_pending_requests"] = 1024 if b.queue is None else max(b.queue, 1)
        if b.queue is None:
            notes.append(f"{policy.label}: the demo's queue is unbounded; Envoy's pending queue is bounded "
                         "(1024 by default). Nearest: 1024.")
        elif b.queue == 0:
            notes.append(f"{policy.label}: Envoy needs max_pending_requests ≥ 1 to send anything over a new "
                         "connection; the demo's 'no queue' is nearest to 1.")
        if b.queue_timeout_ms is not None:
            notes.append(f"{policy.label}: Envoy has no limit on the time a request waits in the pending "
                         f"queue; the route timeout bounds it. The demo's {b.queue_timeout_ms} ms has no "
                         "equivalent.")
        notes.append(f"{policy.label}: max_requests limits concurrent requests per cluster on HTTP/2; on "
                     "HTTP/1.1 max_connections does (same value).")
        thresholds["max_connections"] = b.max_concurrent
    if policy.retry is not None and policy.retry.attempts > 1:
        if policy.budget is not None:
            percent = 10.0
            thresholds["retry_budget"] = {"budget_percent": {"value": percent}, "min_retry_concurrency": 3}
            notes.append(f"{policy.label}: Envoy's retry budget caps active retries at a share of active "
                         f"requests, not a token bucket; nearest: {percent:g} % (the demo earns 0.1 retry "
                         "per request).")
        else:
            notes.append(f"{policy.label}: without a retry_budget Envoy allows at most 3 retries in flight "
                         "per cluster (circuit_breakers max_retries); the demo has no such limit.")
    if len(thresholds) > 1:
        cluster["circuit_breakers"] = {"thresholds": [thresholds]}
    br = policy.breaker
    if br is not None:
        if br.policy == "consecutive":
            detection = {"consecutive_5xx": br.failure_threshold}
        else:
            detection = {"enforcing_consecutive_5xx": 0, "failure_percentage_threshold": br.rate_threshold,
                         "failure_percentage_request_volume": br.min_calls,
                         "failure_percentage_minimum_hosts": 1, "enforcing_failure_percentage": 100}
            if br.window_kind == "count":
                notes.append(f"{policy.label}: Envoy counts failures per interval, not over the last "
                             f"{br.window_calls} calls. Nearest: an interval of {br.window_s} s.")
        detection |= {"interval": proto_duration(br.window_s * 1000 if br.policy == "rate" else 10_000),
                      "base_ejection_time": proto_duration(br.open_s * 1000), "max_ejection_percent": 100}
        cluster["outlier_detection"] = detection
        notes.append(f"{policy.label}: outlier detection ejects a host, not the whole dependency, and has no "
                     f"half-open state: after base_ejection_time the host simply returns (the demo sends "
                     f"{br.probes} test request(s) and needs {br.probe_successes}); each further ejection "
                     "lasts longer (base × times ejected). max_ejection_percent 100 lets a one-host cluster "
                     "be ejected (the default is 10 %).")
    return cluster


def render(mapping: Mapping, title: str) -> Rendered | None:
    policies = [p for p in mapping.policies if expresses(p)]
    if not policies:
        return None
    notes: list[str] = []
    routes, clusters = [], []
    for p in policies:
        route = _route(p, notes)
        if len(route) > 1:
            routes.append({"match": {"prefix": f"/{p.name}/"}, "route": route})
        cluster = _cluster(p, notes)
        if len(cluster) > 1:
            clusters.append(cluster)
    document: dict = {}
    if routes:
        document["routes"] = routes
    if clusters:
        document["clusters"] = clusters
    header = [f"Reliability Lab: {title}, as {VERSION}.",
              "routes: entries for a virtual host's routes; clusters: merge into your cluster definitions.",
              "num_retries counts retries only: 4 retries are 5 attempts."]
    text = comment_block(header, "#") + "\n" + yaml_text(document)
    return Rendered(text, "yaml", notes)
