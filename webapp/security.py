"""Security headers on every response, and CSRF protection for every state-changing request.

CSRF uses a double-submit token: a random value in a SameSite cookie, repeated in each POST (a
hidden field, or the X-CSRF-Token header that htmx sends from `hx-headers` on <body>). A page on
another site can make the browser send the cookie but cannot read it to repeat it. The Origin
header, when present, must also be this host.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, g, request

CSRF_COOKIE = "rl_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# Scripts only from this app: no inline script, no eval. plotly.js sets inline styles on the
# elements it draws, so styles keep 'unsafe-inline' (the issue asks scripts to be strict).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors {ancestors}")


def init_app(app: Flask) -> None:
    # Where the app may be embedded in a frame: 'none' by default, or e.g. "'self' https://lms.example"
    app.config.setdefault("FRAME_ANCESTORS", "'none'")

    @app.before_request
    def check_csrf():
        if request.method in SAFE_METHODS:
            return None
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.host:
            abort(403, description="This request came from another site.")
        sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
            abort(403, description="The form's security token is missing or stale: reload the page and try again.")
        return None

    @app.template_global()
    def csrf_token() -> str:
        if "csrf" not in g:
            g.csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        return g.csrf

    @app.after_request
    def headers(response):
        if "csrf" in g and request.cookies.get(CSRF_COOKIE) != g.csrf:
            response.set_cookie(CSRF_COOKIE, g.csrf, samesite="Lax", httponly=True,
                                secure=request.is_secure)
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP.format(ancestors=app.config["FRAME_ANCESTORS"]))
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        if app.config["FRAME_ANCESTORS"] == "'none'":
            h.setdefault("X-Frame-Options", "DENY")  # for browsers that predate frame-ancestors
        return response
