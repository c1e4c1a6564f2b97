"""The failure lab's pages: /lab, /lab.json, /lab.csv, /lab/compare, and the demo "failure-lab".

The generic contract tests (tests/test_routes.py, test_fuzz.py, test_workshop_routes.py) cover the demo
as they cover every demo; these check what the lab adds: grouped controls, scenarios, the graph, the
account of the run, comparisons, and the 400 that names the edge and the setting.
"""

import re

import pytest
from markupsafe import escape

from webapp.demos import REGISTRY, load_all

load_all()
HX = {"HX-Request": "true"}
DEMO = REGISTRY["failure-lab"]
BAD_TIMEOUT = {"checkout_payments_timeout_ms": "9000"}
MESSAGE = "edge checkout→payments: timeout 9,000 ms exceeds its caller's timeout 5,000 ms (gateway→checkout)"


def test_the_lab_page_groups_the_controls_and_shows_the_healthy_baseline(client):
    response = client.get("/lab")
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert html.startswith("<!doctype html>") and '<form class="demo-controls lab-controls" action="/lab"' in html
    for group in ("Traffic", "Faults", "Patterns on each call", "Services: threads and queues"):
        assert f"<summary>{group}</summary>" in html
    for arrow in ("gateway→search", "gateway→checkout", "gateway→profile", "search→index", "checkout→payments",
                  "profile→recommendations"):
        assert f'<span class="lab-set-name">{arrow}</span>' in html
    # every parameter has exactly one control, by its own name
    for p in DEMO.params:
        assert html.count(f'name="{p.name}"') == (len(p.choices) if p.kind == "choice" else 1), p.name
    assert 'class="lab-svg"' in html and "The service graph in this run" in html
    assert "End users: search 100%, checkout 100%, profile 100% of requests succeeded." in html
    assert "This is “Healthy baseline”" in html
    for preset in DEMO.presets:
        assert f">{escape(preset.label)}</a>" in html


def test_a_slider_gets_the_result_fragment_and_a_permalink(client):
    response = client.get("/lab", query_string={"fault1_kind": "down"},
                          headers={**HX, "HX-Current-URL": "http://127.0.0.1/lab"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "<form" not in html
    assert response.headers["HX-Replace-Url"] == "/lab?fault1_kind=down"
    assert "payments went down" in html and 'class="lab-events"' in html
    assert "Your own settings" in html


@pytest.mark.parametrize("preset", DEMO.presets, ids=lambda p: p.name)
def test_each_scenario_is_a_link_that_redraws_the_whole_lab(client, preset):
    values = DEMO.preset_values(preset)
    response = client.get("/lab", query_string=DEMO.params.query_items(values),
                          headers={**HX, "HX-Target": "demo-failure-lab"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="demo lab" id="demo-failure-lab"')
    assert f"This is “{escape(preset.label)}”" in html
    # the fieldsets a scenario changed are open and marked
    for name in preset.values:
        set_id = next(sid for _g, _t, sets in _groups() for sid, _l, _n, names in sets if name in names)
        assert re.search(rf'<details class="lab-set lab-changed" id="set-{set_id}" open>', html), (name, set_id)


def _groups():
    from webapp.demos.lab import GROUPS

    return GROUPS


def test_scenarios_tell_their_story_in_the_page(client):
    cascade = client.get("/lab", query_string=DEMO.params.query_items(DEMO.preset_values(DEMO.presets[1])),
                         headers=HX).get_data(as_text=True)
    assert "payments slowed ×100" in cascade
    assert "Neither search nor index had a fault: the trouble came through the gateway" in cascade
    double = DEMO.preset_values(next(p for p in DEMO.presets if p.name == "double-charge"))
    html = client.get("/lab", query_string=DEMO.params.query_items(double), headers=HX).get_data(as_text=True)
    assert "customers charged twice" in html and "chart-failure-lab-payments" in html


def test_a_timeout_longer_than_its_callers_is_a_400_naming_the_edge_and_the_setting(client):
    for headers in ({}, HX):
        response = client.get("/lab", query_string=BAD_TIMEOUT, headers=headers)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert escape(MESSAGE) in html and "<code>checkout_payments_timeout_ms</code>" in html and 'role="alert"' in html
    page = client.get("/lab", query_string=BAD_TIMEOUT).get_data(as_text=True)
    assert '<div class="lab-control lab-invalid">' in page  # the control is marked ...
    assert re.search(r'<details class="lab-set lab-changed" id="set-checkout_payments" open>', page)  # ... and shown
    data = client.get("/lab.json", query_string=BAD_TIMEOUT)
    assert data.status_code == 400
    assert data.get_json() == {"error": MESSAGE, "param": "checkout_payments_timeout_ms", "edge": "checkout→payments",
                               "setting": "timeout_ms"}
    assert client.get("/lab.csv", query_string=BAD_TIMEOUT).status_code == 400
    # The generic demo route answers the same 400 through the demo's check, like any bad parameter.
    generic = client.get("/demos/failure-lab", query_string=BAD_TIMEOUT)
    assert generic.status_code == 400
    assert escape(MESSAGE) in generic.get_data(as_text=True)
    assert "<code>checkout_payments_timeout_ms</code>" in generic.get_data(as_text=True)
    data = client.get("/demos/failure-lab.json", query_string=BAD_TIMEOUT)
    assert data.status_code == 400 and data.get_json()["param"] == "checkout_payments_timeout_ms"
    assert "no longer than the caller's own wait" in data.get_json()["allowed"]


@pytest.mark.parametrize("query,param", [
    ({"gateway_search_timeout_ms": "-5"}, "gateway_search_timeout_ms"),
    ({"index_threads": "0"}, "index_threads"),
    ({"fault1_kind": "meteor"}, "fault1_kind"),
    ({"seed": "x"}, "seed"),
    ({"checkout_payments_attempts": "50"}, "checkout_payments_attempts"),
    ({"fault2_kind": "down", "fault2_start_s": "50", "fault2_end_s": "40"}, "fault2_end_s"),
])
def test_bad_values_are_400s_that_name_the_setting_never_500s(client, query, param):
    for url, headers in (("/lab", {}), ("/lab", HX), ("/lab.json", {}), ("/lab.csv", {})):
        response = client.get(url, query_string=query, headers=headers)
        assert response.status_code == 400, (url, query)
        assert param in response.get_data(as_text=True)


def test_json_and_csv_of_the_lab(client):
    data = client.get("/lab.json?fault1_kind=slow").get_json()
    assert data["demo"] == "failure-lab" and data["params"]["fault1_kind"] == "slow"
    result = data["result"]
    assert set(result["features"]) == {"search", "checkout", "profile"}
    assert result["story"] and result["verdicts"]
    csv_text = client.get("/lab.csv?fault1_kind=slow").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "t_s,feature,requests,ok,degraded,failed,success_rate,p50_ms,p99_ms"
    assert len(csv_text.splitlines()) == 1 + 3 * len(result["t_s"])


def test_the_plain_demo_shows_the_graph_and_points_to_the_lab(client):
    html = client.get("/demos/failure-lab?fault1_kind=slow").get_data(as_text=True)
    assert 'class="lab-svg"' in html and 'href="/lab?fault1_kind=slow"' in html


def test_compare_runs_two_configurations_on_the_same_users_and_faults(client):
    response = client.get("/lab/compare", query_string={"fault1_kind": "slow", "b.checkout_payments_idempotency": "key"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Configuration A" in html and "Configuration B" in html
    assert 'name="fault1_kind"' in html and 'name="a.checkout_payments_idempotency"' in html
    assert 'name="b.checkout_payments_idempotency"' in html and 'name="a.fault1_kind"' not in html
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', html))
    assert int(rows["Customers charged twice"]) > 0
    b_row = re.search(r'<th scope="row">Customers charged twice</th><td>[^<]+</td><td>([^<]+)</td>', html)
    assert b_row.group(1) == "0"
    # Same users on both sides: the traffic is shared, so the arrivals agree.
    a = client.get("/lab.json?fault1_kind=slow").get_json()["result"]
    b = client.get("/lab.json?fault1_kind=slow&checkout_payments_idempotency=key").get_json()["result"]
    assert a["features"]["checkout"]["series"]["arrived"] == b["features"]["checkout"]["series"]["arrived"]


def test_compare_fragment_permalink_and_questions(client):
    response = client.get("/lab/compare", query_string={"b.gateway_search_bulkhead": "20", "a.seed": "3"}, headers=HX)
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert response.headers["HX-Replace-Url"] == "/lab/compare?b.gateway_search_bulkhead=20"  # a.seed is shared: ignored
    from webapp.demos.lab import COMPARISONS

    page = client.get("/lab/compare").get_data(as_text=True)
    links = re.findall(r'<li><a href="(/lab/compare[^"]*)"', page)
    assert len(links) == len(COMPARISONS) and len(set(links)) == len(links)
    for link, pair in zip(links, COMPARISONS):
        html = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
        assert f"<strong>{escape(pair[1])}</strong>" in html, pair[0]


def test_compare_bad_input_names_the_side_and_the_setting(client):
    response = client.get("/lab/compare", query_string={"b.checkout_payments_timeout_ms": "9000"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Configuration B" in html and "b.checkout_payments_timeout_ms" in html and "exceeds its caller" in html
    response = client.get("/lab/compare", query_string={"a.index_threads": "-1"}, headers=HX)
    assert response.status_code == 400 and "a.index_threads" in response.get_data(as_text=True)


def test_the_lab_is_linked_from_the_index_and_the_header(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/lab"' in html
    header = html.split("</header>")[0]
    assert 'href="/lab"' in header
