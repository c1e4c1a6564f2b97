"""Demos of the retry-with-backoff lesson: one client's timeline, and a storm of many clients."""

from __future__ import annotations

from .. import charts
from ..params import Choice, Float, Int, Seed, params
from ..sims import backoff
from . import Chart, Demo, Preset, Table, View, register

JITTER_CHOICES = (("none", "No jitter"), ("full", "Full jitter"), ("equal", "Equal jitter"),
                  ("decorrelated", "Decorrelated jitter"))


def _schedule_params(jitter_default: str):
    """Base, multiplier, cap, attempts and jitter: shared by both demos, declared once."""
    return (
        Int("base_ms", "Base delay", backoff.DEFAULT_BASE_MS, 10, 2000, step=10, unit="ms",
            help="The wait before the first retry."),
        Float("multiplier", "Multiplier", backoff.DEFAULT_MULTIPLIER, 1.0, 4.0, step=0.5,
              help="Each retry waits this many times longer than the one before."),
        Int("max_attempts", "Max attempts", backoff.DEFAULT_MAX_ATTEMPTS, 1, 10,
            help="Attempts in all, the first call included: 5 attempts are 4 retries."),
        Int("cap_ms", "Max delay (cap)", backoff.DEFAULT_CAP_MS, 100, 60000, step=100, unit="ms",
            help="No single wait is longer than this, however many retries came before."),
        Choice("jitter", "Jitter", jitter_default, JITTER_CHOICES,
               help="Randomness in each wait, so that clients that failed together do not retry together."),
    )


TIMELINE_PARAMS = params(
    *_schedule_params("none"),
    Int("down_ms", "Dependency down for", None, 0, 10000, step=100, unit="ms", never="never recovers",
        help="How long the dependency keeps failing; the last notch means it never recovers."),
    Int("attempt_ms", "Attempt duration", 0, 0, 1000, step=10, unit="ms",
        help="How long one failed attempt takes before the client sees the error."),
    Seed(),
)

STORM_PARAMS = params(
    Int("clients", "Clients", 1000, 1, 10000, step=1,
        help="How many callers lose the dependency at the same moment."),
    Int("outage_ms", "Outage length", 1000, 0, 10000, step=100, unit="ms",
        help="Calls arriving before this time fail; later ones succeed."),
    *_schedule_params("full"),
    Seed(),
)


def _ms(x: float) -> str:
    return f"{x:,.0f} ms" if float(x).is_integer() else f"{x:,.1f} ms"


# ---- backoff-timeline --------------------------------------------------------------------------

def present_timeline(result: dict, values: dict) -> View:
    attempts = result["attempts"]
    last = attempts[-1]
    if result["gave_up"]:
        verdict = (f"Gave up after {_ms(last['start_ms'])} and {len(attempts)} attempts: "
                   f"the error goes back to the caller.")
    else:
        verdict = f"Succeeded on attempt {last['attempt']} at {_ms(last['start_ms'])}."
    rows = tuple(
        (a["attempt"], a["start_ms"], a["outcome"], a["wait_ms"],
         None if a["wait_range_ms"] is None else "–".join(f"{b:g}" for b in a["wait_range_ms"]))
        for a in attempts)
    table = Table(("attempt", "start_ms", "outcome", "wait_ms", "wait_range_ms"), rows,
                  "Each attempt, when it started, and the wait that followed it.")
    return View(
        verdict=verdict, table=table, charts=(_timeline_chart(result, values),),
        stats=(("Attempts", str(len(attempts))), ("Time spent", _ms(result["finished_ms"])),
               ("Waiting", _ms(result["total_wait_ms"])),
               ("Outcome", "gave up" if result["gave_up"] else "succeeded")),
        truth=_timeline_truth(result, values),
    )


def _timeline_chart(result: dict, values: dict) -> Chart:
    attempts, duration = result["attempts"], values["attempt_ms"]
    rows = [f"attempt {a['attempt']}" for a in attempts]
    waits = [a for a in attempts if a["wait_ms"] is not None]
    traces = [charts.bars([a["wait_ms"] for a in waits], [f"attempt {a['attempt']}" for a in waits],
                          "waiting (backoff)", charts.OUTCOME["waiting"], orientation="h",
                          base=[a["start_ms"] + duration for a in waits], width=0.45,
                          text=[_ms(a["wait_ms"]) for a in waits], textposition="inside",
                          hovertemplate="waits %{x:,} ms<extra></extra>")]
    if duration:
        traces.append(charts.bars([duration] * len(attempts), rows, "attempt in flight", charts.NEUTRAL,
                                  orientation="h", base=[a["start_ms"] for a in attempts], width=0.45,
                                  hovertemplate="attempt takes %{x:,} ms<extra></extra>"))
    for outcome, symbol in (("fail", "x"), ("success", "circle")):
        picked = [a for a in attempts if a["outcome"] == outcome]
        if picked:
            color = charts.OUTCOME["failure" if outcome == "fail" else "success"]
            traces.append(charts.markers([a["start_ms"] for a in picked],
                                         [f"attempt {a['attempt']}" for a in picked],
                                         "failed attempt" if outcome == "fail" else "succeeded",
                                         color, symbol=symbol, size=13,
                                         hovertemplate="starts at %{x:,} ms<extra></extra>"))
    end = result["finished_ms"]
    down = values["down_ms"]
    shapes = [charts.vband(0, end if down is None else min(down, max(end, 1)), charts.OUTCOME["failure"],
                           0.08, "dependency down", where="top right")]
    spec = charts.layout("Attempts and waits over time", x="time since the first call (ms)", height=300,
                         barmode="overlay", shapes=shapes,
                         yaxis={"autorange": "reversed", "rangemode": "normal", "type": "category"},
                         xaxis={"range": [-0.04 * max(end, 1), max(end, 1) * 1.06]})
    alt = "; ".join(f"attempt {a['attempt']} at {_ms(a['start_ms'])}: {a['outcome']}" for a in attempts)
    return Chart("chart-backoff-timeline", charts.figure(traces, spec), alt)


def _timeline_truth(result: dict, values: dict) -> tuple:
    """Without jitter the schedule has a closed form: attempt n starts at the sum of the waits."""
    if values["jitter"] != "none":
        return ()
    base, m, cap = values["base_ms"], values["multiplier"], values["cap_ms"]
    n = len(result["attempts"])
    formula = sum(min(cap, base * m ** k) for k in range(n - 1)) + (n - 1) * values["attempt_ms"]
    text = "base × (mⁿ⁻¹ − 1)/(m − 1)" if m != 1 else "base × (n − 1)"
    if any(base * m ** k > cap for k in range(n - 1)):
        text = "sum of min(cap, base × mᵏ)"
    if values["attempt_ms"]:
        text += " + attempt durations"
    return ((f"start of attempt {n}", _ms(result["attempts"][-1]["start_ms"]),
             f"{_ms(formula)} = {text}"),)


# ---- retry-storm -------------------------------------------------------------------------------

def present_storm(result: dict, values: dict) -> View:
    strategies = result["strategies"]
    labels = dict(JITTER_CHOICES)
    rows = tuple((name, labels[name], s["peak_per_bucket"], s["peak_retries_per_bucket"],
                  s["total_calls"], s["finished_ms"], s["gave_up"]) for name, s in strategies.items())
    table = Table(("strategy", "label", "peak_per_bucket", "peak_retries_per_bucket", "total_calls",
                   "finished_ms", "gave_up"), rows,
                  f"Per strategy; a bucket is {result['bucket_ms']} ms.")
    none = strategies["none"]
    stats = [("Worst 10 ms of retries, no jitter", f"{none['peak_retries_per_bucket']:,}")]
    jitter = values["jitter"]
    if jitter != "none":
        chosen = strategies[jitter]
        stats.append((f"Worst 10 ms of retries, {labels[jitter].lower()}",
                      f"{chosen['peak_retries_per_bucket']:,}"))
        factor = none["peak_retries_per_bucket"] / max(1, chosen["peak_retries_per_bucket"])
        verdict = (f"{labels[jitter]} cuts the worst 10 ms of retries from "
                   f"{none['peak_retries_per_bucket']:,} to {chosen['peak_retries_per_bucket']:,} calls "
                   f"({factor:.1f}× lower); {chosen['gave_up']:,} of {values['clients']:,} clients gave up "
                   f"(no jitter: {none['gave_up']:,}).")
    else:
        verdict = (f"Without jitter all {values['clients']:,} clients retry in lock-step: every wave "
                   f"hits the dependency within the same 10 ms.")
    stats += [("Total calls (no jitter / jitter)", " / ".join(f"{s['total_calls']:,}" for s in strategies.values())),
              ("Gave up (no jitter / jitter)", " / ".join(f"{s['gave_up']:,}" for s in strategies.values()))]
    truth = (("peak retries in 10 ms without jitter", f"{none['peak_retries_per_bucket']:,}",
              f"{values['clients'] if values['max_attempts'] > 1 and values['outage_ms'] > 0 else 0:,}"
              " = every client, in step"),
             ("total calls without jitter", f"{none['total_calls']:,}",
              f"{_storm_calls_formula(values):,} = clients × attempts until the outage ends"))
    return View(verdict=verdict, table=table, charts=(_storm_chart(result, values),),
                stats=tuple(stats), truth=truth)


def _storm_calls_formula(values: dict) -> int:
    t, attempts = 0.0, 0
    for n in range(1, values["max_attempts"] + 1):
        attempts += 1
        if t >= values["outage_ms"]:
            break
        t += min(values["cap_ms"], values["base_ms"] * values["multiplier"] ** (n - 1))
    return values["clients"] * attempts


# At most this many bars per strategy (the page's budget is 2,000 plotted points a chart): a long
# storm is drawn with each bar standing for several 10 ms buckets, at the busiest of them.
STORM_MAX_BARS = 1000


def _busiest_buckets(result: dict) -> dict:
    """The storm with its buckets grouped so that no strategy has more than STORM_MAX_BARS: each
    group keeps its busiest bucket, so the tallest bar is still the worst 10 ms."""
    n = max(len(s["per_bucket"]) for s in result["strategies"].values())
    group = -(-n // STORM_MAX_BARS)
    if group == 1:
        return result
    strategies = {name: {**s, "per_bucket": [max(s["per_bucket"][j:j + group])
                                             for j in range(0, len(s["per_bucket"]), group)]}
                  for name, s in result["strategies"].items()}
    return {**result, "strategies": strategies, "bucket_ms": group * result["bucket_ms"]}


def _say_what_a_bar_is(traces: list, spec: dict, span: int, bucket: int) -> None:
    if span == bucket:
        return
    spec["title"]["text"] += f"<br><sup>each bar: the busiest {bucket} ms of {span:,} ms</sup>"
    for trace in traces:
        trace["hovertemplate"] = trace["hovertemplate"].replace(
            f"%{{x}}–%{{x}}+{bucket} ms: %{{y:,}} calls", f"%{{x}}–%{{x}}+{span:,} ms: busiest {bucket} ms %{{y:,}} calls")


def _storm_chart(result: dict, values: dict) -> Chart:
    bucket, result = result["bucket_ms"], _busiest_buckets(result)
    width = result["bucket_ms"]
    labels = dict(JITTER_CHOICES)
    traces = []
    for i, (name, s) in enumerate(result["strategies"].items()):
        x = [k * width for k in range(len(s["per_bucket"]))]
        traces.append(charts.bars(x, s["per_bucket"], labels[name], charts.SERIES[i], opacity=0.75,
                                  width=width, offset=0,
                                  hovertemplate="%{x}–%{x}+10 ms: %{y:,} calls<extra>" + labels[name] + "</extra>"))
    # The bars count first calls too (all of them land in the first 10 ms with jitter or without), the
    # headline figures only retries: the title says so, or the first jittered bar looks like a contradiction.
    spec = charts.layout("Calls reaching the dependency per 10 ms<br><sup>first calls and retries; "
                         "the headline counts retries only</sup>", x="time (ms)", y="calls per 10 ms",
                         height=340, barmode="overlay",
                         shapes=[charts.vband(0, values["outage_ms"], charts.OUTCOME["failure"], 0.08,
                                              "outage")])
    _say_what_a_bar_is(traces, spec, width, bucket)
    alt = "; ".join(f"{labels[n]}: peak {s['peak_per_bucket']:,} calls in 10 ms, {s['total_calls']:,} calls"
                    for n, s in result["strategies"].items())
    return Chart("chart-retry-storm", charts.figure(traces, spec), alt)


register(Demo(
    "backoff-timeline", "One client retrying with backoff", TIMELINE_PARAMS, backoff.timeline,
    present_timeline,
    summary="A client calls a dependency that is down and retries on an exponential schedule.",
    presets=(
        Preset("seed-table", "The seed's table", {}, "fails at 0, 100, 300, 700 and 1,500 ms, then gives up"),
        Preset("recovers", "Dependency recovers", {"down_ms": 600}, "back after 600 ms: attempt 4 succeeds"),
        Preset("full-jitter", "Full jitter", {"jitter": "full"}, "each wait drawn from 0 to the ceiling"),
        Preset("capped", "Cap at 1 s", {"max_attempts": 10, "cap_ms": 1000},
               "10 attempts, no wait longer than a second"),
        # Library defaults (issue 19), each from the library's own documentation.
        Preset("grpc-default", "gRPC default (A6 example)",
               {"max_attempts": 4, "base_ms": 100, "cap_ms": 1000, "multiplier": 2.0},
               "retryPolicy has no defaults; gRFC A6's example: 4 attempts, 0.1 s doubling to 1 s, each wait "
               "×random(0.8, 1.2) (github.com/grpc/proposal A6-client-retries.md)"),
        Preset("envoy-default", "Envoy default",
               {"max_attempts": 2, "base_ms": 25, "cap_ms": 250, "jitter": "full"},
               "num_retries 1, base_interval 25 ms, max_interval 10 × base, full jitter "
               "(envoyproxy.io: route retry_policy, config.core.v3.BackoffStrategy); moving a slider rounds "
               "25 ms and 250 ms to the sliders' notches"),
        Preset("aws-standard-2026", "AWS SDK standard (2026)",
               {"max_attempts": 3, "base_ms": 50, "cap_ms": 20000, "jitter": "full"},
               "3 attempts, rand() × min(50 ms × 2ⁿ, 20 s) for transient errors "
               "(docs.aws.amazon.com/sdkref: Retry behavior, standard mode)"),
        Preset("tenacity-exponential-jitter", "tenacity wait_exponential_jitter",
               {"base_ms": 1000, "cap_ms": 60000},
               "initial 1 s doubling to 60 s; tenacity adds uniform(0, 1 s) on top, which no demo jitter matches, "
               "and has no stop of its own (tenacity.readthedocs.io: wait_exponential_jitter)"),
        Preset("polly-v8-default", "Polly v8 default",
               {"max_attempts": 4, "base_ms": 2000, "multiplier": 1.0},
               "MaxRetryAttempts 3, Delay 2 s, BackoffType Constant, no jitter "
               "(pollydocs.org: RetryStrategyOptions)"),
        Preset("resilience4j-default", "resilience4j default",
               {"max_attempts": 3, "base_ms": 500, "multiplier": 1.0},
               "maxAttempts 3, waitDuration 500 ms, fixed (resilience4j.readme.io: Retry)"),
    )))
register(Demo(
    "retry-storm", "A retry storm: many clients, one dependency", STORM_PARAMS, backoff.storm,
    present_storm,
    summary="Many clients fail at the same moment and all retry: with and without jitter.",
    presets=(
        Preset("no-jitter", "Retry storm without jitter", {"jitter": "none"},
               "every wave is all 1,000 clients in the same 10 ms"),
        Preset("full-jitter", "Full jitter", {}, "the same retries spread over each wait"),
        Preset("equal-jitter", "Equal jitter", {"jitter": "equal"}, "spread, but never less than half the wait"),
        Preset("decorrelated", "Decorrelated jitter", {"jitter": "decorrelated"},
               "each client's wait grows from its own last one"),
        Preset("long-outage", "A 5 s outage, 8 attempts", {"outage_ms": 5000, "max_attempts": 8, "jitter": "equal"},
               "equal jitter keeps half of every wait: patience enough for every client to ride out the outage "
               "(with full jitter about 3 clients in 10 still give up)"),
    )))
