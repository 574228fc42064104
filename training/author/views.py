"""Views for instructors and admins."""

from flask import render_template

from quizzes.coverage import summarise

from ..access import allow
from ..models import Role
from ..services import content
from . import bp


@bp.route("/curriculum")
@allow(Role.INSTRUCTOR, Role.ADMIN)
def curriculum():
    """What the published curriculum covers, module by module (same figures as ``packs summary``)."""
    entries = content.catalogue()
    return render_template(
        "author/curriculum.html", summary=summarise(e.content for e in entries), lessons=content.lessons()
    )
