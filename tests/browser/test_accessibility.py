"""axe-core on every page, in light and dark themes: no serious or critical violation.

axe is vendored into the test tooling (tests/browser/vendor, from the npm package axe-core), not into
static/: learners never download it. The context bypasses CSP only so the test can inject it.
"""

import json
from pathlib import Path

import pytest

from webapp.demos import REGISTRY

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()


def pages(app):
    yield "/"
    for slug in app.extensions["lessons"]:
        yield f"/lessons/{slug}"
    for demo_id in sorted(REGISTRY):
        yield f"/demos/{demo_id}"
    yield "/teach"
    demo_step = next(s.number for s in app.extensions["lessons"]["retry-backoff"].steps if s.kind == "demo")
    yield "/lessons/retry-backoff?present=1"  # slide mode: the title step, and a demo step
    yield f"/lessons/retry-backoff?present=1&step={demo_step}"
    yield f"/lessons/retry-backoff/notes?step={demo_step}"
    yield "/pack"
    yield "/no-such-page"


def serious_violations(page):
    page.evaluate(AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:5])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe(browser, live_server, app, scheme):
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)
    page = context.new_page()
    problems = {}
    for url in pages(app):
        page.goto(live_server + url)
        page.wait_for_load_state("networkidle")
        found = serious_violations(page)
        if found:
            problems[url] = found
    context.close()
    assert problems == {}, json.dumps(problems, indent=1)
