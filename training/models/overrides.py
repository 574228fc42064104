"""Per-student overrides of a module's rules (Moodle's user overrides): fairness and accommodations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class ModuleOverride(db.Model):
    """Extra attempts, extra time or a later due date for one student at one module, and why.

    At most one per student and module; changing it replaces the values (the audit log keeps
    the old ones).
    """

    __tablename__ = "module_overrides"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", name="uq_module_overrides_user_module"),
        CheckConstraint("extra_attempts >= 0", name="extra_attempts_positive"),
        CheckConstraint("extra_minutes >= 0", name="extra_minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    # Replaces the cohort due date for this student (None: the cohort's stands).
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
