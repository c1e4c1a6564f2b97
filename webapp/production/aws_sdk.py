"""The AWS SDKs' retry mode: the shared config file (~/.aws/config), with boto3's Config below it.

What can be set is `retry_mode` and `max_attempts` (the first call included; 3 by default in standard
and adaptive mode). The schedule is the SDK's own: in standard mode, since the November 2026 revision,
rand() × min(base × 2^(attempt−1), 20 s) with base 50 ms for transient errors and 1 s for throttling,
and a retry quota of 500 tokens (a transient retry costs 14, a throttled one 5, a success returns 1).
"""

from __future__ import annotations

from .formats import Rendered, comment_block, number
from .policy import Mapping, Policy

LABEL = "AWS SDK"
VERSION = "AWS SDKs and Tools reference guide, standard retry mode (2026-11 revision)"
SDK_BASE_MS, SDK_CAP_MS = 50, 20_000


def expresses(policy: Policy) -> bool:
    return policy.retry is not None


def render(mapping: Mapping, title: str) -> Rendered | None:
    policies = [p for p in mapping.policies if expresses(p)]
    if not policies:
        return None
    notes: list[str] = []
    sections, boto = [], []
    for p in policies:
        r = p.retry
        if (r.base_ms, r.multiplier, r.cap_ms, r.jitter) != (SDK_BASE_MS, 2, SDK_CAP_MS, "full"):
            notes.append(f"{p.label}: the SDK's waits are not settable: full jitter from 50 ms (1 s when "
                         f"throttled), doubling, capped at 20 s; the demo waits from {number(r.base_ms)} ms × "
                         f"{r.multiplier:g}, cap {'none' if r.cap_ms is None else number(r.cap_ms) + ' ms'}, "
                         f"{'no' if r.jitter == 'none' else r.jitter} jitter. Nearest: standard mode.")
        if p.budget is None:
            notes.append(f"{p.label}: standard mode always spends a retry quota (500 tokens, 14 per transient "
                         "retry); the demo has no budget. Legacy mode has none, but also a different schedule.")
        else:
            notes.append(f"{p.label}: the demo's token bucket is nearest to standard mode's retry quota "
                         "(500 tokens, 14 per transient retry, 5 per throttled one, 1 back per success).")
        if p.breaker is not None or p.bulkhead is not None:
            notes.append(f"{p.label}: the SDK has no circuit breaker or bulkhead; adaptive mode adds "
                         "client-side rate limiting on throttling errors only.")
        timeouts = ""
        if p.timeout_ms is not None:
            timeouts = f", read_timeout={number(p.timeout_ms / 1000)}"
            notes.append(f"{p.label}: boto3's read_timeout applies to each attempt (socket reads), the nearest "
                         f"to the demo's {number(p.timeout_ms)} ms per attempt.")
        if p.deadline_ms is not None:
            notes.append(f"{p.label}: boto3 has no deadline for all attempts (the Java SDK's apiCallTimeout is "
                         f"one: {number(p.deadline_ms)} ms).")
        profile = "default" if len(policies) == 1 else f"profile {p.name}"
        sections.append(f"[{profile}]\nretry_mode = standard\nmax_attempts = {r.attempts}\n")
        # botocore: total_max_attempts counts the first call; its older max_attempts key counts retries only.
        boto.append(f"config_{p.name} = Config(retries={{\"mode\": \"standard\", \"total_max_attempts\": "
                    f"{r.attempts}}}{timeouts})")
    header = [f"Reliability Lab: {title}, as the {VERSION}.",
              "~/.aws/config (or AWS_RETRY_MODE / AWS_MAX_ATTEMPTS). max_attempts counts the first call."]
    footer = ["In boto3 code instead:", "from botocore.config import Config"] + boto
    text = (comment_block(header, "#") + "\n" + "\n".join(sections) + "\n" + comment_block(footer, "#") + "\n")
    return Rendered(text, "ini", notes)
