"""Routes of "Use this in production": a demo state as text/plain configuration, the panel's fragment,
and the import page that opens a demo in the state of a pasted configuration."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request
from werkzeug.datastructures import MultiDict

from ..demo_state import resolve
from ..demos import REGISTRY
from ..params import ParamError
from . import LIBRARIES, Rendered, available, expressible, generate, importer
from .policy import MAPPINGS

production = Blueprint("production", __name__)

_COMMENT = {"python": "#", "yaml": "#", "ini": "#", "go": "//", "java": "//"}


def as_text(rendered: Rendered) -> str:
    """The configuration with its notes as comments at the end, where the format has comments.
    JSON has none: its notes stay in the panel."""
    prefix = _COMMENT.get(rendered.syntax)
    if prefix is None or not rendered.notes:
        return rendered.text
    lines = [f"{prefix} What does not map exactly, and the nearest value:"]
    lines += [f"{prefix} - {note}" for note in rendered.notes]
    return rendered.text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"


def _state_values(demo, query) -> dict:
    """The demo's values from the query, or the demo's own 400: the same text its CSV answers."""
    try:
        values = demo.params.parse(query)
    except ParamError as err:
        abort(Response(f"error: {err}\n", 400, mimetype="text/plain"))
    problem = demo.check(values) if demo.check else None
    if problem:
        name, message, allowed = problem
        param = demo.params.by_name[name]
        err = ParamError(param, param.to_text(values[name]), message, allowed)
        abort(Response(f"error: {err}\n", 400, mimetype="text/plain"))
    return values


def _rendered_or_404(demo_id: str, library: str, query) -> tuple:
    if demo_id not in REGISTRY:
        abort(404, description=f"There is no demo called “{demo_id}”.")
    if library not in LIBRARIES:
        abort(Response(f"There is no library called {library!r}. Known libraries: "
                       f"{', '.join(LIBRARIES)}.\n", 404, mimetype="text/plain"))
    demo = REGISTRY[demo_id]
    if demo_id not in MAPPINGS:
        abort(Response(f"The demo {demo_id!r} has no production mapping: it compares strategies or models "
                       "a system rather than configuring one client.\n", 404, mimetype="text/plain"))
    values = _state_values(demo, query)
    rendered = generate(demo_id, values, library, demo.title)
    if rendered is None:
        abort(Response(f"{LIBRARIES[library].LABEL} cannot express the demo {demo_id!r} in this state: it has "
                       f"no setting for what the demo configures. Libraries that can: "
                       f"{', '.join(available(demo_id, values, demo.title)) or 'none'}.\n", 404,
                       mimetype="text/plain"))
    return demo, values, rendered


@production.get("/demos/<demo_id>/config/<library>")
def config_text(demo_id: str, library: str):
    _, _, rendered = _rendered_or_404(demo_id, library, request.args)
    response = Response(as_text(rendered), mimetype="text/plain")
    response.headers["Content-Disposition"] = "inline"
    return response


@production.get("/demos/<demo_id>/production/<library>")
def panel_fragment(demo_id: str, library: str):
    """The panel's body with `library` chosen: what htmx swaps in when a tab is clicked."""
    demo, values, _ = _rendered_or_404(demo_id, library, request.args)
    panel = production_panel_for(demo, values, library)
    response = Response(render_template("production/_config.html", panel=panel))
    response.vary.add("HX-Request")
    return response


def production_panel_for(demo, values: dict, chosen: str | None = None) -> dict | None:
    """What the panel shows: every library's tab (those that cannot express the demo are listed as
    such) and the chosen library's configuration."""
    if demo.id not in MAPPINGS:
        return None
    names = expressible(demo.id, values)
    if not names:
        return None
    chosen = chosen if chosen in names else names[0]  # only the chosen library is rendered
    query = urlencode(demo.params.query_items(values))
    suffix = f"?{query}" if query else ""
    tabs = [{"name": name, "label": module.LABEL, "version": module.VERSION, "ok": name in names,
             "text_url": f"/demos/{demo.id}/config/{name}{suffix}",
             "fragment_url": f"/demos/{demo.id}/production/{name}{suffix}"} for name, module in LIBRARIES.items()]
    rendered = generate(demo.id, values, chosen, demo.title)
    return {"demo": demo, "tabs": tabs, "chosen": chosen, "text": as_text(rendered), "syntax": rendered.syntax,
            "json_notes": rendered.notes if rendered.syntax == "json" else [],
            "chosen_tab": next(t for t in tabs if t["name"] == chosen)}


@production.app_template_global()
def production_panel(state) -> dict | None:
    if state.error or state.failure:
        return None
    return production_panel_for(state.demo, state.values)


@production.route("/production/import", methods=["GET", "POST"])
def import_config():
    if request.method == "GET":
        return render_template("production/import.html", formats=importer.FORMATS, text="", fmt="auto")
    text = request.form.get("config", "")
    fmt = request.form.get("format", "auto")
    try:
        imported = importer.load(text, fmt)
    except importer.ConfigError as err:
        html = render_template("production/import.html", formats=importer.FORMATS, error=err,
                               text=text[:importer.MAX_BYTES], fmt=fmt if fmt in importer.FORMATS else "auto")
        return Response(html, 400)
    demo = REGISTRY[imported.demo_id]
    query = MultiDict(demo.params.query_items({**demo.params.defaults(), **imported.values}))
    state = resolve(demo, query)
    html = render_template("production/import.html", formats=importer.FORMATS, imported=imported, state=state,
                           text=text, fmt=fmt, source=importer.FORMATS[imported.format])
    return Response(html, 400 if state.error else 200)
