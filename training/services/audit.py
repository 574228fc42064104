"""The audit log: every admin and instructor action that changes people, cohorts, content or grades.

Call :func:`record` inside the same transaction as the change it describes, so the log
and the change are committed (or rolled back) together.
"""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import AuditEvent, User


def record(
    actor: User | None,
    action: str,
    *,
    target_type: str = "",
    target_id: object = "",
    summary: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Add one audit event. ``actor`` None means the command line or the system."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else "(command line)",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        summary=summary[:500],
        before=before,
        after=after,
    )
    db.session.add(event)
    return event
