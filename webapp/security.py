"""Security headers on every response, and CSRF protection for every state-changing request.

CSRF uses a double-submit token: a random value in a SameSite cookie, repeated in each POST (a
hidden field, or the X-CSRF-Token header that htmx sends from `hx-headers` on <body>). A page on
another site can make the browser send the cookie but cannot read it to repeat it. The Origin
header, when present, must also be this host.

Nothing reads a body before it is known to be small and the request genuine: a body over
MAX_CONTENT_LENGTH (64 KB: the app's largest form is well under 4 KB) is a 413 straight from its
Content-Length (a body without one, chunked, is a 411), and the token is checked from the cookie and the header before the form is parsed,
so a forged 10 MB upload costs its headers, not its body.
"""

from __future__ import annotations

import hmac
import os
import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSRF_COOKIE = "rl_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_CONTENT_LENGTH = 64 * 1024

# Scripts only from this app: no inline script, no eval. plotly.js sets inline styles on the
# elements it draws, so styles keep 'unsafe-inline' (the issue asks scripts to be strict).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors {ancestors}")


def init_app(app: Flask) -> None:
    # Where the app may be embedded in a frame: 'none' by default, or e.g. "'self' https://lms.example"
    app.config.setdefault("FRAME_ANCESTORS", "'none'")
    # Behind one reverse proxy (deploy/nginx.conf), the client's address is the proxy's
    # X-Forwarded-For: the live rate limits count per client, not all as the proxy.
    app.config.setdefault("BEHIND_PROXY", os.environ.get("BEHIND_PROXY", "") not in ("", "0"))
    if app.config["BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    # Flask's own default is None (no limit), so setdefault would not do.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH

    @app.before_request
    def check_csrf():
        limit = app.config["MAX_CONTENT_LENGTH"]
        if limit and (request.content_length or 0) > limit:
            abort(413, description=f"The request body is {request.content_length:,} bytes; "
                                   f"this server takes at most {limit // 1024} KB.")
        if request.content_length is None and request.headers.get("Transfer-Encoding"):
            # Browsers send forms with a length; a body of unknown size would have to be read to be judged.
            abort(411, description="Send the request body with a Content-Length (at most "
                                   f"{limit // 1024} KB), not in chunks.")
        if request.method in SAFE_METHODS:
            return None
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.host:
            abort(403, description="This request came from another site.")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        # The header first: the form (the body) is parsed only for a plain form post with the cookie.
        sent = request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD, "") if cookie else "")
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
