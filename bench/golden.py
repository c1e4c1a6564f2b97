"""Golden outputs: what every model returns, and what every result shows, for a fixed set of states.

A refactor that must not change what learners see saves the goldens first and compares after:

    .venv/bin/python bench/golden.py save /tmp/golden.json     # on the commit before
    .venv/bin/python bench/golden.py compare /tmp/golden.json  # on the commit after

The states are each demo's defaults, every preset and 8 random slider states (the load benchmark's,
so one or two parameters moved and a random seed). "model" is the model's plain data; "view" is what
its `present` makes of it (verdict, table, headline figures, truth box, chart alt texts): a model
change shows in both, a presentation change only in "view". Exit status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import slider_paths  # noqa: E402
from webapp.demos import REGISTRY, load_all  # noqa: E402

RANDOM_STATES = 8


def states(demo) -> list[tuple[str, dict]]:
    out = [("defaults", demo.params.defaults())]
    out += [(f"preset {p.name}", demo.preset_values(p)) for p in demo.presets]
    rng = random.Random(f"golden-{demo.id}")
    paths = [p for p in slider_paths(rng, RANDOM_STATES * len(REGISTRY) * 4) if p.startswith(f"/demos/{demo.id}?")]
    for path in paths[:RANDOM_STATES]:
        query = MultiDict(parse_qsl(path.split("?", 1)[1]))
        out.append((f"random {path.split('?', 1)[1]}", demo.params.parse(query)))
    return out


def view_data(view) -> dict:
    return {"verdict": view.verdict, "table": [list(view.table.columns), [list(r) for r in view.table.rows]],
            "stats": [list(s) for s in view.stats], "truth": [list(t) for t in view.truth],
            "charts": [c.alt for c in view.charts]}


def collect(only: str | None) -> dict:
    load_all()
    golden = {}
    for demo_id, demo in sorted(REGISTRY.items()):
        if only and demo_id != only:
            continue
        for name, values in states(demo):
            result = demo.run(values)
            golden[f"{demo_id} | {name}"] = {
                "model": json.loads(json.dumps(result, sort_keys=True, default=repr)),
                "view": json.loads(json.dumps(view_data(demo.present(result, values)), default=repr)),
            }
    return golden


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=["save", "compare"])
    ap.add_argument("path")
    ap.add_argument("--demo", help="only this demo id")
    args = ap.parse_args()
    now = collect(args.demo)
    if args.action == "save":
        Path(args.path).write_text(json.dumps(now, sort_keys=True))
        print(f"saved {len(now)} states of {len({k.split(' | ')[0] for k in now})} demos to {args.path}")
        return 0
    before = json.loads(Path(args.path).read_text())
    differ = {"model": [], "view": []}
    for key in sorted(set(before) | set(now)):
        if key not in before or key not in now:
            differ["model"].append(key)
            continue
        for part in differ:
            if before[key][part] != now[key][part]:
                differ[part].append(key)
    for part, keys in differ.items():
        print(f"{part}: {len(keys)} of {len(now)} states differ")
        for key in keys[:20]:
            print(f"  {key[:160]}")
    return 1 if any(differ.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
