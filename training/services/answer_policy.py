"""When a student may see the correct answers of a module (its ``show_answers`` setting).

Staff reviewing a student's work always see the answers; this decides only what the
student is shown: on their result page, in tutor-mode stage feedback and in review.

The module's newest published version decides, for every attempt at any version: an
instructor who tightens the policy (say to "never" while a class is still sitting the
module) hides the key from then on, including on older results and in review.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select

from quizzes.content import Settings, ShowAnswers

from ..extensions import db
from ..models import Attempt, AttemptStatus, CohortMember, CohortModule, ModuleOverride, ModuleVersion
from ..models.types import utcnow
from . import content


def current_settings(module_id: int) -> Settings:
    """The settings of the module's newest published version (the defaults if it has none)."""
    version = content.latest_version(module_id)
    return version.content.settings if version is not None else Settings()


def answers_visible(student_id: int, module_id: int, now: datetime | None = None) -> bool:
    """True when the student may see the module's correct answers now (after submitting)."""
    return reveal(student_id, module_id, now)[0]


def reveal(student_id: int, module_id: int, now: datetime | None = None) -> tuple[bool, ShowAnswers]:
    """Whether the student may see the answers now, and the policy that says so (for the wording)."""
    settings = current_settings(module_id)
    return _visible(student_id, module_id, settings, now), settings.show_answers


def _visible(student_id: int, module_id: int, settings: Settings, now: datetime | None) -> bool:
    policy = settings.show_answers
    if policy == ShowAnswers.AFTER_SUBMIT:
        return True
    if policy == ShowAnswers.NEVER:
        return False
    if policy == ShowAnswers.AFTER_LAST_ATTEMPT:
        # Extra attempts from the student's override count: the key must stay hidden while
        # they still have an attempt to use (one query, the override read alongside).
        extra = (
            select(ModuleOverride.extra_attempts)
            .where(ModuleOverride.user_id == student_id, ModuleOverride.module_id == module_id)
            .scalar_subquery()
        )
        submitted, passed, extra_attempts = db.session.execute(
            select(func.count(Attempt.id), func.max(Attempt.passed.cast(db.Integer)), extra).where(
                Attempt.user_id == student_id,
                Attempt.module_id == module_id,
                Attempt.status == AttemptStatus.SUBMITTED,
            )
        ).one()
        allowed = settings.attempts_allowed
        out_of_attempts = allowed is not None and submitted >= allowed + (extra_attempts or 0)
        return bool(passed) or out_of_attempts
    # AFTER_DUE_DATE: the latest due date of the module across the student's cohorts. With no
    # due date there is no moment the class has finished, so the answers stay held back (the
    # safe reading: a student outside the cohort must not pass the key to those still sitting it).
    due = due_date(student_id, module_id)
    return due is not None and (now or utcnow()) >= due


def due_date(student_id: int, module_id: int) -> datetime | None:
    """The student's due date for the module: their override's when it sets one, otherwise the
    latest any of their cohorts sets (None: no due date). One query."""
    own = (
        select(ModuleOverride.due_at)
        .where(ModuleOverride.user_id == student_id, ModuleOverride.module_id == module_id)
        .scalar_subquery()
    )
    cohorts = (
        select(func.max(CohortModule.due_at))
        .join(CohortMember, CohortMember.cohort_id == CohortModule.cohort_id)
        .where(CohortMember.user_id == student_id, CohortModule.module_id == module_id)
        .scalar_subquery()
    )
    return db.session.scalar(select(func.coalesce(own, cohorts)))


def hidden_modules(student_id: int, module_ids: Select, now: datetime | None = None) -> set[int]:
    """Those of the modules ``module_ids`` selects whose answers are held back from the student now.

    One query reads the newest version of every module; only modules whose policy depends on
    the student's attempts or due dates (rare) cost a query more each.
    """
    newest = (
        select(ModuleVersion.module_id, func.max(ModuleVersion.number).label("number"))
        .where(ModuleVersion.module_id.in_(module_ids))
        .group_by(ModuleVersion.module_id)
        .subquery()
    )
    versions = db.session.scalars(
        select(ModuleVersion).join(
            newest, (ModuleVersion.module_id == newest.c.module_id) & (ModuleVersion.number == newest.c.number)
        )
    ).all()
    ModuleVersion.parse_all(versions)
    return {v.module_id for v in versions if not _visible(student_id, v.module_id, v.content.settings, now)}
