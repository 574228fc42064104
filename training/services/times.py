"""How dates and times read on a page: the one place that formats them.

Stored times are UTC; they are shown in UTC, said so on the page (the academy's own zone is
issue 16's, and it changes these functions, not their callers).
"""

from __future__ import annotations

from datetime import UTC, datetime


def day(moment: datetime) -> str:
    """A date as people read it: ``21 Nov 2026``."""
    return f"{moment.day} {moment:%b %Y}"


def at(moment: datetime | None) -> str:
    """A date and time as people read it: ``21 Nov 2026, 17:00 UTC`` (``–`` for none)."""
    if moment is None:
        return "–"
    moment = moment.astimezone(UTC)
    return f"{day(moment)}, {moment:%H:%M} UTC"


def when(moment: datetime | None, now: datetime) -> str:
    """When something is due, in words: ``now``, ``in 8 minutes``, ``in 3 hours``, ``on 21 Nov 2026``."""
    if moment is None:
        return "never"
    seconds = (moment - now).total_seconds()
    if seconds <= 0:
        return "now"
    if seconds < 3600:
        minutes = max(1, round(seconds / 60))
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    if seconds < 24 * 3600:
        hours = round(seconds / 3600)
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    return f"on {day(moment)}"
