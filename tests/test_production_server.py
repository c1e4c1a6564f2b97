"""`make serve`'s production server: gunicorn with webapp/gunicorn_conf.py, started as make starts it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict | None = None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_serves_logs_each_request_and_stops_cleanly_on_sigterm():
    port = free_port()
    server = subprocess.Popen(
        [str(GUNICORN), "--config", "python:webapp.gunicorn_conf", "webapp:create_app()"], cwd=ROOT,
        env={**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2"}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                status, _, body = get(f"{base}/")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        assert status == 200 and b"Reliability Lab" in body
        fragment = f"{base}/demos/backoff-timeline?base_ms=120"
        # Each worker has its own cache; of three requests on two workers, one worker gets two.
        answers = [get(fragment, {"HX-Request": "true"}) for _ in range(3)]
        assert all(a[0] == 200 and a[2] == answers[0][2] for a in answers)
        assert "Age" not in answers[0][1] and any("Age" in a[1] for a in answers[1:])  # a repeat came from the shared cache
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert '"GET /demos/backoff-timeline?base_ms=120 HTTP/1.1" 200' in output  # access log on stdout
    assert "Shutting down: Master" in output
