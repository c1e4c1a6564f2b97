"""Friendly error pages: a learner who mistypes a URL gets a way back, not a stack trace."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from .demo_state import SimulationsBusy, wants_fragment


def init_app(app: Flask) -> None:
    @app.errorhandler(SimulationsBusy)
    def busy(err: SimulationsBusy):
        """Shown where the demo's result goes, whatever the request aimed at, so no control is lost."""
        headers = {"Retry-After": str(err.retry_after), "Cache-Control": "no-store"}
        if request.path.endswith(".json"):
            return {"error": err.description, "status": 503, "retry_after_s": err.retry_after}, 503, headers
        if request.path.endswith(".csv"):
            return f"error: {err.description}\n", 503, {**headers, "Content-Type": "text/plain; charset=utf-8"}
        if wants_fragment(request) and request.path.startswith("/demos/"):
            demo_id = request.path.removeprefix("/demos/").split("/")[0]
            headers.update({"HX-Retarget": f"#result-{demo_id}", "HX-Reswap": "innerHTML"})
            return render_template("demo/_busy.html", error=err), 503, headers
        return render_template("error.html", error=err), 503, headers

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if request.path.endswith(".json"):
            return {"error": err.description, "status": err.code}, err.code
        return render_template("error.html", error=err), err.code
