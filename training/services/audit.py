"""The audit log: every admin and instructor action that changes people, cohorts, content or grades.

Call :func:`record` inside the same transaction as the change it describes, so the log
and the change are committed (or rolled back) together.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from ..extensions import db
from ..models import AuditEvent, User
from .errors import FieldError

MAX_REASON = 500
"""The longest reason a staff member may give for a change (an override, a revocation)."""


def reason(text: str | None, ask: str, error: type[FieldError] = FieldError) -> str:
    """A reason typed for a staff change, spaces collapsed; ``error`` on the field ``reason`` when blank or too long.

    :param ask: what to tell someone who gave none, e.g. "Say why the certificate is revoked".
    """
    why = " ".join((text or "").split())
    if not why:
        raise error(f"{ask}: the reason is kept in the audit log.", field="reason")
    if len(why) > MAX_REASON:
        raise error(f"Keep the reason to {MAX_REASON} characters.", field="reason")
    return why


def record(
    actor: User | None,
    action: str,
    *,
    target_type: str = "",
    target_id: object = "",
    summary: str = "",
    before: Any = None,
    after: Any = None,
    actor_email: str | None = None,
) -> AuditEvent:
    """Add one audit event, with the client address of the request it happens in.

    ``actor`` None means the command line or the system, or, with ``actor_email``, someone
    not signed in (a failed sign-in records the email typed). Never pass a password.
    """
    if actor_email is None:
        actor_email = actor.email if actor is not None else "(command line)"
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_email=actor_email[:254],
        address=(request.remote_addr or "")[:45] if has_request_context() else "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        summary=summary[:500],
        before=before,
        after=after,
    )
    db.session.add(event)
    return event
