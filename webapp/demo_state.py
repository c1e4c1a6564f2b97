"""A demo in one state: its parameters resolved from a query, its result, and the URLs that reach it.

Results are deterministic for (demo, parameters), so they are memoised in a bounded LRU: a room of
learners sitting on the same preset costs one simulation, not one per request.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlencode, urlsplit, parse_qsl

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import ServiceUnavailable

from .compressed import RenderCache
from .demos import REGISTRY, Demo, View
from .params import ParamError
from .sizes import result_size

log = logging.getLogger(__name__)
RESULT_CACHE_SIZE = 512
RESULT_CACHE_BYTES = 64 * 1024 * 1024  # estimated (sizes.py); a large result is ~0.5-3 MB in memory
# When a room asks for a new state together, one request simulates and the others wait for it.
RESULTS = RenderCache(RESULT_CACHE_SIZE, RESULT_CACHE_BYTES, result_size)
# Simulations are CPU-bound and hold the GIL: two in one process only take turns, each slower, and a
# model that releases the GIL often (the SQLite ledger: ~500 queries a run) waits up to a switch
# interval (5 ms) to get it back after every query. So one simulation at a time per process (there
# is a process per core, gunicorn_conf.py); threads answering from the caches do not wait for it.
_SIMULATING = threading.Lock()
# A bounded queue in front of it: the one simulating and at most SIM_QUEUE - 1 waiting, per process.
# Without the bound, 50 heavy new states held every worker thread waiting here, and a cached preset
# (a few ms of work) waited up to 16 s for a thread. Beyond the bound a request is told at once to
# come back (503, Retry-After), and the threads stay free for everything the caches can answer.
SIM_QUEUE = int(os.environ.get("SIM_QUEUE", 2))
_ADMITTED = threading.BoundedSemaphore(SIM_QUEUE)
RETRY_AFTER_S = 2
_PATIENT = threading.local()  # warm() waits for a place instead of being turned away


class SimulationsBusy(ServiceUnavailable):
    """Every place in the simulation queue is taken: a 503 with Retry-After, said kindly (errors.py)."""

    description = ("The server is busy running other learners' simulations. "
                   f"Try again in {RETRY_AFTER_S} seconds: nothing is lost, this state is a link.")

    def __init__(self):
        super().__init__(retry_after=RETRY_AFTER_S)


@dataclass(frozen=True)
class DemoState:
    demo: Demo
    values: dict
    error: ParamError | None = None  # the input could not be used: 400, message in the demo
    failure: str | None = None  # the model or chart raised: the demo says so, the page lives on
    result: dict | None = None
    view: View | None = None

    @property
    def permalink(self) -> str:
        """The standalone demo page in exactly this state."""
        return self.link()

    def link(self, fmt: str = "", values: dict | None = None) -> str:
        query = urlencode(self.demo.params.query_items(self.values if values is None else values))
        return f"/demos/{self.demo.id}" + (f".{fmt}" if fmt else "") + (f"?{query}" if query else "")

    def preset_link(self, preset) -> str:
        return self.link(values=self.demo.preset_values(preset))

    @property
    def preset(self):
        return None if self.error else self.demo.matching_preset(self.values)


def resolve(demo: Demo, query: Mapping, prefix: str = "") -> DemoState:
    try:
        values = demo.params.parse(query, prefix)
    except ParamError as err:
        return DemoState(demo, _best_effort_values(demo, query, prefix), error=err)
    problem = demo.check(values) if demo.check else None
    if problem:
        name, message, allowed = problem
        param = demo.params.by_name[name]
        return DemoState(demo, values, error=ParamError(param, param.to_text(values[name]), message, allowed))
    try:
        result, view = _run(demo.id, freeze(values))
    except SimulationsBusy:
        raise
    except Exception:  # a bug in one demo must not take the page down with it
        log.exception("demo %s failed with %s", demo.id, values)
        return DemoState(demo, values, failure="This demo failed to run with these parameters.")
    return DemoState(demo, values, result=result, view=view)


def warm() -> int:
    """Resolve every demo's defaults and presets, as requests for them would: their results are then
    in the cache before anyone asks. Returns how many states were simulated."""
    states = [(demo, values) for demo in list(REGISTRY.values())
              for values in [demo.params.defaults(), *(demo.preset_values(p) for p in demo.presets)]]
    _PATIENT.wait = True
    try:
        for demo, values in states:
            resolve(demo, MultiDict(demo.params.query_items(values)))
    finally:
        _PATIENT.wait = False
    return len(states)


def _run(demo_id: str, frozen: tuple) -> tuple[dict, View]:
    return RESULTS.get((demo_id, frozen), lambda: _simulate(demo_id, frozen))


def _simulate(demo_id: str, frozen: tuple) -> tuple[dict, View]:
    demo = REGISTRY[demo_id]
    values = dict(frozen)
    if not _ADMITTED.acquire(blocking=getattr(_PATIENT, "wait", False)):
        raise SimulationsBusy()
    try:
        with _SIMULATING:
            result = demo.run(values)
            return result, demo.present(result, values)
    finally:
        _ADMITTED.release()


def freeze(values: dict) -> tuple:
    """Parameter values as a hashable cache key."""
    return tuple(sorted(values.items()))


def _best_effort_values(demo: Demo, query: Mapping, prefix: str) -> dict:
    """Keep every valid value the user sent, so the form redraws as they left it."""
    values = demo.params.defaults()
    for p in demo.params:
        raws = query.getlist(prefix + p.name)
        if len(raws) == 1:
            try:
                values[p.name] = p.parse(raws[0])
            except ParamError:
                pass
    return values


def wants_fragment(request) -> bool:
    """htmx asks for the fragment, except when restoring history: then it needs the whole page."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def replace_url_for(state: DemoState, current_url: str) -> str | None:
    """The address-bar URL after a slider moved, so that every state the learner reaches is a link.

    On the demo's own page that is the permalink; on a lesson page it is the lesson URL with this
    demo's prefixed parameters replaced and the other demos' left as they were.
    """
    parts = urlsplit(current_url)
    if parts.path == f"/demos/{state.demo.id}":
        return state.permalink
    if not parts.path.startswith("/lessons/"):
        return None
    prefix = f"{state.demo.id}."
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith(prefix)]
    mine = state.demo.params.query_items(state.values, prefix=prefix)
    query = urlencode(kept + mine)
    return parts.path + (f"?{query}" if query else "") + f"#demo-{state.demo.id}"
