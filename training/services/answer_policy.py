"""When a student may see the correct answers of a module (its ``show_answers`` setting).

Staff reviewing a student's work always see the answers; this decides only what the
student is shown: on their result page, in tutor-mode stage feedback and in review practice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from quizzes.content import Settings, ShowAnswers

from ..extensions import db
from ..models import Attempt, AttemptStatus, CohortMember, CohortModule
from ..models.types import utcnow


def answers_visible(student_id: int, module_id: int, settings: Settings, now: datetime | None = None) -> bool:
    """True when the student may see the module's correct answers now (after submitting)."""
    policy = settings.show_answers
    if policy == ShowAnswers.AFTER_SUBMIT:
        return True
    if policy == ShowAnswers.NEVER:
        return False
    if policy == ShowAnswers.AFTER_LAST_ATTEMPT:
        submitted, passed = db.session.execute(
            select(func.count(Attempt.id), func.max(Attempt.passed.cast(db.Integer))).where(
                Attempt.user_id == student_id,
                Attempt.module_id == module_id,
                Attempt.status == AttemptStatus.SUBMITTED,
            )
        ).one()
        out_of_attempts = settings.attempts_allowed is not None and submitted >= settings.attempts_allowed
        return bool(passed) or out_of_attempts
    # AFTER_DUE_DATE: the latest due date of the module across the student's cohorts. With no
    # due date there is no moment the class has finished, so the answers stay held back (the
    # safe reading: a student outside the cohort must not pass the key to those still sitting it).
    due = due_date(student_id, module_id)
    return due is not None and (now or utcnow()) >= due


def due_date(student_id: int, module_id: int) -> datetime | None:
    """The latest due date any of the student's cohorts sets for the module (None: no due date)."""
    return db.session.scalar(
        select(func.max(CohortModule.due_at))
        .join(CohortMember, CohortMember.cohort_id == CohortModule.cohort_id)
        .where(CohortMember.user_id == student_id, CohortModule.module_id == module_id)
    )
