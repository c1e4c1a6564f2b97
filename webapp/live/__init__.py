"""Live sessions (workshop mode): an instructor drives a lesson's demos, a room of attendees follows.

`store.py` keeps sessions (SQLite, or Redis when REDIS_URL is set), `session.py` is the model (codes,
tokens, validated state, the room's answers), `views.py` the routes. `init_app` wires them in.
"""

from .views import bp, init_app
from . import preview  # noqa: E402,F401: registers /live/<code>/preview on bp

__all__ = ["bp", "init_app"]
