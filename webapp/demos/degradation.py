"""The graceful-degradation demo: a news article page and its four dependencies, in two designs."""

from __future__ import annotations

from .. import charts
from ..params import Choice, Float, Int, Seed, params
from ..sims import degradation as model
from . import Chart, Demo, Preset, Table, View, register

STATE_CHOICES = (("up", "Up"), ("slow", "Slow (seconds)"), ("down", "Down"))
DESIGN_LABEL = {"all_or_nothing": "All or nothing", "degraded": "Degraded"}
HOURS_A_MONTH = 30 * 24


def _dependency_params():
    switches, availabilities = [], []
    for name, label, core, median, p99, avail in model.DEPENDENCIES:
        role = "the page's core" if core else "optional"
        switches.append(Choice(name, label, "up", STATE_CHOICES,
                               help=f"Take the {label.lower()} ({role}) down, or make its calls take seconds."))
        availabilities.append(Float(f"{name}_avail", f"{label} availability", avail, 90.0, 100.0, step=0.05,
                                    unit="%", help=f"The share of calls to the {label.lower()} that succeed "
                                                   f"when it is up (typical latency {median} ms, p99 {p99} ms)."))
    return (*switches, *availabilities)


DEGRADATION_PARAMS = params(
    *_dependency_params(),
    Int("timeout_ms", "Optional section timeout", model.DEFAULT_TIMEOUT_MS, 50, 3000, step=50, unit="ms",
        help="In the degraded design, how long the page waits for comments, recommendations or ads "
             "before showing the page without them."),
    Int("views", "Page views simulated", model.DEFAULT_VIEWS, 1000, model.MAX_VIEWS, step=1000,
        help="More views bring the measured availability closer to the formula."),
    Int("show_view", "Page view shown", 0, 0, model.MAX_VIEWS, widget="number",
        help="Which simulated page view is rendered as the reader saw it; 0 picks the first view in "
             "which the two designs show different pages."),
    Seed(),
)


def _pct(x: float, digits: int = 2) -> str:
    return f"{x * 100:.{digits}f}%"


def _ms(x: float) -> str:
    return f"{x / 1000:,.2f} s" if x >= 1000 else f"{x:,.0f} ms"


def _downtime(availability: float) -> str:
    """Error pages in a 30-day month, as a person says it."""
    hours = (1 - availability) * HOURS_A_MONTH
    if hours >= 48:
        return f"{hours / 24:,.1f} days"
    return f"{hours:,.1f} h" if hours >= 1 else f"{hours * 60:,.0f} min"


def present(result: dict, values: dict) -> View:
    designs = result["designs"]
    aon, deg = designs["all_or_nothing"], designs["degraded"]
    verdict = (f"All or nothing: {_pct(aon['page_availability'])} of {result['views']:,} page views work "
               f"(formula {_pct(aon['formula_value'])}), p99 {_ms(aon['p99_ms'])}. "
               f"Degraded: {_pct(deg['page_availability'])} (formula {_pct(deg['formula_value'])}), "
               f"p99 {_ms(deg['p99_ms'])}.")
    stats = (
        ("Page works, all or nothing", _pct(aon["page_availability"])),
        ("Page works, degraded", _pct(deg["page_availability"])),
        ("p99 page time (all or nothing / degraded)", f"{_ms(aon['p99_ms'])} / {_ms(deg['p99_ms'])}"),
        ("Error pages a month, by the formula",
         f"{_downtime(aon['formula_value'])} / {_downtime(deg['formula_value'])}"),
    )
    deps = {d["name"]: d for d in result["dependencies"]}
    rows = []
    for design, d in designs.items():
        for name, shares in d["sections"].items():
            rows.append((design, name, shares["shown"], shares["fallback"], shares["hidden"], shares["not_rendered"]))
    table = Table(("design", "section", "shown", "fallback", "hidden", "no_page"), tuple(rows),
                  f"Share of the {result['views']:,} page views in which each section was shown, replaced by its "
                  "fallback, hidden, or never rendered because the page itself failed.")
    truth = [(f"page availability, {DESIGN_LABEL[name].lower()}", _pct(d["page_availability"]), d["formula"])
             for name, d in designs.items()]
    core = deg["formula_value"]
    for name, dep in deps.items():
        if dep["core"]:
            continue
        expected = core * dep["availability"] * dep["within_timeout"]
        truth.append((f"{dep['label'].lower()} shown, degraded", _pct(deg["sections"][name]["shown"]),
                      f"{_pct(expected)} = article {_pct(core)} × {_pct(dep['availability'])} up × "
                      f"{_pct(dep['within_timeout'])} within {values['timeout_ms']:,} ms"))
    extra = {
        "pages": [(name, DESIGN_LABEL[name], _page(result["sample"][name], designs[name], result))
                  for name in model.DESIGNS],
        "shown_view": result["shown_view"],
        "views": result["views"],
        "timeout_ms": values["timeout_ms"],
        "deadline_ms": result["page_deadline_ms"],
        "arithmetic": [(DESIGN_LABEL[name], _factors(designs[name], deps), designs[name]["formula_value"],
                        designs[name]["page_availability"]) for name in model.DESIGNS],
    }
    return View(verdict=verdict, stats=stats, table=table, truth=tuple(truth),
                charts=(_outcome_chart(result), _latency_chart(result)),
                extra_template="demo/degradation/pages.html", extra=extra)


def _factors(design: dict, deps: dict) -> list:
    """(label, value or None when the design does not need it, explanation) for each dependency."""
    by_name = {f["name"]: f for f in design["factors"]}
    out = []
    for name, dep in deps.items():
        f = by_name.get(name)
        if f is None:
            out.append((dep["label"], None, "not needed: the page is served without it"))
            continue
        why = f"{_pct(f['availability'])} of calls succeed"
        if 0 < f["on_time"] < 0.99995:
            why += f", {_pct(f['on_time'], 1)} of them before the page deadline"
        out.append((dep["label"], f["value"], why))
    return out


def _page(sample: dict, design: dict, result: dict) -> dict:
    """One rendered page view: what the reader sees, and each call behind it (a small waterfall)."""
    sections = {s["name"]: s for s in sample["sections"]}
    scale = max([sample["latency_ms"], *(s["call_ms"] for s in sample["sections"]), 1])
    calls = []
    for s in sample["sections"]:
        outcome = {"ok": "answered", "failed": "failed", "timed_out": "gave up waiting"}[s["call"]]
        use = {"shown": "shown", "fallback": "fallback shown", "hidden": "section hidden",
               "not_rendered": "no page"}[s["shows"]]
        calls.append({"label": s["label"], "ms": s["call_ms"], "call": s["call"], "outcome": outcome, "use": use,
                      "width": round(100 * min(s["call_ms"], scale) / scale, 1)})
    return {"status": sample["status"], "latency_ms": sample["latency_ms"], "error_text": sample["error_text"],
            "sections": sections, "calls": calls,
            "page_width": round(100 * sample["latency_ms"] / scale, 1)}


def _outcome_chart(result: dict) -> Chart:
    designs = result["designs"]
    names = list(model.DESIGNS)
    labels = [DESIGN_LABEL[n] for n in names]
    views = result["views"]
    parts = (("full", "full page", charts.OUTCOME["success"]),
             ("degraded", "page without some optional section", charts.OUTCOME["rejected"]),
             ("error", "error page", charts.OUTCOME["failure"]))
    traces = []
    for key, name, colour in parts:
        shares = [round(100 * designs[n]["outcomes"][key] / views, 2) for n in names]
        traces.append(charts.bars(shares, labels, name, colour, orientation="h",
                                  text=[f"{v:.1f}%" if v >= 4 else "" for v in shares], textposition="inside",
                                  insidetextanchor="middle",
                                  customdata=[designs[n]["outcomes"][key] for n in names],
                                  hovertemplate="%{x:.2f}% (%{customdata:,} views)<extra>" + name + "</extra>"))
    spec = charts.layout(f"What {views:,} readers got (share of page views)", height=250,
                         barmode="stack", yaxis={"autorange": "reversed", "type": "category"},
                         xaxis={"range": [0, 100], "ticksuffix": "%"}, margin={"b": 40},
                         legend={"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0})
    alt = "; ".join(f"{DESIGN_LABEL[n]}: " + ", ".join(
        f"{100 * designs[n]['outcomes'][k] / views:.2f}% {name}" for k, name, _ in parts) for n in names)
    return Chart("chart-degradation", charts.figure(traces, spec), alt)


def _latency_chart(result: dict) -> Chart:
    """Page views per page-time bin (binned by the model), as horizontal bars: fast at the top."""
    bins = result["latency_bins"]
    traces = []
    for i, name in enumerate(model.DESIGNS):
        counts = result["designs"][name]["latency_histogram"]["all"]
        traces.append(charts.bars(counts, bins, DESIGN_LABEL[name], charts.SERIES[i], opacity=0.85,
                                  orientation="h",
                                  hovertemplate="%{y}: %{x:,} page views<extra>" + DESIGN_LABEL[name] + "</extra>"))
    spec = charts.layout("How long readers waited for the page", x="page views", height=380,
                         barmode="group", yaxis={"type": "category", "autorange": "reversed"},
                         margin={"b": 80})
    alt = "; ".join(f"{DESIGN_LABEL[n]}: p50 {_ms(result['designs'][n]['p50_ms'])}, "
                    f"p99 {_ms(result['designs'][n]['p99_ms'])}" for n in model.DESIGNS)
    return Chart("chart-degradation-latency", charts.figure(traces, spec), alt)


register(Demo(
    "degradation", "A news page with four dependencies", DEGRADATION_PARAMS, model.degradation, present,
    summary="The article store, comments, recommendations and ads, each with an availability and a latency. "
            "Switch one down or make it slow, and compare a page that needs everything with one that "
            "degrades.",
    presets=(
        Preset("all-up", "Everything up", {}, "the product of four availabilities against the article's alone"),
        Preset("comments-down", "Comments down", {"comments": "down"},
               "all or nothing serves only error pages; degraded says so in the comments box"),
        Preset("comments-slow", "Comments slow", {"comments": "slow"},
               "every all-or-nothing page waits seconds; degraded waits 300 ms at most"),
        Preset("article-down", "Article store down", {"article": "down"},
               "the core is down: no design can serve the page"),
        Preset("long-timeout", "1 s section timeout", {"timeout_ms": 1000},
               "fewer missing ads, a slower p99"),
    )))
