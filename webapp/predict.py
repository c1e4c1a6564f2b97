"""Predict, then see: a demo's result waits until the questions that it answers are answered.

Which questions are answered is part of the lesson's URL, like every other state:
`answer.<qid>=<what the learner said>` (or `revealed.<qid>=1` for "Skip, show me"). A demo guarded
by an unanswered question is rendered without its result (the server leaves the verdict, stats,
charts, table and truth box out), and the text after it that discusses the result waits with it.
htmx requests made from such a demo carry `X-Predict: pending`, so its fragments stay withheld too.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

PENDING_HEADER = "X-Predict"


def revealed(lesson, pairs: list[tuple[str, str]]) -> set[str]:
    """The questions of `lesson` answered (with a readable answer) or skipped in these query pairs."""
    args = dict(pairs)
    done = set()
    for qid, question in lesson.questions.items():
        if args.get(f"revealed.{qid}") == "1":
            done.add(qid)
        elif f"answer.{qid}" in args and question.check(args[f"answer.{qid}"])[0] is not None:
            done.add(qid)
    return done


def withheld(lesson, done: set[str]) -> set[str]:
    """The demos whose result waits: some question they answer is neither answered nor skipped."""
    return {demo_id for demo_id, qids in lesson.guards.items() if not set(qids) <= done}


def page_pairs(request, slug: str) -> list[tuple[str, str]]:
    """The lesson page's query as the learner has it now: from the address bar that htmx reports
    (sliders keep it current), else from this request's own query (a form posted without JS)."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    if current.path == f"/lessons/{slug}":
        return parse_qsl(current.query, keep_blank_values=True)
    return list(request.args.items(multi=True))


def with_question(pairs: list, qid: str, key: str | None, value: str = "") -> list:
    """`pairs` without anything about question `qid`, then `key=value` (answer.<qid> or revealed.<qid>)."""
    kept = [(k, v) for k, v in pairs if k not in (f"answer.{qid}", f"revealed.{qid}")]
    return kept + ([(key, value)] if key else [])


def lesson_url(slug: str, pairs: list, fragment: str = "") -> str:
    query = urlencode(pairs)
    return f"/lessons/{slug}" + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
