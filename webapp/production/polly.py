""".NET Polly v8: the strategies' options as JSON, bound from configuration
(`section.Get<RetryStrategyOptions>()` and so on) and added to a ResiliencePipelineBuilder.

Polly's defaults, from pollydocs.org: Retry MaxRetryAttempts 3 (retries only), Delay 2 s, BackoffType
Constant, UseJitter false; CircuitBreaker FailureRatio 0.1, MinimumThroughput 100, SamplingDuration
30 s, BreakDuration 5 s; Timeout 30 s. Exponential backoff doubles (Delay × 2^n); with UseJitter it
uses a decorrelated-jitter curve whose median follows the same delays; a constant or linear delay
with UseJitter varies by ±25 %.
"""

from __future__ import annotations

import json

from .formats import Rendered, timespan
from .policy import Mapping, Policy

LABEL = ".NET Polly v8"
VERSION = "Polly 8.6"


def expresses(policy: Policy) -> bool:
    return any(x is not None for x in (policy.retry, policy.timeout_ms, policy.deadline_ms, policy.breaker,
                                       policy.bulkhead))


def _retry(policy: Policy, notes: list[str]) -> dict:
    retry = policy.retry
    backoff = "Constant" if retry.multiplier == 1 else "Exponential"
    if retry.multiplier not in (1, 2):
        notes.append(f"{policy.label}: Polly's exponential backoff always doubles; the demo multiplies by "
                     f"{retry.multiplier:g}. Nearest: Exponential (× 2).")
    options: dict = {"MaxRetryAttempts": retry.attempts - 1, "Delay": timespan(retry.base_ms),
                     "BackoffType": backoff, "UseJitter": retry.jitter != "none"}
    if retry.cap_ms is not None:
        options["MaxDelay"] = timespan(retry.cap_ms)
    if retry.jitter != "none":
        what = ("a decorrelated-jitter curve (Polly's DecorrelatedJitterBackoffV2)" if backoff == "Exponential"
                else "±25 % around the delay")
        exact = (backoff == "Exponential" and retry.jitter == "decorrelated") or \
                (backoff == "Constant" and retry.jitter == "equal")
        notes.append(f"{policy.label}: with UseJitter Polly draws {what}; the demo's {retry.jitter} jitter "
                     + ("is the nearest it has, not the same formula." if exact else "is not one of Polly's. "
                        "Nearest: UseJitter true."))
    return options


def _breaker(policy: Policy, notes: list[str]) -> dict:
    br = policy.breaker
    if br.policy == "consecutive":
        notes.append(f"{policy.label}: Polly v8 trips on a failure ratio, not failures in a row. Nearest: "
                     f"FailureRatio 1.0 with MinimumThroughput {br.failure_threshold} over a 10 s window.")
        options = {"FailureRatio": 1.0, "MinimumThroughput": br.failure_threshold,
                   "SamplingDuration": timespan(10_000)}
    else:
        if br.window_kind == "count":
            notes.append(f"{policy.label}: Polly samples over time, not the last {br.window_calls} calls. "
                         f"Nearest: SamplingDuration {br.window_s} s.")
        options = {"FailureRatio": br.rate_threshold / 100, "MinimumThroughput": max(br.min_calls, 2),
                   "SamplingDuration": timespan(br.window_s * 1000)}
        if br.min_calls < 2:
            notes.append(f"{policy.label}: MinimumThroughput must be at least 2. Nearest: 2.")
    options["BreakDuration"] = timespan(max(br.open_s * 1000, 500))
    if br.probes != 1 or br.probe_successes != 1:
        notes.append(f"{policy.label}: Polly lets one test call through when half-open and closes on its "
                     f"success; the demo sends {br.probes} and needs {br.probe_successes}. Nearest: 1 and 1.")
    if br.half_open_on == "timer":
        notes.append(f"{policy.label}: Polly turns half-open on the first call after BreakDuration, not on a "
                     "timer; the same calls get through either way.")
    return options


def render(mapping: Mapping, title: str) -> Rendered | None:
    policies = [p for p in mapping.policies if expresses(p)]
    if not policies:
        return None
    notes: list[str] = [f"Reliability Lab: {title}, as {VERSION} options (appsettings.json). MaxRetryAttempts "
                        "counts retries only: 4 retries are 5 attempts.",
                        "Bind each section, e.g. builder.AddRetry(section.GetSection(\"Retry\")"
                        ".Get<RetryStrategyOptions>()), in this order: Timeout (total), Retry, CircuitBreaker, "
                        "Timeout (each attempt), ConcurrencyLimiter."]
    document: dict = {}
    for p in policies:
        options: dict = {}
        if p.deadline_ms is not None:
            options["TotalTimeout"] = {"Timeout": timespan(p.deadline_ms)}
        if p.retry is not None and p.retry.attempts > 1:
            options["Retry"] = _retry(p, notes)
        if p.breaker is not None:
            options["CircuitBreaker"] = _breaker(p, notes)
        if p.timeout_ms is not None:
            options["Timeout"] = {"Timeout": timespan(max(p.timeout_ms, 10))}
        if p.bulkhead is not None:
            b = p.bulkhead
            options["ConcurrencyLimiter"] = {"PermitLimit": b.max_concurrent,
                                             "QueueLimit": 10_000 if b.queue is None else b.queue}
            notes.append(f"{p.label}: the concurrency limiter comes from Polly.RateLimiting "
                         "(AddConcurrencyLimiter)." + (" Its queue has no wait limit; the demo's "
                                                       f"{b.queue_timeout_ms} ms is nearest to an outer Timeout."
                                                       if b.queue_timeout_ms is not None and b.queue else ""))
        if p.budget is not None:
            notes.append(f"{p.label}: Polly has no retry budget; nearest: a CircuitBreaker around the retries.")
        document[_pascal(p.name)] = options
    if len(document) == 1:
        document = next(iter(document.values()))
    return Rendered(json.dumps(document, indent=2) + "\n", "json", notes)


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
