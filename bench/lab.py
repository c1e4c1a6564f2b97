"""The failure lab's cost: server time per request for the default run and the largest configurations.

Targets (issue 9): the default graph for 2 simulated minutes answers within 300 ms, charts included;
the largest allowed configuration within 2 s. Requests go through the real app (test client, the
fragment htmx asks for), each with a fresh seed so the result cache never answers. Wall time is what
a user waits; CPU time (this process only) shows how much of it other work on the machine stole.

    .venv/bin/python bench/lab.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import statistics
import time

from webapp import create_app
from webapp.demos import REGISTRY
from webapp.sims import lab

HX = {"HX-Request": "true"}


def largest() -> dict[str, dict]:
    """The most expensive settings the parameter ranges allow, in a few shapes: every number at its
    maximum (with and without unbounded queues), and the retry explosion the event bound exists for."""
    demo = REGISTRY["failure-lab"]
    top = {p.name: p.max for p in demo.params if p.kind == "int" and p.name != "seed" and p.never is None}
    top.update({f"{e}_timeout_ms": 30_000 for e in lab.EDGE_IDS}, user_timeout_ms=30_000,
               **{f"fault{i}_start_s": 0 for i in (1, 2, 3)})
    leaves = {"fault1_service": "index", "fault2_service": "payments", "fault3_service": "recommendations"}
    fast = {f"{e}_backoff_ms": 10 for e in lab.EDGE_IDS}
    unbounded = {f"{s}_queue": "unbounded" for s in lab.SERVICES}
    return {
        "max, no fault": {**top, **{f"fault{i}_kind": "none" for i in (1, 2, 3)}},
        "max, leaves slow x100, unbounded queues": {**top, **leaves, **unbounded,
                                                    **{f"fault{i}_kind": "slow" for i in (1, 2, 3)}},
        "max, leaves failing, 5x5 retries, 10 ms backoff": {**top, **leaves, **fast,
                                                          **{f"fault{i}_kind": "error" for i in (1, 2, 3)}},
        "max, leaves down, 5x5 retries, 10 ms backoff": {**top, **leaves, **fast,
                                                       **{f"fault{i}_kind": "down" for i in (1, 2, 3)}},
    }


def measure(client, url: str, query: dict, repeat: int, seed0: int) -> tuple[list, list, dict]:
    wall, cpu = [], []
    body = None
    for i in range(repeat):
        q = {**query, "seed": seed0 + i}
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url, query_string=q, headers=HX)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200, (url, query, response.status_code, response.get_data(as_text=True)[:300])
        body = response
    result = client.get("/lab.json", query_string={**query, "seed": seed0}).get_json()["result"]
    return wall, cpu, {"events": result["events"], "truncated": result["truncated"]} if body else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    client = create_app({"TESTING": True}).test_client()
    client.get("/lab")  # warm up imports and templates
    cases = [("/lab", "default (2 min)", {}), ("/demos/failure-lab", "default, demo page", {})]
    for preset in REGISTRY["failure-lab"].presets:
        values = REGISTRY["failure-lab"].preset_values(preset)
        cases.append(("/lab", f"scenario {preset.name}", dict(REGISTRY["failure-lab"].params.query_items(values))))
    cases += [("/lab", name, q) for name, q in largest().items()]
    print(f"{'case':52} {'wall p50':>9} {'p95':>7} {'cpu p50':>8} {'events':>8}  note  (ms)")
    for k, (url, name, query) in enumerate(cases):
        repeat = args.repeat if "max" not in name else max(3, args.repeat // 3)
        wall, cpu, info = measure(client, url, query, repeat, seed0=10_000 * (k + 1))  # fresh seeds: no cache
        p95 = statistics.quantiles(wall, n=20, method="inclusive")[18] if len(wall) > 1 else wall[0]
        note = "stopped at the event bound" if info.get("truncated") else ""
        print(f"{name:52} {statistics.median(wall):8.0f}  {p95:7.0f} {statistics.median(cpu):8.0f} "
              f"{info.get('events', 0):8,}  {note}")


if __name__ == "__main__":
    main()
