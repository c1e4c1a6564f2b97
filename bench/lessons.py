"""What quoted figures cost: the time to load the lessons (every quote simulates its demo state
once, in a fresh process) and a lesson page's server time afterwards (quotes are already text).

    .venv/bin/python bench/lessons.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout, whatever is installed

from webapp import create_app, quotes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    started, cpu = time.perf_counter(), time.process_time()
    app = create_app({"TESTING": True})
    load_s, load_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    lessons = app.extensions["lessons"]
    count = sum(len(quotes.quotes_in(path.read_text(encoding="utf-8")))
                for path in Path(app.config["LESSONS_DIR"]).glob("*.md"))
    print(f"app with lessons loaded in {load_s * 1000:,.0f} ms, {load_cpu_s * 1000:,.0f} ms of CPU ({count} quoted figures)")
    client = app.test_client()
    for slug in lessons:
        client.get(f"/lessons/{slug}")  # the demos' default states are simulated once
        times = []
        for _ in range(args.repeat):
            t = time.process_time()  # CPU time: a busy machine does not inflate it
            client.get(f"/lessons/{slug}")
            times.append((time.process_time() - t) * 1000)
        print(f"/lessons/{slug}: p50 {statistics.median(times):.1f} ms of CPU, max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
