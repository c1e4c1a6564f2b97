"""Server-side search over the lessons and the glossary."""

import re
from html import unescape

import pytest

from webapp.search import MAX_QUERY, stem


@pytest.mark.parametrize("word, expected", [("retries", "retry"), ("Retrying", "retry"), ("retried", "retri"),
                                            ("breakers", "breaker"), ("Little's", "little"), ("class", "class")])
def test_stemming(word, expected):
    assert stem(word) == expected


def results(client, q):
    html = client.get("/search", query_string={"q": q}).get_data(as_text=True)
    return [unescape(u) for u in re.findall(r'<li>\s*<a href="([^"]+)">', html)], html


def test_a_term_finds_its_glossary_entry_and_the_lesson_step(client):
    urls, html = results(client, "Erlang C")
    assert "/glossary#term-erlang-c" in urls
    assert any(u.startswith("/lessons/bulkhead#") for u in urls)
    assert "<mark>Erlang</mark>" in html


def test_every_result_links_to_an_anchor_that_exists(client):
    urls, _ = results(client, "retry")
    assert len(urls) >= 5
    for url in urls:
        path, _, anchor = url.partition("#")
        page = client.get(path).get_data(as_text=True)
        assert not anchor or f'id="{anchor}"' in page, url


def test_plurals_find_singulars(client):
    assert set(results(client, "bulkheads")[0]) == set(results(client, "bulkhead")[0]) != set()


def test_demos_are_found_in_their_lesson(client):
    urls, _ = results(client, "double charge")
    assert "/lessons/idempotency#demo-double-charge" in urls


def test_the_query_is_escaped_and_kept_in_the_box(client):
    response = client.get("/search", query_string={"q": "<script>alert(1)</script>"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html


@pytest.mark.parametrize("q", ["", "   ", "the of", "zzzzqqq", "\x00\uffff", "(((", "*" * MAX_QUERY])
def test_odd_queries_answer_plainly(client, q):
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    assert "Search the lessons and the glossary" in response.get_data(as_text=True)


@pytest.mark.parametrize("q, message", [("x" * (MAX_QUERY + 1), "at most 200"),
                                        (" ".join(f"w{i}" for i in range(13)), "at most 12 are allowed")])
def test_absurd_queries_are_a_400_that_says_why(client, q, message):
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_the_header_has_a_search_box_that_works_without_javascript(client):
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<form class="search-form" role="search"[^>]*action="/search" method="get">', html)
    assert 'name="q"' in html
