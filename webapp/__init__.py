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
    app.config.from_mapping(LESSONS_DIR=lessons_dir, APP_VERSION=__version__,
                            GLOSSARY_DIR=os.environ.get("RELIABILITY_LAB_GLOSSARY", str(ROOT / "lessons" / "glossary")))
    if test_config:
        app.config.update(test_config)

    from . import (assets, caching, errors, glossary, lab_views, lessons, live, pack, reference_views,
                   security, teach, views)
    from .production import views as production_views

    assets.init_app(app)
    caching.init_app(app)
    security.init_app(app)
    lessons.init_app(app)
    glossary.init_app(app)  # links each term's first use in the lessons; builds the search index
    app.register_blueprint(views.pages)
    app.register_blueprint(views.demos)
    app.register_blueprint(pack.pack)  # /pack, and the table-header filter
    app.register_blueprint(lab_views.lab)
    app.register_blueprint(reference_views.reference)  # /glossary, /search
    app.register_blueprint(production_views.production)  # "Use this in production", /production/import
    live.init_app(app)  # live sessions (workshop mode): /live
    teach.init_app(app)  # the instructor's path: /teach, speaker notes, join links
    errors.init_app(app)
    return app
