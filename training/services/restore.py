"""Restore the academy's SQLite database from a backup made by ``backup.py``.

``restore_sqlite`` checks a backup (an SQLite file, intact, at a revision these migrations
know, with exactly the schema they make at that revision: no trigger, view, table or index
added by hand and none missing), keeps the current database as
``<name>.<UTC time>.before-restore``, copies the backup into the live database and upgrades
it to the latest revision when it is older. The copy goes through SQLite (the backup API
again, in one write transaction) rather than by renaming files: an app server that is still
running keeps its own handle on the old file and its ``-wal``/``-shm`` files, so a rename
would pair the new file with the old write-ahead log or let that server write into a file
nobody reads any more.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import backup
from .sqlite_schema import migrated_schema, read_schema, schema_differences


@dataclass
class RestoreReport:
    """What a restore did."""

    restored: backup.Snapshot
    previous: Path
    upgraded_from: str | None  # the backup's revision when it had to be upgraded
    head: str


def known_revisions(migrations: Path) -> tuple[set[str], str]:
    """Every revision the migrations define, and the head."""
    script = ScriptDirectory(str(migrations))
    heads = script.get_heads()
    if len(heads) != 1:
        raise backup.BackupError(f"the migrations have {len(heads)} heads; merge them first")
    return {rev.revision for rev in script.walk_revisions()}, heads[0]


def check_backup(source: Path, migrations: Path) -> None:
    """Refuse anything that is not an SQLite file of this app at a revision these migrations know."""
    if not source.is_file():
        raise backup.BackupError(f"{source} is not a file")
    with source.open("rb") as fh:
        if fh.read(len(backup.SQLITE_MAGIC)) != backup.SQLITE_MAGIC:
            raise backup.BackupError(f"{source} is not an SQLite database")
    wal = Path(f"{source}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise backup.BackupError(
            f"{source} has a write-ahead log beside it ({wal.name}): it looks like a live database copied "
            "by hand and may be missing its latest changes; make backups with `flask --app app backup`"
        )


def _validate_copy(copy: Path, source: Path, migrations: Path) -> backup.Snapshot:
    revisions, _head = known_revisions(migrations)
    try:
        conn = sqlite3.connect(copy, isolation_level=None)
        try:
            # Nothing the file defines (a view, a trigger) may call functions while it is examined.
            conn.execute("PRAGMA trusted_schema=OFF")
            conn.execute("PRAGMA journal_mode=DELETE")
            backup.check_integrity(conn, str(source))
            snapshot = backup.describe(conn, source)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise backup.BackupError(f"{source} is not a readable SQLite database: {exc}") from None
    if snapshot.revision is None:
        raise backup.BackupError(f"{source} is an SQLite database but not one of this academy (no migration revision)")
    if snapshot.revision not in revisions:
        raise backup.BackupError(
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
        raise backup.BackupError(
            f"could not migrate an empty database to revision {revision} to compare with: {exc}"
        ) from exc
    differences = schema_differences(found, expected)
    if not differences:
        return
    shown = "; ".join(differences[:_SHOWN_DIFFERENCES])
    more = len(differences) - _SHOWN_DIFFERENCES
    raise backup.BackupError(
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
    dst = backup.connect(live)
    try:
        live_page = dst.execute("PRAGMA page_size").fetchone()[0]
        if src.execute("PRAGMA page_size").fetchone()[0] != live_page:
            # A WAL database refuses a backup with another page size: give the copy the live one.
            src.execute(f"PRAGMA page_size={int(live_page)}")
            src.execute("VACUUM")
        journal = dst.execute("PRAGMA journal_mode").fetchone()[0]
        src.backup(dst, pages=-1, sleep=0.05)
        dst.execute(f"PRAGMA journal_mode={journal}")
        backup.check_integrity(dst, "the restored database")
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


def _check_upgrade(before: backup.Snapshot, live: Path) -> None:
    """Refuse an upgrade that lost rows or left rows pointing at nothing."""
    conn = backup.connect(live)
    try:
        after = backup.describe(conn, live)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    lost = [
        f"{table} {count} -> {after.rows.get(table, 0)}"
        for table, count in sorted(before.rows.items())
        if table != "alembic_version" and table in after.rows and after.rows[table] < count
    ]
    if lost:
        raise backup.BackupError("the upgrade lost rows: " + ", ".join(lost))
    if broken:
        tables = sorted({row[0] for row in broken})
        raise backup.BackupError("the upgrade left rows referring to missing ones in " + ", ".join(tables))


def _timestamped(live: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return live.with_name(f"{live.name}.{stamp}.before-restore")


def restore_sqlite(
    live: Path,
    source: Path,
    migrations: Path,
    *,
    confirm: Callable[[backup.Snapshot, backup.Snapshot], bool],
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
        raise backup.BackupError(f"there is no database at {live}")
    if source.exists() and os.path.samefile(source, live):
        raise backup.BackupError(f"{source} is the live database itself")
    check_backup(source, migrations)
    _revisions, head = known_revisions(migrations)
    with backup.temp_beside(live, "restore") as copy:
        # Work on a private copy: the file given cannot change underneath, and is never modified.
        shutil.copyfile(source, copy)
        candidate = _validate_copy(copy, source, migrations)
        current_conn = backup.connect(live)
        try:
            current = backup.describe(current_conn, live)
        finally:
            current_conn.close()
        if not confirm(candidate, current):
            return None
        release()
        previous = _timestamped(live)
        backup.backup_sqlite(live, previous)
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
            raise backup.BackupError(
                f"upgrading the restored database from {upgraded_from} failed ({exc}); the previous database "
                f"was put back (a copy is at {previous})"
            ) from exc
        finally:
            release()
    restored_conn = backup.connect(live)
    try:
        restored = backup.describe(restored_conn, live)
    finally:
        restored_conn.close()
    return RestoreReport(restored=restored, previous=previous, upgraded_from=upgraded_from, head=head)
