"""Per-student overrides of a module's rules (Moodle's user overrides): fairness and accommodations.

An admin, or an instructor of one of the student's cohorts, gives one student extra
attempts, extra time or a different due date on one module, and says why. There is at
most one override per student and module: granting again replaces its values, and the
audit log keeps the old ones. Functions flush; the caller commits once.

What the override changes is worked out here (:func:`effective`, :func:`due_dates`) so
that taking a module, revealing answers, the dashboard and the reports read one rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, select

from quizzes.content import Settings

from ..extensions import db
from ..models import ModuleOverride, ModuleRow, Role, User
from ..models.types import utcnow
from . import audit
from .errors import FieldError, Forbidden
from .scope import can_see_student
from .times import at

# The most a person may grant in one override: as many attempts as a module may allow at
# all, and as long again as the longest time limit (both limits of ``quizzes.content.Settings``).
MAX_EXTRA_ATTEMPTS = 100
MAX_EXTRA_MINUTES = 600


class OverrideError(FieldError):
    """An override that cannot be granted as asked: a message for people and the form field it concerns."""


@dataclass(frozen=True)
class Rules:
    """A module's attempt rules for one student: the module's settings with their override applied.

    ``attempts_allowed`` and ``time_limit_minutes`` are None when the module sets no limit.
    """

    attempts_allowed: int | None
    time_limit_minutes: int | None
    override: ModuleOverride | None = None


def for_student(user_id: int, module_id: int) -> ModuleOverride | None:
    """The student's override on the module, if they have one."""
    return db.session.scalar(
        select(ModuleOverride).where(ModuleOverride.user_id == user_id, ModuleOverride.module_id == module_id)
    )


def of_student(user_id: int) -> list[tuple[ModuleOverride, ModuleRow]]:
    """Every override the student has, with its module, by module title (one query)."""
    rows = db.session.execute(
        select(ModuleOverride, ModuleRow)
        .join(ModuleRow, ModuleRow.id == ModuleOverride.module_id)
        .where(ModuleOverride.user_id == user_id)
        .order_by(ModuleRow.title, ModuleRow.id)
    )
    return [(override, module) for override, module in rows]


def due_dates(user_ids: Select | Iterable[int], module_ids: Select | Iterable[int]) -> dict[tuple[int, int], datetime]:
    """(student, module) -> the due date an override gives the student there, for those that set one (one query).

    For reports: a student listed here is due at this time instead of their cohort's due date.
    Either argument may be a query selecting the ids.
    """
    users = user_ids if isinstance(user_ids, Select) else list(user_ids)
    modules = module_ids if isinstance(module_ids, Select) else list(module_ids)
    rows = db.session.execute(
        select(ModuleOverride.user_id, ModuleOverride.module_id, ModuleOverride.due_at).where(
            ModuleOverride.user_id.in_(users),
            ModuleOverride.module_id.in_(modules),
            ModuleOverride.due_at.is_not(None),
        )
    )
    return {(user_id, module_id): due_at for user_id, module_id, due_at in rows}


def apply(settings: Settings, override: ModuleOverride | None) -> Rules:
    """The module's rules with ``override`` applied (pure: no query).

    Extra attempts add to a limited number of attempts (unlimited stays unlimited); extra
    minutes add to a time limit (an untimed module stays untimed).
    """
    allowed = settings.attempts_allowed
    minutes = settings.time_limit_minutes
    if override is not None:
        if allowed is not None:
            allowed += override.extra_attempts or 0
        if minutes:
            minutes += override.extra_minutes or 0
    return Rules(attempts_allowed=allowed, time_limit_minutes=minutes, override=override)


def effective(user_id: int, module_id: int, settings: Settings) -> Rules:
    """The attempt rules that apply to the student at the module (``settings`` with their override, if any)."""
    return apply(settings, for_student(user_id, module_id))


def describe(override: ModuleOverride | None) -> list[str]:
    """What the override gives the student, one line each, as the student and staff read it."""
    if override is None:
        return []
    lines = []
    if override.extra_attempts:
        count = override.extra_attempts
        lines.append(f"{count} extra attempt{'s' if count != 1 else ''}")
    if override.extra_minutes:
        count = override.extra_minutes
        lines.append(f"{count} extra minute{'s' if count != 1 else ''} on the time limit")
    if override.due_at is not None:
        lines.append(f"Your due date: {at(override.due_at)}")
    return lines


# --- Granting and removing ---------------------------------------------------------------


def may_override(actor: User, student_id: int) -> bool:
    """True when ``actor`` may set the student's overrides: an admin, or an instructor of one of their cohorts."""
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.INSTRUCTOR and actor.id != student_id and can_see_student(actor, student_id)


def _require_may(actor: User, student: User) -> None:
    if not may_override(actor, student.id):
        raise Forbidden("Only an admin or an instructor of one of this student's cohorts may change their overrides.")


def _snapshot(override: ModuleOverride, module: ModuleRow) -> dict[str, object]:
    """The override's values for the audit log."""
    return {
        "module": module.slug,
        "extra_attempts": override.extra_attempts,
        "extra_minutes": override.extra_minutes,
        "due_at": override.due_at.isoformat() if override.due_at is not None else None,
        "reason": override.reason,
    }


def _whole(value: object, field: str, maximum: int, what: str) -> int:
    """A count from 0 to ``maximum``; OverrideError naming the field otherwise."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise OverrideError(f"Give the {what} as a whole number.", field=field)
    if not 0 <= value <= maximum:
        raise OverrideError(f"Give from 0 to {maximum} {what}.", field=field)
    return value


def grant(
    actor: User,
    student: User,
    module: ModuleRow,
    extra_attempts: int | None,
    extra_minutes: int | None,
    due_at: datetime | None,
    reason: str | None,
    now: datetime | None = None,
) -> ModuleOverride:
    """Give the student an override on the module, or replace the one they have; audited.

    At least one of extra attempts, extra minutes or a due date must be given, with a reason.
    A due date must be timezone-aware and not already past (unless it is the one the override
    has now, so its other values can still be changed). Nothing is written when anything is refused.

    :raises Forbidden: ``actor`` may not change this student's overrides.
    :raises OverrideError: the values are not acceptable (``field`` names the one at fault).
    """
    _require_may(actor, student)
    attempts = _whole(extra_attempts, "extra_attempts", MAX_EXTRA_ATTEMPTS, "extra attempts")
    minutes = _whole(extra_minutes, "extra_minutes", MAX_EXTRA_MINUTES, "extra minutes")
    why = audit.reason(reason, "Say why this student gets the override", OverrideError)
    existing = for_student(student.id, module.id)
    if due_at is not None:
        if due_at.tzinfo is None:
            raise ValueError("due_at must be timezone-aware")
        due_at = due_at.astimezone(UTC)
        unchanged = existing is not None and existing.due_at == due_at
        if not unchanged and due_at <= (now or utcnow()):
            raise OverrideError("That time has passed. Choose a later one, or leave it empty.", field="due_at")
    if not attempts and not minutes and due_at is None:
        raise OverrideError("Give extra attempts, extra minutes or a due date: this override would change nothing.")

    before = _snapshot(existing, module) if existing is not None else None
    override = existing or ModuleOverride(user_id=student.id, module_id=module.id)
    override.extra_attempts = attempts
    override.extra_minutes = minutes
    override.due_at = due_at
    override.reason = why
    override.granted_by_id = actor.id
    override.granted_at = now or utcnow()
    if existing is None:
        db.session.add(override)
    after = _snapshot(override, module)
    audit.record(
        actor,
        "override.change" if existing is not None else "override.grant",
        target_type="user",
        target_id=student.id,
        summary=f"{'Changed' if existing is not None else 'Granted'} the override of {student.email} on {module.slug}",
        before=before,
        after=after,
    )
    db.session.flush()
    return override


def remove(actor: User, override: ModuleOverride) -> None:
    """Delete an override (the module's own rules apply again to the student); audited.

    :raises Forbidden: ``actor`` may not change this student's overrides.
    """
    student = db.session.get(User, override.user_id)
    module = db.session.get(ModuleRow, override.module_id)
    _require_may(actor, student)
    before = _snapshot(override, module)
    db.session.delete(override)
    audit.record(
        actor,
        "override.remove",
        target_type="user",
        target_id=student.id,
        summary=f"Removed the override of {student.email} on {module.slug}",
        before=before,
    )
    db.session.flush()
