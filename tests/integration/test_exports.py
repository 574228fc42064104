"""Spreadsheet downloads of the reports: CSV with a BOM, XLSX with the same rows, no formula injection."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from training.services.exports import safe_text

from .conftest import make_user
from .test_reports import NOW, add_attempt, make_cohort, module_ids
from .test_reports import classroom as classroom  # noqa: F401  (fixture)

BOM = b"\xef\xbb\xbf"


def csv_rows(response) -> list[list[str]]:
    """The rows of a CSV download (after checking and dropping the byte-order mark)."""
    body = response.get_data()
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8"))))


def xlsx_rows(response) -> list[list]:
    """The rows of the first sheet of an XLSX download."""
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    width = len(rows[0])
    return [row + [None] * (width - len(row)) for row in rows]  # the reader drops trailing empty cells


def comparable(value):
    """A CSV or XLSX value in one form: numbers as floats (8 and "8.0" agree), dates as the CSV writes them."""
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def attachment_name(response) -> str:
    disposition = response.headers["Content-Disposition"]
    match = re.fullmatch(r'attachment; filename="?([a-z0-9-]+\.(csv|xlsx))"?', disposition)
    assert match, disposition
    return match.group(1)


@pytest.fixture
def tricky(app, starter, academy):
    """A cohort with an accented name, a student named like a formula, and one like an email-style formula."""
    first, second = module_ids(app, starter, "mesotherapy-lumps")
    formula = make_user(app, "formula@example.com", name='=HYPERLINK("http://x")')
    accent = make_user(app, "-amelie@example.com", name="Amélie Ñúñez")
    cohort = make_cohort(app, 'Été "27" / évening', students=[formula, accent], modules=[(first, None), (second, None)])
    add_attempt(app, formula, first, 80, started=NOW - timedelta(hours=1), submitted=NOW)
    add_attempt(app, accent, first, 40, started=NOW - timedelta(hours=3), submitted=NOW - timedelta(hours=2))
    add_attempt(app, accent, second, started=NOW)
    return {"cohort": cohort, "first": first}


def test_safe_text_escapes_what_a_spreadsheet_would_run():
    for risky in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_text(risky) == "'" + risky
    assert safe_text("Amélie") == "Amélie" and safe_text("a=b") == "a=b"


def test_cohort_attempts_csv_has_a_bom_header_and_a_row_per_attempt(admin_client, tricky):  # noqa: F811
    response = admin_client.get(f"/reports/cohorts/{tricky['cohort']}/attempts.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert attachment_name(response).startswith("ete-27-evening-attempts-")
    header, *rows = csv_rows(response)
    assert header == [
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
    assert len(rows) == 3
    formula_row = next(r for r in rows if r[1] == "formula@example.com")
    assert formula_row[0] == '\'=HYPERLINK("http://x")'
    # Graded before the safety gate and without certainty marking: no misses recorded, no bonus.
    assert formula_row[3] == "1" and formula_row[6:] == ["submitted", "8.0", "10.0", "80.0", "yes", "no", "", ""]
    assert formula_row[5] == NOW.strftime("%Y-%m-%d %H:%M")
    open_row = next(r for r in rows if r[6] == "open")
    assert open_row[0] == "Amélie Ñúñez" and open_row[1] == "'-amelie@example.com"
    assert open_row[5] == "" and open_row[7:] == ["", "", "", "", "", "", ""]


def test_xlsx_has_the_same_rows_as_the_csv(admin_client, tricky):  # noqa: F811
    base = f"/reports/cohorts/{tricky['cohort']}"
    for name in ("attempts", "matrix"):
        from_csv = csv_rows(admin_client.get(f"{base}/{name}.csv"))
        response = admin_client.get(f"{base}/{name}.xlsx")
        assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert attachment_name(response).endswith(".xlsx")
        from_xlsx = xlsx_rows(response)
        assert [[comparable(v) for v in row] for row in from_xlsx] == [[comparable(v) for v in row] for row in from_csv]
    formula_cell = next(row[0] for row in xlsx_rows(admin_client.get(f"{base}/attempts.xlsx")) if "HYPERLINK" in row[0])
    assert formula_cell == '\'=HYPERLINK("http://x")'  # text, not a formula


def test_matrix_csv_is_the_matrix_as_filtered(admin_client, classroom):  # noqa: F811
    url = f"/reports/cohorts/{classroom['cohort']}/matrix.csv"
    header, *rows = csv_rows(admin_client.get(url))
    assert header[:2] == ["Student", "Email"]
    assert header[-4:] == ["Wrong when sure %", "High-certainty answers", "Modules passed", "Modules assigned"]
    assert len(header) == 2 + 2 * 9 + 4
    assert [r[0] for r in rows] == ["Olu", "Sam", "Zed Zulu"]
    title = classroom["titles"]["first"]
    at = header.index(f"{title}: best %")
    sam = rows[1]
    assert header[at : at + 9] == [
        f"{title}: best %",
        f"{title}: latest %",
        f"{title}: passed",
        f"{title}: attempts",
        f"{title}: last activity (UTC)",
        f"{title}: overdue",
        f"{title}: result",
        f"{title}: failed on safety",
        f"{title}: due (UTC)",
    ]
    last = (NOW - timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    due = (NOW - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    assert sam[at : at + 9] == ["80.0", "60.0", "yes", "3", last, "no", "Passed", "0", due]
    assert sam[-4:] == ["", "0", "1", "2"]
    _, *overdue = csv_rows(admin_client.get(f"{url}?status=overdue&sort=name&dir=desc"))
    assert [r[0] for r in overdue] == ["Zed Zulu", "Olu"]


def test_everyone_export_has_every_attempt_even_outside_cohorts(app, admin_client, classroom):  # noqa: F811
    loner = make_user(app, "loner@example.com", name="Lone Learner")
    add_attempt(app, loner, classroom["first"], 100, started=NOW, submitted=NOW)
    response = admin_client.get("/reports/attempts.csv")
    assert attachment_name(response).startswith("all-attempts-")
    _, *rows = csv_rows(response)
    assert len(rows) == 8 and "loner@example.com" in [r[1] for r in rows]
    assert len(xlsx_rows(admin_client.get("/reports/attempts.xlsx"))) == 9


def test_cohort_attempts_export_leaves_out_unassigned_modules(admin_client, classroom):  # noqa: F811
    _, *rows = csv_rows(admin_client.get(f"/reports/cohorts/{classroom['cohort']}/attempts.csv"))
    assert len(rows) == 6  # Sam's attempt at an unassigned module is not the cohort's business
