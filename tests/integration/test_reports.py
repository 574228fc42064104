"""Score review: the cohort matrix, the mastery heatmap, student and attempt pages, and who may see them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from training.database import writing
from training.extensions import db
from training.models import (
    Answer,
    Attempt,
    AttemptStatus,
    Cohort,
    CohortInstructor,
    CohortMember,
    CohortModule,
    ModuleRow,
    Role,
    User,
)
from training.models.summaries import AttemptTopic
from training.models.types import utcnow
from training.services import content, reports
from training.services.attempts import result_items

from .conftest import count_queries, make_user, module_doc, start_attempt
from .helpers import wrong_values
from .test_taking import finish

SECOND = "mesotherapy-lumps"
UNASSIGNED = "red-flags-and-referral"
NOW = utcnow()


# ---------------------------------------------------------------- building data


def module_ids(app, *slugs: str) -> list[int]:
    """The ids of modules by slug."""
    with app.app_context():
        return [db.session.scalar(select(ModuleRow.id).where(ModuleRow.slug == slug)) for slug in slugs]


def make_cohort(app, name, students=(), instructors=(), modules=()) -> int:
    """A cohort with members, instructors and (module id, due date) assignments; returns its id."""
    with app.app_context(), writing():
        cohort = Cohort(name=name)
        db.session.add(cohort)
        db.session.flush()
        db.session.add_all(CohortMember(cohort_id=cohort.id, user_id=uid) for uid in students)
        db.session.add_all(CohortInstructor(cohort_id=cohort.id, user_id=uid) for uid in instructors)
        db.session.add_all(CohortModule(cohort_id=cohort.id, module_id=mid, due_at=due) for mid, due in modules)
        db.session.commit()
        return cohort.id


def add_students(app, count: int, prefix: str = "student") -> list[int]:
    """Many students at once, inserted directly (no password hashing)."""
    with app.app_context(), writing():
        users = [
            User(
                email=f"{prefix}{n:04d}@example.com",
                name=f"{prefix.title()} {n:04d}",
                role=Role.STUDENT,
                password_hash="x",
            )
            for n in range(count)
        ]
        db.session.add_all(users)
        db.session.commit()
        return [u.id for u in users]


def add_attempt(app, user_id, module_id, percent=None, *, started, submitted=None, answers=(), pass_mark=70) -> int:
    """An attempt inserted directly: submitted with ``percent`` of 10 points when ``submitted`` is given, else open.

    ``answers`` are (topic, points, awarded) rows; a submitted attempt also gets its per-topic
    totals, as grading writes them (``AttemptTopic``), with an ``awarded`` of None counting 0.
    """
    with app.app_context(), writing():
        version = content.latest_version(module_id)
        attempt = Attempt(user_id=user_id, module_id=module_id, version_id=version.id, seed=1, started_at=started)
        if submitted is not None:
            attempt.status = AttemptStatus.SUBMITTED
            attempt.submitted_at = submitted
            attempt.score, attempt.max_score, attempt.passed = percent / 10, 10.0, percent >= pass_mark
        db.session.add(attempt)
        db.session.flush()
        db.session.add_all(
            Answer(attempt_id=attempt.id, item_key=f"k{n}", topic=topic, points=points, awarded=awarded)
            for n, (topic, points, awarded) in enumerate(answers)
        )
        if submitted is not None:
            totals = {}
            for topic, points, awarded in answers:
                row = totals.setdefault(topic, [0.0, 0.0, 0])
                row[0], row[1], row[2] = row[0] + (awarded or 0.0), row[1] + points, row[2] + 1
            db.session.add_all(
                AttemptTopic(
                    attempt_id=attempt.id,
                    topic=topic,
                    user_id=user_id,
                    module_id=module_id,
                    awarded=awarded,
                    points=points,
                    items=items,
                )
                for topic, (awarded, points, items) in totals.items()
            )
        db.session.commit()
        return attempt.id


@pytest.fixture
def classroom(app, starter, student, other_student, instructor):
    """Cohort A (taught by Ina): Sam, Olu and Zed on two modules, the first past due, the second due next week.

    Sam: module one 40%, 80% (pass), 60% (latest); module two in progress.
    Olu: module one 30% and an attempt in progress, so overdue; module two not started.
    Zed: nothing, so overdue on module one.
    """
    first, second, unassigned = module_ids(app, starter, SECOND, UNASSIGNED)
    zed = make_user(app, "zed@example.com", name="Zed Zulu")
    cohort = make_cohort(
        app,
        "Cohort A",
        students=[student, other_student, zed],
        instructors=[instructor],
        modules=[(first, NOW - timedelta(days=1)), (second, NOW + timedelta(days=7))],
    )
    day = timedelta(days=1)
    ids = {
        "sam_1": add_attempt(app, student, first, 40, started=NOW - 10 * day, submitted=NOW - 10 * day),
        "sam_2": add_attempt(app, student, first, 80, started=NOW - 5 * day, submitted=NOW - 5 * day),
        "sam_3": add_attempt(app, student, first, 60, started=NOW - 3 * day, submitted=NOW - 3 * day),
        "sam_open": add_attempt(app, student, second, started=NOW - day),
        "sam_other": add_attempt(app, student, unassigned, 90, started=NOW - 2 * day, submitted=NOW - 2 * day),
        "olu_1": add_attempt(app, other_student, first, 30, started=NOW - 4 * day, submitted=NOW - 4 * day),
        "olu_open": add_attempt(app, other_student, first, started=NOW - timedelta(hours=2)),
    }
    with app.app_context():
        slugs = {"first": starter, "second": SECOND}
        titles = {
            key: db.session.scalar(select(ModuleRow.title).where(ModuleRow.slug == s)) for key, s in slugs.items()
        }
    return {
        "cohort": cohort,
        "sam": student,
        "olu": other_student,
        "zed": zed,
        "first": first,
        "second": second,
        "titles": titles,
        **ids,
    }


@pytest.fixture
def other_cohort(app, starter, classroom):
    """Cohort B, not taught by Ina: Bea, who has one submitted attempt."""
    bea = make_user(app, "bea@example.com", name="Bea Other")
    cohort = make_cohort(app, "Cohort B", students=[bea], modules=[(classroom["first"], None)])
    attempt = add_attempt(app, bea, classroom["first"], 90, started=NOW - timedelta(days=1), submitted=NOW)
    return {"cohort": cohort, "bea": bea, "attempt": attempt}


def matrix(app, cohort_id, **query) -> reports.Matrix:
    """The matrix service's answer for a cohort."""
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        modules = reports.assigned_modules(cohort)
        return reports.cohort_matrix(cohort, modules, reports.MatrixQuery(**query), utcnow())


def names(result: reports.Matrix) -> list[str]:
    return [row.name for row in result.rows.items]


def day(value) -> str:
    return f"{value.day} {value:%b %Y}"


# ---------------------------------------------------------------- access


STUDENT_PATHS = [
    "/reports/",
    "/reports/students",
    "/reports/cohorts/{cohort}",
    "/reports/cohorts/{cohort}/heatmap",
    "/reports/cohorts/{cohort}/matrix.csv",
    "/reports/cohorts/{cohort}/matrix.xlsx",
    "/reports/cohorts/{cohort}/attempts.csv",
    "/reports/cohorts/{cohort}/attempts.xlsx",
    "/reports/students/{sam}",
    "/reports/attempts/{sam_1}",
    "/reports/attempts.csv",
    "/reports/attempts.xlsx",
]


def test_students_get_403_on_every_reports_route(student_client, classroom):
    # Even their own student page and attempt: staff pages are for staff.
    for path in STUDENT_PATHS:
        assert student_client.get(path.format(**classroom)).status_code == 403, path


def test_anonymous_visitors_are_sent_to_sign_in(app, classroom):
    response = app.test_client().get(f"/reports/cohorts/{classroom['cohort']}")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


OTHER_COHORT_PATHS = [
    "/reports/cohorts/{cohort}",
    "/reports/cohorts/{cohort}/heatmap",
    "/reports/cohorts/{cohort}/matrix.csv",
    "/reports/cohorts/{cohort}/matrix.xlsx",
    "/reports/cohorts/{cohort}/attempts.csv",
    "/reports/cohorts/{cohort}/attempts.xlsx",
    "/reports/students/{bea}",
    "/reports/attempts/{attempt}",
]


def test_an_instructor_gets_404_for_another_cohorts_pages(instructor_client, other_cohort):
    for path in OTHER_COHORT_PATHS:
        assert instructor_client.get(path.format(**other_cohort)).status_code == 404, path


def test_an_instructor_sees_their_own_cohort_and_its_students(instructor_client, classroom):
    for path in ("/reports/cohorts/{cohort}", "/reports/students/{olu}", "/reports/attempts/{olu_1}"):
        assert instructor_client.get(path.format(**classroom)).status_code == 200, path


def test_a_cohort_that_does_not_exist_is_404(admin_client, classroom):
    assert admin_client.get("/reports/cohorts/999999").status_code == 404
    assert admin_client.get("/reports/attempts/999999").status_code == 404
    assert admin_client.get("/reports/students/999999").status_code == 404


def test_the_everyone_export_is_for_admins_only(instructor_client, admin_client, classroom):
    assert instructor_client.get("/reports/attempts.csv").status_code == 403
    assert admin_client.get("/reports/attempts.csv").status_code == 200


def test_home_lists_the_cohorts_the_viewer_may_review_with_counts(instructor_client, admin_client, other_cohort):
    mine = instructor_client.get("/reports/").get_data(as_text=True)
    assert "Cohort A" in mine and "Cohort B" not in mine
    assert re.search(r"Cohort A</a></th>\s*<td[^>]*>3</td>\s*<td[^>]*>2</td>", mine)
    everything = admin_client.get("/reports/").get_data(as_text=True)
    assert "Cohort A" in everything and "Cohort B" in everything and "All students" in everything


# ---------------------------------------------------------------- the student directory


def test_the_student_directory_searches_and_keeps_instructors_to_their_cohorts(
    instructor_client, admin_client, other_cohort
):
    mine = instructor_client.get("/reports/students").get_data(as_text=True)
    assert "zed@example.com" in mine and "bea@example.com" not in mine
    everyone = admin_client.get("/reports/students").get_data(as_text=True)
    assert "zed@example.com" in everyone and "bea@example.com" in everyone
    found = admin_client.get("/reports/students?q=ZULU").get_data(as_text=True)
    assert "zed@example.com" in found and "sam@example.com" not in found
    nothing = admin_client.get("/reports/students?q=%25").get_data(as_text=True)  # % is literal, not a wildcard
    assert "No student matches" in nothing


def test_the_student_directory_pages_by_fifty(app, admin_client, academy):
    add_students(app, 51)
    first = admin_client.get("/reports/students").get_data(as_text=True)
    assert "Showing 1–50 of 51 students" in first and "student0049@" in first and "student0050@" not in first
    second = admin_client.get("/reports/students?page=2").get_data(as_text=True)
    assert "Showing 51–51 of 51" in second and "student0050@" in second
    assert "Showing 51–51" in admin_client.get("/reports/students?page=99").get_data(as_text=True)


def test_a_search_that_is_too_long_says_so(admin_client, classroom):
    page = admin_client.get("/reports/students?q=" + "x" * 201).get_data(as_text=True)
    assert "Field cannot be longer than 200 characters." in page and "sam@example.com" in page


# ---------------------------------------------------------------- the matrix


def test_matrix_cells_show_best_latest_attempts_pass_overdue_and_last_activity(app, classroom):
    result = matrix(app, classroom["cohort"])
    order = [m.id for m in result.modules]
    rows = {row.name: dict(zip(order, row.cells, strict=True)) for row in result.rows.items}
    totals = {row.name: row for row in result.rows.items}
    first, second = classroom["first"], classroom["second"]

    sam_first, sam_second = rows["Sam"][first], rows["Sam"][second]
    assert (sam_first.best, sam_first.latest, sam_first.attempts) == (80, 60, 3)
    assert sam_first.passed and not sam_first.overdue and not sam_first.in_progress
    assert sam_first.last_activity == NOW - timedelta(days=3)
    assert sam_second.in_progress and sam_second.attempts == 0 and sam_second.best is None and not sam_second.overdue
    assert sam_second.last_activity == NOW - timedelta(days=1)
    assert totals["Sam"].passed == 1 and totals["Sam"].last_activity == NOW - timedelta(days=1)

    olu_first, olu_second = rows["Olu"][first], rows["Olu"][second]
    assert (olu_first.best, olu_first.latest, olu_first.attempts) == (30, 30, 1)
    assert olu_first.overdue and olu_first.in_progress and not olu_first.passed  # open past due is still overdue
    assert olu_first.last_activity == NOW - timedelta(hours=2)
    assert not olu_second.started and not olu_second.overdue  # due next week

    zed_first = rows["Zed Zulu"][first]
    assert zed_first.overdue and not zed_first.started and zed_first.best is None and zed_first.attempts == 0
    assert totals["Zed Zulu"].passed == 0 and totals["Zed Zulu"].last_activity is None


def test_matrix_page_shows_the_numbers(admin_client, classroom):
    page = admin_client.get(f"/reports/cohorts/{classroom['cohort']}").get_data(as_text=True)
    assert classroom["titles"]["first"] in page and "due " + day(NOW - timedelta(days=1)) in page
    sam = re.search(r'<tr>\s*<th scope="row"[^>]*><a [^>]*>Sam</a>.*?</tr>', page, re.S).group(0)
    cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", sam, re.S)]
    # Module column groups come in title order, after the email cell.
    titles = classroom["titles"]
    first_at = 1 + 5 * sorted(titles.values()).index(titles["first"])
    second_at = 1 + 5 * sorted(titles.values()).index(titles["second"])
    assert cells[first_at : first_at + 5] == ["80%", "60%", "Passed", "3", day(NOW - timedelta(days=3))]
    assert cells[second_at : second_at + 5] == ["– none", "– none", "In progress", "0", day(NOW - timedelta(days=1))]
    assert cells[-2] == "1 of 2"
    olu = re.search(r'<tr>\s*<th scope="row"[^>]*><a [^>]*>Olu</a>.*?</tr>', page, re.S).group(0)
    assert "Overdue" in olu and "In progress" in olu and "0 of 2" in olu


@pytest.mark.parametrize(
    ("sort", "direction", "expected"),
    [
        ("name", "asc", ["Olu", "Sam", "Zed Zulu"]),
        ("name", "desc", ["Zed Zulu", "Sam", "Olu"]),
        ("email", "asc", ["Olu", "Sam", "Zed Zulu"]),
        ("passed", "desc", ["Sam", "Olu", "Zed Zulu"]),
        ("last_activity", "desc", ["Olu", "Sam", "Zed Zulu"]),
        ("last_activity", "asc", ["Sam", "Olu", "Zed Zulu"]),  # no activity stays last
        ("thread-lift-nerve-pain", "desc", ["Sam", "Olu", "Zed Zulu"]),
        ("thread-lift-nerve-pain", "asc", ["Olu", "Sam", "Zed Zulu"]),
        ("no-such-column", "sideways", ["Olu", "Sam", "Zed Zulu"]),  # unknown: by name
    ],
)
def test_matrix_sorts(app, classroom, sort, direction, expected):
    assert names(matrix(app, classroom["cohort"], sort=sort, direction=direction)) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "overdue"}, ["Olu", "Zed Zulu"]),
        ({"status": "overdue", "module": SECOND}, []),
        ({"status": "passed"}, ["Sam"]),
        ({"status": "passed", "module": SECOND}, []),
        ({"status": "not-passed"}, ["Olu", "Sam", "Zed Zulu"]),  # Sam has not passed module two
        ({"status": "not-passed", "module": "thread-lift-nerve-pain"}, ["Olu", "Zed Zulu"]),
        ({"status": "not-started"}, ["Olu", "Zed Zulu"]),
        ({"status": "not-started", "module": "thread-lift-nerve-pain"}, ["Zed Zulu"]),
        ({"q": "ZULU"}, ["Zed Zulu"]),
        ({"q": "olu@exam"}, ["Olu"]),
    ],
)
def test_matrix_filters(app, classroom, filters, expected):
    assert names(matrix(app, classroom["cohort"], **filters)) == expected


def test_matrix_page_sorts_and_filters_from_the_query_string(admin_client, classroom):
    url = f"/reports/cohorts/{classroom['cohort']}"
    page = admin_client.get(f"{url}?sort=thread-lift-nerve-pain&dir=desc").get_data(as_text=True)
    assert page.index(">Sam</a>") < page.index(">Olu</a>") < page.index(">Zed Zulu</a>")
    assert re.search(r'<th scope="colgroup"[^>]*aria-sort="descending"', page)
    # The heading now flips to ascending; the filter form keeps the sort.
    assert "sort=thread-lift-nerve-pain&amp;dir=asc" in page and 'name="dir" value="desc"' in page
    filtered = admin_client.get(f"{url}?status=overdue&module=thread-lift-nerve-pain&cohort_id=9").get_data(
        as_text=True
    )
    assert ">Olu</a>" in filtered and ">Zed Zulu</a>" in filtered and ">Sam</a>" not in filtered
    assert "Showing 1–2 of 2 students (3 in the cohort)" in filtered


def test_matrix_refuses_an_unknown_status_or_module_and_shows_everyone(admin_client, classroom):
    url = f"/reports/cohorts/{classroom['cohort']}"
    response = admin_client.get(f"{url}?status=asleep&module={UNASSIGNED}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose one of: Overdue, Not passed yet, Not started, Passed." in page
    assert "That module is not assigned to this cohort." in page
    assert ">Sam</a>" in page and ">Olu</a>" in page and ">Zed Zulu</a>" in page


def test_matrix_pages_by_a_hundred(app, admin_client, starter):
    (first,) = module_ids(app, starter)
    cohort = make_cohort(app, "Big", students=add_students(app, 101), modules=[(first, None)])
    page = admin_client.get(f"/reports/cohorts/{cohort}").get_data(as_text=True)
    assert "Showing 1–100 of 101" in page and "Student 0099" in page and "Student 0100" not in page
    assert f'href="/reports/cohorts/{cohort}?page=2"' in page
    second = admin_client.get(f"/reports/cohorts/{cohort}?page=2").get_data(as_text=True)
    assert "Showing 101–101 of 101" in second and "Student 0100" in second


def seed_cohort(app, size: int, modules: list[int]) -> int:
    """A cohort of ``size`` students, each with a submitted and an open attempt on each module."""
    students = add_students(app, size, prefix=f"c{size}x")
    cohort = make_cohort(app, f"Cohort of {size}", students=students, modules=[(m, NOW) for m in modules])
    for n, uid in enumerate(students):
        for m in modules:
            answers = [("anatomy", 2.0, 1.0), ("aftercare", 2.0, 2.0)]
            add_attempt(app, uid, m, 50 + n % 50, started=NOW - timedelta(days=2), submitted=NOW, answers=answers)
            add_attempt(app, uid, m, started=NOW)
    return cohort


def test_matrix_and_heatmap_query_counts_do_not_grow_with_students(app, admin_client, starter):
    modules = module_ids(app, starter, SECOND)
    small, large = seed_cohort(app, 3, modules), seed_cohort(app, 30, modules)
    counts = {}
    for name, cohort in (("small", small), ("large", large)):
        for page in ("", "/heatmap", "?sort=passed&status=not-passed"):
            with count_queries(app) as statements:
                assert admin_client.get(f"/reports/cohorts/{cohort}{page}").status_code == 200
            counts[name, page] = len(statements)
    for page in ("", "/heatmap", "?sort=passed&status=not-passed"):
        assert counts["small", page] == counts["large", page], counts
    # Signed-in user, academy name, cohort, assigned modules, then (in any order, with any filter) the
    # count, the page of students, the aggregate of that page, their own due dates, their answers given
    # with certainty (over-confidence), the cohort size.
    assert counts["large", ""] == 10 and counts["large", "?sort=passed&status=not-passed"] == 10, counts
    # Signed-in user, academy name, cohort, then the assigned modules, the count, the page of students,
    # their totals, the averages.
    assert counts["large", "/heatmap"] == 8, counts


def test_student_directory_page_and_exports_query_counts_do_not_grow(app, admin_client, starter):
    modules = module_ids(app, starter, SECOND)
    small, large = seed_cohort(app, 2, modules), seed_cohort(app, 20, modules)
    pages = {
        "directory": "/reports/students",
        "matrix.csv": "/reports/cohorts/{cohort}/matrix.csv",
        "matrix.xlsx": "/reports/cohorts/{cohort}/matrix.xlsx",
        "attempts.csv": "/reports/cohorts/{cohort}/attempts.csv",
        "attempts.xlsx": "/reports/cohorts/{cohort}/attempts.xlsx",
        "everyone.csv": "/reports/attempts.csv",
    }
    counts = {}
    for size, cohort in (("small", small), ("large", large)):
        for name, url in pages.items():
            with count_queries(app) as statements:
                response = admin_client.get(url.format(cohort=cohort))
                assert response.status_code == 200 and response.get_data()  # streamed bodies read inside
            counts[size, name] = len(statements)
        with app.app_context():
            first = db.session.scalar(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort))
        for extra in range(8 if size == "large" else 0):  # many more attempts for the large cohort's student
            add_attempt(app, first, modules[0], 50, started=NOW - timedelta(days=3 + extra), submitted=NOW)
        with count_queries(app) as statements:
            assert admin_client.get(f"/reports/students/{first}").status_code == 200
        counts[size, "student"] = len(statements)
    for name in [*pages, "student"]:
        assert counts["small", name] == counts["large", name] > 0, (name, counts)


@pytest.mark.parametrize("sort", ["name", "email"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_matrix_paged_in_sql_matches_the_whole_cohort_sorted_in_python(app, starter, monkeypatch, sort, direction):
    modules = module_ids(app, starter, SECOND)
    cohort_id = seed_cohort(app, 7, modules)
    monkeypatch.setattr(reports.matrix, "MATRIX_PAGE_SIZE", 3)
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        assigned = reports.assigned_modules(cohort)
        everyone = reports.matrix_rows(cohort, assigned, reports.MatrixQuery(sort=sort, direction=direction), NOW)
        for number in (1, 2, 3, 9):
            query = reports.MatrixQuery(sort=sort, direction=direction, page=number)
            page = reports.cohort_matrix(cohort, assigned, query, NOW).rows
            expected = min(number, 3)
            assert (page.number, page.total) == (expected, 7)
            assert page.items == everyone[(expected - 1) * 3 : expected * 3]  # the same students with the same cells


# ---------------------------------------------------------------- the heatmap


def test_heatmap_values_bands_and_cohort_average(app, admin_client, classroom):
    sam, olu, first = classroom["sam"], classroom["olu"], classroom["first"]
    topics = [("anatomy", 5.0, 4.0), ("placement", 4.0, 1.0), ("injection-volume", 20.0, 17.0)]
    add_attempt(app, sam, first, 70, started=NOW, submitted=NOW, answers=topics)
    add_attempt(app, olu, first, 50, started=NOW, submitted=NOW, answers=[("anatomy", 2.0, 1.0)])
    # Not counted: an unassigned module, and answers saved in an open attempt.
    unassigned = module_ids(app, UNASSIGNED)[0]
    add_attempt(app, sam, unassigned, 0, started=NOW, submitted=NOW, answers=[("aftercare", 10.0, 0.0)])
    with app.app_context(), writing():
        db.session.add(Answer(attempt_id=classroom["olu_open"], item_key="x", topic="aftercare", points=5, awarded=5))
        db.session.commit()

    page = admin_client.get(f"/reports/cohorts/{classroom['cohort']}/heatmap").get_data(as_text=True)
    assert "assigned modules" in page and "Colour key" in page and "85% and above" in page

    def cells(label):
        row = re.search(rf'<th scope="row"[^>]*>(?:<a [^>]*>)?{label}(?:</a>)?</th>(.*?)</tr>', page, re.S).group(1)
        return [
            (band, re.sub(r"<[^>]+>", "", text).strip()) for band, text in re.findall(r'heat-(\w+)">(.*?)</td>', row)
        ]

    # Topic order: anatomy, placement, injection volume, aftercare, red flags.
    assert cells("Sam") == [
        ("good", "80%"),
        ("weak", "25%"),
        ("strong", "85%"),
        ("none", "–no data"),
        ("none", "–no data"),
    ]
    assert cells("Olu") == [
        ("fair", "50%"),
        ("none", "–no data"),
        ("none", "–no data"),
        ("none", "–no data"),
        ("none", "–no data"),
    ]
    assert cells("Zed Zulu") == [("none", "–no data")] * 5
    assert cells("Cohort average") == [
        ("fair", "65%"),
        ("weak", "25%"),
        ("strong", "85%"),
        ("none", "–no data"),
        ("none", "–no data"),
    ]


@pytest.mark.parametrize(
    ("percent", "expected"),
    [(None, "none"), (0, "weak"), (49.9, "weak"), (50, "fair"), (69.9, "fair"), (70, "good"), (84.9, "good")]
    + [(100 * 5.1 / 6, "strong"), (85, "strong"), (100, "strong")],
)
def test_heatmap_bands(percent, expected):
    assert reports.band(percent) == expected


def test_heatmap_search_narrows_the_rows(admin_client, classroom):
    page = admin_client.get(f"/reports/cohorts/{classroom['cohort']}/heatmap?q=zed").get_data(as_text=True)
    assert ">Zed Zulu</a>" in page and ">Sam</a>" not in page


# ---------------------------------------------------------------- the student and attempt pages


def test_student_page_lists_every_attempt_newest_first_with_links(admin_client, classroom):
    page = admin_client.get(f"/reports/students/{classroom['sam']}").get_data(as_text=True)
    assert "sam@example.com" in page and "Cohort A" in page and "Mastery per topic" in page
    links = re.findall(r'href="/reports/attempts/(\d+)"', page)
    newest_first = ["sam_open", "sam_other", "sam_3", "sam_2", "sam_1"]
    assert [int(x) for x in links] == [classroom[key] for key in newest_first]
    assert "In progress" in page and "8/10 (80%)" in page and "Not passed" in page


def test_attempt_review_shows_each_answer_given_and_the_correct_one(app, student_client, instructor_client, classroom):
    doc = module_doc(app, "thread-lift-nerve-pain")
    attempt_id = start_attempt(student_client, "thread-lift-nerve-pain")
    finish(student_client, doc, attempt_id, values=wrong_values)
    page = instructor_client.get(f"/reports/attempts/{attempt_id}").get_data(as_text=True)
    assert "Sam’s attempt" in page and "Not passed" in page
    with app.app_context():
        items = result_items(db.session.get(Attempt, attempt_id))
    assert len(items) == len(list(doc.items()))
    assert page.count('class="card result-item') == len(items)
    assert page.count("Correct answer</dt>") == len(items)
    for r in items:
        assert all(str(escape(line)) in page for line in r.correct), r.correct
        assert all(str(escape(line)) in page for line in r.given), r.given


def test_an_open_attempt_shows_in_progress_and_no_marks(app, student_client, admin_client, starter):
    attempt_id = start_attempt(student_client, starter)
    response = admin_client.get(f"/reports/attempts/{attempt_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "In progress" in page
    assert "Correct answer" not in page and "result-item" not in page
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).status == AttemptStatus.OPEN  # viewing never grades it


def test_report_pages_have_no_inline_script_or_style(admin_client, classroom):
    for path in (
        "/reports/",
        "/reports/students",
        f"/reports/cohorts/{classroom['cohort']}",
        f"/reports/cohorts/{classroom['cohort']}/heatmap",
        f"/reports/students/{classroom['sam']}",
        f"/reports/attempts/{classroom['sam_1']}",
    ):
        page = admin_client.get(path).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and " onclick" not in page, path
        assert "css/reports.css" in page, path
