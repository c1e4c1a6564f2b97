"""gunicorn's gthread worker, with each request read in full before it takes a thread.

Stock gthread hands a new connection to a worker thread at once, and the thread then blocks reading
its headers with no read timeout: 17 clients that open a connection and never finish their headers
(phones on bad Wi-Fi leave exactly such connections) held all 16 threads of `make serve`, and the
server stopped answering. Here the worker's event loop reads every request itself, without blocking,
until its headers and a small body (up to the app's 64 KB limit) have arrived, and only then gives it
to a thread, which finds every byte already there. A request still incomplete after
REQUEST_TIMEOUT_S is closed. Once in a thread, the socket has a timeout too, so a client that stops
reading its answer cannot hold the thread for longer than that. This is what a buffering proxy
(nginx) does in front of an app server; on a laptop `make serve` needs nothing but Python for it.

gunicorn also answers malformed requests itself (400, 414 URI too long, 431), before the app and
its header hooks: those answers get the app's security headers here too.

Use: `worker_class = "webapp.gunicorn_worker.BufferingThreadWorker"` (webapp/gunicorn_conf.py).
"""

from __future__ import annotations

import errno
import html
import os
import re
import selectors
import time
from collections import deque
from functools import partial

from gunicorn import util
from gunicorn.workers.gthread import TConn, ThreadWorker

# Headers and body must arrive within this, as nginx's client_header_timeout (the tests shorten it).
REQUEST_TIMEOUT_S = float(os.environ.get("REQUEST_TIMEOUT_S", 10))
SOCKET_TIMEOUT_S = 10.0  # a thread's reads and writes on a connection
MAX_BUFFER = 96 * 1024  # read at most this much before handing over (gunicorn then judges the request)
BODY_BUFFER = 64 * 1024  # bodies up to the app's MAX_CONTENT_LENGTH are read here; larger ones get their 413 at once
HEADERS_END = b"\r\n\r\n"
CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d+)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)


class BufferedConn(TConn):
    """A connection whose next request may already be read, waiting in `pending` for the parser."""

    def __init__(self, *args):
        super().__init__(*args)
        self.pending = b""
        self.deadline = 0.0

    def init(self):
        super().init()
        if self.pending:  # what the event loop read: the parser takes it before reading the socket
            self.parser.unreader.unread(self.pending)
            self.pending = b""
        self.sock.settimeout(SOCKET_TIMEOUT_S)

    def request_complete(self) -> bool:
        end = self.pending.find(HEADERS_END)
        if end < 0:
            return len(self.pending) >= MAX_BUFFER  # oversized headers: gunicorn answers 431 at once
        length = CONTENT_LENGTH.search(self.pending, 0, end + 2)
        if length is None or int(length.group(1)) > BODY_BUFFER:
            return True
        return len(self.pending) >= end + len(HEADERS_END) + int(length.group(1))


# What webapp/security.py sets on every answer of the app, for the answers gunicorn writes itself.
ERROR_HEADERS = ("Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
                 "X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\nReferrer-Policy: same-origin\r\n")


def write_error(sock, status_int, reason, mesg):
    """gunicorn.util.write_error, with the security headers (its markup, escaped the same way)."""
    body = (f"<html><head><title>{reason}</title></head><body><h1>{reason}</h1>"
            f"{html.escape(mesg)}</body></html>").encode("latin1", "replace")
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: text/html\r\n"
            f"Content-Length: {len(body)}\r\n{ERROR_HEADERS}\r\n").encode("latin1")
    util.write_nonblock(sock, head + body)


class BufferingThreadWorker(ThreadWorker):
    """ThreadWorker whose event loop reads each request before a thread is committed to it."""

    def init_process(self):
        util.write_error = write_error  # this worker process only; Worker.handle_error calls util.write_error
        super().init_process()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reading: deque[BufferedConn] = deque()  # oldest deadline first

    def accept(self, listener):
        try:
            sock, addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._read_request(BufferedConn(self.cfg, sock, addr, listener.getsockname()))

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection sends its next request: read it here too, not in a thread."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._read_request(conn)

    def _read_request(self, conn: BufferedConn) -> None:
        conn.sock.setblocking(False)
        conn.deadline = time.monotonic() + REQUEST_TIMEOUT_S
        self.reading.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn: BufferedConn, sock) -> None:
        try:
            data = sock.recv(MAX_BUFFER)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away before finishing its request
            self._drop(conn)
            return
        conn.pending += data
        if conn.request_complete():
            self.poller.unregister(sock)
            self.reading.remove(conn)
            conn.data_ready = True  # ThreadWorker.handle must not wait for data that is already read
            self.enqueue_req(conn)

    def _drop(self, conn: BufferedConn) -> None:
        try:
            self.poller.unregister(conn.sock)
        except (OSError, KeyError, ValueError):
            pass
        self.reading.remove(conn)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self):
        super().murder_pending()
        now = time.monotonic()
        while self.reading and self.reading[0].deadline <= now:
            self._drop(self.reading[0])

    def run(self):
        try:
            super().run()
        finally:
            while self.reading:
                self._drop(self.reading[0])
