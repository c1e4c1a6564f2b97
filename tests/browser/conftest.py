"""Browser tests: Playwright driving Debian's Chromium against the app served on 127.0.0.1.

Skipped, with the reason, when /usr/bin/chromium is missing (`make test` installs it as root).
"""

import os
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from webapp import create_app

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not found: run `make test` as root to install Debian's chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": FLAGS}


@contextmanager
def serving(app):
    """`app` in a thread on a free loopback port, yielding its base URL; stopped on exit."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server():
    """The real app, served for the whole test session."""
    with serving(create_app()) as url:
        yield url


@pytest.fixture()
def watched_page(page, live_server):
    """A page that records console errors and any request leaving 127.0.0.1."""
    page.console_errors = []
    page.foreign_requests = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    page.on("request", lambda req: req.url.startswith(live_server) or req.url.startswith("data:")
            or page.foreign_requests.append(req.url))
    yield page
    assert _not_aborts(page.console_errors) == [], page.console_errors
    assert page.foreign_requests == [], page.foreign_requests


def _not_aborts(errors: list[str]) -> list[str]:
    """htmx logs an aborted request as two errors (htmx:afterRequest, then htmx:sendAbort); a stale
    slider request dropped for a newer one (hx-sync replace, static/js/sliders.js) is aborted on
    purpose. Any other error, or an afterRequest error without its abort, still counts."""
    kept = list(errors)
    for error in errors:
        if error.startswith("htmx:sendAbort"):
            kept.remove(error)
            after = next((e for e in kept if e.startswith("htmx:afterRequest")), None)
            if after:
                kept.remove(after)
    return kept

