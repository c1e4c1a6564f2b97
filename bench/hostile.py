"""The hostile room of issue 20, in-process: each case that broke a live workshop, and what it does now.

Runs against whatever `webapp` Python imports, so the same script measures an older checkout too:
    .venv/bin/python bench/hostile.py
    git archive <commit> | tar -x -C /tmp/old && PYTHONPATH=/tmp/old .venv/bin/python bench/hostile.py
(the slow-client and starvation cases need the real server: bench/slow_clients.py, bench/starvation.py).
"""

from __future__ import annotations

import io
import logging
import re
import sys
import tempfile
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))  # after PYTHONPATH: an old tree given there wins

from webapp import create_app  # noqa: E402


class CountingBody(io.RawIOBase):
    """A request body of `size` bytes that counts how much of it the server reads."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"a" * n
        self.read_bytes += n
        return n


def token(client) -> str:
    client.get("/live")
    return client.get_cookie("rl_csrf").value


def room(app, lesson="fallacies", question="chain-success"):
    teacher = app.test_client()
    csrf = token(teacher)
    code = re.search(r"/live/([A-Z]{5})/", teacher.post("/live/new", data={"lesson": lesson, "csrf_token": csrf})
                     .headers["Location"]).group(1)
    teacher.post(f"/live/{code}/question", data={"action": "open", "question": question, "csrf_token": csrf})
    return teacher, csrf, code


def attendee(app, code):
    client = app.test_client()
    client.get(f"/live/{code}")
    return client, client.get_cookie("rl_csrf").value


def fresh_app():
    """An app of its own per case: its own store, so one case's rate limits do not reach the next."""
    # Not TESTING: a view that raises answers 500, as in production, instead of raising here.
    app = create_app({"LIVE_DB": str(Path(tempfile.mkdtemp()) / "hostile.sqlite3"), "REDIS_URL": None,
                      "LIVE_LIMIT_LOOPBACK": True})  # the test client is 127.0.0.1: limit it like a phone
    logging.getLogger("werkzeug").disabled = app.logger.disabled = True
    return app


def main() -> None:
    app = fresh_app()

    # 1. Two answers, 1e308 and -1e308, to the numeric question chain-success.
    teacher, csrf, code = room(app)
    statuses = []
    for value in ("1e308", "-1e308"):
        who, their = attendee(app, code)
        statuses.append(who.post(f"/live/{code}/answer", data={"question": "chain-success", "answer": value,
                                                               "csrf_token": their}, headers={"HX-Request": "true"}).status_code)
    control = [teacher.get(f"/live/{code}/{p}").status_code for p in ("control", "panel")]
    teacher.post(f"/live/{code}/question", data={"action": "reveal", "csrf_token": csrf})
    after = [who.get(f"/live/{code}").status_code, who.get(f"/live/{code}/follow?v=0", headers={"HX-Request": "true"}).status_code]
    print(f"1. ±1e308 answers: {statuses}; control page, panel: {control}; after Reveal, attendee page, poll: {after}")

    # 4. Large bodies without a CSRF token: how much is read before the 403.
    for size in (1024 * 1024, 10 * 1024 * 1024):
        body = CountingBody(size)
        response = app.test_client().post("/live/new", environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": str(size)},
                                          content_type="application/x-www-form-urlencoded")
        print(f"4. {size // 1024 // 1024} MB urlencoded body, no token: {response.status_code}, "
              f"{body.read_bytes:,} bytes read")

    # 5. Forged attendee ids against a room of 500; guessed room codes.
    app = fresh_app()
    teacher, csrf, code = room(app)
    forger = app.test_client()
    for n in range(520):
        forger.set_cookie("rl_live_id", f"forged{n:010d}", path="/live")
        forger.get(f"/live/{code}")
    seats = app.extensions["live"]["store"].attendees(code)
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "10.0.0.9"  # another phone in the room
    real = browser.get(f"/live/{code}").status_code
    print(f"5. 520 forged ids from one address: {seats} of 500 seats taken; then a real browser: {real}")
    guesser = fresh_app().test_client()
    guessed = [guesser.get(f"/live/{c}{c}{c}{c}{c}").status_code for c in "ABCDEFGHJKMNPQRSTUVWXYZ"[:23]]
    print(f"5. 23 guessed codes from one address: {guessed.count(404)} answered 404 (no such room), "
          f"{guessed.count(429)} 429 (rate-limited)")

    # 6. Numeric answers that are not plain numbers.
    app = fresh_app()
    teacher, csrf, code = room(app, "retry-backoff", "give-up-time")
    accepted = []
    for value in ("1_000", "٣", "1,,,5"):
        who, their = attendee(app, code)
        status = who.post(f"/live/{code}/answer", data={"question": "give-up-time", "answer": value, "csrf_token": their},
                          headers={"HX-Request": "true"}).status_code
        accepted.append(f"{value!r}: {status}")
    print(f"6. numeric answers: {', '.join(accepted)}")


if __name__ == "__main__":
    main()
