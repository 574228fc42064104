"""Migrations: from the first revision to the latest with data in place, back down, and in step with the models.

Each test runs on a fresh SQLite file, and also on a fresh PostgreSQL database (created and
dropped here, on the server of TEST_DATABASE_URL) when that variable is set.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from app import create_app, database_url
from training.extensions import db
from training.models import Answer, Attempt, AttemptTopic, User

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
_numbers = itertools.count()

# Rows as the first revision knows them, in plain SQL (the models may have moved on since).
FIRST_REVISION_ROWS = [
    "INSERT INTO academy (id, name, created_at) VALUES (1, 'Old Academy', '2026-11-21 12:00:00.000000')",
    "INSERT INTO users (email, name, role, password_hash, active, session_epoch, created_at) VALUES "
    "('ada@example.com', 'Ada Admin', 'admin', 'hash-a', true, 0, '2026-11-21 12:00:00.000000')",
    "INSERT INTO users (email, name, role, password_hash, active, session_epoch, created_at) VALUES "
    "('sam@example.com', 'Sam Student', 'student', 'hash-s', true, 2, '2026-11-21 12:01:00.000000')",
    "INSERT INTO lessons (slug, title, procedure, document, content_hash, updated_at) VALUES "
    "('nerves', 'Nerves', 'pdo-threads', '{\"kind\": \"lesson\"}', 'h-lesson', '2026-11-21 12:00:00.000000')",
    "INSERT INTO modules (slug, title, procedure, created_at) VALUES "
    "('old-module', 'Old Module', 'pdo-threads', '2026-11-21 12:00:00.000000')",
    "INSERT INTO module_versions (module_id, number, document, content_hash, item_count, published_at, "
    'published_by_id) SELECT m.id, 1, \'{"kind": "module", "slug": "old-module"}\', \'h-module\', 2, '
    "'2026-11-21 12:02:00.000000', u.id FROM modules m, users u "
    "WHERE m.slug = 'old-module' AND u.email = 'ada@example.com'",
    "INSERT INTO attempts (user_id, module_id, version_id, status, stage_index, last_seq, seed, started_at, "
    "submitted_at, score, max_score, passed) SELECT u.id, v.module_id, v.id, 'submitted', 1, 2, 42, "
    "'2026-11-21 12:03:00.000000', '2026-11-21 12:09:00.000000', 1.5, 2.0, true "
    "FROM users u, module_versions v WHERE u.email = 'sam@example.com'",
    "INSERT INTO answers (attempt_id, item_key, topic, response, seq, saved_at, awarded, points) "
    "SELECT id, 'q1', 'anatomy', '{\"choice\": \"b\"}', 1, '2026-11-21 12:04:00.000000', 1.0, 1.0 FROM attempts",
    "INSERT INTO answers (attempt_id, item_key, topic, response, seq, saved_at, awarded, points) "
    "SELECT id, 'q2', 'aftercare', '[\"a\", \"c\"]', 2, '2026-11-21 12:05:00.000000', 0.5, 1.0 FROM attempts",
]


def _postgres_database(name: str) -> tuple[str, object]:
    """A new, empty database on the test server; returns its URL and the admin engine to drop it with."""
    base = make_url(database_url(os.environ["TEST_DATABASE_URL"]))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return base.set(database=name).render_as_string(hide_password=False), admin


@pytest.fixture(params=BACKENDS)
def fresh(request, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database that is not migrated at start-up."""
    admin = None
    name = f"academy_migrations_{os.getpid()}_{next(_numbers)}"
    if request.param == "postgresql":
        url, admin = _postgres_database(name)
    else:
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret",
            "AUTO_MIGRATE": False,
            "LOAD_STARTER_CONTENT": False,
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def migrations_dir(app: Flask) -> str:
    return app.extensions["migrate"].directory


def revisions(app: Flask) -> list[str]:
    """Every revision, first to last (the history is one line)."""
    script = ScriptDirectory(migrations_dir(app))
    assert len(script.get_heads()) == 1, "the migrations have more than one head"
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def current(app: Flask) -> list[tuple]:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).fetchall()


def snapshot(app: Flask) -> dict[str, list[tuple]]:
    """The rows inserted at the first revision, in the first revision's columns."""
    queries = {
        "academy": "SELECT id, name FROM academy",
        "users": "SELECT email, name, role, password_hash, active, session_epoch FROM users ORDER BY email",
        "lessons": "SELECT slug, title, content_hash FROM lessons",
        "modules": "SELECT slug, title FROM modules",
        "versions": "SELECT v.number, v.content_hash, v.item_count, u.email FROM module_versions v "
        "JOIN users u ON u.id = v.published_by_id",
        "attempts": "SELECT u.email, a.status, a.stage_index, a.last_seq, a.seed, a.score, a.max_score, a.passed "
        "FROM attempts a JOIN users u ON u.id = a.user_id",
        "answers": "SELECT item_key, topic, seq, awarded, points FROM answers ORDER BY item_key",
    }
    with db.engine.connect() as conn:
        return {name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in queries.items()}


def test_upgrade_from_the_first_revision_to_the_latest_with_data_in_place(fresh):
    directory = migrations_dir(fresh)
    history = revisions(fresh)
    assert history[0] == "0001" and len(history) >= 2
    with fresh.app_context():
        upgrade(directory=directory, revision=history[0])
        with db.engine.begin() as conn:
            for statement in FIRST_REVISION_ROWS:
                conn.exec_driver_sql(statement)
        expected = snapshot(fresh)
        assert len(expected["users"]) == 2 and len(expected["answers"]) == 2

        for revision in history[1:]:
            upgrade(directory=directory, revision=revision)
            assert current(fresh) == [(revision,)]
            assert snapshot(fresh) == expected, f"rows changed by the upgrade to {revision}"
            columns = {
                table: {c["name"] for c in inspect(db.engine).get_columns(table)} for table in ("users", "attempts")
            }
            with db.engine.connect() as conn:
                if "deadline" in columns["attempts"]:  # 0003: existing attempts have no deadline
                    assert conn.execute(text("SELECT deadline FROM attempts")).fetchall() == [(None,)]
                if "must_change_password" in columns["users"]:  # 0004: nobody must change their password
                    flags = conn.execute(text("SELECT must_change_password FROM users")).scalars().all()
                    assert [bool(flag) for flag in flags] == [False, False]
                if "attempt_topics" in inspect(db.engine).get_table_names():  # 0006: totals of old attempts
                    totals = conn.execute(
                        text("SELECT topic, awarded, points, items FROM attempt_topics ORDER BY topic")
                    ).fetchall()
                    assert [tuple(row) for row in totals] == [("aftercare", 0.5, 1.0, 1), ("anatomy", 1.0, 1.0, 1)]
                if "module_editors" in inspect(db.engine).get_table_names():  # 0007: its first publisher edits it
                    editors = conn.execute(
                        text("SELECT u.email FROM module_editors e JOIN users u ON u.id = e.user_id")
                    ).fetchall()
                    assert [tuple(row) for row in editors] == [("ada@example.com",)]

        # At the latest revision the models read the old rows.
        sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
        assert sam.must_change_password is False and sam.session_epoch == 2 and sam.is_active
        attempt = db.session.scalar(select(Attempt))
        assert attempt.user_id == sam.id and attempt.deadline is None and attempt.passed is True
        assert attempt.started_at.tzinfo is not None and attempt.percent == 75.0
        answers = db.session.scalars(select(Answer).order_by(Answer.item_key)).all()
        assert [a.response for a in answers] == [{"choice": "b"}, ["a", "c"]]
        totals = db.session.scalars(select(AttemptTopic).order_by(AttemptTopic.topic)).all()
        assert [(t.attempt_id, t.user_id, t.module_id) for t in totals] == [(attempt.id, sam.id, attempt.module_id)] * 2
        db.session.remove()

        # Every revision has a downgrade; stepping down keeps the first revision's rows.
        for revision in reversed(history[:-1]):
            downgrade(directory=directory, revision=revision)
            assert current(fresh) == [(revision,)]
            assert snapshot(fresh) == expected, f"rows changed by the downgrade to {revision}"
        downgrade(directory=directory, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        assert current(fresh) == []
        db.engine.dispose()


def test_models_and_migrations_match(fresh):
    with fresh.app_context():
        upgrade(directory=migrations_dir(fresh))
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], "the models and the migrations differ; run flask db migrate"


# Modules as revision 0006 knows them: one first published by Ada (later republished by Bo),
# one the command line brought in (published by nobody) and one never published, drafted by Bo.
EDITOR_BACKFILL_ROWS = [
    "INSERT INTO users (email, name, role, password_hash, active, session_epoch, created_at) VALUES "
    "('ada@example.com', 'Ada', 'instructor', 'h', true, 0, '2026-11-21 12:00:00.000000')",
    "INSERT INTO users (email, name, role, password_hash, active, session_epoch, created_at) VALUES "
    "('bo@example.com', 'Bo', 'instructor', 'h', true, 0, '2026-11-21 12:00:00.000000')",
    "INSERT INTO modules (slug, title, procedure, created_at) VALUES "
    "('by-ada', 'By Ada', 'mixed', '2026-11-21 12:00:00.000000'), "
    "('from-cli', 'From the CLI', 'mixed', '2026-11-21 12:00:00.000000'), "
    "('draft-only', 'Draft only', 'mixed', '2026-11-21 12:00:00.000000')",
    "INSERT INTO module_versions (module_id, number, document, content_hash, item_count, published_at, "
    "published_by_id) SELECT m.id, n.number, '{}', 'h', 1, '2026-11-21 12:02:00.000000', u.id "
    "FROM modules m, users u, (SELECT 1 AS number UNION SELECT 2) n WHERE m.slug = 'by-ada' "
    "AND u.email = CASE WHEN n.number = 1 THEN 'ada@example.com' ELSE 'bo@example.com' END",
    "INSERT INTO module_versions (module_id, number, document, content_hash, item_count, published_at) "
    "SELECT id, 1, '{}', 'h', 1, '2026-11-21 12:02:00.000000' FROM modules WHERE slug = 'from-cli'",
    "INSERT INTO module_drafts (module_id, document, updated_at, updated_by_id) "
    "SELECT m.id, '{}', '2026-11-21 12:05:00.000000', u.id FROM modules m, users u "
    "WHERE m.slug = 'draft-only' AND u.email = 'bo@example.com'",
]


def test_0007_makes_the_author_each_module_records_its_editor(fresh):
    directory = migrations_dir(fresh)
    with fresh.app_context():
        upgrade(directory=directory, revision="0006")
        with db.engine.begin() as conn:
            for statement in EDITOR_BACKFILL_ROWS:
                conn.exec_driver_sql(statement)
        upgrade(directory=directory, revision="0007")
        with db.engine.connect() as conn:
            editors = conn.execute(
                text(
                    "SELECT m.slug, u.email, e.added_by_id FROM module_editors e "
                    "JOIN modules m ON m.id = e.module_id JOIN users u ON u.id = e.user_id ORDER BY m.slug"
                )
            ).fetchall()
        assert [tuple(row) for row in editors] == [
            ("by-ada", "ada@example.com", None),
            ("draft-only", "bo@example.com", None),
        ]
        downgrade(directory=directory, revision="0006")
        assert "module_editors" not in inspect(db.engine).get_table_names()
        db.engine.dispose()


def _moved_by_0009() -> list[tuple[str, str, str, str]]:
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0009_red_flags_topic.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration.MOVED


# One student's submitted attempts at a shipped module and at an academy's own module that
# happens to reuse an item key, plus an open attempt at the shipped module, as 0008 knows them.
def _red_flag_rows() -> list[str]:
    return [
        "INSERT INTO users (email, name, role, password_hash, active, session_epoch, created_at) VALUES "
        "('sam@example.com', 'Sam', 'student', 'h', true, 0, '2026-11-21 12:00:00.000000')",
        "INSERT INTO modules (slug, title, procedure, created_at) VALUES (:slug, 'Shipped', 'mixed', "
        "'2026-11-21 12:00:00.000000'), ('our-own', 'Our own', 'mixed', '2026-11-21 12:00:00.000000')",
        "INSERT INTO module_versions (module_id, number, document, content_hash, item_count, published_at) "
        "SELECT id, 1, '{}', 'h', 2, '2026-11-21 12:02:00.000000' FROM modules",
        "INSERT INTO attempts (user_id, module_id, version_id, status, stage_index, last_seq, seed, started_at, "
        "submitted_at, score, max_score, passed) SELECT u.id, v.module_id, v.id, 'submitted', 0, 2, 1, "
        "'2026-11-21 12:03:00.000000', '2026-11-21 12:09:00.000000', 1.5, 2.0, true FROM users u, module_versions v",
        "INSERT INTO attempts (user_id, module_id, version_id, status, stage_index, last_seq, seed, started_at) "
        "SELECT u.id, v.module_id, v.id, 'open', 0, 1, 2, '2026-11-22 12:03:00.000000' FROM users u, "
        "module_versions v JOIN modules m ON m.id = v.module_id WHERE m.slug = :slug",
        "INSERT INTO answers (attempt_id, item_key, topic, response, seq, saved_at, awarded, points) "
        "SELECT id, :key, :before, '\"a\"', 1, '2026-11-21 12:04:00.000000', "
        "CASE WHEN status = 'submitted' THEN 0.5 END, 1.0 FROM attempts",
        "INSERT INTO answers (attempt_id, item_key, topic, response, seq, saved_at, awarded, points) "
        "SELECT id, 'unmoved', 'anatomy', '\"b\"', 2, '2026-11-21 12:05:00.000000', "
        "CASE WHEN status = 'submitted' THEN 1.0 END, 1.0 FROM attempts",
        "INSERT INTO attempt_topics (attempt_id, topic, user_id, module_id, awarded, points, items) "
        "SELECT ans.attempt_id, ans.topic, a.user_id, a.module_id, SUM(ans.awarded), SUM(ans.points), COUNT(*) "
        "FROM answers ans JOIN attempts a ON a.id = ans.attempt_id WHERE a.status = 'submitted' "
        "GROUP BY ans.attempt_id, ans.topic, a.user_id, a.module_id",
    ]


def test_0009_files_past_answers_to_moved_questions_under_their_new_topic(fresh):
    moved = _moved_by_0009()
    assert any(after == "red-flags" for *_, after in moved), "the triage questions move to red flags"
    slug, key, before, after = next(m for m in moved if m[3] == "red-flags")
    directory = migrations_dir(fresh)
    answers = (
        "SELECT m.slug, a.status, ans.item_key, ans.topic FROM answers ans JOIN attempts a ON a.id = ans.attempt_id "
        "JOIN modules m ON m.id = a.module_id ORDER BY m.slug, a.status, ans.item_key"
    )
    totals = (
        "SELECT m.slug, t.topic, t.awarded, t.points, t.items FROM attempt_topics t "
        "JOIN modules m ON m.id = t.module_id ORDER BY m.slug, t.topic"
    )
    with fresh.app_context():
        upgrade(directory=directory, revision="0008")
        with db.engine.begin() as conn:
            for statement in _red_flag_rows():
                conn.execute(text(statement), {"slug": slug, "key": key, "before": before})
        with db.engine.connect() as conn:
            answers_before = [tuple(r) for r in conn.execute(text(answers))]
            totals_before = [tuple(r) for r in conn.execute(text(totals))]

        upgrade(directory=directory, revision="0009")
        with db.engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(text(answers))] == sorted(
                [
                    ("our-own", "submitted", key, before),  # an academy's own module keeps its topics
                    ("our-own", "submitted", "unmoved", "anatomy"),
                    (slug, "open", key, after),  # an open attempt's saved answer follows too
                    (slug, "open", "unmoved", "anatomy"),
                    (slug, "submitted", key, after),
                    (slug, "submitted", "unmoved", "anatomy"),
                ]
            )
            assert [tuple(r) for r in conn.execute(text(totals))] == sorted(
                [
                    ("our-own", before, 0.5, 1.0, 1),
                    ("our-own", "anatomy", 1.0, 1.0, 1),
                    (slug, after, 0.5, 1.0, 1),
                    (slug, "anatomy", 1.0, 1.0, 1),
                ]
            )
            scores = conn.execute(text("SELECT score, max_score, passed FROM attempts WHERE status = 'submitted'"))
            assert {tuple(r) for r in scores} == {(1.5, 2.0, True)}, "marks and scores do not change"

        downgrade(directory=directory, revision="0008")
        with db.engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(text(answers))] == answers_before
            assert [tuple(r) for r in conn.execute(text(totals))] == totals_before
        db.engine.dispose()
