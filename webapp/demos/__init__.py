"""The demo registry: each demo ties a pure model to its parameters and its presentation.

A `Demo` is declared once, in the module of its topic, and registered here. The web layer only
ever talks to this interface: parse parameters, run the model, present the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..params import ParamSet


@dataclass(frozen=True)
class Chart:
    """A Plotly figure as JSON-ready dict, with a stable DOM id and a text alternative."""

    id: str
    figure: dict
    alt: str


@dataclass(frozen=True)
class Table:
    """The demo's main table: shown under the chart and exported as CSV."""

    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    caption: str = ""


@dataclass(frozen=True)
class View:
    """Everything the result fragment shows; built from a model result by the demo's `present`."""

    verdict: str
    table: Table
    charts: tuple[Chart, ...] = ()
    stats: tuple[tuple[str, str], ...] = ()  # headline figures: (label, value)
    truth: tuple[tuple[str, str, str], ...] = ()  # (quantity, simulated, closed form)
    extra_template: str | None = None  # a demo-specific partial, e.g. an SVG diagram
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Demo:
    id: str
    title: str
    params: ParamSet
    model: Callable[..., dict]  # pure: model(**values) -> plain data
    present: Callable[[dict, dict], View]  # (result, values) -> View
    summary: str = ""
    presets: dict[str, tuple[str, dict]] = field(default_factory=dict)  # name -> (label, values)

    def run(self, values: dict) -> dict:
        return self.model(**values)


REGISTRY: dict[str, Demo] = {}


def register(demo: Demo) -> Demo:
    if demo.id in REGISTRY:
        raise ValueError(f"demo {demo.id!r} registered twice")
    missing = set(demo.params.by_name) ^ set(_model_args(demo.model))
    if missing:
        raise ValueError(f"demo {demo.id!r}: parameters and model arguments differ: {sorted(missing)}")
    REGISTRY[demo.id] = demo
    return demo


def _model_args(model: Callable[..., Any]) -> list[str]:
    import inspect

    return [name for name, p in inspect.signature(model).parameters.items()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


def load_all() -> dict[str, Demo]:
    """Import every topic module so its demos register themselves."""
    from . import backoff  # noqa: F401  (registration is the import's side effect)

    return REGISTRY
