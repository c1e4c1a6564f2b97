"""Friendly error pages: a learner who mistypes a URL gets a way back, not a stack trace."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if request.path.endswith(".json"):
            return {"error": err.description, "status": err.code}, err.code
        return render_template("error.html", error=err), err.code
