"""Accounts: set-up of the academy, users, passwords and sign-in."""

from __future__ import annotations

import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, exists, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Academy, Role, User, UserSession
from ..models.types import utcnow
from . import audit, passwords
from .errors import FieldError

# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 50 ms a check
# here, so a class of 200 signing in at once is not queued behind hashing. The library's
# default (64 MiB, 3 passes, 4 lanes) took 300 ms idle and 500 ms under load (bench/README.md).
# Hashes made with other settings are upgraded at the next sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified against when the email is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not a real password")

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH


class AccountError(FieldError):
    """A request about accounts that cannot be carried out, with a message for people (409).

    ``field`` names the form field the message belongs next to, when there is one.
    """

    status_code = 409


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def check_password_rules(password: str, *, email: str = "", name: str = "", field: str | None = None) -> None:
    """Raise AccountError (for ``field``) when the password is too short, common, or made of the
    person's email or name or the academy's name (see ``services.passwords``)."""
    problem = passwords.weakness(password, email=email, name=name, academy=academy_name())
    if problem:
        raise AccountError(problem, field=field)


def create_user(email: str, name: str, role: str, password: str) -> User:
    """Add a user; flushes so the caller sees the id. Raises AccountError on a clash or bad data."""
    if role not in set(Role):
        raise AccountError(f"Unknown role '{role}'; use one of: {', '.join(Role)}.", field="role")
    check_password_rules(password, email=email, name=name, field="password")
    email = normalise_email(email)
    if db.session.scalar(select(exists().where(User.email == email))):
        raise AccountError(f"A user with the email {email} already exists.", field="email")
    user = User(email=email, name=name.strip() or email, role=role, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same cost and answer for every failure).

    Only reads, so the caller can check the (deliberately slow) password outside a write transaction.
    """
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    return user


def rehash_if_needed(user: User, password: str) -> None:
    """Store the password again with the current hash settings if it was hashed with others."""
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)


# However active, a sign-in lasts at most this long (an absolute timeout, OWASP ASVS 3.3).
SESSION_LIFETIME = timedelta(days=30)


def open_session(user: User) -> None:
    """Start a server-side session for ``user`` (call before ``login_user``); drops their expired ones."""
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at < utcnow() - SESSION_LIFETIME)
    )
    user.session_token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token=user.session_token, user_id=user.id))


def close_session(user: User) -> None:
    """End the session this request runs in: its cookie, even copied, no longer signs anyone in."""
    db.session.execute(delete(UserSession).where(UserSession.token == user.session_token))


# Every signed-in request runs this, so it is built once (SQLAlchemy reuses its compiled form).
_SESSION_USER = (
    select(User)
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        User.id == bindparam("user_id"),
        UserSession.token == bindparam("token"),
        UserSession.created_at >= bindparam("since"),
    )
)


def load_session_user(session_id: str) -> User | None:
    """The active user a session cookie names, if its epoch is current and its session still open (one query)."""
    user_id, epoch, token = (session_id.split(".", 2) + ["", ""])[:3]
    if not (user_id.isdigit() and epoch.isdigit() and token):
        return None
    user = db.session.scalar(
        _SESSION_USER, {"user_id": int(user_id), "token": token, "since": utcnow() - SESSION_LIFETIME}
    )
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    user.session_token = token
    return user


def end_sessions(user: User) -> None:
    """Sign ``user`` out everywhere: every session cookie issued so far becomes useless."""
    user.session_epoch += 1
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def change_password(user: User, current_password: str, new_password: str) -> None:
    """The user's own password change: check the current one, store the new one, end every other session.

    The caller signs the current browser in again (its cookie carries the old epoch).
    Raises AccountError, with the field it belongs to, when the change cannot be made.
    """
    try:
        _hasher.verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise AccountError("That is not your current password.", field="current_password") from None
    if new_password == current_password:
        raise AccountError("Choose a password different from the current one.", field="new_password")
    check_password_rules(new_password, email=user.email, name=user.name, field="new_password")
    before = {"must_change_password": user.must_change_password, "session_epoch": user.session_epoch}
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    end_sessions(user)
    audit.record(
        user,
        "user.password_change",
        target_type="user",
        target_id=user.id,
        summary=f"{user.email} changed their password; their other sessions ended",
        before=before,
        after={"must_change_password": False, "session_epoch": user.session_epoch},
    )


DEFAULT_ACADEMY_NAME = "Academy"  # until set-up names it


def academy() -> Academy | None:
    """The academy row, once set-up has been done."""
    return db.session.get(Academy, 1)


def academy_name() -> str:
    """The academy's name for page titles and certificates."""
    row = academy()
    return row.name if row else DEFAULT_ACADEMY_NAME


def needs_setup() -> bool:
    """True until the academy and its first admin exist."""
    return not db.session.scalar(select(exists().where(User.role == Role.ADMIN)))


def set_up_academy(academy_name: str, admin_email: str, admin_name: str, password: str) -> User:
    """Create the academy and its first admin, once. Raises AccountError if already done."""
    if not needs_setup():
        raise AccountError("This academy is already set up.")
    check_password_rules(password, email=admin_email, name=admin_name, field="password")
    existing = academy()
    if existing is not None:
        existing.name = academy_name.strip()
    else:
        try:
            with db.session.begin_nested():
                db.session.add(Academy(id=1, name=academy_name.strip()))
        except IntegrityError:
            # Someone else finished set-up a moment ago (the row's id is fixed at 1).
            raise AccountError("This academy is already set up.") from None
    return create_user(admin_email, admin_name, Role.ADMIN, password)
