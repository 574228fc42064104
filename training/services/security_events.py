"""Security events in the audit log: sign-ins, failures, throttling, sign-outs and ended sessions.

Each is recorded with who, from which address (the audit row takes it from the request) and
when; never a password. Failed sign-ins name the email that was typed, so an admin can filter
the log by the account under attack or by the address it came from.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import User
from . import accounts, audit


def signed_in(user: User) -> None:
    """A successful sign-in."""
    audit.record(user, "auth.sign_in", target_type="user", target_id=user.id, summary=f"{user.email} signed in")


def _account(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))


def sign_in_failed(email: str) -> None:
    """A sign-in with a wrong password, an unknown email or a deactivated account (the page says the same for all)."""
    typed = accounts.normalise_email(email)
    user = _account(typed)
    audit.record(
        None,
        "auth.sign_in_failed",
        target_type="user" if user else "",
        target_id=user.id if user else "",
        summary=f"Failed sign-in for {typed}" + ("" if user else " (no such account)"),
        actor_email=typed,
    )


def throttled(email: str, user: User | None = None) -> None:
    """A password check refused because too many failed before it (sign-in, or a signed-in user's password change)."""
    if user is not None:
        summary = f"Too many wrong current passwords from {user.email}: password change refused for a while"
        audit.record(user, "auth.throttled", target_type="user", target_id=user.id, summary=summary)
        return
    typed = accounts.normalise_email(email)
    account = _account(typed)
    audit.record(
        None,
        "auth.throttled",
        target_type="user" if account else "",
        target_id=account.id if account else "",
        summary=f"Too many failed sign-ins: sign-in for {typed} refused for a while",
        actor_email=typed,
    )


def wrong_current_password(user: User) -> None:
    """A signed-in user typed a wrong current password on the change-password form."""
    audit.record(
        user,
        "auth.password_check_failed",
        target_type="user",
        target_id=user.id,
        summary=f"{user.email} typed a wrong current password when changing it",
    )


def signed_out(user: User, reason: str = "") -> None:
    """A session ended: the user signed out, or it went idle (``reason`` says which)."""
    if reason == "idle":
        action, summary = "auth.session_idle", f"{user.email}'s session ended after a time without activity"
    else:
        action, summary = "auth.sign_out", f"{user.email} signed out"
    audit.record(user, action, target_type="user", target_id=user.id, summary=summary)
