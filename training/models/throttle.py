"""Counts of the sign-in throttle, kept in the database every app server already shares."""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class RateLimitCount(db.Model):
    """One fixed window of one throttle key (failed sign-ins for an email, say): the count so far and when it ends."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    # Seconds since the epoch (time.time()), compared with the clock of the app server asking.
    expires_at: Mapped[float] = mapped_column(Float)
