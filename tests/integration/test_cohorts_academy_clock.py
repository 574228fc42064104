"""A cohort's due date is a day on the academy's clock: due at 23:59:59 local time that day, stored in UTC.

The academy is in Hanoi (UTC+7) unless its ``time_zone`` says otherwise, so the due date 4 Dec 2026
ends at 2026-12-04T16:59:59Z. Half an hour later it is 00:30 on 5 Dec in Hanoi: the work is late.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import refresh
from sqlalchemy import select

from training.database import writing
from training.extensions import db
from training.models import Cohort, CohortMember, CohortModule, ModuleRow, User
from training.services import accounts, cohorts, dashboard, reports

from .conftest import start_attempt

DUE_DAY = date(2026, 12, 4)
DUE_AT_HANOI = datetime(2026, 12, 4, 16, 59, 59, tzinfo=UTC)  # 23:59:59 on 4 Dec in Hanoi
BEFORE_MIDNIGHT_HANOI = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # 23:30 on 4 Dec in Hanoi
AFTER_MIDNIGHT_HANOI = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)  # 00:30 on 5 Dec in Hanoi
LONG_BEFORE = datetime(2026, 11, 1, tzinfo=UTC)


def set_academy(app, **settings) -> None:
    """Change the academy's ``time_zone`` or ``language``."""
    with app.app_context(), writing():
        academy = accounts.academy()
        for name, value in settings.items():
            setattr(academy, name, value)
        db.session.commit()


def read_as(app, user_id: int, language: str) -> None:
    """Make a user read the pages in ``language``."""
    with app.app_context(), writing():
        db.session.get(User, user_id).language = language
        db.session.commit()


def module_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(ModuleRow.id).where(ModuleRow.slug == slug))


def cohort_with(app, module: int | None = None, due_at: datetime | None = None, students=()) -> int:
    """A cohort with the module assigned (if any), due at ``due_at`` (stored as given), and these students."""
    with app.app_context(), writing():
        cohort = cohorts.create_cohort(None, "Spring 2027")
        if module is not None:
            db.session.add(CohortModule(cohort_id=cohort.id, module_id=module, due_at=due_at))
        db.session.add_all(CohortMember(cohort_id=cohort.id, user_id=uid) for uid in students)
        db.session.commit()
        return cohort.id


def stored_due(app, cohort_id: int, module: int) -> datetime | None:
    with app.app_context():
        return db.session.get(CohortModule, (cohort_id, module)).due_at


def next_year(day: date) -> date:
    """The same day a year on: always in the future, so the pages accept it."""
    return day.replace(year=datetime.now(UTC).year + 1)


# --- the service: a local day in, a UTC moment stored, the same local day back ------------------


def test_a_due_date_in_hanoi_ends_at_23_59_59_local_stored_as_16_59_59_utc(app, academy, ctx):
    due_at = cohorts.due_at_from_date(DUE_DAY, now=LONG_BEFORE)
    assert due_at == DUE_AT_HANOI and due_at.isoformat() == "2026-12-04T16:59:59+00:00"
    assert due_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).isoformat() == "2026-12-04T23:59:59+07:00"
    assert cohorts.local_day(due_at) == DUE_DAY  # shown back as the day that was entered
    # Read in UTC the moment is still 4 Dec here, but 30 minutes after it Hanoi is on 5 Dec.
    assert cohorts.local_day(AFTER_MIDNIGHT_HANOI) == date(2026, 12, 5)
    assert cohorts.local_day(BEFORE_MIDNIGHT_HANOI) == DUE_DAY


def test_the_due_day_is_refused_once_it_has_ended_in_hanoi_not_in_utc(app, academy, ctx):
    # At 16:30 UTC the day is not over in Hanoi (23:30): still a valid due date.
    assert cohorts.due_at_from_date(DUE_DAY, now=BEFORE_MIDNIGHT_HANOI) == DUE_AT_HANOI
    # At 17:30 UTC it is 00:30 the next day in Hanoi: the date has passed, though UTC is still on 4 Dec.
    with pytest.raises(cohorts.CohortError, match="That date has passed"):
        cohorts.due_at_from_date(DUE_DAY, now=AFTER_MIDNIGHT_HANOI)
    assert cohorts.local_today(AFTER_MIDNIGHT_HANOI) == date(2026, 12, 5)


def test_the_academys_own_zone_is_honoured(app, academy):
    set_academy(app, time_zone="America/New_York")
    with app.app_context():
        # Winter (EST, UTC-5): the end of 4 Dec in New York is 04:59:59 UTC on 5 Dec.
        winter = cohorts.due_at_from_date(DUE_DAY, now=LONG_BEFORE)
        assert winter == datetime(2026, 12, 5, 4, 59, 59, tzinfo=UTC)
        assert cohorts.local_day(winter) == DUE_DAY
        # Summer (EDT, UTC-4): the offset of that day is used.
        summer = cohorts.due_at_from_date(date(2027, 7, 4), now=LONG_BEFORE)
        assert summer == datetime(2027, 7, 5, 3, 59, 59, tzinfo=UTC)
        assert cohorts.local_day(summer) == date(2027, 7, 4)


# --- the pages: entered as a local day, shown as the same day -------------------------------------


def test_the_page_shows_a_due_date_as_the_hanoi_day_in_english_and_vietnamese(app, admin_client, academy, starter):
    module = module_id(app, starter)
    cohort_id = cohort_with(app, module, DUE_AT_HANOI)
    page = admin_client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert "due 4 Dec 2026" in page
    assert f'name="due-{module}-due" type="date" value="2026-12-04"' in page  # the change form starts from it
    assert "UTC" not in page

    read_as(app, academy, "vi")
    page = admin_client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert "04/12/2026" in page and "UTC" not in page


def test_a_date_entered_on_the_page_is_stored_as_the_end_of_that_hanoi_day(app, admin_client, starter):
    module = module_id(app, starter)
    cohort_id = cohort_with(app)
    due = next_year(DUE_DAY)
    response = admin_client.post(
        f"/cohorts/{cohort_id}/modules", data={"module-module": module, "module-due": due.isoformat()}
    )
    assert response.status_code == 302
    assert stored_due(app, cohort_id, module) == datetime(due.year, 12, 4, 16, 59, 59, tzinfo=UTC)
    page = admin_client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert f"due 4 Dec {due.year}" in page and f'value="{due.isoformat()}"' in page

    moved = next_year(date(2026, 12, 5))
    admin_client.post(f"/cohorts/{cohort_id}/modules/{module}/due", data={f"due-{module}-due": moved.isoformat()})
    assert stored_due(app, cohort_id, module) == datetime(moved.year, 12, 5, 16, 59, 59, tzinfo=UTC)


def test_the_page_enters_and_shows_days_in_the_academys_own_zone(app, admin_client, starter):
    set_academy(app, time_zone="America/New_York")
    module = module_id(app, starter)
    cohort_id = cohort_with(app)
    due = next_year(date(2026, 7, 4))
    admin_client.post(f"/cohorts/{cohort_id}/modules", data={"module-module": module, "module-due": due.isoformat()})
    # 23:59:59 EDT on 4 July is 03:59:59 UTC on 5 July: the page still says 4 July.
    assert stored_due(app, cohort_id, module) == datetime(due.year, 7, 5, 3, 59, 59, tzinfo=UTC)
    page = admin_client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert f"due 4 Jul {due.year}" in page and f'value="{due.isoformat()}"' in page


def test_the_due_date_help_does_not_say_utc(admin_client, starter):
    assert "UTC" not in admin_client.get("/cohorts/").get_data(as_text=True)
    detail = admin_client.post("/cohorts/", data={"name": "Spring 2027"}, follow_redirects=True).get_data(as_text=True)
    assert "Work is due by the end of that day (23:59)." in detail and "UTC" not in detail


# --- lateness: due and not passed once the Hanoi day is over --------------------------------------


@pytest.fixture
def due_in_hanoi(app, starter, student, other_student):
    """Sam and Olu in a cohort whose module is due on 4 Dec 2026 (Hanoi); neither has passed it."""
    module = module_id(app, starter)
    return {"cohort": cohort_with(app, module, DUE_AT_HANOI, students=[student, other_student]), "module": module}


def test_work_not_in_by_the_end_of_the_hanoi_day_is_late(app, due_in_hanoi, student):
    """Lateness is judged where the app judges it: the matrix's "overdue" and the student's dashboard
    (a module is late when its due moment has passed and it is not passed). At 16:30 UTC it is 23:30
    on the due day in Hanoi: on time. At 17:30 UTC it is 00:30 the next day: late."""
    with app.app_context():
        cohort = db.session.get(Cohort, due_in_hanoi["cohort"])
        modules = reports.assigned_modules(cohort)
        assert [m.due_at for m in modules] == [DUE_AT_HANOI]

        def overdue_at(now):
            return [row.cells[0].overdue for row in reports.matrix_rows(cohort, modules, reports.MatrixQuery(), now)]

        assert overdue_at(BEFORE_MIDNIGHT_HANOI) == [False, False]
        assert overdue_at(AFTER_MIDNIGHT_HANOI) == [True, True]

        sam = db.session.get(User, student)
        [before] = dashboard.assignments(sam, BEFORE_MIDNIGHT_HANOI)
        [after] = dashboard.assignments(sam, AFTER_MIDNIGHT_HANOI)
        assert before.status == dashboard.Status.NOT_STARTED and after.status == dashboard.Status.OVERDUE


def test_a_submission_in_the_last_hanoi_minutes_is_on_time_and_one_after_midnight_is_late(
    app, due_in_hanoi, student, student_client
):
    """Sam is still working at the end of the day: handing in at 16:30 UTC (23:30 in Hanoi) is before
    the due moment, and the module is in progress; at 17:30 UTC (00:30 the next day) it is overdue."""
    start_attempt(student_client, "thread-lift-nerve-pain")
    with app.app_context():
        due = db.session.get(CohortModule, (due_in_hanoi["cohort"], due_in_hanoi["module"])).due_at
        assert BEFORE_MIDNIGHT_HANOI <= due < AFTER_MIDNIGHT_HANOI
        sam = db.session.get(User, student)
        [on_time] = dashboard.assignments(sam, BEFORE_MIDNIGHT_HANOI)
        [late] = dashboard.assignments(sam, AFTER_MIDNIGHT_HANOI)
        assert on_time.status == dashboard.Status.IN_PROGRESS and late.status == dashboard.Status.OVERDUE
        # Passed by then: never late.
        assert dashboard.status_for(due, False, 80.0, True, AFTER_MIDNIGHT_HANOI) == dashboard.Status.PASSED


def test_in_new_york_the_same_utc_moments_are_both_on_time(app, due_in_hanoi, student):
    """The academy's zone decides the day: a due date of 4 Dec entered in New York ends at 04:59:59 UTC
    on 5 Dec, so 17:30 UTC on 4 Dec (12:30 in New York) is still on time."""
    set_academy(app, time_zone="America/New_York")
    with app.app_context():
        refresh()
        due = cohorts.due_at_from_date(DUE_DAY, now=LONG_BEFORE)
        assert due == DUE_AT_HANOI + timedelta(hours=12)
        assert dashboard.status_for(due, False, None, False, AFTER_MIDNIGHT_HANOI) == dashboard.Status.NOT_STARTED
        assert dashboard.status_for(due, False, None, False, due + timedelta(seconds=1)) == dashboard.Status.OVERDUE
