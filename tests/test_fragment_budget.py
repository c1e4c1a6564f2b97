"""Issue 15, target 2: the browser parses and draws every byte of a result fragment, so no demo
state's fragment exceeds 40 KB before compression and no chart plots more than 2,000 points, at the
defaults and with every parameter at its maximum. (The failure lab is a whole system's story, not
a slider demo: it has its own page budget.)"""

from __future__ import annotations

import html
import json
import re

import pytest

from bench.demo_times import max_values
from bench.fragment_sizes import plotted_points
from webapp.charts import page_json
from webapp.demos import REGISTRY, load_all

FRAGMENT_BYTES = 40_000
CHART_POINTS = 2_000
load_all()
DEMOS = sorted(d for d in REGISTRY if d != "failure-lab")


def _fragment(client, demo_id: str, query: dict) -> str:
    response = client.get(f"/demos/{demo_id}", query_string=query, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("at", ["default", "maximum"])
@pytest.mark.parametrize("demo_id", DEMOS)
def test_fragment_and_charts_within_budget(client, demo_id, at):
    query = {} if at == "default" else max_values(REGISTRY[demo_id])
    text = _fragment(client, demo_id, query)
    assert len(text.encode()) <= FRAGMENT_BYTES, f"{demo_id} at its {at}s: {len(text.encode()):,} bytes"
    for spec in re.findall(r"data-figure='([^']*)'", text):
        figure = json.loads(html.unescape(spec))
        points = sum(len(t.get("x") or t.get("y") or []) for t in figure["data"])
        assert points <= CHART_POINTS, f"{demo_id} at its {at}s plots {points:,} points"


def test_page_json_is_compact_exact_where_it_matters_and_attribute_safe():
    figure = {"data": [{"type": "scatter", "x": [0.5 + i for i in range(20)], "y": [1 / 3] * 20,
                        "name": "it's <b>&"}], "layout": {"title": {"text": "a"}}}
    text = str(page_json(figure))
    assert "'" not in text and "<" not in text and "&" not in text  # safe inside data-figure='…'
    page = json.loads(text)
    trace = page["data"][0]
    assert "x" not in trace and (trace["x0"], trace["dx"]) == (0.5, 1.0)  # an even series as x0 + i dx
    assert trace["y"][0] == 0.3333 and trace["name"] == "it's <b>&"
    assert plotted_points({"data": [trace]}) == 20  # y still counts the points


def test_uneven_x_is_kept_as_is():
    x = [0, 1, 2, 4, 8, 16, 32, 64, 128]
    page = json.loads(str(page_json({"data": [{"type": "bar", "x": x, "y": x}], "layout": {}})))
    assert page["data"][0]["x"] == x
