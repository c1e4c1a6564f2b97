"""Go: github.com/cenkalti/backoff/v4, the most used retry library in Go.

Its ExponentialBackOff defaults are 500 ms × 1.5, randomization factor 0.5, max interval 60 s and
15 min of elapsed time; each is set explicitly. A randomization factor f draws each wait from
interval × [1 − f, 1 + f], around the delay rather than below it.
"""

from __future__ import annotations

from .formats import Rendered, comment_block, go_duration
from .policy import Mapping, Policy

LABEL = "Go (cenkalti/backoff)"
VERSION = "github.com/cenkalti/backoff/v4 4.3"

# The randomization factor nearest to each demo jitter (the spread of the demo's draw, around the delay).
_FACTOR = {"none": 0, "full": 1, "equal": 0.5, "decorrelated": 1}


def expresses(policy: Policy) -> bool:
    return policy.retry is not None


def _section(policy: Policy, notes: list[str]) -> str:
    retry, name = policy.retry, _pascal(policy.name)
    factor = _FACTOR[retry.jitter]
    if retry.jitter != "none":
        notes.append(f"{policy.label}: {retry.jitter} jitter draws below the delay; backoff/v4 randomizes "
                     f"around it, interval × [1 − f, 1 + f]. Nearest: RandomizationFactor = {factor:g}.")
    if retry.base_ms == 0:
        notes.append(f"{policy.label}: the demo retries at once; backoff.ZeroBackOff{{}} does that too, "
                     "shown here as a 1 ms initial interval so the other settings stay visible.")
    cap = retry.cap_ms if retry.cap_ms is not None else retry.longest_wait_ms
    lines = [f"\t// {policy.label}",
             f"\tb{name} := backoff.NewExponentialBackOff()",
             f"\tb{name}.InitialInterval = {go_duration(max(retry.base_ms, 1))}",
             f"\tb{name}.Multiplier = {retry.multiplier:g}",
             f"\tb{name}.RandomizationFactor = {factor:g}",
             f"\tb{name}.MaxInterval = {go_duration(cap)}"]
    if policy.deadline_ms is not None:
        lines.append(f"\tb{name}.MaxElapsedTime = {go_duration(policy.deadline_ms)} "
                     "// no retry whose wait would end past the deadline")
    else:
        lines.append(f"\tb{name}.MaxElapsedTime = 0 // attempts alone stop it (the default is 15 min)")
    lines.append(f"\tpolicy{name} := backoff.WithMaxRetries(b{name}, {retry.attempts - 1}) "
                 f"// {retry.attempts} attempts: the first call and {retry.attempts - 1} retries")
    if policy.timeout_ms is not None:
        lines += [f"\terr{name} := backoff.Retry(func() error {{",
                  f"\t\tctx, cancel := context.WithTimeout(parent, {go_duration(policy.timeout_ms)}) // each attempt",
                  "\t\tdefer cancel()",
                  f"\t\treturn call{name}(ctx)",
                  f"\t}}, policy{name})"]
    else:
        lines.append(f"\terr{name} := backoff.Retry(func() error {{ return call{name}(parent) }}, policy{name})")
    lines.append(f"\t_ = err{name}")
    if policy.breaker is not None or policy.bulkhead is not None or policy.budget is not None:
        notes.append(f"{policy.label}: backoff only retries; for a breaker use e.g. sony/gobreaker, for a "
                     "bulkhead a buffered channel or golang.org/x/sync/semaphore.")
    return "\n".join(lines)


def render(mapping: Mapping, title: str) -> Rendered | None:
    policies = [p for p in mapping.policies if expresses(p)]
    if not policies:
        return None
    notes: list[str] = []
    body = "\n\n".join(_section(p, notes) for p in policies)
    header = [f"Reliability Lab: {title}, as {VERSION}.",
              "WithMaxRetries counts retries only: 4 retries are 5 attempts."]
    imports = ['"context"', '"time"', '', '"github.com/cenkalti/backoff/v4"']
    calls = "\n".join(f"func call{_pascal(p.name)}(ctx context.Context) error {{ return nil }} "
                      f"// your call to {p.label}" for p in policies)
    text = (comment_block(header, "//") + "\npackage client\n\nimport (\n"
            + "\n".join(f"\t{i}" if i else "" for i in imports) + "\n)\n\n"
            + calls + "\n\n"
            + "func callWithRetries(parent context.Context) {\n" + body + "\n}\n")
    return Rendered(text, "go", notes)


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
