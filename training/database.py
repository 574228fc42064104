"""Engine settings that make SQLite safe for concurrent writers, and write transactions.

SQLite: WAL, synchronous=NORMAL, foreign keys on, a 5 s busy timeout, and write
transactions that start with ``BEGIN IMMEDIATE``: a deferred transaction that reads and
then writes can fail with "database is locked" when another writer got there first,
while an immediate one waits its turn (up to the busy timeout) before reading.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 5000

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


def declare_write_intent(value: bool = True) -> contextvars.Token:
    """Mark the current request/command as one that writes: its transactions begin IMMEDIATE."""
    return _write_intent.set(value)


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Run a block (a CLI command, a test) whose SQLite transactions begin IMMEDIATE."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine) -> None:
    """Install the SQLite pragmas and the BEGIN handling; other databases are left as they are."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
