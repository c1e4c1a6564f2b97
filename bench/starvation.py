"""Cheap requests behind heavy ones: does a cached preset answer while many new heavy states run?

Against the served configuration, --heavy clients (default 50) each ask for the failure lab at its
maximum parameters (/lab.json, about 1.4 s of simulation each), every request a new seed so no
cache can answer, in a closed loop; a client told 503 waits its Retry-After, as the page does. A
learner meanwhile asks for a cached preset every 100 ms on a new connection (8 s is a failure).

    .venv/bin/python bench/starvation.py [--seconds 30] [--heavy 50] [--sim-queue N]

--sim-queue sets SIM_QUEUE for the server (default: the app's, 2 per process); --sim-queue 1000
is the unbounded queue of before issue 20. Targets 127.0.0.1 only; stops the server it starts.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.demo_times import max_values  # noqa: E402
from bench.server import HOST, start_server  # noqa: E402
from webapp.demos import REGISTRY, load_all  # noqa: E402

PRESET = "/demos/retry-storm"
GIVE_UP_S = 8.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--heavy", type=int, default=50)
    parser.add_argument("--sim-queue", type=int, default=0)
    args = parser.parse_args()

    load_all()
    heavy_query = max_values(REGISTRY["failure-lab"])
    seeds = itertools.count(int(time.time()) % 500_000 + 1)  # new states each run
    port = free_port()
    env = {"SIM_QUEUE": str(args.sim_queue)} if args.sim_queue else {}
    server = start_server(port, env, probe=PRESET)
    stop = threading.Event()
    heavy = {"ok": [], "busy": 0, "errors": 0}
    probe = {"ms": [], "failed": 0}

    def heavy_client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=180)
        while not stop.is_set():
            start = time.perf_counter()
            try:
                conn.request("GET", "/lab.json?" + urlencode({**heavy_query, "seed": next(seeds)}))
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                heavy["errors"] += 1
                heavy.setdefault("first_error", repr(exc))
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=180)
                continue
            if response.status == 200:
                heavy["ok"].append((time.perf_counter() - start) * 1000)
            elif response.status == 503:
                heavy["busy"] += 1
                stop.wait(float(response.headers.get("Retry-After", 2)))
            else:
                heavy["errors"] += 1
                heavy.setdefault("first_error", f"HTTP {response.status}")
        conn.close()

    def learner() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            conn = http.client.HTTPConnection(HOST, port, timeout=GIVE_UP_S)
            try:
                conn.request("GET", PRESET, headers={"HX-Request": "true", "Accept-Encoding": "br, gzip"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
            finally:
                conn.close()
            probe["ms"].append((time.perf_counter() - start) * 1000 if ok else GIVE_UP_S * 1000)
            probe["failed"] += not ok
            stop.wait(0.1)

    try:
        time.sleep(8)  # every worker has warmed its presets
        threads = [threading.Thread(target=heavy_client, daemon=True) for _ in range(args.heavy)]
        for t in threads:
            t.start()
        time.sleep(1)
        watcher = threading.Thread(target=learner, daemon=True)
        watcher.start()
        time.sleep(args.seconds)
        stop.set()
        watcher.join()
        for t in threads:
            t.join(200)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    queue = args.sim_queue or "default"
    print(f"SIM_QUEUE={queue}, {args.heavy} heavy clients, {args.seconds:.0f} s")
    print(f"  heavy /lab.json: {len(heavy['ok'])} simulated (p50 {pct(heavy['ok'], .5):,.0f} ms, "
          f"max {max(heavy['ok'], default=0):,.0f} ms), {heavy['busy']} told 503 Retry-After, {heavy['errors']} errors"
          + (f" (first: {heavy['first_error']})" if heavy["errors"] else ""))
    print(f"  cached preset  : {len(probe['ms'])} requests, {probe['failed']} failed (>{GIVE_UP_S:.0f} s), "
          f"p50 {pct(probe['ms'], .5):.1f} ms, p95 {pct(probe['ms'], .95):.1f} ms, max {max(probe['ms'], default=0):,.0f} ms")


if __name__ == "__main__":
    main()
