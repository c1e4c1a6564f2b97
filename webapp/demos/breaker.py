"""Demos of the circuit-breaker lesson (lesson 4): one outage through a breaker (`breaker-timeline`),
a breaker driven one request at a time (`breaker-step`), and the C -> A -> B cascade (`cascade`).

Parameter names equal the models' keyword arguments: breaker-timeline ->
webapp.sims.breaker.breaker_timeline, breaker-step -> webapp.sims.breaker.replay, cascade ->
webapp.sims.cascade.cascade. The limits keep every request under ~300 ms.

One colour per breaker state, everywhere (bands, diagram, legend): a traffic light built from the
outcome colours. CLOSED is green (calls flow and mostly succeed), HALF_OPEN orange (the amber
light: a few test calls, the rest rejected), OPEN vermillion (every call fails, fast).
"""

from __future__ import annotations

import math

from .. import charts
from ..params import Choice, Int, Multi, Seed, Text, params
from ..sims import breaker as model
from ..sims import cascade as cascade_model
from ..sims.breaker import CLOSED, HALF_OPEN, LIBRARY_CONFIGS, OPEN, timeline_params_for
from . import Chart, Demo, Preset, Table, View, register

# ==== parameters ==================================================================================

_POLICY = Choice("policy", "Trips on", "consecutive", [
    ("consecutive", "N failures in a row"),
    ("rate", "Failure rate over a window"),
], help="Count failures in a row (the seed's rule) or the share of failed calls in a sliding "
        "window, as Hystrix, resilience4j and Polly do.")
_FAILURE_THRESHOLD = Int(
    "failure_threshold", "Failures in a row to trip", 5, 1, 50,
    help="The breaker opens right after this many consecutive failed calls; any success resets "
         "the count.")
_RATE_THRESHOLD = Int(
    "rate_threshold", "Failure rate to trip", 50, 1, 100, unit="%",
    help="With the failure-rate policy, the breaker opens when at least this share of the calls "
         "in the window failed.")
_MIN_CALLS = Int(
    "min_calls", "Minimum calls in the window", 20, 1, 500, unit="calls",
    help="The failure rate is ignored until the window holds this many calls, so two failures "
         "out of three cannot trip it.")
_WINDOW_KIND = Choice("window_kind", "Window", "time", [
    ("time", "Last N seconds"),
    ("count", "Last N calls"),
], help="What the failure rate is computed over: calls finished in the last few seconds, or the "
        "last few calls whenever they happened.")
_WINDOW_S = Int(
    "window_s", "Time window", 10, 1, 120, unit="s",
    help="Length of a time window; it rolls in ten steps, like Hystrix's and Polly's.")
_WINDOW_CALLS = Int(
    "window_calls", "Count window", 100, 1, 500, unit="calls",
    help="Size of a count window: the failure rate of the last this-many calls.")
_OPEN_S = Int(
    "open_s", "Stays open for", 30, 1, 120, unit="s",
    help="How long the breaker rejects every call before it lets test requests through.")
_PROBES = Int(
    "probes", "Half-open test requests", 3, 1, 20, unit="requests",
    help="How many calls the half-open breaker lets through to test the dependency; the others "
         "still fail fast.")
_PROBE_SUCCESSES = Int(
    "probe_successes", "Successes needed to close", 2, 1, 20, unit="requests",
    help="The breaker closes when this many test requests succeed (capped at the number of test "
         "requests).")
_DECISION = Choice("half_open_decision", "Half-open decides", "early", [
    ("early", "As soon as the outcome is certain"),
    ("all", "After every test request is back"),
], help="Close on the 2nd success and re-open once success is out of reach, or wait for all test "
        "results first, as resilience4j does.")
_HALF_OPEN_ON = Choice("half_open_on", "Open becomes half-open", "timer", [
    ("timer", "On a timer, exactly when the wait ends"),
    ("call", "On the first call after the wait"),
], help="Hystrix, Polly and resilience4j (by default) only change state when the next call "
        "arrives; the same calls get through either way.")
_TIMEOUT_MS = Int(
    "timeout_ms", "Caller timeout", 1000, 100, 30_000, step=100, unit="ms",
    help="The caller gives up on a call after this long and counts it as a failure; this is also "
         "what stops a hung test request from holding the breaker half-open.")

_BREAKER_SETTINGS = (_POLICY, _FAILURE_THRESHOLD, _RATE_THRESHOLD, _MIN_CALLS, _WINDOW_KIND,
                     _WINDOW_S, _WINDOW_CALLS, _OPEN_S, _PROBES, _PROBE_SUCCESSES, _DECISION,
                     _HALF_OPEN_ON)

BREAKER_TIMELINE_PARAMS = params(
    Int("rate", "Request rate", 20, 1, 50, unit="req/s",
        help="Average requests per second the caller sends (random, Poisson arrivals)."),
    Int("duration_s", "Simulated time", 90, 10, 300, unit="s",
        help="How much time the run covers."),
    Int("outage_start_s", "Outage starts at", 10, 0, 300, unit="s",
        help="When the dependency starts failing."),
    Int("outage_s", "Outage lasts", 45, 0, 300, unit="s", never="never ends",
        help="How long the dependency keeps failing; past the end it answers normally again."),
    Int("error_pct", "Calls failing during the outage", 100, 1, 100, unit="%",
        help="Share of calls that fail while the outage lasts: below 100 % it is a partial "
             "outage."),
    Choice("failure_mode", "A failing call", "error", [
        ("error", "Returns an error at once"),
        ("hang", "Hangs until the caller's timeout"),
    ], help="A dependency that errors fast is the easy case; one that hangs makes every failure "
            "cost a full timeout."),
    _TIMEOUT_MS,
    *_BREAKER_SETTINGS,
    Seed(),
)

# Each preset sets every breaker setting, so switching back to "seed" undoes a library preset.
BREAKER_PRESETS = {name: timeline_params_for(config) for name, config in LIBRARY_CONFIGS.items()}

BREAKER_STEP_PARAMS = params(
    Text("steps", "Steps so far", "", "".join(model.STEP_LETTERS), model.MAX_STEPS,
         help="One letter per click, oldest first: s = a request that succeeds, f = fails, "
              "t = times out, w = wait. The buttons write it for you; edit it to replay a story."),
    _FAILURE_THRESHOLD,
    _OPEN_S,
    _PROBES,
    _PROBE_SUCCESSES,
    _DECISION,
    _HALF_OPEN_ON,
    Int("wait_s", "Each wait moves the clock by", 10, 1, 60, unit="s",
        help="How much time passes when you click 'wait'."),
    _TIMEOUT_MS,
)

CASCADE_PARAMS = params(
    Int("rate", "Request rate from C", 20, 1, 100, unit="req/s",
        help="Average requests per second that C sends to A (random, Poisson arrivals)."),
    Int("pool", "A's thread pool", 200, 10, 1000, step=10, unit="threads",
        help="How many requests A can work on at once; the rest wait in A's queue."),
    Int("slow_start_s", "B turns slow at", 10, 0, 120, unit="s",
        help="When B stops answering in time."),
    Int("slow_s", "B stays slow for", 90, 0, 300, unit="s",
        help="How long every call to B hangs until A's timeout."),
    Int("timeout_ms", "A's timeout on B", 30_000, 100, 60_000, step=100, unit="ms",
        help="How long A waits for B before giving up; a waiting call holds one of A's threads "
             "the whole time."),
    Multi("runs", "Runs", ("without", "with"), [
        ("without", "Without a breaker"),
        ("with", "With a breaker in A"),
    ], help="Both runs see exactly the same traffic, so the difference is the breaker's doing."),
    _FAILURE_THRESHOLD,
    _OPEN_S,
    _PROBES,
    _PROBE_SUCCESSES,
    Int("duration_s", "Simulated time", 160, 30, 240, unit="s",
        help="How much time the run covers."),
    Seed(),
)

# ==== shared presentation ==========================================================================

# The traffic light (see the module docstring); the CSS uses the same variables (.bk-*).
STATE_COLOUR = {CLOSED: charts.OUTCOME["success"], HALF_OPEN: charts.OUTCOME["rejected"],
                OPEN: charts.OUTCOME["failure"]}
STATE_CLASS = {CLOSED: "closed", OPEN: "open", HALF_OPEN: "half-open"}
EDGE_KEYS = {"trip": f"{CLOSED}->{OPEN}", "wait": f"{OPEN}->{HALF_OPEN}",
             "reopen": f"{HALF_OPEN}->{OPEN}", "close": f"{HALF_OPEN}->{CLOSED}"}
EDGE_OF = {v: k for k, v in EDGE_KEYS.items()}
# The timeline draws one dot per request while the dots and the two per-second bars of the load
# panel stay under the page's budget of plotted points; past it, per-second bars stacked by outcome
# (a dot costs ~25 bytes of JSON, and plotly.js draws every one).
MAX_POINTS = 1950
# A dot's height in its row (0, 1, 2), jittered by the request's index so that dots spread: the
# same for every run, so computed once rather than rounded again for each dot of each page.
DOT_Y = tuple(tuple(round(row + 0.6 * (((i * 0.6180339887) % 1) - 0.5), 1) for i in range(MAX_POINTS))
              for row in range(3))
BAND_OPACITY = 0.13


def _t(ms: float) -> str:
    """A moment on the timeline: '10.26 s'."""
    return f"{ms / 1000:,.2f} s"


def _dur(ms: float) -> str:
    """A duration: '30 s', '82.6 s', '60 ms'."""
    if ms < 1000:
        return f"{ms:,.0f} ms"
    s = ms / 1000
    return f"{s:,.0f} s" if abs(s - round(s)) < 0.05 else f"{s:,.1f} s"


def _hold(ms: float) -> str:
    """A hold time in a formula, to the millisecond: '30.005 s', '0.055 s'."""
    return f"{ms / 1000:g} s"


def _n(x) -> str:
    return f"{x:,}"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _edge_labels(config: dict) -> dict:
    """What makes each of the four moves happen, in two or three short lines (for the diagram)."""
    n, k = config["probes"], config["probe_successes"]
    open_s = f"{config['open_ms'] / 1000:g} s"
    if config["policy"] == "consecutive":
        f = config["failure_threshold"]
        trip = [_plural(f, "failure"), "in a row"]
    else:
        window = (f"in {config['window_ms'] / 1000:g} s" if config["window_kind"] == "time"
                  else f"of the last {config['window_calls']}")
        trip = [f"≥ {config['rate_threshold']:g} % failed", f"min. {config['min_calls']} calls", window]
    wait = [f"after {open_s},", "on a timer" if config["half_open_on"] == "timer" else "at the next call"]
    if n == 1:
        close, reopen = ["the test", "succeeds"], ["the test fails"]
    elif config["half_open_decision"] == "early":
        close = [f"{k} of {n} tests", "succeed"]
        fails = n - k + 1
        reopen = [f"{fails} test{'s' if fails > 1 else ''} fail{'' if fails > 1 else 's'}",
                  f"({k} of {n} out of reach)"]
    else:
        close = [f"≥ {k} of {n} tests", "succeed"]
        reopen = [f"fewer than {k} of {n}", "succeed"]
    return {"trip": trip, "wait": wait, "close": close, "reopen": reopen}


def _diagram(uid: str, config: dict, edges: dict, *, title: str, current: str | None = None,
             fired: tuple[str, ...] = (), node_notes: dict | None = None) -> dict:
    """Everything templates/demo/breaker/_diagram.html draws: counts on the four edges, the
    highlighted node (`current`) and edges (`fired`: what the last step did), a note per node."""
    labels = _edge_labels(config)
    counts = {key: edges.get(EDGE_KEYS[key], 0) for key in EDGE_KEYS}
    notes = node_notes or {}
    desc = "; ".join(f"{' '.join(labels[key])}: {_plural(counts[key], 'time')}" for key in EDGE_KEYS)
    if current:
        desc = f"Now {current}. " + desc
    return {
        "uid": uid, "title": title, "desc": desc, "current": current, "bands": uid == "breaker-timeline",
        "edges": {key: {"count": counts[key], "label": labels[key], "fired": key in fired}
                  for key in EDGE_KEYS},
        "nodes": {state: {"note": notes.get(state, ""), "cls": STATE_CLASS[state]}
                  for state in (CLOSED, OPEN, HALF_OPEN)},
    }


# ==== breaker-timeline =============================================================================

def present_timeline(result: dict, values: dict) -> View:
    totals, transitions = result["totals"], result["transitions"]
    horizon = result["horizon_ms"]
    trips = [tr for tr in transitions if tr["from"] == CLOSED]
    final = result["intervals"][-1]["state"]
    outage = result["outage"]
    if not trips:
        verdict = (f"The breaker never opened: all {_n(totals['requests'])} requests went to the "
                   f"dependency and {_n(totals['failure'])} failed there.")
    else:
        first = trips[0]
        leaked = totals["reached_while_open"]
        verdict = (f"OPEN at {_t(first['t_ms'])} after {_reason_short(first['reason'])}; "
                   f"{'not one request' if leaked == 0 else _plural(leaked, 'request')}"
                   f" reached the dependency while it was open; ")
        closes = [tr for tr in transitions if tr["to"] == CLOSED]
        if final == CLOSED and closes:
            last = closes[-1]["t_ms"]
            late = last - outage["end_ms"]
            recovered = values["outage_s"] is not None and outage["end_ms"] < horizon
            verdict += f"CLOSED again at {_t(last)}"
            verdict += (f", {_dur(late)} after the dependency recovered." if recovered and late >= 0
                        else ".")
        else:
            verdict += f"still {final} at the end ({_dur(horizon)})."
    stats = (
        ("Trips", _n(totals["trips"]) + (f", first at {_t(trips[0]['t_ms'])}" if trips else "")),
        ("Reached the dependency", f"{_n(totals['reached_dependency'])} of {_n(totals['requests'])}"),
        ("Rejected fast", _n(totals["rejected"])),
        ("Failed at the dependency", _n(totals["failure"])),
    )
    table = Table(("t_ms", "from", "to", "reason"),
                  tuple((tr["t_ms"], tr["from"], tr["to"], tr["reason"]) for tr in transitions),
                  "Every transition, when it happened and why." if transitions
                  else "No transitions: the breaker stayed CLOSED the whole run.")
    node_notes = {state: f"{_dur(ms)} in all" for state, ms in totals["time_in_state_ms"].items()}
    diagram = _diagram("breaker-timeline", result["config"], result["edges"],
                       title="The breaker's state machine in this run", current=final,
                       node_notes=node_notes)
    return View(verdict=verdict, table=table, stats=stats,
                charts=(_timeline_chart(result, values),),
                truth=_timeline_truth(result, values),
                extra_template="demo/breaker/timeline.html",
                extra={"diagram": diagram, "notes": result["notes"], "final": final,
                       "many": _many(result)})


def _reason_short(reason: str) -> str:
    """'5 consecutive failures (last: error)' -> '5 consecutive failures'."""
    return reason.split(" (last:")[0]


def _state_shapes(intervals: list[dict], horizon: float) -> list[dict]:
    """A pale band per state interval; a brief HALF_OPEN also gets a line so it stays visible."""
    shapes = []
    for iv in intervals:
        a, b = iv["start_ms"] / 1000, iv["end_ms"] / 1000
        colour = STATE_COLOUR[iv["state"]]
        wide = (b - a) >= 0.07 * horizon / 1000
        label = iv["state"] if wide and iv["state"] != CLOSED else ""
        shapes.append(charts.vband(a, b, colour, BAND_OPACITY, label, where="bottom left"))
        if iv["state"] == HALF_OPEN and (b - a) < 0.01 * horizon / 1000:
            line = charts.vline(a, colour, dash="dot")
            line["line"]["width"] = 2
            shapes.append(line)
    return shapes


def _legend_swatches() -> list[dict]:
    """Legend-only entries for the state bands (shapes have no legend of their own)."""
    out = []
    for state in (CLOSED, HALF_OPEN, OPEN):
        out.append({"type": "scatter", "mode": "markers", "x": [None], "y": [None],
                    "name": f"breaker {state}",
                    "marker": {"symbol": "square", "size": 14, "color": STATE_COLOUR[state], "opacity": 0.45},
                    "hoverinfo": "skip"})
    return out


def _many(result: dict) -> bool:
    """Too many requests for one dot each (see MAX_POINTS)."""
    return len(result["requests"]) + 2 * len(result["load"]["t_s"]) > MAX_POINTS


def _timeline_chart(result: dict, values: dict) -> Chart:
    horizon_s = result["horizon_ms"] / 1000
    load, requests = result["load"], result["requests"]
    many = _many(result)
    t_s = [t + 0.5 for t in load["t_s"]]
    traces, shapes = [], _state_shapes(result["intervals"], result["horizon_ms"])
    annotations = []
    outage = result["outage"]
    if outage["end_ms"] > outage["start_ms"]:
        what = "errors" if outage["mode"] == "error" else "hangs"
        pct = "" if outage["error_pct"] == 100 else f" ({outage['error_pct']} % of calls)"
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": outage["start_ms"] / 1000,
                       "x1": outage["end_ms"] / 1000, "y0": 1.015, "y1": 1.04,
                       "fillcolor": charts.OUTCOME["failure"], "opacity": 0.85, "line": {"width": 0}})
        annotations.append({"x": outage["start_ms"] / 1000, "y": 1.045, "xref": "x", "yref": "paper",
                            "text": f"dependency {what}{pct}", "showarrow": False, "xanchor": "left",
                            "yanchor": "bottom", "font": {"size": 11}})
    if many:
        # One panel: requests per second, stacked by outcome. Success and failure reached the
        # dependency; rejected never did.
        for key, name in (("success", "succeeded"), ("failure", "failed"), ("rejected", "rejected fast")):
            series = load[key]
            traces.append(charts.bars(t_s, series, name, charts.OUTCOME[key], width=1,
                                      hovertemplate="%{x:.0f} s: %{y} " + name + "<extra></extra>"))
        heights = [sum(x) for x in zip(load["success"], load["failure"], load["rejected"])]
        traces += _test_request_markers(requests, heights)
        traces += _legend_swatches()
        spec = charts.layout("Requests per second by outcome, and the breaker's state",
                             x="time (s)", y="requests per second", height=360, barmode="stack",
                             shapes=shapes, annotations=annotations, bargap=0, legend={"traceorder": "normal"},
                             xaxis={"range": [0, horizon_s]}, margin={"t": 70})
        alt = (f"{_n(len(requests))} requests drawn as per-second bars: {_n(result['totals']['success'])} "
               f"succeeded, {_n(result['totals']['failure'])} failed, {_n(result['totals']['rejected'])} "
               f"rejected fast. " + _transitions_alt(result))
        return Chart("chart-breaker-timeline", charts.figure(traces, spec), alt)

    # Top panel: one dot per request, in a row by outcome (jittered so that dots spread).
    rows = {"success": 2, "failure": 1, "rejected": 0}
    names = {"success": "succeeded", "failure": "failed", "rejected": "rejected fast"}
    for outcome in ("success", "failure", "rejected"):
        picked = [(i, r) for i, r in enumerate(requests) if r["outcome"] == outcome
                  and not (r["state"] == HALF_OPEN and outcome != "rejected")]
        if not picked:
            continue
        xs = [round(r["t_ms"] / 1000, 3) for _, r in picked]
        dot_y = DOT_Y[rows[outcome]]
        ys = [dot_y[i] for i, _ in picked]
        trace = charts.markers(xs, ys, names[outcome], charts.OUTCOME[outcome],
                               symbol="x-thin-open" if outcome == "failure" else "circle",
                               size=7 if outcome == "failure" else 5, yaxis="y2",
                               hovertemplate="%{x:.2f} s<extra>" + names[outcome] + "</extra>")
        if outcome == "failure":
            trace["marker"]["line"] = {"width": 2, "color": charts.OUTCOME["failure"]}
        else:
            trace["marker"]["line"] = {"width": 0}
        traces.append(trace)
    tests = [r for r in requests if r["state"] == HALF_OPEN and r["outcome"] != "rejected"]
    for outcome, name in (("success", "test request, succeeded"), ("failure", "test request, failed")):
        picked = [r for r in tests if r["outcome"] == outcome]
        if picked:
            # Tests go out within milliseconds of each other: spread them up and down to see each.
            ys = [round(rows[outcome] + 0.5 * (((k * 0.6180339887) % 1) - 0.5), 2) for k in range(len(picked))]
            traces.append(charts.markers([round(r["t_ms"] / 1000, 3) for r in picked],
                                         ys, name, charts.OUTCOME[outcome],
                                         symbol="diamond", size=12, yaxis="y2",
                                         hovertemplate="%{x:.2f} s: half-open test request<extra>" + name + "</extra>"))
    # Bottom panel: the load that reaches the dependency, per second.
    for key, name in (("success", "reached it: succeeded"), ("failure", "reached it: failed")):
        traces.append(charts.bars(t_s, load[key], name, charts.OUTCOME[key], width=1, opacity=0.8,
                                  showlegend=False,
                                  hovertemplate="%{x:.0f} s: %{y} calls " + name.split(": ")[1] + "<extra></extra>"))
    traces += _legend_swatches()
    annotations.append({"x": 0, "y": 0.37, "xref": "paper", "yref": "paper", "xanchor": "left",
                        "yanchor": "bottom", "showarrow": False, "font": {"size": 11},
                        "text": "calls per second reaching the dependency"})
    spec = charts.layout("Each request, and the dependency's load", x="time (s)", height=480,
                         barmode="stack", shapes=shapes, annotations=annotations, bargap=0, margin={"t": 70},
                         xaxis={"range": [0, horizon_s]},
                         legend={"traceorder": "normal"},
                         yaxis={"domain": [0, 0.34]},
                         yaxis2={"domain": [0.46, 1], "range": [-0.5, 2.5], "tickvals": [0, 1, 2],
                                 "ticktext": ["rejected", "failed", "succeeded"], "zeroline": False,
                                 "showgrid": False, "fixedrange": True, "automargin": True})
    alt = (f"{_n(len(requests))} requests, one dot each: {_n(result['totals']['success'])} succeeded, "
           f"{_n(result['totals']['failure'])} failed, {_n(result['totals']['rejected'])} rejected fast; "
           f"{_n(result['totals']['reached_while_open'])} reached the dependency while the breaker was OPEN. "
           + _transitions_alt(result))
    return Chart("chart-breaker-timeline", charts.figure(traces, spec), alt)


def _test_request_markers(requests: list[dict], heights: list[int]) -> list[dict]:
    out = []
    for outcome, name in (("success", "test request, succeeded"), ("failure", "test request, failed")):
        picked = [r for r in requests if r["state"] == HALF_OPEN and r["outcome"] == outcome]
        if picked:
            ys = [heights[min(int(r["t_ms"] // 1000), len(heights) - 1)] + 1 for r in picked]
            out.append(charts.markers([round(r["t_ms"] / 1000, 3) for r in picked], ys, name,
                                      charts.OUTCOME[outcome], symbol="diamond", size=12,
                                      hovertemplate="%{x:.2f} s: half-open test request<extra>" + name + "</extra>"))
    return out


def _transitions_alt(result: dict) -> str:
    trs = result["transitions"]
    if not trs:
        return "The breaker stayed CLOSED."
    shown = "; ".join(f"{tr['to']} at {_t(tr['t_ms'])}" for tr in trs[:8])
    return "Transitions: " + shown + (f"; and {len(trs) - 8} more." if len(trs) > 8 else ".")


def _timeline_truth(result: dict, values: dict) -> tuple:
    totals, intervals, config = result["totals"], result["intervals"], result["config"]
    rate = values["rate"]
    rows = [("requests reaching the dependency while OPEN", _n(totals["reached_while_open"]),
             "0: an open breaker calls nobody")]
    # Rejections while OPEN: Poisson arrivals at `rate` over the time spent OPEN.
    open_ms = totals["time_in_state_ms"][OPEN]
    rejected_open = sum(1 for r in result["requests"] if r["state"] == OPEN and r["outcome"] == "rejected")
    if open_ms > 0:
        expected = rate * open_ms / 1000
        rows.append(("requests rejected while OPEN", _n(rejected_open),
                     f"≈ {_n(round(expected))} ± {math.sqrt(expected):.0f} = {rate}/s × {_dur(open_ms)} open "
                     "(Poisson: expected ± one standard deviation)"))
    # OPEN -> HALF_OPEN: exactly open_s on a timer; lazily, open_s plus the wait for the next call.
    waits = [b["start_ms"] - a["start_ms"] for a, b in zip(intervals, intervals[1:])
             if a["state"] == OPEN and b["state"] == HALF_OPEN]
    if waits:
        open_s = config["open_ms"] / 1000
        sim = _t(sum(waits) / len(waits)) + (f" (mean of {len(waits)})" if len(waits) > 1 else "")
        if config["half_open_on"] == "timer":
            rows.append(("time from OPEN to HALF_OPEN", sim, f"{open_s:g} s, on the timer"))
        else:
            rows.append(("time from OPEN to HALF_OPEN", sim,
                         f"≈ {_t(config['open_ms'] + 1000 / rate)} = {open_s:g} s + 1/rate, the wait "
                         "for the next call (expected)"))
    if totals["test_requests"]:
        rows.append(("most test requests in one HALF_OPEN", _n(totals["max_test_requests_per_half_open"]),
                     f"≤ {config['probes']}, the test requests allowed"))
    rows += _trip_time_truth(result, values)
    return tuple(rows)


def _trip_time_truth(result: dict, values: dict) -> list:
    """Expected time to trip for the consecutive rule: with failure probability p per call, the
    mean number of calls until N failures in a row is (1/p^N - 1) / (1 - p) (N when p = 1); calls
    arrive at `rate`, and the last failure takes ERROR_MS or the timeout to come back."""
    config, outage = result["config"], result["outage"]
    trips = [tr for tr in result["transitions"] if tr["from"] == CLOSED]
    if config["policy"] != "consecutive" or not trips:
        return []
    first = trips[0]["t_ms"]
    if not outage["start_ms"] <= first <= outage["end_ms"] + values["timeout_ms"]:
        return []
    n, p = config["failure_threshold"], values["error_pct"] / 100
    calls = n if p == 1 else (1 / p ** n - 1) / (1 - p)
    took = model.ERROR_MS if values["failure_mode"] == "error" else values["timeout_ms"]
    expected = outage["start_ms"] + calls / values["rate"] * 1000 + took
    if p == 1:
        formula = f"outage start + {n} calls ÷ {values['rate']}/s + {_dur(took)}"
    else:
        formula = f"outage start + (1/p^{n} − 1)/(1 − p) = {calls:,.0f} calls ÷ {values['rate']}/s, p = {p:g}"
    return [("first trip (consecutive rule)", _t(first), f"≈ {_t(expected)} = {formula} (expected)")]


# ==== breaker-step =================================================================================

def present_step(result: dict, values: dict) -> View:
    events, counters, state = result["events"], result["counters"], result["state"]
    config = result["config"]
    verdict = _step_verdict(result, values)
    stats = [("State", state), ("Clock", _t(result["clock_ms"]))]
    if state == CLOSED:
        stats.append(("Failures in a row", f"{counters['consecutive_failures']} of {config['failure_threshold']}"))
    elif state == OPEN:
        stats.append(("Open until", _t(counters["open_until_ms"])))
    else:
        stats.append(("Test requests sent", f"{counters['probes_admitted']} of {config['probes']}, "
                                            f"{counters['probe_successes']} ok"))
    stats.append(("Next request", {"admitted": "goes through", "rejected": "rejected fast",
                                   "test request": "a test"}[result["next_request"]]))
    rows = tuple((e["i"] + 1, e["t_ms"], e["event"], e["label"], e["state_before"],
                  None if e["reached"] is None else ("yes" if e["reached"] else "no"),
                  e["outcome"], "yes" if e["test_request"] else None, e["state_after"],
                  "; ".join(tr["reason"] for tr in e["transitions"]) or None) for e in events)
    table = Table(("step", "t_ms", "letter", "event", "state_before", "reached", "outcome",
                   "test_request", "state_after", "transition"), rows,
                  "Every step: what you chose, what the breaker let through, and what changed.")
    fired = tuple(EDGE_OF[f"{tr['from']}->{tr['to']}"] for tr in (events[-1]["transitions"] if events else ()))
    node_notes = {
        CLOSED: (f"{counters['consecutive_failures']} of {config['failure_threshold']} failures"
                 if state == CLOSED else "calls go through"),
        OPEN: (f"until {_t(counters['open_until_ms'])}" if state == OPEN else "calls fail fast"),
        HALF_OPEN: (f"tests {counters['probes_admitted']}/{config['probes']} · {counters['probe_successes']} ok"
                    if state == HALF_OPEN else f"{config['probes']} test call{'s' if config['probes'] > 1 else ''}"),
    }
    diagram = _diagram("breaker-step", config, result["edges"], title="Where the breaker is now",
                       current=state, fired=fired, node_notes=node_notes)
    return View(verdict=verdict, table=table, stats=tuple(stats),
                truth=_step_truth(result), extra_template="demo/breaker/step.html",
                extra={"controls": True,  # its step buttons stay while a prediction holds the result back
                       "diagram": diagram, "story": [_narrate(e, values) for e in events[-4:]][::-1],
                       "notes": result["notes"], "full": len(result["steps"]) >= result["max_steps"],
                       "lazy_due": state == OPEN and result["next_request"] == "test request"})


def _step_verdict(result: dict, values: dict) -> str:
    state, events = result["state"], result["events"]
    if not events:
        return ("The breaker is CLOSED and no request has been sent yet: choose what the next "
                "request does.")
    last = events[-1]
    head = f"Step {len(events)}: " + _narrate(last, values)["text"]
    if last["transitions"]:
        return head
    tail = {CLOSED: " The breaker stays CLOSED.", OPEN: " The breaker stays OPEN.",
            HALF_OPEN: " The breaker stays HALF_OPEN."}[state]
    if state == OPEN and result["next_request"] == "test request":
        tail = " The wait is over, but this breaker moves only when the next request arrives."
    return head + tail


def _narrate(e: dict, values: dict) -> dict:
    """One step in words, with the transitions it caused."""
    if e["event"] == "w":
        text = f"{values['wait_s']} s passed (clock {_t(e['end_ms'])})."
    elif not e["reached"]:
        why = ("the breaker is OPEN" if e["state_after"] == OPEN else
               f"all {values['probes']} test requests are already out")
        text = (f"Rejected at {_t(e['t_ms'])}: {why}, so the request never reached the dependency and "
                f"what you chose for it did not matter.")
    else:
        did = {"success": "succeeded", "failure": "failed",
               "timeout": f"timed out after {_dur(values['timeout_ms'])}"}[e["outcome"]]
        kind = "Test request" if e["test_request"] else "Request"
        text = f"{kind} reached the dependency at {_t(e['t_ms'])} and {did}."
    moves = [f"{tr['from']} → {tr['to']} at {_t(tr['t_ms'])} ({tr['reason']})." for tr in e["transitions"]]
    if moves:
        text += " " + " ".join(moves)
    return {"i": e["i"] + 1, "letter": e["event"], "text": text, "outcome": e["outcome"],
            "moved": bool(e["transitions"])}


def _step_truth(result: dict) -> tuple:
    events, config = result["events"], result["config"]
    rows = [("requests that reached the dependency while OPEN",
             _n(sum(1 for e in events if e["reached"] and e["state_before"] == OPEN and not e["test_request"])),
             "0: an open breaker calls nobody")]
    trs = result["transitions"]
    waits = [b["t_ms"] - a["t_ms"] for a, b in zip(trs, trs[1:]) if a["to"] == OPEN and b["to"] == HALF_OPEN]
    if waits:
        rule = ("on the timer" if config["half_open_on"] == "timer"
                else "or later: at the first request after the wait")
        rows.append(("time from OPEN to HALF_OPEN", ", ".join(_dur(w) for w in waits),
                     f"{config['open_ms'] / 1000:g} s {rule}"))
    tests = [e for e in events if e["test_request"]]
    if tests:
        rows.append(("most test requests in one HALF_OPEN", _n(_most_tests(events)),
                     f"≤ {config['probes']}, the test requests allowed"))
    return tuple(rows)


def _most_tests(events: list[dict]) -> int:
    """The most test requests admitted within one HALF_OPEN period."""
    best = run = 0
    for e in events:
        if any(tr["to"] == HALF_OPEN for tr in e["transitions"]):
            run = 0
        if e["test_request"]:
            run += 1
            best = max(best, run)
    return best


# ==== cascade ======================================================================================

RUN_LABEL = {"without": "without a breaker", "with": "with a breaker in A"}
RUN_COLOUR = {"without": charts.SERIES[0], "with": charts.SERIES[1]}


def present_cascade(result: dict, values: dict) -> View:
    runs = result["runs"]
    verdict = _cascade_verdict(result, values)
    order = [name for name in ("without", "with") if name in runs]
    which = ": no breaker / breaker" if len(order) == 2 else f", {RUN_LABEL[order[0]]}"

    def both(fmt):
        return " / ".join(fmt(runs[name]["totals"]) for name in order)

    stats = [("Pool full" + which, both(lambda t: _dur(t["saturated_s"] * 1000) if t["saturated_s"] else "never")),
             ("C's p99 latency" + which, both(lambda t: _dur(t["c_p99_ms"]) if t["c_p99_ms"] is not None else "—")),
             ("Calls reaching B" + which, both(lambda t: _n(t["reached_b"])))]
    if "with" in runs:
        first = runs["with"]["totals"]["first_trip_ms"]
        stats.append(("Breaker trips at", _t(first) if first is not None else "never"))
    else:
        stats.append(("Peak busy threads", f"{runs[order[0]]['totals']['peak_busy']:,} of {values['pool']:,}"))
    t_s = result["t_s"]
    columns, cols = ["t_s"], []
    for name in order:
        s = runs[name]["series"]
        for key in ("busy_avg", "busy_max", "queue_max", "reached_b", "c_p50_ms", "c_p99_ms"):
            columns.append(f"{key}_{name}")
            cols.append(s[key])
    rows = tuple((t, *(col[i] for col in cols)) for i, t in enumerate(t_s))
    table = Table(tuple(columns), rows, "Per second, for each run: threads busy (mean and peak), "
                  "A's queue, calls reaching B, and C's latency (of the requests that finished in that second).")
    return View(verdict=verdict, table=table, stats=tuple(stats),
                charts=(_threads_chart(result, values), _latency_chart(result, values),
                        _reach_chart(result, values)),
                truth=_cascade_truth(result, values),
                extra_template="demo/breaker/cascade.html",
                extra={"timeout": _dur(values["timeout_ms"]), "rows": _littles_rows(result, values),
                       "notes": result["notes"]})


def _cascade_verdict(result: dict, values: dict) -> str:
    runs, pool = result["runs"], values["pool"]
    w, b = runs.get("without"), runs.get("with")
    if values["slow_s"] == 0 or result["slow"]["start_ms"] >= result["horizon_ms"]:
        return "B never turns slow in this run, so there is nothing for a breaker to do."
    if w and b:
        wt, bt = w["totals"], b["totals"]
        trip = bt["first_trip_ms"]
        trip_text = f"the breaker trips at {_t(trip)}" if trip is not None else "the breaker never trips"
        if wt["saturated_s"] > 0 and bt["saturated_s"] > 0:
            return (f"Without a breaker A's {pool:,} threads are all busy for {_dur(wt['saturated_s'] * 1000)} and C "
                    f"waits up to {_dur(wt['c_max_ms'])}; with one, for {_dur(bt['saturated_s'] * 1000)}: "
                    f"{trip_text}, a whole timeout after B slowed, so it shortens the saturation but "
                    f"cannot prevent it.")
        if wt["saturated_s"] > 0:
            return (f"Without a breaker A's {pool:,} threads are all busy for {_dur(wt['saturated_s'] * 1000)}; "
                    f"with one they never all are (peak {bt['peak_busy']:,}): {trip_text} and A fails fast "
                    f"from then on.")
        return (f"A's pool never fills: at most {wt['peak_busy']:,} of {pool:,} threads busy without a breaker, "
                f"{bt['peak_busy']:,} with one ({trip_text}); the timeout keeps rate × timeout inside the pool.")
    run, name = (w, "without") if w else (b, "with")
    t = run["totals"]
    full = (f"all {pool:,} threads are busy for {_dur(t['saturated_s'] * 1000)}" if t["saturated_s"]
            else f"at most {t['peak_busy']:,} of {pool:,} threads are busy")
    extra = ""
    if name == "with":
        extra = (f"; the breaker trips at {_t(t['first_trip_ms'])}" if t["first_trip_ms"] is not None
                 else "; the breaker never trips")
    label = RUN_LABEL[name]
    return f"{label[0].upper() + label[1:]}: {full} and C's p99 latency is {_dur(t['c_p99_ms'])}{extra}."


def _slow_band(result: dict) -> dict:
    slow = result["slow"]
    return charts.vband(slow["start_ms"] / 1000, min(slow["end_ms"], result["horizon_ms"]) / 1000,
                        charts.OUTCOME["failure"], 0.08, "B slow", where="top left")


def _trip_lines(result: dict) -> list[dict]:
    run = result["runs"].get("with")
    if not run or run["totals"]["first_trip_ms"] is None:
        return []
    return [charts.vline(run["totals"]["first_trip_ms"] / 1000, RUN_COLOUR["with"])]


def _trip_legend(result: dict) -> list[dict]:
    """A legend entry for the trip line (shapes have no legend of their own)."""
    if not _trip_lines(result):
        return []
    return [charts.line([None], [None], f"breaker trips ({_t(result['runs']['with']['totals']['first_trip_ms'])})",
                        RUN_COLOUR["with"], dash="dash", hoverinfo="skip")]


def _x(result: dict) -> list[float]:
    return [t + 0.5 for t in result["t_s"]]


def _threads_chart(result: dict, values: dict) -> Chart:
    x, traces = _x(result), []
    for name, run in result["runs"].items():
        traces.append(charts.line(x, run["series"]["busy_avg"], RUN_LABEL[name], RUN_COLOUR[name],
                                  hovertemplate="%{x:.0f} s: %{y:,.1f} threads busy<extra>"
                                                + RUN_LABEL[name] + "</extra>"))
    pool = values["pool"]
    traces.append(charts.line([0, result["horizon_ms"] / 1000], [pool, pool], f"pool size ({pool:,})",
                              charts.NEUTRAL, dash="dash", width=1.5, hoverinfo="skip"))
    demand = result["littles_law"]["slow_without_breaker"]["demand"]
    traces += _trip_legend(result)
    spec = charts.layout("Threads busy in A", x="time (s)", y="threads (mean per second)", height=320,
                         shapes=[_slow_band(result), *_trip_lines(result)],
                         yaxis={"range": [0, pool * 1.12]},
                         xaxis={"range": [0, result["horizon_ms"] / 1000]})
    alt = "; ".join(f"{RUN_LABEL[n]}: peak {r['totals']['peak_busy']:,} of {pool:,} threads, pool full for "
                    f"{r['totals']['saturated_s']} s" for n, r in result["runs"].items())
    alt += f". Little's law: a slow B needs {demand:,} threads."
    return Chart("chart-cascade-threads", charts.figure(traces, spec), alt)


def _latency_chart(result: dict, values: dict) -> Chart:
    x, traces = _x(result), []
    for name, run in result["runs"].items():
        s = run["series"]
        for key, label, dash in (("c_p99_ms", "p99", "solid"), ("c_p50_ms", "p50", "dot")):
            ys = [None if v is None else round(v / 1000, 4) for v in s[key]]
            traces.append(charts.line(x, ys, f"{label}, {RUN_LABEL[name]}", RUN_COLOUR[name], dash=dash,
                                      connectgaps=False, mode="lines+markers", marker={"size": 3},
                                      hovertemplate=f"%{{x:.0f}} s: %{{y:.3f}} s<extra>{label}, "
                                                    f"{RUN_LABEL[name]}</extra>"))
    traces += _trip_legend(result)
    spec = charts.layout("Latency seen by C, by second answered", x="time (s)",
                         y="seconds (log scale)", height=320,
                         shapes=[_slow_band(result), *_trip_lines(result)],
                         yaxis={"type": "log", "rangemode": "normal"},
                         xaxis={"range": [0, result["horizon_ms"] / 1000]})
    alt = "; ".join(f"{RUN_LABEL[n]}: C's p50 {_dur(r['totals']['c_p50_ms'])}, p99 {_dur(r['totals']['c_p99_ms'])}, "
                    f"worst {_dur(r['totals']['c_max_ms'])}" for n, r in result["runs"].items()
                    if r["totals"]["c_p50_ms"] is not None)
    return Chart("chart-cascade-latency", charts.figure(traces, spec), alt or "No request finished.")


def _reach_chart(result: dict, values: dict) -> Chart:
    x, traces = _x(result), []
    for name, run in result["runs"].items():
        traces.append(charts.line(x, run["series"]["reached_b"], RUN_LABEL[name], RUN_COLOUR[name],
                                  hovertemplate="%{x:.0f} s: %{y} calls to B<extra>" + RUN_LABEL[name] + "</extra>"))
    traces += _trip_legend(result)
    spec = charts.layout("Calls reaching B", x="time (s)", y="calls per second", height=280,
                         shapes=[_slow_band(result), *_trip_lines(result)],
                         xaxis={"range": [0, result["horizon_ms"] / 1000]})
    alt = "; ".join(f"{RUN_LABEL[n]}: {r['totals']['reached_b']:,} calls reached B"
                    for n, r in result["runs"].items())
    return Chart("chart-cascade-b", charts.figure(traces, spec), alt)


def _littles_rows(result: dict, values: dict) -> list[dict]:
    """Little's law, computed from the parameters, for the regimes of the story (for the card)."""
    ll, rate, pool = result["littles_law"], values["rate"], values["pool"]
    slow = ll["slow_without_breaker"]
    rows = [{"when": "B healthy", "formula": f"{rate}/s × {_hold(ll['normal']['hold_ms'])}",
             "value": f"{ll['normal']['busy']:,} threads", "note": "a pool of this size is mostly idle"}]
    if slow["saturates"]:
        rows.append({"when": "B slow, no breaker", "formula": f"{rate}/s × {_hold(slow['hold_ms'])}",
                     "value": f"{slow['demand']:,} threads wanted",
                     "note": (f"more than the {pool:,} there are: the pool is full "
                              f"{_dur(slow['fill_s'] * 1000)} after B slows ({pool:,} ÷ {rate}/s); A then "
                              f"finishes {slow['throughput_cap_per_s']:,}/s ({pool:,} ÷ {_hold(slow['hold_ms'])}) "
                              f"and the other {slow['queue_growth_per_s']:,}/s queue")})
    else:
        rows.append({"when": "B slow, no breaker", "formula": f"{rate}/s × {_hold(slow['hold_ms'])}",
                     "value": f"{slow['demand']:,} threads",
                     "note": f"fits in the pool of {pool:,}: the timeout alone bounds the damage"})
    rows.append({"when": "Breaker open", "formula": f"{rate}/s × {_hold(ll['breaker_open']['hold_ms'])}",
                 "value": f"{ll['breaker_open']['busy']:,} threads",
                 "note": "A only does its own work and answers at once"})
    return rows


def _cascade_truth(result: dict, values: dict) -> tuple:
    ll, rate, pool, runs = result["littles_law"], values["rate"], values["pool"], result["runs"]
    normal, slow, opened = ll["normal"], ll["slow_without_breaker"], ll["breaker_open"]
    rows = []
    if normal.get("simulated") is not None:
        a, b = normal["stretch_ms"]
        rows.append((f"threads busy, B healthy ({a / 1000:g}–{b / 1000:g} s, no breaker)",
                     f"{normal['simulated']:,}",
                     f"{normal['busy']:,} = {rate}/s × {_hold(normal['hold_ms'])} (Little's law)"))
    if slow.get("simulated") is not None:
        a, b = slow["stretch_ms"]
        rows.append((f"threads busy, B slow ({a / 1000:g}–{b / 1000:g} s, no breaker)", f"{slow['simulated']:,}",
                     f"{slow['busy']:,} = min(pool {pool:,}, "
                     f"{rate}/s × {_hold(slow['hold_ms'])} = {slow['demand']:,})"))
    w = runs.get("without")
    if w and slow["saturates"]:
        start = result["slow"]["start_ms"]
        full_at = next((k for k, m in enumerate(w["series"]["busy_max"]) if m >= pool and k * 1000 >= start), None)
        if full_at is not None:
            a = max(0, full_at * 1000 - start) / 1000
            rows.append(("time for the pool to fill after B slows", f"{a:g}–{a + 1:g} s (to the second)",
                         f"{_dur(slow['fill_s'] * 1000)} = pool {pool:,} ÷ {rate}/s"))
        # Once the first slow calls time out, every thread finishes one call per hold time.
        a, b = start + slow["hold_ms"], result["slow"]["end_ms"]
        first, last = math.ceil(a / 1000), min(int(b // 1000), len(result["t_s"]))
        if last - first >= 10:
            done = w["series"]["completed"][first:last]
            rows.append((f"A's throughput while full ({first}–{last} s)",
                         f"{sum(done) / len(done):,.1f}/s",
                         f"{slow['throughput_cap_per_s']:,}/s = pool {pool:,} ÷ {_hold(slow['hold_ms'])}"))
    if opened.get("simulated") is not None:
        rows.append((f"threads busy while the breaker is OPEN ({_dur(opened['stretch_ms_total'])} in all)",
                     f"{opened['simulated']:,}",
                     f"{opened['busy']:,} = {rate}/s × {_hold(opened['hold_ms'])} of A's own work"))
    b = runs.get("with")
    if b:
        rows.append(("calls reaching B while the breaker is OPEN", _n(b["totals"]["reached_b_while_open"]), "0"))
    return tuple(rows)


# ==== registration =================================================================================

def _timeline_preset(name: str) -> dict:
    defaults = BREAKER_TIMELINE_PARAMS.defaults()
    return {k: v for k, v in BREAKER_PRESETS[name].items() if defaults[k] != v}


register(Demo(
    "breaker-timeline", "One outage through a circuit breaker", BREAKER_TIMELINE_PARAMS,
    model.breaker_timeline, present_timeline,
    summary="A caller sends 20 requests a second through a breaker to a dependency that fails for "
            "45 s. Watch the breaker trip, fail fast, test and close.",
    presets=(
        Preset("seed", "Our example", _timeline_preset("seed"),
               "5 failures in a row, open 30 s, 3 test requests, close on 2"),
        Preset("hang", "Dependency hangs", {"failure_mode": "hang"},
               "every failure costs the 1 s timeout, so it trips later"),
        Preset("hystrix", "Hystrix", _timeline_preset("hystrix"),
               "50 % of at least 20 calls in 10 s, open 5 s, one test on the next call"),
        Preset("resilience4j", "resilience4j", _timeline_preset("resilience4j"),
               "50 % of the last 100 calls, open 60 s, 10 tests judged together"),
        Preset("polly", "Polly v8", _timeline_preset("polly"),
               "10 % of at least 100 calls in 30 s, open 5 s, one test"),
    )))

register(Demo(
    "breaker-step", "Step through a circuit breaker", BREAKER_STEP_PARAMS, model.replay, present_step,
    summary="Send one request at a time, choose whether it succeeds, fails or times out, or let "
            "time pass, and watch the state machine move.",
    presets=(
        Preset("fresh", "Start", {}, "CLOSED, nothing sent yet"),
        Preset("tripped", "Just tripped", {"steps": "fffff"}, "five failures in a row: OPEN"),
        Preset("half-open", "Half-open", {"steps": "fffffwww"},
               "30 s later: up to 3 requests go through as tests; 2 successes close it, 2 failures re-open it"),
        Preset("story", "The whole story", {"steps": "fffffswwwffwwwtss"},
               "trip, reject, test, re-open, test again, close"),
        Preset("lazy", "Half-open on the next call", {"steps": "fffffwww", "half_open_on": "call"},
               "30 s later it still says OPEN until a request arrives"),
    )))

register(Demo(
    "cascade", "Cascading failure: C calls A, A calls B, B turns slow", CASCADE_PARAMS,
    cascade_model.cascade, present_cascade,
    summary="The same traffic twice, without and with a breaker in A: A's threads, C's latency and "
            "the load on B.",
    presets=(
        Preset("seed", "Our example (30 s timeout)", {},
               "the pool fills before the breaker hears of a single failure"),
        Preset("short-timeout", "2 s timeout", {"timeout_ms": 2000},
               "the timeout bounds the peak, the breaker the duration"),
        Preset("big-pool", "Pool of 1,000", {"pool": 1000},
               "enough threads for 20/s × 30 s: no queue, but 600 threads held"),
    )))
