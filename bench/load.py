"""Load benchmark: a workshop room dragging sliders, against the server `make serve` starts.

Starts gunicorn on 127.0.0.1 (the production configuration), then runs three loads, each for a
bounded time, with 100 clients:
  1. "sliders": every request a demo fragment with random parameter values within range (distinct
     states, so the caches cannot answer them), each client pausing about --think-ms between
     requests, as if every learner dragged a slider without stopping (the page sends a value at
     once, then one at a time: static/js/sliders.js);
  2. "room": the same distinct states, each client pausing about 2 s, as a room exploring on its
     own does: move a slider, read the chart, move again;
  3. "workshop": most requests on presets (what a room following an instructor sends), 5% random,
     with wrk as fast as the server answers (a closed loop: this measures capacity).
The first two use bench/clients.py (learners that start at random moments; wrk would send every
connection's first request at once). Prints requests/s, errors and latency p50/p95/p99 for each,
and stops the server.

    .venv/bin/python bench/load.py [--seconds 30] [--connections 100] [--port 8765] [--room] [--root DIR]

--room runs the same loads against deploy/nginx-room.conf's nginx in front of two app processes and
Redis (bench/room.py); --root serves another checkout (its own .venv), for a before/after in one run.

Needs Debian's `wrk` (installed when missing and running as root). Targets only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
THREADS = 2  # wrk's own threads: one per core is plenty for it
ROOM_THINK_MS = 2000  # a learner reading the chart before the next move
sys.path.insert(0, str(ROOT))

from bench.clients import run_clients  # noqa: E402
from bench.server import start_server  # noqa: E402
from webapp.demos import REGISTRY, load_all  # noqa: E402

LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
-- Each wrk thread has its own Lua state: start each at its own share of the list, or both threads
-- would send the same sequence and the second would be answered from the cache.
local threads = 0
setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local i = 0
init = function(args)
  i = (id or 0) * math.floor(#paths / %(threads)d)
end
wrk.headers["HX-Request"] = "true"
wrk.headers["Accept-Encoding"] = "br, gzip"
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%%d seconds=%%.2f errors=%%d non2xx=%%d p50=%%.1f p95=%%.1f p99=%%.1f\\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""


def random_value(p, rng: random.Random) -> str:
    if p.kind == "int":
        steps = int((p.max - p.min) // p.step)
        return p.to_text(p.min + rng.randint(0, steps) * p.step)
    if p.kind == "float":
        steps = int(round((p.max - p.min) / p.step))
        return p.to_text(round(p.min + rng.randint(0, steps) * p.step, 6))
    if p.kind == "choice":
        return rng.choice(p.choices)[0]
    if p.kind == "multi":
        picked = [v for v, _ in p.choices if rng.random() < 0.6]
        return ",".join(picked or [p.choices[0][0]])
    return "".join(rng.choice(p.alphabet) for _ in range(rng.randint(0, int(p.max))))


def slider_paths(rng: random.Random, n: int) -> list[str]:
    """A learner moves one slider at a time: each path changes one or two parameters of a demo."""
    paths = []
    # The failure lab is not a slider demo: a run is a whole system for two minutes (its own budget
    # is 2 s, measured by bench/lab.py); its presets still take part in the workshop traffic.
    demos = sorted(d for d in REGISTRY if d != "failure-lab")
    for _ in range(n):
        demo = REGISTRY[rng.choice(demos)]
        values = {p.name: p.to_text(p.default) for p in demo.params}
        for p in rng.sample(demo.params.params, k=min(2, len(demo.params.params))):
            values[p.name] = random_value(p, rng)
        values["seed"] = str(rng.randint(0, 1_000_000))
        paths.append(f"/demos/{demo.id}?{urlencode(values)}")
    return paths


def preset_paths(rng: random.Random, n: int) -> list[str]:
    presets = [f"/demos/{d.id}?{urlencode(d.params.query_items(d.preset_values(p)))}"
               for d in REGISTRY.values() for p in d.presets]
    presets += [f"/demos/{d}" for d in REGISTRY]
    randoms = slider_paths(rng, max(1, n // 20))  # 5% of the room explores on its own
    paths = [rng.choice(presets) for _ in range(n - len(randoms))] + randoms
    rng.shuffle(paths)  # explorers all through the run, not bunched at the end of the list
    return paths


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return shutil.which("wrk")
    sys.exit("wrk is not installed (Debian package 'wrk'); install it and run again.")


def run_wrk(wrk: str, port: int, paths: list[str], seconds: int, connections: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path_file = Path(tmp, "paths.txt")
        path_file.write_text("\n".join(paths) + "\n")
        script = Path(tmp, "bench.lua")
        script.write_text(LUA % {"paths": path_file, "threads": THREADS})
        out = subprocess.run([wrk, "-t", str(THREADS), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                              "-s", str(script), f"http://127.0.0.1:{port}"],
                             capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    fields = dict(re.findall(r"(\w+)=([\d.]+)", out.split("RESULT", 1)[1]))
    fields = {k: float(v) for k, v in fields.items()}
    fields["rps"] = fields["requests"] / fields["seconds"]
    fields["errors"] += fields.pop("non2xx")  # socket errors and answers of 400 or more
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(description="Load benchmark against `make serve`'s server")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--think-ms", type=int, default=300, help="mean pause between a slider client's requests")
    parser.add_argument("--room", action="store_true", help="nginx in front of two app processes (bench/room.py)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--only", action="append", choices=("sliders", "room", "workshop"), help="only these loads")
    args = parser.parse_args()
    load_all()
    rng = random.Random(2026)
    wrk = ensure_wrk()
    with ExitStack() as stack:
        if args.room:
            from bench.room import room  # noqa: PLC0415  (nginx and redis-server only for --room)
            port = int(stack.enter_context(room(args.root)).url.rsplit(":", 1)[1])
        else:
            server = start_server(args.port, root=args.root)
            stack.callback(lambda: (os.killpg(server.pid, signal.SIGTERM), server.wait(timeout=30)))
            port = args.port
        run_all(args, rng, wrk, port)


def run_all(args, rng: random.Random, wrk: str, port: int) -> None:
    runs = (("sliders", slider_paths(rng, 50_000), args.think_ms),
            ("room", slider_paths(rng, 50_000), ROOM_THINK_MS),
            ("workshop", preset_paths(rng, 50_000), 0))
    for name, paths, think in runs:
        if args.only and name not in args.only:
            continue
        if think:
            r = run_clients(port, paths, args.seconds, args.connections, think)
        else:
            r = run_wrk(wrk, port, paths, args.seconds, args.connections)
        print(f"{name:9} {r['rps']:8.0f} req/s  errors {int(r['errors'])}  "
              f"p50 {r['p50']:.1f} ms  p95 {r['p95']:.1f} ms  p99 {r['p99']:.1f} ms  "
              f"({int(r['requests'])} requests, {args.connections} clients, {args.seconds} s, "
              f"think {think} ms)", flush=True)

if __name__ == "__main__":
    main()
