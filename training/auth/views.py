"""Views for set-up, sign-in and sign-out."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..access import PUBLIC, SIGNED_IN, allow
from ..extensions import db
from ..services import accounts
from . import bp
from .forms import LoginForm, SetupForm


def _safe_next(target: str | None) -> str:
    """Only redirect to a path on this site (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("learn.catalogue")


@bp.route("/setup", methods=["GET", "POST"])
@allow(PUBLIC)
def setup():
    """Create the academy and its first admin; gone once an admin exists."""
    if not accounts.needs_setup():
        flash("This academy is already set up. Sign in to continue.", "info")
        return redirect(url_for("auth.login"))
    form = SetupForm()
    if form.validate_on_submit():
        try:
            admin = accounts.set_up_academy(form.academy_name.data, form.email.data, form.name.data, form.password.data)
        except accounts.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("auth.login"))
        db.session.commit()
        session.clear()
        login_user(admin)
        flash(f"Welcome. {form.academy_name.data} is ready.", "success")
        return redirect(url_for("learn.catalogue"))
    return render_template("auth/setup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login():
    """Sign in with email and password; every failure gets the same message."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            flash("That email and password do not match an active account.", "danger")
            return render_template("auth/login.html", form=form), 200
        db.session.commit()  # a rehashed password, if the hash parameters changed
        session.clear()  # a fresh session at sign-in: nothing carries over from before
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(*SIGNED_IN)
@login_required
def logout():
    """Sign out (a POST, so a link elsewhere cannot sign anyone out)."""
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
