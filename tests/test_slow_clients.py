"""The served worker (webapp/gunicorn_worker.py) against slow and half-open clients: a request takes a
thread only once it has fully arrived, so connections that never finish cannot starve the server.

One real gunicorn with ONE worker of TWO threads: with stock gthread, two such connections were
enough to stop it. The p95 figures with 200 connections are bench/slow_clients.py's (README)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def exchange(port: int, *pieces: bytes, pause: float = 0.0, timeout: float = 5.0) -> bytes:
    """Send the pieces (pausing between them), then read until the server closes or times out."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        for piece in pieces:
            s.sendall(piece)
            time.sleep(pause)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except TimeoutError:
            pass
        return data


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = subprocess.Popen(
        [str(GUNICORN), "--config", "python:webapp.gunicorn_conf", "webapp:create_app()"], cwd=ROOT,
        env={**os.environ, "HOST": HOST, "PORT": str(port), "WEB_CONCURRENCY": "1", "THREADS": "2",
             "REQUEST_TIMEOUT_S": "1.5"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(100):  # until the worker answers (the port accepts before the app is loaded)
            try:
                if exchange(port, get("/"), timeout=2).startswith(b"HTTP/1.1 200"):
                    break
            except OSError:
                pass
            time.sleep(0.1)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def test_connections_that_never_finish_do_not_hold_the_threads(server):
    stalled = []
    for n in range(40):  # twenty times the threads: half send half a request, half nothing at all
        s = socket.create_connection((HOST, server))
        if n % 2:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Ag")
        stalled.append(s)
    try:
        for _ in range(5):
            start = time.monotonic()
            answer = exchange(server, get("/healthz-not-here"))
            assert answer.startswith(b"HTTP/1.1 404"), answer[:80]
            assert time.monotonic() - start < 2.0
    finally:
        for s in stalled:
            s.close()


def test_an_unfinished_request_is_closed_after_the_request_timeout(server):
    with socket.create_connection((HOST, server), timeout=6) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        start = time.monotonic()
        assert s.recv(100) == b""  # closed, without an answer
        assert 1.0 < time.monotonic() - start < 4.0


def test_a_request_that_arrives_in_pieces_is_answered(server):
    body = b"csrf_token=t&answer=95"
    head = (f"POST /lessons/fallacies/questions/chain-success HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n"
            f"Cookie: rl_csrf=t\r\nHX-Request: true\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    answer = exchange(server, head[:20], head[20:70], head[70:], body[:5], body[5:], pause=0.1)
    assert answer.startswith(b"HTTP/1.1 200") and b"Right." in answer


def test_pipelined_requests_on_one_connection_are_all_answered(server):
    keep = f"GET /live HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    answer = exchange(server, keep + keep + get("/"), timeout=5)
    assert answer.count(b"HTTP/1.1 200") == 3


def test_an_oversized_body_is_refused_before_it_is_sent(server):
    head = (f"POST /live/new HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\nCookie: rl_csrf=t\r\n"
            "X-CSRF-Token: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {10 * 1024 * 1024}\r\n\r\n").encode()
    start = time.monotonic()
    answer = exchange(server, head + b"a" * 1024, timeout=8)
    assert answer.startswith(b"HTTP/1.1 413") and time.monotonic() - start < 7


def test_gunicorns_own_errors_carry_the_security_headers(server):
    answer = exchange(server, get("/" + "a" * 9000))
    head = answer.split(b"\r\n\r\n")[0].decode()
    assert head.startswith("HTTP/1.1 414")
    for header in ("X-Content-Type-Options: nosniff", "X-Frame-Options: DENY", "Content-Security-Policy: default-src 'none'"):
        assert header in head
