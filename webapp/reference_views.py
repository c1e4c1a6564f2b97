"""The reference pages: /glossary and /search, and the link from a demo's page to its lesson step."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request

from .demos.how_to_read import HOW_TO_READ
from .lessons import all_lessons
from .search import QueryError

reference = Blueprint("reference", __name__)


@reference.get("/glossary")
def glossary():
    lessons = all_lessons()
    return render_template("glossary.html", terms=list(current_app.extensions["glossary"].values()),
                           lessons=lessons)


@reference.get("/search")
def search():
    query = request.args.get("q", "")
    try:
        results, stems = current_app.extensions["search"].search(query)
        error = None
    except QueryError as err:
        results, stems, error = [], [], str(err)
    html = render_template("search.html", query=query[:200], results=results, stems=stems, error=error)
    return Response(html, 400 if error else 200)


# A demo that no lesson places, but that has a page of its own taking the same parameters.
OWN_PAGES = {"failure-lab": ("/lab", "Open it in the failure lab, with the service graph and the account of the run")}


@reference.app_template_global()
def lesson_step_url(state, lesson) -> str:
    """The demo's step in its lesson, in the state shown: /lessons/<slug>?<id>.<param>=…#demo-<id>."""
    demo_id = state.demo.id
    query = "" if state.error else urlencode(state.demo.params.query_items(state.values, prefix=f"{demo_id}."))
    return f"/lessons/{lesson.slug}" + (f"?{query}" if query else "") + f"#demo-{demo_id}"


@reference.app_template_global()
def own_page(state) -> tuple[str, str] | None:
    """(URL in the state shown, link text) of the page a lesson-less demo lives on, if any."""
    if state.demo.id not in OWN_PAGES:
        return None
    path, label = OWN_PAGES[state.demo.id]
    query = "" if state.error else urlencode(state.demo.params.query_items(state.values))
    return path + (f"?{query}" if query else ""), label


@reference.app_template_global()
def how_to_read(demo_id: str) -> str:
    return HOW_TO_READ.get(demo_id, "")
