"""People: users with one role each, and the academy they belong to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class Role(StrEnum):
    """What a user may do; each user has exactly one."""

    STUDENT = "student"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


class Academy(db.Model):
    """The single academy this installation serves; its row exists once set-up is done."""

    __tablename__ = "academy"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(UserMixin, db.Model):
    """Someone who signs in."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role in ('student', 'instructor', 'admin')", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=Role.STUDENT)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to make every existing session cookie of this user useless.
    session_epoch: Mapped[int] = mapped_column(default=0)
    # Set when an admin resets the password: the user must choose a new one at next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    # The server-side session this request runs in (set at sign-in and when a cookie is loaded).
    session_token = None

    def get_id(self) -> str:
        """What the cookie stores: the user, the epoch (bumped to sign out everywhere) and the
        token of this browser's server-side session (deleted to sign out this browser)."""
        return f"{self.id}.{self.session_epoch}.{self.session_token}"

    def has_role(self, *roles: str) -> bool:
        """True when the user's role is one of ``roles``."""
        return self.role in roles


class UserSession(db.Model):
    """One signed-in browser. Signing out deletes the row, so a copy of the old cookie is useless."""

    __tablename__ = "user_sessions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
