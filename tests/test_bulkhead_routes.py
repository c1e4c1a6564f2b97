"""The bulkhead demo through its URLs: the seed's story at defaults, theory beside the figures, the sizing helper."""

import csv
import io
import json
import math
import re
from html import unescape

from tests.page_figures import page_figure
from webapp.sims import bulkhead, queueing

FEATURE_KEYS = {"pool_size", "completed", "rejected", "timed_out", "success_rate", "p50_ms", "p99_ms"}
HX = {"HX-Request": "true"}
QUEUEING = ("slow_factor=1&search_pool=14&checkout_pool=13&profile_pool=4&queue_limit=never"
            "&queue_timeout_ms=never&duration_s=60")


def page(client, query=""):
    response = client.get(f"/demos/bulkhead?{query}", headers=HX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def truth_rows(html):
    """(quantity, simulated, closed form) of the 'Checked against theory' box."""
    box = html.split('<table class="truth">')[1].split("</table>")[0]
    return [tuple(unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row))
            for row in re.findall(r"<tr>(.*?)</tr>", box.split("<tbody>")[1])]


def test_defaults_tell_the_seed_story_in_the_json(client):
    data = client.get("/demos/bulkhead.json").get_json()
    result = data["result"]
    shared, isolated = result["modes"]["shared"], result["modes"]["isolated"]
    for mode in (shared, isolated):
        for f in bulkhead.FEATURES:
            assert FEATURE_KEYS <= set(mode["features"][f])
            assert len(mode["series"]["busy"][f]) == len(mode["series"]["t_s"]) == 45
            assert {"success_rate", "p50_ms", "p99_ms", "busy", "queued"} <= set(mode["series"])
    assert [isolated["features"][f]["pool_size"] for f in bulkhead.FEATURES] == [100, 200, 50]
    assert shared["features"]["checkout"]["pool_size"] == 350
    # Slow search sinks checkout in the shared pool; the bulkheads keep checkout whole.
    assert shared["features"]["checkout"]["success_rate"] < 0.85
    assert shared["features"]["checkout"]["fault_success_rate"] < 0.7
    assert isolated["features"]["checkout"]["success_rate"] == 1.0
    assert result["headline"]["checkout"] == {"shared": shared["features"]["checkout"]["success_rate"],
                                              "isolated": 1.0}


def test_the_page_states_the_headline_with_numbers(client):
    html = page(client)
    data = client.get("/demos/bulkhead.json").get_json()["result"]
    cs = round(100 * data["modes"]["shared"]["features"]["checkout"]["success_rate"])
    assert re.search(rf"checkout, which has no bug, succeeded {cs}\s%", html)
    assert re.search(rf"<dt>Checkout: shared vs bulkheads</dt><dd>{cs}\s% vs 100\s%</dd>", html)
    for chart in ("outcomes", "busy", "success", "latency"):
        assert f'id="chart-bulkhead-{chart}"' in html
    # Both modes share one time axis in each chart, one row each.
    busy = page_figure(html, "chart-bulkhead-busy")
    assert {t.get("yaxis") for t in busy["data"]} == {"y", "y2"}
    assert busy["layout"]["xaxis"]["anchor"] == "y2"


def test_with_the_fault_on_the_box_keeps_littles_law_and_says_why_erlang_c_is_left_out(client):
    rows = truth_rows(page(client))
    little = [r for r in rows if "Little" in r[0]]
    assert len(little) == 4  # three bulkheads and the shared pool
    for _, simulated, formula in little:
        assert float(simulated.split("L = ")[1].split()[0]) == float(formula.split(" = ")[0])
    assert any(r[1] == "not compared" and "steady M/M/c" in r[2] for r in rows)
    assert not any("Erlang C(" in r[2] for r in rows)


def test_without_the_fault_erlang_c_sits_beside_the_simulated_waits(client):
    rows = truth_rows(page(client, QUEUEING))
    by_name = {r[0]: r for r in rows}
    row = by_name["search bulkhead (c = 14, a = 12.0): P(wait)"]
    simulated, formula = float(row[1]), float(row[2].split(" = ")[0])
    assert formula == round(queueing.erlang_c(14, 12), 4)
    assert row[2].endswith("Erlang C(14, 12.0)")  # exact here: no "approximate" caveat
    assert abs(simulated - formula) < 0.06
    wait = by_name["search bulkhead (c = 14, a = 12.0): mean wait in queue"]
    assert wait[2].startswith(f"{queueing.mmc_mean_wait(14, 60, 0.2) * 1000:.1f}")
    # The shared pool mixes three service times: the box says the formula is approximate there.
    assert "approximate" in by_name["shared pool (c = 350, a = 24.0): P(wait)"][2]
    assert not any(r[1] == "not compared" for r in rows)


def test_no_queue_compares_rejections_with_erlang_b(client):
    rows = truth_rows(page(client, "slow_factor=1&search_pool=12&queue_limit=0&duration_s=60"))
    row = next(r for r in rows if r[0].startswith("search bulkhead") and "P(rejected)" in r[0])
    formula = float(row[2].split(" = ")[0])
    assert formula == round(queueing.erlang_b(12, 12), 4)
    assert abs(float(row[1]) - formula) < 0.05


def test_sizing_helper_follows_the_parameters_and_links_to_the_sized_state(client):
    html = page(client)
    sizing = html.split('class="bh-sizing"')[1].split("</section>")[0]
    for feature, rate, suggested in (("search", 60, 93), ("checkout", 20, 77), ("profile", 20, 16)):
        row = sizing.split(f"</span>{feature}</th>")[1].split("</tr>")[0]
        assert f"{rate}/s" in row and f"<strong>{suggested}</strong>" in row
    link = "/demos/bulkhead?search_pool=93&amp;checkout_pool=77&amp;profile_pool=16"
    assert f'href="{link}"' in sizing and f'hx-get="{link}"' in sizing
    # The rule moves with the traffic: twice the search rate, about twice the threads.
    doubled = page(client, "search_rate=100").split('class="bh-sizing"')[1]
    p99 = bulkhead.service_quantile("exponential", 0.2, 0.99)
    expected = math.ceil(100 * p99 * (1 + queueing.HYSTRIX_ROOM))
    assert f"<strong>{expected}</strong>" in doubled.split("</span>search</th>")[1].split("</tr>")[0]
    # Following the link: the run now uses those sizes and the helper says so.
    sized = page(client, "search_pool=93&checkout_pool=77&profile_pool=16")
    assert "These are the sizes of this run" in sized
    assert re.search(r"<dt>Checkout: shared vs bulkheads</dt><dd>\d+\s% vs 100\s%</dd>", sized)


def test_an_undersized_bulkhead_is_flagged(client):
    html = page(client, "search_pool=10")  # a = 12 on 10 threads: it can never keep up
    row = html.split("</span>search</th>")[1].split("</tr>")[0]
    assert "bh-under" in row and "below the mean load" in row


def test_csv_is_one_row_per_mode_and_feature(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/demos/bulkhead.csv").get_data(as_text=True))))
    assert [(r["mode"], r["feature"]) for r in rows] == [(m, f) for m in bulkhead.MODES for f in bulkhead.FEATURES]
    checkout = {r["mode"]: r for r in rows if r["feature"] == "checkout"}
    assert float(checkout["isolated"]["success_rate"]) == 1.0
    assert float(checkout["shared"]["success_rate"]) < 0.85
    assert int(checkout["shared"]["completed"]) + int(checkout["shared"]["rejected"]) + \
        int(checkout["shared"]["timed_out"]) == int(checkout["shared"]["arrivals"])


def test_the_state_survives_as_a_lesson_link(client):
    html = client.get("/lessons/bulkhead?bulkhead.slow_factor=1&revealed.checkout-share=1").get_data(as_text=True)
    result = html.split('id="result-bulkhead"')[1]
    assert "No fault: every feature succeeds 100" in result
    assert "This is “A good day”" in result


def test_bad_pool_values_answer_400_naming_the_parameter(client):
    for name, raw in (("search_pool", "0"), ("shared_size", "5"), ("queue_limit", "-1"), ("slow_factor", "0.5")):
        response = client.get(f"/demos/bulkhead.json?{name}={raw}")
        assert response.status_code == 400 and response.get_json()["param"] == name


def test_good_day_verdicts_name_waiting_and_starved_bulkheads(client):
    waiting = page(client, QUEUEING).split('class="verdict">')[1].split("</p>")[0]
    assert re.search(r"\d+\s% of search requests waited for a thread in its bulkhead of 14 \(Erlang C: 48\s%\)",
                     waiting)
    starved = page(client, "slow_factor=1&search_pool=10").split('class="verdict">')[1].split("</p>")[0]
    assert "search&#39;s bulkhead of 10 threads is too small for its load (12.0 threads busy on average)" in starved
    bigger = page(client, "shared_size=1000").split('class="verdict">')[1].split("</p>")[0]
    assert "The shared pool of 1,000 threads absorbed this fault (at most 751 busy)" in bigger
