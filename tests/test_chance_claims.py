"""Every statement the text makes about what a stochastic demo does, checked over 20 seeds.

A claim names where it is made (a file and the words that make it: if the sentence is reworded the
test fails until the claim here is reworded too), the demo state (as in a quote: `demo-id`,
`@preset`, `?param=value`), a predicate over the result, and how often the text says it holds:
`always` is at least 95 % of the seeds; a claim the text qualifies ("in about 1 run in 5") carries
the band of frequencies that wording covers. Run this file as a script to print every claim's
measured frequency:

    .venv/bin/python -m tests.test_chance_claims
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from webapp import quotes
from webapp.demos import REGISTRY, lab

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(1, 21)
ALWAYS = (0.95, 1.0)
ABOUT_1_IN_5 = (0.1, 0.35)
NEVER = (0.0, 0.05)


@dataclass(frozen=True)
class Claim:
    id: str
    where: str  # the file that says it
    says: str  # words of the sentence, as they stand in that file
    state: str  # demo state, as in a quote; a lab comparison is "compare:<id>" and holds gets (A, B)
    holds: Callable[..., bool]  # over the model's result
    share: tuple[float, float] = ALWAYS  # the frequencies over seeds the wording covers
    slow: bool = False  # 20 seeds of it take more than a few seconds: marked, so `-m "not slow"` skips it


def _lab_state(values: dict) -> str:
    from urllib.parse import urlencode

    demo = REGISTRY[lab.DEMO_ID]
    return f"{lab.DEMO_ID}?" + urlencode([(k, v) for k, v in demo.params.query_items(values) if k != "seed"])


def _during(r, feature):
    """A lab feature's success while the faults are on."""
    w = r["windows"][feature]["during"]
    return w["succeeded"] / w["requests"]


def _after(r, feature):
    """A lab feature's success once the faults are over."""
    w = r["windows"][feature]["after"]
    return w["succeeded"] / w["requests"]


def _first_trip(r, edge):
    """When the breaker on an edge first opened; never is later than any time."""
    trips = [t["t_ms"] for t in (r["edges"][edge]["breaker"] or {}).get("transitions", []) if t["to"] == "OPEN"]
    return trips[0] if trips else float("inf")


def _lab_calls(r, service):
    return r["services"][service]["first_tries"] + r["services"][service]["retries"]


def _lab_retries(r):
    return sum(e["retries"] for e in r["edges"].values())


def _stuck(r, strategy="retries"):
    return r["strategies"][strategy]["outcome"] == "overloaded"


def _mean(series):
    """The mean of a per-second series, over the seconds that had requests."""
    values = [v for v in series if v is not None]
    return sum(values) / len(values)


def _within_noise(measured, formula, n):
    """Within 3 standard errors of a binomial share."""
    return abs(measured - formula) <= 3 * (formula * (1 - formula) / n) ** 0.5


def _served_again(r, strategy):
    """When the clients are served again; never is later than any time."""
    at = r["strategies"][strategy]["recovered_at_ms"]
    return float("inf") if at is None else at


def _every_strategy_recovers(r):
    return all(s["outcome"] == "recovered" for s in r["strategies"].values())


CLAIMS = (
    # ---- lesson 1: a sample of 10,000 requests is within 3 standard errors of the formula
    Claim("chain-within-noise", "lessons/01-fallacies.md", "lands within noise of the formula", "fallacy-network",
          lambda r: _within_noise(r["success"], r["formula"], r["requests"])),
    Claim("retried-chain-within-noise", "lessons/01-fallacies.md", "lands within noise of the formula",
          "fallacy-network?hops=20&retries=1", lambda r: _within_noise(r["success"], r["formula"], r["requests"])),
    # ---- lesson 2 and the storm presets
    Claim("jitter-a-sixth", "lessons/02-retry-backoff.md", "about\na sixth of that", "retry-storm",
          lambda r: 5 <= r["strategies"]["none"]["peak_retries_per_bucket"]
          / r["strategies"]["full"]["peak_retries_per_bucket"] <= 7.5),
    Claim("jitter-gives-up-more", "lessons/02-retry-backoff.md", "more clients run out of\nattempts",
          "retry-storm", lambda r: r["strategies"]["full"]["gave_up"] > r["strategies"]["none"]["gave_up"]),
    Claim("long-outage-rides-out", "webapp/demos/backoff.py", "patience enough for every client to ride out",
          "retry-storm@long-outage", lambda r: r["strategies"]["equal"]["gave_up"] == 0),
    Claim("long-outage-full-gives-up", "webapp/demos/backoff.py", "about 3 clients in 10 still give up",
          "retry-storm@long-outage?jitter=full",
          lambda r: 0.2 <= r["strategies"]["full"]["gave_up"] / 1000 <= 0.4),
    # ---- lesson 3: contention (each run averages 10 runs of 50 clients)
    Claim("no-jitter-slowest", "lessons/03-retry-storms.md", "**Exponential backoff without jitter is by far the worst.**",
          "backoff-contention", lambda r: max(r["strategies"], key=lambda k: r["strategies"][k]["time"]) == "exponential"
          and r["strategies"]["exponential"]["time"] > 5 * r["strategies"]["full"]["time"]),
    Claim("no-jitter-saves-little", "lessons/03-retry-storms.md", "It saves little work compared with no",
          "backoff-contention", lambda r: 0.75 * r["strategies"]["none"]["calls"]
          < r["strategies"]["exponential"]["calls"] < r["strategies"]["none"]["calls"]),
    Claim("jitter-halves-work", "lessons/03-retry-storms.md", "**Jitter cuts the work roughly in half at 50 clients**",
          "backoff-contention", lambda r: all(0.4 <= r["strategies"][k]["calls"] / r["strategies"]["none"]["calls"] <= 0.6
                                              for k in ("full", "equal", "decorrelated"))),
    Claim("full-least-work-at-50", "lessons/03-retry-storms.md", "**Full jitter does the least work** up to about 160",
          "backoff-contention", lambda r: min(r["strategies"], key=lambda k: r["strategies"][k]["calls"]) == "full"),
    Claim("decorrelated-sooner", "lessons/03-retry-storms.md", "decorrelated jitter finishes a little sooner than full",
          "backoff-contention", lambda r: r["strategies"]["decorrelated"]["time"] < r["strategies"]["full"]["time"]
          and r["strategies"]["decorrelated"]["calls"] > r["strategies"]["full"]["calls"]),
    Claim("equal-slower", "lessons/03-retry-storms.md", "equal jitter about the same work but takes longer",
          "backoff-contention", lambda r: r["strategies"]["equal"]["time"] > r["strategies"]["full"]["time"]
          and abs(r["strategies"]["equal"]["calls"] / r["strategies"]["full"]["calls"] - 1) < 0.1),
    Claim("no-backoff-first", "lessons/03-retry-storms.md", "No backoff finishes first",
          "backoff-contention", lambda r: min(r["strategies"], key=lambda k: r["strategies"][k]["time"]) == "none"),
    # ---- lesson 3: overload
    Claim("plain-retries-never-recover", "lessons/03-retry-storms.md", "**Plain retries never recover.**",
          "retry-budget", _stuck),
    Claim("one-retry-stuck", "lessons/03-retry-storms.md", "to get stuck, and even a server at", "retry-budget@one-retry",
          _stuck),
    Claim("one-retry-preset", "webapp/demos/retry_storms.py", "2 attempts still keep the server down",
          "retry-budget@one-retry", _stuck),
    Claim("sixty-pct-stuck", "lessons/03-retry-storms.md", "gets stuck, in about 1 run in 5", "retry-budget?rate=60",
          _stuck, ABOUT_1_IN_5),
    Claim("blip-rides-out", "lessons/03-retry-storms.md", "never builds one, and every strategy rides it out",
          "retry-budget?trigger_s=1", _every_strategy_recovers),
    Claim("blip-preset", "webapp/demos/retry_storms.py", "too short to build a backlog: everyone rides it out",
          "retry-budget@blip", _every_strategy_recovers),
    Claim("two-second-stuck", "lessons/03-retry-storms.md", "leaves plain retries stuck in about 1 run in 5",
          "retry-budget?trigger_s=2", _stuck, ABOUT_1_IN_5),
    Claim("two-second-preset-note", "webapp/demos/retry_storms.py", "at 2 s plain retries already get stuck in about 1 run in 5",
          "retry-budget?trigger_s=2", _stuck, ABOUT_1_IN_5),
    Claim("no-retries-recover", "lessons/03-retry-storms.md", "between 1 and 15 s over seeds 1–20",
          "retry-budget", lambda r: r["strategies"]["none"]["recovered_at_ms"] is not None
          and 1_000 <= r["strategies"]["none"]["recovered_at_ms"] - r["trigger"]["end_ms"] <= 15_000),
    Claim("budgets-recover", "lessons/03-retry-storms.md", "**The budgets recover**", "retry-budget",
          lambda r: all(r["strategies"][k]["server_recovered_at_ms"] is not None for k in ("bucket", "throttle", "breaker"))),
    Claim("throttle-drains-first", "lessons/03-retry-storms.md", "so the server usually drains first (in 9 runs in 10)",
          "retry-budget", share=(0.8, 0.95), holds=lambda r: r["strategies"]["throttle"]["server_recovered_at_ms"]
          <= min(r["strategies"][k]["server_recovered_at_ms"] for k in ("none", "bucket", "breaker"))),
    Claim("nothing-beats-no-retries", "lessons/03-retry-storms.md", "No budget beats sending no retries at all",
          "retry-budget", lambda r: all(_served_again(r, k) >= _served_again(r, "none") for k in ("bucket", "throttle", "breaker"))),
    # ---- lesson 4: the breaker
    Claim("trips-at-once", "lessons/04-circuit-breaker.md", "a quarter of a second\n  into the outage",
          "breaker-timeline", lambda r: r["transitions"][0]["to"] == "OPEN"
          and 0 < r["transitions"][0]["t_ms"] - r["outage"]["start_ms"] < 1000),
    Claim("nothing-while-open", "lessons/04-circuit-breaker.md", "not a single request reaches the dependency",
          "breaker-timeline", lambda r: r["totals"]["reached_while_open"] == 0),
    Claim("first-half-open-two-tests", "lessons/04-circuit-breaker.md", "but only two\n  arrive before the decision (so in 9 runs in 10",
          "breaker-timeline", share=(0.8, 0.95), holds=lambda r: _tests_in_half_open(r, 0) == 2 and r["transitions"][2]["to"] == "OPEN"),
    Claim("second-half-open-closes", "lessons/04-circuit-breaker.md", "two tests succeed and\n  the breaker closes",
          "breaker-timeline", lambda r: r["transitions"][-1]["to"] == "CLOSED" and r["totals"]["trips"] == 1),
    Claim("hystrix-quiet-never-trips", "lessons/04-circuit-breaker.md", "is never reached and it never trips",
          "breaker-timeline@hystrix?rate=1", lambda r: r["totals"]["trips"] == 0),
    Claim("polly-quiet-never-trips", "lessons/04-circuit-breaker.md", "does not trip at 2 requests per second either",
          "breaker-timeline@polly?rate=2", lambda r: r["totals"]["trips"] == 0),
    Claim("hystrix-partial-never-trips", "lessons/04-circuit-breaker.md", "resilience4j (50 % thresholds) never trip",
          "breaker-timeline@hystrix?error_pct=30", lambda r: r["totals"]["trips"] == 0),
    Claim("resilience4j-partial-never-trips", "lessons/04-circuit-breaker.md", "resilience4j (50 % thresholds) never trip",
          "breaker-timeline@resilience4j?error_pct=30", lambda r: r["totals"]["trips"] == 0),
    Claim("polly-partial-flaps", "lessons/04-circuit-breaker.md", "and then flaps",
          "breaker-timeline@polly?error_pct=30", lambda r: r["totals"]["trips"] >= 2),
    Claim("short-wait-closes-fast", "lessons/04-circuit-breaker.md", "never later than one 5 s wait\n  after it over seeds 1–20",
          "breaker-timeline@hystrix", lambda r: _closed_after_outage_s(r) <= 5.5),
    Claim("short-wait-closes-fast-polly", "lessons/04-circuit-breaker.md", "never later than one 5 s wait\n  after it over seeds 1–20",
          "breaker-timeline@polly", lambda r: _closed_after_outage_s(r) <= 5.5),
    Claim("hang-trips-later", "webapp/demos/breaker.py", "every failure costs the 1 s timeout, so it trips later",
          "breaker-timeline@hang", lambda r: r["transitions"][0]["t_ms"] - r["outage"]["start_ms"] >= 1000),
    Claim("cascade-trips-after-pool-full", "lessons/04-circuit-breaker.md", "By then the pool had been full for 20 s",
          "cascade", lambda r: 40_000 <= r["runs"]["with"]["totals"]["first_trip_ms"] <= 41_000),
    Claim("breaker-shortens-saturation", "lessons/04-circuit-breaker.md", "The breaker cut the saturation from",
          "cascade", lambda r: r["runs"]["with"]["totals"]["saturated_s"] < 0.5 * r["runs"]["without"]["totals"]["saturated_s"]),
    Claim("short-timeout-fits", "lessons/04-circuit-breaker.md", "far below 200 even without a breaker",
          "cascade?timeout_ms=2000", lambda r: r["runs"]["without"]["totals"]["peak_busy"] < 100),
    # ---- lesson 5: bulkheads (the fault: search slows 100× from 5 s to 25 s)
    Claim("checkout-about-half", "lessons/05-bulkhead.md", '"About half", "None"]\n    answer: 2', "bulkhead",
          lambda r: 0.4 <= r["modes"]["shared"]["features"]["checkout"]["fault_success_rate"] <= 0.65),
    Claim("bulkheads-checkout-never-fails", "lessons/05-bulkhead.md", "and not one checkout request fails", "bulkhead",
          lambda r: r["modes"]["isolated"]["features"]["checkout"]["success_rate"] == 1
          and r["modes"]["isolated"]["pools"]["checkout"]["peak_busy"] <= 25),
    Claim("bulkhead-search-one-in-ten", "lessons/05-bulkhead.md", "only about one search request in ten succeeds",
          "bulkhead", lambda r: 0.05 <= _mean(r["modes"]["isolated"]["series"]["success_rate"]["search"][8:25]) <= 0.15),
    Claim("bulkhead-search-worse", "lessons/05-bulkhead.md", "Search does *worse* in its own pool", "bulkhead",
          lambda r: r["modes"]["isolated"]["features"]["search"]["success_rate"]
          < r["modes"]["shared"]["features"]["search"]["success_rate"]),
    Claim("bulkhead-good-day", "lessons/05-bulkhead.md", "all three features succeed 100 % of the time in both modes",
          "bulkhead?slow_factor=1", lambda r: all(m["features"][f]["success_rate"] == 1
                                                   for m in r["modes"].values() for f in m["features"])),
    Claim("bigger-pool-rides-out", "lessons/05-bulkhead.md", "every request of the shared pool succeeds",
          "bulkhead?shared_size=1000", lambda r: all(f["success_rate"] == 1 for f in r["modes"]["shared"]["features"].values())),
    Claim("bigger-pool-preset-sacrifices-search", "webapp/demos/bulkhead.py", "the bulkheads still sacrifice search",
          "bulkhead@bigger-pool", lambda r: r["modes"]["isolated"]["features"]["search"]["fault_success_rate"] < 0.3),
    # ---- lesson 7: idempotency keys
    Claim("keys-charge-once", "lessons/07-idempotency.md", "writes exactly", "double-charge",
          lambda r: r["modes"]["key"]["charges"] == r["modes"]["key"]["orders"] < r["modes"]["no_key"]["charges"]),
    Claim("no-retries-no-double-charge", "lessons/07-idempotency.md", "nobody is charged twice, but",
          "double-charge?orders=100&retries=0", lambda r: r["modes"]["no_key"]["duplicate_charges"] == 0
          and r["modes"]["no_key"]["client_never_answered"] > 0),
    # ---- lesson 8: graceful degradation
    Claim("availability-within-noise", "lessons/08-graceful-degradation.md", "The simulation agrees within its sampling error",
          "degradation", lambda r: _within_noise(r["designs"]["all_or_nothing"]["page_availability"],
                                                 r["designs"]["all_or_nothing"]["formula_value"], r["views"])),
    Claim("degraded-p99-bounded", "lessons/08-graceful-degradation.md", "The degraded page does not notice",
          "degradation?comments=slow", lambda r: r["designs"]["degraded"]["p99_ms"] <= 310
          and r["designs"]["all_or_nothing"]["p50_ms"] > 1500),
    Claim("degraded-fewer-complete", "lessons/08-graceful-degradation.md", "the degraded design serves *fewer* complete pages",
          "degradation", lambda r: r["designs"]["degraded"]["outcomes"]["full"] < r["designs"]["all_or_nothing"]["outcomes"]["full"]),
    # ---- lesson 9: the key points repeat the lessons' claims
    Claim("key-points-sixfold", "lessons/09-key-points.md", "the worst 10 ms shrinks about sixfold", "retry-storm",
          lambda r: 5 <= r["strategies"]["none"]["peak_retries_per_bucket"]
          / r["strategies"]["full"]["peak_retries_per_bucket"] <= 7.5),
    Claim("key-points-overload", "lessons/09-key-points.md", "plain retries keep the server down after the dip has ended",
          "retry-budget", lambda r: _stuck(r) and all(r["strategies"][k]["server_recovered_at_ms"] is not None
                                                      for k in ("bucket", "throttle", "breaker"))),
    Claim("key-points-breaker", "lessons/09-key-points.md", "no request reaches the dependency while it is open",
          "breaker-timeline", lambda r: r["totals"]["reached_while_open"] == 0 and r["totals"]["trips"] >= 1),
    Claim("key-points-shared-pool", "lessons/09-key-points.md", "checkout fails although nothing is wrong with it",
          "bulkhead", lambda r: r["modes"]["shared"]["features"]["checkout"]["success_rate"] < 0.9
          and r["modes"]["isolated"]["features"]["checkout"]["success_rate"] == 1),
    # ---- lesson 6: timeouts
    Claim("deadline-same-answers-in-time", "lessons/06-timeouts.md", "The two policies deliver\nexactly the same answers in time",
          "timeout-retry-budget", lambda r: r["policies"]["per_attempt"]["success_within_deadline"]
          == r["policies"]["deadline"]["success_within_deadline"]
          and r["policies"]["deadline"]["attempts_after_deadline"] == 0 < r["policies"]["per_attempt"]["attempts_after_deadline"]),
    Claim("shorter-attempts-fail-less", "lessons/06-timeouts.md", "shorter attempts can buy more chances",
          "timeout-retry-budget?attempt_timeout_ms=200", lambda r: 1 - r["policies"]["deadline"]["success_within_deadline"] < 0.005),
    Claim("sigma-rule-unstable", "lessons/06-timeouts.md", "timeout by seconds (over seeds 1–20, in about 1 seed in 10)",
          "timeout-tradeoff", lambda r: r["rules"][2]["timeout_ms"] > 2000, (0.05, 0.2)),
)


LAB_CLAIMS = (  # the failure lab's comparison and preset notes
    Claim("lab-deadline-fewer-retries", "webapp/demos/lab.py", "with a 2 s deadline (B) the retries stop with the caller, so fewer calls",
          "compare:deadline", lambda a, b: _lab_retries(b) < _lab_retries(a) and _lab_calls(b, "payments") < _lab_calls(a, "payments")),
    Claim("lab-deadline-same-double-charges", "webapp/demos/lab.py", "About as many cards are charged twice either way",
          "compare:deadline", lambda a, b: abs(b["payments"]["orders_charged_twice_or_more"]
                                               - a["payments"]["orders_charged_twice_or_more"])
          <= 0.25 * a["payments"]["orders_charged_twice_or_more"]),
    Claim("lab-keys", "webapp/demos/lab.py", "without a key (A) late payments charge twice",
          "compare:keys", lambda a, b: a["payments"]["orders_charged_twice_or_more"] > 0
          and b["payments"]["orders_charged_twice_or_more"] == 0),
    Claim("lab-cascade-half-fail", "webapp/demos/lab.py", "about half of searches and profile pages fail too",
          "compare:cascade-vs-right", lambda a, b: all(0.3 <= _during(a, f) <= 0.7 for f in ("search", "profile"))),
    Claim("lab-right-only-checkout", "webapp/demos/lab.py", "place (B) only checkout fails, fast, and no one is charged twice",
          "compare:cascade-vs-right", lambda a, b: b["features"]["search"]["success_rate"] > 0.99
          and b["features"]["profile"]["success_rate"] > 0.99 and b["payments"]["orders_charged_twice_or_more"] == 0),
    Claim("lab-seed-cascade-preset", "webapp/demos/lab.py", "search and profile down too: about half of them fail",
          "failure-lab@seed-cascade", lambda r: all(0.3 <= _during(r, f) <= 0.7 for f in ("search", "profile"))),
    Claim("lab-breaker-outside-trips-later", "webapp/demos/lab.py", "outside (B) it counts one result per call of 3 attempts, trips later",
          "compare:breaker-order", lambda a, b: _first_trip(b, "checkout_payments") > _first_trip(a, "checkout_payments"),
          slow=True),
    Claim("lab-breaker-outside-more-calls", "webapp/demos/lab.py", "and payments gets more calls",
          "compare:breaker-order", lambda a, b: _lab_calls(b, "payments") > _lab_calls(a, "payments"), slow=True),
    Claim("lab-bulkhead", "webapp/demos/lab.py", "Without a bulkhead (A) searches fill the gateway's shared threads and checkout fails",
          "compare:bulkhead", lambda a, b: _during(a, "checkout") < 0.8 and b["features"]["checkout"]["success_rate"] > 0.99,
          slow=True),
    Claim("lab-slow-search-preset", "webapp/demos/lab.py", "without bulkheads searches fill the gateway and checkout fails",
          "failure-lab@slow-search", lambda r: _during(r, "checkout") < 0.8, slow=True),
    Claim("lab-budget", "webapp/demos/lab.py", "two layers of retries keep it overloaded after it is back",
          "compare:budget", lambda a, b: _after(a, "search") < 0.5 and _after(b, "search") > 0.9, slow=True),
    Claim("lab-retry-storm-preset", "webapp/demos/lab.py", "two layers of retries keep it down for good",
          "failure-lab@retry-storm", lambda r: _after(r, "search") < 0.5, slow=True),
    Claim("lab-double-charge-preset", "webapp/demos/lab.py", "retries without a key charge customers twice",
          "failure-lab@double-charge", lambda r: r["payments"]["orders_charged_twice_or_more"] > 0),
    Claim("lab-done-right-gives-up-search", "webapp/demos/lab.py", "(about 2 % of searches succeed during the fault)",
          "failure-lab@done-right", lambda r: _during(r, "search") < 0.05 and _during(r, "profile") > 0.99
          and 0.4 <= _during(r, "checkout") <= 0.85 and r["payments"]["orders_charged_twice_or_more"] == 0),

)


def _closed_after_outage_s(r):
    """How long after the outage the breaker closed for good."""
    closes = [t["t_ms"] for t in r["transitions"] if t["to"] == "CLOSED"]
    return (closes[-1] - r["outage"]["end_ms"]) / 1000 if closes else float("inf")


def _tests_in_half_open(r, n):
    """How many requests went through as tests in the n-th half-open period."""
    half = [i for i in r["intervals"] if i["state"] == "HALF_OPEN"][n]
    return sum(1 for q in r["requests"] if q["state"] == "HALF_OPEN" and half["start_ms"] <= q["t_ms"] <= half["end_ms"])


def _result(state: str, seed: int) -> dict:
    sep = "&" if "?" in state else "?"
    return quotes._state(f"{state}{sep}seed={seed}", state).result


def _frequency(claim: Claim) -> float:
    if claim.state.startswith("compare:"):
        pair = next(p for p in lab.COMPARISONS if p[0] == claim.state.removeprefix("compare:"))
        sides = [_lab_state(values) for values in lab.comparison_values(pair)]
        held = [claim.holds(*(_result(side, seed) for side in sides)) for seed in SEEDS]
    else:
        held = [claim.holds(_result(claim.state, seed)) for seed in SEEDS]
    return sum(held) / len(held)


@pytest.mark.parametrize("claim", [pytest.param(c, marks=pytest.mark.slow) if c.slow else c for c in CLAIMS + LAB_CLAIMS],
                         ids=lambda c: c.id)
def test_the_claim_holds_as_often_as_the_text_says(claim):
    text = " ".join((ROOT / claim.where).read_text(encoding="utf-8").split())
    assert " ".join(claim.says.split()) in text, f"{claim.where} no longer says {claim.says!r}: reword the claim"
    low, high = claim.share
    share = _frequency(claim)
    assert low <= share <= high, (f"{claim.id}: holds in {share:.0%} of seeds {SEEDS.start}-{SEEDS.stop - 1}, "
                                  f"the text ({claim.where}) promises {low:.0%}-{high:.0%}")


def test_claim_ids_are_unique():
    assert len({c.id for c in CLAIMS + LAB_CLAIMS}) == len(CLAIMS + LAB_CLAIMS)


if __name__ == "__main__":
    from webapp.demos import load_all

    load_all()
    for c in CLAIMS + LAB_CLAIMS:
        print(f"{c.id:32} {_frequency(c):5.0%}  (text: {c.share[0]:.0%}-{c.share[1]:.0%})  {c.state}")
