"""Shared fixtures: the app built from the real lessons, and a Flask test client."""

import pytest

from webapp import create_app


@pytest.fixture(scope="session")
def app():
    return create_app({"TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()
