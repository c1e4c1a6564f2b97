"""A demo state as a neutral resilience policy: what a client library would be configured with.

Every library module renders these dataclasses, never a demo's raw parameters, so a demo is mapped
once here and appears in all eight libraries. Times are milliseconds; `attempts` counts the first
call (5 attempts are 4 retries), as in every demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..sims import lab as lab_model
from ..sims import lab_engine, retry_budget


@dataclass(frozen=True)
class Retry:
    attempts: int
    base_ms: float  # the wait before the first retry
    multiplier: float = 2.0
    cap_ms: float | None = None  # None: the waits grow without a cap
    jitter: str = "none"  # "none" | "full" | "equal" | "decorrelated" (webapp.sims.backoff)

    def ceiling(self, retry: int) -> float:
        """The un-jittered wait before retry number `retry` + 1 (0 for the first retry)."""
        wait = self.base_ms * self.multiplier ** retry
        return wait if self.cap_ms is None else min(self.cap_ms, wait)

    @property
    def longest_wait_ms(self) -> float:
        """The longest wait this schedule reaches: what a library that needs a cap should use."""
        return max((self.ceiling(n) for n in range(max(1, self.attempts - 1))), default=self.base_ms)


@dataclass(frozen=True)
class Breaker:
    policy: str = "consecutive"  # "consecutive" | "rate"
    failure_threshold: int = 5
    rate_threshold: int = 50  # %
    min_calls: int = 20
    window_kind: str = "time"  # "time" | "count"
    window_s: int = 10
    window_calls: int = 100
    open_s: int = 30
    probes: int = 3
    probe_successes: int = 2
    half_open_decision: str = "early"  # "early" | "all"
    half_open_on: str = "timer"  # "timer" | "call"


@dataclass(frozen=True)
class Bulkhead:
    max_concurrent: int
    queue: int | None = 0  # None: an unbounded queue
    queue_timeout_ms: int | None = None  # None: a queued call waits for ever


@dataclass(frozen=True)
class Policy:
    """What one caller applies to calls to one dependency."""

    name: str  # an identifier for the library's instance name: "dependency", "gateway_search"
    label: str  # for comments: "gateway → search"
    retry: Retry | None = None
    timeout_ms: int | None = None  # each attempt
    deadline_ms: int | None = None  # the whole call, retries and waits included
    breaker: Breaker | None = None
    bulkhead: Bulkhead | None = None
    budget: str | None = None  # "bucket" (token bucket) | "ratio" (retries at most 10 % of requests)


@dataclass(frozen=True)
class Mapping:
    policies: tuple[Policy, ...]
    # Parameters that describe the experiment (the outage, the traffic), not the client: no setting.
    context: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # about the mapping as a whole, whatever the library


def _retry_from_schedule(v: dict) -> Retry:
    return Retry(v["max_attempts"], v["base_ms"], v["multiplier"], v["cap_ms"], v["jitter"])


def _backoff_timeline(v: dict) -> Mapping:
    return Mapping((Policy("dependency", "the dependency", retry=_retry_from_schedule(v)),),
                   context=("down_ms", "attempt_ms", "seed"))


def _retry_storm(v: dict) -> Mapping:
    return Mapping((Policy("dependency", "the dependency", retry=_retry_from_schedule(v)),),
                   context=("clients", "outage_ms", "seed"),
                   notes=("The demo runs this policy with and without jitter; the configuration is the "
                          f"jitter you chose ({v['jitter']}).",))


def _retry_amplification(v: dict) -> Mapping:
    return Mapping((Policy("dependency", "each layer's dependency", retry=Retry(v["attempts"], 0, 1.0)),),
                   context=("layers", "failure_pct", "seed"),
                   notes=(f"Every one of the {v['layers']} layers applies this policy: retry at one layer "
                          "only (usually the outermost) to avoid multiplying attempts.",
                          "The demo retries at once, without waiting."))


def _retry_budget(v: dict) -> Mapping:
    chosen = v["strategies"]
    budget = "bucket" if "bucket" in chosen else None
    notes = ["The demo compares strategies; this configuration takes the retries, with a token-bucket "
             "budget when 'bucket' is among the strategies you chose."]
    if "throttle" in chosen or "breaker" in chosen:
        notes.append("Client-side adaptive throttling and a breaker on retries only are not library "
                     "settings here; a retry budget is the nearest.")
    retry = Retry(v["attempts"], retry_budget.BACKOFF_BASE_MS, 2.0, retry_budget.BACKOFF_CAP_MS, "full")
    return Mapping((Policy("dependency", "the server", retry=retry, timeout_ms=v["timeout_ms"], budget=budget),),
                   context=("rate", "drop_pct", "trigger_s", "window_s", "seed"), notes=tuple(notes))


def _timeout_tradeoff(v: dict) -> Mapping:
    return Mapping((Policy("dependency", "the dependency", timeout_ms=v["timeout_ms"]),),
                   context=("median_ms", "sigma", "tail_pct", "tail_alpha", "hang_pct", "seed"))


def _timeout_retry_budget(v: dict) -> Mapping:
    retry = Retry(v["max_attempts"], v["backoff_ms"], 2.0, None, "none")
    return Mapping((Policy("dependency", "the dependency", retry=retry, timeout_ms=v["attempt_timeout_ms"],
                           deadline_ms=v["deadline_ms"]),),
                   context=("median_ms", "sigma", "tail_pct", "tail_alpha", "hang_pct", "seed"),
                   notes=("This is the demo's deadline-aware policy: no attempt starts once the deadline "
                          "has passed.",))


def _breaker_of(v: dict, **fixed) -> Breaker:
    fields = {k: v[k] for k in Breaker.__dataclass_fields__ if k in v}
    return Breaker(**{**fields, **fixed})


def _breaker_timeline(v: dict) -> Mapping:
    return Mapping((Policy("dependency", "the dependency", timeout_ms=v["timeout_ms"], breaker=_breaker_of(v)),),
                   context=("rate", "duration_s", "outage_start_s", "outage_s", "error_pct", "failure_mode",
                            "seed"))


def _breaker_step(v: dict) -> Mapping:
    return Mapping((Policy("dependency", "the dependency", timeout_ms=v["timeout_ms"],
                           breaker=_breaker_of(v, policy="consecutive")),),
                   context=("steps", "wait_s"))


def _cascade(v: dict) -> Mapping:
    breaker = _breaker_of(v, policy="consecutive") if "with" in v["runs"] else None
    return Mapping((Policy("service_b", "A → B", timeout_ms=v["timeout_ms"], breaker=breaker),),
                   context=("rate", "pool", "slow_start_s", "slow_s", "duration_s", "seed"),
                   notes=("A's pool of threads is the server's own size, not a client setting; a bulkhead "
                          "around calls to B would be.",) if breaker else
                   ("The runs you chose have no breaker: only A's timeout to B is configuration.",))


def _bulkhead(v: dict) -> Mapping:
    return Mapping(tuple(
        Policy(name, name, bulkhead=Bulkhead(v[f"{name}_pool"], v["queue_limit"], v["queue_timeout_ms"]))
        for name in ("search", "checkout", "profile")),
        context=("search_rate", "checkout_rate", "profile_rate", "search_ms", "checkout_ms", "profile_ms",
                 "service_dist", "fault_start_s", "fault_end_s", "slow_factor", "duration_s", "seed"),
        notes=(f"The shared pool of {v['shared_size']} threads is the demo's comparison without bulkheads.",))


def _lab(v: dict) -> Mapping:
    policies = []
    for edge in lab_model.EDGE_OF:
        e = {k: v[f"{edge}_{k}"] for k in lab_model.EDGE_SETTINGS}
        breaker = None
        if e["breaker"] == "consecutive":
            breaker = Breaker("consecutive", failure_threshold=e["breaker_failures"], open_s=e["breaker_open_s"])
        elif e["breaker"] == "rate":
            breaker = Breaker("rate", rate_threshold=e["breaker_rate_pct"], min_calls=lab_model.RATE_MIN_CALLS,
                              window_kind="time", window_s=lab_model.RATE_WINDOW_MS // 1000,
                              open_s=e["breaker_open_s"])
        bulkhead = None if e["bulkhead"] is None else Bulkhead(e["bulkhead"], e["bulkhead_queue"])
        retry = Retry(e["attempts"], e["backoff_ms"], lab_engine.BACKOFF_MULTIPLIER, lab_engine.BACKOFF_CAP_MS,
                      e["jitter"])
        policies.append(Policy(edge, edge.replace("_", " → ", 1), retry=retry, timeout_ms=e["timeout_ms"],
                               deadline_ms=e["deadline_ms"], breaker=breaker, bulkhead=bulkhead,
                               budget=None if e["budget"] == "none" else e["budget"]))
    return Mapping(tuple(policies), context=("traffic", "faults", "services' threads and queues", "seed"),
                   notes=("One section per edge of the lab's graph: the caller's settings for calls to "
                          "that dependency.",))


MAPPINGS: dict[str, Callable[[dict], Mapping]] = {
    "backoff-timeline": _backoff_timeline,
    "retry-storm": _retry_storm,
    "retry-amplification": _retry_amplification,
    "retry-budget": _retry_budget,
    "timeout-tradeoff": _timeout_tradeoff,
    "timeout-retry-budget": _timeout_retry_budget,
    "breaker-timeline": _breaker_timeline,
    "breaker-step": _breaker_step,
    "cascade": _cascade,
    "bulkhead": _bulkhead,
    "failure-lab": _lab,
}


def mapping_for(demo_id: str, values: dict) -> Mapping | None:
    build = MAPPINGS.get(demo_id)
    return None if build is None else build(values)
