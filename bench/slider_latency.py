"""Slider to chart: press → on each demo's first slider, in Debian's Chromium, and time until the
result is swapped in and every chart it changed is redrawn and painted (the page's own wait before it
sends, debounce or throttle, included, since a learner feels it). Median of --moves moves per demo,
each to a new state, against `make serve`'s gunicorn on 127.0.0.1.

    .venv/bin/python bench/slider_latency.py [--moves 3] [--root /path/to/other/checkout] [--url URL]

--root serves another checkout (with its own .venv), e.g. a worktree of main, for a before/after in
one run; --url measures a server already running (e.g. nginx in front of two app processes).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.server import start_server  # noqa: E402
from webapp.demos import REGISTRY, load_all  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

# Counts plotly.js draws in flight (the page calls window.Plotly.react or newPlot, looked up at each
# call, so wrapping them here sees every draw, old page script or new) and when the last ended.
HOOK = """() => {
  const b = { pending: 0, lastPlot: 0, t0: 0, settled: 0, end: 0 };
  for (const name of window.Plotly ? ["react", "newPlot"] : []) {  // a page without charts has none
    const original = Plotly[name];
    Plotly[name] = function () {
      b.pending++;
      return Promise.resolve(original.apply(this, arguments)).finally(() => {
        b.pending--; b.lastPlot = performance.now();
      });
    };
  }
  document.addEventListener("keydown", () => { b.t0 = performance.now(); b.settled = 0; b.end = 0; }, true);
  document.addEventListener("htmx:afterSettle", () => { if (b.t0) b.settled = performance.now(); });
  b.done = () => {
    if (!b.settled || b.pending) return false;
    if (!b.end) { requestAnimationFrame(() => { b.end = performance.now(); }); b.end = -1; return false; }
    return b.end > 0 ? b.end - b.t0 : false;
  };
  window.__bench = b;
}"""


def measure(page, base: str, demo_id: str, moves: int) -> list[float]:
    page.goto(f"{base}/demos/{demo_id}")
    slider = page.locator(f"#demo-{demo_id} form input[type=range]").first
    if not slider.count():
        return []  # no slider (a demo driven by buttons and text)
    page.wait_for_function("window.htmx && (!document.querySelector('[data-figure]') || window.Plotly && "
                           "!document.querySelector('[data-figure]:not([data-drawn])'))")
    page.evaluate(HOOK)
    slider.focus()
    room_right = slider.evaluate("el => (Number(el.max) - Number(el.value)) / (Number(el.step) || 1)")
    key = "ArrowRight" if room_right >= moves else "ArrowLeft"  # every move to a new value
    times = []
    for _ in range(moves):
        page.evaluate("window.__bench.t0 = 0")
        page.keyboard.press(key)
        times.append(page.wait_for_function("window.__bench.done()", timeout=15_000).json_value())
        page.wait_for_timeout(300)  # let the page go quiet before the next move
    return times


def wait_warm(base: str) -> None:
    """A new server simulates every default and preset first, one simulation at a time, and a new
    state waits for that: wait until a new state of the lightest demo answers at once, three times
    in a row, so the moves measure a warm server."""
    deadline, quick, seed = time.monotonic() + 300, 0, 0
    while quick < 3 and time.monotonic() < deadline:
        seed += 1
        start = time.monotonic()
        urllib.request.urlopen(f"{base}/demos/backoff-timeline?seed={seed}", timeout=60).read()
        quick = quick + 1 if time.monotonic() - start < 0.1 else 0
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--url", help="a server already running (nothing is started)")
    parser.add_argument("--demo", action="append", help="only these demos (repeatable)")
    args = parser.parse_args()
    load_all()
    server = None if args.url else start_server(args.port, root=args.root)
    base = args.url or f"http://127.0.0.1:{args.port}"
    demos = args.demo or sorted(d for d in REGISTRY if d != "failure-lab"
                                and any(p.kind in ("int", "float") for p in REGISTRY[d].params))
    try:
        wait_warm(base)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            # The page's CSP forbids eval, which Playwright's wait_for_function needs.
            page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
            print(f"{'demo':24} {'median ms':>9}   moves (ms)")
            medians = []
            for demo_id in demos:
                times = measure(page, base, demo_id, args.moves)
                if not times:
                    continue
                medians.append(statistics.median(times))
                print(f"{demo_id:24} {medians[-1]:9.0f}   {' '.join(f'{t:.0f}' for t in times)}", flush=True)
            print(f"{'worst median':24} {max(medians):9.0f}")
            browser.close()
    finally:
        if server:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
