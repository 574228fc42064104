"""Cohorts: create, rename and delete them; who studies and teaches in each; which modules are due when.

Every change is audited in the same transaction. Functions flush; the caller commits once.
Enrolling students (one, or a CSV file of them) lives in :mod:`training.services.enrolment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Cohort, CohortInstructor, CohortMember, CohortModule, ModuleRow, ModuleVersion, Role, User
from ..models.types import utcnow
from . import audit
from .errors import FieldError

# A due date is the whole of that day in UTC: work handed in before midnight is on time.
END_OF_DAY = time(23, 59, 59, tzinfo=UTC)


class CohortError(FieldError):
    """A cohort change that cannot be made, with a message for people and the form field it concerns (409)."""

    status_code = 409


@dataclass(frozen=True)
class CohortSummary:
    """A cohort with how many students, instructors and modules it has."""

    cohort: Cohort
    students: int
    instructors: int
    modules: int


@dataclass(frozen=True)
class AssignedModule:
    """A module assigned to a cohort, with its due date (None when it has none)."""

    module: ModuleRow
    due_at: datetime | None


def _counts(model, label: str):
    """A subquery of link rows per cohort, for an outer join."""
    return select(model.cohort_id, func.count().label(label)).group_by(model.cohort_id).subquery()


def cohort_summaries() -> list[CohortSummary]:
    """Every cohort by name with its student, instructor and module counts, in one query."""
    members = _counts(CohortMember, "n")
    teachers = _counts(CohortInstructor, "n")
    modules = _counts(CohortModule, "n")
    rows = db.session.execute(
        select(
            Cohort,
            func.coalesce(members.c.n, 0),
            func.coalesce(teachers.c.n, 0),
            func.coalesce(modules.c.n, 0),
        )
        .outerjoin(members, members.c.cohort_id == Cohort.id)
        .outerjoin(teachers, teachers.c.cohort_id == Cohort.id)
        .outerjoin(modules, modules.c.cohort_id == Cohort.id)
        .order_by(Cohort.name)
    )
    return [CohortSummary(cohort, students, instructors, count) for cohort, students, instructors, count in rows]


def cohort_by_name(name: str) -> Cohort | None:
    """The cohort with exactly this name, or None."""
    return db.session.scalar(select(Cohort).where(Cohort.name == name))


def _clean_name(name: str) -> str:
    """A cohort name without surrounding spaces; refused when blank."""
    name = (name or "").strip()
    if not name:
        raise CohortError("Give the cohort a name.", field="name")
    return name


def _check_name_free(name: str, cohort_id: int | None = None) -> None:
    """Refuse a name another cohort already has (ignoring case, so lists never show two look-alikes)."""
    clash = select(Cohort.id).where(func.lower(Cohort.name) == name.lower())
    if cohort_id is not None:
        clash = clash.where(Cohort.id != cohort_id)
    if db.session.scalar(select(exists(clash))):
        raise CohortError(f"There is already a cohort called “{name}”. Choose another name.", field="name")


def _flush_name_change() -> None:
    """Flush, turning a clash with a cohort saved a moment ago by someone else into a field error."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise CohortError(
            "A cohort with this name was saved a moment ago. Choose another name.", field="name"
        ) from None


def create_cohort(actor: User | None, name: str, description: str = "") -> Cohort:
    """Add a cohort with a unique name. Raises CohortError on a blank or taken name."""
    name = _clean_name(name)
    _check_name_free(name)
    cohort = Cohort(name=name, description=(description or "").strip())
    db.session.add(cohort)
    _flush_name_change()
    audit.record(
        actor,
        "cohort.create",
        target_type="cohort",
        target_id=cohort.id,
        summary=f"Created cohort {cohort.name}",
        after={"name": cohort.name, "description": cohort.description},
    )
    return cohort


def update_cohort(actor: User | None, cohort: Cohort, name: str, description: str = "") -> bool:
    """Rename a cohort or change its description; False when nothing changed (and nothing is logged)."""
    name = _clean_name(name)
    description = (description or "").strip()
    before = {"name": cohort.name, "description": cohort.description}
    after = {"name": name, "description": description}
    if before == after:
        return False
    if name != cohort.name:
        _check_name_free(name, cohort.id)
    cohort.name, cohort.description = name, description
    _flush_name_change()
    audit.record(
        actor,
        "cohort.update",
        target_type="cohort",
        target_id=cohort.id,
        summary=f"Edited cohort {cohort.name}",
        before=before,
        after=after,
    )
    return True


def member_count(cohort: Cohort) -> int:
    """How many students the cohort has."""
    return db.session.scalar(select(func.count()).select_from(CohortMember).where(CohortMember.cohort_id == cohort.id))


def delete_cohort(actor: User | None, cohort: Cohort) -> None:
    """Delete a cohort and its links; its students, instructors, modules and attempts all stay."""
    emails = (
        select(User.email).join(link, link.user_id == User.id).where(link.cohort_id == cohort.id).order_by(User.email)
        for link in (CohortMember, CohortInstructor)
    )
    students_before, instructors_before = (list(db.session.scalars(query)) for query in emails)
    slugs = select(ModuleRow.slug).join(CohortModule, CohortModule.module_id == ModuleRow.id)
    before = {
        "name": cohort.name,
        "members": len(students_before),
        "students": students_before,
        "instructors": instructors_before,
        "modules": list(db.session.scalars(slugs.where(CohortModule.cohort_id == cohort.id).order_by(ModuleRow.slug))),
    }
    # Explicit deletes rather than relying on ON DELETE CASCADE, so the result is the same
    # whether or not the database enforces foreign keys.
    for link in (CohortMember, CohortInstructor, CohortModule):
        db.session.execute(delete(link).where(link.cohort_id == cohort.id))
    audit.record(
        actor,
        "cohort.delete",
        target_type="cohort",
        target_id=cohort.id,
        summary=f"Deleted cohort {cohort.name} ({before['members']} students; their accounts and attempts are kept)",
        before=before,
    )
    db.session.delete(cohort)
    db.session.flush()


def students(cohort: Cohort) -> list[User]:
    """The cohort's students, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort.id)
            .order_by(User.name, User.email)
        )
    )


def _unlink(actor: User | None, cohort: Cohort, link_model, user_id: int, action: str, missing: str, summary: str):
    """Delete one person's link to the cohort and audit it; CohortError(``missing``) when there is none."""
    person = db.session.get(User, user_id)
    link = db.session.get(link_model, (cohort.id, user_id))
    if person is None or link is None:
        raise CohortError(missing)
    db.session.delete(link)
    audit.record(
        actor,
        action,
        target_type="cohort",
        target_id=cohort.id,
        summary=summary.format(email=person.email, cohort=cohort.name),
        before={"email": person.email},
    )
    db.session.flush()
    return person


def remove_student(actor: User | None, cohort: Cohort, user_id: int) -> User:
    """Take a student out of the cohort (their account and attempts stay). Raises CohortError if not in it."""
    missing = "That student is not in this cohort (perhaps already removed); nothing was changed."
    return _unlink(actor, cohort, CohortMember, user_id, "cohort.unenrol", missing, "Removed {email} from {cohort}")


def instructors(cohort: Cohort) -> list[User]:
    """The instructors who teach the cohort, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(CohortInstructor, CohortInstructor.user_id == User.id)
            .where(CohortInstructor.cohort_id == cohort.id)
            .order_by(User.name, User.email)
        )
    )


def instructor_choices() -> list[User]:
    """Every active instructor, by name: who may be added to a cohort."""
    return list(
        db.session.scalars(
            select(User).where(User.role == Role.INSTRUCTOR, User.active.is_(True)).order_by(User.name, User.email)
        )
    )


def add_instructor(actor: User | None, cohort: Cohort, user_id: int) -> User:
    """Let an instructor teach (and so see the work of) the cohort. Raises CohortError otherwise."""
    teacher = db.session.get(User, user_id)
    if teacher is None or teacher.role != Role.INSTRUCTOR or not teacher.active:
        raise CohortError("Choose an active instructor.", field="instructor")
    if db.session.get(CohortInstructor, (cohort.id, teacher.id)) is not None:
        raise CohortError(f"{teacher.name} already teaches this cohort.", field="instructor")
    db.session.add(CohortInstructor(cohort_id=cohort.id, user_id=teacher.id))
    audit.record(
        actor,
        "cohort.instructor_add",
        target_type="cohort",
        target_id=cohort.id,
        summary=f"{teacher.email} now teaches {cohort.name}",
        after={"email": teacher.email},
    )
    db.session.flush()
    return teacher


def remove_instructor(actor: User | None, cohort: Cohort, user_id: int) -> User:
    """Stop an instructor teaching the cohort. Raises CohortError if they do not teach it."""
    missing = "That instructor does not teach this cohort; nothing was changed."
    summary = "{email} no longer teaches {cohort}"
    return _unlink(actor, cohort, CohortInstructor, user_id, "cohort.instructor_remove", missing, summary)


def assigned_modules(cohort: Cohort) -> list[AssignedModule]:
    """The modules assigned to the cohort, soonest due first (those without a due date last)."""
    rows = db.session.execute(
        select(ModuleRow, CohortModule.due_at)
        .join(CohortModule, CohortModule.module_id == ModuleRow.id)
        .where(CohortModule.cohort_id == cohort.id)
        .order_by(CohortModule.due_at.is_(None), CohortModule.due_at, ModuleRow.title)
    )
    return [AssignedModule(module, due_at) for module, due_at in rows]


def published_modules() -> list[ModuleRow]:
    """Every module with at least one published version, by title: what a cohort may be assigned."""
    published = exists().where(ModuleVersion.module_id == ModuleRow.id)
    return list(db.session.scalars(select(ModuleRow).where(published).order_by(ModuleRow.title)))


def due_at_from_date(day: date | None, now: datetime | None = None) -> datetime | None:
    """The end (23:59:59 UTC) of the chosen day; CohortError when that is already past."""
    if day is None:
        return None
    due_at = datetime.combine(day, END_OF_DAY)
    if due_at < (now or utcnow()):
        raise CohortError("That date has passed. Choose today or a later date, or leave it empty.", field="due")
    return due_at


def _iso(value: datetime | None) -> str | None:
    """A due date for the audit log."""
    return value.isoformat() if value is not None else None


def assign_module(actor: User | None, cohort: Cohort, module_id: int, day: date | None) -> ModuleRow:
    """Assign a published module to the cohort, due at the end of ``day`` (or never). Raises CohortError."""
    due_at = due_at_from_date(day)
    module = db.session.get(ModuleRow, module_id)
    if module is None or not db.session.scalar(select(exists().where(ModuleVersion.module_id == module_id))):
        raise CohortError("Choose a published module.", field="module")
    if db.session.get(CohortModule, (cohort.id, module.id)) is not None:
        raise CohortError(f"“{module.title}” is already assigned to this cohort.", field="module")
    db.session.add(CohortModule(cohort_id=cohort.id, module_id=module.id, due_at=due_at))
    audit.record(
        actor,
        "cohort.module_assign",
        target_type="cohort",
        target_id=cohort.id,
        summary=f"Assigned {module.slug} to {cohort.name}",
        after={"module": module.slug, "due_at": _iso(due_at)},
    )
    db.session.flush()
    return module


def _assignment(cohort: Cohort, module_id: int) -> tuple[CohortModule, ModuleRow]:
    """The cohort's assignment of a module, or CohortError when it has none."""
    link = db.session.get(CohortModule, (cohort.id, module_id))
    module = db.session.get(ModuleRow, module_id) if link is not None else None
    if link is None or module is None:
        raise CohortError("That module is not assigned to this cohort; nothing was changed.")
    return link, module


def change_due_date(actor: User | None, cohort: Cohort, module_id: int, day: date | None) -> bool:
    """Move (or clear) an assigned module's due date; False when it was already that date."""
    link, module = _assignment(cohort, module_id)
    due_at = due_at_from_date(day)
    if link.due_at == due_at:
        return False
    before = _iso(link.due_at)
    link.due_at = due_at
    audit.record(
        actor,
        "cohort.module_update",
        target_type="cohort",
        target_id=cohort.id,
        summary=f"Changed the due date of {module.slug} in {cohort.name}",
        before={"module": module.slug, "due_at": before},
        after={"module": module.slug, "due_at": _iso(due_at)},
    )
    db.session.flush()
    return True


def unassign_module(actor: User | None, cohort: Cohort, module_id: int) -> ModuleRow:
    """Take a module off the cohort (attempts at it are kept)."""
    link, module = _assignment(cohort, module_id)
    before = {"module": module.slug, "due_at": _iso(link.due_at)}
    db.session.delete(link)
    audit.record(
        actor,
        "cohort.module_unassign",
        target_type="cohort",
        target_id=cohort.id,
        summary=f"Unassigned {module.slug} from {cohort.name}",
        before=before,
    )
    db.session.flush()
    return module
