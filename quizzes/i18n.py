"""Translatable words of the engine, without a web framework.

The engine says things people read (why an answer was refused, a topic's name). It marks
them with ``_`` (translate now) or ``N_`` (only mark: a constant translated where it is
shown), and the application plugs its translator in once with ``use_translator``; until
then, and in scripts, text stays as written (English). ``pybabel extract`` finds both.
"""

from __future__ import annotations

from collections.abc import Callable

_translate: Callable[[str], str] = str


def use_translator(translate: Callable[[str], str]) -> None:
    """Translate the engine's words with ``translate`` (the app passes Flask-Babel's gettext)."""
    global _translate
    _translate = translate


def _(message: str, **values: object) -> str:
    """``message`` in the reader's language, with ``%(name)s`` filled from ``values``."""
    text = _translate(message)
    return text % values if values else text


def N_(message: str) -> str:  # noqa: N802 - the name pybabel looks for
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message
