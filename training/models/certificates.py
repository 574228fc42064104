"""Certificates earned by passing a module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class Certificate(db.Model):
    """Proof that a student passed a module version. What it says is copied in when issued,
    so the certificate reads the same even if the module or the student is renamed later."""

    __tablename__ = "certificates"
    # One certificate per student per module version, however often it is passed.
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "version_number", name="uq_certificates_user_module_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, unguessable, and what the public verification page looks up.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), unique=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    academy_name: Mapped[str] = mapped_column(String(200))
    student_name: Mapped[str] = mapped_column(String(200))
    module_title: Mapped[str] = mapped_column(String(200))
    version_number: Mapped[int]
    score_percent: Mapped[float]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Revoked by an admin: /verify then says so and since when. A revoked certificate stays
    # revoked: the row is kept, so a re-grade of the same attempt cannot issue it again.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_reason: Mapped[str] = mapped_column(String(500), default="")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
