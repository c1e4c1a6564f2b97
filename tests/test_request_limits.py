"""No body is read before it is known to be small and the request genuine (issue 20): 1 MB and 10 MB
bodies were read in full before the CSRF 403."""

from __future__ import annotations

import io

import pytest

from webapp.security import MAX_CONTENT_LENGTH


class Untouchable(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self.read_bytes += len(buffer)
        raise AssertionError("the body was read")


def post(client, path, size, headers=None, cookie=True):
    body = Untouchable(size)
    if cookie:
        client.set_cookie("rl_csrf", "token")
    response = client.post(path, environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": str(size)},
                           content_type="application/x-www-form-urlencoded", headers=headers or {})
    return response, body


@pytest.mark.parametrize("size", [MAX_CONTENT_LENGTH + 1, 1024 * 1024, 10 * 1024 * 1024])
@pytest.mark.parametrize("path", ["/live/new", "/live/ABCDE/answer", "/lessons/fallacies/questions/chain-success"])
def test_an_oversized_body_is_a_413_without_reading_it(client, path, size):
    response, body = post(client, path, size, headers={"X-CSRF-Token": "token"})
    assert response.status_code == 413 and body.read_bytes == 0
    assert "at most 64 KB" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # still one of ours


def test_a_post_without_the_csrf_cookie_is_refused_before_its_body_is_read(client):
    response, body = post(client, "/live/new", 60_000, cookie=False)
    assert response.status_code == 403 and body.read_bytes == 0


def test_the_csrf_header_is_checked_before_the_body_is_read(client):
    response, body = post(client, "/live/new", 60_000, headers={"X-CSRF-Token": "wrong"})
    assert response.status_code == 403 and body.read_bytes == 0


def test_a_body_sent_without_a_length_is_refused_unread(client):
    client.set_cookie("rl_csrf", "token")
    body = Untouchable(0)
    response = client.post("/live/new", environ_overrides={"wsgi.input": body, "wsgi.input_terminated": True},
                           content_type="application/x-www-form-urlencoded",
                           headers={"Transfer-Encoding": "chunked", "X-CSRF-Token": "token"})
    assert response.status_code == 411 and body.read_bytes == 0
    assert "Content-Length" in response.get_data(as_text=True)


def test_a_form_within_the_limit_still_works(client):
    client.get("/live")
    token = client.get_cookie("rl_csrf").value
    response = client.post("/lessons/fallacies/questions/chain-success",
                           data={"csrf_token": token, "answer": "95", "pad": "x" * 30_000}, headers={"HX-Request": "true"})
    assert response.status_code == 200
