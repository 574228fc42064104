"""The opaque form values of a page (see ``quizzes.items.tokens``), keyed by the app's secret.

Attempts, review cards and previews each post values of their own scope, so a value from
one page is refused on another and a retry cannot reuse a key.
"""

from __future__ import annotations

from flask import current_app

from quizzes.items.tokens import FormTokens, scoped_tokens


def form_tokens(scope: str) -> FormTokens:
    """The opaque form values of one scope (``attempt:42``, ``card:7``, ``preview``)."""
    secret = current_app.config["SECRET_KEY"]
    return scoped_tokens(secret.encode() if isinstance(secret, str) else secret, scope)


def attempt_tokens(attempt_id: int) -> FormTokens:
    """The values an attempt's pages post: different in every attempt, so a retry cannot reuse a key."""
    return form_tokens(f"attempt:{attempt_id}")
