"""Reliability Lab: learn the reliability patterns of distributed systems by running them."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
__version__ = "0.1.0"


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    # An instructor may point the app at a folder of their own lessons.
    lessons_dir = os.environ.get("RELIABILITY_LAB_LESSONS", str(ROOT / "lessons"))
    app.config.from_mapping(LESSONS_DIR=lessons_dir, APP_VERSION=__version__)
    if test_config:
        app.config.update(test_config)

    from . import assets, caching, errors, lab_views, lessons, live, pack, security, views
    from .production import views as production_views

    assets.init_app(app)
    caching.init_app(app)
    security.init_app(app)
    lessons.init_app(app)
    app.register_blueprint(views.pages)
    app.register_blueprint(views.demos)
    app.register_blueprint(pack.pack)  # /pack, and the table-header filter
    app.register_blueprint(lab_views.lab)
    app.register_blueprint(production_views.production)  # "Use this in production", /production/import
    live.init_app(app)  # live sessions (workshop mode): /live
    errors.init_app(app)
    return app
