"""Certificates: students download theirs; anyone may verify a code."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
