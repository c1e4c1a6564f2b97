"""Static files: versioned URLs, cached for a year, compressed once.

`asset("css/app.css")` gives `/static/css/app.css?v=<content hash>`, so a browser (or a proxy in
front) may keep a file forever: a new version is a new URL. Text files are compressed once, on first
request, and kept in memory; plotly.js (1.2 MB) would otherwise cost a compression per download.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from functools import lru_cache
from pathlib import Path

import brotli
from flask import Flask, Response, abort, request, url_for
from werkzeug.security import safe_join

COMPRESSIBLE = {".js", ".css", ".svg", ".txt", ".json", ".html"}
YEAR = 365 * 24 * 3600


class StaticFile:
    """One file's bytes in each encoding, built lazily."""

    def __init__(self, path: Path):
        self.raw = path.read_bytes()
        self.etag = hashlib.sha256(self.raw).hexdigest()[:16]
        self.mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.compressible = path.suffix in COMPRESSIBLE
        self._encoded: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def body(self, encoding: str) -> bytes:
        if encoding == "identity":
            return self.raw
        with self._lock:
            if encoding not in self._encoded:
                self._encoded[encoding] = (brotli.compress(self.raw, quality=9) if encoding == "br"
                                           else gzip.compress(self.raw, 9))
            return self._encoded[encoding]


def _encoding_for(accept: str, compressible: bool) -> str:
    if not compressible:
        return "identity"
    offered = {part.split(";")[0].strip() for part in accept.split(",")}
    return "br" if "br" in offered else "gzip" if "gzip" in offered else "identity"


def init_app(app: Flask) -> None:
    root = Path(app.static_folder)
    files: dict[str, StaticFile] = {}
    lock = threading.Lock()

    def load(filename: str) -> StaticFile:
        with lock:
            if filename not in files:
                path = safe_join(str(root), filename)
                if path is None or not Path(path).is_file():
                    abort(404, description=f"There is no file “{filename}”.")
                files[filename] = StaticFile(Path(path))
            return files[filename]

    def serve_static(filename: str):
        f = load(filename)
        encoding = _encoding_for(request.headers.get("Accept-Encoding", ""), f.compressible)
        response = Response(f.body(encoding), mimetype=f.mimetype)
        response.set_etag(f"{f.etag}-{encoding}")
        if encoding != "identity":
            response.headers["Content-Encoding"] = encoding
        response.vary.add("Accept-Encoding")
        # Versioned URLs never change; an unversioned one (a bookmark, a font from CSS) may.
        response.cache_control.public = True
        response.cache_control.max_age = YEAR if "v" in request.args else 3600
        if "v" in request.args:
            response.cache_control.immutable = True
        return response.make_conditional(request)

    # Replace Flask's own static route with ours, under the same endpoint name for url_for.
    app.view_functions["static"] = serve_static

    @lru_cache(maxsize=None)
    def version(filename: str) -> str:
        return load(filename).etag[:10]

    @app.template_global()
    def asset(filename: str) -> str:
        return url_for("static", filename=filename, v=version(filename))

    @app.template_filter()
    def thousands(value):
        """1500 -> '1,500'; text passes through."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value
        if isinstance(value, int) or value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"
