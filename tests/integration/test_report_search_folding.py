"""Report searches ignore case and tone marks: "nguyen", "NGUYEN" and "Nguyễn" find "Nguyễn Thị Đào";
"duc" and "Đức" find "Trần Văn Đức" — in the student directory and in a cohort's matrix and heatmap,
on SQLite and PostgreSQL alike (one folded ``LIKE``, ``services/folding.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from training.database import writing
from training.extensions import db
from training.models import Cohort, CohortInstructor, CohortMember, CohortModule, ModuleRow, User
from training.models.types import utcnow
from training.services import reports

from .conftest import make_user

DAO = "Nguyễn Thị Đào"
DUC = "Trần Văn Đức"
OTHER = "Sam Smith"

# What is typed, and whom it finds (the emails name neither, so only the names can match).
SEARCHES = [
    ("nguyen", {DAO}),
    ("NGUYEN", {DAO}),
    ("Nguyễn", {DAO}),
    ("nguyễn thị", {DAO}),
    ("duc", {DUC}),
    ("Đức", {DUC}),
    ("ĐỨC", {DUC}),
    ("dao", {DAO}),
]


@pytest.fixture
def people(app, academy, instructor) -> dict:
    """Three students, all in a cohort that Ina teaches."""
    ids = {
        DAO: make_user(app, "first.student@example.com", name=DAO),
        DUC: make_user(app, "second.student@example.com", name=DUC),
        OTHER: make_user(app, "third.student@example.com", name=OTHER),
    }
    with app.app_context(), writing():
        cohort = Cohort(name="Lớp Hà Nội")
        db.session.add(cohort)
        db.session.flush()
        db.session.add_all(CohortMember(cohort_id=cohort.id, user_id=uid) for uid in ids.values())
        db.session.add(CohortInstructor(cohort_id=cohort.id, user_id=instructor))
        db.session.commit()
        return {"cohort": cohort.id, **ids}


def found(page: str) -> set[str]:
    """Which of the three students a report page lists."""
    return {name for name in (DAO, DUC, OTHER) if f">{name}</a>" in page}


def test_names_are_stored_folded(app, people):
    with app.app_context():
        assert db.session.get(User, people[DAO]).search_name == "nguyen thi dao"
        assert db.session.get(User, people[DUC]).search_name == "tran van duc"
        assert db.session.get(Cohort, people["cohort"]).search_name == "lop ha noi"


@pytest.mark.parametrize(("typed", "expected"), SEARCHES)
def test_the_student_directory_finds_names_without_case_or_tone_marks(admin_client, people, typed, expected):
    response = admin_client.get("/reports/students", query_string={"q": typed})
    assert response.status_code == 200
    assert found(response.get_data(as_text=True)) == expected


@pytest.mark.parametrize(("typed", "expected"), SEARCHES)
def test_the_cohort_heatmap_finds_names_without_case_or_tone_marks(instructor_client, people, typed, expected):
    response = instructor_client.get(f"/reports/cohorts/{people['cohort']}/heatmap", query_string={"q": typed})
    assert response.status_code == 200
    assert found(response.get_data(as_text=True)) == expected


@pytest.mark.parametrize(("typed", "expected"), SEARCHES)
def test_the_cohort_matrix_service_finds_names_without_case_or_tone_marks(app, people, typed, expected):
    with app.app_context():
        cohort = db.session.get(Cohort, people["cohort"])
        query = reports.MatrixQuery(q=typed)
        paged = reports.cohort_matrix(cohort, [], query, utcnow())
        every = reports.matrix_rows(cohort, [], query, utcnow())
    assert {row.name for row in paged.rows.items} == expected
    assert {row.name for row in every} == expected


def test_the_matrix_page_finds_names_without_case_or_tone_marks(app, starter, admin_client, people):
    with app.app_context(), writing():
        module_id = db.session.scalar(select(ModuleRow.id).where(ModuleRow.slug == starter))
        due = utcnow() + timedelta(days=7)
        db.session.add(CohortModule(cohort_id=people["cohort"], module_id=module_id, due_at=due))
        db.session.commit()
    for typed, expected in [("nguyen", {DAO}), ("Nguyễn", {DAO}), ("duc", {DUC}), ("Đức", {DUC})]:
        response = admin_client.get(f"/reports/cohorts/{people['cohort']}", query_string={"q": typed})
        assert response.status_code == 200
        assert found(response.get_data(as_text=True)) == expected, typed
        export = admin_client.get(f"/reports/cohorts/{people['cohort']}/matrix.csv", query_string={"q": typed})
        assert {name for name in (DAO, DUC, OTHER) if name in export.get_data(as_text=True)} == expected, typed


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("SECOND.STUDENT@", {DUC}),  # an email, whatever its case
        ("example.com", {DAO, DUC, OTHER}),
        ("%", set()),  # LIKE wildcards are literal
        ("_", set()),
        ("nguyen dao", set()),  # a contained run of text, not words in any order
    ],
)
def test_emails_match_without_case_and_wildcards_are_literal(admin_client, people, typed, expected):
    response = admin_client.get("/reports/students", query_string={"q": typed})
    assert found(response.get_data(as_text=True)) == expected
