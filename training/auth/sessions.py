"""Signing a browser in: a server-side session row, then a fresh cookie that names it."""

from flask import session
from flask_login import login_user

from ..extensions import db
from ..models import User
from ..services import accounts


def sign_in(user: User) -> None:
    """Commit the request's changes with a new server-side session for ``user``, and give this
    browser a fresh cookie for it (nothing from the cookie it had before carries over)."""
    accounts.open_session(user)
    db.session.commit()
    session.clear()
    login_user(user)
