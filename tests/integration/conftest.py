"""Fixtures for tests that need the app, a client and a database."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text

from app import create_app, database_url
from tests.feature_pack import feature_pack
from training.database import writing
from training.extensions import db, limiter
from training.models import Cohort, CohortInstructor, CohortMember, ModuleEditor, ModuleRow, Role, User
from training.services import accounts, content

PASSWORD = "a long test password"


def _reset_postgres(url: str) -> None:
    """Start the PostgreSQL test database from an empty schema, so migrations run from scratch."""
    from sqlalchemy import create_engine

    engine = create_engine(database_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    """One app for the session, migrated from the first revision on an empty database."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url(url),
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "LOAD_STARTER_CONTENT": False,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def clean_db(app: Flask) -> Iterator[None]:
    """Every test starts from empty tables (the schema stays)."""
    yield
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
    app.extensions.pop("academy_ready", None)
    with app.app_context():
        limiter.reset()  # sign-in throttle counts start from zero in every test (also in Redis)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for service-level tests; writes begin IMMEDIATE as in a request."""
    with app.app_context(), writing():
        yield
        db.session.rollback()


def make_user(app: Flask, email: str, role: str = Role.STUDENT, name: str = "") -> int:
    """Create a user and return its id."""
    with app.app_context(), writing():
        user = accounts.create_user(email, name or email.split("@")[0].title(), role, PASSWORD)
        db.session.commit()
        return user.id


@pytest.fixture
def academy(app: Flask) -> int:
    """A set-up academy; returns its admin's id."""
    with app.app_context(), writing():
        admin = accounts.set_up_academy("Test Academy", "admin@example.com", "Ada Admin", PASSWORD)
        db.session.commit()
        return admin.id


@pytest.fixture
def starter(app: Flask, academy) -> str:
    """The shipped packs imported (Ina, if she exists, edits them); returns the starter module's slug."""
    with app.app_context(), writing():
        content.import_pack(feature_pack())
        _ina_edits_every_module()
        db.session.commit()
    return "thread-lift-nerve-pain"


def _ina_edits_every_module() -> None:
    """Make Ina (``instructor``) an editor of every module, as an admin would: the packs come in with none."""
    ina = user_by_email("ina@example.com")
    if ina is not None:
        editing = set(db.session.scalars(select(ModuleEditor.module_id).where(ModuleEditor.user_id == ina.id)))
        for module_id in db.session.scalars(select(ModuleRow.id)):
            if module_id not in editing:
                db.session.add(ModuleEditor(module_id=module_id, user_id=ina.id))


@pytest.fixture
def student(app: Flask, academy) -> int:
    """A student's user id."""
    return make_user(app, "sam@example.com")


@pytest.fixture
def other_student(app: Flask, academy) -> int:
    """Another student's user id."""
    return make_user(app, "olu@example.com")


@pytest.fixture
def instructor(app, academy) -> int:
    """Ina, an instructor who edits every module already imported (and the starter modules, whenever imported)."""
    user_id = make_user(app, "ina@example.com", Role.INSTRUCTOR, name="Ina Instructor")
    with app.app_context(), writing():
        _ina_edits_every_module()
        db.session.commit()
    return user_id


@pytest.fixture
def admin_client(app: Flask, academy) -> FlaskClient:
    """A client signed in as the academy's admin (made by the ``academy`` fixture)."""
    client = app.test_client()
    assert login(client, "admin@example.com").status_code == 302
    return client


@pytest.fixture
def instructor_client(app, instructor):
    client = app.test_client()
    assert login(client, "ina@example.com", PASSWORD).status_code == 302
    return client


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    """Sign in through the real form."""
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def student_client(app: Flask, student) -> FlaskClient:
    """A client signed in as the student."""
    client = app.test_client()
    assert login(client, "sam@example.com").status_code == 302
    return client


@pytest.fixture
def other_client(app: Flask, other_student) -> FlaskClient:
    """A client signed in as the other student."""
    client = app.test_client()
    assert login(client, "olu@example.com").status_code == 302
    return client


def teach_cohort(app: Flask, instructor_id: int, student_id: int, name: str = "Cohort A") -> int:
    """A cohort in which the instructor teaches the student; returns its id."""
    with app.app_context(), writing():
        cohort = Cohort(name=name)
        db.session.add(cohort)
        db.session.flush()
        db.session.add_all(
            [
                CohortMember(cohort_id=cohort.id, user_id=student_id),
                CohortInstructor(cohort_id=cohort.id, user_id=instructor_id),
            ]
        )
        db.session.commit()
        return cohort.id


def start_attempt(client: FlaskClient, slug: str) -> int:
    """Start (or resume) the module; return the attempt id."""
    response = client.post(f"/modules/{slug}/start")
    assert response.status_code == 302, response.data
    return int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))


def module_doc(app: Flask, slug: str):
    """The latest version's document of a module."""
    with app.app_context():
        row = db.session.scalar(db.select(ModuleRow).where(ModuleRow.slug == slug))
        return content.latest_version(row.id).content


def user_by_email(email: str) -> User | None:
    """Look a user up (inside an app context)."""
    return db.session.scalar(db.select(User).where(User.email == email))


@contextlib.contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SELECT statements run inside the block (to pin query counts)."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def capture(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)
