"""A lesson's first load, everything included, stays within 600 KB on the wire.

Workshops happen on bad Wi-Fi: forty attendees opening the same lesson at once share one link.
The sizes are what the browser received (compressed bodies plus headers), with an empty cache.
"""

import pytest

pytestmark = pytest.mark.browser

BUDGET_BYTES = 600 * 1024


def test_every_lesson_first_load_is_under_budget(browser, live_server, app):
    weights = {}
    for slug in app.extensions["lessons"]:
        context = browser.new_context()  # an empty cache for every lesson
        page = context.new_page()
        requests = []
        page.on("requestfinished", lambda r: requests.append(r))
        page.goto(f"{live_server}/lessons/{slug}")
        page.wait_for_load_state("networkidle")
        weights[slug] = sum(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in requests)
        assert any("plotly" in r.url for r in requests) or "data-figure" not in page.content()
        assert sum("plotly" in r.url for r in requests) <= 1  # loaded once
        context.close()
    assert all(w <= BUDGET_BYTES for w in weights.values()), weights
