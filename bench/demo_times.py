"""Server time per demo request, p50/p95, at default parameters, at maximum parameters, and at the
random slider states the load benchmark sends (one or two parameters moved, a random seed).

Runs the real Flask app in-process (test client, fragment requests as htmx sends them), so the
figure is the server's own time: parse, simulate, build charts, render. Distinct seeds defeat the
result cache, so every request is a fresh simulation. The mean over random states is what decides
how many distinct states a second two cores can answer.

    .venv/bin/python bench/demo_times.py [--repeat 30] [--demo retry-storm]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout, whatever is installed

from bench.load import slider_paths  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.demos import REGISTRY  # noqa: E402


def max_values(demo) -> dict:
    """Every numeric parameter at its most expensive end (its max), every multi-choice all chosen."""
    values = {}
    for p in demo.params:
        if p.name == "seed":
            continue
        if p.kind in ("int", "float"):
            values[p.name] = p.to_text(p.max)
        elif p.kind == "multi":
            values[p.name] = ",".join(v for v, _ in p.choices)
        elif p.kind == "text":
            values[p.name] = (p.alphabet * int(p.max))[: int(p.max)]
    return values


def measure(client, demo_id: str, queries: list[dict]) -> list[float]:
    times = []
    for query in queries:
        start = time.perf_counter()
        response = client.get(f"/demos/{demo_id}", query_string=query, headers={"HX-Request": "true"})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (demo_id, query, response.status_code)
    return times


def random_states(demo_id: str, n: int) -> list[str]:
    """The query strings of the load benchmark's slider requests for this demo."""
    paths = slider_paths(random.Random(f"demo-times-{demo_id}"), n * len(REGISTRY) * 3)
    return [p.split("?", 1)[1] for p in paths if p.startswith(f"/demos/{demo_id}?")][:n]


def percentile(times: list[float], q: float) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--demo", action="append", help="only these demos (repeatable)")
    args = parser.parse_args()
    client = create_app({"SHARED_CACHE_ENTRIES": 0}).test_client()
    print(f"{'demo':24} {'params':8} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for demo_id in args.demo or sorted(REGISTRY):
        cases = [("default", [{"seed": 1000 + i} for i in range(args.repeat)]),
                 ("maximum", [{**max_values(REGISTRY[demo_id]), "seed": 1000 + i} for i in range(args.repeat)]),
                 ("random", random_states(demo_id, args.repeat))]
        for label, queries in cases:
            if not queries:  # the failure lab is not a slider demo: bench/lab.py times it
                continue
            times = measure(client, demo_id, queries)
            print(f"{demo_id:24} {label:8} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} "
                  f"{statistics.mean(times):8.1f}")


if __name__ == "__main__":
    main()
