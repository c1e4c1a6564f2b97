"""The public URL contract, for every registered demo and every lesson."""

import csv
import io
import json
import re

import plotly.graph_objects as go
import pytest
from markupsafe import escape

from webapp.demos import REGISTRY, load_all

load_all()
DEMO_IDS = sorted(REGISTRY)
HX = {"HX-Request": "true"}


def bad_values(p):
    """Inputs a hostile or clumsy user sends, each of which must answer 400 naming `p`."""
    if p.kind in ("choice", "multi"):
        return ["bogus", "", "x" * 500, "😀"]
    if p.kind == "text":
        return ["?", "x" * int(p.max + 1), "😀"]
    top = p.slider_max() + 2 * p.step  # past the "never" notch too
    return ["abc", "nan", "inf", "-inf", "", "1e999", str(p.min - abs(p.step) - 1), repr(top * 10 + 1e9),
            "😀", "1" * 500]


BAD_CASES = [(demo_id, p.name, raw) for demo_id in DEMO_IDS for p in REGISTRY[demo_id].params
             for raw in bad_values(p)]


def test_index_lists_every_lesson_in_order(client, app):
    html = client.get("/").get_data(as_text=True)
    lessons = list(app.extensions["lessons"].values())
    positions = [html.index(f'href="/lessons/{les.slug}"') for les in lessons]
    assert positions == sorted(positions)
    assert [les.order for les in lessons] == sorted(les.order for les in lessons)
    for les in lessons:
        assert str(escape(les.summary)) in html


def test_every_lesson_page_renders_its_demos(client, app):
    for lesson in app.extensions["lessons"].values():
        response = client.get(f"/lessons/{lesson.slug}")
        assert response.status_code == 200, lesson.slug
        html = response.get_data(as_text=True)
        for demo_id in lesson.demos:
            assert f'id="demo-{demo_id}"' in html
            assert f'id="result-{demo_id}"' in html
        assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("demo_id", DEMO_IDS)
def test_full_page_and_fragment(client, demo_id):
    page = client.get(f"/demos/{demo_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.startswith("<!doctype html>") and f'<form class="demo-controls" action="/demos/{demo_id}"' in html
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get(f"/demos/{demo_id}", headers=HX)
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'class="verdict"' in body
    assert "HX-Request" in fragment.headers["Vary"]
    restore = client.get(f"/demos/{demo_id}", headers={**HX, "HX-History-Restore-Request": "true"})
    assert restore.get_data(as_text=True).startswith("<!doctype html>")


@pytest.mark.parametrize("demo_id", DEMO_IDS)
def test_json_has_every_parameter_resolved(client, demo_id):
    demo = REGISTRY[demo_id]
    data = client.get(f"/demos/{demo_id}.json?unknown=ignored").get_json()
    assert data["demo"] == demo_id
    assert data["params"] == demo.params.export(demo.params.defaults())
    assert isinstance(data["result"], dict) and data["result"]
    json.dumps(data)  # plain data all the way down


@pytest.mark.parametrize("demo_id", DEMO_IDS)
def test_csv_is_the_main_table_with_a_header(client, demo_id):
    response = client.get(f"/demos/{demo_id}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    table = REGISTRY[demo_id].present(REGISTRY[demo_id].run(REGISTRY[demo_id].params.defaults()),
                                      REGISTRY[demo_id].params.defaults()).table
    assert rows[0] == list(table.columns)
    assert len(rows) == len(table.rows) + 1


@pytest.mark.parametrize("demo_id", DEMO_IDS)
def test_figures_are_valid_plotly_with_stable_ids(client, demo_id):
    demo = REGISTRY[demo_id]
    values = demo.params.defaults()
    view = demo.present(demo.run(values), values)
    for chart in view.charts:
        go.Figure(chart.figure)  # raises on any property Plotly does not know
        assert chart.id.startswith("chart-") and chart.alt
    again = demo.present(demo.run(values), values)
    assert [c.figure for c in again.charts] == [c.figure for c in view.charts]  # deterministic


@pytest.mark.parametrize("demo_id,name,raw", BAD_CASES)
def test_bad_input_answers_400_naming_the_parameter(client, demo_id, name, raw):
    for url, headers in ((f"/demos/{demo_id}", {}), (f"/demos/{demo_id}", HX)):
        response = client.get(url, query_string={name: raw}, headers=headers)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert f"<code>{name}</code>" in html and "allowed:" in html
    data = client.get(f"/demos/{demo_id}.json", query_string={name: raw})
    assert data.status_code == 400
    assert data.get_json()["param"] == name and name in data.get_json()["error"]


@pytest.mark.parametrize("demo_id", DEMO_IDS)
def test_repeated_parameter_is_rejected(client, demo_id):
    p = next(p for p in REGISTRY[demo_id].params if p.kind != "multi")
    value = p.to_text(p.default)
    response = client.get(f"/demos/{demo_id}.json?{p.name}={value}&{p.name}={value}")
    assert response.status_code == 400 and response.get_json()["param"] == p.name


def test_bad_input_on_a_lesson_page_breaks_only_that_demo(client, app):
    lesson = next(les for les in app.extensions["lessons"].values() if len(les.demos) >= 2)
    first, second = lesson.demos[:2]
    p = REGISTRY[first].params.params[0]
    revealed = {f"revealed.{qid}": "1" for qid in lesson.questions}
    response = client.get(f"/lessons/{lesson.slug}", query_string={f"{first}.{p.name}": "oops", **revealed})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert html.count('role="alert"') == 1 and f"<code>{p.name}</code>" in html
    result_of_second = html.split(f'id="result-{second}"')[1]
    assert 'class="verdict"' in result_of_second.split("</section>")[0]


def test_fragment_replaces_the_url_of_the_page_it_came_from(client):
    on_demo = client.get("/demos/backoff-timeline?base_ms=200",
                         headers={**HX, "HX-Current-URL": "http://127.0.0.1:8000/demos/backoff-timeline"})
    assert on_demo.headers["HX-Replace-Url"] == "/demos/backoff-timeline?base_ms=200"
    on_lesson = client.get("/demos/backoff-timeline?base_ms=200", headers={
        **HX, "HX-Current-URL": "http://h/lessons/retry-backoff?retry-storm.clients=5&backoff-timeline.base_ms=300"})
    assert on_lesson.headers["HX-Replace-Url"] == (
        "/lessons/retry-backoff?retry-storm.clients=5&backoff-timeline.base_ms=200#demo-backoff-timeline")


def test_lesson_page_reads_prefixed_parameters(client):
    html = client.get("/lessons/retry-backoff?backoff-timeline.down_ms=600&revealed.give-up-time=1").get_data(as_text=True)
    assert "Succeeded on attempt 4 at 700 ms." in html
    assert "Gave up after 1,500 ms and 5 attempts" not in html


def test_backoff_defaults_show_the_seed_table(client):
    data = client.get("/demos/backoff-timeline.json").get_json()
    assert [(a["start_ms"], a["outcome"], a["wait_ms"]) for a in data["result"]["attempts"]] == [
        (0, "fail", 100), (100, "fail", 200), (300, "fail", 400), (700, "fail", 800), (1500, "fail", None)]
    assert data["result"]["gave_up"] is True
    html = client.get("/demos/backoff-timeline").get_data(as_text=True)
    assert "Gave up after 1,500 ms and 5 attempts" in html


@pytest.mark.parametrize("url", ["/demos/no-such-demo", "/lessons/no-such-lesson", "/nowhere"])
def test_unknown_pages_are_friendly_404s(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Back to the lessons" in response.get_data(as_text=True)
    assert client.get("/demos/no-such-demo.json").get_json()["status"] == 404


def test_pages_link_no_other_host(client, app):
    urls = ["/", *(f"/lessons/{s}" for s in app.extensions["lessons"]), *(f"/demos/{d}" for d in DEMO_IDS)]
    for url in urls:
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', html), url
        assert "<script>" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html), url


def test_outcome_colours_agree_between_charts_and_css(app):
    from pathlib import Path

    from webapp import charts

    css = Path(app.static_folder, "css", "app.css").read_text()
    for outcome, colour in charts.OUTCOME.items():
        assert f"--{outcome}: {colour};" in css
