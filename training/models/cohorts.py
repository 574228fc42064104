"""Cohorts: a class of students, the instructors who teach it, and the modules it must take."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class Cohort(db.Model):
    """A named group of students taught together (for example "Spring 2027 thread lifts")."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CohortMember(db.Model):
    """A student enrolled in a cohort. A student may be in several cohorts."""

    __tablename__ = "cohort_members"
    __table_args__ = (Index("ix_cohort_members_user", "user_id"),)

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CohortInstructor(db.Model):
    """An instructor who teaches a cohort, and so may see its students' work."""

    __tablename__ = "cohort_instructors"
    __table_args__ = (Index("ix_cohort_instructors_user", "user_id"),)

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CohortModule(db.Model):
    """A module a cohort is assigned, with an optional due date."""

    __tablename__ = "cohort_modules"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
