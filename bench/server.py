"""Start the production server (`make serve`'s gunicorn configuration) for a benchmark, on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def _bin(root: Path) -> Path:
    """The scripts of the Python serving `root`: this one's for this checkout, its .venv's for another."""
    return Path(sys.executable).parent if Path(root).resolve() == ROOT else Path(root) / ".venv" / "bin"


def start_server(port: int, env_extra: dict | None = None, probe: str = "/",
                 root: Path = ROOT) -> subprocess.Popen:
    """gunicorn in its own process group (stop it with os.killpg), once `probe` answers. `root` is
    the checkout to serve (with its own .venv): another one gives a before/after in the same run."""
    env = {**os.environ, "HOST": HOST, "PORT": str(port), **(env_extra or {})}
    server = subprocess.Popen(
        [str(_bin(root) / "gunicorn"), "--config", "python:webapp.gunicorn_conf", "--access-logfile",
         "/dev/null", "webapp:create_app()"], cwd=root, env=env, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}{probe}", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("the server did not start")
