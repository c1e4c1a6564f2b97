"""Soak: distinct states over every demo for 10 minutes; does worker memory level off?

Starts `make serve`'s gunicorn on 127.0.0.1 and sends --clients closed-loop learners, each asking
for demo fragments at random states of a random demo (every request a new state, so every one is
simulated, rendered, compressed and cached), and samples every worker's resident memory (RSS, from
/proc) every --every seconds. Prints the samples, the first and last, and whether the largest
worker stayed under --ceiling-mb. Exits 1 when it did not.

    .venv/bin/python bench/soak.py [--minutes 10] [--clients 4] [--every 30] [--ceiling-mb 400]

Targets 127.0.0.1 only; stops the server it starts.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import slider_paths  # noqa: E402
from bench.server import HOST, start_server  # noqa: E402
from webapp.demos import load_all  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def rss_mb(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
    except (OSError, IndexError):
        return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--every", type=float, default=30)
    parser.add_argument("--ceiling-mb", type=float, default=400)
    args = parser.parse_args()

    load_all()
    # Every demo but the failure lab (its own bench, bench/lab.py), one or two sliders moved, a new seed.
    next_path = iter(slider_paths(random.Random(20), 200_000)).__next__
    port = free_port()
    server = start_server(port, {"SIM_QUEUE": "8"}, probe="/")  # nobody here should be turned away
    stop = threading.Event()
    counts = {"ok": 0, "busy": 0, "errors": 0}

    def learner() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while not stop.is_set():
            try:
                conn.request("GET", next_path(), headers={"HX-Request": "true", "Accept-Encoding": "br, gzip"})
                response = conn.getresponse()
                response.read()
                key = "ok" if response.status == 200 else "busy" if response.status == 503 else "errors"
                counts[key] += 1
            except StopIteration:
                return
            except (OSError, http.client.HTTPException):
                counts["errors"] += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
        conn.close()

    samples = []
    try:
        time.sleep(8)  # the workers warm their presets
        pids = workers(server.pid)
        start = time.monotonic()
        samples.append((0.0, [rss_mb(p) for p in pids], 0))
        threads = [threading.Thread(target=learner, daemon=True) for _ in range(args.clients)]
        for t in threads:
            t.start()
        end = start + args.minutes * 60
        while time.monotonic() < end:
            time.sleep(min(args.every, max(0.0, end - time.monotonic())))
            samples.append((time.monotonic() - start, [rss_mb(p) for p in pids], counts["ok"]))
            t, mem, n = samples[-1]
            print(f"  {t / 60:5.1f} min  {n:6,} states  " + "  ".join(f"{m:6.1f} MB" for m in mem), flush=True)
        stop.set()
        for t in threads:
            t.join(70)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    peak = max(max(mem) for _, mem, _ in samples)
    first, last = samples[0][1], samples[-1][1]
    half = [max(mem) for t, mem, _ in samples if t >= args.minutes * 30]
    print(f"{args.minutes:g} min, {counts['ok']:,} distinct states answered, {counts['busy']} busy, "
          f"{counts['errors']} errors")
    print(f"worker RSS at start {' / '.join(f'{m:.0f}' for m in first)} MB, at the end "
          f"{' / '.join(f'{m:.0f}' for m in last)} MB, peak {peak:.0f} MB; second half "
          f"{min(half, default=0):.0f}-{max(half, default=0):.0f} MB; ceiling {args.ceiling_mb:.0f} MB: "
          + ("held" if peak <= args.ceiling_mb else "EXCEEDED"))
    sys.exit(0 if peak <= args.ceiling_mb else 1)


if __name__ == "__main__":
    main()
