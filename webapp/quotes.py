"""Figures a lesson quotes from a demo, rendered from the demo itself so they cannot go stale.

In lesson Markdown (the body and the front matter) a figure is written as

    {{ retry-storm strategies.full.peak_retries_per_bucket }}
    {{ breaker-timeline?rate=1 transitions[2].t_ms / 1000 | .2f }}
    {{ retry-budget@one-retry strategies.retries.offered | .0f }}

that is: the demo state (`demo-id`, optionally `@preset` and/or `?param=value&…` as in a demo URL;
unnamed parameters keep their defaults), a Python expression over the result (its top-level keys are
names, dict keys read as attributes or `["key"]`; `stats["label"]` is a headline figure as shown,
`values` the parameters) and, after `|`, a Python format spec (default: thousands separators, one
decimal for a fraction) or `sig` (two significant digits, never scientific). The lesson is rendered
once, when the app loads it, through `demo_state.resolve`, so a quoted state costs one cached
simulation and pages cost nothing more.
A quote naming an unknown demo, a bad parameter or a missing result key stops the app from
starting, like any other lesson typo.
"""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qsl

QUOTE = re.compile(r"\{\{\s*(?P<state>[a-z0-9-]+(?:@[a-z0-9-]+)?(?:\?[^\s}]*)?)\s+(?P<expr>[^|}]+?)"
                   r"(?:\s*\|\s*(?P<fmt>[^}]*?))?\s*\}\}")
_FUNCTIONS = {"all": all, "any": any, "abs": abs, "min": min, "max": max, "len": len, "sum": sum, "round": round,
              "zip": zip}


class QuoteError(ValueError):
    """A quote that cannot be rendered: its state, its expression or its format is wrong."""


def render(text: str, source: str = "<text>") -> str:
    """`text` with every quote replaced by the figure it names."""
    if "{{" not in text:
        return text
    return QUOTE.sub(lambda m: _render_one(m, source), text)


def quotes_in(text: str) -> list[str]:
    """Every quote in `text`, as written: what a lesson binds to its demos."""
    return [m.group(0) for m in QUOTE.finditer(text)]


def value(state: str, expr: str, source: str = "<text>"):
    """The value an expression names in a demo state's result."""
    demo_state = _state(state, source)
    # One namespace, as globals: a comprehension in the expression sees the result's names too.
    namespace = {"__builtins__": {}, **_FUNCTIONS, **{k: _wrap(v) for k, v in demo_state.result.items()},
                 "stats": dict(demo_state.view.stats), "values": dict(demo_state.values)}
    try:
        return _unwrap(eval(expr, namespace))  # noqa: S307 (lesson files are trusted code)
    except Exception as err:  # noqa: BLE001 (any mistake in a quote is the author's to fix)
        raise QuoteError(f"{source}: quote {state} {expr!r}: {type(err).__name__}: {err}") from None


def format_value(figure, fmt: str | None) -> str:
    if fmt == "sig":  # two significant digits, never in scientific notation: 9.9, 0.14, 0.0020
        if not figure:
            return "0"
        return f"{figure:,.{max(0, 1 - math.floor(math.log10(abs(figure))))}f}"
    if fmt:
        return format(figure, fmt)
    if isinstance(figure, bool) or not isinstance(figure, (int, float)):
        return str(figure)
    if isinstance(figure, float) and not figure.is_integer():
        return f"{figure:,.1f}"
    return f"{int(figure):,}"


def _render_one(match: re.Match, source: str) -> str:
    figure = value(match["state"], match["expr"], source)
    try:
        return format_value(figure, match["fmt"])
    except (ValueError, TypeError) as err:
        raise QuoteError(f"{source}: quote {match.group(0)!r}: {err}") from None


def _state(state: str, source: str):
    from werkzeug.datastructures import MultiDict

    from . import demo_state
    from .demos import load_all

    head, _, query = state.partition("?")
    demo_id, _, preset_name = head.partition("@")
    registry = load_all()  # every topic module, even when only one was imported so far
    if demo_id not in registry:
        raise QuoteError(f"{source}: quote names unknown demo {demo_id!r}")
    demo = registry[demo_id]
    values = demo.params.defaults()
    if preset_name:
        preset = next((p for p in demo.presets if p.name == preset_name), None)
        if preset is None:
            raise QuoteError(f"{source}: demo {demo_id!r} has no preset {preset_name!r}")
        values = demo.preset_values(preset)
    items = dict(demo.params.query_items(values))
    items.update(parse_qsl(query, keep_blank_values=True))
    resolved = demo_state.resolve(demo, MultiDict(items))
    if resolved.error or resolved.failure:
        raise QuoteError(f"{source}: quote state {state!r}: {resolved.error or resolved.failure}")
    return resolved


class _Node:
    """A result dict read as attributes (`a.b.c`) as well as keys, so quotes stay short."""

    __slots__ = ("_data",)

    def __init__(self, data: dict):
        self._data = data

    def __getattr__(self, name):
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise KeyError(f"no key {name!r} (there are {sorted(map(str, self._data))})") from None

    def __getitem__(self, key):
        return _wrap(self._data[key])

    def values(self):
        return [_wrap(v) for v in self._data.values()]

    def keys(self):
        return list(self._data)

    def items(self):
        return [(k, _wrap(v)) for k, v in self._data.items()]


class _Seq:
    """A result list, wrapped item by item only when read (some hold thousands of events)."""

    __slots__ = ("_data",)

    def __init__(self, data):
        self._data = data

    def __getitem__(self, index):
        return _wrap(self._data[index])

    def __iter__(self):
        return map(_wrap, self._data)

    def __len__(self):
        return len(self._data)

    def index(self, item) -> int:
        return self._data.index(item)


def _wrap(x):
    if isinstance(x, dict):
        return _Node(x)
    if isinstance(x, (list, tuple)):
        return _Seq(x)
    return x


def _unwrap(x):
    if isinstance(x, (_Node, _Seq)):
        raise TypeError("the expression names a group of values, not one figure")
    return x
