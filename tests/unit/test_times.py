"""Dates and times as each reader sees them: in the academy's zone and the reader's language."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel

from training.services.times import at, clock, day, when

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
# 17:30 UTC on 4 December is already 00:30 on 5 December in Hanoi (UTC+7).
PAST_MIDNIGHT_IN_HANOI = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)
TRANSLATIONS = Path(__file__).resolve().parents[2] / "training" / "translations"


@pytest.fixture
def reading():
    """``with reading(locale, zone):`` runs its body as a request read in that language and zone."""
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    chosen = {}
    Babel(app, locale_selector=lambda: chosen["locale"], timezone_selector=lambda: chosen["zone"])

    @contextmanager
    def context(locale: str, zone: str = "Asia/Ho_Chi_Minh"):
        chosen.update(locale=locale, zone=zone)
        with app.test_request_context():
            yield

    return context


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=-5), "now"),
        (timedelta(seconds=20), "in 1 minute"),
        (timedelta(minutes=10), "in 10 minutes"),
        (timedelta(hours=3), "in 3 hours"),
        (timedelta(days=4), "on 25 Nov 2026"),
    ],
)
def test_when_something_is_due_in_words(reading, delta, words):
    with reading("en"):
        assert when(T0 + delta, T0) == words


def test_dates_read_like_21_nov_2026_in_english_and_21_11_2026_in_vietnamese(reading):
    with reading("en"):
        assert day(T0) == "21 Nov 2026"
        assert day(T0 - timedelta(days=16)) == "5 Nov 2026"
        assert day(None) == "–"
    with reading("vi"):
        assert day(T0) == "21/11/2026"
        assert day(T0 - timedelta(days=16)) == "05/11/2026"


def test_a_moment_after_midnight_in_hanoi_falls_on_the_next_local_day(reading):
    with reading("en"):
        assert day(PAST_MIDNIGHT_IN_HANOI) == "5 Dec 2026"
        assert at(PAST_MIDNIGHT_IN_HANOI) == "5 Dec 2026, 00:30"
        assert clock(PAST_MIDNIGHT_IN_HANOI) == "00:30"
    with reading("vi"):
        assert day(PAST_MIDNIGHT_IN_HANOI) == "05/12/2026"
        assert at(PAST_MIDNIGHT_IN_HANOI) == "00:30, 05/12/2026"
    # The same moment in an academy on UTC is still the 4th.
    with reading("en", zone="UTC"):
        assert at(PAST_MIDNIGHT_IN_HANOI) == "4 Dec 2026, 17:30"


def test_times_near_a_day_boundary_keep_their_local_day(reading):
    with reading("en"):
        # 16:59:59 UTC is the last second of the Hanoi day.
        assert at(datetime(2026, 12, 4, 16, 59, 59, tzinfo=UTC)) == "4 Dec 2026, 23:59"
        assert at(None) == "–"
