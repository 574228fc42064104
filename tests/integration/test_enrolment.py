"""Enrolling students from a CSV file, on the cohort page and with ``flask enrol``: all or nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from training.database import writing
from training.extensions import db
from training.models import AuditEvent, Cohort, CohortMember, Role, User
from training.services import accounts, cohorts, enrolment

from .conftest import count_queries, login, make_user, user_by_email

DATA = Path(__file__).parent / "data"
STUDENTS_CSV = DATA / "students.csv"  # BOM, " Name ,EMAIL,Phone": Nia (new), Sam (existing), Olu (already in)
BROKEN_CSV = DATA / "students_with_errors.csv"  # an invalid email in row 3, a duplicate in row 4
PASSWORD_CELL = re.compile(r'<code class="user-select-all">([^<]+)</code>')


@pytest.fixture
def cohort_id(app, student, other_student, instructor):
    """A cohort that already has Olu (other_student) in it; Sam (student) is in no cohort."""
    with app.app_context(), writing():
        cohort = cohorts.create_cohort(None, "Spring 2027")
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=other_student))
        db.session.commit()
        return cohort.id


def snapshot(app):
    """What an enrolment may change: users (and their names), memberships, audit events."""
    with app.app_context():
        return (
            sorted(db.session.execute(select(User.email, User.name, User.must_change_password)).all()),
            sorted(db.session.execute(select(CohortMember.cohort_id, CohortMember.user_id)).all()),
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
        )


def upload(client, cohort_id, data: bytes, filename="students.csv"):
    """Post a file as the upload form does. The body is encoded in memory: the test client
    would spool a large one to a temporary file it never closes."""
    boundary, body = encode_multipart({"upload-file": FileStorage(io.BytesIO(data), filename)})
    return client.post(
        f"/cohorts/{cohort_id}/enrol", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def member_emails(app, cohort_id):
    with app.app_context():
        return set(
            db.session.scalars(
                select(User.email)
                .join(CohortMember, CohortMember.user_id == User.id)
                .where(CohortMember.cohort_id == cohort_id)
            )
        )


# --- the happy path -----------------------------------------------------------------------------


def test_upload_creates_new_students_enrols_existing_ones_and_shows_passwords_once(app, admin_client, cohort_id):
    response = upload(admin_client, cohort_id, STUDENTS_CSV.read_bytes())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Enrolled 2 students (1 new) in Spring 2027. 1 already in this cohort." in page
    assert "not shown again" in page and "must choose a new password" in page
    assert "Columns ignored (only email and name are read): Phone." in page
    rows = page.split("<tbody>")[1].split("</tr>")
    assert "nia@example.com" in rows[0] and "created" in rows[0]
    assert "sam@example.com" in rows[1] and "already had an account — enrolled" in rows[1]
    assert "olu@example.com" in rows[2] and "already in this cohort" in rows[2]
    [password] = PASSWORD_CELL.findall(page)  # only the new account has one
    assert len(password) >= 12

    with app.app_context():
        nia = user_by_email("nia@example.com")
        assert (nia.name, nia.role, nia.must_change_password, nia.active) == ("Nia New", Role.STUDENT, True, True)
        assert accounts.authenticate("nia@example.com", password) is not None
        sam = user_by_email("sam@example.com")
        assert (sam.name, sam.must_change_password) == ("Sam", False)  # existing accounts are never modified
    assert member_emails(app, cohort_id) == {"nia@example.com", "sam@example.com", "olu@example.com"}

    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cohort.enrol"))
        assert event.summary == "Enrolled 2 students (1 new) in Spring 2027"
        assert event.after == {"enrolled": ["nia@example.com", "sam@example.com"], "created": ["nia@example.com"]}
        assert event.actor_email == "admin@example.com" and event.target_id == str(cohort_id)

    # The password is not kept anywhere it could be shown again.
    detail = admin_client.get(f"/cohorts/{cohort_id}").get_data(as_text=True)
    assert password not in detail and "nia@example.com" in detail


def test_the_temporary_password_signs_in(app, admin_client, cohort_id):
    page = upload(admin_client, cohort_id, b"email,name\nkai@example.com,Kai\n").get_data(as_text=True)
    [password] = PASSWORD_CELL.findall(page)
    assert login(app.test_client(), "kai@example.com", password).status_code == 302


def test_uploading_the_same_file_again_changes_nothing(app, admin_client, cohort_id):
    upload(admin_client, cohort_id, STUDENTS_CSV.read_bytes())
    before = snapshot(app)
    page = upload(admin_client, cohort_id, STUDENTS_CSV.read_bytes()).get_data(as_text=True)
    assert "Enrolled 0 students (0 new) in Spring 2027. 3 already in this cohort." in page
    assert PASSWORD_CELL.findall(page) == []
    assert snapshot(app) == before  # no new accounts, memberships or audit event


def test_a_file_without_bom_with_blank_lines_and_quoted_cells_is_read(app, admin_client, cohort_id):
    data = b'name,email\n\n"Lee, Ana",ana@example.com\n  ,  \n"Bo",bo@example.com\n'
    page = upload(admin_client, cohort_id, data).get_data(as_text=True)
    assert "Enrolled 2 students (2 new)" in page
    with app.app_context():
        assert user_by_email("ana@example.com").name == "Lee, Ana"


def test_a_deactivated_student_is_enrolled_with_a_note(app, admin_client, cohort_id, student):
    with app.app_context(), writing():
        db.session.get(User, student).active = False
        db.session.commit()
    page = upload(admin_client, cohort_id, b"email,name\nsam@example.com,Sam\n").get_data(as_text=True)
    assert "this account is deactivated" in page
    with app.app_context():
        assert db.session.get(User, student).active is False
    assert "sam@example.com" in member_emails(app, cohort_id)


def test_enrolment_queries_do_not_grow_with_rows(app, cohort_id):
    def selects_for(n, start):
        lines = [f"s{i}@example.com,Student {i}" for i in range(start, start + n)]
        data = ("email,name\n" + "\n".join(lines) + "\nsam@example.com,Sam\n").encode()
        with app.app_context(), writing():
            cohort = db.session.get(Cohort, cohort_id)
            with count_queries(app) as statements:
                report = enrolment.enrol_file(cohort, data, None)
            db.session.rollback()
        assert not report.refused and len(report.created) == n
        return len(statements)

    assert selects_for(3, 0) == selects_for(30, 100)


# --- bad files: a clear message, and nothing changes ----------------------------------------------

TOO_MANY = ("email,name\n" + "".join(f"s{i}@example.com,S {i}\n" for i in range(2001))).encode()
TOO_BIG = b"email,name,notes\n" + b"a@example.com,A," + b"x" * (1024 * 1024) + b"\n"

BAD_FILES = {
    "missing name column": (b"email,full name\nnew@example.com,New\n", ["has no “name” column"]),
    "missing email column": (b"mail,name\nnew@example.com,New\n", ["has no “email” column"]),
    "duplicate emails": (
        b"email,name\nnew@example.com,New\nkai@example.com,Kai\n NEW@example.com,New again\n",
        ["new@example.com is already listed in row 2"],
    ),
    "not UTF-8": ("email,name\nzoë@example.com,Zoë\n".encode("latin-1"), ["Save the file as UTF-8"]),
    "an instructor's email": (
        b"email,name\nnew@example.com,New\nina@example.com,Ina\n",
        ["ina@example.com belongs to an instructor; only students can be enrolled."],
    ),
    "an admin's email": (b"email,name\nadmin@example.com,Ada\n", ["belongs to an admin"]),
    "invalid email": (b"email,name\nnew@example.com,New\nnot-an-email,X\n", ["“not-an-email” is not a valid email"]),
    "blank email": (b"email,name\n,Nobody\n", ["The email is missing."]),
    "blank name": (b"email,name\nnew@example.com,  \n", ["The name is missing."]),
    "a NUL byte in a name": (b"email,name\nnew@example.com,Ne\x00w\n", ["contains a control character"]),
    "empty file": (b"", ["The file is empty."]),
    "blank lines only": (b"\n \n", ["The file is empty."]),
    "header only": ("\ufeffemail,name\n".encode(), ["header row but no students"]),
    "over 2,000 rows": (TOO_MANY, ["2,001 students; upload at most 2,000"]),
    "over 1 MB": (TOO_BIG, ["over 1 MB"]),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_with_a_message_and_changes_nothing(app, admin_client, cohort_id, case):
    data, messages = BAD_FILES[case]
    before = snapshot(app)
    response = upload(admin_client, cohort_id, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was changed." in page
    for message in messages:
        assert message in page
    assert 'name="upload-file"' in page  # the form is there to try again
    assert snapshot(app) == before


def test_row_errors_name_the_spreadsheet_row(app, admin_client, cohort_id):
    page = upload(admin_client, cohort_id, BROKEN_CSV.read_bytes()).get_data(as_text=True)
    assert "2 of 3 rows to fix (the header is row 1)" in page
    rows = page.split("<tbody>")[1].split("</tr>")
    assert '<th scope="row">3</th>' in rows[0] and "is not a valid email address" in rows[0]
    assert '<th scope="row">4</th>' in rows[1] and "zoe@example.com is already listed in row 2" in rows[1]


def test_blank_lines_keep_the_row_numbers_a_spreadsheet_shows(app, cohort_id):
    with app.app_context(), writing():
        cohort = db.session.get(Cohort, cohort_id)
        report = enrolment.enrol_file(cohort, b"email,name\n\nok@example.com,Ok\nbad,Bad\n", None)
        db.session.rollback()
    [row] = report.rows_with_errors
    assert row.number == 4 and report.refused


def test_an_upload_without_a_file_asks_for_one(app, admin_client, cohort_id):
    response = admin_client.post(f"/cohorts/{cohort_id}/enrol", data={}, content_type="multipart/form-data")
    assert "Choose a CSV file to upload." in response.get_data(as_text=True)


def test_the_upload_page_explains_the_file(admin_client, cohort_id):
    page = admin_client.get(f"/cohorts/{cohort_id}/enrol").get_data(as_text=True)
    assert "CSV UTF-8" in page and "email,name" in page and 'type="file"' in page


# --- the command line ---------------------------------------------------------------------------


def test_enrol_command_prints_the_report_with_passwords(app, cohort_id):
    result = app.test_cli_runner().invoke(args=["enrol", str(STUDENTS_CSV), "--cohort", "Spring 2027"])
    assert result.exit_code == 0, result.output
    assert "row 2: nia@example.com: created (temporary password: " in result.output
    assert "row 3: sam@example.com: already had an account — enrolled" in result.output
    assert "row 4: olu@example.com: already in this cohort" in result.output
    assert "note: ignored columns: Phone" in result.output
    assert "Enrolled 2 students (1 new) in Spring 2027." in result.output
    assert "shown only this once" in result.output
    password = re.search(r"temporary password: (\S+)\)", result.output).group(1)
    with app.app_context():
        assert accounts.authenticate("nia@example.com", password) is not None
        assert user_by_email("nia@example.com").must_change_password
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cohort.enrol"))
        assert event.actor_id is None and event.actor_email == "(command line)"
    assert member_emails(app, cohort_id) == {"nia@example.com", "sam@example.com", "olu@example.com"}


def test_enrol_command_refuses_an_unknown_cohort(app, cohort_id):
    before = snapshot(app)
    result = app.test_cli_runner().invoke(args=["enrol", str(STUDENTS_CSV), "--cohort", "spring 2027"])
    assert result.exit_code == 1
    assert "There is no cohort called 'spring 2027'; nothing was changed." in result.output
    assert snapshot(app) == before


def test_enrol_command_refuses_a_bad_file_and_changes_nothing(app, cohort_id):
    before = snapshot(app)
    result = app.test_cli_runner().invoke(args=["enrol", str(BROKEN_CSV), "--cohort", "Spring 2027"])
    assert result.exit_code == 1
    assert "error: row 3: “not-an-email” is not a valid email address" in result.output
    assert "error: row 4: zoe@example.com is already listed in row 2" in result.output
    assert "Nothing was changed." in result.output
    assert snapshot(app) == before


def test_enrol_command_refuses_an_instructor(app, cohort_id, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("email,name\nina@example.com,Ina\n", encoding="utf-8")
    before = snapshot(app)
    result = app.test_cli_runner().invoke(args=["enrol", str(path), "--cohort", "Spring 2027"])
    assert result.exit_code == 1 and "belongs to an instructor" in result.output
    assert snapshot(app) == before
    assert make_user(app, "late@example.com")  # the database was left usable
