"""The reports home page's cohorts, the student directory, and the student and attempt pages' lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from ...extensions import db
from ...models import Attempt, AttemptStatus, Cohort, CohortMember, CohortModule, Role, User
from .. import scope
from ..errors import NotFound
from ..paging import Page, paginate
from .members import name_or_email_contains

STUDENTS_PAGE_SIZE = 50


@dataclass(frozen=True)
class CohortSummary:
    """A cohort on the reports home page."""

    cohort: Cohort
    students: int
    modules: int


def cohort_summaries(viewer: User) -> list[CohortSummary]:
    """The cohorts ``viewer`` may review, by name, with student and module counts (one query)."""
    students = (
        select(func.count()).select_from(CohortMember).where(CohortMember.cohort_id == Cohort.id).scalar_subquery()
    )
    modules = (
        select(func.count()).select_from(CohortModule).where(CohortModule.cohort_id == Cohort.id).scalar_subquery()
    )
    rows = db.session.execute(
        select(Cohort, students, modules).where(Cohort.id.in_(scope.visible_cohort_ids(viewer))).order_by(Cohort.name)
    )
    return [CohortSummary(cohort, n_students, n_modules) for cohort, n_students, n_modules in rows]


@dataclass(frozen=True)
class StudentEntry:
    """A student in the directory, with how much they have done."""

    id: int
    name: str
    email: str
    submitted: int
    last_activity: datetime | None


def student_directory(viewer: User, q: str = "", number: int = 1) -> Page:
    """Students ``viewer`` may review, by name, 50 a page: admins see all, instructors their cohorts'."""
    query = select(User.id, User.name, User.email).where(User.role == Role.STUDENT)
    if viewer.role != Role.ADMIN:
        taught = select(CohortMember.user_id).where(CohortMember.cohort_id.in_(scope.visible_cohort_ids(viewer)))
        query = query.where(User.id.in_(taught))
    if q:
        query = query.where(name_or_email_contains(q))
    page = paginate(query.order_by(User.name, User.id), number, STUDENTS_PAGE_SIZE)
    activity = {}
    if page.items:
        activity = {
            user_id: (submitted, last)
            for user_id, submitted, last in db.session.execute(
                select(
                    Attempt.user_id,
                    func.count(case((Attempt.status == AttemptStatus.SUBMITTED, 1))),
                    func.max(func.coalesce(Attempt.submitted_at, Attempt.started_at)),
                )
                .where(Attempt.user_id.in_([p.id for p in page.items]))
                .group_by(Attempt.user_id)
            )
        }
    return page.with_items([StudentEntry(p.id, p.name, p.email, *activity.get(p.id, (0, None))) for p in page.items])


def student_cohorts(viewer: User, student: User) -> list[Cohort]:
    """The student's cohorts that ``viewer`` may review, by name."""
    return list(
        db.session.scalars(
            select(Cohort)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == student.id, Cohort.id.in_(scope.visible_cohort_ids(viewer)))
            .order_by(Cohort.name)
        )
    )


def attempt_or_404(viewer: User, attempt_id: int) -> tuple[Attempt, User]:
    """An attempt and its student, if ``viewer`` may see the student's work.

    :raises NotFound: no such attempt, or one ``viewer`` may not see (the same answer: no hint it exists).
    """
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound()
    return attempt, scope.student_or_404(viewer, attempt.user_id)
