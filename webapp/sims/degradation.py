"""Graceful degradation: one news article page, four dependencies, two designs.

The page calls its dependencies in parallel. Each call succeeds with the dependency's availability
and takes a log-normal time (given by its median and p99). A switch per dependency makes it "slow"
(its calls take seconds) or "down" (every call is refused at once).

  all or nothing   the page needs every call: the first error gives an error page, and a call that
                   has not answered by the page deadline gives a 504. Page availability is the
                   product of all the dependencies' availabilities (each times its chance to answer
                   before the deadline).
  degraded         only the article is core. Optional sections get their own timeout; a failed or
                   late one shows a fallback ("Comments unavailable right now") or is hidden, and the
                   article is served anyway. Page availability is the article's alone.

Both designs see the same calls (same seed, same draws), so every difference is the design's.
"""

from __future__ import annotations

import bisect
import math
import random
from statistics import NormalDist

from .stats import percentile

# name, label, core, median and p99 latency (ms), default availability (%)
DEPENDENCIES = (
    ("article", "Article store", True, 20, 100, 99.95),
    ("comments", "Comments service", False, 30, 150, 99.5),
    ("recommendations", "Recommendations", False, 50, 250, 99.0),
    ("ads", "Ad server", False, 60, 400, 98.0),
)
STATES = ("up", "slow", "down")
# A "slow" dependency: its calls pile up behind a saturated pool and take seconds.
SLOW_MEDIAN_MS = 2_000
SLOW_P99_MS = 8_000
DOWN_FAIL_MS = 1  # "down" = connection refused: the error comes back at once
PAGE_DEADLINE_MS = 5_000  # the load balancer gives up and answers 504 after this
RENDER_MS = 5  # the page's own work once its data is in
MAX_VIEWS = 40_000  # ~90 ms of model time on this machine: the demo's slider stops here
DEFAULT_VIEWS = 5_000  # page views simulated: at 96% the measured share is within ~0.5 points (2 SE)
DEFAULT_TIMEOUT_MS = 300  # per optional section: ~the slowest optional p99, under the 3 x p99 rule
Z99 = NormalDist().inv_cdf(0.99)

# What a reader sees in each section (the page is rendered from these).
CONTENT = {
    "article": "City council approves 40 km of protected bike lanes",
    "comments": "128 comments",
    "recommendations": "Read next: 3 stories picked for you",
    "ads": "Advertisement",
}
FALLBACK = {  # degraded design: what a failed optional section shows instead (None: hidden)
    "comments": "Comments unavailable right now",
    "recommendations": None,
    "ads": None,
}
ERROR_PAGE = {500: "Something went wrong. Please try again later.",
              503: "This article is unavailable right now. Please try again later.",
              504: "The page took too long to load. Please try again later."}
DESIGNS = ("all_or_nothing", "degraded")
# Page latency bins for the histogram (drawn as bars: the server bins, the browser only draws).
# The last bin holds exactly the page deadline: the 504s of the all-or-nothing design.
LATENCY_EDGES_MS = (0, 10, 25, 50, 100, 200, 400, 1000, 2000, PAGE_DEADLINE_MS)
LATENCY_LABELS = ("<10 ms", "10–25 ms", "25–50 ms", "50–100 ms", "100–200 ms", "200–400 ms", "0.4–1 s",
                  "1–2 s", "2–5 s", "5 s deadline")


def _sigma(median: float, p99: float) -> float:
    """The log-normal's shape from its median and p99: p99 = median * exp(Z99 * sigma)."""
    return math.log(p99 / median) / Z99


def _lognormal(rng: random.Random, n: int, mu: float, sigma: float) -> list:
    """n log-normal draws by Box-Muller in list comprehensions: ~4x faster than lognormvariate,
    which dominated the model's cost. Each pair of uniforms gives two independent normals."""
    u, log, sqrt, cos, sin, exp, tau = rng.random, math.log, math.sqrt, math.cos, math.sin, math.exp, math.tau
    half = (n + 1) // 2
    # sigma x radius, once for both normals of a pair (1 - u is in (0, 1]: log never sees 0)
    scaled = [sigma * sqrt(-2.0 * log(1.0 - u())) for _ in range(half)]
    angles = [tau * u() for _ in range(half)]
    draws = [exp(mu + s * cos(a)) for s, a in zip(scaled, angles)]
    draws += [exp(mu + s * sin(a)) for s, a in zip(scaled, angles)]
    del draws[n:]
    return draws


def _column_max(columns: list) -> list:
    """Per view, the largest value across the columns (one list comprehension per column: ~3x
    faster than map(max, *columns), whose every call builds an argument tuple)."""
    out = columns[0]
    for col in columns[1:]:
        out = [a if a > b else b for a, b in zip(out, col)]
    return out


def _on_time(median: float, p99: float, limit: float) -> float:
    """P(call time <= limit) for the log-normal latency."""
    return NormalDist().cdf(math.log(limit / median) / _sigma(median, p99))


def degradation(article="up", comments="up", recommendations="up", ads="up",
                article_avail=99.95, comments_avail=99.5, recommendations_avail=99.0, ads_avail=98.0,
                timeout_ms=DEFAULT_TIMEOUT_MS, views=DEFAULT_VIEWS, show_view=0, seed=1) -> dict:
    """Simulate `views` page views in both designs; return measured availability next to the
    formula, latency percentiles and a histogram, per-section outcomes, and one view as a reader
    sees it: view `show_view` (1-based, clamped), or with 0 the first view in which the two designs
    show different pages (view 1 if there is none). Cost: views x 4 calls."""
    states = {"article": article, "comments": comments, "recommendations": recommendations, "ads": ads}
    avails = {"article": article_avail, "comments": comments_avail,
              "recommendations": recommendations_avail, "ads": ads_avail}
    for name, state in states.items():
        if state not in STATES:
            raise ValueError(f"{name}: state must be one of {STATES}, got {state!r}")
    deps = []
    for name, label, core, median, p99, _default in DEPENDENCIES:
        slow = states[name] == "slow"
        m, q = (SLOW_MEDIAN_MS, SLOW_P99_MS) if slow else (median, p99)
        a = 0.0 if states[name] == "down" else avails[name] / 100
        deps.append({"name": name, "label": label, "core": core, "state": states[name],
                     "availability": a, "median_ms": m, "p99_ms": q})

    # Draw every call of every view up front, one dependency at a time (fast list comprehensions);
    # each dependency has its own stream, so switching one off leaves the others' draws unchanged.
    # A column is (the views in which the call failed, every call's time).
    columns = []
    for dep in deps:
        if dep["state"] == "down":
            columns.append((list(range(views)), [float(DOWN_FAIL_MS)] * views))
            continue
        rng = random.Random(f"degradation-{seed}-{dep['name']}")
        u, a = rng.random, dep["availability"]
        failed = [v for v in range(views) if u() >= a]  # a call succeeds when u < a
        columns.append((failed, _lognormal(rng, views, math.log(dep["median_ms"]),
                                           _sigma(dep["median_ms"], dep["p99_ms"]))))

    # The designs. Only the page times are needed view by view (they are sorted for percentiles and
    # the histogram); everything else is counted from the views in which some call failed or ran
    # late, usually few. No tuple or list per view: allocating containers wakes the garbage collector.
    core = [i for i, dep in enumerate(deps) if dep["core"]][0]
    optional = [i for i, dep in enumerate(deps) if not dep["core"]]
    fail_cols, t_cols = [c[0] for c in columns], [c[1] for c in columns]
    # Floats, so the page-time lists stay all-float (the sort compares floats fastest); comparing a
    # call time with 5000.0 or 300.0 is the same as with 5000 or 300.
    deadline, timeout, inf = float(PAGE_DEADLINE_MS), float(timeout_ms), math.inf
    # late[i]: the views in which call i took longer than the degraded design waits for it
    limits = [deadline if i == core else timeout for i in range(len(deps))]
    late = [[v for v, t in enumerate(tc) if t > limit] for tc, limit in zip(t_cols, limits)]
    core_t = t_cols[core]
    slowest_optional = _column_max([t_cols[i] for i in optional])
    slowest = _column_max([core_t, slowest_optional])

    # all or nothing: the first error (or the deadline) decides; else the slowest call, or a 504
    first_error = {}  # view -> when its first call failed
    for failed, tc in zip(fail_cols, t_cols):
        for v in failed:
            if tc[v] < first_error.get(v, inf):
                first_error[v] = tc[v]
    aon_lat = [sl + RENDER_MS if sl <= deadline else deadline for sl in slowest]
    aon_failed = set(first_error)
    # The 504s: views whose slowest call passed the deadline. That call is late for the degraded
    # design too, unless the optional sections' timeout is beyond the deadline.
    maybe_504 = set().union(*late) if timeout <= deadline else range(views)
    aon_failed.update([v for v in maybe_504 if slowest[v] > deadline])
    for v, e in first_error.items():
        aon_lat[v] = e if e < deadline else deadline
    # degraded: the article up to the deadline; each optional section up to timeout_ms. So the page
    # waits for its slowest call if every optional one answered in time, else for the article or
    # the timeout, whichever is later.
    deg_lat = [(sl if so <= timeout else (tc if tc > timeout else timeout)) + RENDER_MS
               for sl, so, tc in zip(slowest, slowest_optional, core_t)]
    core_failed = set(fail_cols[core]).union(late[core])
    for v in core_failed:
        tc = core_t[v]
        deg_lat[v] = tc if tc < deadline else deadline
    core_ok = views - len(core_failed)
    # missing[k]: pages served without optional section k (its call failed or came too late)
    missing = [set(fail_cols[i]).union(late[i]).difference(core_failed) for i in optional]
    shown = [0] * len(deps)  # degraded design: optional sections that got their data in time
    for i, lacking in zip(optional, missing):
        shown[i] = core_ok - len(lacking)
    incomplete = set().union(*missing)
    full_pages = core_ok - len(incomplete)  # degraded design: pages with every optional section shown
    # The degraded page lacks a section exactly when the all-or-nothing one would differ.
    first_different = min(incomplete, default=None)
    lat = {"all_or_nothing": aon_lat, "degraded": deg_lat}
    ok_pages = {"all_or_nothing": views - len(aon_failed), "degraded": core_ok}
    failed_lat = {"all_or_nothing": sorted([aon_lat[v] for v in aon_failed]),
                  "degraded": sorted([deg_lat[v] for v in core_failed])}

    formulas = _formulas(deps)
    designs = {}
    for design in DESIGNS:
        ordered = lat[design]
        ordered.sort()
        page_ok = ok_pages[design]
        if design == "all_or_nothing":  # every section shows exactly when the page does
            sections = {dep["name"]: _shares(page_ok, 0, views) for dep in deps}
        else:
            sections = {dep["name"]: _shares(page_ok if dep["core"] else shown[i], page_ok - shown[i]
                                             if not dep["core"] else 0, views, FALLBACK.get(dep["name"]))
                        for i, dep in enumerate(deps)}
        full = page_ok if design == "all_or_nothing" else full_pages
        designs[design] = {
            "page_availability": round(page_ok / views, 5),
            # full page, page served without some optional section, error page
            "outcomes": {"full": full, "degraded": page_ok - full, "error": views - page_ok},
            "formula": formulas[design]["text"],
            "formula_value": round(formulas[design]["value"], 5),
            "factors": formulas[design]["factors"],
            "p50_ms": _round(percentile(ordered, 50)),
            "p99_ms": _round(percentile(ordered, 99)),
            "sections": sections,
            "latency_histogram": {"all": _histogram(ordered), "error": _histogram(failed_lat[design])},
        }
    if show_view <= 0:
        shown_view = 1 if first_different is None else first_different + 1
    else:
        shown_view = min(show_view, views)
    sample = [(shown_view - 1 not in failed, tc[shown_view - 1]) for failed, tc in zip(fail_cols, t_cols)]
    return {
        "views": views,
        "shown_view": shown_view,
        "latency_bins": list(LATENCY_LABELS),
        "page_deadline_ms": PAGE_DEADLINE_MS,
        "timeout_ms": timeout_ms,
        # within_timeout: P(a call answers inside the optional sections' timeout), the closed form
        # of how often the degraded page can show that section (times its availability).
        "dependencies": [{**{k: (round(v, 5) if isinstance(v, float) else v) for k, v in dep.items()},
                          "within_timeout": 0.0 if dep["state"] == "down" else
                          round(_on_time(dep["median_ms"], dep["p99_ms"], timeout_ms), 5)}
                         for dep in deps],
        "designs": designs,
        "sample": {"all_or_nothing": _all_or_nothing(deps, sample),
                   "degraded": _degraded(deps, sample, timeout_ms)},
    }


def _histogram(ordered: list) -> list:
    """Counts per LATENCY_EDGES_MS bin of a sorted list; the last bin is the deadline itself (the 504s)."""
    cuts = [bisect.bisect_right(ordered, edge) for edge in LATENCY_EDGES_MS[1:-1]]
    cuts.append(bisect.bisect_left(ordered, PAGE_DEADLINE_MS))
    bounds = [0, *cuts, len(ordered)]
    return [bounds[k + 1] - bounds[k] for k in range(len(bounds) - 1)]


def _shares(shown: int, degraded: int, views: int, fallback="") -> dict:
    """Per-section outcome shares: content shown, a fallback shown, hidden, or no page at all."""
    fallen = "fallback" if fallback else "hidden"
    out = {"shown": shown, "fallback": 0, "hidden": 0}
    out[fallen] += degraded
    out["not_rendered"] = views - shown - degraded
    return {k: round(v / views, 5) for k, v in out.items()}


def _all_or_nothing(deps, calls) -> dict:
    """Await every call; the first error (or the deadline) decides the page."""
    failures = [t for ok, t in calls if not ok and t < PAGE_DEADLINE_MS]
    slowest = max(t for _ok, t in calls)
    if failures:
        status, t = 500, min(failures)
    elif slowest > PAGE_DEADLINE_MS:
        status, t = 504, PAGE_DEADLINE_MS
    else:
        status, t = 200, slowest + RENDER_MS
    sections = []
    for dep, (ok, call_t) in zip(deps, calls):
        sections.append({"name": dep["name"], "label": dep["label"], "call": _call(ok, call_t, PAGE_DEADLINE_MS),
                         "call_ms": _round(min(call_t, PAGE_DEADLINE_MS)),
                         "shows": "shown" if status == 200 else "not_rendered",
                         "text": CONTENT[dep["name"]] if status == 200 else None})
    return {"status": status, "latency_ms": _round(t), "error_text": ERROR_PAGE.get(status),
            "sections": sections}


def _degraded(deps, calls, timeout_ms) -> dict:
    """Await the article (up to the deadline); give each optional section at most `timeout_ms`."""
    sections, t_page = [], 0.0
    status = 200
    for dep, (ok, call_t) in zip(deps, calls):
        limit = PAGE_DEADLINE_MS if dep["core"] else timeout_ms
        waited = min(call_t, limit)
        call = _call(ok, call_t, limit)
        if dep["core"]:
            if call != "ok":
                status = 503 if call == "failed" else 504
                t_error = waited
            shows, text = "shown", CONTENT[dep["name"]]
        elif call == "ok":
            shows, text = "shown", CONTENT[dep["name"]]
        else:
            text = FALLBACK[dep["name"]]
            shows = "hidden" if text is None else "fallback"
        t_page = max(t_page, waited)
        sections.append({"name": dep["name"], "label": dep["label"], "call": call,
                         "call_ms": _round(waited), "shows": shows, "text": text})
    if status != 200:
        # The article is the page: without it, the reader gets an error page as soon as we know.
        for s in sections:
            s["shows"], s["text"] = "not_rendered", None
        return {"status": status, "latency_ms": _round(t_error), "error_text": ERROR_PAGE[status],
                "sections": sections}
    return {"status": 200, "latency_ms": _round(t_page + RENDER_MS), "error_text": None,
            "sections": sections}


def _call(ok: bool, t: float, limit: float) -> str:
    if t > limit:
        return "timed_out"
    return "ok" if ok else "failed"


def _formulas(deps) -> dict:
    """Page availability in closed form: the product of what each required call contributes,
    P(call succeeds) x P(it answers before the deadline)."""
    out = {}
    for design in DESIGNS:
        factors = []
        for dep in deps:
            if design == "degraded" and not dep["core"]:
                continue
            on_time = 0.0 if dep["state"] == "down" else _on_time(dep["median_ms"], dep["p99_ms"],
                                                                 PAGE_DEADLINE_MS)
            factors.append({"name": dep["name"], "availability": round(dep["availability"], 5),
                            "on_time": round(on_time, 5), "value": dep["availability"] * on_time})
        value = math.prod(f["value"] for f in factors)
        parts = []
        for f in factors:
            part = f"{_pct(f['availability'])}"
            if f["availability"] > 0 and f["on_time"] < 0.99995:
                part += f" × {_pct(f['on_time'])} on time"
            parts.append(part)
        out[design] = {"factors": [{**f, "value": round(f["value"], 5)} for f in factors],
                       "value": value, "text": " × ".join(parts) + f" = {_pct(value)}"}
    return out


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%".replace(".00%", "%") if x < 0.99995 or x == 1 else f"{x * 100:.3f}%"


def _round(x: float) -> float:
    return round(float(x), 1)  # always a float in the JSON, 305.0 not 305
