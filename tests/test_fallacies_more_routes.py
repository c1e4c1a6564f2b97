"""Fallacies 4 to 8 through Flask: the numbers the lesson quotes, the lesson shows all eight demos,
and a bad value is a 400 naming the parameter."""

import re

import pytest

HX = {"HX-Request": "true"}
NEW = ("fallacy-secure", "fallacy-topology", "fallacy-admin", "fallacy-cost", "fallacy-homogeneous")


def _get(client, url):
    response = client.get(url, headers=HX)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_defaults_show_the_lessons_numbers(client):
    secure = client.get("/demos/fallacy-secure.json").get_json()["result"]
    window = next(d for d in secure["defences"] if d["id"] == "window")
    assert 950 < secure["replays_sent"] < 1100 and secure["p_within_window"] == pytest.approx(0.918, abs=0.001)
    topology = client.get("/demos/fallacy-topology.json").get_json()["result"]
    assert topology["failed_formula"] == 100 * 2 * 300 / 2  # "2 x 300 / 2 = 300 times" per client
    admin = client.get("/demos/fallacy-admin.json").get_json()["result"]
    assert admin["inner_budget_ms"] == 1900 and admin["attempt_starts_ms"][2:] == [1000, 1500]
    cost = client.get("/demos/fallacy-cost.json").get_json()["result"]
    assert round(cost["cross_zone_tb"]) == 104 and round(cost["bill"], -1) == 2080
    outage = client.get("/demos/fallacy-cost.json?failure_pct=100").get_json()["result"]
    assert outage["attempts_per_request"] == 84 and round(outage["bill"] / cost["bill"]) == 28
    assert window["replays_accepted"] / secure["replays_sent"] == pytest.approx(0.92, abs=0.03)


def test_every_new_demo_renders_a_verdict_chart_table_and_truth_box(client):
    for demo_id in NEW:
        html = _get(client, f"/demos/{demo_id}")
        assert 'class="verdict"' in html and f'id="chart-{demo_id}"' in html, demo_id
        assert "data-table" in html and "truth" in html, demo_id


def test_the_lesson_shows_all_eight_demos(client):
    html = client.get("/lessons/fallacies").get_data(as_text=True)
    for demo_id in ("fallacy-network", "fallacy-latency", "fallacy-bandwidth") + NEW:
        assert f'id="demo-{demo_id}"' in html, demo_id


def test_the_verdicts_follow_the_parameters(client):
    assert "health checks included" in _get(client, "/demos/fallacy-homogeneous")
    assert "none hangs and none is slowed" in _get(client, "/demos/fallacy-homogeneous?pmtud=clamped")
    assert "full-size packets" in _get(client, "/demos/fallacy-homogeneous?tunnel_mtu=1500")
    assert "some clients never move" in _get(client, "/demos/fallacy-topology?pinned_pct=10")
    assert "does not fit" in _get(client, "/demos/fallacy-admin")
    assert "fits in the gateway" in _get(client, "/demos/fallacy-admin?inner_ms=250&retries=2")
    assert "$0.00 a month" in _get(client, "/demos/fallacy-cost?zones=1")


@pytest.mark.parametrize("url,param", [
    ("/demos/fallacy-secure?replays=9", "replays"),
    ("/demos/fallacy-topology?reresolve=maybe", "reresolve"),
    ("/demos/fallacy-admin?inner_ms=10", "inner_ms"),
    ("/demos/fallacy-cost?layers=4", "layers"),
    ("/demos/fallacy-homogeneous?tunnel_mtu=9000", "tunnel_mtu"),
])
def test_out_of_range_is_a_400_naming_the_parameter(client, url, param):
    response = client.get(url, headers=HX)
    assert response.status_code == 400
    assert re.search(param, response.get_data(as_text=True))
