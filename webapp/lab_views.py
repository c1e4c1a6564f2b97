"""The failure lab's own pages: /lab (one configuration) and /lab/compare (two, on the same traffic).

The lab is the registered demo "failure-lab" (webapp/demos/lab.py), so /demos/failure-lab… keeps the
URL contract of every demo; these pages add what a hundred settings need: controls grouped per edge,
service and fault, the service graph drawn on the server, the "what went wrong" account, a
comparison, and a 400 that names the edge and the setting when a configuration contradicts itself.
Parameters, parsing, caching of results and the result fragment are the demo system's own
(demo_state.resolve, templates/demo/_result.html).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request

from .demo_state import DemoState, resolve, wants_fragment
from .demos import REGISTRY
from .sims import lab as lab_model

lab = Blueprint("lab", __name__)

DEMO_ID = "failure-lab"
SIDES = ("a", "b")


def _demo():
    return REGISTRY[DEMO_ID]


@dataclasses.dataclass(frozen=True)
class LabState(DemoState):
    """A DemoState whose links lead to the lab's pages rather than the generic demo page."""

    def link(self, fmt: str = "", values: dict | None = None) -> str:
        query = urlencode(self.demo.params.query_items(self.values if values is None else values))
        path = "/lab" + (f".{fmt}" if fmt else "")
        return path + (f"?{query}" if query else "")

    @property
    def config_error(self) -> dict | None:
        """The edge and setting behind a configuration that contradicts itself (sims.lab.check).
        The demo's check already made it a 400 like any bad parameter; this adds what the lab shows."""
        if self.error is None:
            return None
        problem = lab_model.check(self.values)
        return problem if problem and problem["param"] == self.error.param.name else None

    @property
    def bad(self) -> bool:
        return bool(self.error or self.failure)

    @property
    def for_result(self) -> "LabState":
        """The same state for templates/demo/_result.html, without its presets bar: the lab shows
        its scenarios above the graph instead."""
        return dataclasses.replace(self, demo=dataclasses.replace(self.demo, presets=()))

    @property
    def scenario(self):
        return None if self.bad else self.demo.matching_preset(self.values)


def lab_state(query, prefix: str = "") -> LabState:
    state = resolve(_demo(), query, prefix)
    return LabState(**{f.name: getattr(state, f.name) for f in dataclasses.fields(DemoState)})


def _context(state: LabState) -> dict:
    from .demos import lab as lab_demo

    bad = _bad_param(state)
    return {"state": state, "demo": state.demo, "groups": lab_demo.GROUPS, "form_values": state.values,
            "scenarios": state.demo.presets, "lab_page": True, "bad_param": bad,
            "lab_param": lab_param, "lab_changed": lab_changed,
            "compare_href": compare_url(state.values, state.values),
            "plain_href": state.link().replace("/lab", f"/demos/{DEMO_ID}", 1)}


def lab_param(name: str, side: str = ""):
    """The parameter with the short label its fieldset needs ("Timeout" under "gateway→search"), and
    on the compare page its side's prefix in the name."""
    from .demos import lab as lab_demo

    p = _demo().params.by_name[name]
    return dataclasses.replace(p, label=lab_demo.SHORT_LABEL[name], name=f"{side}.{name}" if side else name)


def lab_changed(values: dict, names) -> bool:
    """Does this fieldset differ from the defaults? (Changed fieldsets open, so a scenario shows what it set.)"""
    defaults = _demo().params.defaults()
    return any(values.get(n, defaults[n]) != defaults[n] for n in names)


@lab.get("/lab")
def page():
    state = lab_state(request.args)
    status = 400 if state.bad else 200
    ctx = _context(state)
    if wants_fragment(request):
        whole = request.headers.get("HX-Target") == f"demo-{DEMO_ID}"
        html = render_template("lab/_lab.html" if whole else "lab/_result.html", **ctx)
        response = Response(html, status)
        if not state.error:  # a scenario or reset is a step Back should undo (X-History: push)
            push = request.headers.get("X-History") == "push"
            response.headers["HX-Push-Url" if push else "HX-Replace-Url"] = state.permalink
        return _vary(response)
    return _vary(Response(render_template("lab/page.html", **ctx), status))


@lab.get("/lab.json")
def as_json():
    state = lab_state(request.args)
    if state.config_error:
        err = state.config_error
        return jsonify(error=err["message"], param=err["param"], edge=err["edge"], setting=err["setting"]), 400
    if state.error:
        return jsonify(error=str(state.error), param=state.error.param.name, allowed=state.error.allowed), 400
    if state.failure:
        return jsonify(error=state.failure), 500
    return jsonify(demo=DEMO_ID, params=state.demo.params.export(state.values), result=state.result)


@lab.get("/lab.csv")
def as_csv():
    state = lab_state(request.args)
    if state.error:
        message = str(state.error)
        return Response(f"error: {message}\n", 400, mimetype="text/plain")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(state.view.table.columns)
    writer.writerows(["" if cell is None else cell for cell in row] for row in state.view.table.rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{DEMO_ID}.csv"'})


# ---- compare ---------------------------------------------------------------------------------------

def shared_names() -> tuple[str, ...]:
    """Traffic, faults, the run's length and the seed: what both sides of a comparison share."""
    from .demos import lab as lab_demo

    names = []
    for group_id, _title, sets in lab_demo.GROUPS:
        if group_id in ("traffic", "faults"):
            names += [n for _id, _legend, _note, members in sets for n in members]
    return tuple(names)


class _Merged:
    """A query for one side: its own `a.`/`b.` settings, and the shared ones read without a prefix."""

    def __init__(self, query, side: str, shared: tuple):
        self.query, self.side, self.shared = query, side, set(shared)

    def getlist(self, key: str):
        name = key[len(self.side) + 1:] if key.startswith(self.side + ".") else key
        if name in self.shared:
            return self.query.getlist(name)
        return self.query.getlist(key)


@lab.get("/lab/compare")
def compare():
    from .demos import lab as lab_demo

    shared = shared_names()
    states = {side: lab_state(_Merged(request.args, side, shared), prefix=f"{side}.") for side in SIDES}
    bad = any(s.bad for s in states.values())
    comparison = None if bad else lab_demo.compare_view(states["a"].result, states["b"].result)
    pairs = []
    current = compare_link(states)
    for pair in lab_demo.COMPARISONS:
        url = compare_url(*lab_demo.comparison_values(pair))
        pairs.append({"id": pair[0], "title": pair[1], "note": pair[2], "url": url, "active": url == current})
    ctx = {"states": states, "demo": _demo(), "groups": lab_demo.GROUPS, "shared": shared,
           "comparison": comparison, "pairs": pairs, "current": current, "lab_page": True,
           "lab_param": lab_param, "lab_changed": lab_changed, "forms": _side_forms(states, shared),
           "errors": {side: _side_error(st, side, shared) for side, st in states.items()}}
    status = 400 if bad else 200
    if wants_fragment(request):
        response = Response(render_template("lab/_compare_result.html", **ctx), status)
        if not any(s.error for s in states.values()):
            response.headers["HX-Replace-Url"] = current
        return _vary(response)
    return _vary(Response(render_template("lab/compare.html", **ctx), status))


def _side_forms(states: dict, shared: tuple) -> dict:
    """What templates/lab/_form.html needs to draw one side's controls with prefixed names, and the
    shared ones once, bare."""
    from types import SimpleNamespace

    forms = {}
    for side, st in (("shared", states["a"]), *states.items()):
        prefix = "" if side == "shared" else f"{side}."
        values = st.values
        bad = _bad_param(st)
        if side != "shared" and bad in shared:
            bad = None
        if side == "shared" and bad not in shared:
            bad = None
        forms[side] = {
            "state": SimpleNamespace(values={f"{prefix}{k}": v for k, v in values.items()}, error=None),
            "demo": SimpleNamespace(id=f"lab-{side}"), "side": "" if side == "shared" else side,
            "form_values": values, "bad_param": bad, "id_prefix": f"{side}-",
            "only": ("traffic", "faults") if side == "shared" else ("edges", "services")}
    return forms


def _bad_param(state: LabState):
    return state.error.param.name if state.error else None


def _side_error(state: LabState, side: str, shared: tuple) -> str | None:
    """The message for a side that cannot run, naming the parameter as it appears in the URL."""
    if state.config_error:
        err = state.config_error
        key = err["param"] if err["param"] in shared else f"{side}.{err['param']}"
        return f"{err['message']} (change {key})"
    if state.error:
        name = state.error.param.name
        key = name if name in shared else f"{side}.{name}"
        return f"{key}: {state.error.problem} (received {state.error.received!r}; allowed: {state.error.allowed})"
    if state.failure:
        return state.failure
    return None


def compare_link(states: dict) -> str:
    return compare_url(states["a"].values, states["b"].values)


def compare_url(a: dict, b: dict) -> str:
    """The permalink of a comparison: shared settings once (A's), each side's own with its prefix."""
    demo = _demo()
    shared = set(shared_names())
    items = [(k, v) for k, v in demo.params.query_items(a) if k in shared]
    for side, values in (("a", a), ("b", b)):
        items += [(f"{side}.{k}", v) for k, v in demo.params.query_items(values) if k not in shared]
    return "/lab/compare" + (f"?{urlencode(items)}" if items else "")


def _vary(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response


__all__ = ["lab", "LabState"]
