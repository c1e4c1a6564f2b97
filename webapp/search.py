"""Search over the lessons and the glossary: a small inverted index built once at start-up.

A document is one step of a lesson (the prose under a heading, linked by the heading's anchor), a
demo or a question placed in a lesson, or a glossary entry. Words are lowercased and crudely
stemmed (plurals, -ing, -ed) so "retries" finds "retry"; every word of the query must appear.
Ranking is tf-idf with the step's heading counted five times. No library: the corpus is about
25,000 words, and whoosh, the usual pure-Python choice, is unmaintained.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from markupsafe import Markup, escape

MAX_QUERY = 200  # characters; a longer query is refused with a 400
MAX_WORDS = 12
MAX_RESULTS = 30
TITLE_WEIGHT = 5
WORD = re.compile(r"[^\W_]+(?:[./'’][^\W_]+)*")  # keeps p99.9, M/M/c, Little's; splits half-open
HEADING = re.compile(r"<h([23])[^>]*?\bid=\"([^\"]+)\"[^>]*>(.*?)</h\1>", re.DOTALL)
STOP = frozenset("a an and are as at be by for from how in is it its of on or that the this to was what "
                 "when which who why with".split())


class QueryError(ValueError):
    """The query cannot be searched (too long, too many words): a 400 that says why."""


@dataclass(frozen=True)
class Doc:
    url: str
    title: str  # the step's heading, or the term
    where: str  # the lesson's title, or "Glossary"
    text: str  # plain text, for the snippet
    keywords: str = ""  # found like the title, never shown: a glossary entry's other spellings


def stem(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def words(text: str) -> list[str]:
    return [stem(w) for w in WORD.findall(text) if w.lower() not in STOP]


def plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def lesson_docs(lesson) -> list[Doc]:
    """One document per step: the prose is cut at each h2/h3 that has an anchor."""
    from .demos import REGISTRY

    base = f"/lessons/{lesson.slug}"
    docs, title, url, chunks = [], lesson.title, base, [lesson.summary]

    def flush():
        text = " ".join(c for c in chunks if c)
        if text:
            docs.append(Doc(url, title, lesson.title, text))

    for index, (kind, part) in enumerate(lesson.parts):
        # Text that discusses a demo's result waits until its questions are answered (predict.py): a
        # heading in it exists on the page only once they are, so its link opens them as skipped.
        discussed = lesson.discussions.get(index)
        page = base + (f"?{urlencode([(f'revealed.{q}', '1') for q in lesson.guards[discussed]])}" if discussed else "")
        if kind == "demo":
            demo = REGISTRY[part]
            docs.append(Doc(f"{base}#demo-{part}", demo.title, lesson.title, demo.summary))
        elif kind == "question":
            docs.append(Doc(f"{base}#question-{part.id}", part.ask, lesson.title, plain(str(part.explain))))
        else:
            pos = 0
            for heading in HEADING.finditer(str(part)):
                chunks.append(plain(str(part)[pos:heading.start()]))
                flush()
                title, url, chunks = plain(heading.group(3)), f"{page}#{heading.group(2)}", []
                pos = heading.end()
            chunks.append(plain(str(part)[pos:]))
    flush()
    return docs


class Index:
    def __init__(self, docs: list[Doc]):
        self.docs = docs
        self.postings: dict[str, dict[int, int]] = defaultdict(dict)  # stem -> {doc: weighted count}
        # Title and text as their words, lowercased and space-separated: for matching a phrase.
        self.flat = [(" ".join(WORD.findall(d.title.lower())), " ".join(WORD.findall(d.text.lower()))) for d in docs]
        for n, doc in enumerate(docs):
            counts = Counter(words(doc.text))
            for w in words(f"{doc.title} {doc.keywords}"):
                counts[w] += TITLE_WEIGHT
            for w, count in counts.items():
                self.postings[w][n] = count

    def search(self, query: str) -> tuple[list[tuple[Doc, Markup]], list[str]]:
        """(results as (doc, highlighted snippet), the query's words); raises QueryError."""
        if len(query) > MAX_QUERY:
            raise QueryError(f"The search is {len(query):,} characters long: at most {MAX_QUERY} are allowed.")
        stems = list(dict.fromkeys(words(query)))
        if len(stems) > MAX_WORDS:
            raise QueryError(f"The search has {len(stems)} words: at most {MAX_WORDS} are allowed.")
        if not stems:
            return [], []
        hits = set.intersection(*(set(self.postings.get(s, {})) for s in stems))
        total = len(self.docs)

        phrase = " ".join(WORD.findall(query.lower()))

        def score(n: int) -> float:
            tf_idf = sum(self.postings[s][n] * math.log(1 + total / len(self.postings[s])) for s in stems)
            title, text = self.flat[n]  # the words in the query's order rank first ("Erlang C", not "C … Erlang")
            return tf_idf * (3 if phrase in title else 2 if phrase in text else 1)

        ranked = sorted(hits, key=lambda n: (-score(n), n))[:MAX_RESULTS]
        return [(self.docs[n], snippet(self.docs[n].text, set(stems))) for n in ranked], stems


def snippet(text: str, stems: set[str], width: int = 30) -> Markup:
    """About `width` words of `text` around the first match, every matching word in <mark>."""
    found = list(WORD.finditer(text))
    if not found:
        return Markup("")
    # A one-letter word (the C of "Erlang C") is marked only right after another marked word.
    marked = [stem(m.group(0)) in stems and len(m.group(0)) > 1 for m in found]
    for i in range(1, len(found)):
        if not marked[i] and marked[i - 1] and stem(found[i].group(0)) in stems \
                and not text[found[i - 1].end():found[i].start()].strip():
            marked[i] = True
    first = next((i for i, hit in enumerate(marked) if hit), 0)
    lo = 0 if first < width * 2 // 3 else first - width // 3  # start at the beginning when it fits
    hi = min(len(found), lo + width)
    start, end = found[lo].start(), found[hi - 1].end()
    out, pos = [], start
    for m, hit in zip(found[lo:hi], marked[lo:hi]):
        if hit:
            out += [escape(text[pos:m.start()]), Markup("<mark>"), escape(m.group(0)), Markup("</mark>")]
            pos = m.end()
    out.append(escape(text[pos:end]))
    return Markup("…" if lo else "") + Markup("").join(out) + Markup("…" if hi < len(found) else "")


def build_index(lessons: dict, terms: dict) -> Index:
    docs = [doc for lesson in lessons.values() for doc in lesson_docs(lesson)]
    docs += [Doc(f"/glossary#{t.anchor}", t.term, "Glossary", t.tip, " ".join(t.aliases))
             for t in terms.values()]
    return Index(docs)
