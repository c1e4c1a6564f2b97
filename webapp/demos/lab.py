"""The failure lab (the course's capstone): every pattern on one service graph, faults on a timeline.

One demo, "failure-lab", whose parameters are flat and named `<edge>_<setting>`, `<service>_<setting>`
and `fault<i>_<setting>`, so that the URL contract (/demos/failure-lab?…, .json, .csv, 400s, presets)
holds as for every demo. The lab's own page, /lab (webapp/lab_views.py), groups them per edge,
service and fault; `GROUPS` below says how. Model: webapp.sims.lab.failure_lab.

Limits keep the most expensive run (every rate, the longest run, 5 attempts at both layers of every
path, every leaf failing) inside the 2 s the issue allows: see bench/lab.py.
"""

from __future__ import annotations

import math

from .. import charts
from ..params import Choice, Int, Seed, params
from ..sims import lab as model
from ..sims.lab_engine import DEPENDENCY, FEATURES, SERVICE_MS, SERVICES
from . import Chart, Demo, Preset, Table, View, register

DEMO_ID = "failure-lab"
D = model.DEFAULTS

JITTER = (("none", "None"), ("full", "Full"), ("equal", "Equal"), ("decorrelated", "Decorrelated"))
BUDGET = (("none", "No budget"), ("bucket", "Token bucket (0.1 per success)"),
          ("ratio", "10% of requests"))
ORDER = (("retry_outside", "retry(breaker(timeout))"), ("breaker_outside", "breaker(retry(timeout))"))
BREAKER = (("off", "Off"), ("consecutive", "N failures in a row"), ("rate", "Failure rate over 10 s"))
FAULT_KIND = (("none", "None"), ("down", "Down"), ("slow", "Slow (× k)"), ("error", "Errors (k %)"),
              ("capacity", "Capacity drop (k % of threads)"), ("flap", "Flapping (k s down, k s up)"))
SERVICE_CHOICES = tuple((s, s) for s in SERVICES)

ROLE = {"gateway": "routes every user request to its feature; one pool shared by all three",
        "search": "the search feature's service; calls index", "checkout": "takes the order; calls payments",
        "profile": "the profile page; calls recommendations", "index": "the search index",
        "payments": "charges the card at the bank (a real SQLite ledger)",
        "recommendations": "optional: the profile page can live without it"}


def _edge_params(e: str) -> list:
    arrow = model.ARROW[e]
    callee = model.EDGE_OF[e][1]
    out = [
        Int(f"{e}_timeout_ms", f"{arrow} timeout", D[f"{e}_timeout_ms"], 50, 30_000, step=50, unit="ms",
            help=f"How long {model.EDGE_OF[e][0]} waits for one attempt before giving up on it; {callee} is not "
                 "told and keeps working."),
        Int(f"{e}_deadline_ms", f"{arrow} total deadline", D[f"{e}_deadline_ms"], 100, 30_000, step=100,
            unit="ms", never="no deadline",
            help="Time for the whole call, retries included: it cuts the last attempt short and no retry "
                 "starts after it."),
        Int(f"{e}_attempts", f"{arrow} attempts", D[f"{e}_attempts"], 1, 5,
            help="Attempts in all, the first included: 3 attempts are 2 retries."),
        Int(f"{e}_backoff_ms", f"{arrow} backoff", D[f"{e}_backoff_ms"], 10, 2000, step=10, unit="ms",
            help="The wait before the first retry; it doubles after each failure (capped at 10 s)."),
        Choice(f"{e}_jitter", f"{arrow} jitter", D[f"{e}_jitter"], JITTER,
               help="Randomness in each wait, so that callers that failed together do not retry together."),
        Choice(f"{e}_budget", f"{arrow} retry budget", D[f"{e}_budget"], BUDGET,
               help="A retry spends a token; successes (or requests) earn a tenth of one. When the bucket is "
                    "empty, failures are not retried."),
        Choice(f"{e}_breaker", f"{arrow} circuit breaker", D[f"{e}_breaker"], BREAKER,
               help="Trips open on N failures in a row (the seed's rule) or on a failure rate over the last "
                    "10 s (at least 20 calls, as Hystrix); 3 test requests, closes on 2."),
        Int(f"{e}_breaker_failures", f"{arrow} breaker: failures in a row", D[f"{e}_breaker_failures"], 1, 50,
            help="For the N-in-a-row breaker: consecutive failures that open it."),
        Int(f"{e}_breaker_rate_pct", f"{arrow} breaker: failure rate", D[f"{e}_breaker_rate_pct"], 5, 100,
            step=5, unit="%", help="For the failure-rate breaker: the share of failed calls that opens it."),
        Int(f"{e}_breaker_open_s", f"{arrow} breaker: open for", D[f"{e}_breaker_open_s"], 1, 120, unit="s",
            help="How long an open breaker fails every call fast before it tests the dependency."),
        Choice(f"{e}_order", f"{arrow} wrapping order", D[f"{e}_order"], ORDER,
               help="Breaker inside the retries sees every attempt and an open breaker stops them; "
                    "outside, it sees one result per call and trips later."),
        Int(f"{e}_bulkhead", f"{arrow} bulkhead", D[f"{e}_bulkhead"], 1, 200, unit="calls", never="no bulkhead",
            help=f"At most this many calls to {callee} at once from {model.EDGE_OF[e][0]}; one more is refused "
                 "at once (the last notch: no limit)."),
        Int(f"{e}_bulkhead_queue", f"{arrow} bulkhead queue", D[f"{e}_bulkhead_queue"], 0, 200, unit="calls",
            help="Calls that may wait for a bulkhead slot (their timeout runs while they wait)."),
    ]
    if e == "profile_recommendations":
        out.append(Choice("profile_recommendations_fallback", "profile→recommendations fallback",
                          D["profile_recommendations_fallback"],
                          (("none", "None: the page fails"), ("fallback", "Show the page without them")),
                          help="Recommendations are optional: with a fallback their failure becomes a degraded "
                               "page instead of an error."))
    if e == "checkout_payments":
        out.append(Choice("checkout_payments_idempotency", "checkout→payments idempotency key",
                          D["checkout_payments_idempotency"],
                          (("none", "No key"), ("key", "Key per order")),
                          help="With a key, a repeated payment is answered from the ledger instead of charging "
                               "the card again."))
    return out


def _service_params(s: str) -> list:
    return [
        Int(f"{s}_threads", f"{s} threads", D[f"{s}_threads"], 1, 300, unit="threads",
            help=f"Requests {s} works on at once ({ROLE[s]})."),
        Int(f"{s}_queue", f"{s} queue", D[f"{s}_queue"], 0, 300, unit="requests", never="unbounded",
            help="Requests that may wait for a thread; one more is turned away at once."),
    ]


def _fault_params(i: int) -> list:
    return [
        Choice(f"fault{i}_kind", f"Fault {i}", D[f"fault{i}_kind"], FAULT_KIND,
               help="What goes wrong; k is the magnitude below."),
        Choice(f"fault{i}_service", f"Fault {i}: service", D[f"fault{i}_service"], SERVICE_CHOICES,
               help="Which service the fault hits."),
        Int(f"fault{i}_start_s", f"Fault {i}: from", D[f"fault{i}_start_s"], 0, 180, unit="s",
            help="When the fault begins."),
        Int(f"fault{i}_end_s", f"Fault {i}: until", D[f"fault{i}_end_s"], 1, 180, unit="s",
            help="When the fault ends; it must end after it starts."),
        Int(f"fault{i}_magnitude", f"Fault {i}: k", D[f"fault{i}_magnitude"], 1, 100,
            help="Slow: times slower. Errors: % of requests. Capacity: % of threads lost. Flapping: seconds "
                 "down, then as many up. Down: unused."),
    ]


TRAFFIC_PARAMS = (
    Int("search_rate", "Search traffic", D["search_rate"], 0, 50, unit="req/s",
        help="Users searching per second (Poisson arrivals)."),
    Int("checkout_rate", "Checkout traffic", D["checkout_rate"], 0, 20, unit="req/s",
        help="Users paying per second; each pays $99.99."),
    Int("profile_rate", "Profile traffic", D["profile_rate"], 0, 30, unit="req/s",
        help="Users opening their profile page per second."),
    Int("user_timeout_ms", "Users give up after", D["user_timeout_ms"], 1000, 30_000, step=500, unit="ms",
        help="The load balancer (or the user) stops waiting after this: the request has failed."),
    Int("duration_s", "Run for", D["duration_s"], 30, 180, step=10, unit="s",
        help="How long users keep arriving."),
)

LAB_PARAMS = params(
    *TRAFFIC_PARAMS,
    *(p for i in range(1, model.FAULT_SLOTS + 1) for p in _fault_params(i)),
    *(p for e in model.EDGE_IDS for p in _edge_params(e)),
    *(p for s in SERVICES for p in _service_params(s)),
    Seed(),
)

# How the lab page groups the controls: (group id, title, [(fieldset id, legend, note, [names])]).
GROUPS = (
    ("traffic", "Traffic", [("traffic", "Users", "", [p.name for p in TRAFFIC_PARAMS] + ["seed"])]),
    ("faults", "Faults", [(f"fault{i}", f"Fault {i}", "", [f"fault{i}_{k}" for k in
                           ("kind", "service", "start_s", "end_s", "magnitude")]) for i in range(1, model.FAULT_SLOTS + 1)]),
    ("edges", "Patterns on each call", [
        (e, model.ARROW[e], "", [p.name for p in _edge_params(e)]) for e in model.EDGE_IDS]),
    ("services", "Services: threads and queues", [
        (s, s, ROLE[s], [f"{s}_threads", f"{s}_queue"]) for s in SERVICES]),
)
SHORT_LABEL = {}
for _p in LAB_PARAMS:
    _label = _p.label
    for _e in model.EDGE_IDS:
        _label = _label.replace(f"{model.ARROW[_e]} ", "")
    for _i in range(1, model.FAULT_SLOTS + 1):
        _label = _label.replace(f"Fault {_i}: ", "")
    SHORT_LABEL[_p.name] = _label[:1].upper() + _label[1:]
for _s in SERVICES:
    SHORT_LABEL[f"{_s}_threads"], SHORT_LABEL[f"{_s}_queue"] = "Threads", "Queue"
for _i in range(1, model.FAULT_SLOTS + 1):
    SHORT_LABEL[f"fault{_i}_kind"] = "Kind"


# ==== presentation ======================================================================================

FEATURE_COLOUR = {"search": charts.SERIES[0], "checkout": charts.SERIES[1], "profile": charts.SERIES[2]}
SERVICE_COLOUR = dict(zip(SERVICES, charts.SERIES))
STATE_COLOUR = {"CLOSED": charts.OUTCOME["success"], "HALF_OPEN": charts.OUTCOME["rejected"],
                "OPEN": charts.OUTCOME["failure"]}


def present(result: dict, values: dict) -> View:
    if "error" in result:
        err = result["error"]
        return View(verdict=f"This configuration can't run: {err['message']}.",
                    table=Table(("param", "edge", "setting", "value", "message"),
                                ((err["param"], err["edge"], err["setting"], err["value"], err["message"]),),
                                "The setting to change."),
                    extra_template="lab/_story.html", extra={"error": err})
    feats = result["features"]
    pay = result["payments"]
    retries = sum(e["retries"] for e in result["edges"].values())
    stats = tuple((f"{f.capitalize()} success", _pct(feats[f]["success_rate"])) for f in FEATURES) + (
        ("Customers charged twice", f"{pay['orders_charged_twice_or_more']:,}"),
        ("Retries sent", f"{retries:,}"),
    )
    chart_list = [_success_chart(result), _latency_chart(result), _load_chart(result), _pool_chart(result)]
    if any(e["breaker"] for e in result["edges"].values()):
        chart_list.append(_breaker_chart(result))
    if sum(feats["checkout"]["series"]["arrived"]):
        chart_list.append(_payments_chart(result))
    rows = []
    for f in FEATURES:
        s = feats[f]["series"]
        for b, t in enumerate(result["t_s"]):
            rows.append((t, f, s["arrived"][b], s["ok"][b], s["degraded"][b], s["failed"][b], s["success_rate"][b],
                         s["p50_ms"][b], s["p99_ms"][b]))
    table = Table(("t_s", "feature", "requests", "ok", "degraded", "failed", "success_rate", "p50_ms", "p99_ms"),
                  tuple(rows), f"End users per feature, per {result['bin_ms'] / 1000:g} s of arrivals.")
    return View(verdict=result["headline"], table=table, charts=tuple(chart_list), stats=stats,
                truth=_truth(result, values), extra_template="lab/_story.html",
                extra={"graph": graph(result, values), "timeline": fault_timeline(result, values)})


def _fault_shapes(result: dict, labels: bool = True) -> list:
    """One shaded band per fault window; faults sharing a window share a band and a label, and the
    labels of successive windows alternate sides so that they do not print over each other."""
    windows: dict = {}
    for f in result["faults"]:
        end = min(f["end_s"], result["duration_ms"] / 1000)
        if f["start_s"] < end:
            windows.setdefault((f["start_s"], end), []).append(f["label"])
    return [charts.vband(start, end, charts.OUTCOME["failure"], 0.07, " · ".join(names) if labels else "",
                         where="top left" if i % 2 == 0 else "top right")
            for i, ((start, end), names) in enumerate(sorted(windows.items()))]


def _x(result: dict) -> list:
    half = result["bin_ms"] / 2000
    return [round(t + half, 3) for t in result["t_s"]]


def _success_chart(result: dict) -> Chart:
    x = _x(result)
    traces = []
    for f in FEATURES:
        rate = [None if r is None else round(100 * r, 2) for r in result["features"][f]["series"]["success_rate"]]
        traces.append(charts.line(x, rate, f, FEATURE_COLOUR[f], mode="lines+markers", marker={"size": 5},
                                  hovertemplate="%{x:.0f} s: %{y:.1f}%<extra>" + f + "</extra>"))
    spec = charts.layout("End users: requests that succeeded", x="time (s)", y="succeeded (%)", height=320,
                         shapes=_fault_shapes(result),  # headroom above 100 % for the faults' labels
                         yaxis={"range": [0, 114], "rangemode": "normal", "tickvals": [0, 20, 40, 60, 80, 100]},
                         xaxis={"range": [0, result["duration_ms"] / 1000]})
    alt = "; ".join(f"{f}: {_pct(result['features'][f]['success_rate'])} of requests succeeded" for f in FEATURES)
    return Chart(f"chart-{DEMO_ID}-success", charts.figure(traces, spec), alt)


def _latency_chart(result: dict) -> Chart:
    x = _x(result)
    traces = []
    for f in FEATURES:
        s = result["features"][f]["series"]
        traces.append(charts.line(x, s["p99_ms"], f"{f} p99", FEATURE_COLOUR[f],
                                  hovertemplate="%{x:.0f} s: p99 %{y:,.0f} ms<extra>" + f + "</extra>"))
        traces.append(charts.line(x, s["p50_ms"], f"{f} p50", FEATURE_COLOUR[f], dash="dot", width=1.5,
                                  hovertemplate="%{x:.0f} s: p50 %{y:,.0f} ms<extra>" + f + "</extra>"))
    spec = charts.layout("End users: latency of the answered requests", x="time (s)", y="ms (log scale)",
                         height=320, shapes=_fault_shapes(result),
                         yaxis={"type": "log", "rangemode": "normal", "dtick": 1, "tickformat": ","},
                         xaxis={"range": [0, result["duration_ms"] / 1000]})
    alt = "; ".join(f"{f}: p50 {_ms(result['features'][f]['p50_ms'])}, p99 {_ms(result['features'][f]['p99_ms'])}"
                    for f in FEATURES)
    return Chart(f"chart-{DEMO_ID}-latency", charts.figure(traces, spec), alt)


def _load_chart(result: dict) -> Chart:
    """Calls reaching each service: first tries and retries, over time (per second)."""
    x = _x(result)
    width = result["bin_ms"] / 1000
    traces = []
    busiest = sorted(SERVICES, key=lambda s: -result["services"][s]["retries"])
    for s in SERVICES:
        sv = result["services"][s]["series"]
        traces.append(charts.line(x, [round(v / width, 2) for v in sv["first_tries"]], f"{s}: first tries",
                                  SERVICE_COLOUR[s], width=1.5, legendgroup=s,
                                  hovertemplate="%{x:.0f} s: %{y:.1f}/s first tries<extra>" + s + "</extra>"))
        if result["services"][s]["retries"]:
            traces.append(charts.line(x, [round(v / width, 2) for v in sv["retries"]], f"{s}: retries",
                                      SERVICE_COLOUR[s], dash="dash", width=2.5, legendgroup=s,
                                      hovertemplate="%{x:.0f} s: %{y:.1f}/s retries<extra>" + s + "</extra>"))
    spec = charts.layout("Load on each service: first tries (solid) and retries (dashed)", x="time (s)",
                         y="calls per second", height=340, shapes=_fault_shapes(result),
                         xaxis={"range": [0, result["duration_ms"] / 1000]})
    alt = "; ".join(f"{s}: {result['services'][s]['first_tries']:,} first tries, {result['services'][s]['retries']:,} retries"
                    for s in busiest)
    return Chart(f"chart-{DEMO_ID}-load", charts.figure(traces, spec), alt)


def _pool_chart(result: dict) -> Chart:
    x = _x(result)
    traces = []
    for s in SERVICES:
        sv = result["services"][s]
        size = max(1, sv["threads"])
        traces.append(charts.line(x, [round(100 * b / size, 1) for b in sv["series"]["busy"]], s, SERVICE_COLOUR[s],
                                  customdata=sv["series"]["busy"],
                                  hovertemplate="%{x:.0f} s: %{y:.0f}% (%{customdata:.1f} of " + str(size)
                                                + " threads)<extra>" + s + "</extra>"))
    for e, data in result["edges"].items():
        if data["bulkhead"]:
            size = data["bulkhead"]["size"]
            traces.append(charts.line(x, [round(100 * b / size, 1) for b in data["bulkhead"]["series"]["busy"]],
                                      f"bulkhead {model.ARROW[e]}", charts.NEUTRAL, dash="dot",
                                      hovertemplate="%{x:.0f} s: %{y:.0f}% of " + str(size) + " slots<extra></extra>"))
    spec = charts.layout("Pool occupancy: threads busy, as a share of each pool", x="time (s)", y="busy (%)",
                         height=320, shapes=_fault_shapes(result),
                         yaxis={"range": [0, 114], "rangemode": "normal", "tickvals": [0, 20, 40, 60, 80, 100]},
                         xaxis={"range": [0, result["duration_ms"] / 1000]})
    alt = "; ".join(f"{s}: peak {result['services'][s]['peak_busy']} of {result['services'][s]['threads']} threads"
                    for s in SERVICES)
    return Chart(f"chart-{DEMO_ID}-pools", charts.figure(traces, spec), alt)


def _breaker_chart(result: dict) -> Chart:
    """One row per breaker, its state as coloured stretches (a bar per interval)."""
    traces, rows = [], []
    seen = set()
    for e, data in result["edges"].items():
        if not data["breaker"]:
            continue
        rows.append(model.ARROW[e])
        for iv in data["breaker"]["intervals"]:
            state = iv["state"]
            traces.append(charts.bars([round((iv["end_ms"] - iv["start_ms"]) / 1000, 3)], [model.ARROW[e]],
                                      state.replace("_", "-"), STATE_COLOUR[state], orientation="h",
                                      base=[round(iv["start_ms"] / 1000, 3)], width=0.5, legendgroup=state,
                                      showlegend=state not in seen,
                                      hovertemplate=f"{state} from %{{base:.1f}} s for %{{x:.1f}} s<extra></extra>"))
            seen.add(state)
    spec = charts.layout("Circuit breakers: state over time", x="time (s)", height=120 + 45 * len(rows),
                         barmode="overlay", shapes=_fault_shapes(result, labels=False),
                         yaxis={"type": "category", "rangemode": "normal", "autorange": "reversed"},
                         xaxis={"range": [0, result["duration_ms"] / 1000]})
    alt = "; ".join(f"{model.ARROW[e]}: " + (", ".join(f"{tr['to']} at {tr['t_ms'] / 1000:.1f} s"
                                                      for tr in d["breaker"]["transitions"][:6]) or "closed throughout")
                    for e, d in result["edges"].items() if d["breaker"])
    return Chart(f"chart-{DEMO_ID}-breakers", charts.figure(traces, spec), alt)


def _payments_chart(result: dict) -> Chart:
    x = _x(result)
    p = result["payments"]["series"]
    width = result["bin_ms"] / 1000
    first = [c - d for c, d in zip(p["charges"], p["duplicates"])]
    traces = [charts.bars(x, first, "first charge of an order", charts.OUTCOME["success"], width=width * 0.9),
              charts.bars(x, p["duplicates"], "duplicate charge", charts.OUTCOME["failure"], width=width * 0.9)]
    spec = charts.layout("Payments: rows written to the ledger", x="time (s)", y="charges", height=280,
                         barmode="stack", shapes=_fault_shapes(result),
                         xaxis={"range": [0, result["duration_ms"] / 1000]})
    pay = result["payments"]
    alt = (f"{pay['charges']:,} charges for {pay['orders_charged']:,} orders; {pay['duplicate_charges']:,} duplicates, "
           f"${pay['overcharged']:,.2f} too much")
    return Chart(f"chart-{DEMO_ID}-payments", charts.figure(traces, spec), alt)


def _truth(result: dict, values: dict) -> tuple:
    """Where theory gives a number. With no queueing and no failure on a feature's path, its latency
    is the sum of independent exponential stages (hypoexponential): its median has a closed form.
    The ledger is read back with SQL: its duplicate rows must equal the duplicates the run counted."""
    rows = []
    for f in FEATURES:
        data = result["features"][f]
        path = ("gateway", f, DEPENDENCY[f])
        quiet = (data["failed"] == 0 and data["degraded"] == 0 and data["requests"] >= 200
                 and all(result["services"][s]["queued_total"] == 0 and result["services"][s]["retries"] == 0
                         for s in path))
        if quiet:
            means = [SERVICE_MS[s] for s in path]
            rows.append((f"{f} p50 with no queueing", _ms(data["p50_ms"]),
                         f"{_ms(hypoexp_quantile(means, 0.5))}: median of Exp({' ms) + Exp('.join(str(m) for m in means)} ms)"))
    pay = result["payments"]
    counted = sum(pay["series"]["duplicates"])
    if pay["charges"]:
        rows.append(("duplicate charges in the SQLite ledger", f"{pay['duplicate_charges']:,}",
                     f"{counted:,} counted by the simulation as they happened"))
    return tuple(rows)


def hypoexp_cdf(means: list, t: float) -> float:
    """P(sum of independent exponentials with these (distinct) means <= t)."""
    rates = [1 / m for m in means]
    total = 0.0
    for i, li in enumerate(rates):
        coef = 1.0
        for j, lj in enumerate(rates):
            if j != i:
                coef *= lj / (lj - li)
        total += coef * (1 - math.exp(-li * t))
    return total


def hypoexp_quantile(means: list, p: float) -> float:
    lo, hi = 0.0, 100.0 * sum(means)
    for _ in range(100):
        mid = (lo + hi) / 2
        if hypoexp_cdf(means, mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# ---- the service graph, drawn on the server ------------------------------------------------------------
# Three lanes, one per feature: users -> gateway (one tall box: every feature shares its threads) ->
# the feature's service -> its dependency. Edge labels sit on horizontal segments, so they never cross.

GRAPH_W, GRAPH_H = 1000, 390
LANE_Y = {"search": 75, "checkout": 195, "profile": 315}
COLUMNS = {"users": (6, 92), "gateway": (140, 110), "feature": (470, 150), "dependency": (828, 166)}
NODE_H = 84


def graph(result: dict, values: dict) -> dict:
    """Boxes, lines and words for templates/lab/_graph.html: each service's threads, load and
    faults; each edge's patterns and what they did in this run (timeouts, retries, breaker trips,
    bulkhead refusals, fallbacks)."""
    faulty = {}
    for f in result["faults"]:
        faulty.setdefault(f["service"], []).append(f["label"])
    feats = result["features"]
    total = sum(feats[f]["requests"] for f in FEATURES)
    ok = sum(feats[f]["ok"] + feats[f]["degraded"] for f in FEATURES)
    x, w = COLUMNS["users"]
    nodes = [{"id": "users", "x": x, "y": LANE_Y["checkout"] - NODE_H / 2, "w": w, "h": NODE_H, "title": "users",
              "lines": [f"{total:,} requests", f"{_pct(ok / total if total else None)} ok",
                        f"wait {_secs(values['user_timeout_ms'])}"], "state": "users", "faults": []}]
    x, w = COLUMNS["gateway"]
    nodes.append(_node("gateway", x, LANE_Y["search"] - NODE_H / 2, w,
                       LANE_Y["profile"] - LANE_Y["search"] + NODE_H, result, faulty))
    for f in FEATURES:
        x, w = COLUMNS["feature"]
        nodes.append(_node(f, x, LANE_Y[f] - NODE_H / 2, w, NODE_H, result, faulty))
        x, w = COLUMNS["dependency"]
        nodes.append(_node(DEPENDENCY[f], x, LANE_Y[f] - NODE_H / 2, w, NODE_H, result, faulty))
    ux, uw = COLUMNS["users"]
    gx, gw = COLUMNS["gateway"]
    edges = [{"id": "users_gateway", "x1": ux + uw, "x2": gx - 4, "y": LANE_Y["checkout"], "state": "calm",
              "badges": [], "acted": [], "label_x": (ux + uw + gx) / 2}]
    for f in FEATURES:
        for e, (x1, x2) in ((f"gateway_{f}", (gx + gw, COLUMNS["feature"][0] - 4)),
                            (f"{f}_{DEPENDENCY[f]}", (COLUMNS["feature"][0] + COLUMNS["feature"][1],
                                                      COLUMNS["dependency"][0] - 4))):
            data = result["edges"][e]
            acted = []
            if data["timeouts"]:
                acted.append(_count(data["timeouts"], "timeout"))
            if data["retries"]:
                acted.append(_count(data["retries"], "retry", "retries"))
            if data["breaker"] and data["breaker"]["transitions"]:
                trips = data["breaker"]["edges"]["CLOSED->OPEN"] + data["breaker"]["edges"]["HALF_OPEN->OPEN"]
                acted.append(f"breaker opened {trips}×")
            if data["bulkhead_rejected"]:
                acted.append(f"{data['bulkhead_rejected']:,} refused by the bulkhead")
            if data["fallbacks"]:
                acted.append(_count(data["fallbacks"], "fallback"))
            tried = data["first_tries"] + data["retries"]
            failed_share = data["failed"] / tried if tried else 0
            state = "bad" if failed_share > 0.2 else "warn" if failed_share > 0.01 else "calm"
            edges.append({"id": e, "x1": x1, "x2": x2, "y": LANE_Y[f], "state": state,
                          "badges": result["config"]["edges"][e]["badges"], "acted": _pairs(acted),
                          "label_x": (x1 + x2) / 2, "arrow": model.ARROW[e]})
    return {"nodes": nodes, "edges": edges, "width": GRAPH_W, "height": GRAPH_H}


def _node(name: str, x: float, y: float, w: float, h: float, result: dict, faulty: dict) -> dict:
    sv = result["services"][name]
    calls = f"{sv['first_tries']:,} calls" + (f" + {sv['retries']:,} retries" if sv["retries"] else "")
    if name == "gateway":  # a narrow, tall box: one short fact a line
        lines = [f"{sv['threads']} threads", f"peak {sv['peak_busy']} busy", f"{sv['first_tries']:,} calls"]
    else:
        lines = [f"{sv['threads']} threads, peak {sv['peak_busy']}", calls]
    if sv["rejected"]:
        lines.append(f"{sv['rejected']:,} turned away")
    elif sv["wasted"]:
        lines.append(f"{sv['wasted']:,} served for nobody")
    saturated = sv["rejected"] > 0 or sv["peak_busy"] >= sv["threads"]
    state = "faulty" if name in faulty else "saturated" if saturated else "healthy"
    return {"id": name, "x": x, "y": y, "w": w, "h": h, "title": name, "lines": lines, "state": state,
            "faults": faulty.get(name, [])}


def _count(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _pairs(items: list) -> list:
    """Two items a line: an edge label has room for about 32 characters."""
    return [" · ".join(items[i:i + 2]) for i in range(0, len(items), 2)]


def fault_timeline(result: dict, values: dict) -> dict:
    """The faults as bars on the run's time axis (SVG coordinates), one row per fault."""
    duration = result["duration_ms"] / 1000
    width, left, row = 760, 250, 26  # labels left of `left`; the axis ends 24 px before the edge
    scale = (width - left - 24) / duration
    bars = []
    for i, f in enumerate(result["faults"]):
        start, end = min(f["start_s"], duration), min(f["end_s"], duration)
        bars.append({"y": 18 + i * row, "x": left + start * scale, "w": max(2, (end - start) * scale),
                     "label": f["label"], "kind": f["kind"], "when": f"{f['start_s']}–{f['end_s']} s"})
    ticks = []
    step = 10 if duration <= 60 else 20 if duration <= 120 else 30
    for t in range(0, int(duration) + 1, step):
        ticks.append({"x": left + t * scale, "label": f"{t} s"})
    return {"bars": bars, "ticks": ticks, "width": width, "height": 30 + max(1, len(bars)) * row + 14,
            "left": left, "right": width - 24}


def _pct(x) -> str:
    if x is None:
        return "–"
    if 0.9995 <= x < 1:
        return "99.9%"
    return f"{100 * x:.1f}%".replace(".0%", "%")


def _ms(ms) -> str:
    if ms is None:
        return "–"
    return f"{ms / 1000:,.2f} s" if ms >= 1000 else f"{ms:,.0f} ms"


def _secs(ms: float) -> str:
    """A setting in seconds, as short as it goes: '10 s', '1.5 s', '400 ms'."""
    return f"{ms / 1000:g} s" if ms >= 1000 else f"{ms:g} ms"


# ==== presets: the scenarios ===============================================================================
# Each is the defaults plus what it changes; the faults sit in slot 1 first, so the scenarios read alike.

def _all_edges(**settings) -> dict:
    return {f"{e}_{k}": v for e in model.EDGE_IDS for k, v in settings.items()}


def _fault(slot: int, service: str, kind: str, start: int, end: int, magnitude: int = D["fault1_magnitude"]) -> dict:
    out = {f"fault{slot}_service": service, f"fault{slot}_kind": kind, f"fault{slot}_start_s": start,
           f"fault{slot}_end_s": end}
    if kind in ("slow", "error", "capacity", "flap"):
        out[f"fault{slot}_magnitude"] = magnitude
    return out


def _diff(values: dict) -> dict:
    return {k: v for k, v in values.items() if D[k] != v}


# Lesson 4's cascade on the whole graph: payments hangs (×100: 10 s a payment), every timeout is 30 s,
# no retries, no breaker, no bulkhead, and checkout and payments queue without limit.
SEED_CASCADE = _diff({**_all_edges(timeout_ms=30_000, attempts=1), "user_timeout_ms": 30_000,
                      "checkout_queue": None, "payments_queue": None,
                      **_fault(1, "payments", "slow", 30, 90, 100)})
# Lesson 3's metastable failure: index is down for 5 s; two layers of retries without jitter or budget
# (3 x 5 attempts), big pools that let every retry through, and index (2 threads) behind a deep queue.
# The outage ends at 35 s; the retries never let index catch up.
RETRY_STORM = _diff({"index_threads": 2, "index_queue": 200, "gateway_threads": 200, "search_threads": 200,
                     "search_index_attempts": 5, "search_index_jitter": "none", "search_index_timeout_ms": 300,
                     "gateway_search_attempts": 3, "gateway_search_jitter": "none",
                     **_fault(1, "index", "down", 30, 35)})
# Lesson 5's story on the graph: index turns slow (×40: 1 s a lookup), search waits up to 10 s for it,
# and the gateway, shared by every feature and without bulkheads, fills up with waiting searches.
SLOW_SEARCH = _diff({"gateway_search_timeout_ms": 10_000, "gateway_search_attempts": 1,
                     "search_index_timeout_ms": 10_000, "search_index_attempts": 1, "search_queue": 100,
                     **_fault(1, "index", "slow", 30, 90, 40)})
# Lesson 7's story on the graph: payments browns out (×10: 1 s a payment), checkout gives up after 1 s
# and retries without an idempotency key, and every late payment still charges the card.
DOUBLE_CHARGE = _diff({"checkout_payments_timeout_ms": 1000, **_fault(1, "payments", "slow", 30, 90, 10)})
# The three faults at once, with every pattern where it belongs: timeouts that fit inside their
# caller's, deadlines, retries with jitter and a budget, breakers inside the retries, a bulkhead per
# feature at the gateway, the fallback on recommendations and a key on payments.
DONE_RIGHT = _diff({
    "gateway_search_timeout_ms": 1000, "gateway_search_budget": "bucket", "gateway_search_bulkhead": 20,
    "search_index_deadline_ms": 900, "search_index_budget": "bucket", "search_index_breaker": "rate",
    "search_index_breaker_open_s": 5,
    "gateway_checkout_attempts": 1, "gateway_checkout_bulkhead": 20,
    "checkout_payments_deadline_ms": 4500, "checkout_payments_budget": "bucket",
    "checkout_payments_breaker": "consecutive", "checkout_payments_breaker_open_s": 10,
    "checkout_payments_idempotency": "key",
    "gateway_profile_timeout_ms": 1000, "gateway_profile_bulkhead": 20,
    "profile_recommendations_timeout_ms": 300, "profile_recommendations_attempts": 1,
    "profile_recommendations_breaker": "consecutive", "profile_recommendations_breaker_open_s": 10,
    "profile_recommendations_fallback": "fallback",
    **_fault(1, "payments", "slow", 30, 90, 10), **_fault(2, "index", "slow", 30, 90, 40),
    **_fault(3, "recommendations", "down", 30, 90)})

PRESETS = (
    Preset("healthy", "Healthy baseline", {}, "no fault; timeouts, 2-3 attempts with full jitter, nothing else"),
    Preset("seed-cascade", "The seed's cascade", SEED_CASCADE,
           "payments hangs; with 30 s timeouts and no breaker checkout fails, and the gateway it shares drags "
           "search and profile down too: about half of them fail during the fault"),
    Preset("retry-storm", "Retry storm after a blip", RETRY_STORM,
           "index is down for 5 s; two layers of retries keep it down for good"),
    Preset("slow-search", "Slow search drowns checkout", SLOW_SEARCH,
           "index turns slow; without bulkheads searches fill the gateway and checkout fails"),
    Preset("double-charge", "Double charges in a payments brown-out", DOUBLE_CHARGE,
           "payments slows ×10; retries without a key charge customers twice"),
    Preset("done-right", "Everything done right", DONE_RIGHT,
           "all three faults at once; each pattern where it belongs: profile holds on its fallback, checkout "
           "fails fast where payments cannot keep up (about 2 in 3 succeed during the fault) and charges no one "
           "twice, and search, its index slowed ×40, is given up (about 2 % of searches succeed during the fault)"),
)


# ==== compare: two configurations on the same traffic and faults ==========================================

_HANG = _fault(1, "payments", "slow", 30, 90, 100)
_BREAKER_ON_PAYMENTS = {"checkout_payments_breaker": "consecutive", "checkout_payments_breaker_open_s": 10,
                        "gateway_checkout_attempts": 1}
# (id, question, what to look at, shared traffic and faults, A's settings, B's settings); each side is
# the defaults plus its settings; the shared ones apply to both.
COMPARISONS = (
    ("breaker-order", "Retry inside or outside the breaker?",
     "Payments hangs. Inside the retries (A) the breaker counts every attempt and an open breaker ends the "
     "retries; outside (B) it counts one result per call of 3 attempts, trips later, and payments gets more calls.",
     _HANG, {**_BREAKER_ON_PAYMENTS}, {**_BREAKER_ON_PAYMENTS, "checkout_payments_order": "breaker_outside"}),
    ("deadline", "Per-attempt timeout or total deadline?",
     "Payments browns out and the gateway gives up on checkout after 2 s. Without a deadline (A) checkout keeps "
     "retrying for a caller that has left; with a 2 s deadline (B) the retries stop with the caller, so fewer calls "
     "reach payments. About as many cards are charged twice either way: the attempt already sent still charges "
     "the card, deadline or not; only a key stops that (see the keys comparison).",
     _fault(1, "payments", "slow", 30, 90, 10),
     {"gateway_checkout_timeout_ms": 2000, "gateway_checkout_attempts": 1},
     {"gateway_checkout_timeout_ms": 2000, "gateway_checkout_attempts": 1, "checkout_payments_deadline_ms": 2000}),
    ("bulkhead", "Where does the bulkhead go?",
     "Index turns slow. Without a bulkhead (A) searches fill the gateway's shared threads and checkout fails; with "
     "a bulkhead of 20 on gateway→search (B) search can hold at most 20 of them.",
     _fault(1, "index", "slow", 30, 90, 40), SLOW_SEARCH, {**SLOW_SEARCH, "gateway_search_bulkhead": 20}),
    ("keys", "Idempotency keys on payments",
     "The same brown-out, the same retries: without a key (A) late payments charge twice; with one (B) they are "
     "answered from the ledger.",
     _fault(1, "payments", "slow", 30, 90, 10), DOUBLE_CHARGE, {**DOUBLE_CHARGE, "checkout_payments_idempotency": "key"}),
    ("budget", "A retry budget after the blip",
     "Index is down for 5 s. Without a budget (A) two layers of retries keep it overloaded after it is back; with "
     "a token bucket on both search edges (B) it recovers at once.",
     _fault(1, "index", "down", 30, 35), RETRY_STORM,
     {**RETRY_STORM, "search_index_budget": "bucket", "gateway_search_budget": "bucket"}),
    ("cascade-vs-right", "The seed's cascade, and the same fault done right",
     "Payments hangs. With 30 s timeouts and nothing else (A) checkout fails and drags down the gateway it "
     "shares: about half of searches and profile pages fail too while payments hangs; with every pattern in "
     "place (B) only checkout fails, fast, and no one is charged twice.",
     _HANG, SEED_CASCADE, DONE_RIGHT),
)


def comparison_values(pair) -> tuple[dict, dict]:
    """Each side's full settings: defaults, then its own, then the shared traffic and faults."""
    _id, _title, _note, shared, a, b = pair
    faults_off = {f"fault{i}_kind": "none" for i in range(1, model.FAULT_SLOTS + 1)}
    return ({**D, **a, **faults_off, **shared}, {**D, **b, **faults_off, **shared})


def compare_view(a: dict, b: dict) -> dict:
    """Side by side: the figures that differ, and one chart of both success rates over time."""
    rows = []
    for f in FEATURES:
        fa, fb = a["features"][f], b["features"][f]
        rows.append((f"{f.capitalize()}: succeeded", _pct(fa["success_rate"]), _pct(fb["success_rate"])))
        rows.append((f"{f.capitalize()}: p99 of the answered", _ms(fa["p99_ms"]), _ms(fb["p99_ms"])))
    for label, key in (("Customers charged twice", "orders_charged_twice_or_more"),
                       ("Charged, but told it failed", "charged_but_told_failed")):
        rows.append((label, f"{a['payments'][key]:,}", f"{b['payments'][key]:,}"))
    for label, key in (("Retries sent", "retries"), ("Timeouts", "timeouts"), ("Refused by a bulkhead", "bulkhead_rejected"),
                       ("Refused by an open breaker", "breaker_rejected"), ("Fallbacks", "fallbacks")):
        rows.append((label, f"{sum(e[key] for e in a['edges'].values()):,}", f"{sum(e[key] for e in b['edges'].values()):,}"))
    for s in SERVICES:
        la = a["services"][s]["first_tries"] + a["services"][s]["retries"]
        lb = b["services"][s]["first_tries"] + b["services"][s]["retries"]
        if la != lb:
            rows.append((f"Calls reaching {s}", f"{la:,}", f"{lb:,}"))
    trips = []
    for e in model.EDGE_IDS:
        ta = [tr["t_ms"] for tr in (a["edges"][e]["breaker"] or {}).get("transitions", []) if tr["to"] == "OPEN"]
        tb = [tr["t_ms"] for tr in (b["edges"][e]["breaker"] or {}).get("transitions", []) if tr["to"] == "OPEN"]
        if ta or tb:
            trips.append((f"Breaker on {model.ARROW[e]} first opened",
                          f"{ta[0] / 1000:.1f} s" if ta else "never", f"{tb[0] / 1000:.1f} s" if tb else "never"))
    rows += trips
    x = _x(a)
    traces = []
    for f in FEATURES:
        for side, r, dash in (("A", a, "solid"), ("B", b, "dash")):
            rate = [None if v is None else round(100 * v, 2) for v in r["features"][f]["series"]["success_rate"]]
            traces.append(charts.line(x, rate, f"{f} ({side})", FEATURE_COLOUR[f], dash=dash,
                                      hovertemplate="%{x:.0f} s: %{y:.1f}%<extra>" + f"{f} {side}" + "</extra>"))
    spec = charts.layout("Requests that succeeded: A solid, B dashed", x="time (s)", y="succeeded (%)", height=340,
                         shapes=_fault_shapes(a),
                         yaxis={"range": [0, 114], "rangemode": "normal", "tickvals": [0, 20, 40, 60, 80, 100]},
                         xaxis={"range": [0, a["duration_ms"] / 1000]})
    alt = "; ".join(f"{f}: A {_pct(a['features'][f]['success_rate'])}, B {_pct(b['features'][f]['success_rate'])}"
                    for f in FEATURES)
    return {"rows": rows, "chart": Chart(f"chart-{DEMO_ID}-compare", charts.figure(traces, spec), alt)}


def check(values: dict) -> tuple[str, str, str] | None:
    """A configuration that contradicts itself (a timeout longer than its caller's...) is a 400."""
    problem = model.check(values)
    if problem is None:
        return None
    allowed = "a fault that ends after it starts" if problem["setting"] == "end_s" else \
        "no longer than the caller's own wait"
    return problem["param"], problem["message"], allowed


register(Demo(
    DEMO_ID, "Failure lab: every pattern on one service graph", LAB_PARAMS, model.failure_lab, present,
    summary="Users call search, checkout and profile through a gateway. Wire timeouts, retries, breakers, "
            "bulkheads, fallbacks and idempotency keys on every call, inject faults, and see what the users "
            "get. The lab's own page groups the settings: /lab.",
    presets=PRESETS, check=check))
