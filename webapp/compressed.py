"""Compress once, serve many: bodies kept in every encoding a browser asks for, and a render cache.

Static files, demo fragments and live-session blocks are all the same bytes for everybody who asks,
so each is rendered and compressed once per process and then handed out.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from typing import Callable

import brotli
from flask import Response


def choose_encoding(accept_encoding: str) -> str:
    """br if the browser takes it (smaller), else gzip, else the bytes as they are."""
    offered = {part.split(";")[0].strip() for part in accept_encoding.split(",")}
    return "br" if "br" in offered else "gzip" if "gzip" in offered else "identity"


def compress(data: bytes, encoding: str, br_quality: int = 5, gzip_level: int = 6) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=br_quality)
    return gzip.compress(data, gzip_level) if encoding == "gzip" else data


class Encoded:
    """One body, and its compressed forms made on first demand."""

    def __init__(self, raw: bytes, *, compressible: bool = True, br_quality: int = 5, gzip_level: int = 6):
        self.raw = raw
        self.etag = hashlib.sha256(raw).hexdigest()[:16]
        self.compressible = compressible
        self.br_quality, self.gzip_level = br_quality, gzip_level
        self._encoded: dict[str, bytes] = {"identity": raw}
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """The bytes it holds once compressed for every browser: compressed forms are a fraction of raw."""
        return len(self.raw) * 3 // 2

    def body(self, encoding: str) -> bytes:
        with self._lock:
            if encoding not in self._encoded:
                self._encoded[encoding] = compress(self.raw, encoding, self.br_quality, self.gzip_level)
            return self._encoded[encoding]

    def response(self, accept_encoding: str, mimetype: str) -> Response:
        """The body in the best encoding the request accepts, with one ETag per encoding."""
        encoding = choose_encoding(accept_encoding) if self.compressible else "identity"
        response = Response(self.body(encoding), mimetype=mimetype)
        if encoding != "identity":
            response.headers["Content-Encoding"] = encoding  # Flask-Compress leaves it alone
        response.vary.add("Accept-Encoding")
        response.set_etag(f"{self.etag}-{encoding}")
        return response


class RenderCache:
    """Built values per key (simulation results, rendered HTML, compressed bytes), in this process,
    least recently used out.

    Keys carry everything the output depends on, so nothing is ever stale. When many requests for a
    new key arrive together (a room following a change), the first builds and the others wait for
    it: one render per key, not one per thread.

    Bounded in entries (`size`) and, when given `max_bytes` and `weigh` (value -> bytes), in bytes:
    the least recently used go until both bounds hold."""

    def __init__(self, size: int, max_bytes: int | None = None, weigh: Callable | None = None):
        self.size, self.max_bytes, self.weigh = size, max_bytes, weigh
        self.nbytes = 0
        self._sizes: dict = {}
        self._items: OrderedDict = OrderedDict()
        self._building: dict = {}
        self._lock = threading.Lock()

    def get(self, key, build: Callable):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            try:
                value = build()
            finally:
                with self._lock:
                    self._building.pop(key, None)
            weight = self.weigh(value) if self.max_bytes and self.weigh else 0
            with self._lock:
                self._items[key] = value
                self._sizes[key] = weight
                self.nbytes += weight
                while len(self._items) > self.size or (self.max_bytes and self.nbytes > self.max_bytes
                                                       and len(self._items) > 1):
                    old, _ = self._items.popitem(last=False)
                    self.nbytes -= self._sizes.pop(old)
        return value

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key) -> bool:
        return key in self._items
