"""Admins manage people: the user list, adding accounts, roles, deactivation, password resets, ending sessions."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from training.database import writing
from training.extensions import db
from training.models import AuditEvent, Cohort, CohortInstructor, CohortMember, Role, User
from training.services import users
from training.services.accounts import AccountError

from .conftest import PASSWORD, count_queries, login, make_user, user_by_email


def add_people(
    app, count: int, prefix: str = "person", role: str = Role.STUDENT, cohort: str | None = None
) -> list[int]:
    """Insert ``count`` users quickly (no password hashing), optionally enrolled in a new cohort."""
    with app.app_context(), writing():
        people = [
            User(email=f"{prefix}{n:03d}@example.com", name=f"{prefix.title()} {n:03d}", role=role, password_hash="x")
            for n in range(count)
        ]
        db.session.add_all(people)
        db.session.flush()
        if cohort:
            group = Cohort(name=cohort)
            db.session.add(group)
            db.session.flush()
            db.session.add_all(CohortMember(cohort_id=group.id, user_id=person.id) for person in people)
        db.session.commit()
        return [person.id for person in people]


def audit_rows(app, action: str | None = None) -> list[AuditEvent]:
    """Staff changes in the audit log (no sign-ins or other security events), oldest first, optionally of one action."""
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action.not_like("auth.%")).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(db.session.scalars(query))


def get_user(app, user_id: int) -> User:
    """A fresh copy of the user row."""
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def temporary_password_on(page: str) -> str:
    """The temporary password shown on an "account added" or "password reset" page."""
    return re.search(r'id="temporary-password">([^<]+)<', page).group(1)


# --- The list --------------------------------------------------------------------------


def test_user_list_shows_everyone_with_role_status_and_cohort_counts(app, admin_client, student, instructor):
    with app.app_context(), writing():
        spring, autumn = Cohort(name="Spring"), Cohort(name="Autumn")
        db.session.add_all([spring, autumn])
        db.session.flush()
        db.session.add_all(
            [
                CohortMember(cohort_id=spring.id, user_id=student),
                CohortMember(cohort_id=autumn.id, user_id=student),
                CohortInstructor(cohort_id=spring.id, user_id=instructor),
            ]
        )
        db.session.get(User, instructor).active = False
        db.session.commit()
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "3 people" in page
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r"<tr>\s*<th scope=\"row\">.*?>([^<]+)</a></th>(.*?)</tr>", page, re.S)
    }
    assert set(rows) == {"Ada Admin", "Sam", "Ina Instructor"}
    assert re.search(r'text-end">2</td>', rows["Sam"]) and "Active" in rows["Sam"]
    assert re.search(r'text-end">1</td>', rows["Ina Instructor"]) and "Deactivated" in rows["Ina Instructor"]
    assert re.search(r'text-end">0</td>', rows["Ada Admin"]) and "Admin" in rows["Ada Admin"]


def test_user_list_searches_names_and_emails_and_filters_by_role_and_status(app, admin_client, student, instructor):
    make_user(app, "pat@clinic.example", name="Pat Percent%")
    with app.app_context():
        db.session.get(User, student).active = False
        db.session.commit()

    def names(query: str) -> set[str]:
        page = admin_client.get(f"/admin/users?{query}").get_data(as_text=True)
        return set(re.findall(r'<th scope="row"><a href="/admin/users/\d+">([^<]+)</a>', page))

    assert names("q=INA") == {"Ina Instructor"}
    assert names("q=clinic.example") == {"Pat Percent%"}
    assert names("q=%25") == {"Pat Percent%"}  # a literal %, not a wildcard
    assert names("role=student") == {"Sam", "Pat Percent%"}
    assert names("status=deactivated") == {"Sam"}
    assert names("status=active&role=student") == {"Pat Percent%"}
    assert names("q=nobody") == set()


def test_user_list_refuses_an_unknown_role_filter_with_a_message(admin_client, student):
    page = admin_client.get("/admin/users?role=wizard").get_data(as_text=True)
    assert "Not a valid choice" in page
    assert "Sam" in page and "Ada Admin" in page  # the bad filter is ignored, not applied


def test_user_list_has_fifty_per_page(app, admin_client, academy):
    add_people(app, 60)
    first = admin_client.get("/admin/users").get_data(as_text=True)
    second = admin_client.get("/admin/users?page=2").get_data(as_text=True)
    assert first.count('<th scope="row">') == 50 and "page 1 of 2" in first
    assert second.count('<th scope="row">') == 11 and "page 2 of 2" in second
    assert 'href="/admin/users?page=2"' in first
    filtered = admin_client.get("/admin/users?role=student").get_data(as_text=True)
    assert 'href="/admin/users?page=2&amp;role=student"' in filtered  # page links keep the filters


@pytest.mark.parametrize("people", [3, 30])
def test_user_list_query_count_does_not_grow_with_people(app, admin_client, people):
    add_people(app, people, cohort="Spring")
    admin_client.get("/admin/users")  # warm up: first-request checks
    with count_queries(app) as statements:
        page = admin_client.get("/admin/users").get_data(as_text=True)
    assert page.count('text-end">1</td>') == people
    # the signed-in admin, the academy name, the total, the page, the grouped cohort counts
    assert len(statements) == 5, statements


# --- Adding people ----------------------------------------------------------------------


def test_add_user_shows_a_temporary_password_once_and_audits_without_it(app, admin_client, academy):
    response = admin_client.post(
        "/admin/users/new", data={"email": " Nia@Example.com ", "name": "Nia Nurse", "role": "instructor"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = temporary_password_on(page)
    assert len(password) == 16 and "nia@example.com" in page
    with app.app_context():
        nia = user_by_email("nia@example.com")
        assert nia.role == Role.INSTRUCTOR and nia.must_change_password and nia.name == "Nia Nurse"
        nia_id, hash_ = nia.id, nia.password_hash
    [event] = audit_rows(app, "user.create")
    assert (event.actor_id, event.target_type, event.target_id) == (academy, "user", str(nia_id))
    assert event.after == {
        "email": "nia@example.com",
        "name": "Nia Nurse",
        "role": "instructor",
        "must_change_password": True,
    }
    assert password not in json.dumps(event.after) and hash_ not in json.dumps(event.after)
    # Shown once: the user's page never shows it again.
    assert password not in admin_client.get(f"/admin/users/{nia_id}").get_data(as_text=True)
    assert login(app.test_client(), "nia@example.com", password).status_code == 302


def test_add_user_with_an_email_in_use_shows_the_error_and_changes_nothing(app, admin_client, student):
    response = admin_client.post(
        "/admin/users/new", data={"email": "SAM@example.com", "name": "Sam Two", "role": "student"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A user with the email sam@example.com already exists." in page and "is-invalid" in page
    assert 'value="Sam Two"' in page  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 2
    assert audit_rows(app) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email", "name": "X", "role": "student"}, "Invalid email address."),
        ({"email": "x@example.com", "name": "", "role": "student"}, "This field is required."),
        ({"email": "x@example.com", "name": "X", "role": "wizard"}, "Not a valid choice."),
    ],
)
def test_add_user_refuses_bad_input(app, admin_client, academy, data, message):
    response = admin_client.post("/admin/users/new", data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    with app.app_context():
        assert user_by_email("x@example.com") is None
    assert audit_rows(app) == []


# --- The details page and its actions -----------------------------------------------------


def test_user_page_shows_details_and_cohorts(app, admin_client, student):
    with app.app_context(), writing():
        cohort = Cohort(name="Spring 2027 thread lifts")
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=student))
        db.session.commit()
    page = admin_client.get(f"/admin/users/{student}").get_data(as_text=True)
    assert "sam@example.com" in page and "Student" in page and "Spring 2027 thread lifts" in page
    assert "Deactivate" in page and "Reset password" in page


def test_unknown_user_is_404(admin_client):
    assert admin_client.get("/admin/users/9999").status_code == 404
    assert admin_client.post("/admin/users/9999/deactivate").status_code == 404


def test_change_role_changes_the_user_and_writes_one_audit_row(app, admin_client, academy, student):
    response = admin_client.post(f"/admin/users/{student}/role", data={"role": "instructor"}, follow_redirects=True)
    assert "sam@example.com is now instructor." in response.get_data(as_text=True)
    assert get_user(app, student).role == Role.INSTRUCTOR
    [event] = audit_rows(app)
    assert (event.action, event.actor_id, event.target_id) == ("user.role", academy, str(student))
    assert (event.before, event.after) == ({"role": "student"}, {"role": "instructor"})


def test_a_new_role_drops_the_cohort_links_of_the_old_one(app, admin_client, academy, student, instructor):
    with app.app_context(), writing():
        evening = Cohort(name="Evening")
        db.session.add(evening)
        db.session.flush()
        db.session.add_all(
            [
                CohortMember(cohort_id=evening.id, user_id=student),
                CohortInstructor(cohort_id=evening.id, user_id=instructor),
            ]
        )
        db.session.commit()
    admin_client.post(f"/admin/users/{student}/role", data={"role": "instructor"})
    admin_client.post(f"/admin/users/{instructor}/role", data={"role": "student"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortMember)) == 0
        assert db.session.scalar(select(func.count()).select_from(CohortInstructor)) == 0
    befores = {event.target_id: event.before for event in audit_rows(app, "user.role")}
    assert befores[str(student)] == {"role": "student", "student_in": ["Evening"]}
    assert befores[str(instructor)] == {"role": "instructor", "taught": ["Evening"]}


def test_change_role_to_an_unknown_or_the_same_role_changes_nothing(app, admin_client, student):
    bad = admin_client.post(f"/admin/users/{student}/role", data={"role": "wizard"}, follow_redirects=True)
    assert "Nothing was changed: choose one of the roles offered." in bad.get_data(as_text=True)
    same = admin_client.post(f"/admin/users/{student}/role", data={"role": "student"}, follow_redirects=True)
    assert "Nothing was changed: sam@example.com is already student." in same.get_data(as_text=True)
    assert get_user(app, student).role == Role.STUDENT
    assert audit_rows(app) == []


def test_admin_cannot_demote_or_deactivate_themselves(app, admin_client, academy):
    make_user(app, "second@example.com", Role.ADMIN)  # another admin exists: the refusal is about "yourself"
    demote = admin_client.post(f"/admin/users/{academy}/role", data={"role": "student"}, follow_redirects=True)
    assert "You cannot change your own role" in demote.get_data(as_text=True)
    deactivate = admin_client.post(f"/admin/users/{academy}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account" in deactivate.get_data(as_text=True)
    admin = get_user(app, academy)
    assert admin.role == Role.ADMIN and admin.active and admin.session_epoch == 0
    assert audit_rows(app) == []
    assert admin_client.get("/admin/users").status_code == 200


def test_last_active_admin_can_never_be_demoted_or_deactivated(app, ctx, academy):
    # Only reachable when two admins act at once: the other admin was deactivated a moment
    # ago while their request was already on its way.
    other_id = make_user(app, "other@example.com", Role.ADMIN)
    other = db.session.get(User, other_id)
    other.active = False
    db.session.commit()
    last = db.session.get(User, academy)
    for change in (lambda: users.deactivate(other, last), lambda: users.change_role(other, last, Role.STUDENT)):
        with pytest.raises(AccountError, match="admin@example.com is the last active admin"):
            change()
        db.session.rollback()
    last = db.session.get(User, academy)
    assert last.active and last.role == Role.ADMIN
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_a_demoted_admin_can_demote_nobody(app, ctx, academy):
    other_id = make_user(app, "other@example.com", Role.ADMIN)
    student_id = make_user(app, "sam@example.com")
    other = db.session.get(User, other_id)
    other.role = Role.INSTRUCTOR  # demoted by someone else while their form was open
    db.session.commit()
    with pytest.raises(AccountError, match="no longer an active admin"):
        users.deactivate(other, db.session.get(User, student_id))
    db.session.rollback()
    assert db.session.get(User, student_id).active


def test_deactivate_ends_the_live_session_and_reactivate_lets_them_back(
    app, admin_client, academy, student_client, student
):
    assert student_client.get("/").status_code == 200
    response = admin_client.post(f"/admin/users/{student}/deactivate", follow_redirects=True)
    assert "sam@example.com is deactivated and signed out everywhere." in response.get_data(as_text=True)
    after = student_client.get("/progress")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    assert login(app.test_client(), "sam@example.com").status_code == 200  # refused
    sam = get_user(app, student)
    assert not sam.active and sam.session_epoch == 1
    [event] = audit_rows(app)
    assert (event.action, event.actor_id, event.target_id) == ("user.deactivate", academy, str(student))
    assert (event.before, event.after) == ({"active": True, "session_epoch": 0}, {"active": False, "session_epoch": 1})

    again = admin_client.post(f"/admin/users/{student}/deactivate", follow_redirects=True)
    assert "is already deactivated" in again.get_data(as_text=True)
    back = admin_client.post(f"/admin/users/{student}/reactivate", follow_redirects=True)
    assert "sam@example.com can sign in again." in back.get_data(as_text=True)
    assert get_user(app, student).active
    [reactivated] = audit_rows(app, "user.reactivate")
    assert (reactivated.before, reactivated.after) == ({"active": False}, {"active": True})
    assert login(app.test_client(), "sam@example.com").status_code == 302
    assert len(audit_rows(app)) == 2


def test_a_session_opened_before_deactivation_is_refused_even_without_an_epoch_bump(app, student_client, student):
    with app.app_context():
        db.session.get(User, student).active = False  # e.g. by hand in the database
        db.session.commit()
    response = student_client.get("/progress")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_reset_password_shows_a_new_one_once_and_signs_the_user_out(
    app, admin_client, academy, student_client, student
):
    response = admin_client.post(f"/admin/users/{student}/reset-password")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = temporary_password_on(page)
    sam = get_user(app, student)
    assert sam.must_change_password and sam.session_epoch == 1
    assert student_client.get("/progress").headers["Location"].startswith("/login")
    assert login(app.test_client(), "sam@example.com", PASSWORD).status_code == 200  # old password refused
    assert login(app.test_client(), "sam@example.com", password).status_code == 302
    [event] = audit_rows(app)
    assert (event.action, event.actor_id, event.target_id) == ("user.password_reset", academy, str(student))
    assert event.before == {"must_change_password": False, "session_epoch": 0}
    assert event.after == {"must_change_password": True, "session_epoch": 1}
    logged = json.dumps([event.before, event.after, event.summary])
    assert password not in logged and "argon2" not in logged


def test_admin_cannot_reset_their_own_password_here(app, admin_client, academy):
    response = admin_client.post(f"/admin/users/{academy}/reset-password", follow_redirects=True)
    assert "Change your own password on the Password page instead." in response.get_data(as_text=True)
    assert not get_user(app, academy).must_change_password
    assert audit_rows(app) == []


def test_end_sessions_sends_the_signed_in_user_to_sign_in(app, admin_client, academy, student_client, student):
    assert student_client.get("/progress").status_code == 200
    response = admin_client.post(f"/admin/users/{student}/end-sessions", follow_redirects=True)
    assert "sam@example.com is signed out everywhere." in response.get_data(as_text=True)
    after = student_client.get("/progress")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    [event] = audit_rows(app)
    assert (event.action, event.target_id) == ("user.sessions_end", str(student))
    assert (event.before, event.after) == ({"session_epoch": 0}, {"session_epoch": 1})
    assert login(student_client, "sam@example.com").status_code == 302  # they may sign in again
    assert student_client.get("/progress").status_code == 200


def test_admin_ending_their_own_sessions_stays_signed_in_here(app, admin_client, academy):
    elsewhere = app.test_client()
    login(elsewhere, "admin@example.com")
    response = admin_client.post(f"/admin/users/{academy}/end-sessions", follow_redirects=True)
    assert "Your other sessions are ended; this one continues." in response.get_data(as_text=True)
    assert admin_client.get("/admin/users").status_code == 200
    assert elsewhere.get("/admin/users").headers["Location"].startswith("/login")


# --- Who may --------------------------------------------------------------------------


def admin_urls(app, user_id: int) -> list[tuple[str, str]]:
    """Every admin route as (method, url), with ``user_id`` wherever a user is named."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            url = rule.build({"user_id": user_id} if "user_id" in rule.arguments else {})[1]
            urls.extend((method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return urls


def test_every_admin_route_is_forbidden_to_instructors_and_students(app, instructor_client, student_client, student):
    urls = admin_urls(app, student)
    assert {url for _, url in urls} >= {"/admin/users", "/admin/users/new", "/admin/audit", "/admin/audit.csv"}
    assert ("POST", f"/admin/users/{student}/deactivate") in urls
    for client in (instructor_client, student_client):
        for method, url in urls:
            assert client.open(url, method=method, data={"role": "admin"}).status_code == 403, (method, url)
    assert get_user(app, student).role == Role.STUDENT and get_user(app, student).active
    assert audit_rows(app) == []


def test_admin_routes_send_visitors_to_sign_in(app, student):
    for method, url in admin_urls(app, student):
        response = app.test_client().open(url, method=method)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), (method, url)
