"""Instructors' side: the curriculum overview (authoring comes next)."""

from flask import Blueprint

bp = Blueprint("author", __name__, url_prefix="/author")

from . import views  # noqa: E402,F401  (registers the routes on bp)
