"""Which language a page speaks: the user's choice, else the academy's, else the browser's before sign-in."""

from __future__ import annotations

from functools import cache

from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.i18n_lint import ROOT
from training.database import writing
from training.extensions import db
from training.models import User
from training.services import accounts

from .conftest import login


@cache
def _vietnamese() -> dict[str, str]:
    with open(ROOT / "training" / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale="vi") if isinstance(m.id, str) and m.id}


def vi(message: str) -> str:
    """The Vietnamese the catalogue gives ``message`` (HTML-escaped as a page shows it)."""
    text = _vietnamese()[message]
    assert text and text != message, f"no Vietnamese for {message!r}"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")


def set_academy_language(app: Flask, language: str) -> None:
    with app.app_context(), writing():
        accounts.academy().language = language
        db.session.commit()


def page(client: FlaskClient, path: str = "/dashboard", **headers) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_signed_in_user_without_a_choice_reads_the_academys_language(app, student_client, instructor_client):
    set_academy_language(app, "vi")
    shown = page(student_client)
    assert '<html lang="vi">' in shown
    assert vi("Sign out") in shown and ">Sign out<" not in shown
    # The browser's language does not override the academy's once signed in.
    assert '<html lang="vi">' in page(instructor_client, "/author/curriculum", **{"Accept-Language": "en"})
    set_academy_language(app, "en")
    assert '<html lang="en">' in page(student_client)


def test_the_users_own_choice_beats_the_academys_and_stays_with_the_account(app, student_client, instructor_client):
    set_academy_language(app, "en")
    response = student_client.post("/language", data={"language": "vi", "next": "/progress"})
    assert response.status_code == 302 and response.headers["Location"] == "/progress"
    assert '<html lang="vi">' in page(student_client, "/progress")
    with app.app_context():
        assert db.session.scalar(db.select(User.language).where(User.email == "sam@example.com")) == "vi"
    # The instructor in the same academy still reads English.
    assert '<html lang="en">' in page(instructor_client, "/author/curriculum")
    # A new browser of the same student: the choice came with the account.
    fresh = app.test_client()
    assert login(fresh, "sam@example.com").status_code == 302
    assert '<html lang="vi">' in page(fresh)


def test_before_sign_in_the_browsers_language_is_used_then_the_switch(app, academy):
    set_academy_language(app, "en")
    client = app.test_client()
    assert '<html lang="vi">' in page(client, "/login", **{"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
    assert '<html lang="en">' in page(client, "/login", **{"Accept-Language": "en-GB"})
    # A language we do not have: the academy's.
    set_academy_language(app, "vi")
    assert '<html lang="vi">' in page(client, "/login", **{"Accept-Language": "fr-FR"})
    # The switch beats the browser's wish, for this browser.
    client.post("/language", data={"language": "en", "next": "/login"})
    assert '<html lang="en">' in page(client, "/login", **{"Accept-Language": "vi"})


def test_the_switch_refuses_an_unknown_language_and_a_foreign_next(app, student_client):
    set_academy_language(app, "en")
    response = student_client.post("/language", data={"language": "xx", "next": "/progress"}, follow_redirects=True)
    assert "Choose one of the languages offered." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(User.language).where(User.email == "sam@example.com")) is None
    response = student_client.post("/language", data={"language": "vi", "next": "//evil.example/"})
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]


def test_every_page_offers_the_switch_named_in_each_language(app, student_client):
    set_academy_language(app, "en")
    shown = page(student_client)
    assert ">Tiếng Việt</button>" in shown and ">English</button>" in shown
    assert 'aria-pressed="true">English' in shown and 'aria-pressed="false">Tiếng Việt' in shown
