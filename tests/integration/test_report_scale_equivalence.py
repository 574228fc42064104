"""The report pages that page in SQL show exactly what the whole-cohort computations show.

The matrix page is compared with ``reports.matrix_rows`` (every row, filtered and sorted by
plain functions, as the exports use it); the heatmap with the figures added up from the
answers themselves, as the heatmap computed them before ``AttemptTopic`` existed.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quizzes.items import Topic
from quizzes.mastery import mastery_by_topic
from training.database import writing
from training.extensions import db
from training.models import Answer, Attempt, AttemptStatus, Cohort, CohortModule, Role, User
from training.services import reports

from .test_reports import NOW, SECOND, UNASSIGNED, add_attempt, make_cohort, module_ids

PAGE = 4
DAY = timedelta(days=1)
# First words differ in their first letter (or not at all), so every collation orders them alike.
NAMES = [
    "Ada Lime",
    "ada Lime",
    "Bo Kent",
    "Cy Moss",
    "Dee Park",
    "Eve Quin",
    "Fay Rowe",
    "Gus Snow",
    "Hal Tate",
    "Ivy Vale",
    "Jo West",
    "Kit Yale",
    "Lu Zane",
]
# Few distinct scores, so sorts meet ties.
PERCENTS = (30, 50, 70, 70, 80)
# (topic, points, awarded) answers of an attempt; None is an unanswered item (it counts as 0).
TOPIC_ROWS = [
    [("anatomy", 1.0, 0.1), ("anatomy", 2.0, 1.5), ("placement", 1.0, None)],
    [("injection-volume", 3.0, 2.2), ("aftercare", 1.0, 1.0), ("anatomy", 1.0, 0.7)],
    [("placement", 2.0, 2.0), ("aftercare", 0.5, 0.2), ("not-a-topic", 1.0, 1.0)],
    [("aftercare", 0.0, 0.0), ("placement", 1.0, 0.5)],  # no points in aftercare: no percent either
    [("red-flags", 2.0, 1.5), ("anatomy", 1.0, 1.0)],
]


@pytest.fixture
def cohort(app, starter):
    """A cohort of 13 students on three modules (past due, due next week, no due date), seeded at random.

    Attempts share days and scores, so sorts meet ties; some students have no attempt, some only an
    open one, and some only attempts at a module the cohort was not assigned.
    """
    first, second, third, unassigned = module_ids(
        app, starter, SECOND, "mesotherapy-aftercare-and-referral", UNASSIGNED
    )
    with app.app_context(), writing():
        users = [
            User(email=f"{name.replace(' ', '.')}.{n}@example.com", name=name, role=Role.STUDENT, password_hash="x")
            for n, name in enumerate(NAMES)
        ]
        db.session.add_all(users)
        db.session.commit()
        students = [u.id for u in users]
    cohort_id = make_cohort(
        app,
        "Equivalence",
        students=students,
        modules=[(first, NOW - DAY), (second, NOW + 7 * DAY), (third, None)],
    )
    rnd = random.Random(11)
    for n, uid in enumerate(students):
        if n == 0:
            continue  # never started anything
        for module_id in (first, second, third, unassigned):
            for _ in range(rnd.choice((0, 0, 1, 1, 2, 3))):
                started = NOW - rnd.choice((2, 3, 5)) * DAY
                answers = rnd.choice(TOPIC_ROWS)
                percent = rnd.choice(PERCENTS)
                add_attempt(app, uid, module_id, percent, started=started, submitted=started, answers=answers)
            if rnd.random() < 0.3:
                add_attempt(app, uid, module_id, started=NOW - rnd.choice((1, 2)) * DAY, answers=TOPIC_ROWS[0])
    return cohort_id


def every_query(modules: list[reports.AssignedModule], status: str):
    """Every matrix query with ``status``: each sort and direction, each module filter, and two searches."""
    sorts = ["name", "email", "passed", "last_activity", *(m.slug for m in modules)]
    for q in ("", "lime"):
        for module in ("", *(m.slug for m in modules)):
            for sort in sorts:
                for direction in ("asc", "desc"):
                    yield reports.MatrixQuery(q=q, status=status, module=module, sort=sort, direction=direction)


@pytest.mark.parametrize("status", ["", *reports.STATUSES])
def test_matrix_pages_in_sql_equal_the_whole_cohort_filtered_and_sorted_in_python(app, cohort, monkeypatch, status):
    monkeypatch.setattr(reports.matrix, "MATRIX_PAGE_SIZE", PAGE)
    with app.app_context():
        found = db.session.get(Cohort, cohort)
        modules = reports.assigned_modules(found)
        for query in every_query(modules, status):
            everyone = reports.matrix_rows(found, modules, query, NOW)
            pages = max(1, -(-len(everyone) // PAGE))
            for number in range(1, pages + 2):  # one past the end: the last page again
                asked = reports.MatrixQuery(**{**query.__dict__, "page": number})
                page = reports.cohort_matrix(found, modules, asked, NOW).rows
                shown = min(number, pages)
                assert (page.number, page.total) == (shown, len(everyone)), query
                assert page.items == everyone[(shown - 1) * PAGE : shown * PAGE], (query, number)


def test_the_matrix_filters_cover_each_status_and_sort_meets_ties(app, cohort):
    """The seeded cohort exercises what the comparison above claims to check."""
    with app.app_context():
        found = db.session.get(Cohort, cohort)
        modules = reports.assigned_modules(found)
        everyone = reports.matrix_rows(found, modules, reports.MatrixQuery(), NOW)
    for status in reports.STATUSES:
        matching = reports.filter_rows(everyone, status, "", modules)
        assert 0 < len(matching) < len(everyone), status
    bests = [row.cells[0].best for row in everyone]
    assert None in bests and len({b for b in bests if b is not None}) < len([b for b in bests if b is not None])
    assert len({row.passed for row in everyone}) < len(everyone)


def heatmap_from_answers(cohort_id: int, q: str) -> list[reports.HeatmapRow]:
    """Every matching student's heatmap row, by name, from the answers of submitted attempts at assigned modules."""
    people = db.session.execute(
        select(User.id, User.name, User.email)
        .where(User.id.in_(reports.cohort_member_ids(db.session.get(Cohort, cohort_id), q)))
        .order_by(User.name, User.id)
    ).all()
    assigned = select(CohortModule.module_id).where(CohortModule.cohort_id == cohort_id)
    totals: dict[int, list] = {}
    for user_id, topic, awarded, points, items in db.session.execute(
        select(Attempt.user_id, Answer.topic, func.sum(Answer.awarded), func.sum(Answer.points), func.count(Answer.id))
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(
            Attempt.status == AttemptStatus.SUBMITTED,
            Attempt.user_id.in_([p.id for p in people]),
            Attempt.module_id.in_(assigned),
        )
        .group_by(Attempt.user_id, Answer.topic)
    ):
        totals.setdefault(user_id, []).append((topic, float(awarded or 0), float(points or 0), int(items)))
    return [reports.HeatmapRow(p.id, p.name, p.email, mastery_by_topic(totals.get(p.id, []))) for p in people]


def figures(row: reports.HeatmapRow) -> list:
    return [(m.topic, pytest.approx(m.awarded), pytest.approx(m.points), m.items) for m in row.mastery]


@pytest.mark.parametrize("q", ["", "lime", "e", "nobody"])
def test_heatmap_pages_and_averages_equal_the_figures_from_the_answers(app, cohort, monkeypatch, q):
    monkeypatch.setattr(reports.heatmap, "HEATMAP_PAGE_SIZE", PAGE)
    with app.app_context():
        everyone = heatmap_from_answers(cohort, q)
        pages = max(1, -(-len(everyone) // PAGE))
        for number in range(1, pages + 2):  # one past the end: the last page again
            heatmap = reports.cohort_heatmap(db.session.get(Cohort, cohort), q, number)
            shown = min(number, pages)
            expected = everyone[(shown - 1) * PAGE : shown * PAGE]
            assert (heatmap.rows.number, heatmap.rows.total) == (shown, len(everyone))
            assert [(r.student_id, r.name, r.email) for r in heatmap.rows.items] == [
                (r.student_id, r.name, r.email) for r in expected
            ]
            assert [figures(r) for r in heatmap.rows.items] == [figures(r) for r in expected]
            assert heatmap.topics == list(Topic)
            for index, topic in enumerate(Topic):
                known = [r.mastery[index].percent for r in everyone if r.mastery[index].percent is not None]
                assert heatmap.counted[index] == len(known), topic
                if known:
                    assert heatmap.average[index] == pytest.approx(sum(known) / len(known)), topic
                else:
                    assert heatmap.average[index] is None, topic


def test_the_heatmap_cohort_has_a_student_without_data_and_several_pages(app, cohort):
    with app.app_context():
        everyone = heatmap_from_answers(cohort, "")
    assert len(everyone) > 2 * PAGE
    assert any(all(m.percent is None for m in row.mastery) for row in everyone)
    assert all(any(row.mastery[i].percent is not None for row in everyone) for i in range(len(Topic)))
