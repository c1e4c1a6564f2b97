"""Demos of the fallacies lesson, fallacies 4 to 8: replayed requests, stale DNS after a failover,
timeouts that do not nest, the cross-zone bill of retries, and a path-MTU black hole."""

from __future__ import annotations

import math

from .. import charts
from ..params import Choice, Float, Int, Seed, params
from ..sims import fallacies_more as model
from . import Chart, Demo, Preset, Table, View, register

SECURE_PARAMS = params(
    Float("capture_pct", "Requests recorded by the attacker", 5.0, 0.0, 100.0, step=0.5, unit="%",
          help="The share of legitimate payment requests an attacker on the path manages to record."),
    Int("replays", "Replays of each", 2, 1, 5, help="How many times the attacker sends each recorded request again."),
    Int("delay_s", "Mean delay of a replay", 120, 1, 3600, unit="s",
        help="How long after the original a replay arrives, on average (exponential)."),
    Int("window_s", "Timestamp window", 300, 0, 3600, unit="s",
        help="How old a signed timestamp may be before the endpoint rejects the request."),
    Int("forged", "Forged requests", 100, 0, 1000,
        help="Requests the attacker makes up from scratch: it does not know the signing key."),
    Seed(),
)

TOPOLOGY_PARAMS = params(
    Int("clients", "Clients", 100, 1, 1000, help="Client processes calling the service by its DNS name."),
    Float("rate", "Requests per client", 2.0, 0.1, 50.0, step=0.1, unit="req/s",
          help="How often each client calls, evenly spaced."),
    Int("ttl_s", "DNS TTL", 300, 0, 3600, step=10, unit="s",
        help="How long a client may keep the DNS answer before it must look the name up again."),
    Float("pinned_pct", "Clients that never re-resolve", 0.0, 0.0, 100.0, step=1.0, unit="%",
          help="Clients that resolve once at startup and keep the address (a JVM caching forever, "
               "a connection pool that never reconnects)."),
    Choice("reresolve", "On a failed connection", "no",
           (("no", "Keep the cached address"), ("yes", "Look the name up again")),
           help="What a client does when a connection to the cached address fails."),
    Seed(),
)

ADMIN_PARAMS = params(
    Int("outer_ms", "Gateway deadline (team A)", 1000, 100, 10000, step=50, unit="ms",
        help="How long the gateway waits for the service before it answers the user with a timeout."),
    Int("inner_ms", "Per-attempt timeout (team B)", 400, 50, 5000, step=50, unit="ms",
        help="How long the service waits for one attempt at its dependency."),
    Int("retries", "Retries (team B)", 3, 0, 5, help="How many times the service retries a hung attempt."),
    Int("backoff_ms", "Pause before a retry", 100, 0, 2000, step=50, unit="ms",
        help="How long the service waits between a timed-out attempt and the next one."),
    Float("slow_pct", "Attempts that hang", 10.0, 0.0, 100.0, step=1.0, unit="%",
          help="The share of attempts at the dependency that never answer; the others take 40 ms."),
    Seed(),
)

COST_PARAMS = params(
    Int("rate", "User requests", 1000, 10, 10000, step=10, unit="req/s", help="Requests per second, all month."),
    Int("size_kb", "Bytes per call", 20, 1, 1000, unit="kB", help="Request plus response of one call (1 kB = 1000 bytes)."),
    Int("layers", "Hops in the chain", 3, 1, 3, help="Services a request passes through, each calling the next."),
    Int("retries", "Retries at every hop", 3, 0, 3, help="How many times each caller retries a failed call."),
    Float("failure_pct", "Failure at the deepest hop", 1.0, 0.0, 100.0, step=0.5, unit="%",
          help="The share of attempts the last service fails; 100% is an outage."),
    Int("zones", "Zones", 3, 1, 6, help="Availability zones the services spread over; a call lands in any of them."),
    Float("price", "Price per GB between zones", 0.02, 0.0, 0.1, step=0.005, unit="$",
          help="AWS bills $0.01 per GB on each side of a cross-zone transfer: $0.02 per GB moved."),
    Seed(),
)

HOMOGENEOUS_PARAMS = params(
    Float("median_kb", "Median response", 4.0, 0.1, 100.0, step=0.1, unit="kB",
          help="Half the responses are smaller than this (sizes are log-normal)."),
    Float("sigma", "Spread of sizes", 1.5, 0.1, 3.0, step=0.1,
          help="The log-normal's shape: larger means more very small and very large responses."),
    Float("tunnel_pct", "Paths through the tunnel", 20.0, 0.0, 100.0, step=1.0, unit="%",
          help="The share of clients whose path crosses a VPN, IPsec or overlay hop with a smaller MTU."),
    Int("tunnel_mtu", "Tunnel MTU", 1400, 1280, 1500, step=10, unit="bytes",
        help="The largest packet the tunnel carries; everything else on the path carries 1500."),
    Choice("pmtud", "Path MTU discovery", "blocked", model.PMTUD,
           help="Whether the 'packet too big' ICMP message reaches the server, or the tunnel clamps the MSS."),
    Seed(),
)


def _pct(x: float, digits: int = 1) -> str:
    return f"{x * 100:.{digits}f}%"


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _money(x: float) -> str:
    return f"${x:,.0f}" if x >= 100 else f"${x:,.2f}"


def _noise(sd: float) -> str:
    return f" (± {_n(2 * sd)} at 2 SD)" if sd >= 0.5 else ""


# ---- the network is secure ---------------------------------------------------------------------

SHORT_DEFENCE = {"none": "None", "signed": "Signature", "window": "+ time window", "nonce": "+ single-use key"}


def present_secure(result: dict, values: dict) -> View:
    d = {x["id"]: x for x in result["defences"]}
    sent, forged = result["replays_sent"], values["forged"]
    verdict = (f"The attacker recorded {_n(result['captured'])} of {_n(result['requests'])} payments and sent "
               f"{_n(sent)} replays and {_n(forged)} forgeries. A signature stops every forgery and no replay "
               f"({_n(d['signed']['replays_accepted'])} accepted); a {values['window_s']:,} s timestamp window still "
               f"lets {_n(d['window']['replays_accepted'])} through; a single-use key lets none.")
    stats = (
        ("Replays sent", _n(sent)),
        ("Accepted with a signature", _n(d["signed"]["replays_accepted"])),
        ("With a timestamp window", _n(d["window"]["replays_accepted"])),
        ("With a single-use key", _n(d["nonce"]["replays_accepted"])),
    )
    rows = result["defences"]
    table = Table(("defence", "replays_accepted", "replays_formula", "forged_accepted"),
                  tuple((x["id"], x["replays_accepted"], x["replays_formula"], x["forged_accepted"]) for x in rows),
                  "What each endpoint accepts from the attacker: each accepted replay is a payment made twice.")
    n, c, k = result["requests"], values["capture_pct"] / 100, values["replays"]
    sd_sent = math.sqrt(n * c * (1 - c)) * k
    truth = (
        ("replays sent (= accepted with a signature)", _n(sent),
         f"{_n(d['signed']['replays_formula'])} = {n:,} × {c:g} × {k}{_noise(sd_sent)}"),
        ("accepted within the window", _n(d["window"]["replays_accepted"]),
         f"{_n(d['window']['replays_formula'])} = replays × (1 − e^(−{values['window_s']}/{values['delay_s']}))"),
        ("accepted with a single-use key", "0", "0: the key is stored, a second use is refused"),
    )
    labels = [SHORT_DEFENCE[x["id"]] for x in rows]
    traces = [
        charts.bars(labels, [x["replays_accepted"] for x in rows], "replays accepted", charts.OUTCOME["failure"],
                    hovertemplate="%{x}: %{y:,} replays<extra></extra>"),
        charts.bars(labels, [x["forged_accepted"] for x in rows], "forgeries accepted", charts.OUTCOME["rejected"],
                    hovertemplate="%{x}: %{y:,} forgeries<extra></extra>"),
        charts.markers(labels, [x["replays_formula"] for x in rows], "replays, formula", charts.NEUTRAL,
                       symbol="diamond", size=11, hovertemplate="%{x}: %{y:,.0f} expected<extra></extra>"),
    ]
    spec = charts.layout("What the attacker gets accepted", y="requests accepted", height=340, barmode="group")
    alt = "; ".join(f"{x['label']}: {x['replays_accepted']:,} replays and {x['forged_accepted']:,} forgeries accepted"
                    for x in rows)
    return View(verdict=verdict, stats=stats, table=table, truth=truth,
                charts=(Chart("chart-fallacy-secure", charts.figure(traces, spec), alt),))


# ---- topology doesn't change -------------------------------------------------------------------

def present_topology(result: dict, values: dict) -> View:
    failed, total = result["failed"], result["requests"]
    ttl, rate, n = values["ttl_s"], values["rate"], values["clients"]
    again = values["reresolve"] == "yes"
    moves = result["last_client_moves_s"]
    tail = ("some clients never move" if result["pinned"] and not again
            else f"the last client moves after {moves:,.1f} s")
    verdict = (f"After the failover, {n:,} clients caching DNS for {ttl:,} s send {_n(failed)} requests to the "
               f"old address ({_pct(failed / total, 2)} of an hour's traffic); {tail}.")
    stats = (
        ("Requests to the old address", _n(failed)),
        ("Share of the hour", _pct(failed / total, 2)),
        ("Last client moves", "never" if result["pinned"] and not again else f"{moves:,.1f} s"),
        ("Clients that never re-resolve", _n(result["pinned"])),
    )
    tl = result["timeline"]
    table = Table(("seconds_after_failover", "clients_on_old_address", "clients_on_old_address_formula"),
                  tuple((p["t"], p["clients_on_old"], p["formula"]) for p in tl),
                  "Clients still calling the old address, by time since the failover.")
    ttl_clients = n - result["pinned"]
    if again:
        formula_text = (f"{_n(result['failed_formula'])} = clients × P(first request before the cache expires): "
                        "at most one failure per client")
    else:
        sd = rate * ttl / math.sqrt(12) * math.sqrt(ttl_clients)
        formula_text = (f"{_n(result['failed_formula'])} = {rate:g} req/s × ({ttl_clients:,} × {ttl:,} s / 2"
                        + (f" + {result['pinned']:,} × {model.WATCH_S:,} s" if result["pinned"] else "")
                        + f"){_noise(sd)}")
    truth = [("requests to the old address", _n(failed), formula_text)]
    if result["last_client_formula_s"] is not None and not result["pinned"]:
        truth.append(("last client moves", f"{moves:,.1f} s",
                      f"{result['last_client_formula_s']:,.1f} s = TTL × n / (n + 1), on average"))
    xs = [p["t"] for p in tl]
    traces = [charts.line(xs, [p["formula"] for p in tl], "formula", charts.NEUTRAL, dash="dash",
                          hovertemplate="%{x:.0f} s: %{y:.1f}<extra>formula</extra>"),
              charts.line(xs, [p["clients_on_old"] for p in tl], "simulated", charts.OUTCOME["failure"],
                          line_shape="hv", hovertemplate="%{x:.0f} s: %{y} clients<extra>simulated</extra>")]
    spec = charts.layout("Clients still calling the old address", x="seconds after the failover",
                         y="clients", height=320, shapes=[charts.vline(ttl, charts.OUTCOME["waiting"], "TTL")]
                         if 0 < ttl <= xs[-1] else [])
    alt = (f"{tl[0]['clients_on_old']} clients on the old address at the failover, "
           f"{tl[len(tl) // 2]['clients_on_old']} after {xs[len(xs) // 2]:.0f} s, {tl[-1]['clients_on_old']} "
           f"after {xs[-1]:.0f} s.")
    return View(verdict=verdict, stats=stats, table=table, truth=tuple(truth),
                charts=(Chart("chart-fallacy-topology", charts.figure(traces, spec), alt),))


# ---- there is one administrator ----------------------------------------------------------------

def present_admin(result: dict, values: dict) -> View:
    mine, prop = result["designs"]
    n, budget, outer = result["requests"], result["inner_budget_ms"], values["outer_ms"]
    nest = (f"The service's worst case ({budget:,} ms) fits in the gateway's {outer:,} ms" if result["nests"]
            else f"The service's worst case ({budget:,} ms) does not fit in the gateway's {outer:,} ms")
    verdict = (f"{nest}: {_pct(mine['answered_share'], 2)} of users get an answer, and the service makes "
               f"{_n(mine['orphan_attempts'])} attempts after the user was told it timed out. Passing the "
               f"deadline down makes {_n(prop['orphan_attempts'])}.")
    stats = (
        ("Users answered", _pct(mine["answered_share"], 2)),
        ("Inner worst case", f"{budget:,} ms"),
        ("Attempts nobody waits for", _n(mine["orphan_attempts"])),
        ("Answers that came too late", _n(mine["late_answers"])),
    )
    rows = result["designs"]
    table = Table(("design", "answered", "error_in_time", "gateway_timeout", "late_answers", "orphan_attempts",
                   "attempts"),
                  tuple((d["id"], d["answered"], d["error_in_time"], d["gateway_timeout"], d["late_answers"],
                         d["orphan_attempts"], d["attempts"]) for d in rows),
                  f"{n:,} requests, each design seeing the same hung attempts.")
    r = values["retries"]
    truth = (
        ("users answered", _pct(mine["answered_share"], 2),
         f"{_pct(mine['answered_formula'], 2)} = Σ q^j (1 − q) over attempts j answering by {outer:,} ms"),
        ("attempts nobody waits for, per request", f"{mine['orphans_per_request']:.4f}",
         f"{mine['orphans_formula']:.4f} = Σ q^j over attempts starting after {outer:,} ms"),
        ("attempts per request, deadline passed down", f"{prop['attempts_per_request']:.4f}",
         f"{prop['attempts_formula']:.4f} = Σ q^j over the {result['attempts_before_deadline']} attempts before it"),
        ("inner worst case", f"{budget:,} ms", f"({r} + 1) × {values['inner_ms']:,} + {r} × {values['backoff_ms']:,} ms"),
    )
    labels = [d["label"] for d in rows]
    kinds = (("answered", "answered in time", charts.OUTCOME["success"]),
             ("error_in_time", "error in time", charts.OUTCOME["rejected"]),
             ("gateway_timeout", "gateway timeout", charts.OUTCOME["failure"]))
    traces = [charts.bars([100 * d[key] / n for d in rows], labels, name, color, orientation="h",
                          hovertemplate="%{y}: %{x:.2f}%<extra>" + name + "</extra>") for key, name, color in kinds]
    spec = charts.layout("What the user sees", x="share of requests (%)", height=280, barmode="stack",
                         yaxis={"type": "category", "automargin": True}, xaxis={"range": [0, 100]},
                         margin={"l": 8})
    alt = "; ".join(f"{d['label']}: {_pct(d['answered_share'], 2)} answered, {d['gateway_timeout']:,} gateway "
                    f"timeouts, {d['orphan_attempts']:,} attempts after the deadline" for d in rows)
    return View(verdict=verdict, stats=stats, table=table, truth=truth,
                charts=(Chart("chart-fallacy-admin", charts.figure(traces, spec), alt),))


# ---- transport cost is zero --------------------------------------------------------------------

def present_cost(result: dict, values: dict) -> View:
    hops = result["hops"]
    verdict = (f"{values['rate']:,} req/s through {values['layers']} hop{'s' if values['layers'] != 1 else ''} make "
               f"{result['attempts_per_request']:.2f} calls each; {_pct(result['cross_zone_share'], 0)} cross a zone: "
               f"{result['cross_zone_tb']:,.1f} TB and {_money(result['bill'])} a month. The same retry policy "
               f"during an outage: {_money(result['bill_outage'])}.")
    stats = (
        ("Cross-zone bill a month", _money(result["bill"])),
        ("Calls per request", f"{result['attempts_per_request']:.2f}"),
        ("Without retries", _money(result["bill_no_retries"])),
        ("During an outage", _money(result["bill_outage"])),
    )
    table = Table(("hop", "attempts_per_request", "attempts_formula"),
                  tuple((h["hop"], h["attempts"], h["formula"]) for h in hops),
                  f"Calls at each hop per user request ({result['sample']:,} requests simulated).")
    truth = (
        ("calls per request", f"{result['attempts_per_request']:.3f}",
         f"{result['attempts_formula']:.3f} = Σ over hops of G(f₁) × … × G(f_k), G(f) = 1 + f + … + f^r"),
        ("monthly bill", _money(result["bill"]),
         f"{_money(result['bill_formula'])} = {result['requests_per_month']:,} requests × calls × "
         f"{values['size_kb']:,} kB × {result['cross_zone_share']:.3g} × ${values['price']:g}/GB"),
    )
    labels = ["This failure rate", "No retries", "Outage, same retries"]
    bills = [result["bill"], result["bill_no_retries"], result["bill_outage"]]
    traces = [charts.bars(labels, bills, "monthly cross-zone bill", charts.SERIES[0],
                          text=[_money(b) for b in bills], textposition="outside", cliponaxis=False,
                          hovertemplate="%{x}: $%{y:,.0f}<extra></extra>")]
    spec = charts.layout("Cross-zone bill a month", y="US dollars", height=320,
                         yaxis={"range": [0, max(bills + [1]) * 1.15]})
    alt = "; ".join(f"{label}: {_money(b)}" for label, b in zip(labels, bills))
    return View(verdict=verdict, stats=stats, table=table, truth=truth,
                charts=(Chart("chart-fallacy-cost", charts.figure(traces, spec), alt),))


# ---- the network is homogeneous ----------------------------------------------------------------

MODE_PHRASE = {"blocked": "the ICMP that would say so is filtered", "works": "path MTU discovery tells the server",
               "clamped": "the tunnel clamps the MSS at the handshake"}


def present_homogeneous(result: dict, values: dict) -> View:
    n, mss, mode = result["requests"], result["tunnel_mss"], values["pmtud"]
    effect = {"blocked": f"{_n(result['hung'])} of {n:,} requests ({_pct(result['hung_share'], 1)}) hang until a "
                         "timeout fires",
              "works": f"none hangs, {_n(result['slowed'])} pay an extra round trip to learn the smaller size",
              "clamped": "none hangs and none is slowed"}[mode]
    verdict = (f"{_n(result['too_big'])} responses bigger than the tunnel's {mss:,}-byte segments cross it; "
               f"{MODE_PHRASE[mode]}: {effect}. Small requests, health checks included, all pass.")
    stats = (
        ("Requests that hang", _pct(result["hung_share"], 1)),
        ("Through the tunnel", _n(result["through_tunnel"])),
        ("Too big for the tunnel", _n(result["too_big"])),
        ("Responses above the MSS", _pct(result["share_above_mss"], 1)),
    )
    curve = result["curve"]
    table = Table(("response_bytes", "share_larger"), tuple((c["bytes"], c["share_above"]) for c in curve),
                  "Share of responses larger than each size (log-normal, formula).")
    t = values["tunnel_pct"] / 100
    sd = math.sqrt(n * t * result["share_above_mss"] * (1 - t * result["share_above_mss"]))
    truth = (
        ("responses too big for the tunnel", _n(result["too_big"]),
         f"{_n(result['too_big_formula'])} = {n:,} × {t:g} × P(size > {mss:,} B){_noise(sd)}"),
        ("P(size > MSS)", "—" if result["too_big_share_of_tunnel"] is None
         else _pct(result["too_big_share_of_tunnel"], 2) + " of the tunnel's responses",
         "0%: the tunnel carries full-size packets" if values["tunnel_mtu"] >= model.ETHERNET_MTU else
         f"{_pct(result['share_above_mss'], 2)} = 1 − Φ((ln {mss:,} − ln {values['median_kb'] * 1000:,.0f}) / "
         f"{values['sigma']:g}), log-normal"),
    )
    xs = [c["bytes"] for c in curve]
    traces = [charts.line(xs, [100 * c["share_above"] for c in curve], "responses larger than this (formula)",
                          charts.SERIES[0], hovertemplate="%{x:,} B: %{y:.1f}%<extra>formula</extra>")]
    if result["too_big_share_of_tunnel"] is not None and values["tunnel_mtu"] < model.ETHERNET_MTU:
        traces.append(charts.markers([mss], [100 * result["too_big_share_of_tunnel"]],
                                     "simulated, through the tunnel", charts.OUTCOME["failure"], size=12,
                                     hovertemplate="%{x:,} B: %{y:.2f}%<extra>simulated</extra>"))
    shapes = [charts.vline(mss, charts.OUTCOME["failure"], f"tunnel MSS {mss:,} B"),
              charts.vline(200, charts.OUTCOME["success"], "health check", dash="dot")]
    for shape, where in zip(shapes, ("middle", "start")):  # level labels beside the lines, apart
        shape["label"].update(textangle=0, textposition=where, xanchor="left")
    spec = charts.layout("Responses too big for the tunnel", x="response size (bytes, log scale)",
                         y="responses larger (%)", height=320, shapes=shapes,
                         xaxis={"type": "log"}, yaxis={"range": [0, 102]})
    alt = (f"{_pct(result['share_above_mss'])} of responses are larger than the tunnel's {mss:,}-byte segments; "
           f"{_pct(curve[0]['share_above'])} are larger than 100 bytes and {_pct(curve[-1]['share_above'])} "
           "larger than 1 MB.")
    return View(verdict=verdict, stats=stats, table=table, truth=truth,
                charts=(Chart("chart-fallacy-homogeneous", charts.figure(traces, spec), alt),))


register(Demo(
    "fallacy-secure", "The network is secure: a recorded request, sent again", SECURE_PARAMS,
    model.fallacy_secure, present_secure,
    summary="An attacker on the path records signed payment requests and replays them. A signature "
            "proves who sent a request, not that it is the first time.",
    presets=(
        Preset("some-recorded", "5% recorded", {}, "the signature stops forgeries, not replays"),
        Preset("short-window", "30 s window", {"window_s": 30}, "a tighter window, still some replays"),
        Preset("fast-replay", "Replayed within seconds", {"delay_s": 5, "window_s": 30},
               "a fast attacker beats any window"),
    )))
register(Demo(
    "fallacy-topology", "Topology doesn't change: DNS cached past a failover", TOPOLOGY_PARAMS,
    model.fallacy_topology, present_topology,
    summary="A service moves to a new address. Clients keep the old one for as long as their DNS cache "
            "says, or for ever.",
    presets=(
        Preset("ttl-300", "TTL 5 minutes", {}, "each client keeps failing for up to 5 minutes"),
        Preset("pinned", "10% never re-resolve", {"pinned_pct": 10.0}, "a few pinned clients fail all hour"),
        Preset("reresolve", "Re-resolve on failure", {"reresolve": "yes", "pinned_pct": 10.0},
               "one failure per client, then it moves"),
    )))
register(Demo(
    "fallacy-admin", "There is one administrator: two teams' timeouts", ADMIN_PARAMS,
    model.fallacy_admin, present_admin,
    summary="The gateway team picks a deadline, the service team picks timeouts and retries. If the "
            "second does not fit in the first, users get timeouts while retries run on for nobody.",
    presets=(
        Preset("do-not-nest", "1,000 ms deadline, 4 × 400 ms", {}, "retries run past the deadline"),
        Preset("nested", "3 × 250 ms", {"inner_ms": 250, "retries": 2}, "950 ms worst case fits in 1,000 ms"),
        Preset("brownout", "Half the attempts hang", {"slow_pct": 50.0},
               "most retries now start after the user gave up"),
    )))
register(Demo(
    "fallacy-cost", "Transport cost is zero: the bill for cross-zone retries", COST_PARAMS,
    model.fallacy_cost, present_cost,
    summary="Calls between zones are billed by the gigabyte, and every retry is another call. Read the "
            "monthly bill off the traffic and the retry policy.",
    presets=(
        Preset("normal", "A normal month", {}, "1% failures: retries barely show"),
        Preset("outage", "An outage", {"failure_pct": 100.0}, "4 × 4 × 4 = 64 calls at the bottom"),
        Preset("one-zone", "One zone", {"zones": 1}, "no cross-zone bill, and no zone redundancy"),
    )))
register(Demo(
    "fallacy-homogeneous", "The network is homogeneous: one hop with a smaller MTU", HOMOGENEOUS_PARAMS,
    model.fallacy_homogeneous, present_homogeneous,
    summary="Some paths cross a tunnel that carries smaller packets than the rest of the network. "
            "Small requests work; large responses vanish.",
    presets=(
        Preset("black-hole", "ICMP filtered", {}, "large responses hang, health checks pass"),
        Preset("pmtud-works", "Path MTU discovery works", {"pmtud": "works"}, "an extra round trip, no hang"),
        Preset("clamped", "MSS clamped", {"pmtud": "clamped"}, "the tunnel fixes it at the handshake"),
    )))
