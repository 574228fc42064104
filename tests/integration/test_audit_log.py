"""The audit log browser: filters, pages, escaping, the CSV export, and who may see it."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from training.database import writing
from training.extensions import db
from training.models import AuditEvent, User
from training.services import audit
from training.services.exports import safe_text as csv_cell

from .conftest import count_queries


def log(app, actor_email: str | None, action: str, at: datetime, **fields) -> None:
    """Record an audit event at a given time (``actor_email`` None: the command line)."""
    with app.app_context(), writing():
        actor = db.session.scalar(db.select(User).where(User.email == actor_email)) if actor_email else None
        event = audit.record(actor, action, **fields)
        event.at = at
        db.session.commit()


@pytest.fixture
def admin_client(admin_client, app):
    """The signed-in admin, with the log emptied of that sign-in: each test sees only the events it makes."""
    with app.app_context(), writing():
        db.session.execute(db.delete(AuditEvent))
        db.session.commit()
    return admin_client


def day(n: int, hour: int = 12) -> datetime:
    """A time on the n-th of November 2026, UTC."""
    return datetime(2026, 11, n, hour, tzinfo=UTC)


@pytest.fixture
def events(app, academy, instructor):
    """A small log: three actions by two people on three days."""
    log(
        app,
        "admin@example.com",
        "user.create",
        day(1),
        target_type="user",
        target_id=7,
        summary="Added sam",
        after={"email": "sam@example.com", "role": "student"},
    )
    log(app, "ina@example.com", "cohort.enrol", day(2), target_type="cohort", target_id=3, summary="Enrolled sam")
    log(
        app,
        "admin@example.com",
        "user.role",
        day(3, 23),
        target_type="user",
        target_id=7,
        summary="Role of sam",
        before={"role": "student"},
        after={"role": "instructor"},
    )


def summaries(client, query: str = "") -> list[str]:
    """The summaries shown on the audit page for ``query``, top to bottom."""
    page = client.get(f"/admin/audit?{query}").get_data(as_text=True)
    return re.findall(r"<td>((?:Added|Enrolled|Role of)[^<]*)</td>", page)


def test_audit_log_lists_newest_first_with_when_who_action_and_target(admin_client, events):
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert summaries(admin_client) == ["Role of sam", "Enrolled sam", "Added sam"]
    assert "03 Nov 2026" in page and "23:00:00" in page and "ina@example.com" in page
    assert "<code>user.role</code>" in page and "cohort 3" in page and "3 events" in page
    # The action select offers the actions that occur in the log.
    assert '<option value="cohort.enrol">cohort.enrol</option>' in page


def test_audit_log_filters_by_action_actor_target_and_dates(admin_client, events):
    assert summaries(admin_client, "action=user.role") == ["Role of sam"]
    assert summaries(admin_client, "actor=INA@") == ["Enrolled sam"]
    assert summaries(admin_client, "target_type=user&target_id=7") == ["Role of sam", "Added sam"]
    assert summaries(admin_client, "target_type=cohort") == ["Enrolled sam"]
    assert summaries(admin_client, "date_from=2026-11-02") == ["Role of sam", "Enrolled sam"]
    # "To" includes the whole day, up to 23:59:59 UTC.
    assert summaries(admin_client, "date_from=2026-11-02&date_to=2026-11-03") == ["Role of sam", "Enrolled sam"]
    assert summaries(admin_client, "date_to=2026-11-02") == ["Enrolled sam", "Added sam"]
    assert summaries(admin_client, "action=user.role&actor=ina") == []


def test_audit_log_explains_a_bad_date_range_and_ignores_it(admin_client, events):
    page = admin_client.get("/admin/audit?date_from=2026-11-03&date_to=2026-11-01").get_data(as_text=True)
    assert "The end date is before the start date." in page
    assert len(summaries(admin_client, "date_from=2026-11-03&date_to=2026-11-01")) == 1  # only "from" applies
    page = admin_client.get("/admin/audit?date_from=yesterday").get_data(as_text=True)
    assert "Not a valid date value." in page and "3 events" in page


def test_before_and_after_are_pretty_printed_and_escaped(app, admin_client, academy):
    log(
        app,
        "admin@example.com",
        "user.create",
        day(4),
        summary="<b>bold</b>",
        before={"name": "<script>alert(1)</script>"},
        after={"name": "Zoë"},
    )
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<details>" in page and "{\n  &#34;name&#34;: &#34;Zoë&#34;\n}" in page


def test_audit_log_has_fifty_events_per_page(app, admin_client, academy):
    with app.app_context(), writing():
        for n in range(55):
            event = audit.record(None, "user.create", summary=f"Added person {n:02d}")
            event.at = day(1) + timedelta(minutes=n)
        db.session.commit()
    first = admin_client.get("/admin/audit").get_data(as_text=True)
    second = admin_client.get("/admin/audit?page=2&action=user.create").get_data(as_text=True)
    assert first.count("Added person") == 50 and "Added person 54" in first and "page 1 of 2" in first
    assert second.count("Added person") == 5 and "Added person 04" in second and "Added person 05" not in second
    assert 'href="/admin/audit?page=1&amp;action=user.create"' in second


@pytest.mark.parametrize("count", [3, 30])
def test_audit_log_query_count_does_not_grow_with_events(app, admin_client, count):
    with app.app_context(), writing():
        for n in range(count):
            audit.record(None, f"action.{n % 3}", target_type="user", target_id=n, summary=f"event {n}")
        db.session.commit()
    admin_client.get("/admin/audit")  # warm up: first-request checks
    with count_queries(app) as statements:
        page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert page.count("<details>") == 0 and f"{count} events" in page
    # the signed-in admin, the academy name, the filter choices, the total, the page
    assert len(statements) == 5, statements


def read_csv(response) -> list[list[str]]:
    """The rows of a CSV download, after checking its UTF-8 BOM."""
    return parse_csv(response.get_data())


def parse_csv(body: bytes) -> list[list[str]]:
    """The rows of CSV bytes that must start with a UTF-8 BOM."""
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_export_has_the_filtered_log_with_a_bom(admin_client, events):
    response = admin_client.get("/admin/audit.csv?actor=admin@")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv" and response.headers["Content-Disposition"].startswith("attachment;")
    rows = read_csv(response)
    header = ["at_utc", "actor_email", "action", "target_type", "target_id", "summary", "before", "after", "address"]
    assert rows[0] == header
    assert rows[1] == [
        "2026-11-03T23:00:00+00:00",
        "admin@example.com",
        "user.role",
        "user",
        "7",
        "Role of sam",
        '{"role": "student"}',
        '{"role": "instructor"}',
        "",  # recorded outside a request
    ]
    assert [row[2] for row in rows[1:]] == ["user.role", "user.create"]
    assert rows[2][6] == ""  # nothing before a creation


def test_csv_export_guards_against_formulas(app, admin_client, academy):
    log(
        app,
        "admin@example.com",
        "user.create",
        day(1),
        summary='=HYPERLINK("http://evil")',
        target_id="-1",
        after={"name": "@SUM(A1)"},
    )
    log(app, None, "user.create", day(2), summary="+1 and\ttab")
    rows = read_csv(admin_client.get("/admin/audit.csv"))
    assert rows[1][1] == "(command line)" and rows[1][5] == "'+1 and\ttab"
    assert rows[2][5] == '\'=HYPERLINK("http://evil")' and rows[2][4] == "'-1"
    assert rows[2][7] == '{"name": "@SUM(A1)"}'  # JSON starts with "{": nothing to guard


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=1", "a=1")],
)
def test_csv_cell_guard(value, safe):
    assert csv_cell(value) == safe


def test_csv_export_of_a_large_log_is_streamed_in_chunks(app, admin_client, academy):
    with app.app_context(), writing():
        db.session.execute(
            db.insert(AuditEvent),
            [
                {"at": day(1), "actor_email": "x@example.com", "action": "bulk", "summary": "s" * 400}
                for _ in range(600)
            ],
        )
        db.session.commit()
    response = admin_client.get("/admin/audit.csv")
    chunks = [chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in response.response]
    assert len(chunks) > 2  # written out in pieces, not built as one string
    assert len(parse_csv(b"".join(chunks))) == 601


def test_audit_log_is_for_admins_only(app, instructor_client, student_client, events):
    for client in (instructor_client, student_client):
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403
    response = app.test_client().get("/admin/audit.csv")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
