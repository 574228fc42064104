"""Views for set-up, sign-in, sign-out and changing one's password."""

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from ..access import PUBLIC, SIGNED_IN, allow, is_static
from ..database import begin_writes, declare_write_intent, reads_first
from ..extensions import db, limiter
from ..models import Role
from ..services import accounts, security_events
from . import bp
from .forms import ChangePasswordForm, LoginForm, SetupForm
from .next_url import safe_next_path
from .sessions import sign_in

# What a user who must choose a new password may still open.
OPEN_WHILE_PASSWORD_MUST_CHANGE = {"auth.change_password", "auth.logout"}


def _safe_next(target: str | None) -> str:
    """Only redirect to a path on this site (no open redirects); by default students land on their dashboard."""
    path = safe_next_path(target)
    if path:
        return path
    if current_user.is_authenticated and current_user.role == Role.STUDENT:
        return url_for("learn.dashboard")
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
        sign_in(admin)
        flash(f"Welcome. {form.academy_name.data} is ready.", "success")
        return redirect(url_for("learn.catalogue"))
    return render_template("auth/setup.html", form=form)


def _failed_sign_in(response) -> bool:
    """Only failures count towards the throttle (a successful sign-in redirects)."""
    return response.status_code != 302


def _email_tried() -> str:
    """The throttle key per account: the email typed, as accounts normalise it."""
    return "login:" + (request.form.get("email") or "").strip().lower()


def _password_owner() -> str:
    """The throttle key of the change-password form: the signed-in user."""
    return f"password:{getattr(current_user, 'id', '')}"  # anonymous requests are sent to sign in first


def _wrong_current_password(response) -> bool:
    """Only a wrong current password counts towards the change-password throttle."""
    return bool(g.get("wrong_current_password"))


def _record_throttled(limit) -> None:
    """Audit a refusal by the throttle, once per key and minute (a flood of refusals is one event)."""
    if limiter.storage.incr(f"audited:{limit.key}", 60) != 1:
        return
    begin_writes(db.session())
    if current_user.is_authenticated:
        security_events.throttled("", current_user._get_current_object())
    else:
        security_events.throttled(request.form.get("email") or "")
    db.session.commit()
    declare_write_intent(False)


def _throttle(setting: str, counted, key_func=None):
    """Flask-Limiter's limit from the ``setting`` (e.g. "10 per minute") on POSTs: only responses
    ``counted`` says failed are counted, and a refusal is audited."""
    keyed = {"key_func": key_func} if key_func else {}
    return limiter.limit(
        lambda: current_app.config[setting], methods=["POST"], deduct_when=counted, on_breach=_record_throttled, **keyed
    )


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
@_throttle("LOGIN_FAILURES_PER_ACCOUNT", _failed_sign_in, key_func=_email_tried)
@_throttle("LOGIN_FAILURES_PER_ADDRESS", _failed_sign_in)
@reads_first  # the password check is slow by design: it must not hold SQLite's write lock
def login():
    """Sign in with email and password; every failure gets the same message."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        begin_writes(db.session())  # checked; what follows writes (the audit log, the session)
        if user is None:
            security_events.sign_in_failed(form.email.data)
            db.session.commit()
            declare_write_intent(False)  # the page is a read; the throttle then counts in its own write
            flash("That email and password do not match an active account.", "danger")
            return render_template("auth/login.html", form=form), 200
        target = safe_next_path(request.args.get("next"))  # checked before anything is committed
        accounts.rehash_if_needed(user, form.password.data)
        security_events.signed_in(user)
        sign_in(user)
        return redirect(target or _safe_next(None))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(*SIGNED_IN)
@login_required
def logout():
    """Sign out (a POST, so a link elsewhere cannot sign anyone out)."""
    accounts.close_session(current_user)
    security_events.signed_out(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.before_app_request
def require_new_password():
    """Until a user replaces a password an admin gave them, every page but this one and sign-out redirects here."""
    endpoint = request.endpoint or ""
    if endpoint in OPEN_WHILE_PASSWORD_MUST_CHANGE or is_static(endpoint):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        flash("Choose a new password to continue: the one you were given is temporary.", "warning")
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/account/password", methods=["GET", "POST"])
@allow(*SIGNED_IN)
@_throttle("LOGIN_FAILURES_PER_ACCOUNT", _wrong_current_password, key_func=_password_owner)
def change_password():
    """Change one's own password; every other session ends, and this browser stays signed in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current_password.data, form.new_password.data)
        except accounts.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field or "new_password").errors.append(str(exc))
            if exc.field == "current_password":  # counted by the throttle, and audited
                g.wrong_current_password = True
                security_events.wrong_current_password(user)
                db.session.commit()
                declare_write_intent(False)  # as at sign-in: the throttle counts in its own write
        else:
            sign_in(user)  # every session ended with the change: this browser gets a new one
            flash("Your password is changed. Any other device you were signed in on is signed out.", "success")
            return redirect(_safe_next(None))
    return render_template("auth/password.html", form=form, forced=current_user.must_change_password)
