"""Admins manage cohorts: create, rename, delete; students, instructors and modules with due dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from training.database import writing
from training.extensions import db
from training.models import (
    Attempt,
    AuditEvent,
    Cohort,
    CohortInstructor,
    CohortMember,
    CohortModule,
    ModuleRow,
    Role,
    User,
)
from training.services import cohorts

from .conftest import count_queries, make_user, start_attempt, user_by_email


def make_cohort(app, name="Spring 2027", description=""):
    """Create a cohort directly through the service; return its id."""
    with app.app_context(), writing():
        cohort = cohorts.create_cohort(None, name, description)
        db.session.commit()
        return cohort.id


def enrol(app, cohort_id, *user_ids):
    """Put users in a cohort without going through the pages."""
    with app.app_context(), writing():
        db.session.add_all(CohortMember(cohort_id=cohort_id, user_id=user_id) for user_id in user_ids)
        db.session.commit()


def audit_rows(app, action):
    """The audit events with this action, oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count(app, model):
    """How many rows a table has."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def module_id(app, slug):
    with app.app_context():
        return db.session.scalar(select(ModuleRow.id).where(ModuleRow.slug == slug))


def link(app, model, cohort_id, other_id):
    with app.app_context():
        return db.session.get(model, (cohort_id, other_id))


def in_days(days):
    return (datetime.now(UTC) + timedelta(days=days)).date()


# --- creating, listing, renaming, deleting -------------------------------------------------------


def test_admin_creates_a_cohort_and_it_is_audited(app, admin_client, academy):
    response = admin_client.post("/cohorts/", data={"name": "  Spring 2027  ", "description": "Thread lifts"})
    assert response.status_code == 302
    with app.app_context():
        cohort = db.session.scalar(select(Cohort))
        assert (cohort.name, cohort.description) == ("Spring 2027", "Thread lifts")
        assert response.headers["Location"] == f"/cohorts/{cohort.id}"
    [event] = audit_rows(app, "cohort.create")
    assert event.actor_id == academy and event.target_id == str(cohort.id)
    assert event.after == {"name": "Spring 2027", "description": "Thread lifts"}
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Spring 2027" in page and "created" in page


@pytest.mark.parametrize("name", ["Spring 2027", "spring 2027 "])
def test_a_taken_name_gets_a_field_error_and_nothing_changes(app, admin_client, name):
    make_cohort(app, "Spring 2027")
    response = admin_client.post("/cohorts/", data={"name": name, "description": "kept"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is already a cohort called" in page and 'class="form-control is-invalid"' in page
    assert "kept</textarea>" in page  # what was typed is kept
    assert count(app, Cohort) == 1 and len(audit_rows(app, "cohort.create")) == 1


def test_a_blank_name_is_refused(app, admin_client):
    response = admin_client.post("/cohorts/", data={"name": "   "})
    assert "Give the cohort a name." in response.get_data(as_text=True)
    assert count(app, Cohort) == 0


def test_the_list_shows_each_cohorts_counts(app, admin_client, starter, student, other_student, instructor):
    spring, autumn = make_cohort(app, "Spring"), make_cohort(app, "Autumn")
    enrol(app, spring, student, other_student)
    with app.app_context(), writing():
        cohort = db.session.get(Cohort, spring)
        cohorts.add_instructor(None, cohort, instructor)
        cohorts.assign_module(None, cohort, db.session.scalar(select(ModuleRow.id).limit(1)), None)
        db.session.commit()
    page = admin_client.get("/cohorts/").get_data(as_text=True)
    rows = page.split("<tbody>")[1].split("</tr>")
    assert "Autumn" in rows[0] and rows[0].count('class="text-end">0<') == 3  # by name: Autumn first
    assert "Spring" in rows[1]
    assert [cell.split("<")[0] for cell in rows[1].split('class="text-end">')[1:]] == ["2", "1", "1"]
    assert autumn


def test_the_list_runs_the_same_queries_for_2_and_20_cohorts(app, admin_client, student):
    def selects_with(n):
        with app.app_context(), writing():
            for i in range(len(db.session.scalars(select(Cohort)).all()), n):
                cohort = cohorts.create_cohort(None, f"Cohort {i:02}")
                db.session.add(CohortMember(cohort_id=cohort.id, user_id=student))
            db.session.commit()
        with count_queries(app) as statements:
            page = admin_client.get("/cohorts/").get_data(as_text=True)
        assert f"Cohort {n - 1:02}" in page
        return len(statements)

    assert selects_with(2) == selects_with(20)


def test_rename_and_describe_records_before_and_after(app, admin_client):
    cohort_id = make_cohort(app, "Spring", "old words")
    response = admin_client.post(
        f"/cohorts/{cohort_id}/edit", data={"cohort-name": "Spring 2027", "cohort-description": "new words"}
    )
    assert response.status_code == 302
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        assert (cohort.name, cohort.description) == ("Spring 2027", "new words")
    [event] = audit_rows(app, "cohort.update")
    assert event.before == {"name": "Spring", "description": "old words"}
    assert event.after == {"name": "Spring 2027", "description": "new words"}


def test_renaming_to_another_cohorts_name_is_refused(app, admin_client):
    make_cohort(app, "Autumn")
    cohort_id = make_cohort(app, "Spring")
    response = admin_client.post(f"/cohorts/{cohort_id}/edit", data={"cohort-name": "Autumn"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is already a cohort called" in page
    assert 'value="Autumn"' in page  # the typed value is kept next to the error
    with app.app_context():
        assert db.session.get(Cohort, cohort_id).name == "Spring"
    assert audit_rows(app, "cohort.update") == []


def test_delete_asks_first_then_keeps_students_and_their_attempts(
    app, admin_client, starter, student, student_client, instructor
):
    cohort_id = make_cohort(app, "Spring")
    enrol(app, cohort_id, student)
    module = module_id(app, starter)
    with app.app_context(), writing():
        cohort = db.session.get(Cohort, cohort_id)
        cohorts.add_instructor(None, cohort, instructor)
        cohorts.assign_module(None, cohort, module, in_days(7))
        db.session.commit()
    start_attempt(student_client, starter)

    confirm = admin_client.get(f"/cohorts/{cohort_id}/delete").get_data(as_text=True)
    assert "Delete the cohort “Spring”?" in confirm and "1 student " in confirm
    assert count(app, Cohort) == 1  # asking changes nothing

    response = admin_client.post(f"/cohorts/{cohort_id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/cohorts/"
    assert count(app, Cohort) == 0
    assert count(app, CohortMember) == count(app, CohortInstructor) == count(app, CohortModule) == 0
    assert count(app, User) == 3 and count(app, Attempt) == 1 and count(app, ModuleRow) > 0
    [event] = audit_rows(app, "cohort.delete")
    assert event.before == {
        "name": "Spring",
        "members": 1,
        "students": ["sam@example.com"],
        "instructors": ["ina@example.com"],
        "modules": [starter],
    }
    assert "deleted" in admin_client.get("/cohorts/").get_data(as_text=True)


# --- instructors --------------------------------------------------------------------------------


def test_add_and_remove_an_instructor(app, admin_client, instructor):
    cohort_id = make_cohort(app)
    page = admin_client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert f'<option value="{instructor}">Ina Instructor (ina@example.com)</option>' in page

    response = admin_client.post(f"/cohorts/{cohort_id}/instructors", data={"instructor-instructor": instructor})
    assert response.status_code == 302
    assert link(app, CohortInstructor, cohort_id, instructor) is not None
    [added] = audit_rows(app, "cohort.instructor_add")
    assert added.after == {"email": "ina@example.com"}

    response = admin_client.post(f"/cohorts/{cohort_id}/instructors/{instructor}/remove")
    assert response.status_code == 302
    assert link(app, CohortInstructor, cohort_id, instructor) is None
    [removed] = audit_rows(app, "cohort.instructor_remove")
    assert removed.before == {"email": "ina@example.com"}
    assert count(app, User) == 2  # the instructor's account stays


def test_only_instructors_can_be_added_as_instructors(app, admin_client, student, instructor):
    cohort_id = make_cohort(app)
    response = admin_client.post(f"/cohorts/{cohort_id}/instructors", data={"instructor-instructor": student})
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert count(app, CohortInstructor) == 0 and audit_rows(app, "cohort.instructor_add") == []


def test_removing_an_instructor_who_does_not_teach_the_cohort_changes_nothing(app, admin_client, instructor):
    cohort_id = make_cohort(app)
    response = admin_client.post(f"/cohorts/{cohort_id}/instructors/{instructor}/remove", follow_redirects=True)
    assert "does not teach this cohort" in response.get_data(as_text=True)
    assert audit_rows(app, "cohort.instructor_remove") == []


# --- modules and due dates ----------------------------------------------------------------------


def test_assign_a_module_due_at_the_end_of_the_chosen_day(app, admin_client, starter):
    cohort_id = make_cohort(app)
    module = module_id(app, starter)
    due = in_days(30)
    response = admin_client.post(
        f"/cohorts/{cohort_id}/modules", data={"module-module": module, "module-due": due.isoformat()}
    )
    assert response.status_code == 302
    stored = link(app, CohortModule, cohort_id, module)
    assert stored.due_at == datetime(due.year, due.month, due.day, 23, 59, 59, tzinfo=UTC)
    page = admin_client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert f"due {due.day} {due.strftime('%b %Y')}" in page
    [event] = audit_rows(app, "cohort.module_assign")
    assert event.after == {"module": starter, "due_at": f"{due.isoformat()}T23:59:59+00:00"}


def test_a_module_can_be_assigned_without_a_due_date(app, admin_client, starter):
    cohort_id = make_cohort(app)
    module = module_id(app, starter)
    admin_client.post(f"/cohorts/{cohort_id}/modules", data={"module-module": module, "module-due": ""})
    assert link(app, CohortModule, cohort_id, module).due_at is None
    assert "no due date" in admin_client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)


def test_a_due_date_in_the_past_is_refused_and_nothing_changes(app, admin_client, starter):
    cohort_id = make_cohort(app)
    module = module_id(app, starter)
    yesterday = in_days(-1).isoformat()
    response = admin_client.post(
        f"/cohorts/{cohort_id}/modules", data={"module-module": module, "module-due": yesterday}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "That date has passed." in page
    assert f'value="{yesterday}"' in page
    assert count(app, CohortModule) == 0 and audit_rows(app, "cohort.module_assign") == []

    due = in_days(10)
    admin_client.post(f"/cohorts/{cohort_id}/modules", data={"module-module": module, "module-due": due.isoformat()})
    response = admin_client.post(f"/cohorts/{cohort_id}/modules/{module}/due", data={f"due-{module}-due": yesterday})
    assert "That date has passed." in response.get_data(as_text=True)
    assert link(app, CohortModule, cohort_id, module).due_at.date() == due
    assert audit_rows(app, "cohort.module_update") == []


def test_today_is_an_acceptable_due_date(app, admin_client, starter):
    cohort_id = make_cohort(app)
    module = module_id(app, starter)
    today = in_days(0)
    admin_client.post(f"/cohorts/{cohort_id}/modules", data={"module-module": module, "module-due": today.isoformat()})
    assert link(app, CohortModule, cohort_id, module).due_at.date() == today


def test_change_clear_and_unassign_a_modules_due_date(app, admin_client, starter):
    cohort_id = make_cohort(app)
    module = module_id(app, starter)
    first, second = in_days(10), in_days(20)
    admin_client.post(f"/cohorts/{cohort_id}/modules", data={"module-module": module, "module-due": first.isoformat()})

    response = admin_client.post(f"/cohorts/{cohort_id}/modules/{module}/due", data={f"due-{module}-due": second})
    assert response.status_code == 302
    assert link(app, CohortModule, cohort_id, module).due_at.date() == second
    [event] = audit_rows(app, "cohort.module_update")
    assert event.before["due_at"].startswith(first.isoformat()) and event.after["due_at"].startswith(second.isoformat())

    admin_client.post(f"/cohorts/{cohort_id}/modules/{module}/due", data={f"due-{module}-due": ""})
    assert link(app, CohortModule, cohort_id, module).due_at is None
    assert audit_rows(app, "cohort.module_update")[-1].after == {"module": starter, "due_at": None}

    response = admin_client.post(f"/cohorts/{cohort_id}/modules/{module}/unassign")
    assert response.status_code == 302 and link(app, CohortModule, cohort_id, module) is None
    [event] = audit_rows(app, "cohort.module_unassign")
    assert event.before == {"module": starter, "due_at": None}


def test_a_module_cannot_be_assigned_twice(app, admin_client, starter):
    cohort_id = make_cohort(app)
    module = module_id(app, starter)
    admin_client.post(f"/cohorts/{cohort_id}/modules", data={"module-module": module})
    response = admin_client.post(f"/cohorts/{cohort_id}/modules", data={"module-module": module})
    assert "already assigned" in response.get_data(as_text=True)
    assert count(app, CohortModule) == 1 and len(audit_rows(app, "cohort.module_assign")) == 1


# --- students -----------------------------------------------------------------------------------


def test_add_one_new_student_shows_the_temporary_password_once(app, admin_client):
    from training.services import accounts

    cohort_id = make_cohort(app)
    response = admin_client.post(
        f"/cohorts/{cohort_id}/students", data={"student-email": "New@Example.com", "student-name": "Nia New"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "not shown again" in page and "new@example.com" in page
    password = page.split('<code class="user-select-all">')[1].split("</code>")[0]
    with app.app_context():
        user = user_by_email("new@example.com")
        assert user.role == Role.STUDENT and user.must_change_password and user.name == "Nia New"
        assert accounts.authenticate("new@example.com", password) is not None
        assert db.session.get(CohortMember, (cohort_id, user.id)) is not None
    [event] = audit_rows(app, "cohort.enrol")
    assert event.summary == "Enrolled 1 students (1 new) in Spring 2027" and event.after == {
        "enrolled": ["new@example.com"],
        "created": ["new@example.com"],
    }


def test_add_one_existing_student_enrols_them_unchanged(app, admin_client, student):
    cohort_id = make_cohort(app)
    response = admin_client.post(
        f"/cohorts/{cohort_id}/students", data={"student-email": "sam@example.com", "student-name": "Another Name"}
    )
    assert response.status_code == 302
    assert "already had an account — enrolled" in admin_client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, student).name == "Sam"
    assert link(app, CohortMember, cohort_id, student) is not None


@pytest.mark.parametrize(
    ("email", "message"),
    [("ina@example.com", "belongs to an instructor"), ("not-an-email", "Enter a valid email address.")],
)
def test_add_one_student_refuses_bad_emails(app, admin_client, instructor, email, message):
    cohort_id = make_cohort(app)
    response = admin_client.post(f"/cohorts/{cohort_id}/students", data={"student-email": email, "student-name": "X"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page and f'value="{email}"' in page
    assert count(app, CohortMember) == 0 and count(app, User) == 2


def test_remove_a_student_keeps_their_account(app, admin_client, student, other_student):
    cohort_id = make_cohort(app)
    enrol(app, cohort_id, student, other_student)
    page = admin_client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert "sam@example.com" in page and "data-confirm=" in page and "js/cohorts.js" in page

    response = admin_client.post(f"/cohorts/{cohort_id}/students/{student}/remove")
    assert response.status_code == 302
    assert link(app, CohortMember, cohort_id, student) is None
    assert link(app, CohortMember, cohort_id, other_student) is not None
    assert count(app, User) == 3
    [event] = audit_rows(app, "cohort.unenrol")
    assert event.before == {"email": "sam@example.com"}


def test_removing_a_student_who_is_not_in_the_cohort_changes_nothing(app, admin_client, student, other_student):
    cohort_id, other_cohort = make_cohort(app, "Spring"), make_cohort(app, "Autumn")
    enrol(app, other_cohort, student)
    response = admin_client.post(f"/cohorts/{cohort_id}/students/{student}/remove", follow_redirects=True)
    assert "not in this cohort" in response.get_data(as_text=True)
    assert link(app, CohortMember, other_cohort, student) is not None
    assert audit_rows(app, "cohort.unenrol") == []


def test_the_page_lists_students_with_their_account_state(app, admin_client, student):
    cohort_id = make_cohort(app)
    enrol(app, cohort_id, student)
    with app.app_context(), writing():
        db.session.get(User, student).active = False
        db.session.commit()
    page = admin_client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert "sam@example.com" in page and "Deactivated" in page


# --- who may do what ----------------------------------------------------------------------------

ROUTES = [
    ("GET", "/cohorts/"),
    ("POST", "/cohorts/"),
    ("GET", "/cohorts/{c}"),
    ("POST", "/cohorts/{c}/edit"),
    ("GET", "/cohorts/{c}/delete"),
    ("POST", "/cohorts/{c}/delete"),
    ("POST", "/cohorts/{c}/students"),
    ("GET", "/cohorts/{c}/enrol"),
    ("POST", "/cohorts/{c}/enrol"),
    ("POST", "/cohorts/{c}/students/{u}/remove"),
    ("POST", "/cohorts/{c}/instructors"),
    ("POST", "/cohorts/{c}/instructors/{u}/remove"),
    ("POST", "/cohorts/{c}/modules"),
    ("POST", "/cohorts/{c}/modules/{m}/due"),
    ("POST", "/cohorts/{c}/modules/{m}/unassign"),
]


def test_every_cohorts_route_is_checked_here(app):
    placeholders = {"{c}": "<int:cohort_id>", "{u}": "<int:user_id>", "{m}": "<int:module_id>"}
    listed = set()
    for _, path in ROUTES:
        for placeholder, converter in placeholders.items():
            path = path.replace(placeholder, converter)
        listed.add(path)
    assert {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("cohorts.")} == listed


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_instructors_and_students_are_refused_every_cohorts_route(
    app, instructor_client, student_client, student, instructor, method, path
):
    cohort_id = make_cohort(app)
    enrol(app, cohort_id, student)
    with app.app_context(), writing():
        db.session.add(CohortInstructor(cohort_id=cohort_id, user_id=instructor))
        db.session.commit()
    url = path.format(c=cohort_id, u=student, m=1)
    for client in (instructor_client, student_client):
        response = client.open(url, method=method, data={"name": "Taken over", "cohort-name": "Taken over"})
        assert response.status_code == 403, (client, url)
    assert link(app, CohortMember, cohort_id, student) is not None
    with app.app_context():
        assert db.session.scalar(select(Cohort.name)) == "Spring 2027"


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in ROUTES if "{c}" in p])
def test_an_unknown_cohort_is_404(app, admin_client, student, method, path):
    response = admin_client.open(path.format(c=999, u=student, m=1), method=method)
    assert response.status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(app, academy):
    response = app.test_client().get("/cohorts/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_new_student_added_by_the_admin_can_be_looked_up_by_the_instructor_scope(app, admin_client, instructor):
    """Enrolling puts the student in the scope of the cohort's instructors (scope.can_see_student)."""
    from training.services.scope import can_see_student

    cohort_id = make_cohort(app)
    admin_client.post(f"/cohorts/{cohort_id}/instructors", data={"instructor-instructor": instructor})
    admin_client.post(
        f"/cohorts/{cohort_id}/students", data={"student-email": "kai@example.com", "student-name": "Kai"}
    )
    outsider = make_user(app, "zed@example.com")
    with app.app_context():
        teacher = db.session.get(User, instructor)
        assert can_see_student(teacher, user_by_email("kai@example.com").id)
        assert not can_see_student(teacher, outsider)
