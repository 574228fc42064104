"""Set-up of the academy, sign-in, sign-out, sessions and CSRF."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from training.database import writing
from training.extensions import db
from training.models import Academy, AuditEvent, Role, User, UserSession
from training.models.types import utcnow
from training.services import accounts

from .conftest import PASSWORD, login, make_user, user_by_email

SETUP = {
    "academy_name": "Luna Academy",
    "name": "Ada Admin",
    "email": "Ada@Example.com",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def test_empty_database_sends_everyone_to_setup(app):
    client = app.test_client()
    for path in ("/", "/login", "/lessons"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/setup")


def test_setup_creates_the_academy_and_first_admin_and_signs_in(app):
    client = app.test_client()
    response = client.post("/setup", data=SETUP)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    with app.app_context():
        admin = user_by_email("ada@example.com")
        assert admin.role == Role.ADMIN and admin.password_hash.startswith("$argon2id$")
        assert db.session.get(Academy, 1).name == "Luna Academy"
    page = client.get("/").get_data(as_text=True)
    assert "Luna Academy" in page and "Ada Admin" in page


def test_setup_is_gone_once_an_admin_exists(app, academy):
    client = app.test_client()
    assert client.get("/setup").headers["Location"].endswith("/login")
    client.post("/setup", data={**SETUP, "email": "mallory@example.com"})
    with app.app_context():
        assert user_by_email("mallory@example.com") is None
        assert db.session.scalar(select(func.count(User.id)).where(User.role == Role.ADMIN)) == 1


def test_setup_form_errors_keep_what_was_typed(app):
    response = app.test_client().post("/setup", data={**SETUP, "confirm": "something else entirely"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The passwords differ." in page
    assert 'value="Luna Academy"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_short_password_is_refused_at_setup(app):
    response = app.test_client().post("/setup", data={**SETUP, "password": "short", "confirm": "short"})
    assert "at least 10 characters" in response.get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_the_same_message(app, student):
    client = app.test_client()
    wrong = client.post("/login", data={"email": "sam@example.com", "password": "not the password"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 200
    message = "That email and password do not match an active account."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_email_is_case_insensitive_at_sign_in(app, student):
    assert login(app.test_client(), "  SAM@example.COM ").status_code == 302


def test_deactivated_user_cannot_sign_in(app, student):
    with app.app_context():
        db.session.get(User, student).active = False
        db.session.commit()
    response = login(app.test_client(), "sam@example.com")
    assert response.status_code == 200


def test_sign_in_starts_a_fresh_session(app, student):
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "sam@example.com")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_login_redirects_only_to_local_paths(app, student):
    client = app.test_client()
    response = client.post("/login?next=https://evil.example/", data={"email": "sam@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/dashboard"  # a student's default landing page
    client.post("/logout")
    response = client.post("/login?next=/progress", data={"email": "sam@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/progress"


# Each is percent-encoded as an attacker would put it in a link; the browser reads the decoded
# value leniently (tabs and newlines dropped, backslashes as slashes, two slashes as a host).
HOSTILE_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "/%09/evil.example/",
    "/%0a/evil.example/",
    "/%0d%0a/evil.example/",
    "%09//evil.example/",
    "/%5Cevil.example/",
    "/%5C%5Cevil.example/",
    "%5C%5Cevil.example/",
    "/%2F/evil.example/",
    "/%252F/evil.example/",
    "/%2F%2Fevil.example/",
    "%20//evil.example/",
    "/%7F/evil.example/",
    "javascript:alert(1)",
    "http:/evil.example/",
    "/progress%0d%0aSet-Cookie:%20x=1",
    "/%E3%80%80/evil.example/",
]


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_sign_in_refuses_every_next_a_browser_could_read_as_another_site(app, student, hostile):
    client = app.test_client()
    response = client.post(f"/login?next={hostile}", data={"email": "sam@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    # Already signed in, the same link is refused the same way (no 500 for CR/LF either).
    again = client.get(f"/login?next={hostile}")
    assert again.status_code == 302 and again.headers["Location"] == "/dashboard"


def test_a_nul_byte_in_next_is_refused_before_anyone_signs_in(app, student):
    response = app.test_client().post(
        "/login?next=/%00/evil.example/", data={"email": "sam@example.com", "password": PASSWORD}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


@pytest.mark.parametrize("local", ["/progress", "/modules/thread-lift-nerve-pain", "/reports?cohort=2&page=3"])
def test_sign_in_still_follows_a_plain_local_next(app, student, local):
    client = app.test_client()
    response = client.post(
        "/login", query_string={"next": local}, data={"email": "sam@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == local


def test_logout_makes_the_old_cookie_useless(app, student):
    client = app.test_client()
    login(client, "sam@example.com")
    with client.session_transaction() as session:
        stolen = dict(session)
    client.post("/logout")
    assert client.get("/progress").status_code == 302
    with client.session_transaction() as session:
        session.update(stolen)
    # The cookie's user id carries the session epoch; bumping it (as a password change
    # or "end sessions" will) signs every copy out.
    with app.app_context():
        db.session.get(User, student).session_epoch += 1
        db.session.commit()
    assert client.get("/progress").status_code == 302


def test_logout_is_a_post(app, student_client):
    assert student_client.get("/logout").status_code == 405


def test_forms_and_autosave_require_a_csrf_token(app, student_client, starter):
    app.config["WTF_CSRF_ENABLED"] = True
    assert student_client.post("/modules/thread-lift-nerve-pain/start").status_code == 400
    assert student_client.post("/logout").status_code == 400
    response = student_client.post("/attempts/1/autosave", json={"stage": 0, "item": "x", "values": [], "seq": 1})
    assert response.status_code == 400


def test_csrf_token_from_the_page_is_accepted(app, student_client, starter):
    app.config["WTF_CSRF_ENABLED"] = True
    page = student_client.get("/").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = student_client.post("/modules/thread-lift-nerve-pain/start", data={"csrf_token": token})
    assert response.status_code == 302


def test_create_user_command(app, academy):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "Ina@Example.com", "--role", "instructor", "--name", "Ina", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert user_by_email("ina@example.com").role == Role.INSTRUCTOR


def test_create_user_prompts_for_the_password(app, academy):
    result = app.test_cli_runner().invoke(
        args=["create-user", "pat@example.com", "--role", "student"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "pat@example.com").status_code == 302


def test_create_user_refuses_duplicates_bad_roles_and_short_passwords(app, student):
    runner = app.test_cli_runner()
    dup = runner.invoke(args=["create-user", "sam@example.com", "--role", "student", "--password", PASSWORD])
    assert dup.exit_code != 0 and "already exists" in dup.output
    role = runner.invoke(args=["create-user", "x@example.com", "--role", "wizard", "--password", PASSWORD])
    assert role.exit_code != 0
    short = runner.invoke(args=["create-user", "y@example.com", "--role", "student", "--password", "short"])
    assert short.exit_code != 0 and "at least" in short.output


def test_an_admin_made_on_the_command_line_closes_setup(app):
    make_user(app, "root@example.com", Role.ADMIN)
    assert app.test_client().get("/setup").headers["Location"].endswith("/login")


# --- Changing one's password, and the forced change after an admin set it ---------------


def temporary_account(app, email: str = "nia@example.com") -> str:
    """An account as an admin adds it: a temporary password that must be changed. Returns the password."""
    from training.database import writing
    from training.services import users

    with app.app_context(), writing():
        admin = user_by_email("admin@example.com")
        _user, password = users.add_user(admin, email, "Nia Nurse", Role.STUDENT)
        db.session.commit()
    return password


def password_change(current: str, new: str, confirm: str | None = None) -> dict:
    return {"current_password": current, "new_password": new, "confirm": new if confirm is None else confirm}


def test_forced_password_change_end_to_end(app, academy):
    temporary = temporary_account(app)
    earlier = app.test_client()  # a second browser, signed in before the change
    assert login(earlier, "nia@example.com", temporary).status_code == 302
    client = app.test_client()
    assert login(client, "nia@example.com", temporary).headers["Location"] == "/dashboard"

    for path in ("/", "/progress", "/lessons"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password", path
    assert client.post("/modules/anything/start").headers["Location"] == "/account/password"
    page = client.get("/account/password").get_data(as_text=True)
    assert "Choose a new password to continue" in page and "Choose your own password" in page

    wrong = client.post("/account/password", data=password_change("not the temporary one", PASSWORD))
    assert wrong.status_code == 200 and "That is not your current password." in wrong.get_data(as_text=True)
    mismatch = client.post("/account/password", data=password_change(temporary, PASSWORD, "something else here"))
    assert mismatch.status_code == 200 and "The new passwords differ." in mismatch.get_data(as_text=True)
    with app.app_context():
        nia = user_by_email("nia@example.com")
        assert nia.must_change_password and nia.session_epoch == 0

    done = client.post("/account/password", data=password_change(temporary, PASSWORD))
    assert done.status_code == 302 and done.headers["Location"] == "/dashboard"
    assert client.get("/").status_code == 200  # this browser stays signed in
    refused = earlier.get("/")  # the old cookie of the other browser
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    with app.app_context():
        nia = user_by_email("nia@example.com")
        assert not nia.must_change_password and nia.session_epoch == 1
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_change"))
        assert (event.actor_id, event.target_type, event.target_id) == (nia.id, "user", str(nia.id))
        assert event.before == {"must_change_password": True, "session_epoch": 0}
        assert event.after == {"must_change_password": False, "session_epoch": 1}
        assert nia.password_hash not in json.dumps([event.before, event.after, event.summary])
    assert login(app.test_client(), "nia@example.com", temporary).status_code == 200  # the temporary one is gone
    assert login(app.test_client(), "nia@example.com", PASSWORD).status_code == 302


def test_sign_out_and_static_files_work_while_a_password_must_change(app, academy):
    temporary = temporary_account(app)
    client = app.test_client()
    login(client, "nia@example.com", temporary)
    with client.get("/static/css/app.css") as stylesheet:
        assert stylesheet.status_code == 200
    signed_out = client.post("/logout")
    assert signed_out.status_code == 302 and signed_out.headers["Location"] == "/login"


def test_new_password_must_be_long_enough_and_differ_from_the_current(app, student_client, student):
    short = student_client.post("/account/password", data=password_change(PASSWORD, "short"))
    assert "Use at least 10 characters." in short.get_data(as_text=True)
    same = student_client.post("/account/password", data=password_change(PASSWORD, PASSWORD))
    assert "Choose a password different from the current one." in same.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, student).session_epoch == 0
        changes = select(func.count(AuditEvent.id)).where(AuditEvent.action.not_like("auth.%"))
        assert db.session.scalar(changes) == 0  # nothing changed (sign-ins are audited, as security events)


def test_any_user_can_change_their_password_and_other_sessions_end(app, student_client, student):
    other_device = app.test_client()
    login(other_device, "sam@example.com")
    with student_client.session_transaction() as session:
        old_cookie = dict(session)
    response = student_client.post(
        "/account/password", data=password_change(PASSWORD, "a brand new passphrase"), follow_redirects=True
    )
    assert "Your password is changed." in response.get_data(as_text=True)
    assert student_client.get("/progress").status_code == 200
    assert other_device.get("/progress").headers["Location"].startswith("/login")
    # The very cookie this browser had before the change is refused too.
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(old_cookie)
    assert replay.get("/progress").headers["Location"].startswith("/login")


def test_change_password_page_needs_sign_in(app, academy):
    response = app.test_client().get("/account/password")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_signed_in_post_reads_its_user_then_begins_a_write_transaction(app, student_client):
    # The session and user are looked up in a read transaction of their own, so on SQLite
    # the write lock is not held for it; everything after (the view) is a write one
    # (BEGIN IMMEDIATE on SQLite), and a GET never is.
    from sqlalchemy import event

    from training import database

    with app.app_context():
        engine = db.engine
    intents: list[bool] = []

    def on_begin(conn):
        intents.append(database._write_intent.get())

    event.listen(engine, "begin", on_begin)
    try:
        assert student_client.post("/modules/no-such-module/start").status_code == 404
        posted, intents[:] = list(intents), []
        assert student_client.get("/progress").status_code == 200
    finally:
        event.remove(engine, "begin", on_begin)
    # Read the user, write (the view: 404), then the error page's own plain read: an error
    # page never waits for the write lock. PostgreSQL keeps the read and the write in one
    # transaction (it locks rows, not the database).
    assert posted == ([False, True, False] if engine.dialect.name == "sqlite" else [False, False])
    assert intents == [False]


def replay(app, cookie: dict):
    """A new browser holding a copy of an earlier session cookie."""
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(cookie)
    return client


def test_a_copy_of_the_cookie_is_useless_after_signing_out(app, student_client):
    with student_client.session_transaction() as session:
        copied = dict(session)
    assert replay(app, copied).get("/progress").status_code == 200  # the copy works while signed in
    student_client.post("/logout")
    assert replay(app, copied).get("/progress").headers["Location"].startswith("/login")


def test_signing_out_one_browser_keeps_the_others_signed_in(app, student_client):
    laptop = app.test_client()
    login(laptop, "sam@example.com")
    student_client.post("/logout")
    assert laptop.get("/progress").status_code == 200


def test_a_copy_of_the_cookie_is_useless_once_an_admin_ends_the_sessions(app, student_client, student, academy):
    with student_client.session_transaction() as session:
        copied = dict(session)
    admin = app.test_client()
    login(admin, "admin@example.com")
    assert admin.post(f"/admin/users/{student}/end-sessions").status_code == 302
    assert replay(app, copied).get("/progress").headers["Location"].startswith("/login")
    assert student_client.get("/progress").headers["Location"].startswith("/login")


def test_each_sign_in_gets_a_new_session_id(app, student):
    client = app.test_client()
    login(client, "sam@example.com")
    with client.session_transaction() as session:
        first = session["_user_id"]
    client.post("/logout")
    login(client, "sam@example.com")
    with client.session_transaction() as session:
        assert session["_user_id"] != first


def test_a_session_older_than_the_absolute_lifetime_is_refused(app, student_client):
    with app.app_context(), writing():
        for row in db.session.scalars(select(UserSession)):
            row.created_at = utcnow() - accounts.SESSION_LIFETIME - timedelta(minutes=1)
        db.session.commit()
    assert student_client.get("/progress").headers["Location"].startswith("/login")


def test_a_hash_made_with_older_settings_is_upgraded_at_sign_in(app, student):
    from argon2 import PasswordHasher

    with app.app_context(), writing():
        db.session.get(User, student).password_hash = PasswordHasher(time_cost=3, memory_cost=65536).hash(PASSWORD)
        db.session.commit()
    assert login(app.test_client(), "sam@example.com").status_code == 302
    with app.app_context():
        assert "m=19456,t=2,p=1" in db.session.get(User, student).password_hash


def test_the_password_check_runs_outside_a_write_transaction(app, student, monkeypatch):
    """On SQLite a write transaction holds the database's write lock: the slow check must not."""
    from training import database

    seen = []
    real = accounts._hasher

    class Watching:
        """The real hasher, noting whether each check runs with write intent."""

        def verify(self, hashed, password):
            seen.append(database._write_intent.get())
            return real.verify(hashed, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(accounts, "_hasher", Watching())
    assert login(app.test_client(), "sam@example.com").status_code == 302
    assert seen == [False]
