"""The pure parts of review and the dashboard: ratings, FSRS intervals, statuses, date wording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fsrs import Rating

from quizzes.items import Mark
from training.services.dashboard import Assignment, Status, sort_key, status_for
from training.services.review import rating_for, reviewed
from training.services.times import day, when

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mark", "rating"),
    [(Mark(2, 2), Rating.Good), (Mark(0.5, 2), Rating.Hard), (Mark(0, 2), Rating.Again)],
)
def test_full_marks_are_good_some_marks_hard_none_again(mark, rating):
    assert rating_for(mark) == rating


def test_a_missed_item_comes_back_within_minutes_and_a_known_one_after_days():
    missed = reviewed(None, Rating.Again, T0)
    assert missed.due - T0 == timedelta(minutes=1)
    right = reviewed(missed.to_dict(), Rating.Good, T0 + timedelta(minutes=2))
    wrong = reviewed(missed.to_dict(), Rating.Again, T0 + timedelta(minutes=2))
    assert right.due > wrong.due
    graduated = reviewed(right.to_dict(), Rating.Good, right.due)
    assert graduated.due - right.due >= timedelta(days=1)
    forgotten = reviewed(graduated.to_dict(), Rating.Again, graduated.due)
    assert forgotten.due - graduated.due < timedelta(hours=1)


def test_review_times_from_other_utc_zones_are_accepted():
    card = reviewed(None, Rating.Again, T0.astimezone(ZoneInfo("UTC")))
    assert card.due == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("due", "open_attempt", "best", "passed", "status"),
    [
        (T0 - timedelta(days=1), False, 90.0, True, Status.PASSED),
        (T0 - timedelta(days=1), True, None, False, Status.OVERDUE),
        (T0 - timedelta(days=1), False, 40.0, False, Status.OVERDUE),
        (T0 + timedelta(days=1), True, None, False, Status.IN_PROGRESS),
        (None, False, 40.0, False, Status.NOT_PASSED),
        (None, False, None, False, Status.NOT_STARTED),
    ],
)
def test_status_of_an_assigned_module(due, open_attempt, best, passed, status):
    assert status_for(due, open_attempt, best, passed, T0) == status


def test_overdue_first_then_by_due_date_undated_last_then_title():
    def assignment(title, due, status=Status.NOT_STARTED):
        return Assignment(slug=title, title=title, due_at=due, status=status, best_percent=None, has_open_attempt=False)

    items = [
        assignment("b undated", None),
        assignment("a undated", None),
        assignment("later", T0 + timedelta(days=3)),
        assignment("sooner", T0 + timedelta(days=1)),
        assignment("late", T0 - timedelta(days=1), Status.OVERDUE),
        assignment("passed long ago", T0 - timedelta(days=5), Status.PASSED),
    ]
    order = [a.title for a in sorted(items, key=sort_key)]
    assert order == ["late", "passed long ago", "sooner", "later", "a undated", "b undated"]


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
def test_when_something_is_due_in_words(delta, words):
    assert when(T0 + delta, T0) == words


def test_dates_read_like_21_nov_2026():
    assert day(T0) == "21 Nov 2026"
    assert day(T0 - timedelta(days=16)) == "5 Nov 2026"
