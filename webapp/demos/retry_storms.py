"""Demos of the retry-storms lesson (3): Brooker's jitter experiment, retries multiplying across the
layers of a call chain, and overload that outlives its trigger unless a retry budget stops it.

backoff-contention  -> webapp.sims.contention.contention
retry-amplification -> webapp.sims.amplification.amplification
retry-budget        -> webapp.sims.retry_budget.retry_budget
Limits keep every request under ~100 ms at the defaults and ~1 s at the maxima (bench/demo_times.py).
"""

from __future__ import annotations

import functools
import math

from .. import charts
from ..params import Float, Int, Multi, Seed, params
from ..sims import amplification, contention, retry_budget
from . import Chart, Demo, Preset, Table, View, register

CONTENTION_STRATEGIES = (
    ("none", "No backoff"),
    ("exponential", "Exponential, no jitter"),
    ("full", "Full jitter"),
    ("equal", "Equal jitter"),
    ("decorrelated", "Decorrelated jitter"),
)

BUDGET_STRATEGIES = (
    ("none", "No retries"),
    ("retries", "Retries with backoff"),
    ("bucket", "Token-bucket retry budget"),
    ("throttle", "Adaptive throttling (SRE)"),
    ("breaker", "Retry circuit breaker"),
)

# The two budgets differ only in what earns a token: say so in every label, they are often confused.
AMPLIFICATION_POLICIES = (
    ("none", "No retries"),
    ("every_layer", "Every layer retries"),
    ("top_only", "Only the top layer retries"),
    ("bucket", "Budget earned by successes (token bucket)"),
    ("ratio", "Budget earned by requests (10 % retry ratio)"),
)

BACKOFF_CONTENTION_PARAMS = params(
    # The live run costs about clients**2 (no backoff); 170 clients x 10 runs stays under 300 ms of
    # server time. The precomputed sweep behind it still goes to 200.
    Int("clients", "Clients", 50, 1, 170, unit="clients",
        help="How many clients race to update the same database row; each wants to write it once. "
             "The fixed sweep in the charts goes on to 200."),
    Int("runs", "Runs", 10, 1, 10, unit="runs",
        help="Independent runs averaged for each strategy: more runs, smoother numbers."),
    Multi("strategies", "Strategies", tuple(v for v, _ in CONTENTION_STRATEGIES), CONTENTION_STRATEGIES,
          help="Which backoff strategies to run and draw; all use base 5 ms and cap 2,000 ms."),
    Seed(),
)

RETRY_AMPLIFICATION_PARAMS = params(
    Int("layers", "Layers that retry", 3, 1, 6, unit="layers",
        help="How many services in the call chain sit above the failing dependency."),
    Int("attempts", "Attempts per layer", 4, 1, 10, unit="attempts",
        help="Attempts each layer makes, the first call included: 4 attempts are 3 retries."),
    Float("failure_pct", "Dependency failure rate", 100.0, 0.0, 100.0, step=1, unit="%",
          help="The chance that one call to the bottom dependency fails, independently of the others."),
    Seed(),
)

RETRY_BUDGET_PARAMS = params(
    Int("rate", "Request rate", 85, 10, 150, step=5, unit="req/s",
        help=f"New requests per second from all clients; the server completes "
             f"{retry_budget.CAPACITY:.0f} per second when healthy."),
    Int("drop_pct", "Capacity during the trigger", 50, 10, 100, step=5, unit="%",
        help="The server's capacity while the trigger lasts, as a share of its normal capacity."),
    Int("trigger_s", "Trigger lasts", 5, 0, 20, unit="s",
        help="How long the capacity drop lasts; it starts at the time below (0: no trigger)."),
    Int("trigger_at_s", "Trigger starts at", int(retry_budget.TRIGGER_AT_S), 1, 30, unit="s",
        help="When the capacity drop starts (the run lasts 60 s)."),
    Int("timeout_ms", "Client timeout", 1000, 100, 5000, step=100, unit="ms",
        help="Each attempt is abandoned after this long; the server still does its work, wasted."),
    Int("attempts", "Attempts per request", 4, 1, 6, unit="attempts",
        help="Attempts a client may make for one request, the first included: 4 attempts are 3 retries."),
    Int("window_s", "Throttle and breaker window", retry_budget.DEFAULT_WINDOW_S, 1, 30, unit="s",
        help="How far back the adaptive throttle and the retry breaker look when they count "
             "successes and failures."),
    Multi("strategies", "Strategies", tuple(v for v, _ in BUDGET_STRATEGIES), BUDGET_STRATEGIES,
          help="Which client behaviours to run on the same traffic and draw."),
    Seed(),
)

# One colour per strategy, the same whichever subset is drawn: the baseline grey, the naive
# strategy vermillion, the rest from the Okabe-Ito series.
GREY, RED, BLUE, PINK, GREEN = charts.SERIES[6], charts.SERIES[4], charts.SERIES[0], charts.SERIES[1], charts.SERIES[3]
CONTENTION_COLOUR = {"none": GREY, "exponential": RED, "full": BLUE, "equal": PINK, "decorrelated": GREEN}
BUDGET_COLOUR = {"none": GREY, "retries": RED, "bucket": BLUE, "throttle": PINK, "breaker": GREEN}
POLICY_COLOUR = {"none": GREY, "every_layer": RED, "top_only": BLUE, "bucket": GREEN, "ratio": PINK}
# Grid lines of the small multiples: app.js themes only the first two axes, so the rest carry a
# neutral translucent grey that reads on both themes.
FAINT_GRID = "rgba(128,128,128,0.22)"


def _secs(ms: float) -> str:
    """A duration for people: '240 ms', '3.0 s', '37.4 s', '1 min 44 s'."""
    if ms < 1000:
        return f"{ms:,.0f} ms"
    if ms < 100_000:
        return f"{ms / 1000:.1f} s"
    return f"{ms / 1000:,.0f} s"


def _count(x: float) -> str:
    """Attempts or calls: whole numbers as such, small fractions to 2 decimals, big ones rounded."""
    if float(x).is_integer():
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _pct(x: float) -> str:
    if x in (0, 100) or float(x).is_integer():
        return f"{x:.0f} %"
    if 99 < x < 100:
        return f"{x:.2f} %"
    return f"{x:.1f} %"


# ---- backoff-contention --------------------------------------------------------------------------

def present_contention(result: dict, values: dict) -> View:
    labels = dict(CONTENTION_STRATEGIES)
    s = result["strategies"]
    names = list(s)
    fewest = min(names, key=lambda n: s[n]["calls"])
    most = max(names, key=lambda n: s[n]["calls"])
    fastest = min(names, key=lambda n: s[n]["time"])
    slowest = max(names, key=lambda n: s[n]["time"])
    n, runs = result["clients"], result["runs"]
    where = f"At {n:,} client{'s' if n != 1 else ''} ({runs} run{'s' if runs != 1 else ''})"
    jittered = [x for x in ("full", "equal", "decorrelated") if x in s]
    if "exponential" in s and jittered and n > 1:
        best = min(jittered, key=lambda x: s[x]["calls"])
        e, b = s["exponential"], s[best]
        verdict = (f"{where}, exponential backoff without jitter makes {_count(e['calls'])} calls and takes "
                   f"{_secs(e['time'])}; {labels[best].lower()} makes {_count(b['calls'])} calls in "
                   f"{_secs(b['time'])}: {_ratio(e['time'], b['time'])} faster with "
                   f"{100 * (1 - b['calls'] / e['calls']):.0f} % less work.")
    elif n == 1:
        verdict = (f"A lone client never collides: 1 call in about {_secs(4 * result['hop_ms'])} (4 one-way "
                   f"messages of {result['hop_ms']:.0f} ms) with every strategy.")
    elif len(names) == 1:
        only = s[names[0]]
        verdict = (f"{where}, {labels[names[0]].lower()} makes {_count(only['calls'])} calls "
                   f"({_count(only['failed'])} failed writes) and takes {_secs(only['time'])}.")
    else:
        verdict = (f"{where}, {labels[fewest].lower()} does the least work ({_count(s[fewest]['calls'])} calls) "
                   f"and {labels[fastest].lower()} finishes first ({_secs(s[fastest]['time'])}).")
    stats = (
        (f"Fewest calls: {labels[fewest]}", _count(s[fewest]["calls"])),
        (f"Most calls: {labels[most]}", _count(s[most]["calls"])),
        (f"Fastest: {labels[fastest]}", _secs(s[fastest]["time"])),
        (f"Slowest: {labels[slowest]}", _secs(s[slowest]["time"])),
    )
    rows = tuple((name, labels[name], st["calls"], st["failed"], round(st["calls"] / n, 2), st["time"],
                  st["time_max"], st["slept"]) for name, st in s.items())
    table = Table(("strategy", "label", "calls", "failed_writes", "calls_per_client", "time_ms",
                   "time_max_ms", "slept_ms"), rows,
                  f"{n:,} clients, means over {runs} run{'s' if runs != 1 else ''} (seed {values['seed']}); "
                  f"slept_ms is the backoff of all clients together per run.")
    return View(verdict=verdict, stats=stats, table=table,
                charts=(_sweep_chart(result, "calls"), _sweep_chart(result, "time"), _writes_chart(result)),
                truth=_contention_truth(result))


def _ratio(a: float, b: float) -> str:
    r = a / b if b else float("inf")
    return f"{r:.0f}×" if r >= 10 else f"{r:.1f}×"


def _sweep_chart(result: dict, what: str) -> Chart:
    """Calls or completion time against clients: the stored sweep as lines, this run as diamonds."""
    labels = dict(CONTENTION_STRATEGIES)
    sweep = result["sweep"]
    scale = 1 if what == "calls" else 1 / 1000  # time in seconds
    traces = []
    for name, series in sweep["strategies"].items():
        traces.append(charts.line(sweep["clients"], [v * scale for v in series[what]], labels[name],
                                  CONTENTION_COLOUR[name], width=2, mode="lines+markers",
                                  marker={"size": 5, "color": CONTENTION_COLOUR[name]},
                                  hovertemplate=("%{x} clients: %{y:,.0f} calls" if what == "calls" else
                                                 "%{x} clients: %{y:,.2f} s") + f"<extra>{labels[name]}</extra>"))
    names = list(result["strategies"])
    mine = charts.markers([result["clients"]] * len(names),
                          [result["strategies"][n][what] * scale for n in names],
                          f"your run ({result['clients']} clients)", GREY, symbol="diamond", size=13,
                          customdata=[labels[n] for n in names],
                          hovertemplate=("%{customdata}: %{y:,.1f} calls" if what == "calls" else
                                         "%{customdata}: %{y:,.2f} s") + "<extra>your run</extra>")
    mine["marker"]["color"] = [CONTENTION_COLOUR[n] for n in names]
    traces.append(mine)
    fixed = f"lines: fixed sweep ({sweep['runs']} runs, seed {sweep['seed']}) · ◆ your run"
    if what == "calls":
        title, y, yaxis = "Work: writes reaching the database", "calls (writes)", {}
    else:
        title, y = "Completion time: last write acknowledged", "seconds (log scale)"
        yaxis = {"type": "log", "rangemode": "normal"}
    spec = charts.layout(f"{title}<br><sup>{fixed}</sup>", x="clients", y=y, height=340,
                         margin={"t": 64}, yaxis=yaxis,
                         shapes=[charts.vline(result["clients"], charts.NEUTRAL, dash="dot")])
    at = result["clients"]
    alt = (f"{title}, against the number of clients from {sweep['clients'][0]} to {sweep['clients'][-1]}. "
           f"At 200 clients: " + "; ".join(
               f"{labels[n]} {_count(v[what][-1]) if what == 'calls' else _secs(v[what][-1])}"
               for n, v in sweep["strategies"].items())
           + f". Your run at {at} clients: " + "; ".join(
               f"{labels[n]} {_count(result['strategies'][n][what]) if what == 'calls' else _secs(result['strategies'][n][what])}"
               for n in names) + ".")
    return Chart(f"chart-backoff-contention-{what}", charts.figure(traces, spec), alt)


def _writes_chart(result: dict) -> Chart:
    """When the writes reach the database, one small panel per strategy, each on its own time axis."""
    labels = dict(CONTENTION_STRATEGIES)
    names = list(result["write_times"])
    k = len(names)
    panel, gap = 105, 52  # px: a panel's plot area, and the room under it for ticks and the next title
    plot_h = k * panel + (k - 1) * gap
    height = plot_h + 64 + 56
    traces, annotations, spec_axes = [], [], {}
    for i, name in enumerate(names):
        hist = result["write_times"][name]
        width = hist["bin_ms"]
        per_s = [round(c * 1000 / width, 1) for c in hist["counts"]]
        suffix = "" if i == 0 else str(i + 1)
        traces.append(charts.bars([j * width / 1000 for j in range(len(per_s))], per_s, labels[name],
                                  CONTENTION_COLOUR[name], width=width / 1000, offset=0,
                                  xaxis=f"x{suffix}", yaxis=f"y{suffix}", showlegend=False,
                                  hovertemplate="%{x:.2f} s: %{y:,.0f} writes/s (bins of " + _secs(width)
                                                + ")<extra>" + labels[name] + "</extra>"))
        top = round(1 - i * (panel + gap) / plot_h, 4)
        bottom = round(top - panel / plot_h, 4)
        spec_axes[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "showgrid": False, "zeroline": False,
                                       "title": {"text": "seconds since the start" if i == k - 1 else ""},
                                       "automargin": True, "rangemode": "tozero"}
        spec_axes[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "domain": [bottom, top], "rangemode": "tozero",
                                       "gridcolor": FAINT_GRID, "zeroline": False, "nticks": 3,
                                       "automargin": True}
        st = result["strategies"][name]
        annotations.append({"text": f"<b>{labels[name]}</b> · {_count(st['calls'])} writes · done at "
                                    f"{_secs(st['time'])}",
                            "xref": "paper", "yref": "paper", "x": 0, "y": top, "xanchor": "left",
                            "yanchor": "bottom", "showarrow": False, "font": {"size": 12}})
    spec = charts.layout(f"Writes over time, {result['clients']:,} client{'s' if result['clients'] != 1 else ''}"
                         "<br><sup>writes per second; each panel has its own time axis</sup>",
                         height=height, margin={"t": 64, "b": 56}, annotations=annotations, **spec_axes)
    alt = "; ".join(_shape_words(name, result) for name in names)
    return Chart("chart-backoff-contention-writes", charts.figure(traces, spec),
                 f"Histogram of write times per strategy. {alt}.")


def _shape_words(name: str, result: dict) -> str:
    """A sentence about one histogram: its peak rate and how much of the time is empty."""
    hist = result["write_times"][name]
    counts = hist["counts"]
    peak = max(counts) * 1000 / hist["bin_ms"] if counts else 0
    empty = sum(1 for c in counts if c == 0) / max(1, len(counts))
    return (f"{dict(CONTENTION_STRATEGIES)[name]}: peak {peak:,.0f} writes per second, "
            f"{100 * empty:.0f} % of the {_secs(hist['bin_ms'])} bins empty")


def _contention_truth(result: dict) -> tuple:
    """The one closed form (a lone client), and Brooker's published findings checked on this run."""
    s, labels = result["strategies"], dict(CONTENTION_STRATEGIES)
    rows = []
    if result["clients"] == 1:
        for name, st in s.items():
            rows.append((f"one client, {labels[name].lower()}", f"{_count(st['calls'])} call, {_secs(st['time'])}",
                         f"1 call, 4 hops × {result['hop_ms']:.0f} ms = {4 * result['hop_ms']:.0f} ms "
                         "(no one to collide with)"))
        return tuple(rows)

    def mark(ok: bool) -> str:
        return "✓" if ok else "✗ not at this size"

    others = [n for n in s if n != "exponential"]
    if "exponential" in s and others:
        e = s["exponential"]["time"]
        worst_other = max(s[n]["time"] for n in others)
        rows.append(("exponential without jitter: slowest by far",
                     f"{_secs(e)} against at most {_secs(worst_other)} {mark(e > 2 * worst_other)}",
                     "published: “the clear loser”, more work and more time than the jittered "
                     "strategies (Brooker 2015)"))
    if "exponential" in s and any(n in s for n in ("full", "equal", "decorrelated")):
        jit = [n for n in ("full", "equal", "decorrelated") if n in s]
        e = s["exponential"]["calls"]
        most = max(s[n]["calls"] for n in jit)
        rows.append(("jitter: less work than no jitter",
                     f"at most {_count(most)} against {_count(e)} calls {mark(most < e)}",
                     "published: jittered backoff cuts the calls sharply (Brooker 2015)"))
    if "full" in s and "equal" in s:
        f, q = s["full"], s["equal"]
        rows.append(("equal against full jitter",
                     f"{_count(q['calls'])} vs {_count(f['calls'])} calls, {_secs(q['time'])} vs "
                     f"{_secs(f['time'])} {mark(q['calls'] >= f['calls'] and q['time'] > f['time'])}",
                     "published: slightly more work and much longer (Brooker 2015)"))
    if "full" in s and "decorrelated" in s:
        f, d = s["full"], s["decorrelated"]
        rows.append(("full against decorrelated jitter",
                     f"{_count(f['calls'])} vs {_count(d['calls'])} calls, {_secs(f['time'])} vs "
                     f"{_secs(d['time'])} {mark(f['calls'] < d['calls'] and f['time'] > d['time'])}",
                     "published: full jitter does less work, decorrelated finishes a little sooner "
                     "(Brooker 2015)"))
    return tuple(rows)


# ---- retry-amplification -------------------------------------------------------------------------

def present_amplification(result: dict, values: dict) -> View:
    L, A, pct = result["layers"], result["attempts"], result["failure_pct"]
    pol = result["policies"]
    every, top, ratio, bucket = pol["every_layer"], pol["top_only"], pol["ratio"], pol["bucket"]
    labels = dict(AMPLIFICATION_POLICIES)
    retries = A - 1
    head = (f"{L} layer{'s' if L != 1 else ''} of {A} attempt{'s' if A != 1 else ''} "
            f"({retries} retr{'ies' if retries != 1 else 'y'} each)")
    if L == 1 and pct >= 100:
        verdict = (f"One layer making {A} attempt{'s' if A != 1 else ''} sends {_count(every['expected'])} to the "
                   f"dependency while it is down: {retries} retr{'ies' if retries != 1 else 'y'} are {A} "
                   f"attempt{'s' if A != 1 else ''}. Add layers to see them multiply.")
    elif pct >= 100:
        verdict = (f"{head} send {_count(every['expected'])} attempts = {A}^{L} to the dependency for one user "
                   f"request while it is down; retrying only at the top sends {_count(top['expected'])}, "
                   f"and the request-funded budget {_count(ratio['expected'])}.")
    else:
        verdict = (f"At {_pct(pct)} failure, {head} send "
                   f"{_count(every['expected'])} attempts on average (worst case {_count(every['worst'])}) and "
                   f"succeed {_pct(every['success_pct'])} of the time; only the top: "
                   f"{_count(top['expected'])} attempts, {_pct(top['success_pct'])}.")
    stats = (
        ("Worst case, every layer", f"{_count(every['worst'])} = {A}^{L}"),
        ("Expected, every layer", f"{_count(every['expected'])} (sim {_count(every['simulated']['bottom_attempts'])})"),
        ("Only the top retries", f"{_count(top['expected'])}"),
        ("Budgets: successes / requests", f"{_count(bucket['simulated']['bottom_attempts'])} / "
                                          f"{_count(ratio['simulated']['bottom_attempts'])}"),
    )
    rows = tuple((name, labels[name], p["worst"], p["expected"], p["simulated"]["bottom_attempts"],
                  p["simulated"]["stderr"], p["success_pct"], p["simulated"]["success_pct"],
                  p["simulated"]["retries_per_100"], p["simulated"]["requests"],
                  "exact" if p["exact"] else "steady state")
                 for name, p in pol.items())
    table = Table(("policy", "label", "attempts_worst", "attempts_formula", "attempts_simulated",
                   "attempts_stderr", "success_pct_formula", "success_pct_simulated",
                   "retries_per_100_calls", "requests_simulated", "formula_kind"), rows,
                  "Attempts reaching the dependency per user request, and end-to-end success, per policy.")
    return View(verdict=verdict, stats=stats, table=table,
                charts=(_attempts_chart(result), _curves_chart(result)),
                truth=_amplification_truth(result),
                extra_template="demo/retry_storms/fanout.html", extra={"fanout": _fanout(result)})


def _attempts_chart(result: dict) -> Chart:
    labels = dict(AMPLIFICATION_POLICIES)
    pol = result["policies"]
    names = list(pol)
    short = {"none": "no<br>retries", "every_layer": "every<br>layer", "top_only": "top<br>only",
             "bucket": "budget:<br>successes", "ratio": "budget:<br>requests"}
    formula = [pol[n]["expected"] for n in names]
    x = [f"{short[n]}<br><b>{_count(f)}</b>" for n, f in zip(names, formula)]
    sim = [pol[n]["simulated"]["bottom_attempts"] for n in names]
    traces = [
        charts.bars(x, formula, "closed form", charts.NEUTRAL, opacity=0.35,
                    marker={"color": [POLICY_COLOUR[n] for n in names]},
                    customdata=[labels[n] for n in names],
                    hovertemplate="%{customdata}: %{y:,.3f} attempts (formula)<extra></extra>"),
        charts.markers(x, sim, "simulated (1,000 requests)", charts.NEUTRAL, symbol="diamond", size=12,
                       customdata=[labels[n] for n in names],
                       error_y={"type": "data", "array": [2 * (pol[n]["simulated"]["stderr"] or 0) for n in names],
                                "visible": True, "color": charts.NEUTRAL},
                       hovertemplate="%{customdata}: %{y:,.3f} attempts (simulated)<extra></extra>"),
    ]
    top = max(max(formula), max(sim), 1)
    spec = charts.layout("Attempts at the dependency per request",
                         y="attempts (log scale)", height=350, xaxis={"tickangle": 0, "tickfont": {"size": 11}},
                         yaxis={"type": "log", "rangemode": "normal", "dtick": 1,
                                "range": [math.log10(0.6), math.log10(top * 3)]},
                         legend={"y": -0.34})
    alt = "; ".join(f"{labels[n]}: {_count(pol[n]['expected'])} by the formula, "
                    f"{_count(pol[n]['simulated']['bottom_attempts'])} simulated" for n in names)
    return Chart("chart-retry-amplification", charts.figure(traces, spec), alt + ".")


CURVE_STEPS = 50  # closed forms drawn at every 2 % of failure


@functools.lru_cache(maxsize=128)
def _closed_form_curves(layers: int, attempts: int) -> tuple:
    """(failure rates in %, closed forms at each): they depend on the chain alone, so every seed and
    failure rate of a chain shares them, and they are worked out once (~1 ms) per chain."""
    xs = tuple(100 * i / CURVE_STEPS for i in range(CURVE_STEPS + 1))
    return xs, tuple(amplification.closed_form(layers, attempts, x / 100) for x in xs)


def _curves_chart(result: dict) -> Chart:
    """The closed forms across every failure rate, with this run's simulation as diamonds."""
    labels = dict(AMPLIFICATION_POLICIES)
    L, A, pct = result["layers"], result["attempts"], result["failure_pct"]
    xs, forms = _closed_form_curves(L, A)
    traces = []
    for name in result["policies"]:
        colour = POLICY_COLOUR[name]
        traces.append(charts.line(xs, [round(f[name]["expected"], 4) for f in forms], labels[name], colour,
                                  legendgroup=name,
                                  hovertemplate="%{x}% failure: %{y:,.2f} attempts<extra>" + labels[name] + "</extra>"))
        traces.append(charts.line(xs, [round(100 * f[name]["success"], 3) for f in forms], labels[name], colour,
                                  legendgroup=name, showlegend=False, xaxis="x2", yaxis="y2",
                                  hovertemplate="%{x}% failure: %{y:.1f} % succeed<extra>" + labels[name] + "</extra>"))
    pol = result["policies"]
    names = list(pol)
    sim_cost = charts.markers([pct] * len(names), [pol[n]["simulated"]["bottom_attempts"] for n in names],
                              f"simulated at {_pct(pct)}", charts.NEUTRAL, symbol="diamond", size=11,
                              customdata=[labels[n] for n in names],
                              hovertemplate="%{customdata}: %{y:,.3f} attempts (simulated)<extra></extra>")
    sim_cost["marker"]["color"] = [POLICY_COLOUR[n] for n in names]
    sim_ok = charts.markers([pct] * len(names), [pol[n]["simulated"]["success_pct"] for n in names],
                            "simulated", charts.NEUTRAL, symbol="diamond", size=11, showlegend=False,
                            xaxis="x2", yaxis="y2", customdata=[labels[n] for n in names],
                            hovertemplate="%{customdata}: %{y:.1f} % succeed (simulated)<extra></extra>")
    sim_ok["marker"]["color"] = [POLICY_COLOUR[n] for n in names]
    traces += [sim_cost, sim_ok]
    top = max(max(f["every_layer"]["expected"] for f in forms), 1)
    marker = {"type": "line", "xref": "x", "yref": "paper", "x0": pct, "x1": pct, "y0": 0, "y1": 1,
              "line": {"color": charts.NEUTRAL, "width": 1.5, "dash": "dot"}}
    spec = charts.layout("Across failure rates: load and success"
                         "<br><sup>lines: closed forms · ◆ this run's simulation</sup>",
                         height=560, margin={"t": 64, "b": 150},
                         xaxis={"anchor": "y", "domain": [0, 1], "range": [0, 100], "title": {"text": ""},
                                "showticklabels": False, "matches": "x2"},
                         yaxis={"domain": [0.56, 1], "type": "log", "rangemode": "normal", "dtick": 1,
                                "range": [-0.05, math.log10(top * 1.5)], "title": {"text": "attempts (log)"}},
                         xaxis2={"anchor": "y2", "range": [0, 100], "title": {"text": "dependency failure rate (%)"},
                                 "automargin": True, "zeroline": False},
                         yaxis2={"anchor": "x2", "domain": [0, 0.46], "range": [-3, 103],
                                 "title": {"text": "succeed (%)"}, "automargin": True, "zeroline": False},
                         shapes=[marker], legend={"y": -0.24})
    alt = (f"Closed forms from 0 to 100 % failure for {L} layers of {A} attempts: every layer retries rises to "
           f"{_count(forms[-1]['every_layer']['expected'])} attempts at 100 %; only the top to "
           f"{_count(forms[-1]['top_only']['expected'])}; the request-funded budget stays under "
           f"{_count(max(f['ratio']['expected'] for f in forms) + 0.005)}. At {_pct(pct)}: " +
           "; ".join(f"{labels[n]} {_pct(pol[n]['success_pct'])} succeed" for n in names) + ".")
    return Chart("chart-retry-amplification-curves", charts.figure(traces, spec), alt)


def _amplification_truth(result: dict) -> tuple:
    L, A, pct = result["layers"], result["attempts"], result["failure_pct"]
    pol = result["policies"]
    every, top, ratio, bucket = pol["every_layer"], pol["top_only"], pol["ratio"], pol["bucket"]
    p = pct / 100
    rows = [
        ("attempts at the bottom, every layer (dependency down)", f"{_count(every['worst'])}",
         f"{_count(A ** L)} = A^L = {A}^{L}"),
    ]
    if pct < 100:
        rows.append(("expected attempts, every layer", f"{_count(every['simulated']['bottom_attempts'])}",
                     f"{_count(every['expected'])} = ∏ (1 − q^A)/(1 − q) over the layers, q = p, p^A, p^(A²)…"))
    rows += [
        ("end-to-end success, every layer", _pct(every["simulated"]["success_pct"]),
         f"{_pct(every['success_pct'])} = 1 − p^(A^L)"),
        ("attempts, only the top retries", _count(top["simulated"]["bottom_attempts"]),
         f"{_count(top['expected'])} = " + ("A" if pct >= 100 else "(1 − p^A)/(1 − p)")),
        ("end-to-end success, only the top", _pct(top["simulated"]["success_pct"]),
         f"{_pct(top['success_pct'])} = 1 − p^A"),
    ]
    if A > 1:
        if p >= 1:
            rows.append(("budget earned by requests: retries per 100 calls",
                         _count(ratio["simulated"]["retries_per_100"]),
                         "10 = 0.1 token per request, 1 per retry (plus the full bucket at the start)"))
            sim = bucket["simulated"]
            rows.append(("budget earned by successes: retries in the run",
                         f"{sim['retries']:,} in {sim['requests']:,} requests",
                         f"≤ {L * amplification.BUDGET_CAPACITY:.0f} = {L} layers × "
                         f"{amplification.BUDGET_CAPACITY:.0f} starting tokens; then 0: nothing succeeds, "
                         "nothing is earned"))
        else:
            rows.append(("attempts, budget earned by requests", _count(ratio["simulated"]["bottom_attempts"]),
                         f"{_count(ratio['expected'])} (steady state; ≤ 1.1 per layer = {_count(1.1 ** L)})"))
            rows.append(("attempts, budget earned by successes", _count(bucket["simulated"]["bottom_attempts"]),
                         f"{_count(bucket['expected'])} (steady state: retries ≤ 0.1 × successes)"))
    return tuple(rows)


TREE_WIDTH = 640
TREE_LABEL_W = 120
TREE_COUNT_W = 120
TREE_ROW_H = 48
TREE_MAX_NODES = 128  # a level with more calls than this is drawn as a band with its count


def _fanout(result: dict) -> dict:
    """The worst case as a tree: every call a dot, each layer's attempts fanning out below it."""
    L, A = result["layers"], result["attempts"]
    every = result["policies"]["every_layer"]
    x0, x1 = TREE_LABEL_W, TREE_WIDTH - TREE_COUNT_W
    rows, edges = [], []
    prev = None  # x positions of the level above, while drawn as dots
    for level in range(L + 1):
        n = A ** level
        name = "dependency" if level == L else (f"layer {L - level}" + (" (top)" if level == 0 else ""))
        y = 44 + level * TREE_ROW_H
        row = {"y": y, "name": name, "count": n, "expected": every["levels"][level], "dots": [], "band": None,
               "into": "calls into" if level < L else "attempts at"}
        if n <= TREE_MAX_NODES:
            span = (x1 - x0) / n
            xs = [round(x0 + (i + 0.5) * span, 1) for i in range(n)]
            r = round(max(1.6, min(7.0, span * 0.36)), 1)
            row["dots"] = [(x, r) for x in xs]
            if prev is not None:
                edges += [(prev[i // A], y - TREE_ROW_H, x, y) for i, x in enumerate(xs)]
            prev = xs
        else:
            row["band"] = {"x": x0, "w": x1 - x0, "y": y - 8, "h": 16}
            if prev is not None:
                edges += [(px, y - TREE_ROW_H, px, y - 8) for px in prev]
            prev = None
        rows.append(row)
    return {"width": TREE_WIDTH, "height": 44 + L * TREE_ROW_H + 24, "header_y": 14, "rows": rows, "edges": edges,
            "label_x": 8, "count_x": TREE_WIDTH - 8, "attempts": A, "layers": L,
            "failure_pct": result["failure_pct"],
            "alt": ("Call tree when the dependency is down: " +
                    ", ".join(f"{r['count']:,} {r['into']} {r['name']}" for r in rows) + ".")}


# ---- retry-budget --------------------------------------------------------------------------------

BUDGET_SHORT = {"none": "no retries", "retries": "plain retries", "bucket": "token bucket",
                "throttle": "adaptive throttling", "breaker": "retry breaker"}


def present_budget(result: dict, values: dict) -> View:
    labels = dict(BUDGET_STRATEGIES)
    s = result["strategies"]
    trig = result["trigger"]
    end = trig["end_ms"]
    if values["rate"] >= result["capacity"]:
        verdict = (f"At {values['rate']} req/s the server is overloaded from the start, trigger or not: it "
                   f"completes {result['capacity']:.0f}/s. Goodput after the trigger: " + ", ".join(
                       f"{BUDGET_SHORT[n]} {st['goodput']:g}/s" for n, st in s.items()) + ".")
    elif end <= trig["start_ms"]:
        goodputs = {st["goodput"] for st in s.values()}
        same = "the same goodput" if len(goodputs) == 1 else "goodputs of " + ", ".join(
            f"{v:g}" for v in sorted(goodputs))
        verdict = (f"No trigger: at {values['rate']} req/s against a capacity of {result['capacity']:.0f}/s, "
                   f"every strategy has {same}, {max(goodputs):g} answers per second in time.")
    else:
        served = sorted((n for n in s if s[n]["recovered_at_ms"] is not None), key=lambda n: s[n]["recovered_at_ms"])
        parts = []
        if served:
            parts.append("clients served again: " + ", ".join(
                f"{BUDGET_SHORT[n]} {_t(s[n]['recovered_at_ms'])}" +
                (f" (server {_t(s[n]['server_recovered_at_ms'])})"
                 if s[n]["server_recovered_at_ms"] is not None
                 and s[n]["server_recovered_at_ms"] + 1500 < s[n]["recovered_at_ms"] else "")
                for n in served))
        for n in s:
            st = s[n]
            if st["outcome"] == "overloaded":
                parts.append(f"{BUDGET_SHORT[n]} never recover ({st['offered']:,.0f} attempts/s offered to a "
                             f"server that completes {result['capacity']:.0f}, {st['goodput']:g} answered in time)")
            elif st["outcome"] == "clients lagging":
                parts.append(f"{BUDGET_SHORT[n]}: server healthy at {_t(st['server_recovered_at_ms'])}, "
                             "clients still throttling themselves at the end")
        verdict = f"The capacity drop ends at {_t(end)}; " + "; ".join(parts) + "."
    if end <= trig["start_ms"]:
        stats = tuple((labels[name], f"{st['goodput']:g} answers/s") for name, st in s.items())
    else:
        stats = tuple((labels[name], _recovery_short(st)) for name, st in s.items())
    rows = tuple((name, labels[name], st["outcome"], _s_or_none(st["recovered_at_ms"]),
                  _s_or_none(st["server_recovered_at_ms"]), st["offered"], st["goodput"], st["retries"],
                  st["suppressed"], st["wasted"], st["success_pct"])
                 for name, st in s.items())
    table = Table(("strategy", "label", "outcome", "served_again_at_s", "server_healthy_at_s",
                   "offered_after_trigger_per_s", "goodput_after_trigger_per_s", "retries_sent",
                   "attempts_held_back", "wasted_completions", "success_pct"), rows,
                  "Per strategy, on the same first tries. Rates are averages from the end of the trigger to the "
                  "end of the run; “served again” is when ≥ 95 % of new requests succeed from then on.")
    return View(verdict=verdict, stats=stats, table=table,
                charts=(_budget_offered_chart(result), _budget_series_chart(result, "goodput", values),
                        _budget_series_chart(result, "queue", values)),
                truth=_budget_truth(result, values))


def _t(ms: float) -> str:
    """A time in the run: whole seconds as '20 s'."""
    x = ms / 1000
    return f"{x:.0f} s" if float(x).is_integer() else f"{x:.1f} s"


def _s_or_none(ms):
    return None if ms is None else round(ms / 1000, 1)


def _recovery_short(st: dict) -> str:
    if st["outcome"] == "overloaded":
        return "never recovers"
    if st["outcome"] == "clients lagging":
        return f"server {_t(st['server_recovered_at_ms'])}, clients never"
    at, server = st["recovered_at_ms"], st["server_recovered_at_ms"]
    if server is not None and server + 1500 < at:
        return f"served at {_t(at)} (server {_t(server)})"
    return f"served at {_t(at)}"


def _step(trace: dict) -> dict:
    """A line drawn as steps: each bin's value holds until the next bin starts."""
    trace["line"]["shape"] = "hv"
    return trace


def _trigger_shapes(result: dict) -> list:
    trig = result["trigger"]
    if trig["end_ms"] <= trig["start_ms"]:
        return []
    return [charts.vband(trig["start_ms"] / 1000, trig["end_ms"] / 1000, charts.OUTCOME["failure"], 0.1,
                         f"trigger: capacity {trig['capacity']:g}/s")]


def _budget_offered_chart(result: dict) -> Chart:
    labels = dict(BUDGET_STRATEGIES)
    t = [x / 1000 for x in result["t_ms"]]
    traces = []
    trig = result["trigger"]
    cap = [trig["capacity"] if trig["start_ms"] <= x < trig["end_ms"] else result["capacity"] for x in result["t_ms"]]
    traces.append(_step(charts.line(t + [t[-1] + result["bin_ms"] / 1000], cap + [cap[-1]], "server capacity",
                                    charts.NEUTRAL, dash="dot", width=2,
                                    hovertemplate="%{x} s: capacity %{y}/s<extra></extra>")))
    for name, st in result["strategies"].items():
        series = st["series"]
        offered = [round(a + b, 1) for a, b in zip(series["first_tries"], series["retries"])]
        traces.append(_step(charts.line(
            t, offered, labels[name], BUDGET_COLOUR[name],
            customdata=[list(c) for c in zip(series["first_tries"], series["retries"], series["suppressed"])],
            hovertemplate="%{x} s: %{y:,} sent = %{customdata[0]:,} first tries + "
                          "%{customdata[1]:,} retries; %{customdata[2]:,} held back"
                          f"<extra>{labels[name]}</extra>")))
    spec = charts.layout("Offered load: first tries + retries",
                         x="seconds", y="attempts/s", height=330, shapes=_trigger_shapes(result))
    alt = "; ".join(f"{labels[n]}: {st['offered']:g} attempts/s offered after the trigger"
                    for n, st in result["strategies"].items())
    return Chart("chart-retry-budget-offered", charts.figure(traces, spec),
                 f"Offered load per second. Capacity {result['capacity']:.0f}/s. {alt}.")


def _budget_series_chart(result: dict, what: str, values: dict) -> Chart:
    labels = dict(BUDGET_STRATEGIES)
    t = [x / 1000 for x in result["t_ms"]]
    traces = []
    shapes = _trigger_shapes(result)
    if what == "goodput":
        traces.append(_step(charts.line(t, result["demand"], "new requests", charts.NEUTRAL, dash="dot",
                                        width=1.5, hovertemplate="%{x} s: %{y:,} new requests<extra></extra>")))
    for name, st in result["strategies"].items():
        y = st["series"][what]
        trace = charts.line(t, y, labels[name], BUDGET_COLOUR[name],
                            hovertemplate="%{x} s: %{y:,}" + (" answered in time" if what == "goodput" else
                                                              " requests at the server")
                                          + f"<extra>{labels[name]}</extra>")
        traces.append(_step(trace) if what == "goodput" else trace)
    if what == "goodput":
        spec = charts.layout("Goodput: answers in time<br><sup>answers that reach a client still waiting</sup>",
                             margin={"t": 60}, x="seconds",
                             y="answers/s", height=330, shapes=shapes)
        alt = "; ".join(f"{labels[n]}: {st['goodput']:g}/s after the trigger" for n, st in result["strategies"].items())
        return Chart("chart-retry-budget-goodput", charts.figure(traces, spec), f"Goodput per second. {alt}.")
    # Queue: log scale, or the naive retries' backlog flattens everyone else's to a line at zero.
    # An empty queue (0) has no place on a log axis and shows as a gap.
    one_timeout = result["capacity"] * values["timeout_ms"] / 1000
    shapes = shapes + [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": one_timeout,
                        "y1": one_timeout, "line": {"color": charts.OUTCOME["failure"], "width": 1.5, "dash": "dash"},
                        "label": {"text": "one timeout of work: attempts behind this line time out",
                                  "textposition": "end", "font": {"size": 11}}}]
    spec = charts.layout("Queue at the server (log scale)", x="seconds", y="requests at the server",
                         height=330, shapes=shapes, yaxis={"type": "log", "rangemode": "normal"})
    alt = "; ".join(f"{labels[n]}: {st['series']['queue'][-1]:,} at the end, peak {max(st['series']['queue']):,}"
                    for n, st in result["strategies"].items())
    return Chart("chart-retry-budget-queue", charts.figure(traces, spec), f"Requests at the server. {alt}.")


def _budget_truth(result: dict, values: dict) -> tuple:
    s = result["strategies"]
    rows = []
    trig = result["trigger"]
    rate, cap, timeout = values["rate"], result["capacity"], values["timeout_ms"]
    if trig["end_ms"] <= trig["start_ms"]:
        goodputs = {st["goodput"] for st in s.values()}
        rows.append(("goodput without a trigger", ", ".join(f"{g:g}" for g in sorted(goodputs)) + " req/s",
                     "the same for every strategy: nothing fails, nothing is retried"))
    if "none" in s and trig["end_ms"] > trig["start_ms"]:
        fluid = result["fluid_recovered_at_ms"]
        backlog = max(0.0, (rate - trig["capacity"]) * values["trigger_s"])
        answerable = cap * timeout / 1000  # work the server clears within one timeout
        got = s["none"]["recovered_at_ms"]
        if fluid is None:
            form = f"never: {rate} req/s is more than the server completes ({cap:.0f}/s)"
        elif backlog <= answerable:
            form = (f"{_t(fluid)}: the backlog ({backlog:,.0f}) never exceeds what the server clears in one "
                    f"timeout ({answerable:,.0f})")
        else:
            form = (f"{_t(fluid)} = {_t(trig['end_ms'])} + (backlog {backlog:,.0f} − {answerable:,.0f} cleared "
                    f"within one timeout) / spare capacity {cap - rate:g}/s")
        rows.append(("no retries: served again at", "never" if got is None else _t(got), form))
    if "retries" in s and s["retries"]["outcome"] == "overloaded" and values["attempts"] > 1:
        rows.append(("plain retries: attempts offered after the trigger", f"{s['retries']['offered']:g}/s",
                     f"{rate * values['attempts']:g}/s = {rate} req/s × {values['attempts']} attempts, all timing out"))
    if "bucket" in s and values["attempts"] > 1:
        b = s["bucket"]
        bound = retry_budget.CLIENTS * retry_budget.BUCKET_CAPACITY + retry_budget.BUCKET_DEPOSIT * b["successes"]
        rows.append(("token bucket: retries sent", f"{b['retries']:,}",
                     f"≤ {bound:,.0f} = {retry_budget.CLIENTS} clients × {retry_budget.BUCKET_CAPACITY:.0f} "
                     f"starting tokens + 0.1 × {b['successes']:,} successes"))
    return tuple(rows)


register(Demo(
    "backoff-contention", "Brooker's jitter experiment: clients racing for one row",
    BACKOFF_CONTENTION_PARAMS, contention.contention, present_contention,
    summary="Clients update one database row with optimistic concurrency and back off when they lose: "
            "how much work and how much time each backoff strategy costs.",
    presets=(
        Preset("fifty", "Brooker's 50 clients", {},
               "every strategy at 50 clients, 10 runs, as in Marc Brooker's “Exponential Backoff And Jitter” "
               "(AWS Architecture Blog, 2015); its ranking holds in every one of seeds 1–20"),
        Preset("hundred", "100 clients", {"clients": 100},
               "twice the contention: no backoff makes three times the calls of full jitter"),
        Preset("jitter-only", "Jittered strategies only", {"strategies": ("full", "equal", "decorrelated")},
               "full, equal and decorrelated jitter side by side, without the no-jitter outlier"),
        Preset("spikes-vs-spread", "No jitter against full jitter", {"strategies": ("exponential", "full")},
               "the comb of synchronised retries against a smooth spread"),
        Preset("one-client", "One client", {"clients": 1}, "no contention: 1 call in 4 hops"),
    )))

register(Demo(
    "retry-amplification", "Retries multiply across layers", RETRY_AMPLIFICATION_PARAMS,
    amplification.amplification, present_amplification,
    summary="A request passes through a chain of services that each retry; the dependency at the bottom "
            "fails. Count the attempts that reach it, by formula and by simulation.",
    presets=(
        Preset("down", "Dependency down, 3 × 4", {}, "3 layers of 4 attempts: 4³ = 64 attempts per request"),
        Preset("flaky", "90 % failure", {"failure_pct": 90.0},
               "independent failures: retries everywhere look like a win"),
        Preset("rare", "Rare failures (5 %)", {"failure_pct": 5.0},
               "every policy sends about one attempt: budgets cost nothing when all is well"),
        Preset("one-layer", "One layer, 3 retries", {"layers": 1},
               "N retries are N + 1 attempts: 3 retries send 4"),
        Preset("deep", "6 layers × 5 attempts", {"layers": 6, "attempts": 5}, "5⁶ = 15,625 attempts per request"),
    )))

register(Demo(
    "retry-budget", "Overload that outlives its trigger, and retry budgets", RETRY_BUDGET_PARAMS,
    retry_budget.retry_budget, present_budget,
    summary="Clients call a server near its capacity; at 10 s (unless you move it) its capacity drops for a few "
            "seconds. Which client behaviours let it recover when the trigger ends?",
    presets=(
        Preset("metastable", "Metastable failure", {}, "85 req/s, a 5 s dip to half capacity, 4 attempts"),
        Preset("blip", "A 1-second blip", {"trigger_s": 1}, "too short to build a backlog: everyone rides it out "
               "(at 2 s plain retries already get stuck in about 1 run in 5)"),
        Preset("one-retry", "One retry is enough", {"attempts": 2}, "2 attempts still keep the server down"),
        Preset("no-trigger", "No trigger", {"trigger_s": 0}, "nothing fails: every strategy has the same goodput"),
        Preset("slow-window", "10 s throttle window", {"window_s": 10},
               "the throttle remembers failures longer and lags further behind"),
        # Published results (tests/sims/test_published_presets.py checks each count over seeds 1-20).
        Preset("bronson-2021", "Bronson et al. 2021", {"rate": 90, "drop_pct": 10, "trigger_s": 10, "attempts": 2},
               "the retry example of Bronson et al., “Metastable Failures in Distributed Systems” (HotOS 2021), "
               "scaled to this server: 280 of 300 QPS is 90 req/s of 100, the 10 s outage a drop to 10 %, one retry "
               "after a 1 s timeout. Over seeds 1–20 plain retries stay overloaded in 20 of 20 seeds. Unlike the "
               "paper's, this server does not recover without retries either before the run ends: at 90 % load "
               "its 10 s backlog drains at only 10 req/s (by about 90 s)"),
        Preset("bronson-2021-low-load", "Bronson et al., load cut to 40 %",
               {"rate": 40, "drop_pct": 10, "trigger_s": 10, "attempts": 2},
               "the retry example of Bronson et al. (HotOS 2021) at 40 req/s (120 of 300 QPS; the paper finds it "
               "stable again below about 150): "
               "plain retries recover in 19 of 20 seeds. At 45 req/s they stay overloaded in 20 of 20 seeds: one "
               "retry doubles what a timed-out client sends, so the backlog drains only while twice the load is "
               "under capacity, and within this 60 s run only at 40 req/s or less"),
        Preset("brooker-stability-sim", "Brooker's Stability Sim 2026",
               {"rate": 70, "drop_pct": 50, "trigger_s": 5, "trigger_at_s": 5, "attempts": 4},
               "the “metastable-retry” example of Marc Brooker's Stability Sim (2026): 70 req/s open loop, "
               "3 retries, 1 s timeout, 100 req/s of capacity, one of two servers down from 5 s to 10 s of a 60 s "
               "run. This model has one queue, so the lost server is half the capacity for those 5 s. Plain retries "
               "keep the server overloaded after it returns in 20 of 20 seeds; without retries it recovers in 20 "
               "of 20 seeds"),
    )))
