"""Back up the academy's database (``restore.py`` puts a backup back).

SQLite: ``backup_sqlite`` copies the live file with SQLite's online backup API while the app
keeps running. The copy is taken inside one read transaction, so it is a consistent snapshot
(WAL lets writers carry on meanwhile, and a transaction still open elsewhere is simply not in
it). It is written to a temporary file beside PATH, checked with ``PRAGMA integrity_check``
and only then renamed to PATH, so a half-written backup never carries the final name.

PostgreSQL: ``pg_dump``/``pg_restore`` do this job better than the app can;
``postgres_hint`` says how, for the configured server (never with its password).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import URL

from ..database import BUSY_TIMEOUT_MS
from .errors import ServiceError

SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(ServiceError):
    """The backup or restore was refused or failed; nothing was changed (409; raised in CLI commands)."""

    status_code = 409


@dataclass
class Snapshot:
    """What a database file holds: its migration revision, size and rows per table."""

    path: Path
    revision: str | None
    size: int
    rows: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        width = max((len(name) for name in self.rows), default=0)
        return [f"  {name:<{width}}  {count}" for name, count in sorted(self.rows.items())]


# --- where the database is ----------------------------------------------------------


def sqlite_file(url: URL) -> Path:
    """The file of an SQLite URL; in-memory databases cannot be backed up or restored."""
    if url.get_backend_name() != "sqlite":
        raise BackupError(f"not an SQLite database ({url.get_backend_name()})")
    name = url.database or ""
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        raise BackupError("the database is in memory: there is no file to back up")
    return Path(name).absolute()


def postgres_hint(url: URL, path: Path, *, restore: bool = False) -> str:
    """The pg_dump (or pg_restore) commands for this server and database, without the password."""
    conn = []
    if url.host:
        conn += ["--host", url.host]
    if url.port:
        conn += ["--port", str(url.port)]
    if url.username:
        conn += ["--username", url.username]
    conn += ["--dbname", url.database or ""]
    target = shlex.quote(str(path))
    args = " ".join(shlex.quote(part) for part in conn)
    password = (
        "The password is not shown: pg_dump and pg_restore read it from PGPASSWORD or ~/.pgpass."
        if url.password
        else "pg_dump and pg_restore read a password, if one is needed, from PGPASSWORD or ~/.pgpass."
    )
    if restore:
        return "\n".join(
            [
                "This academy runs on PostgreSQL: restore a pg_dump archive with pg_restore.",
                "Stop the app servers first, then run:",
                f"  pg_restore --clean --if-exists --no-owner --single-transaction {args} {target}",
                "  flask --app app db upgrade",
                password,
            ]
        )
    return "\n".join(
        [
            "This academy runs on PostgreSQL: back it up with pg_dump (a consistent snapshot, "
            "safe while the app runs):",
            f"  pg_dump --format=custom --no-owner {args} --file {target}",
            "Bring it back with:",
            f"  pg_restore --clean --if-exists --no-owner --single-transaction {args} {target}",
            password,
        ]
    )


# --- reading a database file ----------------------------------------------------------


def connect(path: Path) -> sqlite3.Connection:
    """A connection to an existing file (never creates one), autocommit, with the app's busy timeout."""
    uri = f"file:{quote(str(path))}?mode=rw"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def _quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def describe(conn: sqlite3.Connection, path: Path) -> Snapshot:
    """Revision and row counts of the database behind ``conn``."""
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    # Table names come from sqlite_master and are quoted; nothing here is user input.
    rows = {name: conn.execute(f"SELECT count(*) FROM {_quote_name(name)}").fetchone()[0] for name in tables}  # noqa: S608  # nosec B608
    revision = None
    if "alembic_version" in tables:
        found = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        if len(found) == 1:
            revision = found[0][0]
    size = path.stat().st_size if path.exists() else 0
    return Snapshot(path=path, revision=revision, size=size, rows=rows)


def check_integrity(conn: sqlite3.Connection, what: str) -> None:
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{what} failed the integrity check: " + "; ".join(problems[:5]))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def temp_beside(target: Path, prefix: str) -> Iterator[Path]:
    """A private (0600) temporary file in ``target``'s folder, removed with its side files unless moved."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.{prefix}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)


# --- backup -----------------------------------------------------------------------------


def _copy_live(live: Path, into: Path) -> None:
    """Copy the live database into the empty file ``into`` in one step (one read snapshot),
    then make the copy a single self-contained file (rollback journal, not WAL)."""
    src = connect(live)
    try:
        dst = sqlite3.connect(into, isolation_level=None)
        try:
            # pages=-1: everything in one step, inside one read transaction on the source. Copying
            # in several steps would restart whenever another connection writes meanwhile.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def backup_sqlite(live: Path, dest: Path, *, force: bool = False) -> Snapshot:
    """Copy the live SQLite database to ``dest`` while the app runs; return what the copy holds."""
    dest = dest.absolute()
    if not live.is_file():
        raise BackupError(f"there is no database at {live}")
    if dest.is_dir():
        raise BackupError(f"{dest} is a folder; give the backup's file name")
    if dest.exists() and os.path.samefile(dest, live):
        raise BackupError(f"{dest} is the live database itself")
    if dest.exists() and not force:
        raise BackupError(f"{dest} already exists; choose another name or add --force to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with temp_beside(dest, "backup") as tmp:
        _copy_live(live, tmp)
        check = sqlite3.connect(tmp, isolation_level=None)
        try:
            check_integrity(check, "the backup")
            snapshot = describe(check, tmp)
        finally:
            check.close()
        _fsync(tmp)
        if force:
            os.replace(tmp, dest)
        else:
            try:
                os.link(tmp, dest)  # fails, rather than overwrites, if dest appeared meanwhile
            except FileExistsError:
                raise BackupError(f"{dest} already exists; choose another name or add --force") from None
        with contextlib.suppress(OSError):  # make the rename itself durable
            _fsync(dest.parent)
    snapshot.path = dest
    snapshot.size = dest.stat().st_size
    return snapshot
