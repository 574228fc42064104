"""Figures kept beside the answers so staff reports stay fast at a million answers.

Both are derived data: they can be rebuilt from ``answers`` and ``attempts`` at any time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JSONDoc, UTCDateTime, utcnow


class AttemptTopic(db.Model):
    """A submitted attempt's marks added up per topic, written when the attempt is graded.

    The cohort heatmap sums a few of these rows per attempt instead of every answer.
    ``user_id`` and ``module_id`` repeat the attempt's, so the heatmap needs no join.
    """

    __tablename__ = "attempt_topics"
    __table_args__ = (Index("ix_attempt_topics_user_module", "user_id", "module_id"),)

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    awarded: Mapped[float]
    points: Mapped[float]
    items: Mapped[int]


class VersionAnalysis(db.Model):
    """The last item analysis computed for a module version, and which attempts it counted.

    ``attempts`` and ``last_attempt_id`` say which submitted attempts it covered, so a page
    can tell whether attempts have been submitted since.
    """

    __tablename__ = "version_analyses"

    version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id", ondelete="CASCADE"), primary_key=True)
    attempts: Mapped[int]
    last_attempt_id: Mapped[int | None]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    result: Mapped[Any] = mapped_column(JSONDoc)
