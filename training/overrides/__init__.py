"""Per-student overrides: admins and a student's instructors give that student extra attempts,
extra time or a due date of their own on one module, with a reason."""

from flask import Blueprint

bp = Blueprint("overrides", __name__, url_prefix="/overrides")

from . import views  # noqa: E402,F401  (registers the routes on bp)
