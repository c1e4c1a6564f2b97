"""Server time per demo request, p50/p95, at default and at maximum parameters.

Runs the real Flask app in-process (test client, fragment requests as htmx sends them), so the
figure is the server's own time: parse, simulate, build charts, render. Distinct seeds defeat the
result cache, so every request is a fresh simulation.

    .venv/bin/python bench/demo_times.py [--repeat 30] [--demo retry-storm]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout, whatever is installed

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


def measure(client, demo_id: str, query: dict, repeat: int) -> list[float]:
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        response = client.get(f"/demos/{demo_id}", query_string={**query, "seed": 1000 + i},
                              headers={"HX-Request": "true"})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (demo_id, query, response.status_code)
    return times


def percentile(times: list[float], q: float) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--demo", action="append", help="only these demos (repeatable)")
    args = parser.parse_args()
    client = create_app().test_client()
    print(f"{'demo':24} {'params':8} {'p50 ms':>8} {'p95 ms':>8}")
    for demo_id in args.demo or sorted(REGISTRY):
        for label, query in (("default", {}), ("maximum", max_values(REGISTRY[demo_id]))):
            times = measure(client, demo_id, query, args.repeat)
            print(f"{demo_id:24} {label:8} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f}")


if __name__ == "__main__":
    main()
