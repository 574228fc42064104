"""First start: bring the database to the latest revision and load the starter content.

Several app servers may start at once, so the work runs under a lock: a PostgreSQL
advisory lock, or a file lock beside the SQLite database.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from .database import writing
from .extensions import db

# Any fixed number, shared by every app server of this academy.
_ADVISORY_LOCK_ID = 74_201_311


@contextlib.contextmanager
def _startup_lock(app: Flask) -> Iterator[None]:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _ADVISORY_LOCK_ID})
                conn.commit()
    else:
        with open(Path(app.instance_path) / ".startup.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _nothing_to_do(app: Flask, directory: str) -> bool:
    """True when the database is at the latest revision and has its content: a read, no lock.

    A worker that restarts while the others are busy writing (an exam) must not wait for
    the write lock just to learn there is nothing to do; on SQLite that wait can pass the
    busy timeout, and a worker that fails to boot makes gunicorn stop the whole server.
    """
    from .services import content

    with app.app_context():
        head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config(directory)).get_current_head()
        with db.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        done = current == head and (not app.config["LOAD_STARTER_CONTENT"] or content.has_modules())
        db.session.remove()
    return done


def prepare_database(app: Flask) -> None:
    """Migrate to the latest revision; on an empty catalogue, import the shipped packs."""
    from .services import content

    directory = str(Path(app.root_path) / "migrations")
    if _nothing_to_do(app, directory):
        return
    with app.app_context(), _startup_lock(app), writing():
        upgrade(directory=directory)
        if app.config["LOAD_STARTER_CONTENT"]:
            report = content.load_starter_content(app.config["STARTER_PACKS"])
            db.session.commit()
            if report is not None:
                app.logger.info("starter content: %s", "; ".join(report.lines))
        db.session.remove()
