"""Score review for admins and instructors: cohort matrix, heatmap, student pages, exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from . import views  # noqa: E402,F401  (registers the routes on bp)
