"""Certificate revocation: an admin revokes with a reason, audited; /verify then says revoked and since
when (nothing else); the PDF is no longer given out; re-grading or passing again does not bring it back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from training.database import writing
from training.extensions import db
from training.models import Attempt, AuditEvent, Certificate, User
from training.services import certificates as certificate_service
from training.services.errors import Conflict, Forbidden

from .conftest import login, teach_cohort, user_by_email
from .test_certificates import all_certificates, take_module

REVOKED_AT = datetime(2027, 2, 3, 9, 45, tzinfo=UTC)


@pytest.fixture
def passed(app, student_client, starter) -> Certificate:
    """The student has passed the starter module once; returns the certificate."""
    take_module(student_client, app, starter)
    (certificate,) = all_certificates(app)
    return certificate


def revoke(app, code: str, reason: str = "Answers copied from another student", at: datetime = REVOKED_AT) -> None:
    """Revoke through the service as the academy's admin, at a known moment."""
    with app.app_context(), writing():
        admin = user_by_email("admin@example.com")
        certificate = certificate_service.certificate_by_code(code)
        certificate_service.revoke(admin, certificate, reason, now=at)
        db.session.commit()


def fresh(app, code: str) -> Certificate:
    with app.app_context():
        row = certificate_service.certificate_by_code(code)
        db.session.expunge(row)
        return row


def revocations(app) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.revoke")))
        db.session.expunge_all()
        return rows


# Revoking


def test_an_admin_revokes_a_certificate_with_a_reason_and_it_is_audited(app, passed, admin_client):
    user_page = admin_client.get(f"/admin/users/{passed.user_id}").get_data(as_text=True)
    assert f"/certificates/{passed.code}/revoke" in user_page  # where admins find it
    form = admin_client.get(f"/certificates/{passed.code}/revoke")
    assert form.status_code == 200 and 'name="reason"' in form.get_data(as_text=True)
    response = admin_client.post(f"/certificates/{passed.code}/revoke", data={"reason": "  Answers   copied  "})
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/users/{passed.user_id}"
    row = fresh(app, passed.code)
    assert row.is_revoked and row.revoked_reason == "Answers copied"
    with app.app_context():
        assert row.revoked_by_id == user_by_email("admin@example.com").id
    (event,) = revocations(app)
    assert (event.target_type, event.target_id) == ("user", str(passed.user_id))
    assert event.before == {"code": passed.code, "revoked_at": None}
    assert event.after["code"] == passed.code and event.after["reason"] == "Answers copied"
    assert event.after["revoked_at"] == row.revoked_at.isoformat()
    assert "Revoked" in admin_client.get(f"/admin/users/{passed.user_id}").get_data(as_text=True)


@pytest.mark.parametrize(("reason", "message"), [("", "Say why the certificate is revoked."), ("   ", "Say why")])
def test_the_reason_is_required_and_nothing_changes_without_one(app, passed, admin_client, reason, message):
    response = admin_client.post(f"/certificates/{passed.code}/revoke", data={"reason": reason})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert not fresh(app, passed.code).is_revoked and revocations(app) == []


def test_a_reason_too_long_is_refused_and_kept_in_the_form(app, passed, admin_client):
    response = admin_client.post(f"/certificates/{passed.code}/revoke", data={"reason": "x" * 501})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Keep the reason to 500 characters." in page and "x" * 501 in page
    assert not fresh(app, passed.code).is_revoked


def test_revoking_twice_keeps_the_first_revocation(app, passed, admin_client):
    revoke(app, passed.code)
    again = admin_client.post(f"/certificates/{passed.code}/revoke", data={"reason": "Another reason"})
    assert again.status_code == 200
    row = fresh(app, passed.code)
    assert row.revoked_at == REVOKED_AT and row.revoked_reason == "Answers copied from another student"
    assert len(revocations(app)) == 1
    with app.app_context(), writing():
        admin = user_by_email("admin@example.com")
        with pytest.raises(Conflict):
            certificate_service.revoke(admin, certificate_service.certificate_by_code(passed.code), "Again")
        db.session.rollback()


def test_an_unknown_code_is_404(app, passed, admin_client):
    assert admin_client.get("/certificates/0000-0000-0000-0000/revoke").status_code == 404


# Only admins


def test_non_admins_are_refused_and_nothing_changes(app, passed, student_client, instructor, student):
    teach_cohort(app, instructor, student)
    teacher = app.test_client()
    assert login(teacher, "ina@example.com").status_code == 302
    url = f"/certificates/{passed.code}/revoke"
    for client in (student_client, teacher):  # the owner, and an instructor who teaches them
        assert client.get(url).status_code == 403
        assert client.post(url, data={"reason": "Mine to revoke"}).status_code == 403
    anonymous = app.test_client().post(url, data={"reason": "x"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert not fresh(app, passed.code).is_revoked and revocations(app) == []
    with app.app_context(), writing():
        ina = user_by_email("ina@example.com")
        with pytest.raises(Forbidden):
            certificate_service.revoke(ina, certificate_service.certificate_by_code(passed.code), "Because")
        db.session.rollback()


def test_the_revoke_form_needs_a_csrf_token_when_csrf_is_on(app, passed, admin_client):
    app.config["WTF_CSRF_ENABLED"] = True  # clean_db turns it off again
    response = admin_client.post(f"/certificates/{passed.code}/revoke", data={"reason": "Copied"})
    assert response.status_code == 400
    assert not fresh(app, passed.code).is_revoked


# What a revoked certificate shows


def test_a_revoked_certificate_verifies_as_revoked_since_when_and_nothing_else(app, passed):
    revoke(app, passed.code, reason="Secret misconduct details")
    response = app.test_client().get(f"/verify/{passed.code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Revoked certificate" in page and "no longer valid" in page
    assert "3 Feb 2027, 09:45 UTC" in page and passed.code in page
    assert "Valid certificate" not in page
    for private in ("Secret misconduct details", "Sam", passed.module_title, "100%", "admin@example.com"):
        assert private not in page, private


def test_a_revoked_certificate_typed_loosely_still_says_revoked(app, passed):
    revoke(app, passed.code)
    page = app.test_client().get(f"/verify/{passed.code.lower().replace('-', ' ')}").get_data(as_text=True)
    assert "Revoked certificate" in page


def test_the_students_list_shows_it_revoked_and_the_pdf_is_refused(app, passed, student_client, admin_client):
    revoke(app, passed.code)
    page = student_client.get("/certificates").get_data(as_text=True)
    assert 'data-status="revoked"' in page and "Revoked" in page and "3 Feb 2027, 09:45 UTC" in page
    assert f"/certificates/{passed.code}.pdf" not in page
    for client in (student_client, admin_client):
        refused = client.get(f"/certificates/{passed.code}.pdf")
        assert refused.status_code == 410 and "revoked" in refused.get_data(as_text=True)
        assert refused.mimetype != "application/pdf"


# It does not come back


def test_re_grading_the_attempt_does_not_issue_it_again(app, passed):
    revoke(app, passed.code)
    with app.app_context(), writing():
        attempt = db.session.get(Attempt, passed.attempt_id)
        assert attempt.passed
        certificate_service.issue_if_passed(attempt)  # what a re-grade of the attempt runs
        db.session.commit()
    (row,) = all_certificates(app)
    assert row.code == passed.code and row.is_revoked


def test_passing_the_same_version_again_does_not_issue_a_new_certificate(app, passed, student_client, starter):
    revoke(app, passed.code)
    again = take_module(student_client, app, starter)
    with app.app_context():
        assert db.session.get(Attempt, again).passed
        assert certificate_service.certificate_for_attempt(again) is None
        assert db.session.scalar(select(func.count(Certificate.id))) == 1
        assert db.session.get(User, passed.user_id) is not None
    (row,) = all_certificates(app)
    assert row.is_revoked
