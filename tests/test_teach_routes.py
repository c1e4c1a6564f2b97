"""The instructor's path through the routes: /teach and its preflight, slide mode rendered on the
server, the presenter view, and the live control page's join links, QR codes and preview.

The machine's addresses and the "does it answer?" probe are replaced through the app config, so no
test sends anything to a LAN; the real probe is tried only against a server these tests bind on
127.0.0.1."""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
from html import unescape

import pytest
import segno
from werkzeug.serving import make_server

from webapp import create_app
from webapp.demo_state import warm
from webapp.teach import EXTERNAL, lan_addresses, probe, qr_svg, warm_states

ADDRESSES = ["192.0.2.10", "198.51.100.7"]  # documentation addresses (RFC 5737): never reached


@pytest.fixture(scope="module")
def teach_app(tmp_path_factory):
    answers = {"192.0.2.10": True, "198.51.100.7": False}
    app = create_app({"TESTING": True, "REDIS_URL": None, "LIVE_DB": str(tmp_path_factory.mktemp("t") / "live.sqlite3"),
                      "TEACH_ADDRESSES": lambda: list(ADDRESSES),
                      "TEACH_PROBE": lambda host, port: answers[host]})
    app.probed = answers
    return app


@pytest.fixture()
def tc(teach_app):
    return teach_app.test_client()


BASE = "http://127.0.0.1:8000"  # as `make serve` answers on this computer


def csrf(client, url="/teach") -> str:
    html = client.get(url, base_url=BASE).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# ---- /teach -------------------------------------------------------------------------------------------

def test_the_index_and_live_pages_link_to_teach(tc):
    for url in ("/", "/live"):
        assert 'href="/teach"' in tc.get(url).get_data(as_text=True), url


def test_preflight_lists_each_address_with_the_port_and_whether_it_answers(tc):
    html = tc.get("/teach", base_url="http://127.0.0.1:8123").get_data(as_text=True)
    network = re.search(r'data-check="network".*?</li>\s*</ul>', html, re.DOTALL).group(0)
    assert 'preflight-check fail" data-check="network"' in html  # one of the two does not answer
    assert "<code>http://192.0.2.10:8123/</code> answers" in network
    assert "<code>http://198.51.100.7:8123/</code> does not answer" in network
    assert "Some addresses do not answer on port 8123" in network


def test_preflight_says_how_to_listen_on_the_network_when_no_address_answers(teach_app):
    teach_app.config["TEACH_PROBE"] = lambda host, port: False
    try:
        page = text_of(teach_app.test_client().get("/teach", base_url="http://127.0.0.1:8000").get_data(as_text=True))
    finally:
        teach_app.config["TEACH_PROBE"] = lambda host, port: teach_app.probed[host]
    assert "The room cannot reach port 8000" in page and "HOST=0.0.0.0 make serve" in page


def test_preflight_without_any_network(teach_app):
    teach_app.config["TEACH_ADDRESSES"] = lambda: []
    try:
        page = text_of(teach_app.test_client().get("/teach").get_data(as_text=True))
    finally:
        teach_app.config["TEACH_ADDRESSES"] = lambda: list(ADDRESSES)
    assert "No network address" in page and "hotspot" in page


def test_preflight_checks_assets_and_the_store(tc):
    html = tc.get("/teach").get_data(as_text=True)
    assert re.search(r'preflight-check ok" data-check="assets">.*?All \d+ assets are served by this app', html, re.DOTALL)
    assert re.search(r'preflight-check ok" data-check="store">.*?The live-session store answers: SQLite', html, re.DOTALL)


def test_a_store_that_does_not_answer_fails_the_preflight(teach_app):
    class Down:
        def ping(self):
            raise sqlite3.OperationalError("disk I/O error")

    live = teach_app.extensions["live"]
    real, live["store"] = live["store"], Down()
    try:
        html = teach_app.test_client().get("/teach").get_data(as_text=True)
    finally:
        live["store"] = real
    assert re.search(r'preflight-check fail" data-check="store">.*?does not answer.*?disk I/O error', html, re.DOTALL)


@pytest.mark.parametrize("line,external", [
    ('<script src="https://cdn.example/x.js">', True),
    ("<link href='//fonts.example/css'>", True),
    ("src: url(https://fonts.example/a.woff2)", True),
    ('@import "http://x.example/a.css";', True),
    ('<a href="/lessons/fallacies">', False),
    ("src: url(../fonts/inter.woff2)", False),
])
def test_the_asset_check_spots_a_reference_to_another_host(line, external):
    assert bool(EXTERNAL.search(line)) is external


def test_warm_up_from_the_page(tc):
    response = tc.post("/teach/warm", data={"csrf_token": csrf(tc)}, base_url=BASE)
    assert response.status_code == 303 and response.headers["Location"].startswith("/teach?warmed=")
    done, total = warm_states()
    assert done == total > 0
    page = text_of(tc.get(response.headers["Location"]).get_data(as_text=True))
    assert f"Warm-up done: all {total} defaults and presets are simulated" in page
    assert "Warm up now" not in page


def test_warm_states_counts_what_warm_simulates():
    warm()
    done, total = warm_states()
    assert done == total and total == warm()


def test_the_plans_link_each_lesson_to_its_slides_notes_and_a_live_session(tc, teach_app):
    html = tc.get("/teach").get_data(as_text=True)
    lessons = teach_app.extensions["lessons"]
    for plan in ("90", "180"):
        section = re.search(rf'id="plan-{plan}".*?</section>', html, re.DOTALL).group(0)
        slugs = re.findall(r'href="/lessons/([a-z-]+)\?present=1"', section)
        assert slugs and set(slugs) <= set(lessons)
        for slug in slugs:
            assert f'href="/lessons/{slug}/notes?plan={plan}"' in section
            assert f'name="lesson" value="{slug}"' in section  # "Run it live" starts a session there
            for step in lessons[slug].steps:
                if step.minutes(plan):
                    assert f'href="/lessons/{slug}?present=1&amp;step={step.number}"' in section
    ninety = re.search(r'id="plan-90".*?</section>', html, re.DOTALL).group(0)
    assert "/lessons/idempotency?present=1" not in ninety  # the 90-minute plan leaves it out


def test_the_guide_is_served_with_real_set_up_commands(tc):
    page = text_of(tc.get("/teach").get_data(as_text=True))
    assert "git clone …" not in page and "git clone" in page and "make serve" in page
    assert "When the network fails" in page and "Slide mode" in page


# ---- the probe and the addresses ----------------------------------------------------------------------

def test_the_probe_against_a_server_bound_here(teach_app):
    server = make_server("127.0.0.1", 0, teach_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert probe("127.0.0.1", server.server_port) is True
    finally:
        server.shutdown()
        thread.join(timeout=5)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    assert probe("127.0.0.1", free, timeout=0.5) is False


def test_lan_addresses_are_ipv4_and_never_loopback():
    import ipaddress

    for address in lan_addresses():
        ip = ipaddress.ip_address(address)
        assert ip.version == 4 and not ip.is_loopback and not ip.is_unspecified


# ---- slide mode and the presenter view ------------------------------------------------------------------

def visible_steps(html: str) -> list[int]:
    return [int(n) for n, attrs in re.findall(r'<section class="slide[^"]*" id="step-(\d+)"([^>]*)>', html)
            if " hidden" not in attrs]


def test_slide_mode_shows_the_step_in_the_url(tc, teach_app):
    lesson = teach_app.extensions["lessons"]["retry-backoff"]
    n = next(s.number for s in lesson.steps if s.kind == "demo")
    html = tc.get(f"/lessons/retry-backoff?present=1&step={n}&backoff-timeline.down_ms=600").get_data(as_text=True)
    assert visible_steps(html) == [n]
    assert html.count('class="slide ') == len(lesson.steps)
    assert 'data-kind="demo"' in re.search(rf'id="step-{n}"[^>]*>', html).group(0)
    # the bar's links work without JavaScript and keep the demo's state
    assert f'href="/lessons/retry-backoff?present=1&amp;backoff-timeline.down_ms=600&amp;step={n + 1}"' in html
    assert f'href="/lessons/retry-backoff?present=1&amp;backoff-timeline.down_ms=600&amp;step={n - 1}"' in html
    assert "js/slides.js" in html and "css/slides.css" in html


@pytest.mark.parametrize("raw,shown", [("0", 1), ("-3", 1), ("abc", 1), ("999", -1), ("2", 2)])
def test_a_step_out_of_range_shows_the_nearest(tc, teach_app, raw, shown):
    total = len(teach_app.extensions["lessons"]["retry-backoff"].steps)
    html = tc.get(f"/lessons/retry-backoff?present=1&step={raw}").get_data(as_text=True)
    assert visible_steps(html) == [total if shown == -1 else shown]


def test_slide_mode_shows_no_notes(tc, teach_app):
    html = tc.get("/lessons/retry-backoff?present=1").get_data(as_text=True)
    for step in teach_app.extensions["lessons"]["retry-backoff"].steps:
        assert text_of(str(step.notes)).strip()[:50] not in text_of(html)


def test_the_presenter_view_shows_this_step_and_the_next_with_notes_and_budgets(tc, teach_app):
    lesson = teach_app.extensions["lessons"]["retry-backoff"]
    html = tc.get("/lessons/retry-backoff/notes?step=4&plan=180").get_data(as_text=True)
    shown = re.findall(r'<section class="notes-step([^"]*)" data-notes-step="(\d+)"\s+data-budget="([^"]*)"([^>]*)>', html)
    visible = [(int(n), classes.strip()) for classes, n, _, rest in shown if " hidden" not in rest]
    assert visible == [(4, "notes-now"), (5, "notes-next")]
    assert [float(b) for _, _, b, _ in shown] == [s.minutes("180") for s in lesson.steps]
    assert str(lesson.steps[3].notes) in html and str(lesson.steps[4].notes) in html
    assert "of <strong>20 min</strong>" in html  # the lesson's time in the 3-hour plan
    assert "data-step-clock" in html and "data-clock" in html


def test_the_presenter_view_refuses_what_it_cannot_show(tc, teach_app):
    assert tc.get("/lessons/nope/notes").status_code == 404
    response = tc.get("/lessons/retry-backoff/notes?plan=45")
    assert response.status_code == 400 and "plan" in response.get_data(as_text=True)
    html = tc.get("/lessons/retry-backoff/notes?step=99").get_data(as_text=True)
    assert f'data-notes-number>{len(teach_app.extensions["lessons"]["retry-backoff"].steps)}<' in html


# ---- the live control page ----------------------------------------------------------------------------

def qr_matrix(svg: str) -> list[list[int]]:
    """The modules of a QR code drawn by segno's SVG writer (rows of `h` strokes), quiet zone removed."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    path = re.search(r'<path[^>]*stroke="#000"[^>]*d="([^"]+)"', svg).group(1)
    grid = [[0] * size for _ in range(size)]
    x = y = 0.0
    for cmd, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if cmd == "M":
            x, y = float(a), float(b)
        elif cmd == "m":
            x, y = x + float(a), y + float(b)
        else:
            for column in range(int(x), int(x + float(a))):
                grid[int(y)][column] = 1
            x += float(a)
    border = 4
    return [row[border:size - border] for row in grid[border:size - border]]


def expected_matrix(text: str) -> list[list[int]]:
    return [[1 if module else 0 for module in row] for row in segno.make(text, error="m").matrix]


def test_the_qr_decoder_reads_segno_back():
    url = "http://192.0.2.10:8000/live/ABCDE"
    assert qr_matrix(str(qr_svg(url))) == expected_matrix(url)
    assert qr_matrix(str(qr_svg(url))) != expected_matrix(url.replace("ABCDE", "ABCDF"))


def start_session(app, lesson="retry-backoff"):
    client = app.test_client()
    response = client.post("/live/new", data={"lesson": lesson, "csrf_token": csrf(client, "/live")}, base_url=BASE)
    code = re.fullmatch(r"/live/([A-Z]{5})/control", response.headers["Location"]).group(1)
    return client, code


def test_the_control_page_gives_a_join_url_and_qr_code_on_every_network_address(teach_app):
    client, code = start_session(teach_app)
    html = client.get(f"/live/{code}/control", base_url=BASE).get_data(as_text=True)
    joins = re.findall(r'<li class="live-join">(<svg.*?</svg>)<strong class="live-join-url">([^<]+)</strong>', html, re.DOTALL)
    assert [url for _, url in joins] == [f"http://{a}:8000/live/{code}" for a in ADDRESSES]
    for svg, url in joins:
        assert qr_matrix(svg) == expected_matrix(url)  # the code on the projector is the URL below it
    assert "127.0.0.1:8000 only works on this computer" in text_of(html)


def test_the_control_page_names_every_lesson_in_full(teach_app):
    client, code = start_session(teach_app)
    html = client.get(f"/live/{code}/control", base_url=BASE).get_data(as_text=True)
    for lesson in teach_app.extensions["lessons"].values():
        assert f'name="lesson" value="{lesson.slug}"' in html
        assert f"{lesson.order}. {lesson.title}" in unescape(html)
    assert re.search(r'class="preset active" aria-current="true">2\. Retry with', html)


def test_the_control_page_shows_the_step_on_screen_its_notes_and_what_attendees_see(teach_app):
    client, code = start_session(teach_app)
    lesson = teach_app.extensions["lessons"]["retry-backoff"]
    demo_step = next(s for s in lesson.steps if s.kind == "demo" and s.title == "backoff-timeline")
    html = client.get(f"/live/{code}/control", base_url=BASE).get_data(as_text=True)
    preview = re.search(r'<section id="live-preview".*?</section>\s*$', html[html.index('id="live-preview"') - 13:],
                        re.DOTALL | re.MULTILINE).group(0)
    assert f"step {demo_step.number} of {len(lesson.steps)}" in preview
    assert str(demo_step.notes) in preview
    assert "Retry with exponential backoff (and jitter)" in preview  # the attendees' lesson header
    assert "Gave up after 1,500 ms and 5 attempts" in preview  # the demo's verdict, as the room sees it
    version = re.search(r'/preview\?v=(\d+)', preview).group(1)
    assert client.get(f"/live/{code}/preview?v={version}", base_url=BASE).status_code == 204

    token = csrf(client, f"/live/{code}/control")
    client.post(f"/live/{code}/question", data={"action": "open", "question": "storm-peak", "csrf_token": token},
                base_url=BASE)
    fresh = client.get(f"/live/{code}/preview?v={version}", base_url=BASE)
    assert fresh.status_code == 200
    body = fresh.get_data(as_text=True)
    question_step = next(s for s in lesson.steps if s.kind == "question" and s.title == "storm-peak")
    assert f"step {question_step.number} of" in body and str(question_step.notes) in body
    assert "How many retries reach the dependency in the worst 10 ms?" in body  # as attendees see it
    assert "All 1,000" in body


def test_only_the_instructor_gets_the_preview(teach_app):
    _, code = start_session(teach_app)
    assert teach_app.test_client().get(f"/live/{code}/preview", base_url=BASE).status_code == 403
