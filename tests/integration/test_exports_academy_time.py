"""Times in the spreadsheet downloads are the academy's: ISO 8601 with its offset in a CSV, local date
cells in an XLSX (Excel has no zones) with the zone named in the column heading."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from training.database import writing
from training.extensions import db
from training.models import User
from training.services import accounts

from .conftest import make_user
from .test_exports import csv_rows
from .test_reports import add_attempt, make_cohort, module_ids

DUE_AT = datetime(2026, 12, 4, 16, 59, 59, tzinfo=UTC)  # the end of 4 Dec 2026 in Hanoi
SUBMITTED = datetime(2026, 12, 4, 17, 30, tzinfo=UTC)  # 00:30 on 5 Dec in Hanoi
STARTED = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # 23:30 on 4 Dec in Hanoi


@pytest.fixture
def late_class(app, starter, academy):
    """Vy in a cohort whose module is due on 4 Dec 2026 (Hanoi), with one attempt across midnight."""
    [module] = module_ids(app, starter)
    vy = make_user(app, "vy@example.com", name="Trần Thị Vy")
    cohort = make_cohort(app, "Khóa 1", students=[vy], modules=[(module, DUE_AT)])
    add_attempt(app, vy, module, 40, started=STARTED, submitted=SUBMITTED)
    return cohort


def set_zone(app, zone: str) -> None:
    with app.app_context(), writing():
        accounts.academy().time_zone = zone
        db.session.commit()


def xlsx_sheet(response) -> list[list]:
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def column(header: list[str], ending: str) -> int:
    [index] = [i for i, name in enumerate(header) if name.endswith(ending)]
    return index


def test_csv_times_are_iso_8601_with_hanois_offset(admin_client, late_class):
    header, row = csv_rows(admin_client.get(f"/reports/cohorts/{late_class}/attempts.csv"))
    started, submitted = header.index("Started (Asia/Ho_Chi_Minh)"), header.index("Submitted (Asia/Ho_Chi_Minh)")
    assert row[started] == "2026-12-04T23:30:00+07:00"
    assert row[submitted] == "2026-12-05T00:30:00+07:00"

    header, row = csv_rows(admin_client.get(f"/reports/cohorts/{late_class}/matrix.csv"))
    due = column(header, ": due (Asia/Ho_Chi_Minh)")
    assert row[due] == "2026-12-04T23:59:59+07:00"
    assert row[column(header, ": last activity (Asia/Ho_Chi_Minh)")] == "2026-12-05T00:30:00+07:00"
    assert not any("UTC" in name for name in header)


def test_xlsx_has_real_date_cells_in_hanoi_time(admin_client, late_class):
    header, row = xlsx_sheet(admin_client.get(f"/reports/cohorts/{late_class}/matrix.xlsx"))
    due = row[column(header, ": due (Asia/Ho_Chi_Minh)")]
    assert isinstance(due, datetime) and due == datetime(2026, 12, 4, 23, 59, 59)

    header, row = xlsx_sheet(admin_client.get(f"/reports/cohorts/{late_class}/attempts.xlsx"))
    submitted = row[header.index("Submitted (Asia/Ho_Chi_Minh)")]
    assert isinstance(submitted, datetime) and submitted == datetime(2026, 12, 5, 0, 30)


def test_the_academys_own_zone_is_used_in_both(app, admin_client, late_class):
    set_zone(app, "America/New_York")
    header, row = csv_rows(admin_client.get(f"/reports/cohorts/{late_class}/matrix.csv"))
    assert row[column(header, ": due (America/New_York)")] == "2026-12-04T11:59:59-05:00"
    header, row = xlsx_sheet(admin_client.get(f"/reports/cohorts/{late_class}/attempts.xlsx"))
    assert row[header.index("Started (America/New_York)")] == datetime(2026, 12, 4, 11, 30)


def test_headings_and_words_follow_the_readers_language(app, admin_client, late_class, academy):
    """The headings go through the catalogue: in Vietnamese they are the catalogue's (or, until it has
    them, the English); the zone and the values stay the same."""
    with app.app_context(), writing():
        db.session.get(User, academy).language = "vi"
        db.session.commit()
    header, row = csv_rows(admin_client.get(f"/reports/cohorts/{late_class}/attempts.csv"))
    assert len(header) == 14 and any("(Asia/Ho_Chi_Minh)" in name for name in header)
    assert "2026-12-05T00:30:00+07:00" in row and "Trần Thị Vy" in row
