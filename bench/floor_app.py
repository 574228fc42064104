"""The app as served, plus one route that does nothing: the benchmark's floor.

``gunicorn 'bench.floor_app:create_app()'`` (from the project root). ``POST /bench/no-op``
passes through everything a signed-in JSON save passes through before the view's own
work: the session cookie, the CSRF token, the session-and-user lookup, the access rule,
the write transaction's start, the security headers. Its requests per second, divided by
hello-world's, is the highest ratio any signed-in save could reach on the same machine.
It is never part of the app itself.
"""

from __future__ import annotations

from flask import Flask, jsonify

from app import create_app as create_real_app
from training.access import SIGNED_IN, allow


def create_app() -> Flask:
    """The real app with ``POST /bench/no-op`` added."""
    app = create_real_app()

    @app.post("/bench/no-op")
    @allow(*SIGNED_IN)
    def bench_no_op():
        """Answer as an autosave does, having done nothing."""
        return jsonify(saved=True)

    return app
