"""First start: bring the database to the latest revision and load the starter content.

Several app servers may start at once, so the work runs under a lock: a PostgreSQL
advisory lock, or a file lock beside the SQLite database.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

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


def prepare_database(app: Flask) -> None:
    """Migrate to the latest revision; on an empty catalogue, import the shipped packs."""
    from .services.content import load_starter_content

    with app.app_context(), _startup_lock(app), writing():
        upgrade(directory=str(Path(app.root_path) / "migrations"))
        if app.config["LOAD_STARTER_CONTENT"]:
            report = load_starter_content()
            db.session.commit()
            if report is not None:
                app.logger.info("starter content: %s", "; ".join(report.lines))
        db.session.remove()
