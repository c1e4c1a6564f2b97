"""Versioned static URLs: `/static/app.css?v=<content hash>`, so files can be cached for a year."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, url_for


def init_app(app: Flask) -> None:
    static = Path(app.static_folder)

    @lru_cache(maxsize=None)
    def version(filename: str) -> str:
        return hashlib.sha256((static / filename).read_bytes()).hexdigest()[:10]

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
