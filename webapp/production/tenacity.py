"""Python tenacity (9.x): a `retry(...)` decorator per policy.

tenacity's own defaults are the trap: a bare `@retry` retries for ever without waiting, so every
setting is written out. `wait_exponential(multiplier=b, exp_base=m, max=c)` waits
min(c, b × m^(n−1)) before retry n, the demo's schedule exactly; `wait_random_exponential` draws
uniformly from 0 to that: full jitter.
"""

from __future__ import annotations

from .formats import Rendered, comment_block, seconds
from .policy import Mapping, Policy, Retry

LABEL = "Python tenacity"
VERSION = "tenacity 9.2"


def expresses(policy: Policy) -> bool:
    return policy.retry is not None


def _exponential(name: str, retry: Retry, base_ms: float, cap_ms: float | None) -> str:
    args = [f"multiplier={seconds(base_ms)}"]
    if retry.multiplier != 2:
        args.append(f"exp_base={retry.multiplier:g}")
    if cap_ms is not None:
        args.append(f"max={seconds(cap_ms)}")
    return f"{name}({', '.join(args)})"


def wait_expression(retry: Retry, notes: list[str]) -> tuple[str, set[str]]:
    """The `wait=` argument and the names it imports."""
    if retry.base_ms == 0:
        return "wait_none()", {"wait_none"}
    if retry.multiplier == 1 and retry.jitter == "none":
        return f"wait_fixed({seconds(retry.base_ms)})", {"wait_fixed"}
    if retry.jitter == "none":
        return _exponential("wait_exponential", retry, retry.base_ms, retry.cap_ms), {"wait_exponential"}
    if retry.jitter == "equal":
        # Half the delay fixed plus a uniform draw over the other half: the sum of two tenacity waits.
        half_cap = None if retry.cap_ms is None else retry.cap_ms / 2
        return (_exponential("wait_exponential", retry, retry.base_ms / 2, half_cap) + " + "
                + _exponential("wait_random_exponential", retry, retry.base_ms / 2, half_cap),
                {"wait_exponential", "wait_random_exponential"})
    if retry.jitter == "decorrelated":
        notes.append("Decorrelated jitter: tenacity has none; nearest is wait_random_exponential (full "
                     "jitter), which draws each wait from 0 to the exponential delay.")
    return _exponential("wait_random_exponential", retry, retry.base_ms, retry.cap_ms), {"wait_random_exponential"}


def _section(policy: Policy, notes: list[str], imports: set[str]) -> str:
    retry = policy.retry
    stops = [f"stop_after_attempt({retry.attempts})"]
    imports |= {"retry", "stop_after_attempt", "retry_if_exception_type"}
    if policy.deadline_ms is not None:
        # stop_before_delay: no attempt starts if its wait would end past the deadline, as in the demo.
        stops.append(f"stop_before_delay({seconds(policy.deadline_ms)})")
        imports.add("stop_before_delay")
    wait, names = wait_expression(retry, notes)
    imports |= names
    if policy.timeout_ms is not None:
        notes.append(f"{policy.label}: tenacity does not time out an attempt; give the call itself a "
                     f"{seconds(policy.timeout_ms)} s timeout (e.g. requests' timeout=, httpx.Timeout)"
                     + (" and no more than the time left before the deadline." if policy.deadline_ms else "."))
    if policy.breaker is not None or policy.bulkhead is not None or policy.budget is not None:
        missing = [w for w, x in (("circuit breaker", policy.breaker), ("bulkhead", policy.bulkhead),
                                   ("retry budget", policy.budget)) if x is not None]
        notes.append(f"{policy.label}: tenacity has no {', '.join(missing)}; pair it with e.g. pybreaker "
                     "or a semaphore, or use resilience4j/Polly/Envoy from the other tabs.")
    name = policy.name
    return (f"retry_{name} = retry(\n"
            f"    stop={' | '.join(stops)},\n"
            f"    wait={wait},\n"
            f"    retry=retry_if_exception_type(TransientError),\n"
            f"    reraise=True,  # give the caller the last error, not a RetryError\n"
            f")\n\n\n"
            f"@retry_{name}\n"
            f"def call_{name}():\n"
            f"    \"\"\"Your call to {policy.label} goes here.\"\"\"\n"
            f"    raise TransientError(\"replace with the real call\")\n")


def render(mapping: Mapping, title: str) -> Rendered | None:
    policies = [p for p in mapping.policies if expresses(p)]
    if not policies:
        return None
    notes: list[str] = []
    imports: set[str] = set()
    sections = [_section(p, notes, imports) for p in policies]
    header = [f"Reliability Lab: {title}, as {VERSION}.",
              "Attempts count the first call: stop_after_attempt(5) is 4 retries."]
    text = (comment_block(header, "#") + "\n"
            + f"from tenacity import {', '.join(sorted(imports))}\n\n\n"
            + "class TransientError(Exception):\n"
            + "    \"\"\"The errors worth retrying (timeouts, 503s): never a 400 or a failed validation.\"\"\"\n\n\n"
            + "\n\n".join(sections))
    return Rendered(text, "python", notes)
