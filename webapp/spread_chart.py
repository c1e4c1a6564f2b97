"""The spread over seeds as a Plotly figure: one strip per headline figure, each on its own x axis
(the figures have different units), every seed a dot, the median a bar and this page's run ringed.

Box traces are not in the basic plotly.js bundle the app ships, so a strip of markers it is; the
min, median and max are also printed in the table beside the chart.
"""

from __future__ import annotations

from . import charts
from .spread import Spread

ROW_PX = 64
TOP_PX, BOTTOM_PX = 36, 40


def figure(spread: Spread) -> dict:
    rows = [(name, f) for name, f in spread.figures.items() if f["min"] is not None]
    n = max(1, len(rows))
    height = TOP_PX + BOTTOM_PX + ROW_PX * n
    gap = 0.5 * ROW_PX / height  # room for each strip's title above it
    span = (1 - (TOP_PX + BOTTOM_PX) / height) / n
    bottom = BOTTOM_PX / height
    traces, layout_axes, annotations = [], {}, []
    for i, (name, f) in enumerate(reversed(rows)):
        k = "" if i == 0 else str(i + 1)
        lo = bottom + i * span
        seeds = [s for s, v in zip(spread.seeds, f["values"]) if v is not None]
        values = [v for v in f["values"] if v is not None]
        # A small fixed vertical offset per seed keeps equal values from hiding each other.
        jitter = [((j * 7) % 5 - 2) * 0.12 for j in range(len(values))]
        common = {"xaxis": f"x{k}", "yaxis": f"y{k}", "showlegend": i == 0}
        traces.append(charts.markers(values, jitter, "one seed", charts.SERIES[0], size=8, opacity=0.7,
                                     customdata=seeds, hovertemplate="seed %{customdata}: %{x}<extra></extra>",
                                     legendgroup="seed", **common))
        traces.append(charts.markers([f["median"]], [0], "median", charts.SERIES[1], symbol="line-ns-open",
                                     size=26, hovertemplate="median %{x}<extra></extra>", legendgroup="median",
                                     **common))
        if spread.this_seed in seeds:
            mine = values[seeds.index(spread.this_seed)]
            traces.append(charts.markers([mine], [jitter[seeds.index(spread.this_seed)]], "this run",
                                         charts.NEUTRAL, symbol="circle-open", size=16,
                                         hovertemplate=f"this run (seed {spread.this_seed}): %{{x}}<extra></extra>",
                                         legendgroup="this", **common))
        layout_axes[f"xaxis{k}"] = {"anchor": f"y{k}", "zeroline": False, "automargin": True, "nticks": 6}
        layout_axes[f"yaxis{k}"] = {"domain": [lo, lo + span - gap], "range": [-0.5, 0.5], "visible": False,
                                    "fixedrange": True}
        annotations.append({"text": name, "xref": "paper", "yref": "paper", "x": 0, "y": lo + span - gap,
                            "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 12}})
    spec = charts.layout(height=height, margin={"t": TOP_PX, "b": BOTTOM_PX, "l": 16},
                         legend={"orientation": "h", "y": 1, "yanchor": "bottom", "x": 1, "xanchor": "right"},
                         annotations=annotations, **layout_axes)
    return charts.figure(traces, spec)


def alt(spread: Spread) -> str:
    parts = [f"{name}: min {f['min']}, median {f['median']}, max {f['max']}"
             for name, f in spread.figures.items() if f["min"] is not None]
    return f"Over {len(spread.seeds)} seeds. " + "; ".join(parts) + "."
