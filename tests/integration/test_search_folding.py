"""Searches ignore case and tone marks: "nguyen" finds "Nguyễn Thị Đào", "dao" finds "Đào".

Names are stored a second time folded (``User.search_name``, ``services/folding.py``) and what
was typed is folded the same way, so the admin's user list and the audit log's "Done by" filter
behave alike on SQLite and PostgreSQL (``TEST_DATABASE_URL``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from training.database import writing
from training.extensions import db
from training.models import AuditEvent, User
from training.services import audit, audit_log, users

DAO = "Nguyễn Thị Đào"
AN = "NGUYEN Van An"
BINH = "Trần Văn Bình"


@pytest.fixture
def people(app, academy) -> None:
    """Three students whose emails hold none of the words searched for: only their names can match."""
    with app.app_context(), writing():
        db.session.add_all(
            [
                User(email="ntd@example.com", name=DAO, role="student", password_hash="x"),
                User(email="nva@example.com", name=AN, role="student", password_hash="x"),
                User(email="tvb@example.com", name=BINH, role="student", password_hash="x"),
            ]
        )
        db.session.commit()


def found_by_service(app, typed: str) -> set[str]:
    """The names ``users.users_page`` lists for ``typed`` (the admin, Ada, is there too)."""
    with app.app_context():
        page = users.users_page(users.UserFilter(text=typed), 1)
        return {row.user.name for row in page.items}


def found_on_page(client, typed: str) -> set[str]:
    """The names the admin's user list shows for ``typed``."""
    page = client.get(f"/admin/users?q={quote(typed)}").get_data(as_text=True)
    return set(re.findall(r'<th scope="row"><a href="/admin/users/\d+">([^<]+)</a></th>', page))


SEARCHES = [
    ("nguyen", {DAO, AN}),
    ("NGUYEN", {DAO, AN}),
    ("Nguyễn", {DAO, AN}),
    (unicodedata.normalize("NFD", "Nguyễn"), {DAO, AN}),  # the marks typed as separate characters
    ("dao", {DAO}),
    ("Đào", {DAO}),
    ("ĐÀO", {DAO}),
    ("thi  dao", {DAO}),  # spaces collapse, as in the stored name
    ("van", {AN, BINH}),
    ("văn bình", {BINH}),
    ("nva@", {AN}),  # the email still matches
    ("NVA@EXAMPLE", {AN}),
    ("_", set()),  # LIKE's wildcards are literal characters
    ("%", set()),
]


@pytest.mark.parametrize(("typed", "expected"), SEARCHES)
def test_the_user_search_ignores_case_and_tone_marks(app, people, typed, expected):
    assert found_by_service(app, typed) == expected


@pytest.mark.parametrize(("typed", "expected"), SEARCHES)
def test_the_admins_user_list_finds_names_typed_without_marks(app, admin_client, people, typed, expected):
    assert found_on_page(admin_client, typed) == expected


def test_a_renamed_user_is_found_by_the_new_name(app, admin_client, people):
    with app.app_context(), writing():
        user = db.session.scalar(db.select(User).where(User.email == "tvb@example.com"))
        user.name = "Lê Thị Hoà"
        db.session.commit()
    assert found_on_page(admin_client, "hoa") == {"Lê Thị Hoà"}
    assert found_on_page(admin_client, "binh") == set()


def test_the_audit_logs_done_by_filter_folds_what_was_typed(app, admin_client, people):
    with app.app_context(), writing():
        db.session.execute(db.delete(AuditEvent))
        for email, summary in (("ntd@example.com", "First change"), ("tvb@example.com", "Second change")):
            event = audit.record(None, "user.create", summary=summary, actor_email=email)
            event.at = datetime(2026, 11, 2, 12, tzinfo=UTC)
        db.session.commit()
    for typed in ("NTD@", "ntd@EXAMPLE.com", "ńtđ"):
        page = admin_client.get(f"/admin/audit?actor={quote(typed)}").get_data(as_text=True)
        assert "First change" in page and "Second change" not in page, typed
    with app.app_context():
        matched = audit_log.audit_page(audit_log.AuditFilter(actor="TVB"), 1)
        assert [event.summary for event in matched.items] == ["Second change"]
