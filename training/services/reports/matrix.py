"""The cohort matrix: students × assigned modules, filtered, sorted and paged in SQL.

A cell tells a fail on safety (an attempt not passed because of a harmful answer or a missed
safety-critical question) apart from a low score, and a student's own due date (an override,
see ``ModuleOverride``) replaces the cohort's when deciding what is overdue. Each row carries
the student's over-confidence: how often their answers given with high certainty were wrong.

Sorting by a score, the passed count or the last activity, or filtering by status, joins
one per-student aggregate over the cohort's attempts (``_student_figures``); only the
chosen page's students then get their cells (``_cell_statistics``). ``matrix_rows`` builds
every row and filters and sorts with plain functions: the exports use it, and it defines
what the page must show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, distinct, exists, func, literal_column, select

from quizzes.stats import Overconfidence

from ...extensions import db
from ...models import (
    Answer,
    Attempt,
    AttemptStatus,
    Cohort,
    CohortMember,
    CohortModule,
    ModuleOverride,
    ModuleRow,
    User,
)
from .. import overrides
from ..paging import Page, count, paginate
from .confidence import wrong_answer
from .members import cohort_member_ids

MATRIX_PAGE_SIZE = 100

# Matrix filters, applied to one module's cell or to any assigned module's cell.
STATUSES = {
    "overdue": "Overdue",
    "not-passed": "Not passed yet",
    "not-started": "Not started",
    "passed": "Passed",
}
SORTS_ASCENDING_FIRST = ("name", "email")

# What a cell's result says, by ``Cell.result``.
RESULTS = {
    "passed": "Passed",
    "in-progress": "In progress",
    "not-passed-safety": "Not passed: safety",
    "not-passed": "Not passed",
    "not-started": "Not started",
}


@dataclass(frozen=True)
class AssignedModule:
    """A module the cohort must take, and when by."""

    id: int
    slug: str
    title: str
    due_at: datetime | None


@dataclass(frozen=True)
class Cell:
    """One student's standing on one assigned module."""

    best: float | None = None
    latest: float | None = None
    attempts: int = 0
    passed: bool = False
    in_progress: bool = False
    last_activity: datetime | None = None
    overdue: bool = False
    safety_fails: int = 0  # submitted attempts not passed because of a safety miss
    latest_failed_on_safety: bool = False
    due_at: datetime | None = None  # when the student must pass: their own date, else the cohort's
    own_due_date: bool = False  # ``due_at`` comes from an override for this student

    @property
    def started(self) -> bool:
        """True once the student has opened an attempt at the module."""
        return self.attempts > 0 or self.in_progress

    @property
    def result(self) -> str:
        """The cell's result (a key of ``RESULTS``): a fail on safety is told apart from a low score.

        "not-passed-safety": not passed, and some submitted attempt failed on safety.
        """
        if self.passed:
            return "passed"
        if self.in_progress:
            return "in-progress"
        if self.safety_fails:
            return "not-passed-safety"
        return "not-passed" if self.attempts else "not-started"

    def has(self, status: str) -> bool:
        """True when the cell is in the named filter status (see ``STATUSES``)."""
        return {
            "overdue": self.overdue,
            "not-passed": not self.passed,
            "not-started": not self.started,
            "passed": self.passed,
        }[status]


@dataclass(frozen=True)
class MatrixRow:
    """One student's row: a cell per assigned module, in the matrix's module order."""

    student_id: int
    name: str
    email: str
    cells: list[Cell]
    confidence: Overconfidence = Overconfidence()  # over the cohort's assigned modules

    @property
    def passed(self) -> int:
        """How many assigned modules the student has passed."""
        return sum(cell.passed for cell in self.cells)

    @property
    def last_activity(self) -> datetime | None:
        """The student's latest start or submission on any assigned module."""
        return max((c.last_activity for c in self.cells if c.last_activity), default=None)


@dataclass(frozen=True)
class MatrixQuery:
    """What the matrix is filtered and sorted by (the page's query string, already checked)."""

    q: str = ""
    status: str = ""
    module: str = ""
    sort: str = "name"
    direction: str = "asc"
    page: int = 1

    def next_direction(self, key: str) -> str:
        """The direction a click on column ``key`` sorts by: flips the current one, else its natural order."""
        if key == self.sort:
            return "desc" if self.direction == "asc" else "asc"
        return "asc" if key in SORTS_ASCENDING_FIRST else "desc"

    def aria_sort(self, key: str) -> str | None:
        """The ``aria-sort`` value of column ``key`` (None when it is not the sorted column)."""
        if key != self.sort:
            return None
        return "ascending" if self.direction == "asc" else "descending"


@dataclass(frozen=True)
class Matrix:
    """The cohort matrix: assigned modules, and the rows that pass the filters (paged or all)."""

    cohort: Cohort
    modules: list[AssignedModule]
    query: MatrixQuery
    rows: Page
    cohort_size: int


def assigned_modules(cohort: Cohort) -> list[AssignedModule]:
    """The cohort's assigned modules, by title (one query)."""
    rows = db.session.execute(
        select(ModuleRow.id, ModuleRow.slug, ModuleRow.title, CohortModule.due_at)
        .join(CohortModule, CohortModule.module_id == ModuleRow.id)
        .where(CohortModule.cohort_id == cohort.id)
        .order_by(ModuleRow.title, ModuleRow.id)
    )
    return [AssignedModule(*row) for row in rows]


def _member_rows(cohort: Cohort, q: str = "") -> list[Any]:
    """(id, name, email) of the cohort's students, by name (one query)."""
    members = cohort_member_ids(cohort, q)
    return db.session.execute(
        select(User.id, User.name, User.email).where(User.id.in_(members)).order_by(User.name, User.id)
    ).all()


def _percent():
    """An attempt's score as a percentage of its maximum (0 when the maximum is 0)."""
    return case((Attempt.max_score > 0, 100.0 * Attempt.score / Attempt.max_score), else_=0.0)


def _cell_statistics(member_ids: Select | list[int], module_ids: Select) -> dict[tuple[int, int], Any]:
    """Per (student, module): submitted count, best and latest %, passed, open, last activity, fails on
    safety and whether the latest submitted attempt was one. One query.

    A window numbers each student's attempts at a module newest first (per status), so
    "latest" is the submitted attempt numbered 1; conditional aggregates do the rest.
    """
    submitted_first = Attempt.submitted_at.desc()
    ranked = (
        select(
            Attempt.user_id,
            Attempt.module_id,
            Attempt.status,
            Attempt.passed,
            Attempt.safety_misses,
            _percent().label("percent"),
            func.coalesce(Attempt.submitted_at, Attempt.started_at).label("activity"),
            func.row_number()
            .over(
                partition_by=(Attempt.user_id, Attempt.module_id, Attempt.status),
                order_by=(submitted_first, Attempt.id.desc()),
            )
            .label("recency"),
        )
        .where(Attempt.user_id.in_(member_ids), Attempt.module_id.in_(module_ids))
        .subquery()
    )
    submitted = ranked.c.status == AttemptStatus.SUBMITTED
    failed_on_safety = and_(submitted, ranked.c.passed.is_(False), ranked.c.safety_misses > 0)
    # Inline constants, not bound parameters: PostgreSQL would type an untyped CASE of parameters as text.
    one, zero = literal_column("1"), literal_column("0")
    rows = db.session.execute(
        select(
            ranked.c.user_id,
            ranked.c.module_id,
            func.count(case((submitted, one))).label("attempts"),
            func.max(case((submitted, ranked.c.percent))).label("best"),
            func.max(case((and_(submitted, ranked.c.recency == 1), ranked.c.percent))).label("latest"),
            func.max(case((and_(submitted, ranked.c.passed.is_(True)), one), else_=zero)).label("passed"),
            func.max(case((ranked.c.status == AttemptStatus.OPEN, one), else_=zero)).label("in_progress"),
            func.max(ranked.c.activity).label("last_activity"),
            func.count(case((failed_on_safety, one))).label("safety_fails"),
            func.max(case((and_(failed_on_safety, ranked.c.recency == 1), one), else_=zero)).label("latest_safety"),
        ).group_by(ranked.c.user_id, ranked.c.module_id)
    )
    return {(row.user_id, row.module_id): row for row in rows}


def _confidence(member_ids: Select | list[int], module_ids: Select) -> dict[int, Overconfidence]:
    """Per student: answers given with high and medium certainty in submitted attempts at ``module_ids``,
    and how many of them were wrong (one query; students without such answers have no entry)."""
    one = literal_column("1")
    high, medium = Answer.certainty == 3, Answer.certainty == 2
    rows = db.session.execute(
        select(
            Attempt.user_id,
            func.count(case((high, one))),
            func.count(case((and_(high, wrong_answer()), one))),
            func.count(case((medium, one))),
            func.count(case((and_(medium, wrong_answer()), one))),
        )
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(
            Attempt.user_id.in_(member_ids),
            Attempt.module_id.in_(module_ids),
            Attempt.status == AttemptStatus.SUBMITTED,
            Answer.certainty.in_((2, 3)),
        )
        .group_by(Attempt.user_id)
    )
    return {user_id: Overconfidence(*counts) for user_id, *counts in rows}


def _cell(stats: Any | None, module: AssignedModule, now: datetime, own_due: datetime | None = None) -> Cell:
    """A matrix cell from its aggregate row (None: never started); overdue when due, past and not passed.

    ``own_due`` is the student's own due date (an override), which replaces the cohort's.
    """
    due_at = own_due or module.due_at
    passed = bool(stats and stats.passed)
    overdue = due_at is not None and due_at < now and not passed
    due = {"due_at": due_at, "own_due_date": own_due is not None}
    if stats is None:
        return Cell(overdue=overdue, **due)
    return Cell(
        best=stats.best,
        latest=stats.latest,
        attempts=int(stats.attempts),
        passed=passed,
        in_progress=bool(stats.in_progress),
        last_activity=stats.last_activity,
        overdue=overdue,
        safety_fails=int(stats.safety_fails),
        latest_failed_on_safety=bool(stats.latest_safety),
        **due,
    )


def _rows(
    people: list[Any], modules: list[AssignedModule], member_ids: Select | list[int], cohort: Cohort, now: datetime
) -> list[MatrixRow]:
    """The matrix rows of ``people`` (three queries: cells, own due dates, over-confidence; none without
    people or modules)."""
    if not people or not modules:
        return [MatrixRow(p.id, p.name, p.email, [_cell(None, m, now) for m in modules]) for p in people]
    assigned = select(CohortModule.module_id).where(CohortModule.cohort_id == cohort.id)
    stats = _cell_statistics(member_ids, assigned)
    due = overrides.due_dates(member_ids, assigned)
    confidence = _confidence(member_ids, assigned)
    return [
        MatrixRow(
            p.id,
            p.name,
            p.email,
            [_cell(stats.get((p.id, m.id)), m, now, due.get((p.id, m.id))) for m in modules],
            confidence.get(p.id, Overconfidence()),
        )
        for p in people
    ]


def _sort_key(key: str, modules: list[AssignedModule]) -> Callable[[MatrixRow], Any]:
    """The value a matrix row sorts by for column ``key`` (None sorts last either way)."""
    if key == "email":
        return lambda row: row.email.casefold()
    if key == "passed":
        return lambda row: row.passed
    if key == "last_activity":
        return lambda row: row.last_activity
    index = next((i for i, m in enumerate(modules) if m.slug == key), None)
    if index is not None:
        return lambda row: row.cells[index].best
    return lambda row: row.name.casefold()


def sort_rows(rows: list[MatrixRow], key: str, direction: str, modules: list[AssignedModule]) -> list[MatrixRow]:
    """Rows sorted by column ``key``; ties by name, rows without a value (no attempt) at the end."""
    value = _sort_key(key, modules)
    by_name = sorted(rows, key=lambda row: (row.name.casefold(), row.student_id))
    known = [row for row in by_name if value(row) is not None]
    unknown = [row for row in by_name if value(row) is None]
    return sorted(known, key=value, reverse=direction == "desc") + unknown


def filter_rows(rows: list[MatrixRow], status: str, module: str, modules: list[AssignedModule]) -> list[MatrixRow]:
    """Rows whose cell for ``module`` (or any module when blank) is in ``status``; all rows when no status."""
    if not status:
        return rows
    indexes = [i for i, m in enumerate(modules) if not module or m.slug == module]
    return [row for row in rows if any(row.cells[i].has(status) for i in indexes)]


def clean_query(args: MatrixQuery, modules: list[AssignedModule]) -> MatrixQuery:
    """The query with an unknown sort or direction replaced by the defaults (links are typed by hand too)."""
    sorts = {"name", "email", "passed", "last_activity"} | {m.slug for m in modules}
    sort = args.sort if args.sort in sorts else "name"
    direction = args.direction if args.direction in ("asc", "desc") else "asc"
    return MatrixQuery(args.q, args.status, args.module, sort, direction, max(1, args.page))


def matrix_rows(cohort: Cohort, modules: list[AssignedModule], query: MatrixQuery, now: datetime) -> list[MatrixRow]:
    """Every row of the matrix that passes the filters, sorted (four queries: students, then their cells,
    own due dates and over-confidence).

    For the exports; the page (``cohort_matrix``) must show the same rows, a page at a time.
    """
    people = _member_rows(cohort, query.q)
    rows = _rows(people, modules, cohort_member_ids(cohort, query.q), cohort, now)
    rows = filter_rows(rows, query.status, query.module, modules)
    return sort_rows(rows, query.sort, query.direction, modules)


def cohort_size(cohort: Cohort) -> int:
    """How many students the cohort has."""
    return db.session.scalar(select(func.count()).select_from(CohortMember).where(CohortMember.cohort_id == cohort.id))


def _status_scope(modules: list[AssignedModule], query: MatrixQuery) -> list[int]:
    """The ids of the modules whose cells the status filter looks at: the chosen one (all when blank)."""
    return [m.id for m in modules if not query.module or m.slug == query.module]


def _overdue_in(cohort: Cohort, scope: list[int], now: datetime) -> ColumnElement[bool]:
    """The SQL twin of ``Cell.overdue`` for the listed student (``User``) on any ``scope`` module: due,
    by their own date or else the cohort's, before ``now`` and not passed."""
    passed = (
        select(Attempt.id)
        .where(
            Attempt.user_id == User.id,
            Attempt.module_id == CohortModule.module_id,
            Attempt.status == AttemptStatus.SUBMITTED,
            Attempt.passed.is_(True),
        )
        # The student is two queries out: without naming it, this query would read users itself.
        .correlate(User, CohortModule)
        .exists()
    )
    own = and_(ModuleOverride.module_id == CohortModule.module_id, ModuleOverride.user_id == User.id)
    due = func.coalesce(ModuleOverride.due_at, CohortModule.due_at)
    return exists(
        select(CohortModule.module_id)
        .outerjoin(ModuleOverride, own)
        .where(CohortModule.cohort_id == cohort.id, CohortModule.module_id.in_(scope), due < now, ~passed)
    )


def _student_figures(member_ids: Select, modules: list[AssignedModule], sort: str, scope: list[int]) -> Subquery:
    """Per student with attempts at ``modules``: the passed count, last activity, best % on the
    module sorted by, and how many ``scope`` modules they passed and started (one grouped subquery).

    Students without an attempt have no row: the caller outer-joins and reads NULL as "none".
    """
    submitted = Attempt.status == AttemptStatus.SUBMITTED
    passed = and_(submitted, Attempt.passed.is_(True))
    in_scope = Attempt.module_id.in_(scope)
    sorted_module = next((m.id for m in modules if m.slug == sort), None)
    return (
        select(
            Attempt.user_id,
            func.count(distinct(case((passed, Attempt.module_id)))).label("passed"),
            func.max(func.coalesce(Attempt.submitted_at, Attempt.started_at)).label("last_activity"),
            func.max(case((and_(submitted, Attempt.module_id == sorted_module), _percent()))).label("best"),
            func.count(distinct(case((and_(passed, in_scope), Attempt.module_id)))).label("passed_in_scope"),
            # Every attempt, open or submitted, means the module was started (``Cell.started``).
            func.count(distinct(case((in_scope, Attempt.module_id)))).label("started_in_scope"),
        )
        .where(Attempt.user_id.in_(member_ids), Attempt.module_id.in_([m.id for m in modules]))
        .group_by(Attempt.user_id)
        .subquery()
    )


def _has_status(status: str, figures: Subquery, scope: list[int]):
    """The SQL twin of ``filter_rows``: some ``scope`` module's cell is in ``status`` (never, with no scope).

    "overdue" depends on each student's own due dates: ``_overdue_in``.
    """
    zero = literal_column("0")
    passed = func.coalesce(figures.c.passed_in_scope, zero)
    started = func.coalesce(figures.c.started_in_scope, zero)
    return {
        "not-passed": passed < len(scope),
        "not-started": started < len(scope),
        "passed": passed > zero,
    }[status]


def _matrix_order(query: MatrixQuery, figures: Subquery | None) -> tuple:
    """The SQL twin of ``sort_rows``: the sorted column (NULL, for no value, last either way), then
    name and id. ``lower()`` stands in for ``casefold()``."""
    if query.sort in SORTS_ASCENDING_FIRST:
        value = func.lower(User.email if query.sort == "email" else User.name)
    elif query.sort == "passed":
        value = func.coalesce(figures.c.passed, literal_column("0"))
    elif query.sort == "last_activity":
        value = figures.c.last_activity
    else:
        value = figures.c.best
    value = value.desc() if query.direction == "desc" else value.asc()
    return value.nulls_last(), func.lower(User.name), User.id


def _matrix_page(cohort: Cohort, modules: list[AssignedModule], query: MatrixQuery, now: datetime) -> Page:
    """A page of the matrix, filtered, sorted and paged in SQL; only the page's students' attempts are
    aggregated into cells (five queries: the count, the page, then its cells, own due dates and
    over-confidence).

    Name and email order without a status filter need no figures; the other sorts and the
    status filter outer-join the per-student figures of ``_student_figures``.
    """
    member_ids = cohort_member_ids(cohort, query.q)
    members = select(User.id, User.name, User.email).where(User.id.in_(member_ids))
    figures = None
    if query.status or query.sort not in SORTS_ASCENDING_FIRST:
        scope = _status_scope(modules, query)
        figures = _student_figures(member_ids, modules, query.sort, scope)
        members = members.outerjoin(figures, figures.c.user_id == User.id)
        if query.status == "overdue":
            members = members.where(_overdue_in(cohort, scope, now))
        elif query.status:
            members = members.where(_has_status(query.status, figures, scope))
    # The outer join keeps every student, so without a status filter the count needs no figures.
    counted = members if query.status else select(User.id).where(User.id.in_(member_ids))
    ordered = members.order_by(*_matrix_order(query, figures))
    page = paginate(ordered, query.page, MATRIX_PAGE_SIZE, total=count(counted))
    return page.with_items(_rows(page.items, modules, [p.id for p in page.items], cohort, now))


def cohort_matrix(cohort: Cohort, modules: list[AssignedModule], query: MatrixQuery, now: datetime) -> Matrix:
    """One page (100 rows) of the cohort matrix over ``modules`` (its assigned ones), filtered and sorted as asked."""
    query = clean_query(query, modules)
    page = _matrix_page(cohort, modules, query, now)
    query = MatrixQuery(query.q, query.status, query.module, query.sort, query.direction, page.number)
    return Matrix(cohort, modules, query, page, cohort_size(cohort))
