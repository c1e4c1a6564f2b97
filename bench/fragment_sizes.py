"""Result fragment size (bytes before compression) and plotted points per chart, per demo, at the
defaults and with every parameter at its maximum: the browser parses and draws all of it.

    .venv/bin/python bench/fragment_sizes.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout, whatever is installed

from bench.demo_times import max_values  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.demo_state import resolve  # noqa: E402
from webapp.demos import REGISTRY  # noqa: E402


def plotted_points(figure: dict) -> int:
    """Every x of every trace (a bar, a marker, a line vertex), the count plotly.js has to draw."""
    total = 0
    for trace in figure["data"]:
        xs = trace.get("x") or trace.get("y") or trace.get("values") or []
        total += len(xs)
    return total


def measure(client, demo_id: str, query: dict) -> tuple[int, int]:
    response = client.get(f"/demos/{demo_id}", query_string=query, headers={"HX-Request": "true"})
    assert response.status_code == 200, (demo_id, query, response.status_code)
    return len(response.data), max_points(demo_id, query)


def max_points(demo_id: str, query: dict) -> int:
    state = resolve(REGISTRY[demo_id], MultiDict(query))
    return max((plotted_points(c.figure) for c in state.view.charts), default=0)


def main() -> None:
    app = create_app({"SHARED_CACHE_ENTRIES": 0})
    client = app.test_client()
    print(f"{'demo':24} {'default KB':>10} {'points':>7} {'maximum KB':>10} {'points':>7}")
    with app.app_context():
        for demo_id in sorted(REGISTRY):
            d_size, d_points = measure(client, demo_id, {})
            m_size, m_points = measure(client, demo_id, max_values(REGISTRY[demo_id]))
            print(f"{demo_id:24} {d_size / 1000:10.1f} {d_points:7d} {m_size / 1000:10.1f} {m_points:7d}")


if __name__ == "__main__":
    main()
