"""Signing a browser in: a server-side session row, then a fresh cookie that names it.

Sessions end after ``SESSION_IDLE_MINUTES`` without a request (12 hours by default: a lab PC
left signed in overnight is signed out by morning) and at most 30 days after sign-in
(``accounts.SESSION_LIFETIME``). The time of the last request is kept in the signed session
cookie, renewed at most once a minute, so no page has to write to the database to keep its
session alive: a copied cookie carries the time it was copied and goes idle from then on.
"""

from __future__ import annotations

import time

from flask import current_app, flash, request, session
from flask_login import current_user, login_user, logout_user

from .. import database
from ..access import is_static
from ..extensions import db
from ..models import User
from ..services import accounts, security_events

# The last-request time is written back to the cookie only when it is this old (seconds).
_RENEW_AFTER = 60


def sign_in(user: User) -> None:
    """Commit the request's changes with a new server-side session for ``user``, and give this
    browser a fresh cookie for it (nothing from the cookie it had before carries over)."""
    accounts.open_session(user)
    db.session.commit()
    session.clear()
    login_user(user)
    session["seen"] = int(time.time())


def end_idle_session() -> None:
    """Sign the browser out if its session has gone idle, else note that it was used now.

    Runs before the access rules, so an idle browser is treated as signed out (and sent to
    sign in, with the page it asked for kept as ``next``). A cookie without the time of its
    last request predates the idle timeout and is ended too.
    """
    if is_static(request.endpoint) or not current_user.is_authenticated:
        return
    now = int(time.time())
    seen = session.get("seen")
    idle_limit = int(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    if isinstance(seen, int) and now - seen <= idle_limit:
        if now - seen >= _RENEW_AFTER:
            session["seen"] = now
        return
    user = current_user._get_current_object()
    database.begin_writes(db.session())
    accounts.close_session(user)
    security_events.signed_out(user, reason="idle")
    db.session.commit()
    database.declare_write_intent(False)  # the page asked for is served as usual, in a read
    logout_user()
    session.clear()
    flash("You were signed out after a time without activity. Sign in to continue.", "info")
