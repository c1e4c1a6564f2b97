"""A room of learners as threads: each pauses, asks for a demo state, reads the answer, pauses again.

wrk sends every connection's first request the moment it connects, so a run with think times would
start with all 100 clients asking at once and the benchmark would mostly measure that herd. Here each
learner starts after a random pause of its own, as a room does. Latency is measured from sending
the request to reading the whole answer; the client costs a few percent of a core at these rates.
"""

from __future__ import annotations

import http.client
import random
import threading
import time

HEADERS = {"HX-Request": "true", "Accept-Encoding": "br, gzip"}


def run_clients(port: int, paths: list[str], seconds: float, clients: int, think_ms: int) -> dict:
    """`clients` learners for `seconds`, each pausing uniform(think/2, 3 think/2) between requests.
    Requests still in flight at the end are waited for, so the next run starts on an idle server."""
    next_path = iter(paths).__next__  # one shared sequence: every request a different state
    latencies: list[float] = []
    errors: list[str] = []  # list.append is atomic: no lock needed between learners
    deadline = time.monotonic() + seconds

    def learner(n: int) -> None:
        rng = random.Random(n)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        pause = rng.uniform(0, think_ms * 1.5) / 1000  # learners do not all start together
        while time.monotonic() + pause < deadline:
            time.sleep(pause)
            start = time.perf_counter()
            try:
                conn.request("GET", next_path(), headers=HEADERS)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors.append(f"{response.status}")
            except (OSError, http.client.HTTPException) as exc:
                errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            latencies.append((time.perf_counter() - start) * 1000)
            pause = rng.uniform(think_ms / 2, think_ms * 1.5) / 1000
        conn.close()

    threads = [threading.Thread(target=learner, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * q))] if latencies else 0.0

    return {"requests": len(latencies), "seconds": seconds, "rps": len(latencies) / seconds,
            "errors": len(errors), "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99)}
