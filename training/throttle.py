"""The sign-in throttle's counts in the app's own database (a storage for Flask-Limiter).

Flask-Limiter keeps counts in memory unless told otherwise, and memory is per process: with
two gunicorn workers, 20 of 30 wrong passwords got through a limit of 10. Every worker and
app server already shares the database, so without ``REDIS_URL`` the counts live there, in
``rate_limits``; Redis stays the choice for many servers. Only the fixed-window strategy
(Flask-Limiter's default) is needed: a window's count and its end, one row per key.
"""

from __future__ import annotations

import time

from flask import has_app_context
from limits.storage import Storage
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from .database import reading, writing
from .extensions import db

SCHEME = "academy-db"

# One statement on both SQLite and PostgreSQL: a new key, or a window that has ended, starts
# again at ``amount``; a running window adds to its count.
_INCREMENT = text(
    'INSERT INTO rate_limits ("key", count, expires_at) VALUES (:key, :amount, :expires) '
    'ON CONFLICT ("key") DO UPDATE SET '
    "count = CASE WHEN rate_limits.expires_at <= :now THEN :amount ELSE rate_limits.count + :amount END, "
    "expires_at = CASE WHEN rate_limits.expires_at <= :now THEN :expires ELSE rate_limits.expires_at END "
    "RETURNING count"
)
# Windows that ended over an hour ago are of no use to anyone: each new count sweeps them.
_SWEEP = text("DELETE FROM rate_limits WHERE expires_at < :before")
_READ = text('SELECT count, expires_at FROM rate_limits WHERE "key" = :key AND expires_at > :now')


class DatabaseStorage(Storage):
    """Fixed-window counts in the ``rate_limits`` table, each change in a short transaction of its own."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, engine: Engine | None = None, **options):
        super().__init__(uri, wrap_exceptions, **options)
        self._engine = engine

    @property
    def engine(self) -> Engine:
        """The database of the app handling the request (Flask-Limiter keeps one storage for
        every app in the process, as tests make several), else the one it was set up with."""
        if has_app_context():
            return db.engine
        if self._engine is None:
            raise RuntimeError(f"the {SCHEME} storage is used outside an app and was given no engine")
        return self._engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the key's current window (a new one of ``expiry`` seconds if none runs)."""
        now = time.time()
        with writing(), self.engine.begin() as conn:
            conn.execute(_SWEEP, {"before": now - 3600})
            return conn.execute(
                _INCREMENT, {"key": key, "amount": amount, "expires": now + expiry, "now": now}
            ).scalar()

    def _current(self, key: str) -> tuple[int, float] | None:
        """The running window's count and end, if one runs."""
        with reading(), self.engine.connect() as conn:
            row = conn.execute(_READ, {"key": key, "now": time.time()}).first()
            conn.rollback()
        return (row[0], row[1]) if row else None

    def get(self, key: str) -> int:
        """The count in the key's running window (0 if none)."""
        current = self._current(key)
        return current[0] if current else 0

    def get_expiry(self, key: str) -> float:
        """When the key's running window ends (now if none runs)."""
        current = self._current(key)
        return current[1] if current else time.time()

    def check(self) -> bool:
        """True when the database answers."""
        try:
            with reading(), self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                conn.rollback()
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every count; returns how many keys there were."""
        with writing(), self.engine.begin() as conn:
            return conn.execute(text("DELETE FROM rate_limits")).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's count."""
        with writing(), self.engine.begin() as conn:
            conn.execute(text('DELETE FROM rate_limits WHERE "key" = :key'), {"key": key})
