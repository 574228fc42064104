"""Module editors: who may change a module. Admins may change every module; instructors, those they edit.

Other instructors still preview a module and read its history and item analysis; they
cannot change its draft, settings or photos, import into it or publish it. The rule is
:func:`can_edit_module`, applied to every view that changes a module by
``training.access.edits_module``. Changes are audited; functions flush, the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import ModuleEditor, ModuleRow, Role, User
from . import audit
from .errors import ServiceError

EDITOR_ROLES = (Role.INSTRUCTOR, Role.ADMIN)


class EditorError(ServiceError, ValueError):
    """A change to a module's editors that was refused, with the message to show (409)."""

    status_code = 409


@dataclass(frozen=True)
class EditorEntry:
    """One editor of a module as the editors page lists them."""

    user: User
    added_by: User | None
    added_at: datetime


def is_editor(user: User, module: ModuleRow) -> bool:
    """True when ``user`` is listed as an editor of ``module`` (whatever their role)."""
    return db.session.get(ModuleEditor, (module.id, user.id)) is not None


def can_edit_module(user: User | None, module: ModuleRow) -> bool:
    """Whether ``user`` may change ``module``: an admin always, an instructor when they are its editor."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.INSTRUCTOR and is_editor(user, module)


def can_edit_slug(user: User | None, slug: str | None) -> bool:
    """:func:`can_edit_module` for a slug; a slug that names no module is left to the view (a 404, or a new module)."""
    if user is not None and getattr(user, "role", None) == Role.ADMIN:
        return True  # no need to look the module up
    module = db.session.scalar(select(ModuleRow).where(ModuleRow.slug == slug)) if slug else None
    return module is None or can_edit_module(user, module)


def editable_module_ids(user: User) -> set[int] | None:
    """The ids of the modules ``user`` may change, or None for "all of them" (an admin); one query."""
    if user.role == Role.ADMIN:
        return None
    if user.role != Role.INSTRUCTOR:
        return set()
    return set(db.session.scalars(select(ModuleEditor.module_id).where(ModuleEditor.user_id == user.id)))


def editors(module: ModuleRow) -> list[EditorEntry]:
    """The module's editors by name, with who added them and when (one query)."""
    adder = aliased(User)
    rows = db.session.execute(
        select(User, adder, ModuleEditor.added_at)
        .join(ModuleEditor, ModuleEditor.user_id == User.id)
        .outerjoin(adder, adder.id == ModuleEditor.added_by_id)
        .where(ModuleEditor.module_id == module.id)
        .order_by(User.name, User.email)
    )
    return [EditorEntry(user, added_by, added_at) for user, added_by, added_at in rows]


def editor_choices(module: ModuleRow) -> list[User]:
    """Active instructors and admins who do not edit the module yet, by name: who may be added."""
    taken = select(ModuleEditor.user_id).where(ModuleEditor.module_id == module.id)
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_(EDITOR_ROLES), User.active.is_(True), User.id.not_in(taken))
            .order_by(User.name, User.email)
        )
    )


def make_creator_editor(module: ModuleRow, user: User | None) -> None:
    """Make the person who created ``module`` its first editor (nobody for the command line or the system)."""
    if user is None:
        return
    db.session.add(ModuleEditor(module_id=module.id, user_id=user.id, added_by_id=user.id))
    db.session.flush()


def add_editor(actor: User, module: ModuleRow, user_id: int) -> User:
    """Let an active instructor or admin change the module. Raises EditorError otherwise."""
    person = db.session.get(User, user_id)
    if person is None or person.role not in EDITOR_ROLES or not person.active:
        raise EditorError("Choose an active instructor or admin.")
    if is_editor(person, module):
        raise EditorError(f"{person.name} already edits this module.")
    db.session.add(ModuleEditor(module_id=module.id, user_id=person.id, added_by_id=actor.id))
    summary = f"{person.email} now edits {module.title}"
    _audit(actor, module, "module.editor_add", summary, after={"email": person.email})
    return person


def remove_editor(actor: User, module: ModuleRow, user_id: int) -> User:
    """Stop someone changing the module (an editor may remove themself). Raises EditorError if they do not edit it."""
    link = db.session.get(ModuleEditor, (module.id, user_id))
    person = db.session.get(User, user_id)
    if link is None or person is None:
        raise EditorError("That person does not edit this module (perhaps already removed); nothing was changed.")
    db.session.delete(link)
    summary = f"{person.email} no longer edits {module.title}"
    _audit(actor, module, "module.editor_remove", summary, before={"email": person.email})
    return person


def _audit(actor: User, module: ModuleRow, action: str, summary: str, **values) -> None:
    """Record a change to the module's editors, and flush it with the change."""
    audit.record(actor, action, target_type="module", target_id=module.slug, summary=summary, **values)
    db.session.flush()
