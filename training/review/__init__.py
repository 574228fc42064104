"""Students' dashboard and their spaced-repetition review queue."""

from flask import Blueprint

bp = Blueprint("practice", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
