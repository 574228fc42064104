"""``flask backup`` and ``flask restore``: consistent copies of a running SQLite academy, and back.

Most tests run on an SQLite academy of their own, whatever TEST_DATABASE_URL says, because
that is what the commands copy; the first test runs on the suite's database and checks the
PostgreSQL hint there (or the backup, on SQLite).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from training.database import writing
from training.extensions import db
from training.models import Answer, Attempt, ModuleVersion, User
from training.services import accounts, restore
from training.services import backup as backups
from training.services.sqlite_schema import normalise_sql

from .conftest import PASSWORD
from .test_migrations import FIRST_REVISION_ROWS


def _make_app(tmp: Path, *, auto_migrate: bool = True) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'academy.db'}",
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "LOAD_STARTER_CONTENT": False,
            "AUTO_MIGRATE": auto_migrate,
            "INSTANCE_PATH": str(tmp),
        }
    )


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory) -> Iterator[Flask]:
    """An academy on its own SQLite file, migrated to the latest revision."""
    app = _make_app(tmp_path_factory.mktemp("backup-instance"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live(sqlite_app: Flask) -> Iterator[Path]:
    """The SQLite academy, set up with an admin and a student; emptied afterwards."""
    with sqlite_app.app_context(), writing():
        accounts.set_up_academy("Backup Academy", "admin@example.com", "Ada Admin", PASSWORD)
        accounts.create_user("sam@example.com", "Sam Student", "student", PASSWORD)
        db.session.commit()
        path = Path(db.engine.url.database)
    yield path
    with sqlite_app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
    for leftover in path.parent.glob("*.before-restore"):
        leftover.unlink()


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def users(app: Flask) -> dict[str, str]:
    with app.app_context():
        found = {u.email: u.name for u in db.session.scalars(select(User))}
        db.session.remove()
        return found


def is_sqlite(path: Path) -> bool:
    return path.read_bytes()[:16] == b"SQLite format 3\x00"


def test_backup_of_the_suite_database_or_the_postgres_hint(app, academy, tmp_path):
    dest = tmp_path / "suite.db"
    with app.app_context():
        url = db.engine.url
    result = app.test_cli_runner().invoke(args=["backup", str(dest)])
    if url.get_backend_name() == "postgresql":
        assert result.exit_code == 2
        assert "pg_dump --format=custom" in result.output
        assert f"--dbname {url.database}" in result.output and "pg_restore" in result.output
        assert str(dest) in result.output
        assert not dest.exists()
        if url.password:
            assert url.password not in result.output
        (tmp_path / "dump").write_bytes(b"PGDMP")
        restore = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "dump"), "--yes"])
        assert restore.exit_code == 2 and "pg_restore --clean" in restore.output
    else:
        assert result.exit_code == 0, result.output
        assert "integrity check ok" in result.output
        assert is_sqlite(dest)
        assert rows(dest, "SELECT email FROM users") == [("admin@example.com",)]
        assert rows(dest, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file


def test_round_trip(sqlite_app, live, tmp_path):
    dest = tmp_path / "nightly.db"
    runner = sqlite_app.test_cli_runner()
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    assert "users" in result.output and "revision" in result.output
    assert dest.stat().st_mode & 0o077 == 0  # password hashes inside: private to the owner
    before = users(sqlite_app)

    with sqlite_app.app_context(), writing():
        accounts.create_user("olu@example.com", "Olu Student", "student", PASSWORD)
        sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
        sam.name = "Renamed"
        db.session.commit()
    assert users(sqlite_app) != before

    declined = runner.invoke(args=["restore", str(dest)], input="n\n")
    assert declined.exit_code == 1 and "nothing was changed" in declined.output
    assert "olu@example.com" in users(sqlite_app)
    assert not list(live.parent.glob("*.before-restore"))

    result = runner.invoke(args=["restore", str(dest)], input="y\n")
    assert result.exit_code == 0, result.output
    assert users(sqlite_app) == before
    kept = list(live.parent.glob("*.before-restore"))
    assert len(kept) == 1 and str(kept[0]) in result.output
    assert ("olu@example.com",) in rows(kept[0], "SELECT email FROM users")
    assert rows(live, "PRAGMA journal_mode") == [("wal",)]
    assert rows(live, "PRAGMA integrity_check") == [("ok",)]
    # The backup itself is untouched, and the app goes on working on the restored data.
    assert sorted(rows(dest, "SELECT email FROM users")) == sorted((e,) for e in before)
    with sqlite_app.app_context(), writing():
        accounts.create_user("new@example.com", "New Student", "student", PASSWORD)
        db.session.commit()
    assert set(users(sqlite_app)) == set(before) | {"new@example.com"}


def _insert_cohort(conn: sqlite3.Connection, name: str) -> None:
    conn.execute(
        "INSERT INTO cohorts (name, description, created_at) VALUES (?, '', '2026-12-01 10:00:00.000000')", (name,)
    )


def _writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=5, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def test_backup_ignores_an_open_write_transaction(sqlite_app, live, tmp_path):
    holder = _writer(live)
    try:
        holder.execute("BEGIN IMMEDIATE")
        _insert_cohort(holder, "uncommitted")
        started = time.monotonic()
        result = sqlite_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "during.db")])
        assert result.exit_code == 0, result.output
        assert time.monotonic() - started < 4  # did not wait for the writer's lock
        holder.execute("COMMIT")
    finally:
        holder.close()
    assert rows(tmp_path / "during.db", "SELECT count(*) FROM cohorts") == [(0,)]
    assert rows(live, "SELECT name FROM cohorts") == [("uncommitted",)]


def test_backup_while_another_connection_writes_is_consistent(sqlite_app, live, tmp_path):
    """Each of the writer's transactions adds two cohorts: a consistent copy holds an even number."""
    stop = threading.Event()
    committed = [0]
    errors: list[BaseException] = []

    def write() -> None:
        conn = _writer(live)
        try:
            n = 0
            while not stop.is_set():
                conn.execute("BEGIN IMMEDIATE")
                _insert_cohort(conn, f"pair {n} a")
                _insert_cohort(conn, f"pair {n} b")
                conn.execute("COMMIT")
                n += 1
                committed[0] = n
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            conn.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while committed[0] < 20:
            time.sleep(0.01)
        counts = []
        for i in range(3):
            result = sqlite_app.test_cli_runner().invoke(args=["backup", str(tmp_path / f"busy{i}.db")])
            assert result.exit_code == 0, result.output
            (count,) = rows(tmp_path / f"busy{i}.db", "SELECT count(*) FROM cohorts")[0]
            assert rows(tmp_path / f"busy{i}.db", "PRAGMA integrity_check") == [("ok",)]
            counts.append(count)
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert all(count % 2 == 0 and count >= 40 for count in counts), counts
    assert counts == sorted(counts)
    assert rows(live, "SELECT count(*) FROM cohorts")[0][0] == 2 * committed[0] >= counts[-1]


def test_backup_refuses_an_existing_path_unless_forced(sqlite_app, live, tmp_path):
    dest = tmp_path / "precious.db"
    dest.write_text("keep me")
    result = sqlite_app.test_cli_runner().invoke(args=["backup", str(dest)])
    assert result.exit_code == 1
    assert "already exists" in result.output and "--force" in result.output
    assert dest.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["precious.db"]  # no half-written leftovers

    same = sqlite_app.test_cli_runner().invoke(args=["backup", str(live), "--force"])
    assert same.exit_code == 1 and "live database itself" in same.output

    forced = sqlite_app.test_cli_runner().invoke(args=["backup", str(dest), "--force"])
    assert forced.exit_code == 0, forced.output
    assert is_sqlite(dest)
    assert [p.name for p in tmp_path.iterdir()] == ["precious.db"]


def test_restore_refuses_what_is_not_a_backup_of_this_academy(sqlite_app, live, tmp_path):
    before = users(sqlite_app)
    text_file = tmp_path / "notes.db"
    text_file.write_text("not a database at all, just text that is long enough")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    future = tmp_path / "future.db"
    assert sqlite_app.test_cli_runner().invoke(args=["backup", str(future)]).exit_code == 0
    conn = sqlite3.connect(future)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()

    runner = sqlite_app.test_cli_runner()
    cases = {
        text_file: "is not an SQLite database",
        other: "not one of this academy",
        future: "which these migrations do not know",
        live: "live database itself",
    }
    for path, message in cases.items():
        result = runner.invoke(args=["restore", str(path), "--yes"])
        assert result.exit_code == 1, (path, result.output)
        assert message in result.output, (path, result.output)
    assert users(sqlite_app) == before
    assert not list(live.parent.glob("*.before-restore"))
    assert not list(live.parent.glob("*.partial"))


def test_restore_upgrades_a_backup_from_an_older_revision(sqlite_app, live, tmp_path):
    old_app = _make_app(tmp_path, auto_migrate=False)
    with old_app.app_context():
        upgrade(directory=old_app.extensions["migrate"].directory, revision="0001")
        with db.engine.begin() as conn:
            for statement in FIRST_REVISION_ROWS:  # users, a module version, an attempt with answers
                conn.exec_driver_sql(statement)
        db.session.remove()
        db.engine.dispose()
    old = tmp_path / "academy.db"

    result = sqlite_app.test_cli_runner().invoke(args=["restore", str(old), "--yes"])
    assert result.exit_code == 0, result.output
    assert "upgraded it from revision 0001" in result.output
    assert users(sqlite_app) == {"ada@example.com": "Ada Admin", "sam@example.com": "Sam Student"}
    with sqlite_app.app_context():
        sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
        assert sam.must_change_password is False
        # Upgrading rebuilds tables on SQLite: the attempt, its answers and the publisher survive.
        attempt = db.session.scalar(select(Attempt))
        assert attempt.user_id == sam.id and attempt.deadline is None
        assert len(db.session.scalars(select(Answer)).all()) == 2
        assert db.session.scalar(select(ModuleVersion)).published_by_id is not None
        db.session.remove()
    with sqlite_app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # enforcement is back on
        db.session.remove()
    head = rows(live, "SELECT version_num FROM alembic_version")
    assert head != [("0001",)] and len(head) == 1
    assert rows(old, "SELECT version_num FROM alembic_version") == [("0001",)]  # the file given is untouched


def test_restore_puts_the_previous_database_back_when_the_upgrade_loses_rows(sqlite_app, live, tmp_path):
    old_app = _make_app(tmp_path, auto_migrate=False)
    with old_app.app_context():
        upgrade(directory=old_app.extensions["migrate"].directory, revision="0001")
        with db.engine.begin() as conn:
            for statement in FIRST_REVISION_ROWS:
                conn.exec_driver_sql(statement)
        db.session.remove()
        db.engine.dispose()
    before = users(sqlite_app)

    def bad_upgrade() -> None:  # a migration that deletes what it should have kept
        conn = sqlite3.connect(live, isolation_level=None)
        conn.execute("DELETE FROM answers")
        conn.close()

    with sqlite_app.app_context(), pytest.raises(backups.BackupError, match="lost rows: answers 2 -> 0"):
        restore.restore_sqlite(
            live,
            tmp_path / "academy.db",
            Path(sqlite_app.extensions["migrate"].directory),
            confirm=lambda *_: True,
            upgrade=bad_upgrade,
            release=lambda: db.engine.dispose(),
        )
    assert users(sqlite_app) == before
    assert rows(live, "SELECT count(*) FROM answers") == [(0,)]
    assert rows(live, "PRAGMA integrity_check") == [("ok",)]


# --- tampered backups: the schema must be the one the migrations make ---------------------


def schema(path: Path) -> list[tuple]:
    return rows(path, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")


def tampered(runner, tmp_path: Path, *statements: str) -> Path:
    """An honest backup of the live academy, then changed by hand with ``statements``."""
    dest = tmp_path / "tampered.db"
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(dest, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()
    return dest


def assert_refused_and_untouched(sqlite_app: Flask, live: Path, backup: Path, message: str) -> None:
    before_users, before_schema = users(sqlite_app), schema(live)
    result = sqlite_app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 1, result.output
    assert message in result.output, result.output
    assert "nothing was changed" in result.output
    assert users(sqlite_app) == before_users
    assert schema(live) == before_schema
    assert not list(live.parent.glob("*.before-restore"))
    assert not list(live.parent.glob("*.partial"))


PROMOTE_ON_SIGN_IN = (
    "CREATE TRIGGER promote_on_sign_in AFTER INSERT ON user_sessions "
    "BEGIN UPDATE users SET role = 'admin' WHERE id = NEW.user_id; END"
)


def test_restore_refuses_a_backup_with_an_added_trigger(sqlite_app, live, tmp_path):
    backup = tampered(sqlite_app.test_cli_runner(), tmp_path, PROMOTE_ON_SIGN_IN)
    assert_refused_and_untouched(sqlite_app, live, backup, "extra trigger promote_on_sign_in on user_sessions")
    assert not rows(live, "SELECT name FROM sqlite_master WHERE type = 'trigger'")


@pytest.mark.parametrize(
    ("statements", "message"),
    [
        (
            ["CREATE VIEW staff_hashes AS SELECT email, password_hash FROM users WHERE role <> 'student'"],
            "extra view staff_hashes",
        ),
        (["CREATE TABLE notes (body TEXT)"], "extra table notes"),
        (["CREATE INDEX ix_users_name ON users (name)"], "extra index ix_users_name on users"),
        (["DROP INDEX ix_user_sessions_user_id"], "missing index ix_user_sessions_user_id on user_sessions"),
        (["ALTER TABLE users ADD COLUMN superuser BOOLEAN DEFAULT 1"], "different table users"),
        (["DROP TABLE user_sessions"], "missing table user_sessions"),
    ],
    ids=["extra view", "extra table", "extra index", "missing index", "added column", "missing table"],
)
def test_restore_refuses_a_backup_whose_schema_was_changed(sqlite_app, live, tmp_path, statements, message):
    backup = tampered(sqlite_app.test_cli_runner(), tmp_path, *statements)
    assert_refused_and_untouched(sqlite_app, live, backup, message)


def test_restore_refuses_a_file_holding_only_alembic_version_and_commands_keep_working(sqlite_app, live, tmp_path):
    (revision,) = rows(live, "SELECT version_num FROM alembic_version")[0]
    honest = tmp_path / "honest.db"
    assert sqlite_app.test_cli_runner().invoke(args=["backup", str(honest)]).exit_code == 0
    conn = sqlite3.connect(honest, isolation_level=None)
    conn.execute("ANALYZE")  # SQLite's own statistics tables are not part of the schema check
    conn.close()
    empty = tmp_path / "only-version.db"
    conn = sqlite3.connect(empty, isolation_level=None)
    conn.execute(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    )
    conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    conn.close()

    assert_refused_and_untouched(sqlite_app, live, empty, "missing table academy; missing table answers")

    # The next `flask` command starts a new app on the same database: it still works, restore included.
    again = _make_app(live.parent)
    try:
        assert again.test_cli_runner().invoke(args=["backup", str(tmp_path / "after.db")]).exit_code == 0
        result = again.test_cli_runner().invoke(args=["restore", str(honest), "--yes"])
        assert result.exit_code == 0, result.output
    finally:
        with again.app_context():
            db.session.remove()
            db.engine.dispose()
    assert set(users(sqlite_app)) == {"admin@example.com", "sam@example.com"}


def test_schema_comparison_ignores_whitespace_quoting_and_case_but_not_literals():
    same = normalise_sql
    assert same('CREATE TABLE "users" (\n\tid INTEGER NOT NULL ,\n  "name" TEXT)') == same(
        "create table users(id integer not null, name text)"
    )
    assert same("CREATE TABLE t (role TEXT CHECK (role IN ('a', 'b')))") != same(
        "CREATE TABLE t (role TEXT CHECK (role IN ('a', 'b ')))"
    )
    assert same('CREATE TABLE t ("a b" TEXT)') != same("CREATE TABLE t (a b TEXT)")
    assert same("CREATE TABLE t (a TEXT) -- note") == same("CREATE TABLE t (a TEXT)")
    # Alembic rebuilds a table with its constraints in any order; the columns' order is kept.
    assert same("CREATE TABLE t (a INT, b INT, CONSTRAINT pk PRIMARY KEY (a), CHECK (b IN (1, 2)))") == same(
        "CREATE TABLE t (a INT, b INT, CHECK (b IN (1, 2)), CONSTRAINT pk PRIMARY KEY (a))"
    )
    assert same("CREATE TABLE t (a INT, b INT)") != same("CREATE TABLE t (b INT, a INT)")
