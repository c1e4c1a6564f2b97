"""The workshop pack: every lesson in one document, its demos at their defaults and shown (nothing
waits for a prediction on paper), to print as a handout. Also registers the table-header filter and the
control grouping the demo form uses."""

from __future__ import annotations

from flask import Blueprint, render_template
from werkzeug.datastructures import MultiDict

from .demo_state import resolve
from .demos import REGISTRY
from .lessons import all_lessons
from .primary_controls import control_groups
from .table_labels import column_label

pack = Blueprint("pack", __name__)
pack.add_app_template_filter(column_label)
pack.add_app_template_global(control_groups)


@pack.get("/pack")
def workshop_pack():
    lessons = list(all_lessons().values())
    states = {demo_id: resolve(REGISTRY[demo_id], MultiDict(), prefix=f"{demo_id}.")
              for lesson in lessons for demo_id in lesson.demos}
    return render_template("pack.html", lessons=lessons, states=states)
