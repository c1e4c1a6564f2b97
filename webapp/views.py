"""Routes: the lesson pages, and each demo as a page, an htmx fragment, JSON and CSV.

Views stay short: read the query, run the demo, render. How a demo state becomes a URL and how an
htmx request differs from a full page live in `demo_state.py`.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request
from werkzeug.datastructures import MultiDict

from .caching import FRAGMENTS
from .compressed import Encoded
from .demo_state import DemoState, freeze, replace_url_for, resolve, wants_fragment
from .demos import REGISTRY
from .lessons import all_lessons, demo_in_lesson, lesson_for_demo
from . import predict

pages = Blueprint("pages", __name__)
demos = Blueprint("demos", __name__, url_prefix="/demos")


@pages.get("/")
def index():
    return render_template("index.html", lessons=list(all_lessons().values()))


@pages.get("/lessons/<slug>")
def lesson(slug: str, invalid: dict | None = None):
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
    status = 400 if invalid or any(s.error for s in states.values()) else 200
    present = request.args.get("present") == "1"  # slide mode: one step per projector screen
    if present:  # a question and its demo are separate slides: the instructor asks, then shows
        html = render_template("lesson/slides.html", lesson=current, states=states, answers=answers,
                               **neighbours)
        return _vary(Response(html, status))
    pairs = list(request.args.items(multi=True))  # predict, then see: which demos still wait
    done = predict.revealed(current, pairs)
    html = render_template("lesson.html", lesson=current, states=states, answers=answers,
                           waiting=predict.withheld(current, done), done=done, pairs=pairs,
                           invalid=invalid or {}, **neighbours)
    return _vary(Response(html, status))


@pages.app_template_global()
def see_in_lesson(url: str, pairs: list = ()) -> str:
    """A question's "See it in the demo": that state of the demo inside its lesson, scrolled to it."""
    return demo_in_lesson(url, all_lessons(), keep=pairs)


@pages.app_template_global()
def lesson_url(slug: str, pairs: list, fragment: str = "") -> str:
    return predict.lesson_url(slug, pairs, fragment)


@pages.route("/lessons/<slug>/questions/<qid>", methods=["GET", "POST"])
def question(slug: str, qid: str):
    """Check a prediction (or "Skip, show me"). htmx gets the question's fragment, and the demo it
    reveals out of band; a plain form post is redirected to the lesson with the answer in the URL,
    so the feedback is a link like every other state."""
    current = _lesson_or_404(slug)
    if qid not in current.questions:
        abort(404, description=f"Lesson “{current.title}” has no question “{qid[:60]}”.")
    q = current.questions[qid]
    pairs = predict.page_pairs(request, slug)
    if request.method == "GET":  # "try again": the question without an answer; its demo stays revealed
        again = predict.with_question(pairs, qid, f"revealed.{qid}", "1") if q.reveals else \
            predict.with_question(pairs, qid, None)
        if not wants_fragment(request):
            return redirect(predict.lesson_url(slug, again, f"question-{qid}"), 303)
        response = Response(render_template("lesson/_question.html", question=q, lesson=current, pairs=again,
                                            skipped=f"revealed.{qid}" in dict(again)))
        response.headers["HX-Replace-Url"] = predict.lesson_url(slug, again, f"question-{qid}")
        return _vary(response)
    raw = request.form.get("answer", "").strip()
    skip = request.form.get("skip") == "1"
    if skip:
        after, correct, given = predict.with_question(pairs, qid, f"revealed.{qid}", "1"), None, ""
    else:
        correct, given = q.check(raw)
        if correct is None:
            problem = f"That is not an answer to this question: {q.problem(raw)}."
            if not wants_fragment(request):  # the lesson page (its query rides in the form's action), 400
                return lesson(slug, invalid={qid: problem})
            html = render_template("lesson/_question.html", question=q, lesson=current, pairs=pairs,
                                   invalid=problem, given=given)
            return _vary(Response(html, 400))
        after = predict.with_question(pairs, qid, f"answer.{qid}", raw)
    url = predict.lesson_url(slug, after, f"question-{qid}")
    if not wants_fragment(request):
        return redirect(url, 303)
    demo_waiting = q.reveals in predict.withheld(current, predict.revealed(current, after))
    html = render_template("lesson/_question.html", question=q, lesson=current, correct=correct,
                           given=given, pairs=after, skipped=skip, demo_waiting=demo_waiting)
    if q.reveals and not demo_waiting:
        html += _revealed_demo(current, q.reveals, after)
    response = Response(html)
    response.headers["HX-Replace-Url"] = url
    return _vary(response)


def _revealed_demo(current, demo_id: str, pairs: list) -> str:
    """The demo a question guarded, now with its result, and the text that discusses it: swapped
    into the lesson page out of band, in the state the learner left the demo."""
    state = resolve(REGISTRY[demo_id], MultiDict(pairs), prefix=f"{demo_id}.")
    html = render_template("demo/_demo.html", state=state, oob=True)
    for index, discussed in current.discussions.items():
        if discussed == demo_id:
            html += render_template("lesson/_discussion.html", discussed=demo_id, part=current.parts[index][1],
                                    waiting=(), oob=True)
    return html


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
        # Asked from a lesson whose question on this demo is unanswered: leave the result out.
        withheld = request.headers.get(predict.PENDING_HEADER) == "pending"
        if state.error or state.failure:
            response = Response(render_template(template, state=state, withheld=withheld), status)
            if state.failure:
                response.cache_control.no_store = True  # it may work next time
        else:  # a good state renders the same bytes for everyone: render and compress it once
            entry = FRAGMENTS.get((template, demo_id, freeze(state.values), withheld),
                                  lambda: Encoded(render_template(template, state=state, withheld=withheld,
                                                                  lazy_panels=True).encode()))
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
    spread = spread_views.json_spread(state)  # ?spread=N: the same state over N seeds
    if isinstance(spread, tuple):
        return spread
    extra = {} if spread is None else {"spread": spread}
    return jsonify(demo=demo_id, params=state.demo.params.export(state.values), result=state.result, **extra)


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
    response.vary.update(("HX-Request", "HX-History-Restore-Request", "HX-Target", predict.PENDING_HEADER))
    return response


# Registers /demos/<id>/spread on the blueprint above (it imports this module, so it comes last).
from . import spread_views  # noqa: E402

__all__ = ["pages", "demos", "DemoState"]
