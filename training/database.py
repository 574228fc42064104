"""Engine settings that make SQLite safe for concurrent writers, and write transactions.

SQLite: WAL, synchronous=NORMAL, foreign keys on, a 5 s busy timeout, and write
transactions that start with ``BEGIN IMMEDIATE``: a deferred transaction that reads and
then writes can fail with "database is locked" when another writer got there first,
while an immediate one waits its turn (up to the busy timeout) before reading.
"""

from __future__ import annotations

import contextlib
import contextvars
import sqlite3
import time
from collections.abc import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 5000

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


def declare_write_intent(value: bool = True) -> contextvars.Token:
    """Mark the current request/command as one that writes: its transactions begin IMMEDIATE."""
    return _write_intent.set(value)


def begin_writes(session) -> None:
    """Mark the request as one that writes, first ending the read that identified its user.

    The user behind a request is looked up before the view runs. On SQLite, ending that
    read here (the user stays loaded: nothing expires on commit) means the view's own
    transaction begins IMMEDIATE and holds the write lock only for the view's work, not
    also for the session lookup. PostgreSQL locks rows, not the database, so there the
    read and the writes stay one transaction (a commit would only cost a round trip).
    """
    if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        session.commit()
    declare_write_intent(True)


def reads_first(view):
    """Mark a view whose POST starts with a slow read (a password check, a long calculation).

    Its request is not made a write one up front: it runs in a read transaction, and the
    view calls :func:`begin_writes` itself before it writes, if it does. On SQLite the write
    lock, which every student's save waits for, is then not held through the slow part.
    """
    view.reads_first = True
    return view


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Run a block (a CLI command, a test) whose SQLite transactions begin IMMEDIATE."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """Run a block whose transactions only read, even inside a write request: on SQLite they
    begin deferred, so they never wait for the write lock the request itself may hold."""
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    """Install the SQLite pragmas and the BEGIN handling; other databases are left as they are.

    ``busy_timeout_ms`` is the longest a request waits for the write lock before it gives up
    (a 503 with nothing changed).
    """
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
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        if _write_intent.get():
            _begin_immediate(conn, busy_timeout_ms)
        else:
            conn.exec_driver_sql("BEGIN")


def _begin_immediate(conn, busy_timeout_ms: int) -> None:
    """``BEGIN IMMEDIATE``, trying again for the write lock every fraction of a millisecond.

    SQLite's own busy handler sleeps 1, 2, 5, 10, ... up to 100 ms between tries. A write
    holds the lock for a couple of milliseconds, so waiters slept well past the moment it
    was free and the lock sat idle while saves queued. Here a waiter tries again after
    0.1 ms, doubling up to 2 ms, for the same busy timeout in all; the last try goes through
    SQLAlchemy, so running out of time raises the usual OperationalError (a 503 page), and
    the request is then a read one.
    """
    raw = conn.connection.driver_connection  # the tries go straight to sqlite3: a refusal costs microseconds
    deadline = time.monotonic() + busy_timeout_ms / 1000
    delay = 0.0001
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.002)
        # Out of time: this request's write has failed, and all that follows is its error page
        # (a 503 that keeps the student's answers). It must only read: a read that began
        # IMMEDIATE would wait the whole timeout again before the page could be sent.
        _write_intent.set(False)
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
