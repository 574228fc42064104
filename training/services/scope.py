"""Who sees whose work: admins see everyone, instructors the cohorts they teach, students themselves.

Every report and review page asks these functions, so the rule lives in one place.
The ``*_ids`` helpers return SQL selects to use in ``IN (...)`` clauses, so a scope check
never loads a list of ids into Python.
"""

from __future__ import annotations

from sqlalchemy import Select, exists, select

from ..extensions import db
from ..models import Cohort, CohortInstructor, CohortMember, Role, User
from .errors import NotFound


def visible_cohort_ids(viewer: User) -> Select:
    """A select of the ids of the cohorts ``viewer`` may review."""
    if viewer.role == Role.ADMIN:
        return select(Cohort.id)
    if viewer.role == Role.INSTRUCTOR:
        return select(CohortInstructor.cohort_id).where(CohortInstructor.user_id == viewer.id)
    return select(Cohort.id).where(False)


def visible_cohorts(viewer: User) -> list[Cohort]:
    """The cohorts ``viewer`` may review, by name."""
    return list(
        db.session.scalars(select(Cohort).where(Cohort.id.in_(visible_cohort_ids(viewer))).order_by(Cohort.name))
    )


def can_see_cohort(viewer: User, cohort_id: int) -> bool:
    """True when ``viewer`` may review the cohort: admins any, instructors those they teach."""
    if viewer.role == Role.ADMIN:
        return True
    if viewer.role == Role.INSTRUCTOR:
        return bool(
            db.session.scalar(
                select(exists().where(CohortInstructor.cohort_id == cohort_id, CohortInstructor.user_id == viewer.id))
            )
        )
    return False


def cohort_or_404(viewer: User, cohort_id: int) -> Cohort:
    """The cohort, if it exists and ``viewer`` may review it.

    :raises NotFound: otherwise, either way (no hint that it exists).
    """
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not can_see_cohort(viewer, cohort_id):
        raise NotFound()
    return cohort


def can_see_student(viewer: User, student_id: int) -> bool:
    """True when ``viewer`` may see this student's work: admins always, students only themselves,
    instructors when the student is in a cohort they teach."""
    if viewer.role == Role.ADMIN:
        return True
    if viewer.role == Role.INSTRUCTOR:
        taught = select(CohortInstructor.cohort_id).where(CohortInstructor.user_id == viewer.id)
        return bool(
            db.session.scalar(
                select(exists().where(CohortMember.user_id == student_id, CohortMember.cohort_id.in_(taught)))
            )
        )
    return viewer.id == student_id


def student_or_404(viewer: User, student_id: int) -> User:
    """The user, if ``viewer`` may see their work.

    :raises NotFound: otherwise, either way.
    """
    student = db.session.get(User, student_id)
    if student is None or not can_see_student(viewer, student_id):
        raise NotFound()
    return student
