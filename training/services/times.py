"""How dates and times read on a page: the one place that formats them.

Stored times are UTC; every one shown is in the academy's zone (Flask-Babel's time-zone
selector, ``training/i18n.py``) and in the reader's language: ``21 Nov 2026, 17:00`` in
English, ``17:00, 04/12/2026`` in Vietnamese.
"""

from __future__ import annotations

from datetime import date, datetime

from babel import dates
from flask import has_app_context
from flask_babel import format_date, format_datetime, get_locale, get_timezone, gettext, ngettext

# Babel's own "medium" dates read oddly in both languages ("Nov 21, 2026", "21 thg 11, 2026"):
# these are the forms people here write.
_DATE = {"vi": "dd/MM/y", "en": "d MMM y"}
_DATE_TIME = {"vi": "HH:mm, dd/MM/y", "en": "d MMM y, HH:mm"}


def _pattern(patterns: dict[str, str]) -> str:
    locale = get_locale()
    return patterns.get(locale.language if locale else "en", patterns["en"])


def _format(moment: datetime | date, patterns: dict[str, str]) -> str:
    if not has_app_context():  # a script: English, in UTC
        return dates.format_datetime(moment, patterns["en"], locale="en")
    pattern = _pattern(patterns)
    return format_datetime(moment, pattern) if isinstance(moment, datetime) else format_date(moment, pattern)


def day(moment: datetime | date | None) -> str:
    """The academy-local day: ``21 Nov 2026`` / ``21/11/2026`` (``–`` for none)."""
    return "–" if moment is None else _format(moment, _DATE)


def at(moment: datetime | None) -> str:
    """The academy-local date and time: ``21 Nov 2026, 17:00`` / ``17:00, 21/11/2026`` (``–`` for none)."""
    return "–" if moment is None else _format(moment, _DATE_TIME)


def clock(moment: datetime) -> str:
    """The academy-local time of day: ``17:00``."""
    return _format(moment, {"en": "HH:mm"})


def zone_name() -> str:
    """The academy's zone as the reader says it: ``Vietnam Time`` / ``Giờ Việt Nam``."""
    return dates.get_timezone_name(get_timezone(), locale=get_locale())


def when(moment: datetime | None, now: datetime) -> str:
    """When something is due, in words: ``now``, ``in 8 minutes``, ``in 3 hours``, ``on 21 Nov 2026``."""
    if moment is None:
        return gettext("never")
    seconds = (moment - now).total_seconds()
    if seconds <= 0:
        return gettext("now")
    if seconds < 3600:
        minutes = max(1, round(seconds / 60))
        return ngettext("in %(num)d minute", "in %(num)d minutes", minutes)
    if seconds < 24 * 3600:
        hours = round(seconds / 3600)
        return ngettext("in %(num)d hour", "in %(num)d hours", hours)
    return gettext("on %(day)s", day=day(moment))
