"""Routes: the lesson pages, and each demo as a page, an htmx fragment, JSON and CSV.

Views stay short: read the query, run the demo, render. How a demo state becomes a URL and how an
htmx request differs from a full page live in `demo_state.py`.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, jsonify, render_template, request

from .demo_state import DemoState, replace_url_for, resolve, wants_fragment
from .demos import REGISTRY
from .lessons import all_lessons, lesson_for_demo

pages = Blueprint("pages", __name__)
demos = Blueprint("demos", __name__, url_prefix="/demos")


@pages.get("/")
def index():
    return render_template("index.html", lessons=list(all_lessons().values()))


@pages.get("/lessons/<slug>")
def lesson(slug: str):
    lessons = all_lessons()
    if slug not in lessons:
        abort(404, description=f"There is no lesson called “{slug}”.")
    current = lessons[slug]
    # On a lesson page a demo's parameters carry its id as a prefix: ?retry-storm.clients=50
    states = {demo_id: resolve(REGISTRY[demo_id], request.args, prefix=f"{demo_id}.")
              for demo_id in current.demos}
    order = list(lessons)
    position = order.index(slug)
    neighbours = {"previous": lessons[order[position - 1]] if position > 0 else None,
                  "next": lessons[order[position + 1]] if position + 1 < len(order) else None}
    status = 400 if any(s.error for s in states.values()) else 200
    html = render_template("lesson.html", lesson=current, states=states, **neighbours)
    return _vary(Response(html, status))


@demos.get("/<demo_id>")
def demo_page(demo_id: str):
    state = resolve(_demo_or_404(demo_id), request.args)
    status = 400 if state.error else 200
    if wants_fragment(request):
        response = Response(render_template("demo/_result.html", state=state), status)
        url = None if state.error else replace_url_for(state, request.headers.get("HX-Current-URL", ""))
        if url:
            response.headers["HX-Replace-Url"] = url
        return _vary(response)
    html = render_template("demo/page.html", state=state, lesson=lesson_for_demo(demo_id))
    return _vary(Response(html, status))


@demos.get("/<demo_id>.json")
def demo_json(demo_id: str):
    state = resolve(_demo_or_404(demo_id), request.args)
    if state.error:
        return jsonify(error=str(state.error), param=state.error.param.name,
                       allowed=state.error.param.allowed()), 400
    return jsonify(demo=demo_id, params=state.demo.params.export(state.values), result=state.result)


@demos.get("/<demo_id>.csv")
def demo_csv(demo_id: str):
    state = resolve(_demo_or_404(demo_id), request.args)
    if state.error:
        return Response(f"error: {state.error}\n", 400, mimetype="text/plain")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(state.view.table.columns)
    writer.writerows(["" if cell is None else cell for cell in row] for row in state.view.table.rows)
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{demo_id}.csv"'})


def _demo_or_404(demo_id: str):
    if demo_id not in REGISTRY:
        abort(404, description=f"There is no demo called “{demo_id}”.")
    return REGISTRY[demo_id]


def _vary(response: Response) -> Response:
    """The same URL answers a full page or a fragment, so caches must key on HX-Request."""
    response.vary.add("HX-Request")
    return response


__all__ = ["pages", "demos", "DemoState"]
