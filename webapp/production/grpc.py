"""The gRPC service config (gRFC A6): `methodConfig[].retryPolicy` and `retryThrottling`.

A6's rules: `maxAttempts` counts the first call, must be above 1, and values above 5 are treated as 5;
durations are proto3 JSON strings ("0.1s"); `retryPolicy` has no defaults, every field is required.
Since the 2024-08 revision (grpc/proposal#452) the n-th retry waits
min(initialBackoff × backoffMultiplier^(n−1), maxBackoff) × random(0.8, 1.2); before it, and in
grpc-node still, the wait was random(0, that): full jitter.
"""

from __future__ import annotations

import json

from .formats import Rendered, proto_duration, worst_case_ms
from .policy import Mapping, Policy

LABEL = "gRPC service config"
VERSION = "gRFC A6 (revised 2024-08-29)"
MAX_ATTEMPTS = 5  # the client-side limit every implementation applies by default


def expresses(policy: Policy) -> bool:
    retries = policy.retry is not None and policy.retry.attempts > 1
    return retries or policy.timeout_ms is not None or policy.deadline_ms is not None


def _method(policy: Policy, notes: list[str]) -> dict:
    config: dict = {"name": [{"service": f"example.{_camel(policy.name)}"}]}
    retry = policy.retry
    deadline = policy.deadline_ms
    if deadline is None and policy.timeout_ms is not None:
        deadline = worst_case_ms(retry if retry and retry.attempts > 1 else None, policy.timeout_ms)
        if retry and retry.attempts > 1:
            notes.append(f"{policy.label}: gRPC has no per-attempt timeout in the service config; the "
                         f"method timeout is the deadline of the whole call. Nearest: {proto_duration(deadline)}, "
                         f"every attempt timing out at {proto_duration(policy.timeout_ms)} plus the waits.")
    if deadline is not None:
        config["timeout"] = proto_duration(deadline)
    if retry is not None and retry.attempts > 1:
        attempts = retry.attempts
        if attempts > MAX_ATTEMPTS:
            notes.append(f"{policy.label}: maxAttempts above 5 is treated as 5 by gRPC clients; "
                         f"{attempts} attempts become 5.")
            attempts = MAX_ATTEMPTS
        notes.append(f"{policy.label}: jitter is not a setting: gRPC multiplies every wait by random(0.8, 1.2) "
                     "(A6 since 2024: grpc-go, grpc-java), grpc-node still draws random(0, wait). The demo's "
                     + ("'none' is the centre of that spread." if retry.jitter == "none" else
                        f"{retry.jitter} jitter has no equivalent; nearest: gRPC's own spread."))
        base = retry.base_ms
        if base == 0:
            notes.append(f"{policy.label}: initialBackoff must be above 0; the demo retries at once. "
                         "Nearest: 0.001s.")
            base = 1
        cap = retry.cap_ms if retry.cap_ms is not None else retry.longest_wait_ms
        if retry.cap_ms is None:
            notes.append(f"{policy.label}: maxBackoff is required; the demo's waits have no cap, so it is "
                         f"the longest wait this policy reaches: {proto_duration(cap)}.")
        config["retryPolicy"] = {
            "maxAttempts": attempts,
            "initialBackoff": proto_duration(base),
            "maxBackoff": proto_duration(max(cap, base)),
            "backoffMultiplier": retry.multiplier,
            "retryableStatusCodes": ["UNAVAILABLE"],
        }
    if policy.breaker is not None or policy.bulkhead is not None:
        notes.append(f"{policy.label}: gRPC has no circuit breaker or bulkhead in the service config; "
                     "xDS (Envoy's cluster circuit_breakers) or a client interceptor provides them.")
    return config


def render(mapping: Mapping, title: str) -> Rendered | None:
    policies = [p for p in mapping.policies if expresses(p)]
    if not policies:
        return None
    notes: list[str] = [f"Reliability Lab: {title}, as the gRPC service config ({VERSION}). JSON has no "
                        "comments, so the notes are here. Replace example.* with your services."]
    config: dict = {"methodConfig": [_method(p, notes) for p in policies]}
    if any(p.budget for p in policies):
        config["retryThrottling"] = {"maxTokens": 10, "tokenRatio": 0.1}
        notes.append("retryThrottling: each failure costs a token and each success earns 0.1; retries stop "
                     "while at most half the 10 tokens are left. The demo's token bucket (10 tokens, 0.1 per "
                     "success, a token per retry) is the nearest.")
    return Rendered(json.dumps(config, indent=2) + "\n", "json", notes)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
