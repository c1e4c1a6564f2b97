"""Every cache is bounded in bytes as well as entries (issue 20): worker memory rose by ~11 MB per
1,000 distinct states, and the shared cache's entry bound alone allowed about 1 GB a worker."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from werkzeug.datastructures import MultiDict

from tests.test_serving import get
from webapp import caching, demo_state
from webapp.compressed import Encoded, RenderCache
from webapp.demo_state import _simulate, freeze
from webapp.demos import REGISTRY, load_all
from webapp.shared_cache import SharedCache
from webapp.sizes import result_size


def test_a_render_cache_drops_the_least_recent_until_its_bytes_fit():
    cache = RenderCache(100, max_bytes=1000, weigh=len)
    for key in "abc":
        cache.get(key, lambda: b"x" * 400)
    assert "a" not in cache and "b" in cache and "c" in cache and cache.nbytes == 800
    cache.get("b", lambda: b"")  # b is now the most recent: d pushes c out, not b
    cache.get("d", lambda: b"y" * 500)
    assert "b" in cache and "c" not in cache and "d" in cache and cache.nbytes == 900


def test_one_value_larger_than_the_bound_is_still_kept_alone():
    cache = RenderCache(100, max_bytes=10, weigh=len)
    assert cache.get("big", lambda: b"x" * 50) == b"x" * 50 and len(cache) == 1


class BigAnswers:
    def __call__(self, environ, start_response):
        start_response("200 OK", [("Cache-Control", "public, max-age=60"), ("Content-Type", "text/plain")])
        return [b"x" * 100_000]


def test_the_shared_cache_is_bounded_in_bytes():
    cache = SharedCache(BigAnswers(), entries=2048, max_bytes=450_000)
    for n in range(10):
        get(cache, query=f"a={n}")
    assert 300_000 < cache.nbytes <= 450_000 and len(cache._urls) == 4


def test_the_app_caches_have_byte_bounds():
    assert demo_state.RESULTS.max_bytes and caching.FRAGMENTS.max_bytes
    assert caching.SHARED_CACHE_BYTES <= 64 * 1024 * 1024
    assert Encoded(b"x" * 1000).nbytes == 1500


@pytest.mark.parametrize("demo_id", ["retry-storm", "bulkhead", "double-charge"])
def test_a_results_estimated_size_is_within_a_factor_of_two_of_its_memory(app, demo_id):
    load_all()
    demo = REGISTRY[demo_id]
    values = freeze(demo.params.parse(MultiDict({"seed": "424242"})))
    gc.collect()
    tracemalloc.start()
    try:
        result = _simulate(demo_id, values)
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held / 2 <= result_size(result) <= held * 2, (result_size(result), held)
