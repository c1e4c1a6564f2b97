"""The failure lab in a real browser: inject a fault, toggle a pattern, see what the users get change."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()


def test_inject_a_fault_then_a_fallback_brings_the_users_back(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/lab")
    headline = page.locator("#result-failure-lab .lab-headline")
    expect(headline).to_have_text(re.compile(r"profile 100% of requests succeeded"))
    expect(page.locator("#chart-failure-lab-success .main-svg").first).to_be_visible()  # plotly drew it
    profile_stat = page.locator("#result-failure-lab .stats div", has_text="Profile success").locator("dd")
    expect(profile_stat).to_have_text("100%")

    # Inject a fault: recommendations goes down from 30 s to 90 s (fault 3's default service and window).
    page.locator("#set-fault3 > summary").click()
    page.locator("#set-fault3").get_by_label("Down", exact=True).check()
    expect(page).to_have_url(re.compile(r"/lab\?fault3_kind=down$"))
    expect(headline).to_have_text(re.compile(r"profile (\d\d(\.\d)?)% of requests succeeded"))
    failing = float(re.search(r"profile ([\d.]+)%", headline.inner_text()).group(1))
    assert 40 < failing < 70  # half the run without recommendations, and no fallback
    expect(page.locator("#result-failure-lab .lab-graph svg")).to_contain_text("recommendations down")
    expect(page.locator("#result-failure-lab .lab-events")).to_contain_text("recommendations went down")

    # Toggle a pattern: recommendations are optional, so give them a fallback.
    page.locator(".lab-group-edges > summary").click()
    page.locator("#set-profile_recommendations > summary").click()
    page.get_by_label("Show the page without them").check()
    expect(page).to_have_url(re.compile(r"profile_recommendations_fallback=fallback"))
    expect(headline).to_have_text(re.compile(r"profile 100% of requests succeeded; [\d,]+ profile pages served "
                                             r"without recommendations"))
    expect(profile_stat).to_have_text("100%")
    expect(page.locator("#result-failure-lab .lab-graph svg")).to_contain_text("fallbacks")

    page.reload()  # the state is the URL
    expect(headline).to_have_text(re.compile(r"profile pages served without recommendations"))
    expect(page.get_by_label("Show the page without them")).to_be_checked()


def test_a_scenario_redraws_the_controls_and_a_bad_timeout_names_the_edge(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/lab")
    page.locator("#result-failure-lab").get_by_role("link", name="Double charges in a payments brown-out").click()
    expect(page.locator("#result-failure-lab .preset[aria-current=true]")).to_have_text(
        "Double charges in a payments brown-out")
    expect(page.locator("#result-failure-lab .lab-headline")).to_contain_text("customers charged twice")
    expect(page.locator("#set-checkout_payments")).to_have_attribute("open", "")
    expect(page.locator("#failure-lab-checkout_payments_timeout_ms")).to_have_value("1000")

    timeout = page.locator("#failure-lab-checkout_payments_timeout_ms")
    timeout.focus()
    page.keyboard.press("End")  # 30 s: longer than gateway→checkout's 5 s
    alert = page.locator("#result-failure-lab [role=alert]")
    expect(alert).to_contain_text("edge checkout→payments: timeout 30,000 ms exceeds its caller's timeout 5,000 ms")
    page.keyboard.press("Home")
    expect(page.locator("#result-failure-lab .lab-headline")).to_be_visible()
    # Chromium logs every 4xx response as a console error; that one was the point of the test.
    page.console_errors[:] = [e for e in page.console_errors if "status of 400" not in e]


def test_compare_shows_both_sides_on_one_chart(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server}/lab/compare")
    page.get_by_role("link", name="Idempotency keys on payments").click()
    expect(page.locator(".lab-pair-note")).to_contain_text("Idempotency keys on payments")
    expect(page.locator("#chart-failure-lab-compare .main-svg").first).to_be_visible()
    row = page.locator(".lab-compare-table tr", has_text="Customers charged twice")
    expect(row.locator("td").nth(1)).to_have_text("0")
    assert int(row.locator("td").nth(0).inner_text().replace(",", "")) > 0


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_lab_pages_pass_axe(browser, live_server, scheme):
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)
    page = context.new_page()
    problems = {}
    for url in ("/lab?fault1_kind=slow", "/lab/compare", "/lab?checkout_payments_timeout_ms=9000"):
        page.goto(live_server + url)
        page.wait_for_load_state("networkidle")
        page.evaluate(AXE)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        found = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:5])
                 for v in result["violations"] if v["impact"] in ("serious", "critical")]
        if found:
            problems[url] = found
    context.close()
    assert problems == {}, json.dumps(problems, indent=1)
