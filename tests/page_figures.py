"""Reading a chart back from a page as the browser does: the JSON of its data-figure attribute
(webapp/charts.py page_json), with an evenly spaced x sent as x0 and dx expanded to its values."""

from __future__ import annotations

import json
import re
from html import unescape


def page_figure(html: str, chart_id: str) -> dict:
    match = re.search(rf"""id="{chart_id}" data-figure='([^']*)'""", html)
    assert match, chart_id
    return expand(json.loads(unescape(match.group(1))))


def expand(figure: dict) -> dict:
    for trace in figure["data"]:
        if "x0" in trace and "x" not in trace:
            n = len(trace.get("y") or [])
            x0, dx = trace.pop("x0"), trace.pop("dx")
            trace["x"] = [x0 + i * dx for i in range(n)]
    return figure
