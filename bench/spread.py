"""What "Run 20 seeds" costs, per seeded demo: the htmx steps until the spread is whole (each step
simulates ~1.5 s at most, spread.STEP_BUDGET_S), the total time of those steps, and a second look
(served from the caches). Fresh base seeds so every run simulates. In-process, through the real app.

    .venv/bin/python bench/spread.py [--seeds 20] [--demo retry-budget]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout, whatever is installed

from webapp import create_app  # noqa: E402
from webapp.spread_figures import SPECS  # noqa: E402

HX = {"HX-Request": "true", "HX-Target": "spread"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--demo", action="append", help="only this demo (repeatable)")
    args = parser.parse_args()
    client = create_app({"TESTING": True}).test_client()
    print(f"{'demo':24s} {'steps':>5s} {'longest step':>13s} {'total':>9s} {'again':>8s}")
    for base, demo_id in enumerate(args.demo or sorted(SPECS), start=500_000):
        n = min(args.seeds, SPECS[demo_id].max_seeds)
        url = f"/demos/{demo_id}/spread?seed={base}&spread={n}"
        steps, longest, started = 0, 0.0, time.perf_counter()
        while True:
            t = time.perf_counter()
            html = client.get(url, headers=HX).get_data(as_text=True)
            longest = max(longest, time.perf_counter() - t)
            steps += 1
            if not re.search(r"Ran \d+ of", html):
                break
        total = time.perf_counter() - started
        t = time.perf_counter()
        client.get(url, headers=HX)
        again = time.perf_counter() - t
        print(f"{demo_id:24s} {steps:5d} {longest * 1000:10.0f} ms {total:7.2f} s {again * 1000:5.1f} ms")


if __name__ == "__main__":
    main()
