"""The demo registry: each demo ties a pure model to its parameters and its presentation.

A `Demo` is declared once, in the module of its topic, and registered here. The web layer only
ever talks to this interface: parse parameters, run the model, present the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..charts import page_json
from ..params import ParamSet


@dataclass(frozen=True)
class Chart:
    """A Plotly figure as JSON-ready dict, with a stable DOM id and a text alternative."""

    id: str
    figure: dict
    alt: str

    @property
    def page_json(self):
        """The figure as the page carries it (charts.page_json: compact, rounded, attribute-safe)."""
        return page_json(self.figure)


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
class Preset:
    """A named state of a demo, declared next to its parameters: a link a workshop can use."""

    name: str  # the URL-safe key
    label: str
    values: dict  # only the parameters that differ from the defaults
    note: str = ""  # one line on what this state shows


@dataclass(frozen=True)
class Demo:
    id: str
    title: str
    params: ParamSet
    model: Callable[..., dict]  # pure: model(**values) -> plain data
    present: Callable[[dict, dict], View]  # (result, values) -> View
    summary: str = ""
    presets: tuple[Preset, ...] = ()
    # Values that are each in range but contradict each other: check(values) -> None, or
    # (parameter to blame, problem, what is allowed) for a 400 like any other bad parameter.
    check: Callable[[dict], tuple[str, str, str] | None] | None = None

    def run(self, values: dict) -> dict:
        return self.model(**values)

    def preset_values(self, preset: Preset) -> dict:
        return {**self.params.defaults(), **preset.values}

    def matching_preset(self, values: dict) -> Preset | None:
        """The preset this state is, ignoring the seed unless the preset sets one."""
        for preset in self.presets:
            wanted = self.preset_values(preset)
            if all(values[k] == v for k, v in wanted.items() if k != "seed" or "seed" in preset.values):
                return preset
        return None


REGISTRY: dict[str, Demo] = {}


def register(demo: Demo) -> Demo:
    if demo.id in REGISTRY:
        raise ValueError(f"demo {demo.id!r} registered twice")
    missing = set(demo.params.by_name) ^ set(_model_args(demo.model))
    if missing:
        raise ValueError(f"demo {demo.id!r}: parameters and model arguments differ: {sorted(missing)}")
    for preset in demo.presets:  # a preset is parsed like a URL would be, so it can't hold a bad value
        for name, value in preset.values.items():
            param = demo.params.by_name[name]
            if param.parse(param.to_text(value)) != value:
                raise ValueError(f"demo {demo.id!r}, preset {preset.name!r}: {name}={value!r} does not round-trip")
    REGISTRY[demo.id] = demo
    return demo


def _model_args(model: Callable[..., Any]) -> list[str]:
    import inspect

    return [name for name, p in inspect.signature(model).parameters.items()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


def load_all() -> dict[str, Demo]:
    """Import every topic module in this package: each registers its demos as it is imported."""
    import importlib
    import pkgutil

    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}")
    return REGISTRY
