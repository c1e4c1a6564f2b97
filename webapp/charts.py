"""Chart building: Plotly figure specs (plain dicts in Plotly's JSON schema) from model data.

Figures are built as dicts rather than `plotly.graph_objects` because validation costs ~10 ms a
figure, which would dominate a slider request; the test suite runs every demo's figures through
`plotly.graph_objects.Figure` instead, so a wrong property still fails loudly. `static/js/app.js`
draws them with plotly.js and applies the page's theme colours.
"""

from __future__ import annotations

import json

from markupsafe import Markup

# One colour language for outcomes, used by every chart and by the CSS (static/css/app.css keeps
# the same values as custom properties; a test checks they agree). Okabe-Ito: safe for colour-blind.
OUTCOME = {
    "success": "#009E73",   # bluish green
    "failure": "#D55E00",   # vermillion
    "rejected": "#E69F00",  # orange: rejected fast, never reached the dependency
    "waiting": "#56B4E9",   # sky blue: waiting, backing off, queued
}
# Series that are not outcomes (strategies, modes): the rest of the Okabe-Ito palette.
SERIES = ("#0072B2", "#CC79A7", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#999999")
NEUTRAL = "#888888"

MIN_FONT = 11  # no chart text smaller than this (px)
FONT = "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def layout(title: str = "", *, x: str = "", y: str = "", height: int = 320, **extra) -> dict:
    """The shared look: transparent background (the page's theme shows through), tight margins."""
    spec = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "height": height,
        "margin": {"l": 64, "r": 16, "t": 44 if title else 16, "b": 88},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": 13},
        "xaxis": {"title": {"text": x, "standoff": 8}, "zeroline": False, "automargin": True},
        "yaxis": {"title": {"text": y}, "zeroline": False, "rangemode": "tozero", "automargin": True},
        "legend": {"orientation": "h", "y": -0.28, "yanchor": "top", "x": 0, "font": {"size": 12}},
        # Text inside bars shrinks to fit them (7 px on a phone): below 11 px it is hidden instead.
        "uniformtext": {"minsize": MIN_FONT, "mode": "hide"},
        "hovermode": "closest",
        "bargap": 0.05,
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(spec.get(key), dict):
            spec[key] = {**spec[key], **value}
        else:
            spec[key] = value
    return spec


# Significant digits a figure keeps on the page: a 1,000-pixel chart cannot show a fifth, and every
# digit is bytes the browser downloads and parses (hover texts are strings and keep theirs).
PAGE_DIGITS = 4
_FORMAT = f"%.{PAGE_DIGITS}g"
_HTML_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"})


def page_json(figure: dict) -> Markup:
    """A figure as compact JSON for a single-quoted HTML attribute (data-figure='...'): floats cut to
    PAGE_DIGITS significant digits, no spaces, and <, >, & and ' escaped as JSON escapes, so no
    entity is needed (an entity-escaped double-quoted attribute is a third larger)."""
    page = {**figure, "data": [_evenly_spaced(trace) for trace in figure["data"]]}
    text = json.dumps(_rounded(page), separators=(",", ":"), ensure_ascii=False)
    return Markup(text.translate(_HTML_UNSAFE))


def _evenly_spaced(trace: dict) -> dict:
    """A trace whose x values step evenly (a time series, a histogram) as plotly.js's x0 and dx:
    half the numbers of a line or bar chart. Exact: x0 + i * dx gives every x to within 1e-9."""
    x = trace.get("x")
    if trace.get("type") not in ("scatter", "bar") or not isinstance(x, list) or len(x) < 8 \
            or not all(type(v) in (int, float) for v in x):
        return trace
    x0, dx = x[0], x[1] - x[0]
    if dx <= 0 or any(abs(v - (x0 + i * dx)) > 1e-9 * max(1.0, abs(v)) for i, v in enumerate(x)):
        return trace
    out = {k: v for k, v in trace.items() if k != "x"}
    out["x0"], out["dx"] = x0, dx
    return out


def _rounded(value):
    if isinstance(value, dict):
        return {k: v if k in ("x0", "dx") else _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # The bulk of a figure: long lists of numbers, rounded without a call per element.
        return [float(_FORMAT % v) if type(v) is float and v - v == 0
                else v if type(v) in _PLAIN else _rounded(v) for v in value]
    if isinstance(value, float):
        if value - value != 0:
            return None  # NaN or infinite: what JSON.parse accepts; plotly.js leaves a gap
        return float(_FORMAT % value)
    return value


_PLAIN = (int, str, bool, type(None))


def figure(traces: list[dict], spec: dict) -> dict:
    return {"data": traces, "layout": spec}


def bars(x, y, name: str, color: str, **extra) -> dict:
    return {"type": "bar", "x": list(x), "y": list(y), "name": name,
            "marker": {"color": color}, **extra}


def line(x, y, name: str, color: str, *, dash: str = "solid", width: float = 2, **extra) -> dict:
    return {"type": "scatter", "mode": "lines", "x": list(x), "y": list(y), "name": name,
            "line": {"color": color, "dash": dash, "width": width}, **extra}


def markers(x, y, name: str, color: str, *, symbol: str = "circle", size: int = 10, **extra) -> dict:
    return {"type": "scatter", "mode": "markers", "x": list(x), "y": list(y), "name": name,
            "marker": {"color": color, "symbol": symbol, "size": size,
                       "line": {"width": 1, "color": "rgba(0,0,0,0.35)"}}, **extra}


def vband(x0: float, x1: float, color: str, opacity: float = 0.15, label: str = "",
          where: str = "top left") -> dict:
    """A shaded stretch of the x axis (an outage, a trigger window, a breaker state)."""
    shape = {"type": "rect", "xref": "x", "yref": "paper", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
             "fillcolor": color, "opacity": opacity, "line": {"width": 0}, "layer": "below"}
    if label:
        shape["label"] = {"text": label, "textposition": where, "font": {"size": 11}}
    return shape


def vline(x: float, color: str, label: str = "", dash: str = "dash") -> dict:
    shape = {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
             "line": {"color": color, "width": 2, "dash": dash}}
    if label:
        shape["label"] = {"text": label, "textposition": "end", "font": {"size": 11}}
    return shape
