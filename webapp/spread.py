"""The spread over seeds: one demo state run with N consecutive seeds, each headline figure's
distribution and how often each verdict holds.

One run of a stochastic demo is one draw; a learner who sees "stuck" should also see "stuck in 4 of
20 runs". Every seed is resolved like any other state (`demo_state.resolve`), so its simulation is
memoised in the same RESULTS cache and a second look at the same spread simulates nothing.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from .demo_state import RESULTS, DemoState, freeze, resolve
from .params import Param, ParamError
from .spread_figures import SPECS

DEFAULT_SEEDS = 20
MIN_SEEDS = 2
# One htmx request for the spread simulates for about this long, then answers with its progress and
# asks again (the seeds done are cached): no request holds a thread for the whole spread of a heavy
# demo (20 failure-lab runs take ~5 s), and the learner sees it advance.
STEP_BUDGET_S = 1.5


@dataclass(frozen=True)
class Spread:
    seeds: tuple[int, ...]
    figures: dict  # name -> {"values": [...], "min", "median", "max"} (values may hold None)
    verdicts: dict  # verdict -> share of runs (0..1)
    this_seed: int
    failed: tuple[int, ...] = ()  # seeds whose model raised (counted nowhere else)
    pending: int = 0  # seeds not run yet: the step's time budget ran out first
    this_kinds: tuple[str, ...] = ()  # the verdicts this page's own run reached

    @property
    def done(self) -> int:
        return len(self.seeds) + len(self.failed)

    def export(self) -> dict:
        return {"seeds": list(self.seeds), "figures": self.figures, "verdicts": self.verdicts}

    def verdict_counts(self) -> list[tuple[str, int]]:
        """(verdict, runs) with the most frequent first, as a page says it: 'stuck in 4 of 20 runs'."""
        return sorted(((k, round(share * len(self.seeds))) for k, share in self.verdicts.items()),
                      key=lambda kv: (-kv[1], kv[0]))


def supports(demo) -> bool:
    return demo.id in SPECS and "seed" in demo.params.by_name


def max_seeds(demo) -> int:
    return SPECS[demo.id].max_seeds


def spread_param(demo) -> Param:
    """`spread` is validated like a declared parameter, so its 400 reads like every other one."""
    return Param("spread", "Seeds to run", DEFAULT_SEEDS, "How many consecutive seeds to run, from this state's seed.",
                 "int", min=MIN_SEEDS, max=max_seeds(demo))


def parse_count(demo, raw: str) -> int:
    """The number of seeds asked for; raises ParamError naming `spread` and its allowed range."""
    return spread_param(demo).parse(raw)


def seeds_for(demo, seed: int, n: int) -> tuple[int, ...]:
    """n consecutive seeds starting at this state's, shifted down if they would pass the seed's max."""
    top = int(demo.params.by_name["seed"].max)
    start = min(seed, top - n + 1)
    return tuple(range(start, start + n))


def compute(state: DemoState, n: int, budget_s: float | None = None) -> Spread:
    """The spread over n seeds; with `budget_s`, stop starting new seeds once that much time has
    gone (at least one seed always runs), and say how many are still pending."""
    demo, spec = state.demo, SPECS[state.demo.id]
    seeds = seeds_for(demo, state.values["seed"], n)
    rows, failed = [], []
    started, simulated = time.perf_counter(), False
    for i, seed in enumerate(seeds):
        values = {**state.values, "seed": seed}
        cached = (demo.id, freeze(values)) in RESULTS
        if budget_s is not None and simulated and not cached and time.perf_counter() - started > budget_s:
            return Spread(tuple(s for s, _, _ in rows), {}, {}, state.values["seed"], tuple(failed), len(seeds) - i)
        simulated = simulated or not cached  # each step runs at least one new seed: it always advances
        run = resolve(demo, MultiDict(demo.params.query_items(values)))
        if run.result is None:
            failed.append(seed)
            continue
        rows.append((seed, spec.figures(run.result, values), spec.kinds(run.result, values)))
    names = list(dict.fromkeys(name for _, figs, _ in rows for name in figs))
    figures = {name: _summary([figs.get(name) for _, figs, _ in rows]) for name in names}
    counted = len(rows) or 1
    kinds = [kind for _, _, ks in rows for kind in ks]
    verdicts = {kind: round(kinds.count(kind) / counted, 4) for kind in dict.fromkeys(kinds)}
    mine = next((ks for seed, _, ks in rows if seed == state.values["seed"]), ())
    return Spread(tuple(s for s, _, _ in rows), figures, verdicts, state.values["seed"], tuple(failed), 0, tuple(mine))


def _summary(values: list) -> dict:
    numbers = [v for v in values if v is not None]
    if not numbers:
        return {"values": values, "min": None, "median": None, "max": None}
    return {"values": values, "min": min(numbers), "median": statistics.median(numbers), "max": max(numbers)}


__all__ = ["Spread", "compute", "supports", "parse_count", "ParamError", "DEFAULT_SEEDS"]
