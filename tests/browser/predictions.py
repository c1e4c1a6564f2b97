"""Lesson URLs with every demo already revealed, for the browser tests that are about a demo's result
rather than about predicting it (a demo's result otherwise waits for the question before it)."""

from pathlib import Path

from webapp.lessons import load_lessons

LESSONS = load_lessons(Path(__file__).resolve().parents[2] / "lessons")


def revealed(slug: str) -> str:
    """`revealed.<qid>=1` for every question of the lesson that guards a demo, as a query string."""
    return "&".join(f"revealed.{qid}=1" for qids in LESSONS[slug].guards.values() for qid in qids)


def lesson(live_server: str, slug: str, query: str = "") -> str:
    """The lesson's URL with its demos revealed, then `query` (the demos' own state)."""
    query = "&".join(q for q in (revealed(slug), query) if q)
    return f"{live_server}/lessons/{slug}" + (f"?{query}" if query else "")
