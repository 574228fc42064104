"""Back up and restore the academy's database.

SQLite: ``backup_sqlite`` copies the live file with SQLite's online backup API while the app
keeps running. The copy is taken inside one read transaction, so it is a consistent snapshot
(WAL lets writers carry on meanwhile, and a transaction still open elsewhere is simply not in
it). It is written to a temporary file beside PATH, checked with ``PRAGMA integrity_check``
and only then renamed to PATH, so a half-written backup never carries the final name.

``restore_sqlite`` checks a backup (an SQLite file, intact, at a revision these migrations
know, with exactly the schema they make at that revision: no trigger, view, table or index
added by hand and none missing), keeps the current database as ``<name>.<UTC time>.before-restore``, copies the backup
into the live database and upgrades it to the latest revision when it is older. The copy
goes through SQLite (the backup API again, in one write transaction) rather than by renaming
files: an app server that is still running keeps its own handle on the old file and its
``-wal``/``-shm`` files, so a rename would pair the new file with the old write-ahead log or
let that server write into a file nobody reads any more.

PostgreSQL: ``pg_dump``/``pg_restore`` do this job better than the app can;
``postgres_hint`` says how, for the configured server (never with its password).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

from ..database import BUSY_TIMEOUT_MS
from .errors import ServiceError
from .sqlite_schema import migrated_schema, read_schema, schema_differences

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


@dataclass
class RestoreReport:
    """What a restore did."""

    restored: Snapshot
    previous: Path
    upgraded_from: str | None  # the backup's revision when it had to be upgraded
    head: str


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


def _connect(path: Path) -> sqlite3.Connection:
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


def _check_integrity(conn: sqlite3.Connection, what: str) -> None:
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
def _temp_beside(target: Path, prefix: str) -> Iterator[Path]:
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
    src = _connect(live)
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
    with _temp_beside(dest, "backup") as tmp:
        _copy_live(live, tmp)
        check = sqlite3.connect(tmp, isolation_level=None)
        try:
            _check_integrity(check, "the backup")
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


# --- restore ----------------------------------------------------------------------------


def known_revisions(migrations: Path) -> tuple[set[str], str]:
    """Every revision the migrations define, and the head."""
    script = ScriptDirectory(str(migrations))
    heads = script.get_heads()
    if len(heads) != 1:
        raise BackupError(f"the migrations have {len(heads)} heads; merge them first")
    return {rev.revision for rev in script.walk_revisions()}, heads[0]


def check_backup(source: Path, migrations: Path) -> None:
    """Refuse anything that is not an SQLite file of this app at a revision these migrations know."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    with source.open("rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{source} is not an SQLite database")
    wal = Path(f"{source}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise BackupError(
            f"{source} has a write-ahead log beside it ({wal.name}): it looks like a live database copied "
            "by hand and may be missing its latest changes; make backups with `flask --app app backup`"
        )


def _validate_copy(copy: Path, source: Path, migrations: Path) -> Snapshot:
    revisions, _head = known_revisions(migrations)
    try:
        conn = sqlite3.connect(copy, isolation_level=None)
        try:
            # Nothing the file defines (a view, a trigger) may call functions while it is examined.
            conn.execute("PRAGMA trusted_schema=OFF")
            conn.execute("PRAGMA journal_mode=DELETE")
            _check_integrity(conn, str(source))
            snapshot = describe(conn, source)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a readable SQLite database: {exc}") from None
    if snapshot.revision is None:
        raise BackupError(f"{source} is an SQLite database but not one of this academy (no migration revision)")
    if snapshot.revision not in revisions:
        raise BackupError(
            f"{source} is at revision {snapshot.revision}, which these migrations do not know "
            "(a backup from a newer version of the app?)"
        )
    _check_schema(copy, source, migrations, snapshot.revision)
    return snapshot


_SHOWN_DIFFERENCES = 12


def _check_schema(copy: Path, source: Path, migrations: Path, revision: str) -> None:
    """Refuse a backup whose schema is not exactly the one the migrations make at its revision.

    A trigger, view, table or index added by hand would come back with the data (a trigger
    that makes anyone who signs in an admin, say), and a missing table breaks the app and
    every ``flask`` command on start-up. Compared before anything touches the live database.
    """
    conn = sqlite3.connect(copy, isolation_level=None)
    try:
        found = read_schema(conn)
    finally:
        conn.close()
    try:
        expected = migrated_schema(migrations, revision)
    except Exception as exc:  # a migration that fails on an empty database: say so, change nothing
        raise BackupError(f"could not migrate an empty database to revision {revision} to compare with: {exc}") from exc
    differences = schema_differences(found, expected)
    if not differences:
        return
    shown = "; ".join(differences[:_SHOWN_DIFFERENCES])
    more = len(differences) - _SHOWN_DIFFERENCES
    raise BackupError(
        f"{source} does not have the schema the migrations make at its revision {revision}: {shown}"
        + (f"; and {more} more" if more > 0 else "")
        + ". It was changed outside the app or is not a backup of this academy; nothing was changed"
    )


def _load_into(source: Path, live: Path) -> None:
    """Replace the live database's content with ``source``'s, in one write transaction.

    Other connections wait for it (busy timeout) and afterwards see either all of the old
    content or all of the new. The live file keeps its journal mode (WAL).
    """
    src = sqlite3.connect(source, isolation_level=None)
    dst = _connect(live)
    try:
        live_page = dst.execute("PRAGMA page_size").fetchone()[0]
        if src.execute("PRAGMA page_size").fetchone()[0] != live_page:
            # A WAL database refuses a backup with another page size: give the copy the live one.
            src.execute(f"PRAGMA page_size={int(live_page)}")
            src.execute("VACUUM")
        journal = dst.execute("PRAGMA journal_mode").fetchone()[0]
        src.backup(dst, pages=-1, sleep=0.05)
        dst.execute(f"PRAGMA journal_mode={journal}")
        _check_integrity(dst, "the restored database")
    finally:
        dst.close()
        src.close()


@contextlib.contextmanager
def foreign_keys_off(engine: Engine) -> Iterator[None]:
    """New SQLite connections of ``engine`` run without foreign key enforcement inside the block.

    Alembic's batch mode rebuilds a table by copying it, dropping the old one and renaming the
    copy; with foreign keys on, that DROP deletes (ON DELETE CASCADE) or unlinks (SET NULL)
    every row referring to the table. The caller disposes of the pool before and after, so
    the block gets fresh connections and none leaks out without enforcement.
    """

    def _off(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    event.listen(engine, "connect", _off)  # after the app's own listener, which turns them on
    try:
        yield
    finally:
        event.remove(engine, "connect", _off)


def _check_upgrade(before: Snapshot, live: Path) -> None:
    """Refuse an upgrade that lost rows or left rows pointing at nothing."""
    conn = _connect(live)
    try:
        after = describe(conn, live)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    lost = [
        f"{table} {count} -> {after.rows.get(table, 0)}"
        for table, count in sorted(before.rows.items())
        if table != "alembic_version" and table in after.rows and after.rows[table] < count
    ]
    if lost:
        raise BackupError("the upgrade lost rows: " + ", ".join(lost))
    if broken:
        tables = sorted({row[0] for row in broken})
        raise BackupError("the upgrade left rows referring to missing ones in " + ", ".join(tables))


def _timestamped(live: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return live.with_name(f"{live.name}.{stamp}.before-restore")


def restore_sqlite(
    live: Path,
    source: Path,
    migrations: Path,
    *,
    confirm: Callable[[Snapshot, Snapshot], bool],
    upgrade: Callable[[], None],
    release: Callable[[], None],
) -> RestoreReport | None:
    """Bring ``source`` back as the live database; ``None`` when ``confirm`` said no.

    ``confirm(backup, current)`` is asked once the backup is known to be good. ``release``
    closes the app's pooled connections; ``upgrade`` migrates the live database to the head
    (see ``foreign_keys_off``). If the upgrade fails, loses rows or breaks a foreign key, the
    previous database is put back.
    """
    source = source.absolute()
    if not live.is_file():
        raise BackupError(f"there is no database at {live}")
    if source.exists() and os.path.samefile(source, live):
        raise BackupError(f"{source} is the live database itself")
    check_backup(source, migrations)
    _revisions, head = known_revisions(migrations)
    with _temp_beside(live, "restore") as copy:
        # Work on a private copy: the file given cannot change underneath, and is never modified.
        shutil.copyfile(source, copy)
        candidate = _validate_copy(copy, source, migrations)
        current_conn = _connect(live)
        try:
            current = describe(current_conn, live)
        finally:
            current_conn.close()
        if not confirm(candidate, current):
            return None
        release()
        previous = _timestamped(live)
        backup_sqlite(live, previous)
        _load_into(copy, live)
    release()
    upgraded_from = None
    if candidate.revision != head:
        upgraded_from = candidate.revision
        try:
            upgrade()
            release()
            _check_upgrade(candidate, live)
        except Exception as exc:
            release()
            _load_into(previous, live)
            raise BackupError(
                f"upgrading the restored database from {upgraded_from} failed ({exc}); the previous database "
                f"was put back (a copy is at {previous})"
            ) from exc
        finally:
            release()
    restored_conn = _connect(live)
    try:
        restored = describe(restored_conn, live)
    finally:
        restored_conn.close()
    return RestoreReport(restored=restored, previous=previous, upgraded_from=upgraded_from, head=head)
