"""Python stamina (26.x): `@stamina.retry(on=..., ...)` per policy.

stamina waits min(wait_max, wait_initial × wait_exp_base^(n−1) + uniform(0, wait_jitter)) before
retry n, and by default allows 10 attempts, 45 s in all, 0.1 s initial wait, 5 s cap and up to 1 s
of jitter. Every one of those is written out, so the demo's schedule is what runs.
"""

from __future__ import annotations

from .formats import Rendered, comment_block, seconds
from .policy import Mapping, Policy

LABEL = "Python stamina"
VERSION = "stamina 26.1"


def expresses(policy: Policy) -> bool:
    return policy.retry is not None


def _section(policy: Policy, notes: list[str]) -> str:
    retry = policy.retry
    initial, jitter = retry.base_ms, 0.0
    if retry.jitter != "none":
        # stamina only adds randomness on top of the exponential delay; it never draws below it.
        if retry.jitter == "equal":
            initial, jitter = retry.base_ms / 2, retry.base_ms / 2
            notes.append(f"{policy.label}: equal jitter waits half the delay plus up to half again; "
                         f"stamina adds a fixed spread instead. Nearest: wait_initial={seconds(initial)}, "
                         f"wait_jitter={seconds(jitter)} (exact for the first retry only).")
        else:
            jitter = retry.base_ms
            notes.append(f"{policy.label}: {retry.jitter} jitter can wait less than the exponential delay; "
                         f"stamina always waits at least wait_initial × wait_exp_base^(n−1) and adds "
                         f"uniform(0, wait_jitter). Nearest: wait_jitter={seconds(jitter)} (the demo's "
                         "spread for the first retry).")
    cap = retry.cap_ms
    if cap is None:
        cap = retry.longest_wait_ms
        notes.append(f"{policy.label}: the demo's waits have no cap; stamina always caps them (5 s by "
                     f"default), so wait_max is the longest wait this policy reaches: {seconds(cap)} s.")
    timeout = "None,  # no overall limit (stamina's default is 45 s)"
    if policy.deadline_ms is not None:
        timeout = f"{seconds(policy.deadline_ms)},  # the deadline for all attempts and waits"
        notes.append(f"{policy.label}: stamina's timeout stops retrying once it has passed; the demo "
                     "also refuses to start an attempt whose wait would end past the deadline.")
    if policy.timeout_ms is not None:
        notes.append(f"{policy.label}: stamina does not time out an attempt; give the call itself a "
                     f"{seconds(policy.timeout_ms)} s timeout (e.g. httpx.Timeout).")
    if policy.breaker is not None or policy.bulkhead is not None or policy.budget is not None:
        notes.append(f"{policy.label}: stamina only retries; a breaker, bulkhead or retry budget needs "
                     "another library (see the resilience4j, Polly or Envoy tabs for the settings).")
    return (f"retry_{policy.name} = stamina.retry(\n"
            f"    on=TransientError,\n"
            f"    attempts={retry.attempts},\n"
            f"    timeout={timeout}\n"
            f"    wait_initial={seconds(initial)},\n"
            f"    wait_exp_base={retry.multiplier:g},\n"
            f"    wait_max={seconds(cap)},\n"
            f"    wait_jitter={seconds(jitter)},\n"
            f")\n\n\n"
            f"@retry_{policy.name}\n"
            f"def call_{policy.name}():\n"
            f"    \"\"\"Your call to {policy.label} goes here.\"\"\"\n"
            f"    raise TransientError(\"replace with the real call\")\n")


def render(mapping: Mapping, title: str) -> Rendered | None:
    policies = [p for p in mapping.policies if expresses(p)]
    if not policies:
        return None
    notes: list[str] = []
    sections = [_section(p, notes) for p in policies]
    header = [f"Reliability Lab: {title}, as {VERSION}.",
              "attempts counts the first call: attempts=5 is 4 retries."]
    text = (comment_block(header, "#") + "\nimport stamina\n\n\n"
            + "class TransientError(Exception):\n"
            + "    \"\"\"The errors worth retrying (timeouts, 503s): never a 400 or a failed validation.\"\"\"\n\n\n"
            + "\n\n".join(sections))
    return Rendered(text, "python", notes)
