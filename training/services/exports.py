"""Spreadsheet downloads of the reports: CSV and XLSX, safe to open in Excel.

CSV is UTF-8 with a byte-order mark, so Excel reads accented names right. Text that a
spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, tab or CR)
gets a leading apostrophe, so a student named ``=HYPERLINK(...)`` stays a name (OWASP
"CSV injection").

Rows are produced lazily and written as they come: a CSV streams to the browser in chunks,
and an XLSX is built in a temporary file (openpyxl's write-only mode), so an export of a
million attempts never holds them all in memory.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select

from ..extensions import db
from ..models import Attempt, Cohort, CohortMember, CohortModule, ModuleRow, ModuleVersion, User
from .errors import ServiceError
from .reports import RESULTS, AssignedModule, MatrixRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "%Y-%m-%d %H:%M"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_048_576 - 1  # Excel's limit, less the header row
CSV_CHUNK = 64 * 1024  # characters per streamed piece
ROWS_PER_FETCH = 1000


@dataclass(frozen=True)
class Table:
    """A sheet to download: a title, column headings and rows of plain values (read once, lazily)."""

    title: str
    header: list[str]
    rows: Iterable[list[Any]]


def safe_text(value: str) -> str:
    """Text a spreadsheet will show as text: a would-be formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_value(value: Any) -> str:
    """One value as CSV text: dates in UTC, yes/no for booleans, percentages to one decimal."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(DATE_FORMAT)
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, int):
        return str(value)
    return safe_text(str(value))


def csv_writer(buffer: io.StringIO):
    """A CSV writer that quotes every cell, so no locale's separator (``;`` too) can start a new cell
    that a spreadsheet would read as a formula."""
    return csv.writer(buffer, quoting=csv.QUOTE_ALL)


def csv_chunks(table: Table) -> Iterator[bytes]:
    """The table as CSV, UTF-8 with a byte-order mark, in pieces of about ``CSV_CHUNK`` characters."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv_writer(buffer)
    writer.writerow([safe_text(h) for h in table.header])
    for row in table.rows:
        writer.writerow([csv_value(v) for v in row])
        if buffer.tell() >= CSV_CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def to_csv(table: Table) -> bytes:
    """The whole table as CSV bytes (for small tables and tests; downloads stream ``csv_chunks``)."""
    return b"".join(csv_chunks(table))


def _xlsx_cell(sheet, value: Any) -> Any:
    """One value as a worksheet cell: real dates (UTC, Excel has no time zones) and numbers, safe text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return round(value, 1)
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.astimezone(UTC).replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    return safe_text(str(value))


class TooManyRows(ServiceError):
    """The table has more rows than a worksheet can hold (413: the download is too large)."""

    status_code = 413


def to_xlsx(table: Table) -> bytes:
    """The table as an XLSX workbook: rows stream into openpyxl's write-only sheet (kept in a temporary
    file), so only the finished, compressed workbook is ever held in memory.

    :raises TooManyRows: past Excel's row limit (the CSV has no limit).
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31] or "Sheet")
    sheet.append([safe_text(h) for h in table.header])
    for count, row in enumerate(table.rows, 1):
        if count > XLSX_MAX_ROWS:
            sheet.close()  # end the sheet's temporary file now, not when the collector finds it half written
            raise TooManyRows(f"More than {XLSX_MAX_ROWS:,} rows do not fit in an Excel sheet; download the CSV.")
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as output:
        book.save(output)
        output.seek(0)
        return output.read()


def download_name(*parts: str, extension: str) -> str:
    """A safe file name from ``parts`` and today's date: ASCII letters, digits and hyphens only."""
    words = "-".join(parts) + "-" + datetime.now(UTC).strftime("%Y-%m-%d")
    words = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode()  # Été -> Ete
    stem = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:100] or "report"
    return f"{stem}.{extension}"


def matrix_table(cohort: Cohort, modules: Sequence[AssignedModule], rows: Iterable[MatrixRow]) -> Table:
    """The cohort matrix as a flat sheet: per module best, latest, passed, attempts, last activity, overdue,
    the result in words ("Not passed: safety" apart from a low score), the attempts failed on safety and
    the student's due date (their own, where an override sets one); then how often the student was wrong
    when sure (answers given with high certainty)."""
    header = ["Student", "Email"]
    for module in modules:
        header += [
            f"{module.title}: best %",
            f"{module.title}: latest %",
            f"{module.title}: passed",
            f"{module.title}: attempts",
            f"{module.title}: last activity (UTC)",
            f"{module.title}: overdue",
            f"{module.title}: result",
            f"{module.title}: failed on safety",
            f"{module.title}: due (UTC)",
        ]
    header += ["Wrong when sure %", "High-certainty answers", "Modules passed", "Modules assigned"]

    def body() -> Iterator[list[Any]]:
        for row in rows:
            values: list[Any] = [row.name, row.email]
            for cell in row.cells:
                values += [cell.best, cell.latest, cell.passed, cell.attempts, cell.last_activity, cell.overdue]
                values += [RESULTS[cell.result], cell.safety_fails, cell.due_at]
            confidence = row.confidence
            yield [*values, confidence.high_share, confidence.high, row.passed, len(modules)]

    return Table(f"{cohort.name} matrix", header, body())


ATTEMPT_HEADER = [
    "Student",
    "Email",
    "Module",
    "Version",
    "Started (UTC)",
    "Submitted (UTC)",
    "Status",
    "Score",
    "Max",
    "Percent",
    "Passed",
    "Failed on safety",
    "Safety misses",
    "CBM bonus %",
]


def attempts_table(cohort: Cohort | None = None) -> Table:
    """Every attempt, one row each (one query): of the cohort's students at its assigned modules, or of everyone.

    A submitted attempt says whether a safety miss kept it from passing, how many it had (empty for
    attempts graded before the safety gate existed), and its certainty-marking bonus in points of
    percent (with certainty marking).
    """
    query = (
        select(
            User.name,
            User.email,
            ModuleRow.title,
            ModuleVersion.number,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.status,
            Attempt.score,
            Attempt.max_score,
            Attempt.passed,
            Attempt.safety_misses,
            Attempt.cbm_bonus,
        )
        .join(User, User.id == Attempt.user_id)
        .join(ModuleRow, ModuleRow.id == Attempt.module_id)
        .join(ModuleVersion, ModuleVersion.id == Attempt.version_id)
        .order_by(User.name, User.email, ModuleRow.title, Attempt.started_at, Attempt.id)
    )
    if cohort is not None:
        query = query.where(
            Attempt.user_id.in_(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)),
            Attempt.module_id.in_(select(CohortModule.module_id).where(CohortModule.cohort_id == cohort.id)),
        )

    def rows() -> Iterator[list[Any]]:
        result = db.session.execute(query, execution_options={"yield_per": ROWS_PER_FETCH})
        for name, email, title, version, started, submitted, status, score, max_score, passed, misses, bonus in result:
            graded = submitted is not None
            percent = 100.0 * (score or 0) / max_score if graded and max_score else (0.0 if graded else None)
            failed_on_safety = passed is False and bool(misses)  # as ``Attempt.failed_on_safety``
            yield [
                name,
                email,
                title,
                version,
                started,
                submitted,
                status,
                score,
                max_score,
                percent,
                passed if graded else None,
                failed_on_safety if graded else None,
                misses if graded else None,
                100.0 * bonus if graded and bonus is not None else None,
            ]

    return Table(f"{cohort.name} attempts" if cohort else "All attempts", ATTEMPT_HEADER, rows())
