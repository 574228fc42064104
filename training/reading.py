"""Which language a reader gets content in (module and lesson translations, ``quizzes.translation``)."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import get_locale


def reader_language() -> str | None:
    """The language of this request's pages ("vi", "en"); None outside a request (commands, jobs)."""
    if not has_request_context():
        return None
    locale = get_locale()
    return str(locale) if locale is not None else None
