"""A student's dashboard: assigned modules with their status, mastery per topic, the review queue.

Everything comes from a fixed number of aggregate queries, however many modules are assigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, case, func, select

from quizzes.mastery import TopicMastery

from ..extensions import db
from ..models import Attempt, AttemptStatus, CohortMember, CohortModule, ModuleOverride, ModuleRow, User
from ..models.types import utcnow
from . import overrides, progress, review


class Status(StrEnum):
    """Where a student stands on an assigned module."""

    OVERDUE = "overdue"
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    NOT_PASSED = "not passed yet"
    PASSED = "passed"

    @property
    def badge(self) -> str:
        """The Bootstrap badge classes that colour the status (with readable contrast)."""
        return {
            Status.OVERDUE: "text-bg-danger",
            Status.NOT_STARTED: "text-bg-light border",
            Status.IN_PROGRESS: "text-bg-info",
            Status.NOT_PASSED: "text-bg-warning",
            Status.PASSED: "text-bg-success",
        }[self]


@dataclass(frozen=True)
class Assignment:
    """A module assigned to the student, with its due date and the student's standing.

    The due date is the student's own from an override when it sets one, else the earliest
    of their cohorts'; ``adjusted`` says what their override gives them (empty: none).
    """

    slug: str
    title: str
    due_at: datetime | None
    status: Status
    best_percent: float | None
    has_open_attempt: bool
    adjusted: tuple[str, ...] = ()
    own_due_date: bool = False

    @property
    def action(self) -> str:
        """What the button does: resume the open attempt, start, try again, or look again."""
        if self.has_open_attempt:
            return "Resume"
        if self.status == Status.PASSED:
            return "Open"
        return "Start" if self.best_percent is None else "Try again"


def status_for(
    due_at: datetime | None, has_open_attempt: bool, best_percent: float | None, passed: bool, now: datetime
) -> Status:
    """The status of one assigned module: passed wins, then overdue, then in progress, then tried or not."""
    if passed:
        return Status.PASSED
    if due_at is not None and due_at < now:
        return Status.OVERDUE
    if has_open_attempt:
        return Status.IN_PROGRESS
    return Status.NOT_STARTED if best_percent is None else Status.NOT_PASSED


def sort_key(assignment: Assignment) -> tuple:
    """Overdue first, then by due date (undated last), then by title."""
    return (
        assignment.status != Status.OVERDUE,
        assignment.due_at is None,
        assignment.due_at or datetime.min,
        assignment.title.casefold(),
    )


def assignments(user: User, now: datetime | None = None) -> list[Assignment]:
    """Every module any of the user's cohorts assigns, once each, in the order to work on them (one query,
    the user's overrides on them read alongside)."""
    now = now or utcnow()
    assigned = (
        select(CohortModule.module_id, func.min(CohortModule.due_at).label("due_at"))
        .join(CohortMember, CohortMember.cohort_id == CohortModule.cohort_id)
        .where(CohortMember.user_id == user.id)
        .group_by(CohortModule.module_id)
        .subquery()
    )
    submitted = Attempt.status == AttemptStatus.SUBMITTED
    standing = (
        select(
            Attempt.module_id,
            func.sum(case((Attempt.status == AttemptStatus.OPEN, 1), else_=0)).label("open"),
            func.max(case((and_(submitted, Attempt.max_score > 0), Attempt.score * 100.0 / Attempt.max_score))).label(
                "best"
            ),
            func.sum(case((submitted, 1), else_=0)).label("submitted"),
            func.max(case((and_(submitted, Attempt.passed), 1), else_=0)).label("passed"),
        )
        .where(Attempt.user_id == user.id)
        .group_by(Attempt.module_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            ModuleRow.slug,
            ModuleRow.title,
            assigned.c.due_at,
            standing.c.open,
            standing.c.best,
            standing.c.submitted,
            standing.c.passed,
            ModuleOverride,
        )
        .join(assigned, assigned.c.module_id == ModuleRow.id)
        .outerjoin(standing, standing.c.module_id == ModuleRow.id)
        .outerjoin(ModuleOverride, (ModuleOverride.module_id == ModuleRow.id) & (ModuleOverride.user_id == user.id))
    )
    out = []
    for slug, title, cohort_due_at, open_count, best, submitted_count, passed, override in rows:
        # A submitted attempt with no points to score still counts as tried (0%).
        best_percent = float(best or 0) if submitted_count else None
        has_open = bool(open_count)
        own_due = override is not None and override.due_at is not None
        due_at = override.due_at if own_due else cohort_due_at
        out.append(
            Assignment(
                slug=slug,
                title=title,
                due_at=due_at,
                status=status_for(due_at, has_open, best_percent, bool(passed), now),
                best_percent=best_percent,
                has_open_attempt=has_open,
                adjusted=tuple(overrides.describe(override)),
                own_due_date=own_due,
            )
        )
    return sorted(out, key=sort_key)


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows."""

    assignments: list[Assignment]
    mastery: list[TopicMastery]
    queue: review.QueueSummary
    now: datetime


def dashboard(user: User) -> Dashboard:
    """The user's dashboard (three aggregate queries)."""
    now = utcnow()
    return Dashboard(
        assignments=assignments(user, now),
        mastery=progress.topic_mastery(user),
        queue=review.queue_summary(user, now),
        now=now,
    )
