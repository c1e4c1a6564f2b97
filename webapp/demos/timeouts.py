"""Demos of the timeouts lesson: where to cut a dependency's latency, and retries under a deadline."""

from __future__ import annotations

import math

from .. import charts
from ..params import Float, Int, Seed, params
from ..sims import timeouts
from . import Chart, Demo, Preset, Table, View, register


def _latency_params(hang_default: float, hang_max: float):
    """The dependency's latency distribution: shared by both demos, declared once."""
    return (
        Int("median_ms", "Median latency", timeouts.DEFAULT_MEDIAN_MS, 1, 1000, unit="ms",
            help="Half of the calls that answer take less than this (the lognormal body's median)."),
        Float("sigma", "Spread", timeouts.DEFAULT_SIGMA, 0.1, 2.0, step=0.05,
              help="Sigma of the log of latency: 0.5 puts the body's p99 at 3.2 × the median, 1.0 at 10 ×."),
        Float("tail_pct", "Slow path share", timeouts.DEFAULT_TAIL_PCT, 0.0, 20.0, step=0.5, unit="%",
              help="Share of answering calls that take the slow path: a power-law tail from 2 × the median."),
        Float("tail_alpha", "Tail exponent", timeouts.DEFAULT_TAIL_ALPHA, 1.1, 4.0, step=0.1,
              help="Pareto shape of the slow path: lower is heavier; at 2 or below its variance is infinite."),
        Float("hang_pct", "Calls that hang", hang_default, 0.0, hang_max, step=0.1, unit="%",
              help="Share of calls that never answer: only a timeout ends them."),
    )


TIMEOUT_TRADEOFF_PARAMS = params(
    *_latency_params(timeouts.DEFAULT_HANG_PCT, 10.0),
    Int("timeout_ms", "Timeout", timeouts.DEFAULT_TIMEOUT_MS, 10, 30000, step=10, unit="ms", never="no timeout",
        help="The caller gives up after this long; the last notch means it waits for ever."),
    Seed(),
)

TIMEOUT_RETRY_BUDGET_PARAMS = params(
    *_latency_params(timeouts.DEFAULT_RETRY_HANG_PCT, 50.0),
    Int("attempt_timeout_ms", "Per-attempt timeout", timeouts.DEFAULT_TIMEOUT_MS, 10, 10000, step=10, unit="ms",
        help="Each attempt gives up after this long."),
    Int("max_attempts", "Max attempts", timeouts.DEFAULT_MAX_ATTEMPTS, 1, 10,
        help="Attempts in all, the first call included: 5 attempts are 4 retries."),
    Int("backoff_ms", "Backoff base", timeouts.DEFAULT_BACKOFF_MS, 0, 2000, step=10, unit="ms",
        help="The wait before the first retry; each later wait doubles."),
    Int("deadline_ms", "Caller's deadline", timeouts.DEFAULT_DEADLINE_MS, 100, 30000, step=100, unit="ms",
        help="The caller stops waiting after this long, whatever the retries are doing."),
    Seed(),
)

NBSP = "\u00a0"
RULE_LABELS = {"3 x p99": "3 × p99 (the seed's rule)", "p99.9": "p99.9", "p99 + 3 sigma": "p99 + 3σ"}
RULE_COLOURS = {"3 x p99": charts.SERIES[0], "p99.9": charts.SERIES[2], "p99 + 3 sigma": charts.SERIES[6]}
CHOSEN_COLOUR = charts.SERIES[1]
POLICY_LABELS = {"per_attempt": "Per-attempt timeout only", "deadline": "Bounded by the deadline"}
POLICY_COLOURS = {"per_attempt": charts.SERIES[0], "deadline": charts.SERIES[1]}


# ---- formatting -------------------------------------------------------------------------------

def _ms(x: float | None, precise: bool = False) -> str:
    """'50.7 ms', '202 ms', '30 s'; `precise` keeps a decimal below 10 s, for sample-vs-formula rows."""
    if x is None:
        return "—"
    if x >= 10_000:
        return f"{x / 1000:,.1f}".removesuffix(".0") + f"{NBSP}s"
    if precise or x < 100:
        return f"{x:,.1f}".removesuffix(".0") + f"{NBSP}ms"
    return f"{x:,.0f}{NBSP}ms"


def _pct(rate: float | None) -> str:
    """A share as a percentage with the precision it deserves: 9.9 %, 0.14 %, 0.005 %."""
    if rate is None:
        return "—"
    v = 100 * rate
    if v == 0 or v == 100:
        text = f"{v:.0f}"
    elif v < 0.0001:
        return f"<{NBSP}0.0001{NBSP}%"
    elif v >= 90:  # near 100 %, keep the digits that differ: 98.95 %, 99.9 %, 99.996 %
        text = f"{v:.2f}" if v < 99.99 else f"{v:.4f}"
        text = text.rstrip("0").rstrip(".")
    elif v >= 10:
        text = f"{v:.1f}"
    elif v >= 1:
        text = f"{v:.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{v:.2g}"
        if "e" in text:
            text = f"{v:.6f}".rstrip("0")
    return f"{text}{NBSP}%"


def _ts(x: float | None) -> str:
    return "unbounded" if x is None else f"{x:,.1f}"


def _timeout_text(t: float | None) -> str:
    return "no timeout" if t is None else _ms(t)


# ---- timeout-tradeoff ------------------------------------------------------------------------

def present_tradeoff(result: dict, values: dict) -> View:
    pct, exact = result["percentiles_ms"], result["closed_form"]["percentiles_ms"]
    chosen = result["timeout"]
    t = chosen["timeout_ms"]
    hang = values["hang_pct"]
    if t is None:
        if result["hung"]:
            verdict = (f"With no timeout nothing is cut off, but the {hang:g}{NBSP}% of calls that hang hold "
                       f"their threads for ever: the thread-seconds held grow without bound.")
        else:
            verdict = (f"With no timeout nothing is cut off, and since no call hangs the threads held stay at "
                       f"{_ts(chosen['thread_seconds_per_1000'])} thread-seconds per 1,000 requests, the mean "
                       f"latency.")
    else:
        ratio = t / pct["p99"] if pct["p99"] else 0
        verdict = (f"A {_ms(t)} timeout ({ratio:.{0 if ratio >= 10 else 1}f} × the measured p99) cuts off "
                   f"{_pct(chosen['false_timeout_rate'])} of the calls that would have answered and holds "
                   f"{_ts(chosen['thread_seconds_per_1000'])} thread-seconds per 1,000 requests"
                   + (f"; the {hang:g}{NBSP}% of calls that hang account for {hang / 100 * t:,.1f} of them." if hang else "."))
    stats = (("p50 / p99", f"{_ms(pct['p50'])} / {_ms(pct['p99'])}"),
             ("p99.9", _ms(pct["p99.9"])),
             ("False timeouts", _pct(chosen["false_timeout_rate"])),
             ("Thread-seconds per 1,000 requests", _ts(chosen["thread_seconds_per_1000"])))
    curve = result["curve"]
    rows = tuple(zip(curve["timeout_ms"], curve["false_timeout_rate"], curve["false_timeout_rate_exact"],
                     curve["thread_seconds_per_1000"], curve["thread_seconds_per_1000_exact"]))
    table = Table(("timeout_ms", "false_timeout_rate", "false_timeout_rate_exact", "thread_seconds_per_1000",
                   "thread_seconds_per_1000_exact"), rows,
                  f"The trade-off curve: every timeout, measured on {result['n']:,} calls and in closed form.")
    model = result["closed_form"]
    truth = [(f"{k} latency", _ms(pct[k], True),
              f"{_ms(exact[k], True)}, the mixture solved exactly; lognormal body alone: "
              f"{_ms(model['body_only_percentiles_ms'][k], True)}") for k in pct]
    if t is not None:
        truth += [(f"false timeouts at {_ms(t)}", _pct(chosen["false_timeout_rate"]),
                   f"{_pct(chosen['false_timeout_rate_exact'])} = P(X > {_ms(t)})"),
                  ("thread-seconds per 1,000 requests", _ts(chosen["thread_seconds_per_1000"]),
                   f"{_ts(chosen['thread_seconds_per_1000_exact'])} = (1 − h) E[min(X, T)] + h T")]
    truth += [("calls that hang", _pct(result["hung"] / result["n"]), f"{_pct(hang / 100)} = h"),
              ("standard deviation σ", _ms(result["std_ms"]),
               _ms(model["std_ms"]) if model["std_ms"] is not None
               else f"infinite: the tail exponent α = {values['tail_alpha']:g} ≤ 2, so the sample σ never settles")]
    return View(verdict=verdict, stats=stats, table=table,
                charts=(_histogram_chart(result, values), _curve_chart(result, values)),
                truth=tuple(truth), extra_template="demo/timeouts/rules.html",
                extra={"rules": [{**r, "label": RULE_LABELS[r["rule"]], "colour": RULE_COLOURS[r["rule"]],
                                  "timeout": _ms(r["timeout_ms"]), "false": _pct(r["false_timeout_rate"]),
                                  "held": _ts(r["thread_seconds_per_1000"])} for r in result["rules"]],
                       "chosen": {"timeout": _timeout_text(t), "false": _pct(chosen["false_timeout_rate"]),
                                  "held": _ts(chosen["thread_seconds_per_1000"]), "colour": CHOSEN_COLOUR},
                       "std": _ms(result["std_ms"]), "std_finite": model["std_ms"] is not None})


def _histogram_chart(result: dict, values: dict) -> Chart:
    h = result["histogram"]
    edges, counts, expected = h["edges_ms"], h["counts"], h["expected"]
    # Step lines over log-spaced bins (bars have linear widths on a log axis): each count spans its bin.
    xs = [e for e in edges for _ in (0, 1)][1:-1]
    step = [c for c in counts for _ in (0, 1)]
    step_expected = [c for c in expected for _ in (0, 1)]
    # Log counts: the tail is a few calls per bin, invisible next to the body's thousands otherwise.
    step = [c if c > 0 else None for c in step]
    traces = [
        charts.line(xs, step, f"{result['answered']:,} calls that answered", charts.OUTCOME["waiting"],
                    width=1.5, fill="tozeroy", hoverinfo="skip", connectgaps=False),
        charts.line(xs, step_expected, "closed form (expected count)", charts.NEUTRAL, dash="dash", width=1.5,
                    hoverinfo="skip"),
        charts.markers([(edges[i] * edges[i + 1]) ** 0.5 for i in range(len(counts))], counts, "bins",
                       charts.OUTCOME["waiting"], size=4, showlegend=False, opacity=0,
                       customdata=[[edges[i], edges[i + 1], expected[i]] for i in range(len(counts))],
                       hovertemplate="%{customdata[0]:,.1f}–%{customdata[1]:,.1f} ms: %{y:,} calls "
                                     "(closed form %{customdata[2]:,.1f})<extra></extra>"),
    ]
    pct = result["percentiles_ms"]
    shapes = [charts.vline(pct[k], charts.NEUTRAL, k, dash="dot") for k in ("p50", "p99", "p99.9")]
    t = values["timeout_ms"]
    if t is not None and edges:
        top = max(edges[-1], t * 1.2)
        shapes.insert(0, charts.vband(t, top, charts.OUTCOME["failure"], 0.1))
    lo, hi = (edges[0], max(edges[-1], (t or 0) * 1.2)) if edges else (1, 10)
    if t is not None and edges:
        # A flat label inside the plot, on whichever side of the line has room.
        right_half = math.log(t) > (math.log(lo) + math.log(hi)) / 2
        marker = _vline_flat(t, CHOSEN_COLOUR, f"timeout {_ms(t)} " if right_half else f" timeout {_ms(t)}")
        marker["label"]["xanchor"] = "right" if right_half else "left"
        shapes.append(marker)
    ticks = _log_ticks(lo, hi)
    spec = charts.layout("Latency of the calls that answered", x="latency (log scale)",
                         y="calls per bin (log scale)", height=360, shapes=shapes, margin={"t": 56},
                         xaxis={"type": "log", "tickvals": ticks, "ticktext": [_tick(v) for v in ticks],
                                "tickangle": 0},
                         yaxis={"type": "log", "rangemode": "normal", "exponentformat": "none", "dtick": 1,
                                "range": [-0.3, math.log10(max(counts + [10])) + 0.3]})
    over = f"; {h['overflow']:,} calls beyond {_ms(edges[-1])} not drawn" if h.get("overflow") else ""
    alt = (f"Histogram of {result['answered']:,} latencies: p50 {_ms(pct['p50'])}, p99 {_ms(pct['p99'])}, "
           f"p99.9 {_ms(pct['p99.9'])}; timeout {_timeout_text(t)}{over}.")
    return Chart("chart-timeout-tradeoff-histogram", charts.figure(traces, spec), alt)


def _vline_flat(x: float, color: str, label: str, dash: str = "solid") -> dict:
    """A vertical marker whose label reads horizontally, beside the top of the line."""
    shape = charts.vline(x, color, label, dash=dash)
    shape["label"].update({"textangle": 0, "xanchor": "left", "yanchor": "top"})
    return shape


def _log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks covering [lo, hi] on a log axis; 1-3 when it spans more than two decades, so that
    the labels still fit on a phone."""
    ticks, decade = [], 10 ** math.floor(math.log10(max(lo, 1e-3)))
    steps = (1, 3) if hi / lo > 200 else (1, 2, 5)
    while decade <= hi:
        ticks += [m * decade for m in steps if lo <= m * decade <= hi]
        decade *= 10
    return ticks


def _tick(ms: float) -> str:
    return f"{ms:g} ms" if ms < 1000 else f"{ms / 1000:g} s"


def _curve_chart(result: dict, values: dict) -> Chart:
    curve = result["curve"]
    # Timeouts shorter than the median cut off most answers: nobody picks them, so the curve starts
    # at the median (50 % false timeouts), where the trade-off begins.
    first = next((i for i, r in enumerate(curve["false_timeout_rate"]) if r <= 0.5), 0)
    timeouts_ms = curve["timeout_ms"][first:]
    x = curve["thread_seconds_per_1000"][first:]
    y = [100 * r for r in curve["false_timeout_rate"][first:]]
    x_exact = curve["thread_seconds_per_1000_exact"][first:]
    y_exact = [100 * r for r in curve["false_timeout_rate_exact"][first:]]
    traces = [
        charts.line(x, y, "measured", charts.SERIES[5], customdata=timeouts_ms,
                    hovertemplate="timeout %{customdata:,} ms: %{y:.3g} % false timeouts, "
                                  "%{x:,.1f} thread-s per 1,000<extra></extra>"),
        charts.line(x_exact, y_exact, "closed form", charts.NEUTRAL, dash="dash",
                    width=1.5, customdata=timeouts_ms,
                    hovertemplate="timeout %{customdata:,} ms (closed form): %{y:.3g} %, "
                                  "%{x:,.1f} thread-s<extra></extra>"),
    ]
    symbols = {"3 x p99": "diamond", "p99.9": "square", "p99 + 3 sigma": "triangle-up"}
    for r in result["rules"]:
        if r["false_timeout_rate"] > 0:
            traces.append(charts.markers([r["thread_seconds_per_1000"]], [100 * r["false_timeout_rate"]],
                                         f"{RULE_LABELS[r['rule']]}: {_ms(r['timeout_ms'])}",
                                         RULE_COLOURS[r["rule"]], symbol=symbols[r["rule"]], size=11,
                                         hovertemplate=f"{RULE_LABELS[r['rule']]} = {_ms(r['timeout_ms'])}: "
                                                       "%{y:.3g} % false timeouts, %{x:,.1f} thread-s<extra></extra>"))
    chosen = result["timeout"]
    if chosen["timeout_ms"] is not None and chosen["false_timeout_rate"] > 0:
        traces.append(charts.markers([chosen["thread_seconds_per_1000"]], [100 * chosen["false_timeout_rate"]],
                                     f"your timeout: {_ms(chosen['timeout_ms'])}", CHOSEN_COLOUR, size=15,
                                     hovertemplate=f"your timeout {_ms(chosen['timeout_ms'])}: %{{y:.3g}} % false "
                                                   "timeouts, %{x:,.1f} thread-s<extra></extra>"))
    finite = [v for v in x if v is not None]
    log_x = bool(finite) and max(finite) / max(min(finite), 1e-9) > 10
    spec = charts.layout("The trade-off over every timeout", x="thread-seconds per 1,000 requests"
                         + (" (log scale)" if log_x else ""), y="false timeouts (log scale)", height=400,
                         yaxis={"type": "log", "rangemode": "normal", "exponentformat": "none", "ticksuffix": " %",
                                "dtick": 1},
                         xaxis={"type": "log"} if log_x else {})
    rules = "; ".join(f"{RULE_LABELS[r['rule']]} = {_ms(r['timeout_ms'])}: {_pct(r['false_timeout_rate'])} false "
                      f"timeouts, {_ts(r['thread_seconds_per_1000'])} thread-seconds" for r in result["rules"])
    alt = (f"From {_ms(timeouts_ms[0])} to {_ms(timeouts_ms[-1])}, false timeouts fall from "
           f"{_pct(y[0] / 100)} to {_pct(y[-1] / 100)} while thread-seconds "
           f"per 1,000 requests rise from {_ts(x[0])} to {_ts(x[-1])}. {rules}.")
    return Chart("chart-timeout-tradeoff-curve", charts.figure(traces, spec), alt)


# ---- timeout-retry-budget --------------------------------------------------------------------

def present_retry_budget(result: dict, values: dict) -> View:
    pol = result["policies"]
    naive, bounded = pol["per_attempt"], pol["deadline"]
    deadline, timeout = values["deadline_ms"], values["attempt_timeout_ms"]
    fit, started = result["attempts_fit"], result["attempts_started_within_deadline"]
    n_attempts = values["max_attempts"]
    fit_text = (f"{fit} of {n_attempts} attempt{'s' if n_attempts != 1 else ''} of {_ms(timeout)} "
                f"fit{'s' if fit == 1 else ''}")
    if started > fit:
        fit_text += f" (and {started - fit} more start{'s' if started - fit == 1 else ''})"
    in_time = _pct(bounded["success_within_deadline"])
    late = naive["attempts_after_deadline"]
    if result["worst_case_ms"] > deadline:
        verdict = (f"Under a {_ms(deadline)} deadline, {fit_text}. Ignoring the deadline, the retries can run "
                   f"for {_ms(result['worst_case_ms'])}"
                   + (f" and started {late:,} attempt{'s' if late != 1 else ''} after the caller had gone; "
                      if late else f", though none of these {result['n']:,} calls got that far; ")
                   + f"both policies answer {in_time} of calls in time.")
    else:
        everything = "The single attempt fits" if n_attempts == 1 else f"All {n_attempts} attempts fit"
        verdict = (f"{everything} in the {_ms(deadline)} deadline, even in the worst case "
                   f"({_ms(result['worst_case_ms'])}): both policies behave the same and answer {in_time} of "
                   f"calls in time.")
    stats = (("Attempts that fit the deadline", f"{fit} of {n_attempts}"),
             ("Worst case, deadline ignored", _ms(result["worst_case_ms"])),
             ("Answered in time (both)", _pct(bounded["success_within_deadline"])),
             ("p99 end to end: ignored vs bounded",
              f"{_ms(naive['percentiles_ms']['p99'])} vs {_ms(bounded['percentiles_ms']['p99'])}"),
             ("Attempts after the deadline", f"{naive['attempts_after_deadline']:,} vs "
                                              f"{bounded['attempts_after_deadline']:,}"))
    rows = tuple((name, p["success_rate"], p["success_within_deadline"], p["over_deadline"],
                  p["attempts_per_request"], p["attempts_after_deadline"], p["thread_seconds_per_1000"],
                  p["wasted_thread_seconds_per_1000"], p["percentiles_ms"]["p50"], p["percentiles_ms"]["p99"],
                  p["max_ms"]) for name, p in pol.items())
    table = Table(("policy", "success_rate", "success_within_deadline", "over_deadline", "attempts_per_request",
                   "attempts_after_deadline", "thread_seconds_per_1000", "wasted_thread_seconds_per_1000",
                   "p50_ms", "p99_ms", "max_ms"), rows,
                  f"{result['n']:,} calls, the same latencies for both policies.")
    cf = result["closed_form"]
    q = cf["p_attempt_fails"]
    bounded_budgets = [r["bounded_timeout_ms"] for r in result["schedule"] if r["bounded_timeout_ms"] is not None]
    # Every attempt of the per-attempt policy has the full timeout, and each answered call ends with
    # exactly one successful attempt: failed attempts / attempts estimates q(T).
    attempts = naive["attempts_per_request"]
    q_sim = 1 - naive["success_rate"] / attempts if attempts else 0.0
    truth = (
        ("one attempt fails (hangs, or answers after the timeout)", _pct(q_sim),
         f"{_pct(q)} = q({_ms(timeout)}) = h + (1 − h) P(X > {_ms(timeout)})"),
        ("never answered, deadline ignored", _pct(1 - naive["success_rate"]),
         f"{_pct(cf['failure_rate']['per_attempt'])} = q({_ms(timeout)})^{n_attempts}"),
        ("not answered by the deadline, bounded", _pct(1 - bounded["success_within_deadline"]),
         f"{_pct(cf['failure_rate']['deadline'])} = {_product(bounded_budgets)}"),
    )
    return View(verdict=verdict, stats=stats, table=table, truth=truth,
                charts=(_schedule_chart(result, values), _retry_latency_chart(result, values)))


def _product(budgets: list) -> str:
    """q(600 ms) × q(300 ms), with repeats as powers: q(600 ms)^4 × q(100 ms)."""
    parts, i = [], 0
    while i < len(budgets):
        j = i
        while j < len(budgets) and budgets[j] == budgets[i]:
            j += 1
        parts.append(f"q({_ms(budgets[i])})" + (f"^{j - i}" if j - i > 1 else ""))
        i = j
    return " × ".join(parts) or "1"


def _schedule_chart(result: dict, values: dict) -> Chart:
    deadline = values["deadline_ms"]
    rows = result["schedule"]
    names = [f"attempt {r['attempt']}" for r in rows]
    before = [(r, min(r["end_ms"], deadline) - r["start_ms"]) for r in rows if r["start_ms"] < deadline]
    after = [(r, r["end_ms"] - max(r["start_ms"], deadline)) for r in rows if r["end_ms"] > deadline]
    waits = [(rows[k]["end_ms"], rows[k + 1]["start_ms"] - rows[k]["end_ms"], names[k])
             for k in range(len(rows) - 1) if rows[k + 1]["start_ms"] > rows[k]["end_ms"]]
    traces = []
    if before:
        traces.append(charts.bars([w for _, w in before], [f"attempt {r['attempt']}" for r, _ in before],
                                  "attempt, caller still waiting", charts.NEUTRAL, orientation="h",
                                  base=[r["start_ms"] for r, _ in before], width=0.5,
                                  hovertemplate="%{base:,} ms + %{x:,} ms while the caller waits<extra></extra>"))
    if after:
        traces.append(charts.bars([w for _, w in after], [f"attempt {r['attempt']}" for r, _ in after],
                                  "attempt after the deadline: nobody waiting", charts.OUTCOME["failure"],
                                  orientation="h", base=[max(r["start_ms"], deadline) for r, _ in after],
                                  width=0.5, hovertemplate="%{x:,} ms of work after the caller gave up<extra></extra>"))
    if waits:
        traces.append(charts.bars([w for _, w, _ in waits], [n for _, _, n in waits], "backoff wait",
                                  charts.OUTCOME["waiting"], orientation="h", base=[s for s, _, _ in waits],
                                  width=0.25, hovertemplate="waits %{x:,} ms<extra></extra>"))
    end = max(result["worst_case_ms"], deadline)
    spec = charts.layout("Worst case: every attempt times out", x="time since the first call (ms)", height=300,
                         barmode="overlay",
                         shapes=[_vline_flat(deadline, charts.OUTCOME["failure"], f" deadline {_ms(deadline)}")],
                         yaxis={"autorange": "reversed", "type": "category", "rangemode": "normal",
                                "categoryorder": "array", "categoryarray": names},
                         xaxis={"range": [0, end * 1.04]})
    alt = "; ".join(f"attempt {r['attempt']} from {_ms(r['start_ms'])} to {_ms(r['end_ms'])}"
                    + ("" if r["fits"] == "full" else " (cut by the deadline)" if r["fits"] == "partial"
                       else " (after the deadline)") for r in rows) + f"; deadline {_ms(deadline)}."
    return Chart("chart-timeout-retry-budget-schedule", charts.figure(traces, spec), alt)


def _retry_latency_chart(result: dict, values: dict) -> Chart:
    edges = result["histogram_edges_ms"]
    xs = [e for e in edges for _ in (0, 1)][1:-1]
    traces = []
    for name in ("per_attempt", "deadline"):  # the bounded one thin on top: where they agree, both show
        p = result["policies"][name]
        traces.append(charts.line(xs, [c for c in p["histogram"] for _ in (0, 1)], POLICY_LABELS[name],
                                  POLICY_COLOURS[name], width=1.5 if name == "deadline" else 4,
                                  opacity=1 if name == "deadline" else 0.55, hoverinfo="skip"))
    deadline = values["deadline_ms"]
    ticks = _log_ticks(edges[0], edges[-1])
    spec = charts.layout("End-to-end latency, retries included", x="time to an answer or an error (log scale)", y="calls per bin", height=340,
                         xaxis={"type": "log", "tickvals": ticks, "ticktext": [_tick(v) for v in ticks],
                                "tickangle": 0},
                         shapes=[charts.vband(deadline, edges[-1], charts.OUTCOME["failure"], 0.08),
                                 _vline_flat(deadline, charts.OUTCOME["failure"], f" deadline {_ms(deadline)}")])
    pol = result["policies"]
    alt = "; ".join(f"{POLICY_LABELS[n]}: p50 {_ms(p['percentiles_ms']['p50'])}, p99 {_ms(p['percentiles_ms']['p99'])}, "
                    f"max {_ms(p['max_ms'])}" for n, p in pol.items()) + f"; deadline {_ms(deadline)}."
    return Chart("chart-timeout-retry-budget-latency", charts.figure(traces, spec), alt)


register(Demo(
    "timeout-tradeoff", "Where to cut: false timeouts against held threads", TIMEOUT_TRADEOFF_PARAMS,
    timeouts.tradeoff, present_tradeoff,
    summary="20,000 calls to a dependency with a heavy tail and a few hangs. Move the timeout and read "
            "the price on both sides.",
    presets=(
        Preset("seed", "The seed: 3 × p99", {}, "600 ms, three times the p99 of about 200 ms"),
        Preset("p99", "At p99", {"timeout_ms": 200}, "1 % of good calls cut off, by definition"),
        Preset("p999", "At p99.9", {"timeout_ms": 740}, "accept 0.1 % false timeouts"),
        Preset("library-default", "A 30 s library default", {"timeout_ms": 30000},
               "almost no false timeouts, but every hung call holds its thread for 30 s"),
        Preset("no-timeout", "No timeout", {"timeout_ms": None}, "hung calls hold their threads for ever"),
        Preset("resilience4j-default", "resilience4j TimeLimiter default", {"timeout_ms": 1000},
               "timeoutDuration 1 s (resilience4j.readme.io: TimeLimiter); Polly v8's Timeout default is the "
               "30 s preset"),
    )))

register(Demo(
    "timeout-retry-budget", "Retries inside a deadline", TIMEOUT_RETRY_BUDGET_PARAMS, timeouts.retry_budget,
    present_retry_budget,
    summary="A per-attempt timeout, retries with backoff, and the caller's total deadline: how many attempts "
            "fit, and what ignoring the deadline costs.",
    presets=(
        Preset("seed", "600 ms attempts, 1 s deadline", {}, "one attempt fits, a second one starts"),
        Preset("short-attempts", "200 ms attempts", {"attempt_timeout_ms": 200},
               "three shorter attempts fit in the same second"),
        Preset("no-retries", "No retries", {"max_attempts": 1}, "one attempt, nothing to bound"),
        Preset("long-deadline", "A 5 s deadline", {"deadline_ms": 5000}, "all five attempts fit"),
    )))
