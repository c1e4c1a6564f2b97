"""The instructor's view of the room's screen: the lesson step the session shows (with its speaker
notes) and a preview of what attendees see, polled by the control page (204 while the version holds)."""

from __future__ import annotations

from flask import Response, render_template, request

from ..teach import step_for_state
from .views import _demo_state, _instructor_session, _lesson, _question, bp


def render_preview(session) -> str:
    lesson = _lesson(session.state)
    demo = _demo_state(session.state)
    return render_template("live/_preview.html", code=session.code, session=session, lesson=lesson,
                           step=step_for_state(lesson, session.state), question=_question(session.state),
                           phase=session.state.get("phase"), demo=demo)


@bp.get("/<code>/preview")
def preview(code: str):
    session = _instructor_session(code)
    if request.args.get("v") == str(session.version):
        return Response(status=204)
    return Response(render_preview(session))
