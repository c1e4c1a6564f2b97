"""Demos of the fallacies lesson: an unreliable network, latency, bandwidth (one calculation each)."""

from __future__ import annotations

import math

from .. import charts
from ..params import Choice, Float, Int, Seed, params
from ..sims import fallacies as model
from . import Chart, Demo, Preset, Table, View, register

FALLACY_NETWORK_PARAMS = params(
    Float("loss_pct", "Failure per call", 1.0, 0.0, 50.0, step=0.1, unit="%",
          help="The chance that one attempt of one call fails (lost, reset or timed out)."),
    Int("hops", "Calls in the chain", 5, 1, 20,
        help="How many services a request passes through, each calling the next."),
    Int("retries", "Retries per call", 0, 0, 5,
        help="How many times each service retries its call before giving up: 2 retries are 3 attempts."),
    Seed(),
)

FALLACY_LATENCY_PARAMS = params(
    Int("items", "Items to fetch", 100, 1, 1000,
        help="How many things the page needs, e.g. the 100 products of an order history."),
    Int("batch_size", "Items per call", 100, 1, 1000,
        help="1 is a chatty API (one call per item); more items per call means fewer round trips."),
    Choice("rtt", "Round-trip time", "same-dc",
           tuple((key, f"{label} ({rtt:g} ms)") for key, label, rtt in model.ENVIRONMENTS),
           help="How long one request and its answer spend on the network, where the caller runs."),
    Float("server_ms", "Server work per item", 0.1, 0.0, 10.0, step=0.1, unit="ms",
          help="Time the server spends on each item; the same in both designs."),
)

FALLACY_BANDWIDTH_PARAMS = params(
    Int("payload_kb", "Response size", 500, 10, 20000, step=10, unit="kB",
        help="The size of one response body (1 kB = 1000 bytes)."),
    Int("rate", "Request rate", 150, 10, 10000, step=10, unit="req/s",
        help="How many of these responses go out per second, on average (Poisson arrivals)."),
    Choice("link", "Link", "1g", tuple((key, label) for key, label, _bps in model.LINKS),
           help="The network link all these responses share."),
    Seed(),
)


def _pct(x: float, digits: int = 2) -> str:
    return f"{x * 100:.{digits}f}%"


def _ms(x: float) -> str:
    """'7.01 s', '60 ms', '10.5 ms', '4.25 ms', '0.05 ms': as many digits as the size deserves."""
    if x >= 1000:
        return f"{x / 1000:,.2f} s"
    text = f"{x:,.1f}" if x >= 10 else f"{x:.2f}"
    return text.rstrip("0").rstrip(".") + " ms" if "." in text else text + " ms"


# ---- the network is reliable -------------------------------------------------------------------

def present_network(result: dict, values: dict) -> View:
    hops, retries, p = values["hops"], values["retries"], values["loss_pct"]
    success = result["success"]
    fail = 1 - success
    one_in = f"about 1 request in {round(1 / fail):,} fails" if fail > 0.0005 else "almost no request fails"
    retry_text = f" with {retries} retr{'y' if retries == 1 else 'ies'} per call" if retries else ""
    verdict = (f"A chain of {hops} call{'s' if hops != 1 else ''} at {p:g}% failure each{retry_text} succeeds "
               f"{_pct(success)} of the time (formula {_pct(result['formula'])}): {one_in}, "
               f"at {result['attempts_per_request']:.2f} attempts per request.")
    stats = (
        ("Requests that succeed", _pct(success)),
        ("One call succeeds", _pct(result["per_call_success"], 4 if retries else 2)),
        ("Attempts per request", f"{result['attempts_per_request']:.2f}"),
        ("Without retries", _pct(result["chain"][-1]["formula_no_retries"])),
    )
    chain = result["chain"]
    table = Table(("calls_in_chain", "success_simulated", "success_formula", "success_formula_no_retries"),
                  tuple((c["hops"], c["simulated"], c["formula"], c["formula_no_retries"]) for c in chain),
                  f"Share of {result['requests']:,} requests that got through the first n calls.")
    truth = (
        (f"success through {hops} calls", _pct(success), result["formula_text"]),
        ("attempts per request", f"{result['attempts_per_request']:.3f}",
         f"{result['attempts_formula']:.3f} = (1 + p + … + p^r) × (1 + s + … + s^(n−1)), s = one call's success"),
    )
    xs = [c["hops"] for c in chain]
    traces = [charts.line(xs, [round(100 * c["formula"], 3) for c in chain],
                          "formula" + (f", {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""),
                          charts.SERIES[0], hovertemplate="%{x} calls: %{y:.2f}%<extra>formula</extra>")]
    if retries:
        traces.append(charts.line(xs, [round(100 * c["formula_no_retries"], 3) for c in chain],
                                  "formula without retries", charts.NEUTRAL, dash="dash",
                                  hovertemplate="%{x} calls: %{y:.2f}%<extra>no retries</extra>"))
    traces.append(charts.markers(xs, [round(100 * c["simulated"], 2) for c in chain],
                                 f"simulated ({result['requests']:,} requests)", charts.OUTCOME["success"], size=9,
                                 hovertemplate="%{x} calls: %{y:.2f}%<extra>simulated</extra>"))
    low = min(min(c["simulated"], c["formula_no_retries"] if retries else 1) for c in chain)
    spec = charts.layout("Requests through a chain of calls", x="calls in the chain",
                         y="requests that succeed (%)", height=320,
                         xaxis={"dtick": 1 if hops <= 10 else 2, "range": [0.5, hops + 0.5]},
                         yaxis={"rangemode": "normal", "range": [max(0, 100 * low - 3), 100.5]})
    alt = "; ".join(f"{c['hops']} calls: {_pct(c['simulated'])} simulated, {_pct(c['formula'])} formula"
                    for c in chain)
    return View(verdict=verdict, stats=stats, table=table, truth=truth,
                charts=(Chart("chart-fallacy-network", charts.figure(traces, spec), alt),))


# ---- latency is zero ---------------------------------------------------------------------------

def present_latency(result: dict, values: dict) -> View:
    trips = result["round_trips"]
    env = next(e for e in result["environments"] if e["chosen"])
    items = values["items"]
    verdict = (f"{items:,} item{'s' if items != 1 else ''} one call each, {env['label'].lower()}: "
               f"{_ms(result['chatty_ms'])}, {_pct(result['network_share_chatty'], 0)} of it on the network. "
               f"In {trips['batched']:,} call{'s' if trips['batched'] != 1 else ''}: {_ms(result['batched_ms'])}"
               + (f", {result['speedup']:,.1f}× faster." if result["speedup"] > 1.05 else "."))
    stats = (
        ("One call per item", _ms(result["chatty_ms"])),
        (f"{min(values['batch_size'], items):,} items per call", _ms(result["batched_ms"])),
        ("Round trips", f"{trips['chatty']:,} → {trips['batched']:,}"),
        ("Server work (both)", _ms(result["server_ms"])),
    )
    envs = result["environments"]
    table = Table(("environment", "rtt_ms", "one_call_per_item_ms", "batched_ms"),
                  tuple((e["id"], e["rtt_ms"], e["chatty_ms"], e["batched_ms"]) for e in envs),
                  "The same work, from each place the caller could run.")
    truth = (
        ("one call per item", _ms(result["chatty_ms"]),
         f"{trips['chatty']:,} × {env['rtt_ms']:g} ms + {items:,} × {values['server_ms']:g} ms"),
        ("batched", _ms(result["batched_ms"]),
         f"{trips['batched']:,} × {env['rtt_ms']:g} ms + {items:,} × {values['server_ms']:g} ms"),
    )
    labels = [("▶ " if e["chosen"] else "") + SHORT_ENV[e["id"]] for e in envs]
    traces = [
        charts.bars([e["chatty_ms"] for e in envs], labels, "one call per item", charts.SERIES[0],
                    orientation="h", text=[_ms(e["chatty_ms"]) for e in envs], textposition="outside",
                    cliponaxis=False,
                    hovertemplate="%{x:,} ms<extra>one call per item</extra>"),
        charts.bars([e["batched_ms"] for e in envs], labels, f"{min(values['batch_size'], items):,} items per call",
                    charts.SERIES[1], orientation="h", text=[_ms(e["batched_ms"]) for e in envs],
                    textposition="outside", cliponaxis=False, hovertemplate="%{x:,} ms<extra>batched</extra>"),
    ]
    top = max(e["chatty_ms"] for e in envs)
    spec = charts.layout(f"Time to fetch {items:,} items (log scale)", x="milliseconds", height=360,
                         barmode="group", yaxis={"autorange": "reversed", "type": "category"},
                         xaxis={"type": "log", "range": [-2.5, _log10(top) + 1.1]}, margin={"l": 8, "r": 40})
    alt = "; ".join(f"{e['label']}: {_ms(e['chatty_ms'])} one call per item, {_ms(e['batched_ms'])} batched"
                    for e in envs)
    return View(verdict=verdict, stats=stats, table=table, truth=truth,
                charts=(Chart("chart-fallacy-latency", charts.figure(traces, spec), alt),))


SHORT_ENV = {"localhost": "Loopback", "same-dc": "Same datacenter", "cross-zone": "Another zone",
             "cross-region": "US east ↔ west", "intercontinental": "California ↔ NL"}


def _log10(x: float) -> float:
    return math.log10(max(x, 0.01))


# ---- bandwidth is infinite ---------------------------------------------------------------------

def present_bandwidth(result: dict, values: dict) -> View:
    rho, s = result["utilisation"], result["service_ms"]
    link = dict((k, label) for k, label, _ in model.LINKS)[values["link"]]
    size = f"{values['payload_kb']:,} kB"
    if result["stable"]:
        verdict = (f"{size} responses at {values['rate']:,} req/s keep a {link} link {_pct(rho, 0)} busy: "
                   f"each waits {_ms(result['mean_wait_ms'])} for the link on average (M/D/1: "
                   f"{_ms(result['formula_wait_ms'])}), p99 {_ms(result['p99_response_ms'])}; "
                   f"the link is full at {result['max_rate']:,.0f} req/s.")
    else:
        verdict = (f"{size} responses at {values['rate']:,} req/s need {_pct(rho, 0)} of a {link} link: no steady "
                   f"state. After {result['simulated_seconds']:,.0f} s of traffic the last response waited "
                   f"{_ms(result['last_wait_ms'])}, and the wait keeps growing.")
    stats = (
        ("Link busy", _pct(rho, 0)),
        ("One response on the wire", _ms(s)),
        ("p99 response", _ms(result["p99_response_ms"])),
        ("Link full at", f"{result['max_rate']:,.0f} req/s"),
    )
    curve = result["curve"]
    table = Table(("utilisation", "rate_per_s", "mean_response_ms_md1", "mean_response_ms_shared"),
                  tuple((c["utilisation"], c["rate"], c["mean_response_ms"], c["shared_response_ms"]) for c in curve),
                  f"Mean response time of one {size} response against how busy the {link} link is (formulas).")
    if result["stable"]:
        truth = (
            ("mean wait for the link", _ms(result["mean_wait_ms"]),
             f"{_ms(result['formula_wait_ms'])} = ρS / (2(1 − ρ)), Pollaczek–Khinchine for M/D/1"),
            ("mean response", _ms(result["mean_response_ms"]), f"{_ms(result['formula_response_ms'])} = wait + S"),
            ("link capacity", f"{result['max_rate']:,.1f} req/s", f"1 / S = 1 / {_ms(s)}"),
        )
    else:
        backlog = (rho - 1) * result["simulated_seconds"] * 1000
        truth = (
            ("wait of the last response", _ms(result["last_wait_ms"]),
             f"≈ {_ms(backlog)} = (ρ − 1) × {result['simulated_seconds']:,.0f} s of traffic"),
            ("link capacity", f"{result['max_rate']:,.1f} req/s", f"1 / S = 1 / {_ms(s)}"),
        )
    xs = [round(100 * c["utilisation"]) for c in curve]
    traces = [
        charts.line(xs, [c["mean_response_ms"] for c in curve], "one response at a time (M/D/1)",
                    charts.SERIES[0], hovertemplate="%{x}% busy: %{y:.2f} ms<extra>M/D/1</extra>"),
        charts.line(xs, [c["shared_response_ms"] for c in curve], "flows sharing the link (S / (1 − ρ))",
                    charts.SERIES[1], dash="dot", hovertemplate="%{x}% busy: %{y:.2f} ms<extra>shared</extra>"),
    ]
    shapes = [charts.vline(100, charts.OUTCOME["failure"], "link full")]
    top = max(c["shared_response_ms"] for c in curve)
    if result["stable"]:
        traces.append(charts.markers([round(100 * rho, 1)], [result["mean_response_ms"]], "simulated, this rate",
                                     charts.OUTCOME["failure"] if rho > 0.8 else charts.OUTCOME["success"], size=12,
                                     hovertemplate="%{x}% busy: %{y:.2f} ms<extra>simulated</extra>"))
    else:
        shapes.append(charts.vline(min(100 * rho, 400), charts.OUTCOME["failure"],
                                   f"this rate: {_pct(rho, 0)}", dash="solid"))
    right = max(105, min(100 * rho, 400) + 10)
    spec = charts.layout("Mean response against link load", x="link busy (%)",
                         y="mean response (ms)", height=320, shapes=shapes,
                         xaxis={"range": [0, right]}, yaxis={"range": [0, top * 1.08]})
    alt = (f"Transfer time {_ms(s)}; mean response {_ms(curve[0]['mean_response_ms'])} at 5% busy, "
           f"{_ms(curve[-1]['mean_response_ms'])} at 95%; this rate is {_pct(rho, 0)} busy.")
    return View(verdict=verdict, stats=stats, table=table, truth=truth,
                charts=(Chart("chart-fallacy-bandwidth", charts.figure(traces, spec), alt),))


register(Demo(
    "fallacy-network", "The network is reliable: a chain of calls", FALLACY_NETWORK_PARAMS,
    model.fallacy_network, present_network,
    summary="A request passes through a chain of services; each call fails now and then. "
            "Watch the chain's success shrink with its length, and what a retry per call buys.",
    presets=(
        Preset("five-calls", "5 calls at 1%", {}, "every part 99% reliable, the whole 95%"),
        Preset("twenty-calls", "20 calls", {"hops": 20}, "one request in five or six fails"),
        Preset("one-retry", "20 calls, 1 retry each", {"hops": 20, "retries": 1},
               "independent failures all but vanish"),
        Preset("lossy", "10% failure, 2 retries", {"loss_pct": 10.0, "hops": 10, "retries": 2},
               "34.9% without retries, 99% with them"),
    )))
register(Demo(
    "fallacy-latency", "Latency is zero: one call per item", FALLACY_LATENCY_PARAMS,
    model.fallacy_latency, present_latency,
    summary="Fetch many items one call at a time, or in batches: the server's work is the same, the "
            "round trips are not.",
    presets=(
        Preset("same-dc", "Same datacenter", {}, "100 round trips: 60 ms against 10.5 ms"),
        Preset("laptop", "On a laptop", {"rtt": "localhost"}, "loopback hides the problem"),
        Preset("cross-region", "Across the US", {"rtt": "cross-region"}, "the same code takes 7 seconds"),
        Preset("batches-of-10", "Batches of 10, across the US", {"rtt": "cross-region", "batch_size": 10},
               "10 round trips instead of 100"),
    )))
register(Demo(
    "fallacy-bandwidth", "Bandwidth is infinite: one link, many responses", FALLACY_BANDWIDTH_PARAMS,
    model.fallacy_bandwidth, present_bandwidth,
    summary="Large responses at a steady rate share one network link. Waiting time is fine until the "
            "link is nearly full, and then it is not.",
    presets=(
        Preset("busy", "150 req/s on 1 Gbit/s", {}, "64% busy, a few ms of queueing"),
        Preset("nearly-full", "220 req/s", {"rate": 220}, "93% busy: waiting grows eightfold"),
        Preset("overload", "300 req/s", {"rate": 300}, "127%: the queue grows without limit"),
        Preset("compress", "300 req/s, 100 kB responses", {"rate": 300, "payload_kb": 100},
               "send less and the same rate is easy"),
    )))
