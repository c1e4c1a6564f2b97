"""Routes of "Run 20 seeds": `/demos/<id>/spread?<state>&spread=20` answers the spread as an htmx
fragment, or as a page of its own when followed as a plain link (no JavaScript); `/demos/<id>.json`
adds it under "spread" when asked (`views.demo_json` calls `json_spread`).

The spread is never part of the demo page itself: the page offers a button, and only a click runs
the seeds, in a request of its own, so the page is never slower for it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, jsonify, render_template, request

from . import spread, spread_chart
from .caching import FRAGMENTS
from .compressed import Encoded
from .demo_state import DemoState, freeze, resolve, wants_fragment
from .lessons import lesson_for_demo
from .params import ParamError
from .views import _demo_or_404, _vary, demos


@demos.app_template_global()
def spread_link(state: DemoState, n: int = spread.DEFAULT_SEEDS) -> str | None:
    """The URL of this state's spread, or None for a demo without a seed."""
    if not spread.supports(state.demo):
        return None
    query = urlencode([*state.demo.params.query_items(state.values), ("spread", n)])
    return f"/demos/{state.demo.id}/spread?{query}"


def _count(demo) -> int:
    raw = request.args.getlist("spread")
    if len(raw) > 1:
        raise ParamError(spread.spread_param(demo), ", ".join(raw)[:200], "given more than once")
    return spread.parse_count(demo, raw[0]) if raw else spread.DEFAULT_SEEDS


@demos.get("/<demo_id>/spread")
def demo_spread(demo_id: str):
    demo = _demo_or_404(demo_id)
    if not spread.supports(demo):
        return _vary(Response(f"The demo “{demo.title}” has no seed, so it has no spread over seeds.\n", 404,
                              mimetype="text/plain"))
    state = resolve(demo, request.args)
    try:
        n = _count(demo)
    except ParamError as err:
        state = DemoState(demo, state.values, error=err)
    fragment = wants_fragment(request)
    template = "demo/_spread.html" if fragment else "demo/spread_page.html"
    if state.error or state.failure:
        status = 400 if state.error else 500
        response = Response(render_template(template, state=state, spread=None, lesson=lesson_for_demo(demo_id)),
                            status)
        response.cache_control.no_store = bool(state.failure)
        return _vary(response)

    def render(result):
        figure = None if result.pending else spread_chart.figure(result)
        return render_template(template, state=state, spread=result, n=n, lesson=lesson_for_demo(demo_id),
                               url=spread_link(state, n), figure=figure, alt=spread_chart.alt(result))

    if not fragment:  # a plain link (no JavaScript): the whole spread at once, for this visitor
        return _vary(Response(render(spread.compute(state, n))))
    key = ("spread", demo_id, freeze(state.values), n)
    if key not in FRAGMENTS:
        result = spread.compute(state, n, budget_s=spread.STEP_BUDGET_S)
        if result.pending:  # progress, and the fragment asks for the rest itself
            response = Response(render(result))
            response.cache_control.no_store = True
            return _vary(response)
        FRAGMENTS.get(key, lambda: Encoded(render(result).encode()))
    entry = FRAGMENTS.get(key, lambda: Encoded(render(spread.compute(state, n)).encode()))
    return _vary(entry.response(request.headers.get("Accept-Encoding", ""), "text/html"))


def json_spread(state: DemoState):
    """The "spread" member of a demo's JSON, or a 400 response when `spread` is malformed or the demo
    has no seed; None when the query does not ask for it."""
    if "spread" not in request.args:
        return None
    demo = state.demo
    if not spread.supports(demo):
        return jsonify(error=f"spread: the demo {demo.id} has no seed", param="spread", allowed="no spread"), 400
    try:
        n = _count(demo)
    except ParamError as err:
        return jsonify(error=str(err), param="spread", allowed=err.allowed), 400
    return spread.compute(state, n).export()
