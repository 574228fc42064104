"""Views for admins: the people of the academy and the audit log. Each parses, calls a service, commits once."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from wtforms import Field

from ..access import allow
from ..auth.sessions import sign_in
from ..extensions import db
from ..models import Role, User
from ..models.types import utcnow
from ..params import page_arg
from ..services import accounts, audit_log, certificates, exports, overrides, users
from . import bp
from .forms import AuditFilterForm, NewUserForm, RoleForm, UserSearchForm


def _valid(field: Field, empty=""):
    """A filter field's value, or ``empty`` when what was typed is not valid (its error is shown)."""
    return empty if field.errors else (field.data or empty)


def _filter_query() -> dict[str, str]:
    """The filters in the query string, without the page number, for page and export links."""
    return {key: value for key, value in request.args.items() if key != "page" and value}


def _no_store(response: Response) -> Response:
    """Keep a page with a temporary password out of every cache and the browser's history."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/users")
@allow(Role.ADMIN)
def users_list():
    """Everyone, searchable by name or email and filtered by role and status, 50 to a page."""
    form = UserSearchForm(formdata=request.args)
    form.validate()
    filters = users.UserFilter(text=_valid(form.q), role=_valid(form.role), status=_valid(form.status))
    page = users.users_page(filters, page_arg())
    return render_template("admin/users.html", form=form, page=page, query=_filter_query())


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_user():
    """Add an account; its temporary password is shown once, on the page that follows."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user, password = users.add_user(current_user, form.email.data, form.name.data, form.role.data)
        except accounts.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field or "email").errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Added {user.email} as {user.role}.", "success")
            page = render_template("admin/temporary_password.html", user=user, password=password, created=True)
            return _no_store(Response(page))
    return render_template("admin/new_user.html", form=form)


@bp.route("/users/<int:user_id>")
@allow(Role.ADMIN)
def user_detail(user_id: int):
    """A user's role, status and cohorts, certificates and overrides, and what an admin can do about them."""
    user = users.user_or_404(user_id)
    taken, taught = users.cohorts_of(user)
    return render_template(
        "admin/user.html",
        user=user,
        taken=taken,
        taught=taught,
        role_form=RoleForm(role=user.role),
        certificates=certificates.certificates_of(user),
        issued_on=certificates.issued_on,
        overrides=overrides.of_student(user.id),
    )


def _change(user_id: int, change: Callable[[User, User], object], done: str):
    """Apply one change to a user, commit it with its audit row, and say what happened."""
    user = users.user_or_404(user_id)
    try:
        change(current_user, user)
    except accounts.AccountError as exc:
        db.session.rollback()
        flash(f"Nothing was changed: {exc}", "danger")
    else:
        db.session.commit()
        flash(done.format(email=user.email, role=user.role), "success")
    return redirect(url_for("admin.user_detail", user_id=user_id))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@allow(Role.ADMIN)
def change_role(user_id: int):
    """Make the user a student, an instructor or an admin."""
    users.user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Nothing was changed: choose one of the roles offered.", "danger")
        return redirect(url_for("admin.user_detail", user_id=user_id))
    return _change(
        user_id, lambda actor, user: users.change_role(actor, user, form.role.data), "{email} is now {role}."
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@allow(Role.ADMIN)
def deactivate(user_id: int):
    """Stop the user signing in, and sign them out everywhere."""
    return _change(user_id, users.deactivate, "{email} is deactivated and signed out everywhere.")


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@allow(Role.ADMIN)
def reactivate(user_id: int):
    """Let a deactivated user sign in again."""
    return _change(user_id, users.reactivate, "{email} can sign in again.")


@bp.route("/users/<int:user_id>/end-sessions", methods=["POST"])
@allow(Role.ADMIN)
def end_sessions(user_id: int):
    """Sign the user out everywhere; an admin ending their own sessions stays signed in here."""
    user = users.user_or_404(user_id)
    users.end_sessions(current_user, user)
    if user.id == current_user.id:
        sign_in(user)  # every session of theirs ended, this browser's too: give it a new one
        flash("Your other sessions are ended; this one continues.", "success")
    else:
        db.session.commit()
        flash(f"{user.email} is signed out everywhere.", "success")
    return redirect(url_for("admin.user_detail", user_id=user_id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@allow(Role.ADMIN)
def reset_password(user_id: int):
    """A new temporary password, shown once; the user is signed out and must choose their own."""
    user = users.user_or_404(user_id)
    try:
        password = users.reset_password(current_user, user)
    except accounts.AccountError as exc:
        db.session.rollback()
        flash(f"Nothing was changed: {exc}", "danger")
        return redirect(url_for("admin.user_detail", user_id=user_id))
    db.session.commit()
    flash(f"The password of {user.email} is reset and they are signed out everywhere.", "success")
    page = render_template("admin/temporary_password.html", user=user, password=password, created=False)
    return _no_store(Response(page))


def _audit_filters() -> tuple[AuditFilterForm, audit_log.AuditFilter]:
    """The audit filter form from the query string, and the filter made of its valid fields."""
    form = AuditFilterForm(formdata=request.args)
    form.set_choices(*audit_log.audit_choices())
    form.validate()
    filters = audit_log.AuditFilter(
        action=_valid(form.action),
        actor=_valid(form.actor),
        target_type=_valid(form.target_type),
        target_id=_valid(form.target_id),
        kind=_valid(form.kind),
        address=_valid(form.address),
        date_from=_valid(form.date_from, None),
        date_to=_valid(form.date_to, None),
    )
    return form, filters


@bp.route("/audit", endpoint="audit_log")
@allow(Role.ADMIN)
def show_audit_log():
    """The audit log, newest first, 50 to a page, filtered by action, actor, target and dates."""
    form, filters = _audit_filters()
    page = audit_log.audit_page(filters, page_arg())
    return render_template(
        "admin/audit.html", form=form, page=page, query=_filter_query(), pretty_json=audit_log.pretty_json
    )


@bp.route("/audit.csv")
@allow(Role.ADMIN)
def audit_csv():
    """The filtered audit log as a CSV download, streamed so a long log never sits in memory."""
    _form, filters = _audit_filters()
    filename = f"audit-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(
        stream_with_context(exports.csv_chunks(audit_log.csv_table(filters))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
