"""Slow and half-open clients against the served configuration: does a cached preset still answer?

Opens --sockets connections (default 200) that never finish a request, as phones on bad Wi-Fi and a
slowloris attacker leave them, and keeps that many open for the whole run (one the server closes is
opened again at once). Meanwhile a learner asks for a cached preset --requests times, each on a new
connection, and the latency of each answer is measured (8 s is a failure, as a browser would give up).

    .venv/bin/python bench/slow_clients.py [--server buffered|gthread|nginx] [--attack partial|idle]
                                           [--sockets 200] [--requests 200] [--port 8790]

  --server buffered  `make serve` as it is: gunicorn with webapp/gunicorn_worker.py (the default)
           gthread   stock gunicorn gthread (WORKER_CLASS=gthread), as before issue 20
           nginx     nginx (Debian's, config in deploy/nginx.conf) buffering in front of gunicorn
  --attack partial   each connection sends half a request line and headers, then nothing
           idle      each connection sends nothing at all

Targets 127.0.0.1 only; stops every process it starts.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import HOST, start_server  # noqa: E402

PRESET = "/demos/retry-storm"  # the defaults: simulated when each worker starts
GIVE_UP_S = 8.0
PARTIAL = b"GET /demos/retry-storm HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Attacker:
    """Keeps `count` connections open that never complete a request."""

    def __init__(self, port: int, count: int, payload: bytes):
        self.port, self.count, self.payload = port, count, payload
        self.socks: list[socket.socket] = []
        self.reopened = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket | None:
        try:
            s = socket.create_connection((HOST, self.port), timeout=2)
            if self.payload:
                s.sendall(self.payload)
            s.setblocking(False)
            return s
        except OSError:
            return None

    def start(self) -> None:
        for _ in range(self.count):
            s = self._open()
            if s:
                self.socks.append(s)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.2):
            for i, s in enumerate(self.socks):
                try:
                    if s.recv(1024) == b"":  # closed by the server: open another
                        raise ConnectionResetError
                except BlockingIOError:
                    continue
                except OSError:
                    pass
                s.close()
                fresh = self._open()
                if fresh:
                    self.socks[i] = fresh
                    self.reopened += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for s in self.socks:
            s.close()


def measure(port: int, requests: int) -> dict:
    latencies, failures = [], 0
    for _ in range(requests):
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
        elapsed = (time.perf_counter() - start) * 1000
        latencies.append(elapsed if ok else GIVE_UP_S * 1000)
        failures += not ok
        time.sleep(0.05)
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * q))]

    return {"requests": requests, "failed": failures, "p50": pct(0.5), "p95": pct(0.95), "max": latencies[-1]}


def start_nginx(listen: int, upstream: int, tmp: Path) -> subprocess.Popen:
    if not shutil.which("nginx"):
        if os.geteuid() == 0 and shutil.which("apt-get"):
            subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=True,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)
        else:
            sys.exit("nginx is not installed (Debian: apt-get install nginx-light)")
    conf = (ROOT / "deploy/nginx.conf").read_text()
    conf = conf.replace("listen 80;", f"listen {HOST}:{listen};").replace("127.0.0.1:8000", f"{HOST}:{upstream}")
    conf = conf.replace("/var/log/nginx/", f"{tmp}/").replace("/run/nginx.pid", f"{tmp}/nginx.pid")
    (tmp / "nginx.conf").write_text(conf)
    proc = subprocess.Popen(["nginx", "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"],
                            start_new_session=True, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            socket.create_connection((HOST, listen), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("nginx did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", choices=["buffered", "gthread", "nginx"], default="buffered")
    parser.add_argument("--attack", choices=["partial", "idle"], default="partial")
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    app_port = args.port or free_port()
    env = {"WORKER_CLASS": "gthread"} if args.server == "gthread" else {}
    server = start_server(app_port, env, probe=PRESET)
    nginx, port = None, app_port
    tmp = Path(tempfile.mkdtemp(prefix="rl-nginx-"))
    try:
        if args.server == "nginx":
            port = free_port()
            nginx = start_nginx(port, app_port, tmp)
        time.sleep(8)  # every worker has warmed its presets (about 2 s each, on a busy machine more)
        quiet = measure(port, 50)
        attacker = Attacker(port, args.sockets, PARTIAL if args.attack == "partial" else b"")
        attacker.start()
        time.sleep(1)
        try:
            loaded = measure(port, args.requests)
        finally:
            attacker.close()
        print(f"server={args.server} attack={args.attack} sockets={args.sockets} "
              f"(held {len(attacker.socks)}, reopened {attacker.reopened} after the server closed them)")
        print(f"  no attack: p50 {quiet['p50']:.1f} ms, p95 {quiet['p95']:.1f} ms")
        print(f"  attacked : {loaded['requests']} requests, {loaded['failed']} failed (>{GIVE_UP_S:.0f} s), "
              f"p50 {loaded['p50']:.1f} ms, p95 {loaded['p95']:.1f} ms, max {loaded['max']:.1f} ms")
    finally:
        if nginx:
            os.killpg(nginx.pid, signal.SIGTERM)
            nginx.wait(10)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
