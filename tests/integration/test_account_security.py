"""Accounts as an outside review probed them: weak passwords, security events in the audit log,
sessions that go idle, and signed-in pages that shared browsers must not keep."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from training.database import writing
from training.extensions import db
from training.models import AuditEvent, UserSession
from training.services import accounts

from .conftest import PASSWORD, login, make_user, start_attempt


def events(app, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(db.session.scalars(query))


def password_change(current: str, new: str) -> dict:
    return {"current_password": current, "new_password": new, "confirm": new}


# --------------------------------------------------------------------------- weak passwords

WEAK = {
    "password123": "most common passwords",
    "1234567890": "most common passwords",
    "qwertyuiop": "most common passwords",
    "Sunshine2026!": "most common passwords",  # a common word with digits and a symbol around it
    "aaaaaaaaaa": "plain run",
    "abcdefghijkl": "plain run",
    "9876543210": "plain run",
    "sam.student.2026": "your name, your email",
    "StudentSam99": "your name, your email",
    "TestAcademy2026": "your name, your email",
}


@pytest.mark.parametrize(("weak", "why"), WEAK.items())
def test_a_weak_new_password_is_refused_with_the_reason_next_to_the_field(app, student_client, weak, why):
    page = student_client.post("/account/password", data=password_change(PASSWORD, weak)).get_data(as_text=True)
    assert why in page.replace("&#39;", "'")
    with app.app_context():
        assert accounts.authenticate("sam@example.com", PASSWORD) is not None  # nothing changed


def test_setup_refuses_a_password_made_of_the_academy_or_admin_name(app):
    form = {
        "academy_name": "Glow Academy",
        "name": "Lan Nguyễn",
        "email": "lan@glow.vn",
        "password": "nguyenlan1990",
        "confirm": "nguyenlan1990",
    }
    page = app.test_client().post("/setup", data=form).get_data(as_text=True)
    assert "your name, your email or the academy" in page.replace("&#39;", "'")
    with app.app_context():
        assert accounts.needs_setup()


def test_create_user_refuses_a_common_password(app, academy):
    with app.app_context(), writing(), pytest.raises(accounts.AccountError, match="most common"):
        accounts.create_user("kim@example.com", "Kim", "student", "iloveyou123")


def test_a_strong_password_is_still_accepted(app, student_client):
    response = student_client.post("/account/password", data=password_change(PASSWORD, "tulip ledger orbit 58"))
    assert response.status_code == 302


# --------------------------------------------------------------------------- security events


def test_sign_in_success_failure_and_sign_out_are_audited_with_address_and_never_a_password(app, student):
    client = app.test_client()
    client.post("/login", data={"email": "SAM@example.com ", "password": "wrong guess here"})
    client.post("/login", data={"email": "nobody@example.com", "password": "another guess"})
    login(client, "sam@example.com")
    client.post("/logout")
    logged = events(app)
    assert [event.action for event in logged] == [
        "auth.sign_in_failed",
        "auth.sign_in_failed",
        "auth.sign_in",
        "auth.sign_out",
    ]
    assert {event.address for event in logged} == {"127.0.0.1"}
    assert logged[0].actor_email == "sam@example.com" and logged[0].target_id == str(student)
    assert logged[1].actor_email == "nobody@example.com" and "no such account" in logged[1].summary
    assert logged[2].actor_id == student and logged[3].actor_id == student
    for event in logged:
        text = f"{event.summary} {event.before} {event.after}"
        assert PASSWORD not in text and "wrong guess" not in text and "another guess" not in text


def test_throttled_sign_ins_are_audited_once_a_minute_not_once_a_try(app, student):
    client = app.test_client()
    for _ in range(14):
        client.post("/login", data={"email": "sam@example.com", "password": "not the password"})
    throttled = events(app, "auth.throttled")
    assert len(throttled) == 1
    assert throttled[0].actor_email == "sam@example.com" and throttled[0].address == "127.0.0.1"
    assert len(events(app, "auth.sign_in_failed")) == 10


def test_wrong_current_passwords_are_throttled_and_audited(app, student_client, student):
    for _ in range(10):
        wrong = student_client.post("/account/password", data=password_change("not my password", "tulip ledger orbit"))
        assert wrong.status_code == 200
    refused = student_client.post("/account/password", data=password_change(PASSWORD, "tulip ledger orbit"))
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert len(events(app, "auth.password_check_failed")) == 10
    [throttled] = events(app, "auth.throttled")
    assert throttled.actor_id == student
    # Other mistakes on the form (a short new password) are not counted against the user.
    other = app.test_client()
    make_user(app, "kim@example.com")
    login(other, "kim@example.com")
    for _ in range(12):
        assert other.post("/account/password", data=password_change(PASSWORD, "short")).status_code == 200


def test_password_change_is_audited_with_the_address(app, student_client):
    student_client.post("/account/password", data=password_change(PASSWORD, "tulip ledger orbit 58"))
    [event] = events(app, "user.password_change")
    assert event.address == "127.0.0.1"


def test_the_audit_log_filters_security_events_and_addresses(app, admin_client, student):
    login(app.test_client(), "sam@example.com", "a wrong password")
    security = admin_client.get("/admin/audit?kind=security").get_data(as_text=True)
    assert "Failed sign-in for sam@example.com" in security and "from 127.0.0.1" in security
    changes = admin_client.get("/admin/audit?kind=changes").get_data(as_text=True)
    assert "Failed sign-in" not in changes
    assert "Failed sign-in" in admin_client.get("/admin/audit?address=127.0").get_data(as_text=True)
    assert "Failed sign-in" not in admin_client.get("/admin/audit?address=10.").get_data(as_text=True)
    assert "127.0.0.1" in admin_client.get("/admin/audit.csv?kind=security").get_data(as_text=True)


# --------------------------------------------------------------------------- idle sessions


def sessions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(UserSession))


def test_a_session_idle_longer_than_the_timeout_ends(app, student_client, student):
    assert student_client.get("/progress").status_code == 200
    with student_client.session_transaction() as session:
        session["seen"] -= 12 * 3600 + 1
    response = student_client.get("/progress")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/progress")
    assert sessions(app) == 0
    [event] = events(app, "auth.session_idle")
    assert event.actor_id == student
    assert "without activity" in student_client.get("/login").get_data(as_text=True)


def test_activity_keeps_a_session_alive_and_the_timeout_is_configurable(app, student_client):
    with student_client.session_transaction() as session:
        session["seen"] -= 11 * 3600  # idle eleven hours: still signed in, and the clock restarts
    assert student_client.get("/progress").status_code == 200
    with student_client.session_transaction() as session:
        assert time.time() - session["seen"] < 5
    app.config["SESSION_IDLE_MINUTES"] = 30
    try:
        with student_client.session_transaction() as session:
            session["seen"] -= 31 * 60
        assert student_client.get("/progress").status_code == 302
    finally:
        app.config["SESSION_IDLE_MINUTES"] = 12 * 60


def test_a_cookie_without_a_last_request_time_is_ended(app, student_client):
    with student_client.session_transaction() as session:
        del session["seen"]
    assert student_client.get("/progress").status_code == 302
    assert sessions(app) == 0


# --------------------------------------------------------------------------- caching


def test_every_signed_in_response_is_no_store_and_static_files_stay_cacheable(app, starter, student_client):
    attempt = start_attempt(student_client, starter)
    for path in ("/dashboard", f"/attempts/{attempt}", "/progress", "/certificates", "/login"):
        response = student_client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
    redirect = student_client.post(f"/modules/{starter}/start")
    assert redirect.headers["Cache-Control"] == "no-store"
    with student_client.get("/static/css/app.css") as stylesheet:
        assert "no-store" not in stylesheet.headers.get("Cache-Control", "")


def test_staff_pages_and_exports_are_no_store(app, admin_client):
    for path in ("/admin/users", "/admin/audit", "/admin/audit.csv", "/reports/"):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
