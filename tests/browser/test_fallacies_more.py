"""Fallacies 4 to 8 in a real browser: lengthen the DNS TTL and watch the stale clients' curve
stretch; make every attempt hang and watch the answered share vanish."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# What Plotly drew: the x values of the chart's simulated trace (gd.data is Plotly's own copy).
# Evenly spaced x values travel as x0 and dx (charts.page_json), so the last one is computed from them.
DRAWN_X = ("(id) => { const gd = document.getElementById(id); if (!gd || !gd.data) return null; const tr = gd.data[1];"
           " return tr.x ? tr.x.at(-1) : tr.x0 + tr.dx * (tr.y.length - 1); }")


def test_a_longer_ttl_keeps_clients_on_the_old_address_longer(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/lessons/fallacies")
    verdict = page.locator("#result-fallacy-topology .verdict")
    expect(verdict).to_have_text(re.compile("100 clients caching DNS for 300 s send 31,932 requests"))
    expect(page.locator("#chart-fallacy-topology .main-svg").first).to_be_visible()
    assert page.evaluate(DRAWN_X, "chart-fallacy-topology") == 375  # 1.25 x the TTL
    slider = page.locator("#fallacy-topology-ttl_s")
    slider.focus()
    page.keyboard.press("End")  # 3,600 s
    expect(page.locator("#fallacy-topology-ttl_s-out")).to_have_text(re.compile("3,600"))
    expect(verdict).to_have_text(re.compile("caching DNS for 3,600 s"))
    expect(page.locator("#chart-fallacy-topology .main-svg").first).to_be_visible()
    page.wait_for_function(f"() => ({DRAWN_X})('chart-fallacy-topology') === 3600")
    expect(page).to_have_url(re.compile(r"fallacy-topology\.ttl_s=3600#demo-fallacy-topology$"))


def test_a_brownout_preset_and_a_hung_dependency(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/demos/fallacy-admin")
    verdict = page.locator("#result-fallacy-admin .verdict")
    expect(verdict).to_contain_text("does not fit in the gateway's 1,000 ms")
    page.get_by_role("link", name="3 × 250 ms", exact=True).click()
    expect(verdict).to_contain_text("fits in the gateway's 1,000 ms")
    expect(page.locator("#result-fallacy-admin .truth")).to_contain_text("950 ms")
