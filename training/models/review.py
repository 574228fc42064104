"""Spaced-repetition review: one card per item a student missed, scheduled with FSRS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JSONDoc, UTCDateTime, utcnow


class ReviewCard(db.Model):
    """An item a student got wrong, due again at ``due``.

    ``state`` is the ``fsrs.Card`` as a dict; ``due`` is copied out of it so the queue
    is one indexed query. Practising a card never touches attempts or scores.
    """

    __tablename__ = "review_cards"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "item_key", name="uq_review_cards_user_item"),
        Index("ix_review_cards_user_due", "user_id", "due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(80))
    # The version whose wording of the item is shown (the one most recently missed).
    version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(40))
    state: Mapped[dict] = mapped_column(JSONDoc)
    due: Mapped[datetime] = mapped_column(UTCDateTime)
    reviews: Mapped[int] = mapped_column(default=0)
    lapses: Mapped[int] = mapped_column(default=0)
    # Served first when several cards are due: 2 a safety miss, 1 a confidently wrong answer, 0 others.
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewLog(db.Model):
    """One review answer to a review card."""

    __tablename__ = "review_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("review_cards.id", ondelete="CASCADE"), index=True)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rating: Mapped[int]
    correct: Mapped[bool]
    response: Mapped[Any | None] = mapped_column(JSONDoc)
