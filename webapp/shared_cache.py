"""An HTTP cache in front of Flask: what a caching proxy would do for a workshop, without the proxy.

A room following an instructor asks for the same few demo states again and again. Those responses
are marked `Cache-Control: public` (webapp/caching.py), so any shared cache may keep them. This one
keeps them in memory and answers a repeat without running Flask at all: routing, parameter parsing
and a dozen header hooks are most of what a repeated request costs once its result is cached.

It keeps to HTTP's rules for a shared cache: only public 200 answers to GET that set no cookie, for
their max-age, keyed on the URL and on the request headers the answer Varies on. A conditional or
no-cache request goes through to the app (which answers 304 or refreshes the entry).
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)=(\d+)")
PASS_THROUGH = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE", "HTTP_AUTHORIZATION")


@dataclass(frozen=True)
class _Stored:
    vary: tuple[tuple[str, str], ...]  # (WSGI environ key, value) of every header the answer varies on
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    stored_at: float
    max_age: int

    @property
    def nbytes(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200  # + the objects around them

    def serves(self, environ: dict, now: float) -> bool:
        return now - self.stored_at < self.max_age and all(environ.get(k, "") == v for k, v in self.vary)


class SharedCache:
    """WSGI middleware: `app.wsgi_app = SharedCache(app.wsgi_app, entries=...)`."""

    def __init__(self, app, entries: int = 2048, max_body: int = 512 * 1024, clock=time.monotonic,
                 max_bytes: int = 32 * 1024 * 1024):
        self.app, self.entries, self.max_body, self.clock = app, entries, max_body, clock
        self.max_bytes = max_bytes
        self._urls: OrderedDict[tuple[str, str], list[_Stored]] = OrderedDict()  # least recent first
        self._count = 0
        self.nbytes = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response):
        if environ.get("REQUEST_METHOD") != "GET" or any(k in environ for k in PASS_THROUGH):
            return self.app(environ, start_response)
        url = (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
        now = self.clock()
        refresh = "no-cache" in environ.get("HTTP_CACHE_CONTROL", "") or "no-cache" in environ.get("HTTP_PRAGMA", "")
        if not refresh:
            hit = self._lookup(url, environ, now)
            if hit:
                start_response(hit.status, [*hit.headers, ("Age", str(int(now - hit.stored_at)))])
                return [hit.body]

        answer = {}

        def capture(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        max_age = _storable(answer.get("status", ""), answer.get("headers", []))
        if max_age is None:
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        if len(data) <= self.max_body:
            self._store(url, _Stored(_vary_key(answer["headers"], environ), answer["status"],
                                     list(answer["headers"]), data, now, max_age))
        return [data]

    def _lookup(self, url: tuple[str, str], environ: dict, now: float) -> _Stored | None:
        with self._lock:
            for stored in self._urls.get(url, ()):
                if stored.serves(environ, now):
                    self._urls.move_to_end(url)
                    return stored
        return None

    def _store(self, url: tuple[str, str], stored: _Stored) -> None:
        with self._lock:
            old = self._urls.pop(url, [])
            kept = [s for s in old if s.vary != stored.vary and stored.stored_at - s.stored_at < s.max_age]
            self._count += len(kept) + 1 - len(old)
            self.nbytes += sum(s.nbytes for s in kept) + stored.nbytes - sum(s.nbytes for s in old)
            self._urls[url] = kept + [stored]
            while (self._count > self.entries or self.nbytes > self.max_bytes) and len(self._urls) > 1:
                _, dropped = self._urls.popitem(last=False)
                self._count -= len(dropped)
                self.nbytes -= sum(s.nbytes for s in dropped)


def _storable(status: str, headers: list[tuple[str, str]]) -> int | None:
    """The answer's max-age if a shared cache may keep it, else None."""
    if not status.startswith("200"):
        return None
    fields = {}
    for name, value in headers:
        fields.setdefault(name.lower(), []).append(value)
    control = ",".join(fields.get("cache-control", [])).lower()
    vary = ",".join(fields.get("vary", []))
    if "set-cookie" in fields or "public" not in control or "private" in control or "no-store" in control \
            or "no-cache" in control or "*" in vary:
        return None
    match = MAX_AGE.search(control)
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def _vary_key(headers: list[tuple[str, str]], environ: dict) -> tuple[tuple[str, str], ...]:
    names = {n.strip().upper().replace("-", "_") for name, value in headers if name.lower() == "vary"
             for n in value.split(",") if n.strip()}
    keys = sorted("HTTP_" + n for n in names)
    return tuple((k, environ.get(k, "")) for k in keys)
