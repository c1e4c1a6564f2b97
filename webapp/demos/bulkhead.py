"""Demos of the bulkhead lesson: one shared thread pool vs. a pool per feature, under the same fault."""

from __future__ import annotations

from .. import charts
from ..params import Choice, Int, Seed, params
from ..sims import bulkhead, queueing
from . import Chart, Demo, Preset, Table, View, register

SERVICE_DIST_CHOICES = (("exponential", "Exponential (M/M/c)"), ("lognormal", "Lognormal"))

BULKHEAD_PARAMS = params(
    Int("search_rate", "Search traffic", bulkhead.DEFAULT_RATES["search"], 0, 100, unit="req/s",
        help="Search requests per second, arriving at random (Poisson)."),
    Int("checkout_rate", "Checkout traffic", bulkhead.DEFAULT_RATES["checkout"], 0, 100, unit="req/s",
        help="Checkout requests per second, arriving at random (Poisson)."),
    Int("profile_rate", "Profile traffic", bulkhead.DEFAULT_RATES["profile"], 0, 100, unit="req/s",
        help="Profile requests per second, arriving at random (Poisson)."),
    Int("search_ms", "Search service time", bulkhead.DEFAULT_SERVICE_MS["search"], 10, 2000, step=10,
        unit="ms", help="How long a healthy search request holds its thread, on average."),
    Int("checkout_ms", "Checkout service time", bulkhead.DEFAULT_SERVICE_MS["checkout"], 10, 2000, step=10,
        unit="ms", help="How long a checkout request holds its thread, on average."),
    Int("profile_ms", "Profile service time", bulkhead.DEFAULT_SERVICE_MS["profile"], 10, 2000, step=10,
        unit="ms", help="How long a profile request holds its thread, on average."),
    Choice("service_dist", "Service-time shape", "exponential", SERVICE_DIST_CHOICES,
           help="Exponential makes each pool the M/M/c queue of textbooks; lognormal is closer to real services."),
    Int("shared_size", "Shared pool", bulkhead.DEFAULT_SHARED_SIZE, 10, 1000, step=10, unit="threads",
        help="Threads in the one pool that serves all three features when nothing is isolated."),
    Int("search_pool", "Search bulkhead", bulkhead.DEFAULT_POOLS["search"], 1, 500, unit="threads",
        help="Threads reserved for search when each feature has its own pool."),
    Int("checkout_pool", "Checkout bulkhead", bulkhead.DEFAULT_POOLS["checkout"], 1, 500, unit="threads",
        help="Threads reserved for checkout when each feature has its own pool."),
    Int("profile_pool", "Profile bulkhead", bulkhead.DEFAULT_POOLS["profile"], 1, 500, unit="threads",
        help="Threads reserved for profile when each feature has its own pool."),
    Int("queue_limit", "Queue length", bulkhead.DEFAULT_QUEUE_LIMIT, 0, 500, unit="requests",
        never="unbounded",
        help="Requests that may wait for a thread; one more is rejected at once (0: reject whenever all threads are busy)."),
    Int("queue_timeout_ms", "Queue timeout", bulkhead.DEFAULT_QUEUE_TIMEOUT_MS, 0, 10000, step=100, unit="ms",
        never="waits for ever",
        help="A request that has waited this long for a thread gives up and fails."),
    Int("fault_start_s", "Search slows down at", bulkhead.DEFAULT_FAULT_START_S, 0, 60, unit="s",
        help="When search's backend starts to hang."),
    Int("fault_end_s", "Search recovers at", bulkhead.DEFAULT_FAULT_END_S, 0, 60, unit="s",
        help="When search's backend is healthy again; at or before the start means no fault at all."),
    Int("slow_factor", "Slowdown", bulkhead.DEFAULT_SLOW_FACTOR, 1, 200, unit="×",
        help="Search requests arriving during the fault hold their thread this many times longer."),
    Int("duration_s", "Traffic for", bulkhead.DEFAULT_DURATION_S, 10, 60, step=5, unit="s",
        help="How long requests keep arriving; those still inside at the end are served to completion."),
    Seed(),
)

FEATURE_LABELS = {"search": "search", "checkout": "checkout", "profile": "profile"}
# Features are series, not outcomes: blue, pink, grey from the palette (orange, green and vermillion
# stay free for rejected / success / failure).
FEATURE_COLOURS = {"search": charts.SERIES[0], "checkout": charts.SERIES[1], "profile": charts.SERIES[6]}
DRAW_ORDER = ("profile", "search", "checkout")
LEGEND_RANK = {f: 1000 + i for i, f in enumerate(bulkhead.FEATURES)}
MODE_LABELS = {"shared": "One shared pool", "isolated": "Bulkheads"}
NBSP = "\u00a0"


# ---- formatting -------------------------------------------------------------------------------

def _pct(x: float | None) -> str:
    """0.7805 -> '78 %'; keeps a decimal near the ends so 99.6 % never reads as 100 %."""
    if x is None:
        return "—"
    v = 100 * x
    if v in (0, 100):
        text = f"{v:.0f}"
    elif v >= 99.95 or v < 0.05:
        text = f"{v:.2f}"
    elif v > 99 or v < 1:
        text = f"{v:.1f}"
    else:
        text = f"{v:.0f}"
    return f"{text}{NBSP}%"


def _ms(x: float | None) -> str:
    if x is None:
        return "—"
    if x >= 10_000:
        return f"{x / 1000:,.1f}{NBSP}s"
    return f"{x:,.0f}{NBSP}ms" if x >= 100 or float(x).is_integer() else f"{x:,.1f}{NBSP}ms"


def _pools_text(values: dict) -> str:
    return " / ".join(str(values[f"{f}_pool"]) for f in bulkhead.FEATURES)


# ---- present ------------------------------------------------------------------------------------

def present(result: dict, values: dict) -> View:
    modes = result["modes"]
    sh, iso = modes["shared"]["features"], modes["isolated"]["features"]
    fault = result["fault"]
    full = _full_stretch(result)
    verdict = _verdict(result, values, full)
    stats = [("Checkout: shared vs bulkheads",
              f"{_pct(sh['checkout']['success_rate'])} vs {_pct(iso['checkout']['success_rate'])}")]
    if fault["active"]:
        stats.append(("Checkout, during the fault",
                      f"{_pct(sh['checkout']['fault_success_rate'])} vs "
                      f"{_pct(iso['checkout']['fault_success_rate'])}"))
    stats += [("Search: shared vs bulkheads",
               f"{_pct(sh['search']['success_rate'])} vs {_pct(iso['search']['success_rate'])}"),
              ("Profile: shared vs bulkheads",
               f"{_pct(sh['profile']['success_rate'])} vs {_pct(iso['profile']['success_rate'])}"),
              ("Shared pool full", f"{full[0]:g}–{full[1]:g}{NBSP}s" if full else "never")]
    rows = []
    for mode in bulkhead.MODES:
        for f in bulkhead.FEATURES:
            s = modes[mode]["features"][f]
            rows.append((mode, f, s["pool_size"], s["arrivals"], s["completed"], s["rejected"], s["timed_out"],
                         s["success_rate"], s["fault_success_rate"], s["p50_ms"], s["p99_ms"]))
    table = Table(("mode", "feature", "pool_size", "arrivals", "completed", "rejected", "timed_out",
                   "success_rate", "fault_success_rate", "p50_ms", "p99_ms"), tuple(rows),
                  "Per mode and feature: the same requests, served by one shared pool or by bulkheads. "
                  "Latency percentiles are of the requests that succeeded.")
    return View(verdict=verdict, table=table, stats=tuple(stats),
                charts=(_outcome_chart(result, values), _busy_chart(result, values),
                        _success_chart(result, values), _latency_chart(result, values)),
                truth=_truth(result, values),
                extra_template="demo/bulkhead/sizing.html", extra=_sizing_extra(result, values))


def _full_stretch(result: dict) -> tuple[float, float] | None:
    """First and last second in which the shared pool averaged 99 % or more of its threads busy."""
    busy = result["modes"]["shared"]["series"]["busy"]
    size = result["modes"]["shared"]["pools"]["shared"]["size"]
    t = result["modes"]["shared"]["series"]["t_s"]
    full = [i for i in range(len(t)) if sum(busy[f][i] for f in bulkhead.FEATURES) >= 0.99 * size]
    if not full:
        return None
    return t[full[0]], t[full[-1]] + result["bucket_s"]


def _verdict(result: dict, values: dict, full) -> str:
    sh = result["modes"]["shared"]["features"]
    iso = result["modes"]["isolated"]["features"]
    cs, ci = sh["checkout"]["success_rate"], iso["checkout"]["success_rate"]
    ss, si = sh["search"]["success_rate"], iso["search"]["success_rate"]
    fault = result["fault"]
    if cs is None or ci is None:
        return (f"No checkout traffic: search succeeds {_pct(ss)} with one shared pool and {_pct(si)} "
                f"with bulkheads.")
    if fault["active"] and ci - cs >= 0.01:
        during = sh["checkout"]["fault_success_rate"]
        return (f"Slow search filled the shared pool of {values['shared_size']:,} threads: checkout, which "
                f"has no bug, succeeded {_pct(cs)} of the time ({_pct(during)} during the fault) against "
                f"{_pct(ci)} with bulkheads; search: {_pct(ss)} shared, {_pct(si)} in its own pool.")
    if fault["active"] and min(cs, ci) >= 0.99 and full is None:
        peak = result["modes"]["shared"]["pools"]["shared"]["peak_busy"]
        return (f"The shared pool of {values['shared_size']:,} threads absorbed this fault (at most {peak:,} "
                f"busy): checkout succeeded {_pct(cs)} shared and {_pct(ci)} with bulkheads; search "
                f"{_pct(ss)} shared, {_pct(si)} in its own pool.")
    lead = "A fault in search, " if fault["active"] else "No fault: "
    if not fault["active"]:
        starved = _starved(result, values)
        if starved:
            return starved
    if not fault["active"] and min(cs, ci, ss, si) >= 0.999:
        waits = _waits(result)
        if waits:
            return f"No fault: every feature succeeds {_pct(min(cs, ci, ss, si))} in both modes, {waits}"
        return (f"No fault: every feature succeeds {_pct(min(cs, ci, ss, si))} in both modes. Bulkheads cost "
                f"nothing on a good day.")
    return (f"{lead}checkout succeeded {_pct(cs)} with one shared pool and {_pct(ci)} with bulkheads; "
            f"search {_pct(ss)} and {_pct(si)}, profile {_pct(sh['profile']['success_rate'])} and "
            f"{_pct(iso['profile']['success_rate'])}.")


def _starved(result: dict, values: dict) -> str | None:
    """On a good day, a bulkhead that fails its own feature is too small for its load."""
    sh, iso = result["modes"]["shared"]["features"], result["modes"]["isolated"]["features"]
    worst = min((f for f in bulkhead.FEATURES if sh[f]["success_rate"] is not None),
                key=lambda f: iso[f]["success_rate"] - sh[f]["success_rate"], default=None)
    if worst is None or iso[worst]["success_rate"] > sh[worst]["success_rate"] - 0.01:
        return None
    load = values[f"{worst}_rate"] * values[f"{worst}_ms"] / 1000
    return (f"No fault, but {worst}'s bulkhead of {values[worst + '_pool']:,} threads is too small for its "
            f"load ({load:,.1f} threads busy on average): {worst} succeeded {_pct(iso[worst]['success_rate'])} "
            f"in its own pool against {_pct(sh[worst]['success_rate'])} in the shared one.")


def _waits(result: dict) -> str | None:
    """The most-waiting bulkhead, next to its closed form, when requests queue noticeably."""
    pools = result["modes"]["isolated"]["pools"]
    name = max(bulkhead.FEATURES, key=lambda f: pools[f].get("p_wait", 0))
    pool = pools[name]
    if pool.get("p_wait", 0) < 0.05:
        return None
    theory = pool["theory"]
    formula = "Erlang C" if theory.get("erlang_c") is not None else "the M/M/c/K formula"
    return (f"but {_pct(pool['p_wait'])} of {name} requests waited for a thread in its bulkhead of "
            f"{pool['size']:,} ({formula}: {_pct(theory['p_wait'])}).")


# ---- charts: one row per mode, the same time axis -------------------------------------------

ROW_DOMAINS = {"shared": [0.56, 1.0], "isolated": [0.0, 0.44]}
ROW_AXES = {"shared": "y", "isolated": "y2"}


def _two_rows(title: str, values: dict, result: dict, y_title: str, height: int = 520, **yaxis) -> dict:
    """A figure with the shared pool on top and the bulkheads below, on one shared time axis, so a
    moment in the run lines up across both; the fault window is shaded over both rows."""
    fault = result["fault"]
    shapes = []
    if fault["active"]:
        shapes.append(charts.vband(fault["start_s"], min(fault["end_s"], result["duration_s"]),
                                   charts.OUTCOME["failure"], 0.08, "search slow", where="top left"))
    row_titles = {"shared": f"{MODE_LABELS['shared']} of {values['shared_size']:,} threads",
                  "isolated": f"{MODE_LABELS['isolated']}: {_pools_text(values)} threads"}
    annotations = [{"text": f"<b>{row_titles[m]}</b>", "xref": "paper", "yref": "paper", "x": 0,
                    "y": ROW_DOMAINS[m][1], "xanchor": "left", "yanchor": "bottom", "showarrow": False,
                    "font": {"size": 12}} for m in bulkhead.MODES]
    axis = {"title": {"text": y_title}, "zeroline": False, "rangemode": "tozero", "automargin": True, **yaxis}
    return charts.layout(
        title, x="time (s)", height=height, shapes=shapes, annotations=annotations,
        xaxis={"anchor": "y2", "range": [0, result["duration_s"]]},
        yaxis={**axis, "domain": ROW_DOMAINS["shared"]},
        yaxis2={**axis, "domain": ROW_DOMAINS["isolated"]},
        margin={"t": 64}, legend={"y": -0.14})


def _mid(result: dict) -> list[float]:
    half = result["bucket_s"] / 2
    return [t + half for t in result["modes"]["shared"]["series"]["t_s"]]


def _busy_chart(result: dict, values: dict) -> Chart:
    x = _mid(result)
    traces = []
    for mode in bulkhead.MODES:
        busy = result["modes"][mode]["series"]["busy"]
        for f in bulkhead.FEATURES:
            traces.append(charts.line(x, busy[f], f, FEATURE_COLOURS[f], width=1, yaxis=ROW_AXES[mode],
                                      stackgroup=mode, legendgroup=f, showlegend=mode == "shared",
                                      hovertemplate=f"{f}: %{{y:,.0f}} threads busy at %{{x:.0f}} s<extra></extra>"))
    ends = [0, result["duration_s"]]
    size = values["shared_size"]
    traces.append(charts.line(ends, [size, size], "pool size", charts.NEUTRAL, dash="dash", yaxis="y",
                              legendgroup="size", hovertemplate=f"shared pool: {size:,} threads<extra></extra>"))
    total = sum(values[f"{f}_pool"] for f in bulkhead.FEATURES)
    traces.append(charts.line(ends, [total, total], "pool size", charts.NEUTRAL, dash="dash", yaxis="y2",
                              legendgroup="size", showlegend=False,
                              hovertemplate=f"all bulkheads together: {total:,} threads<extra></extra>"))
    search = values["search_pool"]
    traces.append(charts.line(ends, [search, search], "search's bulkhead", FEATURE_COLOURS["search"],
                              dash="dot", yaxis="y2",
                              hovertemplate=f"search's bulkhead: {search:,} threads<extra></extra>"))
    spec = _two_rows("Busy threads per feature (stacked)", values, result, "busy threads")
    sh = result["modes"]["shared"]["pools"]["shared"]
    iso = result["modes"]["isolated"]["pools"]
    alt = (f"Shared pool of {size:,}: peak {sh.get('peak_busy', 0):,} busy threads. Bulkheads: "
           + ", ".join(f"{f} peak {iso[f].get('peak_busy', 0):,} of {values[f + '_pool']:,}"
                       for f in bulkhead.FEATURES) + ".")
    return Chart("chart-bulkhead-busy", charts.figure(traces, spec), alt)


def _success_chart(result: dict, values: dict) -> Chart:
    x = _mid(result)
    traces = []
    for mode in bulkhead.MODES:
        rates = result["modes"][mode]["series"]["success_rate"]
        for f in DRAW_ORDER:  # checkout drawn last: where the lines coincide at 100 %, it shows
            traces.append(charts.line(x, [None if r is None else round(100 * r, 2) for r in rates[f]], f,
                                      FEATURE_COLOURS[f], yaxis=ROW_AXES[mode], legendgroup=f,
                                      legendrank=LEGEND_RANK[f], width=3 if f == "checkout" else 2,
                                      showlegend=mode == "shared", connectgaps=False,
                                      hovertemplate=f"{f}: %{{y:.0f}} % of requests arriving at %{{x:.0f}} s "
                                                    "succeed<extra></extra>"))
    spec = _two_rows("Success rate per feature, by arrival second", values, result, "succeeded (%)",
                     height=480, range=[-4, 104], rangemode="normal", ticksuffix=" %")
    alt = "; ".join(
        f"{MODE_LABELS[m]}: " + ", ".join(
            f"{f} {_pct(result['modes'][m]['features'][f]['success_rate'])}" for f in bulkhead.FEATURES)
        for m in bulkhead.MODES)
    return Chart("chart-bulkhead-success", charts.figure(traces, spec), alt)


def _latency_chart(result: dict, values: dict) -> Chart:
    x = _mid(result)
    traces = []
    for mode in bulkhead.MODES:
        series = result["modes"][mode]["series"]
        for f in bulkhead.FEATURES:
            for q, dash in (("p50", "solid"), ("p99", "dot")):
                traces.append(charts.line(
                    x, series[f"{q}_ms"][f], f"{f} {q}", FEATURE_COLOURS[f], dash=dash,
                    width=2 if q == "p50" else 1.5, yaxis=ROW_AXES[mode], legendgroup=f"{f}-{q}",
                    showlegend=mode == "shared", connectgaps=False,
                    hovertemplate=f"{f} {q}: %{{y:,.0f}} ms for requests arriving at %{{x:.0f}} s<extra></extra>"))
    spec = _two_rows("Latency of the requests that succeeded", values, result,
                     "latency", height=540, type="log", rangemode="normal", tickvals=LATENCY_TICKS,
                     ticktext=[_tick(t) for t in LATENCY_TICKS])
    spec["legend"] = {**spec["legend"], "y": -0.12}
    alt = "; ".join(
        f"{MODE_LABELS[m]}: " + ", ".join(
            f"{f} p50 {_ms(result['modes'][m]['features'][f]['p50_ms'])} p99 "
            f"{_ms(result['modes'][m]['features'][f]['p99_ms'])}" for f in bulkhead.FEATURES)
        for m in bulkhead.MODES)
    return Chart("chart-bulkhead-latency", charts.figure(traces, spec), alt)


LATENCY_TICKS = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]


def _tick(ms: float) -> str:
    return f"{ms:g} ms" if ms < 1000 else f"{ms / 1000:g} s"


def _outcome_chart(result: dict, values: dict) -> Chart:
    """Every request's outcome, per mode and feature: the headline in one picture."""
    labels, done, rejected, timed_out = [], [], [], []
    for f in bulkhead.FEATURES:  # the two modes of a feature next to each other
        for mode in bulkhead.MODES:
            s = result["modes"][mode]["features"][f]
            n = s["arrivals"] or 1
            labels.append(f"{f}, {'shared' if mode == 'shared' else 'bulkhead'}")
            done.append(round(100 * s["completed"] / n, 2))
            rejected.append(round(100 * s["rejected"] / n, 2))
            timed_out.append(round(100 * s["timed_out"] / n, 2))
    traces = [charts.bars(vals, labels, name, charts.OUTCOME[colour], orientation="h",
                          hovertemplate="%{y}: %{x:.1f} % " + name + "<extra></extra>")
              for vals, name, colour in ((done, "succeeded", "success"),
                                         (rejected, "rejected (no thread, queue full)", "rejected"),
                                         (timed_out, "gave up in the queue", "failure"))]
    spec = charts.layout("Outcome of every request", x="share of the feature's requests (%)", height=330,
                         barmode="stack", bargap=0.25, legend={"traceorder": "normal"},
                         yaxis={"autorange": "reversed", "type": "category", "rangemode": "normal"},
                         xaxis={"range": [0, 101], "tickvals": [0, 25, 50, 75, 100], "ticksuffix": " %"})
    alt = "; ".join(f"{lab}: {d:.1f} % succeeded, {r:.1f} % rejected, {t:.1f} % gave up"
                    for lab, d, r, t in zip(labels, done, rejected, timed_out))
    return Chart("chart-bulkhead-outcomes", charts.figure(traces, spec), alt)


# ---- truth and sizing -------------------------------------------------------------------------

def _truth(result: dict, values: dict) -> tuple:
    rows = []
    pools = [("isolated", f) for f in bulkhead.FEATURES] + [("shared", "shared")]
    if not result["fault"]["active"]:
        for mode, name in pools:
            rows += _queueing_rows(name, result["modes"][mode]["pools"][name], values)
    for mode, name in pools:
        pool = result["modes"][mode]["pools"][name]
        law = pool.get("littles_law")
        if law:
            rows.append((f"{_pool_name(name)}: Little's law L = λW",
                         f"L = {law['L']:,.3f} requests inside, on average over 0–{law['period_s']:,.0f} s",
                         f"{law['lambda_W']:,.3f} = λ {law['lambda']:,.2f}/s × W {law['W_ms']:,.1f} ms"))
    if result["fault"]["active"]:
        rows.append(("Erlang C: P(wait), mean wait", "not compared",
                     "the formulas assume a steady M/M/c; the fault changes search's service times mid-run. "
                     "Turn it off (slowdown 1×) to compare."))
    return tuple(rows)


def _pool_name(name: str) -> str:
    return "shared pool" if name == "shared" else f"{name} bulkhead"


# The model's reasons a closed form is only approximate, shortened for a table cell.
SHORT_ASSUMPTIONS = {
    "the fault makes search's service times change during the run": "the fault changes service times",
    "service times are lognormal, not exponential": "lognormal service times",
    "features share the pool with different mean service times (a mix of exponentials)":
        "three features' service times mixed",
    "queued requests give up after the queue timeout": "queued requests time out",
}


def _queueing_rows(name: str, pool: dict, values: dict) -> list:
    th = pool.get("theory") or {}
    if "p_wait" not in th or not pool.get("arrivals"):
        return []
    c, a = pool["size"], th["offered_load"]
    label = f"{_pool_name(name)} (c = {c:,}, a = {a:,.1f})"
    note = "" if th["exact"] else (" (approximate: " + ", ".join(SHORT_ASSUMPTIONS.get(a, a)
                                                               for a in th["assumptions_broken"]) + ")")
    model = th["model"]
    if values["queue_limit"] == 0:
        return [(f"{label}: P(rejected)", f"{pool['p_reject']:.4f}",
                 f"{th['p_reject']:.4f} = Erlang B({c:,}, {a:,.1f}), any service-time shape{note}")]
    if not th["stable"]:
        return [(f"{label}: P(wait)", f"{pool['p_wait']:.4f}",
                 f"1 (a ≥ c: the queue grows without bound){note}")]
    if values["queue_limit"] is None:
        formula = f"Erlang C({c:,}, {a:,.1f})"
    else:  # the bounded queue's exact form, and Erlang C for the same pool with no limit, for reference
        erlang = queueing.erlang_c(c, a) if a < c else 1.0
        formula = f"{model}; Erlang C({c:,}, {a:,.1f}) with no queue limit: {erlang:.4f}"
    rows = [(f"{label}: P(wait)", f"{pool['p_wait']:.4f}", f"{th['p_wait']:.4f} = {formula}{note}"),
            (f"{label}: mean wait in queue", _ms(pool["mean_wait_ms"]),
             f"{_ms(th['mean_wait_ms'])} = " + ("C × S / (c − a)" if values["queue_limit"] is None else model))]
    if values["queue_limit"] not in (0, None) and th["p_reject"] >= 1e-4:
        rows.append((f"{label}: P(rejected)", f"{pool['p_reject']:.4f}", f"{th['p_reject']:.4f} = {model}"))
    return rows


def _sizing_extra(result: dict, values: dict) -> dict:
    sizing = result["sizing"]
    suggested = {f"{f}_pool": min(500, max(1, sizing[f]["suggested_threads"])) for f in bulkhead.FEATURES}
    fits = all(sizing[f]["suggested_threads"] <= 500 for f in bulkhead.FEATURES)
    sized = {**values, **suggested}
    rows = [{"feature": f, **sizing[f], "p99": _ms(sizing[f]["p99_ms"]), "colour": FEATURE_COLOURS[f]}
            for f in bulkhead.FEATURES]
    return {
        "rows": rows,
        "room_pct": round(100 * queueing.HYSTRIX_ROOM),
        "dist": values["service_dist"],
        "p99_factor": round(bulkhead.service_quantile(values["service_dist"], 1.0, 0.99), 2),
        "sized_values": sized if fits else None,
        "already_sized": all(values[k] == v for k, v in suggested.items()),
        "total": sum(sizing[f]["suggested_threads"] for f in bulkhead.FEATURES),
    }


PRESETS = (
    Preset("seed", "Slow search, the seed's pools", {},
           "search slows 100× for 20 s; one pool of 350 against bulkheads of 100 / 200 / 50"),
    Preset("good-day", "A good day", {"slow_factor": 1},
           "no fault: every feature succeeds in both modes, and the pools agree with queueing theory"),
    Preset("bigger-pool", "A bigger shared pool", {"shared_size": 1000},
           "1,000 shared threads ride out this 20 s fault for every feature; the bulkheads still sacrifice search"),
    Preset("no-queue", "Reject at once", {"queue_limit": 0},
           "no queue: a request that finds no thread fails in microseconds"),
    Preset("queueing-theory", "Queueing theory (M/M/c)",
           {"slow_factor": 1, "search_pool": 14, "checkout_pool": 13, "profile_pool": 4, "queue_limit": None,
            "queue_timeout_ms": None, "duration_s": 60},
           "small pools, no fault, unbounded queue: each bulkhead is an M/M/c queue, checked against Erlang C"),
    Preset("resilience4j-default", "resilience4j default",
           {"search_pool": 25, "checkout_pool": 25, "profile_pool": 25, "queue_limit": 0},
           "maxConcurrentCalls 25, maxWaitDuration 0: a call that finds no permit fails at once "
           "(resilience4j.readme.io: Bulkhead)"),
)

register(Demo(
    "bulkhead", "Shared pool vs. bulkheads, under the same fault", BULKHEAD_PARAMS, bulkhead.simulate, present,
    summary="Three features share one thread pool, or each gets its own. Search's backend slows down: "
            "who else fails?",
    presets=PRESETS))
