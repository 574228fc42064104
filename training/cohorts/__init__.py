"""Admins manage cohorts: students enrolled, instructors assigned, modules due."""

from flask import Blueprint

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts")

from . import views  # noqa: E402,F401  (registers the routes on bp)
