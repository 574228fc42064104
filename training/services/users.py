"""User management by admins: find people, add them, change roles, deactivate, reset passwords, end sessions.

Also the audit log as admins browse and export it. Every change here is recorded with
:func:`audit.record` in the same transaction; the functions flush nothing themselves
beyond what the ORM needs, and the caller commits once. A refused change raises
:class:`AccountError` before anything is modified.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Select, delete, distinct, func, select, union_all

from ..extensions import db
from ..models import Cohort, CohortInstructor, CohortMember, Role, User
from . import accounts, audit
from .accounts import AccountError
from .errors import NotFound
from .paging import Page, paginate

PER_PAGE = 50
ACTIVE = "active"
DEACTIVATED = "deactivated"


# --- Finding people -------------------------------------------------------------------


@dataclass(frozen=True)
class UserFilter:
    """What the user list is narrowed to; empty strings mean "any"."""

    text: str = ""
    role: str = ""
    status: str = ""  # ACTIVE, DEACTIVATED or "" for both


@dataclass(frozen=True)
class UserRow:
    """One line of the user list."""

    user: User
    cohorts: int


def _users_select(filters: UserFilter) -> Select:
    """The users matching ``filters``, by name then email."""
    query = select(User).order_by(func.lower(User.name), User.email)
    text = filters.text.strip().lower()
    if text:
        query = query.where(
            func.lower(User.name).contains(text, autoescape=True) | User.email.contains(text, autoescape=True)
        )
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.status == ACTIVE:
        query = query.where(User.active.is_(True))
    elif filters.status == DEACTIVATED:
        query = query.where(User.active.is_(False))
    return query


def cohort_counts(user_ids: list[int]) -> dict[int, int]:
    """How many cohorts each user is in, as a student or an instructor (one grouped query)."""
    if not user_ids:
        return {}
    links = union_all(
        select(CohortMember.user_id, CohortMember.cohort_id).where(CohortMember.user_id.in_(user_ids)),
        select(CohortInstructor.user_id, CohortInstructor.cohort_id).where(CohortInstructor.user_id.in_(user_ids)),
    ).subquery()
    rows = db.session.execute(
        select(links.c.user_id, func.count(distinct(links.c.cohort_id))).group_by(links.c.user_id)
    )
    return {user_id: count for user_id, count in rows}


def users_page(filters: UserFilter, number: int) -> Page:
    """Page ``number`` of the matching users, as :class:`UserRow` with their cohort counts: three queries
    whatever the page size."""
    page = paginate(_users_select(filters), number, PER_PAGE, scalars=True)
    counts = cohort_counts([user.id for user in page.items])
    return page.with_items([UserRow(user, counts.get(user.id, 0)) for user in page.items])


def user_or_404(user_id: int) -> User:
    """The user with this id (admins may manage everyone).

    :raises NotFound: there is none.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def cohorts_of(user: User) -> tuple[list[Cohort], list[Cohort]]:
    """The cohorts ``user`` is enrolled in, and those they teach, by name."""
    taken = db.session.scalars(
        select(Cohort).join(CohortMember).where(CohortMember.user_id == user.id).order_by(Cohort.name)
    )
    taught = db.session.scalars(
        select(Cohort).join(CohortInstructor).where(CohortInstructor.user_id == user.id).order_by(Cohort.name)
    )
    return list(taken), list(taught)


# --- Changing people ------------------------------------------------------------------


def temporary_password() -> str:
    """A random password for an admin to hand over; its owner must replace it at first sign-in."""
    return secrets.token_urlsafe(12)


def add_user(actor: User, email: str, name: str, role: str) -> tuple[User, str]:
    """Create an account with a temporary password; returns the user and the password (to show once)."""
    password = temporary_password()
    user = accounts.create_user(email, name, role, password)
    user.must_change_password = True
    audit.record(
        actor,
        "user.create",
        target_type="user",
        target_id=user.id,
        summary=f"Added {user.email} as {user.role}",
        after={"email": user.email, "name": user.name, "role": user.role, "must_change_password": True},
    )
    return user, password


def _lock_active_admin_ids() -> list[int]:
    """Lock the active admins' rows (always in id order, so two admins acting at once cannot deadlock)."""
    query = select(User.id).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    return list(db.session.scalars(query.with_for_update()))


def _lock(user: User) -> None:
    """Re-read ``user`` under a row lock, so the checks below see what is committed now."""
    db.session.refresh(user, with_for_update=True)


def _keep_an_admin(actor: User, user: User, admin_ids: list[int], doing: str) -> None:
    """Refuse a change that would leave no active admin, or that an admin no longer allowed tries."""
    if user.role == Role.ADMIN and user.active and admin_ids == [user.id]:
        raise AccountError(
            f"{user.email} is the last active admin and cannot be {doing}; make someone else admin first."
        )
    if actor.id not in admin_ids:
        raise AccountError("Your account is no longer an active admin; nothing was changed.")


# Which cohort link belongs to which role, and what the audit log calls it.
ROLE_LINKS = ((CohortMember, "student_in", Role.STUDENT), (CohortInstructor, "taught", Role.INSTRUCTOR))


def change_role(actor: User, user: User, role: str) -> str:
    """Give ``user`` another role; returns the previous one."""
    if role not in set(Role):
        raise AccountError(f"Unknown role '{role}'.", field="role")
    if user.id == actor.id:
        raise AccountError("You cannot change your own role; another admin can.", field="role")
    admin_ids = _lock_active_admin_ids()
    _lock(user)
    if user.role == role:
        raise AccountError(f"{user.email} is already {role}.", field="role")
    _keep_an_admin(actor, user, admin_ids, "demoted")
    before = user.role
    user.role = role
    # Cohort links belong to a role: a student is a member, an instructor teaches. Links the
    # new role does not have go, so no one is listed (or sees work) as what they no longer are.
    dropped: dict[str, list[str]] = {}
    for link, kind, keeps in ROLE_LINKS:
        if role == keeps:
            continue
        query = select(Cohort.name).join(link, link.cohort_id == Cohort.id).where(link.user_id == user.id)
        if names := sorted(db.session.scalars(query)):
            dropped[kind] = names
            db.session.execute(delete(link).where(link.user_id == user.id))
    audit.record(
        actor,
        "user.role",
        target_type="user",
        target_id=user.id,
        summary=f"Role of {user.email}: {before} → {role}",
        before={"role": before, **dropped},
        after={"role": role},
    )
    return before


def deactivate(actor: User, user: User) -> None:
    """Stop ``user`` signing in and end the sessions they have open; their work is kept."""
    if user.id == actor.id:
        raise AccountError("You cannot deactivate your own account; another admin can.")
    admin_ids = _lock_active_admin_ids()
    _lock(user)
    if not user.active:
        raise AccountError(f"{user.email} is already deactivated.")
    _keep_an_admin(actor, user, admin_ids, "deactivated")
    before = {"active": True, "session_epoch": user.session_epoch}
    user.active = False
    accounts.end_sessions(user)
    audit.record(
        actor,
        "user.deactivate",
        target_type="user",
        target_id=user.id,
        summary=f"Deactivated {user.email}; their sessions ended",
        before=before,
        after={"active": False, "session_epoch": user.session_epoch},
    )


def reactivate(actor: User, user: User) -> None:
    """Let a deactivated user sign in again."""
    _lock(user)
    if user.active:
        raise AccountError(f"{user.email} is already active.")
    user.active = True
    audit.record(
        actor,
        "user.reactivate",
        target_type="user",
        target_id=user.id,
        summary=f"Reactivated {user.email}",
        before={"active": False},
        after={"active": True},
    )


def reset_password(actor: User, user: User) -> str:
    """Give ``user`` a new temporary password (returned, to show once); they must change it, and are signed out."""
    if user.id == actor.id:
        raise AccountError("Change your own password on the Password page instead.")
    _lock(user)
    before = {"must_change_password": user.must_change_password, "session_epoch": user.session_epoch}
    password = temporary_password()
    user.password_hash = accounts.hash_password(password)
    user.must_change_password = True
    accounts.end_sessions(user)
    audit.record(
        actor,
        "user.password_reset",
        target_type="user",
        target_id=user.id,
        summary=f"Reset the password of {user.email}; their sessions ended",
        before=before,
        after={"must_change_password": True, "session_epoch": user.session_epoch},
    )
    return password


def end_sessions(actor: User, user: User) -> None:
    """Sign ``user`` out everywhere: every cookie issued so far stops working at its next request."""
    _lock(user)
    before = {"session_epoch": user.session_epoch}
    accounts.end_sessions(user)
    audit.record(
        actor,
        "user.sessions_end",
        target_type="user",
        target_id=user.id,
        summary=f"Ended the sessions of {user.email}",
        before=before,
        after={"session_epoch": user.session_epoch},
    )
