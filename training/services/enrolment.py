"""Enrolling students in a cohort: one by hand, or many from a CSV file; all or nothing.

Every row is checked before anything is written. If any row is wrong nothing changes and
the report lists the problems by spreadsheet row (the header is row 1); otherwise new
students get an account with a temporary password, and everyone is enrolled, in one
transaction with one audit event. The web page and ``flask enrol`` both call this module.
"""

from __future__ import annotations

import csv
import io
import secrets
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from argon2 import PasswordHasher
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Cohort, CohortMember, Role, User
from . import audit
from .accounts import normalise_email

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
REQUIRED_COLUMNS = ("email", "name")
MAX_NAME_LENGTH = 200  # User.name

# Temporary passwords are 96 random bits, so no hash cost makes guessing them any harder;
# the stretching that protects people's own passwords would only make a class of 500 take
# minutes (about 0.2 s each here) while the upload holds the write lock. This cheap argon2id
# still verifies through accounts.authenticate, which rehashes with the full parameters at
# the first sign-in.
_temporary_hasher = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=1)


FIRST_SIGN_IN_NOTE = (
    "Temporary passwords are shown only this once. Give each student theirs privately; "
    "they must choose a new password the first time they sign in."
)


class Outcome(StrEnum):
    """What enrolment did for one row."""

    CREATED = "created"
    ENROLLED = "already had an account — enrolled"
    ALREADY = "already in this cohort"


@dataclass
class EnrolmentRow:
    """One student to enrol: where they came from, what was wrong, what was done."""

    number: int | None  # the spreadsheet row (header is row 1); None when added by hand
    email: str
    name: str
    # (field, message) pairs; field is "email" or "name".
    errors: list[tuple[str, str]] = field(default_factory=list)
    outcome: Outcome | None = None
    # The temporary password of a newly created account: shown once, never stored.
    password: str | None = None
    note: str = ""

    def error(self, column: str, message: str) -> None:
        """Record a problem with this row's ``column``."""
        self.errors.append((column, message))

    @property
    def label(self) -> str:
        """How the report names this row."""
        return f"row {self.number}" if self.number is not None else self.email


@dataclass
class EnrolmentReport:
    """What an enrolment did, or why it did nothing."""

    cohort: str
    rows: list[EnrolmentRow] = field(default_factory=list)
    # Problems with the file as a whole (encoding, header, size): nothing was read past them.
    problems: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """True when nothing was changed because the file or a row was wrong."""
        return bool(self.problems) or any(row.errors for row in self.rows)

    @property
    def rows_with_errors(self) -> list[EnrolmentRow]:
        """The rows to fix."""
        return [row for row in self.rows if row.errors]

    def count(self, *outcomes: Outcome) -> int:
        """How many rows ended with one of ``outcomes``."""
        return sum(row.outcome in outcomes for row in self.rows)

    @property
    def created(self) -> list[EnrolmentRow]:
        """Rows whose student got a new account (and a temporary password)."""
        return [row for row in self.rows if row.outcome == Outcome.CREATED]

    @property
    def summary(self) -> str:
        """One sentence on the whole upload."""
        if self.refused:
            return "Nothing was changed. Fix the problems listed and try again."
        enrolled = self.count(Outcome.CREATED, Outcome.ENROLLED)
        already = self.count(Outcome.ALREADY)
        text = f"Enrolled {enrolled} student{'s' if enrolled != 1 else ''} ({len(self.created)} new) in {self.cohort}."
        if already:
            text += f" {already} already in this cohort."
        return text

    def lines(self) -> list[str]:
        """The report as plain text lines (the command line prints these)."""
        out = [f"cohort: {self.cohort}"]
        out += [f"error: {problem}" for problem in self.problems]
        for row in self.rows_with_errors if self.refused else self.rows:
            if row.errors:
                out += [f"error: {row.label}: {message}" for _, message in row.errors]
                continue
            line = f"{row.label}: {row.email}: {row.outcome}"
            if row.password:
                line += f" (temporary password: {row.password})"
            if row.note:
                line += f" ({row.note})"
            out.append(line)
        if self.ignored_columns:
            out.append(f"note: ignored columns: {', '.join(self.ignored_columns)}")
        out.append(self.summary)
        if self.created:
            out.append(FIRST_SIGN_IN_NOTE)
        return out


def enrol_file(cohort: Cohort, data: bytes, actor: User | None) -> EnrolmentReport:
    """Enrol every student listed in a CSV file (columns ``email`` and ``name``), all or nothing."""
    report = EnrolmentReport(cohort=cohort.name)
    read_csv(data, report)
    if not report.problems:
        _check_and_enrol(cohort, report, actor)
    return report


def enrol_one(cohort: Cohort, email: str, name: str, actor: User | None) -> EnrolmentReport:
    """Enrol one student by email and name, creating their account if they have none."""
    report = EnrolmentReport(cohort=cohort.name)
    report.rows.append(_parse_row(None, email, name))
    _check_and_enrol(cohort, report, actor)
    return report


def read_csv(data: bytes, report: EnrolmentReport) -> None:
    """Fill ``report.rows`` from the file's bytes, or ``report.problems`` when the file cannot be used."""
    if len(data) > MAX_BYTES:
        report.problems.append("The file is over 1 MB. Upload at most 2,000 students at a time.")
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.problems.append(
            "The file is not UTF-8 text, so names with accents would come out wrong. "
            "Save the file as UTF-8 (in Excel: Save As › CSV UTF-8) and upload it again."
        )
        return
    try:
        records = [
            (number, cells)
            for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
            if any(cell.strip() for cell in cells)
        ]
    except csv.Error as exc:
        report.problems.append(f"The file could not be read as CSV: {exc}.")
        return
    if not records:
        report.problems.append("The file is empty. Its first row must name the columns: email,name.")
        return
    header_number, header = records[0]
    columns = _columns(header_number, header, report)
    if columns is None:
        return
    data_rows = records[1:]
    if not data_rows:
        report.problems.append("The file has a header row but no students under it.")
        return
    if len(data_rows) > MAX_ROWS:
        report.problems.append(
            f"The file lists {len(data_rows):,} students; upload at most {MAX_ROWS:,} at a time (split the file)."
        )
        return

    def cell(cells: list[str], column: str) -> str:
        index = columns[column]
        return cells[index] if index < len(cells) else ""

    report.rows = [_parse_row(number, cell(cells, "email"), cell(cells, "name")) for number, cells in data_rows]
    _mark_duplicates(report.rows)


def _columns(number: int, header: list[str], report: EnrolmentReport) -> dict[str, int] | None:
    """Where the required columns are (case and spaces ignored); None, with problems, when missing."""
    names = [cell.strip().lower() for cell in header]
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in REQUIRED_COLUMNS and name in columns:
            report.problems.append(f"Row {number} (the header) has two “{name}” columns; keep one.")
        columns.setdefault(name, index)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    for name in missing:
        report.problems.append(
            f"Row {number} (the header) has no “{name}” column. "
            "The first row must name the columns, for example: email,name."
        )
    report.ignored_columns = [
        header[i].strip() for i, name in enumerate(names) if name and name not in REQUIRED_COLUMNS
    ]
    return None if report.problems else columns


def _parse_row(number: int | None, email: str, name: str) -> EnrolmentRow:
    """One row with its email normalised, or with what is wrong with it."""
    email, name = (email or "").strip(), " ".join((name or "").split())
    row = EnrolmentRow(number=number, email=email, name=name)
    if not email:
        row.error("email", "The email is missing.")
    else:
        try:
            row.email = normalise_email(validate_email(email, check_deliverability=False).normalized)
        except EmailNotValidError as exc:
            row.error("email", f"“{email}” is not a valid email address: {exc}")
    if not name:
        row.error("name", "The name is missing.")
    elif any(unicodedata.category(char) == "Cc" for char in name):
        row.error("name", "The name contains a control character (such as a NUL byte); retype it as plain text.")
    elif len(name) > MAX_NAME_LENGTH:
        row.error("name", f"The name is longer than {MAX_NAME_LENGTH} characters.")
    return row


def _mark_duplicates(rows: list[EnrolmentRow]) -> None:
    """The second (and later) row with an email already listed is an error naming the first."""
    first_seen: dict[str, int | None] = {}
    for row in rows:
        if any(column == "email" for column, _ in row.errors):
            continue
        if row.email in first_seen:
            row.error("email", f"{row.email} is already listed in row {first_seen[row.email]}; list each student once.")
        else:
            first_seen[row.email] = row.number


def _check_and_enrol(cohort: Cohort, report: EnrolmentReport, actor: User | None) -> None:
    """Check the rows against existing accounts; if all are fine, create and enrol (else change nothing)."""
    emails = [row.email for row in report.rows if not row.errors]
    # One query for every row: the account with that email, and whether it is already in the cohort.
    found = {
        user.email: (user, member is not None)
        for user, member in db.session.execute(
            select(User, CohortMember.user_id)
            .outerjoin(CohortMember, and_(CohortMember.user_id == User.id, CohortMember.cohort_id == cohort.id))
            .where(User.email.in_(emails))
        )
    }
    for row in report.rows:
        user, _ = found.get(row.email, (None, False))
        if user is not None and user.role != Role.STUDENT:
            row.error("email", f"{row.email} belongs to an {user.role}; only students can be enrolled.")
    if report.refused:
        return
    _enrol(cohort, report, found, actor)


def _enrol(cohort: Cohort, report: EnrolmentReport, found: dict[str, tuple[User, bool]], actor: User | None) -> None:
    """Create the new accounts and the memberships, and log one audit event."""
    new_users: list[User] = []
    for row in report.rows:
        if row.email not in found:
            row.outcome, row.password = Outcome.CREATED, secrets.token_urlsafe(12)
            new_users.append(
                User(
                    email=row.email,
                    name=row.name,
                    role=Role.STUDENT,
                    password_hash=_temporary_hasher.hash(row.password),
                    must_change_password=True,
                )
            )
        elif found[row.email][1]:
            row.outcome = Outcome.ALREADY
        else:
            row.outcome = Outcome.ENROLLED
            if not found[row.email][0].active:
                row.note = "this account is deactivated: they cannot sign in until it is reactivated"
    try:
        with db.session.begin_nested():
            db.session.add_all(new_users)
            db.session.flush()
    except IntegrityError:
        # Another admin created one of these accounts between our check and our insert.
        for row in report.rows:
            row.outcome, row.password, row.note = None, None, ""
        report.problems.append("Some of these accounts were created by someone else a moment ago. Try again.")
        return
    user_ids = {user.email: user.id for user in new_users} | {email: user.id for email, (user, _) in found.items()}
    enrolled = [row for row in report.rows if row.outcome in (Outcome.CREATED, Outcome.ENROLLED)]
    db.session.add_all(CohortMember(cohort_id=cohort.id, user_id=user_ids[row.email]) for row in enrolled)
    if enrolled:
        audit.record(
            actor,
            "cohort.enrol",
            target_type="cohort",
            target_id=cohort.id,
            summary=f"Enrolled {len(enrolled)} students ({len(new_users)} new) in {cohort.name}",
            after={
                "enrolled": [row.email for row in enrolled],
                "created": [user.email for user in new_users],  # new accounts, with a temporary password
            },
        )
    db.session.flush()
