"""Attempts and the answers saved in them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizzes.content import Module

from ..extensions import db
from .content import ModuleVersion
from .types import JSONDoc, UTCDateTime, utcnow


class AttemptStatus(StrEnum):
    """An attempt is open while the student answers, submitted once graded."""

    OPEN = "open"
    SUBMITTED = "submitted"


class Attempt(db.Model):
    """One sitting of one module version by one student."""

    __tablename__ = "attempts"
    __table_args__ = (
        CheckConstraint("status in ('open', 'submitted')", name="status_known"),
        CheckConstraint("stage_index >= 0", name="stage_index_positive"),
        # At most one open attempt per student and module (invariant 2).
        Index(
            "uq_attempts_one_open",
            "user_id",
            "module_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_attempts_user_status", "user_id", "status"),
        # Reports group a cohort's attempts by module and student.
        Index("ix_attempts_module_user", "module_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    status: Mapped[str] = mapped_column(String(12), default=AttemptStatus.OPEN)
    # The stage the student is on; stages before it are locked.
    stage_index: Mapped[int] = mapped_column(default=0)
    # Highest autosave sequence number applied; lower ones are stale and refused.
    last_seq: Mapped[int] = mapped_column(default=0)
    # Seeds the per-attempt choice order, so a reload shows the same order.
    seed: Mapped[int]
    # The variant drawn for each slot that has several (slot key -> item key); None: each slot's first.
    draw: Mapped[dict | None] = mapped_column(JSONDoc)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set from the module's time limit when the attempt starts; the server enforces it.
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None]
    max_score: Mapped[float | None]
    passed: Mapped[bool | None]
    # Questions answered harmfully or safety-critical ones missed (set at submission).
    safety_misses: Mapped[int | None]
    # With certainty marking: the average CBM mark per point (-6..3) and the bonus (a share).
    cbm_average: Mapped[float | None]
    cbm_bonus: Mapped[float | None]

    version: Mapped[ModuleVersion] = relationship(lazy="joined")
    answers: Mapped[list[Answer]] = relationship(back_populates="attempt", lazy="raise_on_sql")

    @property
    def is_open(self) -> bool:
        """True while answers may still change."""
        return self.status == AttemptStatus.OPEN

    def is_overdue(self, now: datetime) -> bool:
        """True when an open attempt has run past its deadline."""
        return self.is_open and self.deadline is not None and now >= self.deadline

    @cached_property
    def content(self) -> Module:
        """The module as this attempt shows it: its version with one drawn variant per slot."""
        return self.version.content.drawn(self.draw)

    @property
    def failed_on_safety(self) -> bool:
        """True when a safety miss kept this submitted attempt from passing."""
        return self.passed is False and bool(self.safety_misses)

    @property
    def percent(self) -> float:
        """The score as a percentage (0 before submission)."""
        return 100.0 * (self.score or 0) / self.max_score if self.max_score else 0.0


class Answer(db.Model):
    """The saved answer to one item in one attempt, and its mark once submitted.

    Topic and points are copied from the frozen item at save time so reports are plain
    SQL aggregates.
    """

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("attempt_id", "item_key", name="uq_answers_attempt_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(80))
    topic: Mapped[str] = mapped_column(String(40))
    response: Mapped[Any | None] = mapped_column(JSONDoc)
    seq: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    awarded: Mapped[float | None]
    points: Mapped[float]
    # How sure the student said they were (1 low, 2 medium, 3 high), with certainty marking.
    certainty: Mapped[int | None] = mapped_column(SmallInteger)
    # Set at submission: a harmful pick, or a safety-critical question not fully right.
    safety_miss: Mapped[bool | None]

    attempt: Mapped[Attempt] = relationship(back_populates="answers")
