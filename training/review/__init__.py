"""Review: each student's spaced-repetition queue of the questions they missed."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
