"""Chart building: Plotly figure specs (plain dicts in Plotly's JSON schema) from model data.

Figures are built as dicts rather than `plotly.graph_objects` because validation costs ~10 ms a
figure, which would dominate a slider request; the test suite runs every demo's figures through
`plotly.graph_objects.Figure` instead, so a wrong property still fails loudly. `static/js/app.js`
draws them with plotly.js and applies the page's theme colours.
"""

from __future__ import annotations

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
