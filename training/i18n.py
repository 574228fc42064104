"""Which language and which clock a page uses (Flask-Babel's selectors), and the switch.

Language, first that applies:
1. the signed-in user's own choice (``User.language``, set by the menu's switch);
2. before sign-in, the switch's choice for this browser (kept in the session);
3. before sign-in, the best of the browser's ``Accept-Language`` that we have;
4. the academy's language (``Academy.language``: Vietnamese for a new academy).
Outside a request (the command line) it is English.

Every time is shown in the academy's zone (``Academy.time_zone``); storage stays UTC.
The academy row is read once per request.
"""

from __future__ import annotations

from flask import g, has_request_context, request, session
from flask_babel import Babel, gettext
from flask_login import current_user

# Each language by its own name: a reader who cannot read the page can still find theirs.
LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANGUAGE = "vi"
DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"

babel = Babel()


def academy_defaults() -> tuple[str, str]:
    """The academy's (language, time zone); the defaults before set-up. Read once per request."""
    if has_request_context() and "academy_defaults" in g:
        return g.academy_defaults
    from .services.accounts import academy

    row = academy()
    found = (row.language, row.time_zone) if row is not None else (DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE)
    if has_request_context():
        g.academy_defaults = found
    return found


def select_locale() -> str:
    """The language of this request's pages (see the module's docstring for the order)."""
    if not has_request_context():
        return "en"  # the command line speaks English
    if current_user.is_authenticated:
        if current_user.language in LANGUAGES:
            return current_user.language
    else:
        if session.get("language") in LANGUAGES:
            return session["language"]
        if best := request.accept_languages.best_match(LANGUAGES):
            return best
    return academy_defaults()[0]


def select_timezone() -> str:
    """The academy's zone: every time on every page is shown in it."""
    return academy_defaults()[1]


def init_app(app) -> None:
    """Bind Flask-Babel with our selectors and the catalogues in ``training/translations``."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "training/translations")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)


def engine_gettext(message: str) -> str:
    """The engine's translator (``quizzes.i18n``): the catalogue's text, or ``message`` outside a request."""
    return gettext(message) if has_request_context() else message
