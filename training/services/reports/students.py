"""The reports home page's cohorts, the student directory, and the student and attempt pages' lookups:
what a student got wrong in a way that would hurt a client (``safety_misses``) and how well their
certainty matched their answers (``certainty_by_module``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, literal_column, select

from quizzes.certainty import CalibrationRow, Certainty, certainty_of
from quizzes.stats import Overconfidence

from ...extensions import db
from ...models import (
    Answer,
    Attempt,
    AttemptStatus,
    Cohort,
    CohortMember,
    CohortModule,
    ModuleRow,
    ModuleVersion,
    Role,
    User,
)
from .. import scope
from ..errors import NotFound
from ..paging import Page, paginate
from .confidence import wrong_answer
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


@dataclass(frozen=True)
class SafetyMissEntry:
    """One answer that failed the safety gate: a harmful pick, or a safety-critical question not fully right."""

    attempt_id: int
    module: str  # the module's title
    submitted_at: datetime | None
    item_key: str
    prompt: str
    critical: bool  # the question is safety-critical
    harmful: list[str]  # the harmful answers picked, in words (empty: a safety-critical question missed)
    given: str  # the whole answer, in words


def safety_misses(student: User) -> list[SafetyMissEntry]:
    """Every safety miss in the student's submitted attempts: safety-critical questions first, then newest first.

    Two queries: the answers graded as safety misses, then the module versions they were given
    in, each once (a version's document is parsed once per process), for the questions' words.
    """
    rows = db.session.execute(
        select(
            Answer.item_key,
            Answer.response,
            Attempt.id,
            Attempt.version_id,
            Attempt.submitted_at,
            ModuleRow.title,
        )
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .join(ModuleRow, ModuleRow.id == Attempt.module_id)
        .where(
            Attempt.user_id == student.id,
            Attempt.status == AttemptStatus.SUBMITTED,
            Answer.safety_miss.is_(True),
        )
    ).all()
    if not rows:
        return []
    versions = db.session.scalars(select(ModuleVersion).where(ModuleVersion.id.in_({r.version_id for r in rows})))
    items = {version.id: version.content.item_map() for version in versions}
    entries = []
    for key, response, attempt_id, version_id, submitted_at, title in rows:
        item = items.get(version_id, {}).get(key)
        if item is None:  # a version always holds its attempts' items; show the key rather than fail
            entries.append(SafetyMissEntry(attempt_id, title, submitted_at, key, key, False, [], ""))
            continue
        entries.append(
            SafetyMissEntry(
                attempt_id=attempt_id,
                module=title,
                submitted_at=submitted_at,
                item_key=key,
                prompt=item.prompt,
                critical=item.safety_critical,
                harmful=item.harmful_picks(response),
                given=item.describe(response),
            )
        )
    newest_first = sorted(entries, key=lambda e: (e.submitted_at, e.attempt_id), reverse=True)
    return sorted(newest_first, key=lambda e: not e.critical)


@dataclass(frozen=True)
class ModuleCertainty:
    """How well a student's certainty matched their answers on one module with certainty marking."""

    module: str  # the module's title
    calibration: list[CalibrationRow]  # low, medium, high (as ``quizzes.certainty.calibration``)
    confidence: Overconfidence  # answers at high and medium certainty, and the wrong ones


def certainty_by_module(student: User) -> list[ModuleCertainty]:
    """Per module where the student gave certainties, by title: their calibration and over-confidence,
    over every submitted attempt (one grouped query; an answer without a certainty counts as low)."""
    one = literal_column("1")
    fraction = case((Answer.points > 0, func.coalesce(Answer.awarded, 0.0) / Answer.points), else_=0.0)
    wrong = wrong_answer()
    rows = db.session.execute(
        select(
            ModuleRow.id,
            ModuleRow.title,
            Answer.certainty,
            func.count(),
            func.sum(fraction),
            func.count(case((wrong, one))),
        )
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .join(ModuleRow, ModuleRow.id == Attempt.module_id)
        .where(Attempt.user_id == student.id, Attempt.status == AttemptStatus.SUBMITTED)
        .group_by(ModuleRow.id, ModuleRow.title, Answer.certainty)
        .order_by(ModuleRow.title, ModuleRow.id)
    ).all()
    rated = {module_id for module_id, _, certainty, *_ in rows if certainty is not None}
    by_module: dict[int, tuple[str, dict[Certainty, list[float]]]] = {}
    for module_id, title, certainty, answers, right, wrong_answers in rows:
        if module_id not in rated:
            continue
        levels = by_module.setdefault(module_id, (title, {c: [0, 0.0, 0] for c in Certainty}))[1]
        level = levels[certainty_of(certainty)]
        level[0] += answers
        level[1] += right or 0.0
        level[2] += wrong_answers
    out = []
    for title, levels in by_module.values():
        high, medium = levels[Certainty.HIGH], levels[Certainty.MEDIUM]
        out.append(
            ModuleCertainty(
                module=title,
                calibration=[CalibrationRow(c, int(levels[c][0]), round(levels[c][1], 6)) for c in Certainty],
                confidence=Overconfidence(int(high[0]), int(high[2]), int(medium[0]), int(medium[2])),
            )
        )
    return out
