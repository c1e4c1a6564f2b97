"""HTTP caching for pages and demo results, and compression of dynamic responses.

A demo's output is a pure function of (demo, parameters, app version), so fragments, JSON and CSV
may be cached by anyone for a while and revalidated with an ETag. Full pages carry the visitor's
CSRF token, so they are private to the browser (still revalidated with an ETag: a 304 is cheap).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from typing import Callable

import brotli
from flask import Flask, Response, request
from flask_compress import Compress

DEMO_MAX_AGE = 600  # seconds; a deploy changes the version, and the ETag catches the rest
FRAGMENT_CACHE_SIZE = 1024  # rendered fragments of ~5-100 KB: tens of MB at most per process


class Fragment:
    """One rendered fragment, and its compressed forms made on first demand."""

    def __init__(self, html: str):
        self.raw = html.encode()
        self.etag = hashlib.sha1(self.raw).hexdigest()
        self._encoded: dict[str, bytes] = {}

    def response(self, accept_encoding: str) -> Response:
        offered = {part.split(";")[0].strip() for part in accept_encoding.split(",")}
        encoding = "br" if "br" in offered else "gzip" if "gzip" in offered else "identity"
        if encoding not in self._encoded:  # a benign race: two threads may both compress it once
            self._encoded[encoding] = (self.raw if encoding == "identity" else
                                       brotli.compress(self.raw, quality=5) if encoding == "br" else
                                       gzip.compress(self.raw, 6))
        response = Response(self._encoded[encoding], mimetype="text/html")
        if encoding != "identity":
            response.headers["Content-Encoding"] = encoding  # Flask-Compress leaves it alone
        response.vary.add("Accept-Encoding")
        response.set_etag(f"{self.etag}-{encoding}")
        return response


class FragmentCache:
    """A bounded LRU of rendered demo fragments, shared by the threads of one process.

    The simulation results are memoised already (demo_state); rendering their charts into HTML and
    compressing it is most of what is left of a repeated request, so a room on the same preset costs
    one render, not one per attendee.
    """

    def __init__(self, size: int = FRAGMENT_CACHE_SIZE):
        self.size = size
        self._entries: OrderedDict[tuple, Fragment] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, render: Callable[[], str]) -> Fragment:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        fragment = Fragment(render())
        with self._lock:
            self._entries[key] = fragment
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return fragment


FRAGMENTS = FragmentCache()


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "text/csv", "application/json", "text/plain"])
    app.config.setdefault("COMPRESS_STREAMS", False)  # static files compress themselves (assets.py)
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    Compress(app)

    # Registered after Compress, so it runs before it (Flask runs after_request hooks in reverse).
    @app.after_request
    def cache_headers(response):
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or request.endpoint == "static":
            return response
        if request.endpoint and request.endpoint.startswith("demos.") and "HX-Target" not in request.headers:
            response.cache_control.public = True
            response.cache_control.max_age = DEMO_MAX_AGE
            if "HX-Replace-Url" in response.headers or "HX-Push-Url" in response.headers:
                response.vary.update(("HX-Current-URL", "X-History"))  # they depend on the asking page
        else:
            response.cache_control.private = True
            response.cache_control.no_cache = True
        response.add_etag()
        return response.make_conditional(request)
