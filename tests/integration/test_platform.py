"""The platform's foundations: configuration, migrations, SQLite settings, constraints, access rules."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from app import database_url, secret_key
from training.access import rule_for
from training.database import writing
from training.extensions import db
from training.models import Answer, Attempt
from training.models.content import _PARSED_VERSIONS

from .conftest import PASSWORD, count_queries, module_doc, start_attempt
from .test_taking import finish, post_stage


def test_postgres_urls_use_psycopg3():
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = secret_key(tmp_path)
    assert len(first) == 64 and secret_key(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_importing_the_app_module_does_nothing():
    import importlib

    import app as app_module

    before = set(os.listdir(os.path.dirname(app_module.__file__)))
    importlib.reload(app_module)
    assert set(os.listdir(os.path.dirname(app_module.__file__))) == before


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_database_runs_with_the_safe_settings(app):
    with app.app_context(), db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        else:
            assert db.engine.dialect.driver == "psycopg"  # psycopg 3
            assert conn.exec_driver_sql("SHOW default_transaction_isolation").scalar() == "read committed"


def test_writes_to_an_attempt_are_serialised(app, student_client, starter):
    """SQLite: a write request's transaction holds the write lock from its start, a read's does not.
    PostgreSQL: the attempt row is locked."""
    with app.app_context():
        engine = db.engine
    statements, locked = [], []

    def capture(conn, cursor, statement, *args):
        statements.append(statement)

    def lock_taken(conn):
        # Runs after the app's own "begin" listener: can another connection take the write lock now?
        other = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            locked.append(False)
        except sqlite3.OperationalError:
            locked.append(True)
        finally:
            other.close()

    attempt_id = start_attempt(student_client, starter)
    event.listen(engine, "before_cursor_execute", capture)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "begin", lock_taken)
    try:
        student_client.get(f"/attempts/{attempt_id}")
        reads, read_locks = list(statements), list(locked)
        statements.clear(), locked.clear()
        student_client.post(f"/attempts/{attempt_id}", data={"stage": "0", "action": "save"})
    finally:
        event.remove(engine, "before_cursor_execute", capture)
        if engine.dialect.name == "sqlite":
            event.remove(engine, "begin", lock_taken)
    if engine.dialect.name == "sqlite":
        assert read_locks and not any(read_locks)
        # First the session and user are read (no lock), then the view's transaction holds the lock.
        assert locked[0] is False and locked[1:] and all(locked[1:])
    else:
        assert not any("FOR UPDATE" in s for s in reads)
        assert any("FOR UPDATE" in s and "attempts" in s for s in statements)


def test_one_answer_per_attempt_and_item(app, student_client, starter):
    attempt_id = start_attempt(student_client, starter)
    with app.app_context(), writing():
        for _ in range(2):
            db.session.add(Answer(attempt_id=attempt_id, item_key="k", topic="anatomy", points=1))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_one_open_attempt_per_student_and_module(app, student_client, starter, student):
    attempt_id = start_attempt(student_client, starter)
    with app.app_context(), writing():
        first = db.session.get(Attempt, attempt_id)
        db.session.add(Attempt(user_id=student, module_id=first.module_id, version_id=first.version_id, seed=1))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_an_attempt_keeps_the_version_it_started_on(app, student_client, starter):
    from quizzes.content import Module
    from training.services.content import publish

    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    # Publish version 2, where every single-best-answer key moves to its last choice.
    data = doc.model_dump(mode="json")
    moved = 0
    for case in data["cases"]:
        for stage in case["stages"]:
            for item in (i for i in stage["items"] if i["type"] == "single"):
                moved += not item["choices"][-1]["correct"]
                for n, choice in enumerate(item["choices"]):
                    choice["correct"] = n == len(item["choices"]) - 1
                    choice["harmful"] = choice["harmful"] and not choice["correct"]
                    choice["feedback"] = choice["feedback"] or "changed"
    assert moved
    with app.app_context(), writing():
        assert publish(Module.model_validate(data), None).number == 2
        db.session.commit()
    finish(student_client, doc, attempt_id)  # answers with version 1's keys
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.version.number == 1 and attempt.score == attempt.max_score
    assert "version 1" in student_client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)


def test_every_route_declares_an_access_rule(app):
    with app.test_request_context():
        missing = [rule.endpoint for rule in app.url_map.iter_rules() if rule_for(rule.endpoint) is None]
    assert missing == []


def test_a_route_without_a_rule_is_refused(app, student_client):
    app.view_functions["learn.lessons"].__dict__.pop("access_rule")
    try:
        assert student_client.get("/lessons").status_code == 403
    finally:
        from training.access import SIGNED_IN

        app.view_functions["learn.lessons"].access_rule = frozenset(SIGNED_IN)


@pytest.mark.parametrize(
    "path", ["/", "/progress", "/lessons", "/lessons/x", "/modules/x", "/attempts/1", "/attempts/1/result"]
)
def test_anonymous_visitors_are_sent_to_sign_in(app, academy, path):
    response = app.test_client().get(path)
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_security_headers_are_set(app, academy):
    response = app.test_client().get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: HSTS would mean nothing


def test_behind_https_cookies_are_secure_and_hsts_is_sent(app, student):
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        client = app.test_client()
        response = client.post("/login", data={"email": "sam@example.com", "password": PASSWORD})
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def test_pages_have_no_inline_script(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    pages = ["/", "/progress", "/lessons", f"/modules/{starter}", f"/attempts/{attempt_id}"]
    for path in pages:
        html = student_client.get(path).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "onclick" not in html, path
    finish(student_client, doc, attempt_id)
    html = student_client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html


def test_unknown_pages_get_a_friendly_404(app, student_client):
    response = student_client.get("/no/such/page")
    assert response.status_code == 404 and "There is nothing here." in response.get_data(as_text=True)


def test_a_module_that_does_not_exist_is_404(student_client, starter):
    assert student_client.get("/modules/nope").status_code == 404
    assert student_client.post("/modules/nope/start").status_code == 404


def test_an_unknown_form_action_is_a_400(app, student_client, starter):
    attempt_id = start_attempt(student_client, starter)
    assert post_stage(student_client, attempt_id, 0, {}, action="explode").status_code == 400


def test_catalogue_query_count_does_not_grow_with_attempts(app, student_client, starter):
    doc = module_doc(app, starter)
    _PARSED_VERSIONS.clear()  # documents are parsed once per process: the first view reads them in one query
    with count_queries(app) as cold:
        student_client.get("/")
    with count_queries(app) as before:
        student_client.get("/")
    assert len(cold) == len(before) + 1 and sum("module_versions.document" in q for q in cold) == 1
    for _ in range(3):
        finish(student_client, doc, start_attempt(student_client, starter))
    with count_queries(app) as after:
        student_client.get("/")
    assert len(after) == len(before) <= 6, after
