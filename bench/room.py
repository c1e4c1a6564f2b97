"""A room on real parts, on loopback: deploy/nginx-room.conf's nginx in front of two app processes
(each `make serve`'s gunicorn with one worker) sharing live sessions through a throwaway
redis-server. Used by tests/test_room.py and `bench/load.py --room`.

    with room() as r: r.url, r.backends   # nginx's URL, and each process's own
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.server import HOST, ROOT, start_server

CONF = ROOT / "deploy" / "nginx-room.conf"


def missing() -> str | None:
    """Why a room cannot be started here, or None."""
    for binary, package in (("nginx", "nginx"), ("redis-server", "redis-server")):
        if not (shutil.which(binary) or Path(f"/usr/sbin/{binary}").exists()):
            return f"{binary} is not installed: run `make test` as root to install Debian's {package}"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def local_conf(tmp: Path, port: int, backends: list[int]) -> str:
    """deploy/nginx-room.conf with its listen port, upstreams and file paths moved to loopback
    ports and `tmp`, so it runs unprivileged; every other line is the file as deployed."""
    text = CONF.read_text()
    text = text.replace("listen 8080;", f"listen {HOST}:{port};")
    text = text.replace("server 127.0.0.1:8001;", f"server {HOST}:{backends[0]};")
    text = text.replace("server 127.0.0.1:8002;", f"server {HOST}:{backends[1]};")
    text = re.sub(r"^pid .*;$", f"pid {tmp}/nginx.pid;", text, flags=re.M)
    text = re.sub(r"^error_log .*;$", f"error_log {tmp}/error.log warn;", text, flags=re.M)
    text = text.replace("/var/cache/nginx/reliability-lab", str(tmp / "cache"))
    text = text.replace("worker_processes auto;", "worker_processes 1;")
    if os.geteuid() == 0:  # root's nginx runs its workers as nobody, who may not write to `tmp`
        text = f"user {pwd.getpwuid(os.getuid()).pw_name};\n" + text
    temp_paths = "".join(f"  {kind}_temp_path {tmp}/{kind};\n"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return text.replace("http {\n", "http {\n" + temp_paths, 1)


def _wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@dataclass
class Room:
    url: str
    backends: list[str]
    redis_url: str


@contextmanager
def room(root: Path = ROOT):
    problem = missing()
    if problem:
        raise RuntimeError(problem)
    procs = []
    with tempfile.TemporaryDirectory(prefix="rl-room-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            redis_port = free_port()
            procs.append(subprocess.Popen(
                [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(redis_port),
                 "--bind", HOST, "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
            redis_url = f"redis://{HOST}:{redis_port}/0"
            ports = [free_port(), free_port()]
            env = {"REDIS_URL": redis_url, "WEB_CONCURRENCY": "1", "LIVE_DB": str(tmp / "unused.sqlite3")}
            for port in ports:
                procs.append(start_server(port, env, probe="/live", root=root))
            nginx_port = free_port()
            (tmp / "nginx.conf").write_text(local_conf(tmp, nginx_port, ports))
            nginx = shutil.which("nginx") or "/usr/sbin/nginx"
            procs.append(subprocess.Popen([nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf"),
                                           "-e", str(tmp / "error.log"), "-g", "daemon off;"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True))
            url = f"http://{HOST}:{nginx_port}"
            _wait_for(url + "/live")
            yield Room(url, [f"http://{HOST}:{p}" for p in ports], redis_url)
        finally:
            for proc in reversed(procs):
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
