"""Live-session benchmark: a workshop room of attendees polling, an instructor moving the demo.

Starts the production server (gunicorn with webapp.gunicorn_conf, as `make serve` does) on 127.0.0.1
with a fresh live store (a temporary SQLite file, or a throwaway redis-server with --store redis),
starts a session, and for a bounded time:
  - N attendees (default 200), each on its own keep-alive connection with its own cookies, poll
    /live/<code>/follow?v=<their version> every 500 ms, as the attendee page does, and fetch the new
    block when the version moved (with Accept-Encoding: gzip, br, as a browser);
  - the instructor changes the demo's state every 2 s (a new slider value each time, so a new
    simulation), and every fifth change asks a question instead, which every attendee answers once;
  - the instructor's panel polls every second.
Prints polls/s, errors, poll latency p50/p95/p99, the propagation delay (from the instructor's POST
leaving until each attendee has the new version) p50/p95/max over every (attendee, change) pair, the
answers counted against those sent, and the CPU the server used.

    .venv/bin/python bench/live.py [--attendees 200] [--seconds 30] [--store sqlite|redis] [--port 8767]

The attendees are asyncio coroutines on raw HTTP/1.1 (a few percent of a core for 400 polls/s), so the
client does not steal the server's two cores. Targets only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import brotli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.server import HOST, start_server  # noqa: E402


# ---- a minimal HTTP/1.1 client over asyncio streams ----------------------------------------------

class Connection:
    """One browser tab's keep-alive connection, with its cookie jar."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict | None = None, body: bytes = b"",
                      decode: bool = False):
        """(status, headers, body); the body is decompressed only when `decode` (attendees skip it)."""
        reused = self.writer is not None
        try:
            return await self._request(method, path, headers, body, decode)
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as exc:
            # The server closed an idle keep-alive connection (gunicorn's keepalive is 5 s): a browser
            # retries such a request once on a new connection, and so does this client.
            if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                raise
            return await self._request(method, path, headers, body, decode)

    async def _request(self, method, path, headers, body, decode):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}", "Accept-Encoding: gzip, br"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method == "POST":
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        try:
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            await self.writer.drain()
            head = await self.reader.readuntil(b"\r\n\r\n")
            status_line, *raw_headers = head.decode("latin-1").rstrip("\r\n").split("\r\n")
            response_headers = {}
            for line in raw_headers:
                name, _, value = line.partition(":")
                name, value = name.strip().lower(), value.strip()
                if name == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
                else:
                    response_headers[name] = value
            if "chunked" in response_headers.get("transfer-encoding", ""):
                raise RuntimeError("chunked responses are not expected from this app")
            length = int(response_headers.get("content-length", 0))
            data = await self.reader.readexactly(length) if length else b""
            if response_headers.get("connection", "").lower() == "close":
                self.close()
            if decode and response_headers.get("content-encoding") == "br":
                data = brotli.decompress(data)
            elif decode and response_headers.get("content-encoding") == "gzip":
                data = gzip.decompress(data)
            return int(status_line.split()[1]), response_headers, data
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# ---- the room ------------------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.polls = 0
        self.latency_204: list[float] = []
        self.latency_200: list[float] = []
        self.errors: list[str] = []
        self.seen: list[list[tuple[int, float]]] = []  # per attendee: (version, when received)
        self.changes: list[tuple[int, float]] = []  # (version, when the instructor's POST left)
        self.answers_sent = 0
        self.answers_counted: int | None = None
        self.client_cpu = 0.0
        self.measuring = False


async def attendee(index: int, port: int, code: str, stats: Stats, args, stop: asyncio.Event, question: dict):
    conn = Connection(port)
    seen = stats.seen[index]
    await asyncio.sleep(random.uniform(0, 2))  # a room does not join in the same millisecond
    status, headers, _ = await conn.request("GET", f"/live/{code}")
    if status != 200:
        stats.errors.append(f"join {status}")
        return
    version, answered = "0", set()
    await asyncio.sleep(random.uniform(0, args.poll_ms / 1000))
    next_poll = time.monotonic()
    while not stop.is_set():
        start = time.monotonic()
        try:
            status, headers, _ = await asyncio.wait_for(
                conn.request("GET", f"/live/{code}/follow?v={version}", {"HX-Request": "true"}), 10)
        except Exception as exc:  # a dropped connection: count it, and the next poll reconnects
            if stats.measuring:
                stats.errors.append(f"poll {type(exc).__name__}")
            status = None
        now = time.monotonic()
        if stats.measuring and status is not None:
            stats.polls += 1
            if status == 204:
                stats.latency_204.append(now - start)
            elif status == 200:
                stats.latency_200.append(now - start)
            else:
                stats.errors.append(f"poll {status}")
        if status == 200:
            version = headers["x-live-version"]
            seen.append((int(version), now))
        qid = question.get("open")
        if qid and qid not in answered and random.random() < 0.3:  # answers arrive over a few seconds
            answered.add(qid)
            body = urlencode({"csrf_token": conn.cookies.get("rl_csrf", ""), "question": qid,
                              "answer": str(random.randrange(4))}).encode()
            try:
                status, _, _ = await conn.request("POST", f"/live/{code}/answer", {"HX-Request": "true"}, body)
                stats.answers_sent += 1
                if status != 200:
                    stats.errors.append(f"answer {status}")
            except Exception as exc:
                stats.errors.append(f"answer {type(exc).__name__}")
        next_poll += args.poll_ms / 1000  # htmx's "every 500ms": a fixed rhythm, not 500 ms after the answer
        await asyncio.sleep(max(0.0, next_poll - time.monotonic()))
    conn.close()


async def instructor(port: int, code: str, conn: Connection, stats: Stats, args, stop: asyncio.Event,
                     question: dict):
    headers = {"X-CSRF-Token": conn.cookies["rl_csrf"], "Accept": "application/json"}
    base_ms = 100
    n = 0
    while not stop.is_set():
        await asyncio.sleep(args.change_s)
        if stop.is_set():
            break
        n += 1
        if n % 5 == 0:  # ask the room, or put the question away
            opening = not question.get("open")
            form, path = ({"action": "open", "question": "storm-peak"} if opening else {"action": "clear"}), "question"
            if not opening:
                question["open"] = None  # attendees stop answering before it closes
        else:
            base_ms = 10 + (base_ms + 130) % 1990  # a new slider value: a new simulation
            form, path = {"demo": "backoff-timeline", "query": f"base_ms={base_ms}"}, "state"
        sent = time.monotonic()
        status, _, data = await conn.request("POST", f"/live/{code}/{path}", {**headers, "HX-Request": "true"},
                                             urlencode(form).encode(), decode=True)
        if status != 200:
            stats.errors.append(f"instructor {status}")
            continue
        if path == "state":
            version = json.loads(data)["version"]
        else:
            version = await _version(conn, code)
            question["open"] = form.get("question")
        stats.changes.append((version, sent))


async def _version(conn: Connection, code: str) -> int:
    status, headers, data = await conn.request("GET", f"/live/{code}/follow?v=-1", {"HX-Request": "true"})
    return int(headers["x-live-version"])


async def panel(code: str, conn: Connection, stop: asyncio.Event, stats: Stats):
    sig = ""
    while not stop.is_set():
        status, _, data = await conn.request("GET", f"/live/{code}/panel?sig={sig}", {"HX-Request": "true"},
                                             decode=True)
        if status == 200:
            sig = re.search(rb"sig=([0-9a-f]+)", data).group(1).decode()
        elif status != 204:
            stats.errors.append(f"panel {status}")
        await asyncio.sleep(1)


async def run_room(port: int, args) -> tuple[Stats, str, float, float]:
    stats = Stats()
    teacher = Connection(port)
    status, _, _ = await teacher.request("GET", "/live/new")
    body = urlencode({"csrf_token": teacher.cookies["rl_csrf"], "lesson": "retry-backoff"}).encode()
    status, headers, _ = await teacher.request("POST", "/live/new", {}, body)
    code = re.fullmatch(r"/live/([A-Z]{5})/control", headers["location"]).group(1)
    panel_conn = Connection(port)
    panel_conn.cookies = dict(teacher.cookies)
    stop, question = asyncio.Event(), {}
    stats.seen = [[] for _ in range(args.attendees)]
    room = [asyncio.create_task(attendee(i, port, code, stats, args, stop, question)) for i in range(args.attendees)]
    await asyncio.sleep(3)  # everyone joined
    stats.measuring = True
    cpu0, t0 = server_cpu(args.server_pid), time.monotonic()
    client_cpu0 = time.process_time()
    driver = [asyncio.create_task(instructor(port, code, teacher, stats, args, stop, question)),
              asyncio.create_task(panel(code, panel_conn, stop, stats))]
    await asyncio.sleep(args.seconds)
    stats.measuring = False
    elapsed = time.monotonic() - t0
    cpu = server_cpu(args.server_pid) - cpu0
    stats.client_cpu = time.process_time() - client_cpu0
    await asyncio.sleep(1.5)  # let the last change propagate
    stop.set()
    await asyncio.gather(*room, *driver, return_exceptions=True)
    stats.answers_counted = await _answer_count(panel_conn, code)
    return stats, code, elapsed, cpu


async def _answer_count(conn: Connection, code: str) -> int | None:
    """The answers the server counted for the question (opened again to read its panel)."""
    form = urlencode({"action": "open", "question": "storm-peak"}).encode()
    await conn.request("POST", f"/live/{code}/question", {"X-CSRF-Token": conn.cookies["rl_csrf"],
                                                          "HX-Request": "true"}, form)
    status, _, data = await conn.request("GET", f"/live/{code}/panel", {"HX-Request": "true"}, decode=True)
    match = re.search(rb"<span data-answers>(\d+)</span>", data)
    return int(match.group(1)) if match else None


# ---- server and measurement ----------------------------------------------------------------------

def server_cpu(master: int) -> float:
    """CPU seconds (user + system) of gunicorn's master and workers so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == master or ppid == master:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_redis() -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if not binary:
        sys.exit("redis-server is not installed (Debian package 'redis-server').")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://{HOST}:{port}/0"


def start_live_server(port: int, env_extra: dict) -> subprocess.Popen:
    if "REDIS_URL" not in env_extra:
        os.environ.pop("REDIS_URL", None)  # --store sqlite means SQLite, whatever the shell says
    return start_server(port, env_extra, probe="/live")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def propagation(stats: Stats) -> tuple[list[float], int]:
    """Per (attendee, change): seconds from the instructor's POST leaving to that attendee holding
    the change (its version or a later one); and how many pairs never got there."""
    delays, missed = [], 0
    for version, sent in stats.changes:
        for seen in stats.seen:
            when = next((t for v, t in seen if v >= version and t >= sent), None)
            if when is None:
                missed += 1
            else:
                delays.append(when - sent)
    return delays, missed


def main() -> None:
    parser = argparse.ArgumentParser(description="Live-session benchmark against `make serve`'s server")
    parser.add_argument("--attendees", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--poll-ms", type=int, default=500, help="the attendee page's poll interval")
    parser.add_argument("--change-s", type=float, default=2.0, help="seconds between two instructor changes")
    parser.add_argument("--store", choices=("sqlite", "redis"), default="sqlite")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()

    redis_proc = None
    with tempfile.TemporaryDirectory() as tmp:
        env = {"LIVE_DB": str(Path(tmp, "live.sqlite3"))}
        if args.store == "redis":
            redis_proc, env["REDIS_URL"] = start_redis()
        server = start_live_server(args.port, env)
        args.server_pid = server.pid
        try:
            stats, code, elapsed, cpu = asyncio.run(run_room(args.port, args))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            if redis_proc:
                redis_proc.terminate()
                redis_proc.wait(timeout=10)

    delays, missed = propagation(stats)
    latencies = stats.latency_204 + stats.latency_200
    ms = lambda x: f"{x * 1000:.0f} ms"  # noqa: E731
    print(f"live session {code}: {args.attendees} attendees polling every {args.poll_ms} ms, "
          f"a change every {args.change_s:g} s, {args.seconds} s measured, store {args.store}")
    print(f"  polls      {stats.polls / elapsed:6.0f} /s  errors {len(stats.errors)}"
          + (f" ({', '.join(sorted(set(stats.errors))[:5])})" if stats.errors else ""))
    print(f"  poll latency   p50 {ms(pct(latencies, 0.5))}  p95 {ms(pct(latencies, 0.95))}  "
          f"p99 {ms(pct(latencies, 0.99))}   (204: p50 {ms(pct(stats.latency_204, 0.5))}, "
          f"new block: p50 {ms(pct(stats.latency_200, 0.5))} p95 {ms(pct(stats.latency_200, 0.95))})")
    print(f"  propagation    p50 {ms(pct(delays, 0.5))}  p95 {ms(pct(delays, 0.95))}  max {ms(max(delays or [0]))}"
          f"   ({len(stats.changes)} changes x {args.attendees} attendees, {missed} missed)")
    print(f"  answers        {stats.answers_sent} sent, {stats.answers_counted} counted for the last question")
    print(f"  server CPU     {cpu / elapsed * 100:.0f}% of one core ({cpu:.1f} s in {elapsed:.0f} s); "
          f"this client {stats.client_cpu / elapsed * 100:.0f}%")


if __name__ == "__main__":
    main()
