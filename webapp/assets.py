"""Static files: versioned URLs, cached for a year, compressed once.

`asset("css/app.css")` gives `/static/css/app.css?v=<content hash>`, so a browser (or a proxy in
front) may keep a file forever: a new version is a new URL. Text files are compressed once, on first
request, and kept in memory; plotly.js (1.2 MB) would otherwise cost a compression per download.
"""

from __future__ import annotations

import mimetypes
import threading
from functools import lru_cache
from pathlib import Path

from flask import Flask, abort, request, url_for
from werkzeug.security import safe_join

from .compressed import Encoded

COMPRESSIBLE = {".js", ".css", ".svg", ".txt", ".json", ".html"}
YEAR = 365 * 24 * 3600


def _load(path: Path) -> Encoded:
    """A file's bytes, compressed hard on first demand: it is served for a year."""
    return Encoded(path.read_bytes(), compressible=path.suffix in COMPRESSIBLE, br_quality=9, gzip_level=9)


def init_app(app: Flask) -> None:
    root = Path(app.static_folder)
    files: dict[str, Encoded] = {}
    lock = threading.Lock()

    def load(filename: str) -> Encoded:
        with lock:
            if filename not in files:
                path = safe_join(str(root), filename)
                if path is None or not Path(path).is_file():
                    abort(404, description=f"There is no file “{filename}”.")
                files[filename] = _load(Path(path))
            return files[filename]

    def serve_static(filename: str):
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        response = load(filename).response(request.headers.get("Accept-Encoding", ""), mimetype)
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
