"""HTTP caching for pages and demo results, and compression of dynamic responses.

A demo's output is a pure function of (demo, parameters, app version), so fragments, JSON and CSV
may be cached by anyone for a while and revalidated with an ETag. Full pages carry the visitor's
CSRF token, so they are private to the browser (still revalidated with an ETag: a 304 is cheap).
"""

from __future__ import annotations

from flask import Flask, request
from flask_compress import Compress

from .compressed import RenderCache
from .shared_cache import SharedCache

DEMO_MAX_AGE = 600  # seconds; a deploy changes the version, and the ETag catches the rest
FRAGMENT_CACHE_SIZE = 1024  # rendered fragments of ~5-100 KB
FRAGMENT_CACHE_BYTES = 48 * 1024 * 1024
SHARED_CACHE_ENTRIES = 2048  # whole public answers (mostly compressed fragments of 2-20 KB)
SHARED_CACHE_BYTES = 32 * 1024 * 1024  # was bounded by entries alone: 2,048 x 512 KB is 1 GB a worker


# Rendered demo fragments: the simulation results are memoised already (demo_state); rendering their
# charts into HTML and compressing it is most of what is left of a repeated request, so a room on
# the same preset costs one render, not one per attendee.
FRAGMENTS = RenderCache(FRAGMENT_CACHE_SIZE, FRAGMENT_CACHE_BYTES, lambda encoded: encoded.nbytes)


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "text/csv", "application/json", "text/plain"])
    app.config.setdefault("COMPRESS_STREAMS", False)  # static files compress themselves (assets.py)
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("SHARED_CACHE_ENTRIES", SHARED_CACHE_ENTRIES)
    app.config.setdefault("SHARED_CACHE_BYTES", SHARED_CACHE_BYTES)
    Compress(app)
    if app.config["SHARED_CACHE_ENTRIES"]:
        app.wsgi_app = SharedCache(app.wsgi_app, entries=app.config["SHARED_CACHE_ENTRIES"],
                                   max_bytes=app.config["SHARED_CACHE_BYTES"])

    # Registered after Compress, so it runs before it (Flask runs after_request hooks in reverse).
    @app.after_request
    def cache_headers(response):
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or request.endpoint == "static" \
                or response.cache_control.no_store:
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
