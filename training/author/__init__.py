"""Instructors' side: curriculum, drafts and publishing, the editor, import, item analysis."""

from flask import Blueprint

bp = Blueprint("author", __name__, url_prefix="/author")

from . import editor, editors, views  # noqa: E402,F401  (registers the routes on bp)
