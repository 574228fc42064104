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


def _record_for_typed_email(action: str, email: str, summary: str) -> None:
    """An event about a sign-in by someone not signed in: the email typed is the actor, and the
    account it names (if any) the target, so the log filters by either."""
    typed = accounts.normalise_email(email)
    account = db.session.scalar(select(User).where(User.email == typed))
    audit.record(
        None,
        action,
        target_type="user" if account else "",
        target_id=account.id if account else "",
        summary=summary.format(email=typed) + ("" if account else " (no such account)"),
        actor_email=typed,
    )


def sign_in_failed(email: str) -> None:
    """A sign-in with a wrong password, an unknown email or a deactivated account (the page says the same for all)."""
    _record_for_typed_email("auth.sign_in_failed", email, "Failed sign-in for {email}")


def throttled(email: str, user: User | None = None) -> None:
    """A password check refused because too many failed before it (sign-in, or a signed-in user's password change)."""
    if user is None:
        summary = "Too many failed sign-ins: sign-in for {email} refused for a while"
        _record_for_typed_email("auth.throttled", email, summary)
        return
    summary = f"Too many wrong current passwords from {user.email}: password change refused for a while"
    audit.record(user, "auth.throttled", target_type="user", target_id=user.id, summary=summary)


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
