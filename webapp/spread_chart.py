"""The spread over seeds as a Plotly figure: one strip per headline figure, each on its own x axis
(the figures have different units), every seed a dot, the median a bar and this page's run ringed.

Box traces are not in the basic plotly.js bundle the app ships, so a strip of markers it is; the
min, median and max are also printed in the table beside the chart.
"""

from __future__ import annotations

from . import charts
from .spread import Spread

ROW_PX = 84  # per figure: its title, the strip, the tick labels
TITLE_PX, TICKS_PX = 20, 24
TOP_PX, BOTTOM_PX = 28, 8


def figure(spread: Spread) -> dict:
    rows = [(name, f) for name, f in spread.figures.items() if f["min"] is not None]
    n = max(1, len(rows))
    height = TOP_PX + BOTTOM_PX + ROW_PX * n
    span = (1 - (TOP_PX + BOTTOM_PX) / height) / n
    bottom = BOTTOM_PX / height
    traces, layout_axes, annotations = [], {}, []
    for i, (name, f) in enumerate(reversed(rows)):
        k = "" if i == 0 else str(i + 1)
        lo = bottom + i * span + TICKS_PX / height
        hi = bottom + (i + 1) * span - TITLE_PX / height
        seeds = [s for s, v in zip(spread.seeds, f["values"]) if v is not None]
        values = [v for v in f["values"] if v is not None]
        # A small fixed vertical offset per seed keeps equal values from hiding each other.
        jitter = [((j * 7) % 5 - 2) * 0.12 for j in range(len(values))]
        common = {"xaxis": f"x{k}", "yaxis": f"y{k}", "showlegend": i == 0}
        traces.append(charts.markers(values, jitter, "one seed", charts.SERIES[0], size=8, opacity=0.7,
                                     customdata=seeds, hovertemplate="seed %{customdata}: %{x}<extra></extra>",
                                     legendgroup="seed", **common))
        median = charts.markers([f["median"]], [0], "median", charts.SERIES[1], symbol="line-ns-open", size=30,
                                hovertemplate="median %{x}<extra></extra>", legendgroup="median", **common)
        median["marker"]["line"] = {"width": 3, "color": charts.SERIES[1]}
        traces.append(median)
        if spread.this_seed in seeds:
            mine = values[seeds.index(spread.this_seed)]
            traces.append(charts.markers([mine], [jitter[seeds.index(spread.this_seed)]], "this run",
                                         charts.NEUTRAL, symbol="circle-open", size=16,
                                         hovertemplate=f"this run (seed {spread.this_seed}): %{{x}}<extra></extra>",
                                         legendgroup="this", **common))
        layout_axes[f"xaxis{k}"] = {"anchor": f"y{k}", "zeroline": False, "automargin": False, "nticks": 6,
                                    "title": {"text": ""}}
        layout_axes[f"yaxis{k}"] = {"domain": [lo, hi], "range": [-0.5, 0.5], "visible": False,
                                    "fixedrange": True, "automargin": False}
        annotations.append({"text": name, "xref": "paper", "yref": "paper", "x": 0, "y": hi,
                            "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 12}})
    spec = charts.layout(height=height, margin={"t": TOP_PX, "b": BOTTOM_PX, "l": 24, "r": 24},
                         legend={"orientation": "h", "y": 1, "yanchor": "bottom", "x": 0, "xanchor": "left"},
                         annotations=annotations, **layout_axes)
    return charts.figure(traces, spec)


def alt(spread: Spread) -> str:
    parts = [f"{name}: min {f['min']}, median {f['median']}, max {f['max']}"
             for name, f in spread.figures.items() if f["min"] is not None]
    return f"Over {len(spread.seeds)} seeds. " + "; ".join(parts) + "."
