"""Routes: the lesson pages, and each demo as a page, an htmx fragment, JSON and CSV.

Views stay short: read the query, run the demo, render. How a demo state becomes a URL and how an
htmx request differs from a full page live in `demo_state.py`.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request

from .caching import FRAGMENTS
from .compressed import Encoded
from .demo_state import DemoState, freeze, replace_url_for, resolve, wants_fragment
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
    current = _lesson_or_404(slug)
    # On a lesson page a demo's parameters carry its id as a prefix: ?retry-storm.clients=50
    states = {demo_id: resolve(REGISTRY[demo_id], request.args, prefix=f"{demo_id}.")
              for demo_id in current.demos}
    order = list(lessons)
    position = order.index(slug)
    neighbours = {"previous": lessons[order[position - 1]] if position > 0 else None,
                  "next": lessons[order[position + 1]] if position + 1 < len(order) else None}
    # An answered question (a no-JS form post redirects here) shows its feedback: ?answer.<id>=<value>
    answers = {qid: q.check(request.args[f"answer.{qid}"]) for qid, q in current.questions.items()
               if f"answer.{qid}" in request.args}
    status = 400 if any(s.error for s in states.values()) else 200
    present = request.args.get("present") == "1"  # presenter mode: a projector-sized page
    html = render_template("lesson.html", lesson=current, states=states, answers=answers, present=present,
                           **neighbours)
    return _vary(Response(html, status))


@pages.route("/lessons/<slug>/questions/<qid>", methods=["GET", "POST"])
def question(slug: str, qid: str):
    """Check a prediction. htmx gets the question's fragment; a plain form post is redirected to
    the lesson with the answer in the URL, so the feedback is a link like every other state."""
    current = _lesson_or_404(slug)
    if qid not in current.questions:
        abort(404, description=f"Lesson “{current.title}” has no question “{qid}”.")
    q = current.questions[qid]
    if request.method == "GET":  # "try again": the question without an answer
        if not wants_fragment(request):
            return redirect(f"/lessons/{slug}#question-{qid}", 303)
        return _vary(Response(render_template("lesson/_question.html", question=q, lesson=current)))
    raw = request.form.get("answer", "")
    correct, given = q.check(raw)
    if not wants_fragment(request):
        if correct is None:
            return redirect(f"/lessons/{slug}#question-{qid}", 303)
        return redirect(f"/lessons/{slug}?{urlencode({f'answer.{qid}': raw.strip()[:40]})}#question-{qid}", 303)
    html = render_template("lesson/_question.html", question=q, lesson=current, correct=correct,
                           given=given, invalid=correct is None, problem=q.problem(raw))
    return _vary(Response(html, 400 if correct is None else 200))


def _lesson_or_404(slug: str):
    lessons = all_lessons()
    if slug not in lessons:
        abort(404, description=f"There is no lesson called “{slug}”.")
    return lessons[slug]


@demos.get("/<demo_id>")
def demo_page(demo_id: str):
    state = resolve(_demo_or_404(demo_id), request.args)
    status = 400 if state.error else 200
    if wants_fragment(request):
        # A preset or reset redraws the whole demo (its controls move too); a slider only the result.
        whole = request.headers.get("HX-Target") == f"demo-{demo_id}"
        template = "demo/_demo.html" if whole else "demo/_result.html"
        if state.error or state.failure:
            response = Response(render_template(template, state=state), status)
            if state.failure:
                response.cache_control.no_store = True  # it may work next time
        else:  # a good state renders the same bytes for everyone: render and compress it once
            entry = FRAGMENTS.get((template, demo_id, freeze(state.values)),
                                  lambda: Encoded(render_template(template, state=state).encode()))
            response = entry.response(request.headers.get("Accept-Encoding", ""), "text/html")
        url = None if state.error else replace_url_for(state, request.headers.get("HX-Current-URL", ""))
        if url:
            # A step a learner may want to undo with the browser's back button asks for a new
            # history entry (X-History: push); a slider's stream of values replaces the current one.
            push = request.headers.get("X-History") == "push"
            response.headers["HX-Push-Url" if push else "HX-Replace-Url"] = url
        return _vary(response)
    html = render_template("demo/page.html", state=state, lesson=lesson_for_demo(demo_id))
    response = Response(html, status)
    if state.failure:
        response.cache_control.no_store = True
    return _vary(response)


@demos.get("/<demo_id>.json")
def demo_json(demo_id: str):
    state = resolve(_demo_or_404(demo_id), request.args)
    if state.error:
        return jsonify(error=str(state.error), param=state.error.param.name, allowed=state.error.allowed), 400
    if state.failure:
        return _failed(jsonify(error=state.failure, params=state.demo.params.export(state.values)))
    return jsonify(demo=demo_id, params=state.demo.params.export(state.values), result=state.result)


@demos.get("/<demo_id>.csv")
def demo_csv(demo_id: str):
    state = resolve(_demo_or_404(demo_id), request.args)
    if state.error:
        return Response(f"error: {state.error}\n", 400, mimetype="text/plain")
    if state.failure:
        return _failed(Response(f"error: {state.failure}\n", mimetype="text/plain"))
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


def _failed(response: Response) -> Response:
    """An export of a state whose model raised: a server error, said plainly, and never cached."""
    response.status_code = 500
    response.cache_control.no_store = True
    return response


def _vary(response: Response) -> Response:
    """The same URL answers a full page, the demo or its result, so caches must key on the headers
    that choose between them."""
    response.vary.update(("HX-Request", "HX-History-Restore-Request", "HX-Target"))
    return response


__all__ = ["pages", "demos", "DemoState"]
