"""Students' side: the catalogue, taking modules, results, progress and lessons."""

from flask import Blueprint

bp = Blueprint("learn", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
