"""The audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JSONDoc, UTCDateTime, utcnow


class AuditEvent(db.Model):
    """One admin or instructor action, or a security event (sign-in, sign-out, password). Rows are only ever added."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_action", "action"),
        Index("ix_audit_events_target", "target_type", "target_id"),
        Index("ix_audit_events_address", "address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who did it. The email is copied so the log still reads right if the user is renamed.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    # The client address the request came from (empty for the command line).
    address: Mapped[str] = mapped_column(String(45), default="")
    # A dotted verb such as "cohort.enrol" or "user.deactivate".
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(80), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[Any | None] = mapped_column(JSONDoc)
    after: Mapped[Any | None] = mapped_column(JSONDoc)
