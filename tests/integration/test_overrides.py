"""Per-student overrides (Moodle's user overrides): extra attempts, extra time, a due date of one's own.

Who may grant one (an admin, or an instructor of the student's cohort), that a reason is
required and bad input changes nothing, that every change is audited, and that the
attempt rules, the answer policy, the dashboard and the reports read the override.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from quizzes.content import Settings, ShowAnswers
from training.database import writing
from training.extensions import db
from training.models import (
    Attempt,
    AuditEvent,
    Cohort,
    CohortInstructor,
    CohortMember,
    CohortModule,
    ModuleOverride,
    ModuleRow,
    User,
)
from training.models.types import utcnow
from training.services import answer_policy, dashboard, overrides
from training.services.content import module_by_slug
from training.services.errors import Forbidden

from .conftest import login, make_user, module_doc, start_attempt, user_by_email
from .helpers import wrong_values
from .test_attempt_policy import publish_settings
from .test_taking import finish

SLUG = "thread-lift-nerve-pain"


@pytest.fixture
def world(app, starter, student, instructor):
    """Cohort A: Sam, taught by Ina, assigned the starter module; cohort B: Olu, taught by Ivo."""
    other_student = make_user(app, "olu@example.com")
    other_instructor = make_user(app, "ivo@example.com", role="instructor")
    with app.app_context(), writing():
        module = module_by_slug(SLUG)
        a, b = Cohort(name="Cohort A"), Cohort(name="Cohort B")
        db.session.add_all([a, b])
        db.session.flush()
        db.session.add_all(
            [
                CohortMember(cohort_id=a.id, user_id=student),
                CohortMember(cohort_id=b.id, user_id=other_student),
                CohortInstructor(cohort_id=a.id, user_id=instructor),
                CohortInstructor(cohort_id=b.id, user_id=other_instructor),
                CohortModule(cohort_id=a.id, module_id=module.id, due_at=utcnow() + timedelta(days=3)),
            ]
        )
        db.session.commit()
        return {"module": module.id, "student": student, "instructor": instructor, "other_student": other_student}


def client_for(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def the_override(app, user_id, module_id) -> ModuleOverride | None:
    with app.app_context():
        row = overrides.for_student(user_id, module_id)
        if row is not None:
            db.session.expunge(row)
        return row


def override_events(app) -> list[AuditEvent]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("override.%")).order_by(AuditEvent.id))
        )
        db.session.expunge_all()
        return rows


def grant_form(module_id, **fields) -> dict[str, str]:
    data = {"grant-module": str(module_id), "grant-reason": "Assessed reading accommodation"}
    data.update({f"grant-{key}": value for key, value in fields.items()})
    return data


def grant(app, actor_email, student_id, module_id, **values):
    """Grant through the service and commit (for tests about what an override does, not who may)."""
    with app.app_context(), writing():
        actor = user_by_email(actor_email)
        student = db.session.get(User, student_id)
        module = db.session.get(ModuleRow, module_id)
        values.setdefault("reason", "Illness, with a doctor's note")
        row = overrides.grant(
            actor,
            student,
            module,
            values.get("extra_attempts", 0),
            values.get("extra_minutes", 0),
            values.get("due_at"),
            values["reason"],
        )
        db.session.commit()
        return row.id


# What an override changes (pure rules)


@pytest.mark.parametrize(
    ("allowed", "limit", "extra_attempts", "extra_minutes", "expect_allowed", "expect_limit"),
    [
        (3, 30, 1, 15, 4, 45),
        (None, None, 2, 20, None, None),  # unlimited stays unlimited, untimed stays untimed
        (1, 10, 0, 0, 1, 10),
    ],
)
def test_effective_rules_add_the_extra_attempts_and_minutes(
    allowed, limit, extra_attempts, extra_minutes, expect_allowed, expect_limit
):
    settings = Settings(attempts_allowed=allowed, time_limit_minutes=limit)
    override = ModuleOverride(extra_attempts=extra_attempts, extra_minutes=extra_minutes, reason="why")
    rules = overrides.apply(settings, override)
    assert (rules.attempts_allowed, rules.time_limit_minutes) == (expect_allowed, expect_limit)
    assert rules.override is override
    plain = overrides.apply(settings, None)
    assert (plain.attempts_allowed, plain.time_limit_minutes, plain.override) == (allowed, limit, None)


def test_effective_reads_the_students_override_from_the_database(app, world):
    grant(app, "ina@example.com", world["student"], world["module"], extra_attempts=1, extra_minutes=15)
    with app.app_context():
        settings = Settings(attempts_allowed=3, time_limit_minutes=30)
        rules = overrides.effective(world["student"], world["module"], settings)
        assert (rules.attempts_allowed, rules.time_limit_minutes) == (4, 45)
        # Olu has no override: the module's rules stand.
        other = overrides.effective(world["other_student"], world["module"], settings)
        assert (other.attempts_allowed, other.time_limit_minutes, other.override) == (3, 30, None)


def test_describe_says_what_the_override_gives_in_words():
    due = datetime(2027, 3, 5, 17, 0, tzinfo=UTC)
    override = ModuleOverride(extra_attempts=1, extra_minutes=15, due_at=due, reason="why")
    assert overrides.describe(override) == [
        "1 extra attempt",
        "15 extra minutes on the time limit",
        "Your due date: 5 Mar 2027, 17:00 UTC",
    ]
    assert overrides.describe(ModuleOverride(extra_attempts=2, extra_minutes=0, reason="why")) == ["2 extra attempts"]
    assert overrides.describe(None) == []


# What an override changes for the student, end to end


def test_an_extra_attempt_lets_the_student_start_again_after_using_all_the_modules(app, world, student_client):
    publish_settings(app, attempts_allowed=1, retry_wait_hours=None)
    finish(student_client, module_doc(app, SLUG), start_attempt(student_client, SLUG), values=wrong_values)
    assert student_client.post(f"/modules/{SLUG}/start").status_code == 409

    grant(app, "ina@example.com", world["student"], world["module"], extra_attempts=1)
    second = start_attempt(student_client, SLUG)
    finish(student_client, module_doc(app, SLUG), second, values=wrong_values)
    refused = student_client.post(f"/modules/{SLUG}/start")
    assert refused.status_code == 409 and "used all 2 attempt" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 2


def test_extra_minutes_lengthen_the_deadline_of_a_new_attempt(app, world, student_client):
    publish_settings(app, time_limit_minutes=30)
    grant(app, "ina@example.com", world["student"], world["module"], extra_minutes=15)
    attempt_id = start_attempt(student_client, SLUG)
    with app.app_context():
        row = db.session.get(Attempt, attempt_id)
        assert timedelta(minutes=44) < row.deadline - row.started_at <= timedelta(minutes=45)


def test_answers_stay_hidden_while_an_extra_attempt_is_left(app, world, student_client):
    publish_settings(app, attempts_allowed=1, retry_wait_hours=None, show_answers=ShowAnswers.AFTER_LAST_ATTEMPT)
    grant(app, "ina@example.com", world["student"], world["module"], extra_attempts=1)
    finish(student_client, module_doc(app, SLUG), start_attempt(student_client, SLUG), values=wrong_values)
    with app.app_context():
        assert not answer_policy.answers_visible(world["student"], world["module"])
    finish(student_client, module_doc(app, SLUG), start_attempt(student_client, SLUG), values=wrong_values)
    with app.app_context():
        assert answer_policy.answers_visible(world["student"], world["module"])


def test_the_overrides_due_date_replaces_the_cohorts(app, world):
    own_due = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    with app.app_context():
        cohort_due = answer_policy.due_date(world["student"], world["module"])
        assert cohort_due is not None and cohort_due < own_due
    grant(app, "ina@example.com", world["student"], world["module"], due_at=own_due)
    with app.app_context():
        assert answer_policy.due_date(world["student"], world["module"]) == own_due
        assert answer_policy.due_date(world["other_student"], world["module"]) is None
        assert overrides.due_dates([world["student"], world["other_student"]], [world["module"]]) == {
            (world["student"], world["module"]): own_due
        }
        assert overrides.due_dates([], [world["module"]]) == {}


def test_the_dashboard_shows_the_students_override_and_own_due_date(app, world, student_client):
    own_due = datetime.combine((utcnow() + timedelta(days=20)).date(), datetime.min.time(), UTC) + timedelta(hours=17)
    grant(app, "ina@example.com", world["student"], world["module"], extra_attempts=1, extra_minutes=15, due_at=own_due)
    page = student_client.get("/dashboard").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Adjusted for you: 1 extra attempt; 15 extra minutes on the time limit" in text
    assert f"{own_due.day} {own_due:%b %Y}" in text and "your own due date" in text
    with app.app_context():
        (assignment,) = dashboard.assignments(db.session.get(User, world["student"]))
        assert assignment.due_at == own_due and assignment.own_due_date


# Who may grant


def test_an_instructor_of_the_students_cohort_grants_an_override_and_it_is_audited(app, world, instructor_client):
    page = instructor_client.get(f"/overrides/students/{world['student']}")
    assert page.status_code == 200 and "Grant an override" in page.get_data(as_text=True)
    response = instructor_client.post(
        f"/overrides/students/{world['student']}",
        data=grant_form(world["module"], extra_attempts="1", extra_minutes="15", due_at="2999-01-02T17:30"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    row = the_override(app, world["student"], world["module"])
    assert (row.extra_attempts, row.extra_minutes) == (1, 15)
    assert row.due_at == datetime(2999, 1, 2, 17, 30, tzinfo=UTC)  # typed as UTC
    assert row.reason == "Assessed reading accommodation" and row.granted_by_id == world["instructor"]
    (event,) = override_events(app)
    assert event.action == "override.grant" and event.actor_id == world["instructor"]
    assert (event.target_type, event.target_id) == ("user", str(world["student"]))
    assert event.before is None
    assert event.after == {
        "module": SLUG,
        "extra_attempts": 1,
        "extra_minutes": 15,
        "due_at": "2999-01-02T17:30:00+00:00",
        "reason": "Assessed reading accommodation",
    }
    listed = instructor_client.get(f"/overrides/students/{world['student']}").get_data(as_text=True)
    assert f'data-module="{SLUG}"' in listed and "2 Jan 2999, 17:30 UTC" in listed


def test_changing_an_override_replaces_it_and_the_audit_keeps_before_and_after(app, world, instructor_client):
    grant(app, "admin@example.com", world["student"], world["module"], extra_attempts=1)
    edit = instructor_client.get(f"/overrides/students/{world['student']}/modules/{world['module']}")
    assert edit.status_code == 200 and "Change the override" in edit.get_data(as_text=True)
    response = instructor_client.post(
        f"/overrides/students/{world['student']}/modules/{world['module']}",
        data={"extra_attempts": "2", "extra_minutes": "", "reason": "Second illness"},
    )
    assert response.status_code == 302
    row = the_override(app, world["student"], world["module"])
    assert (row.extra_attempts, row.extra_minutes, row.reason) == (2, 0, "Second illness")
    with app.app_context():
        assert db.session.scalar(select(func.count(ModuleOverride.id))) == 1
    grant_event, change = override_events(app)
    assert change.action == "override.change"
    assert change.before["extra_attempts"] == 1 and change.after["extra_attempts"] == 2
    assert change.before["reason"] == "Illness, with a doctor's note" and change.after["reason"] == "Second illness"


def test_removing_an_override_restores_the_modules_rules_and_is_audited(app, world, instructor_client):
    grant(app, "ina@example.com", world["student"], world["module"], extra_attempts=1)
    response = instructor_client.post(f"/overrides/students/{world['student']}/modules/{world['module']}/remove")
    assert response.status_code == 302
    assert the_override(app, world["student"], world["module"]) is None
    events = override_events(app)
    assert [e.action for e in events] == ["override.grant", "override.remove"]
    assert events[-1].before["extra_attempts"] == 1 and events[-1].after is None


def test_an_admin_grants_an_override_to_any_student(app, world, admin_client):
    response = admin_client.post(
        f"/overrides/students/{world['other_student']}", data=grant_form(world["module"], extra_minutes="20")
    )
    assert response.status_code == 302
    assert the_override(app, world["other_student"], world["module"]).extra_minutes == 20


def test_an_instructor_of_another_cohort_is_refused_and_nothing_is_written(app, world):
    ivo = client_for(app, "ivo@example.com")
    base = f"/overrides/students/{world['student']}"
    # Over HTTP: a 404, as on the student's report page, so nothing hints that Sam exists.
    assert ivo.get(base).status_code == 404
    assert ivo.post(base, data=grant_form(world["module"], extra_attempts="3")).status_code == 404
    assert ivo.get(f"{base}/modules/{world['module']}").status_code == 404
    grant(app, "ina@example.com", world["student"], world["module"], extra_attempts=1)
    assert ivo.post(f"{base}/modules/{world['module']}", data={"extra_attempts": "9", "reason": "x"}).status_code == 404
    assert ivo.post(f"{base}/modules/{world['module']}/remove").status_code == 404
    assert the_override(app, world["student"], world["module"]).extra_attempts == 1
    assert len(override_events(app)) == 1
    # The service refuses too, with a 403, whoever calls it.
    with app.app_context(), writing():
        actor = user_by_email("ivo@example.com")
        student = db.session.get(User, world["student"])
        module = module_by_slug(SLUG)
        with pytest.raises(Forbidden) as refused:
            overrides.grant(actor, student, module, 5, 0, None, "Because")
        assert refused.value.status_code == 403
        with pytest.raises(Forbidden):
            overrides.remove(actor, overrides.for_student(student.id, module.id))
        db.session.rollback()


def test_a_student_is_refused_even_for_their_own_overrides(app, world, student_client):
    base = f"/overrides/students/{world['student']}"
    assert student_client.get(base).status_code == 403
    assert student_client.post(base, data=grant_form(world["module"], extra_attempts="5")).status_code == 403
    assert (
        student_client.post(
            f"{base}/modules/{world['module']}", data={"extra_attempts": "5", "reason": "x"}
        ).status_code
        == 403
    )
    assert the_override(app, world["student"], world["module"]) is None
    with app.app_context(), writing():
        sam = user_by_email("sam@example.com")
        with pytest.raises(Forbidden):
            overrides.grant(sam, sam, module_by_slug(SLUG), 5, 0, None, "I want more")
        db.session.rollback()


# Bad input: a clear message next to the field, nothing written


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"extra_attempts": "1", "reason": ""}, "Say why this student gets the override."),
        ({"extra_attempts": "1", "reason": "   "}, "Say why this student gets the override"),
        ({"extra_attempts": "-1"}, "Must be 0 or more."),
        ({"extra_minutes": "601"}, "Must be 600 or less."),
        ({"extra_attempts": "two"}, "Not a valid integer value."),
        ({"due_at": "2020-01-01T10:00"}, "That time has passed."),
        ({"due_at": "tomorrow"}, "Not a valid datetime value."),
        ({"extra_attempts": "0", "extra_minutes": ""}, "this override would change nothing"),
        ({"extra_attempts": "1", "reason": "x" * 501}, "Keep the reason to 500 characters."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(app, world, instructor_client, fields, message):
    response = instructor_client.post(
        f"/overrides/students/{world['student']}", data=grant_form(world["module"], **fields)
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page.replace("&#34;", '"').replace("&#39;", "'")
    assert the_override(app, world["student"], world["module"]) is None
    assert override_events(app) == []
    # What was typed is kept.
    if fields.get("reason", "x").strip() and len(fields.get("reason", "")) < 100:
        assert (fields.get("reason") or "Assessed reading accommodation") in page


def test_the_service_refuses_a_missing_reason_and_writes_nothing(app, world):
    with app.app_context(), writing():
        ina = user_by_email("ina@example.com")
        sam = db.session.get(User, world["student"])
        with pytest.raises(overrides.OverrideError) as refused:
            overrides.grant(ina, sam, module_by_slug(SLUG), 1, 0, None, " ")
        assert refused.value.field == "reason"
        db.session.rollback()
        assert db.session.scalar(select(func.count(ModuleOverride.id))) == 0
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("override.%"))) == 0


def test_an_unchanged_past_due_date_does_not_block_changing_the_rest(app, world):
    grant(app, "ina@example.com", world["student"], world["module"], due_at=utcnow() + timedelta(hours=1))
    with app.app_context(), writing():
        row = db.session.scalar(select(ModuleOverride))
        past = utcnow() - timedelta(hours=1)
        row.due_at = past  # the due date has since gone by
        db.session.commit()
    grant(app, "ina@example.com", world["student"], world["module"], extra_attempts=2, due_at=past)
    row = the_override(app, world["student"], world["module"])
    assert row.extra_attempts == 2 and row.due_at == past


def test_the_grant_form_needs_a_csrf_token_when_csrf_is_on(app, world, instructor_client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = instructor_client.post(
        f"/overrides/students/{world['student']}", data=grant_form(world["module"], extra_attempts="1")
    )
    assert response.status_code == 400
    removal = instructor_client.post(f"/overrides/students/{world['student']}/modules/{world['module']}/remove")
    assert removal.status_code == 400
    assert the_override(app, world["student"], world["module"]) is None


def test_the_admin_user_page_and_the_cohort_page_link_to_the_overrides(app, world, admin_client):
    grant(app, "ina@example.com", world["student"], world["module"], extra_attempts=1)
    page = admin_client.get(f"/admin/users/{world['student']}").get_data(as_text=True)
    assert f"/overrides/students/{world['student']}" in page
    assert "1 module with an override" in page
    with app.app_context():
        cohort_id = db.session.scalar(select(Cohort.id).where(Cohort.name == "Cohort A"))
    cohort_page = admin_client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert f"/overrides/students/{world['student']}" in cohort_page


def test_an_instructor_reaches_the_overrides_from_the_students_report(app, world, instructor_client):
    """Instructors cannot open the cohort pages (admins only): the student's report is their way in."""
    page = instructor_client.get(f"/reports/students/{world['student']}").get_data(as_text=True)
    assert f'href="/overrides/students/{world["student"]}"' in page
