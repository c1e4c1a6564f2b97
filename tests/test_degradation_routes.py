"""The graceful-degradation demo through its URLs: the pages a reader sees, the arithmetic, the JSON."""

from webapp.demos import load_all

load_all()
HX = {"HX-Request": "true"}


def test_json_has_availability_formula_p99_and_sections_per_design(client):
    result = client.get("/demos/degradation.json").get_json()["result"]
    for design in ("all_or_nothing", "degraded"):
        d = result["designs"][design]
        assert {"page_availability", "formula", "p99_ms", "sections"} <= set(d)
        assert set(d["sections"]) == {"article", "comments", "recommendations", "ads"}
    assert result["designs"]["all_or_nothing"]["formula"] == "99.95% × 99.50% × 99% × 98% = 96.49%"
    assert result["designs"]["degraded"]["formula"] == "99.95% = 99.95%"


def test_comments_down_renders_an_error_page_next_to_a_degraded_page(client):
    html = client.get("/demos/degradation?comments=down", headers=HX).get_data(as_text=True)
    aon, degraded = html.split('class="np np-all_or_nothing"')[1].split('class="np np-degraded"')
    assert 'class="np-error-code">500<' in aon and "Something went wrong" in aon
    assert "Comments unavailable right now" in degraded and "City council approves" in degraded
    assert "np-factor-zero" in html  # the comments factor of the product is 0%


def test_slow_comments_hold_only_the_all_or_nothing_page(client):
    result = client.get("/demos/degradation.json?comments=slow").get_json()["result"]
    assert result["designs"]["all_or_nothing"]["p99_ms"] == 5000.0
    assert result["designs"]["degraded"]["p99_ms"] == 305.0
    html = client.get("/demos/degradation?comments=slow", headers=HX).get_data(as_text=True)
    assert "gave up waiting → fallback shown" in html


def test_defaults_render_the_first_view_where_the_designs_differ(client):
    html = client.get("/demos/degradation", headers=HX).get_data(as_text=True)
    assert "Page view 50 of 5,000" in html and "the first view in which the two designs differ" in html
    assert "Spring sale" in html.split('class="np np-degraded"')[0]  # all or nothing waited for the ad
    assert "Spring sale" not in html.split('class="np np-degraded"')[1]  # degraded left it out
    one = client.get("/demos/degradation?show_view=1", headers=HX).get_data(as_text=True)
    assert "Page view 1 of 5,000, as the reader saw it:" in one


def test_the_lessons_predictions_are_true_for_the_model(client, app):
    questions = app.extensions["lessons"]["graceful-degradation"].questions
    aon = client.get("/demos/degradation.json").get_json()["result"]["designs"]["all_or_nothing"]
    assert questions["product"].check(f"{100 * aon['formula_value']:.2f}")[0]
    slow = client.get("/demos/degradation.json?comments=slow").get_json()["result"]["designs"]["degraded"]
    assert questions["slow-comments"].choices[questions["slow-comments"].answer] == "About 300 ms"
    assert abs(slow["p99_ms"] - 300) <= 10
    short = client.get("/demos/degradation.json").get_json()["result"]["designs"]["degraded"]
    longer = client.get("/demos/degradation.json?timeout_ms=1000").get_json()["result"]["designs"]["degraded"]
    assert questions["longer-timeout"].answer == 0  # more ads shown, a slower p99, same availability
    assert longer["sections"]["ads"]["shown"] > short["sections"]["ads"]["shown"]
    assert longer["p99_ms"] > short["p99_ms"]
    assert longer["page_availability"] == short["page_availability"]
