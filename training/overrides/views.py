"""Staff give one student extra attempts, extra time or their own due date on a module, with a reason.

Admins and the instructors of the student's cohorts only (``services.scope``): another
cohort's instructor gets a 404, as on the student's report page, so nothing hints that the
student exists. Each view parses a form, calls one service, commits once and redirects; bad
input re-renders the page with the message next to the field and nothing changed.
"""

from __future__ import annotations

from datetime import UTC

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..access import allow
from ..extensions import db
from ..forms import ConfirmForm
from ..models import ModuleRow, Role
from ..services import cohorts, overrides, scope
from ..services.errors import NotFound
from . import bp
from .forms import GrantOverrideForm, OverrideForm

STAFF = (Role.INSTRUCTOR, Role.ADMIN)


def _student(student_id: int):
    """The student, if the viewer may see their work (404 otherwise, either way)."""
    return scope.student_or_404(current_user, student_id)


def _module(module_id: int) -> ModuleRow:
    module = db.session.get(ModuleRow, module_id)
    if module is None:
        raise NotFound()
    return module


def _utc(value):
    """A time typed in the form (read as UTC, like every due date in the academy) as an aware datetime."""
    return value.replace(tzinfo=UTC) if value is not None else None


def _save(form: OverrideForm, student, module: ModuleRow) -> bool:
    """Grant the override the form describes; True when it was saved, else the refusal shows on the form."""
    try:
        overrides.grant(
            current_user,
            student,
            module,
            form.extra_attempts.data,
            form.extra_minutes.data,
            _utc(form.due_at.data),
            form.reason.data,
        )
    except overrides.OverrideError as exc:
        db.session.rollback()
        target = getattr(form, exc.field, None) if exc.field else None
        if target is not None:
            target.errors = [*target.errors, str(exc)]
        else:
            form.form_errors.append(str(exc))
        return False
    db.session.commit()
    flash(f"Override on “{module.title}” saved for {student.name}.", "success")
    return True


@bp.route("/students/<int:student_id>", methods=["GET", "POST"])
@allow(*STAFF)
def student(student_id: int):
    """A student's overrides, one per module, with a form to grant another (or replace one)."""
    student = _student(student_id)
    form = GrantOverrideForm(prefix="grant")
    form.module.choices = [(m.id, m.title) for m in cohorts.published_modules()]
    if form.validate_on_submit() and _save(form, student, _module(form.module.data)):
        return redirect(url_for("overrides.student", student_id=student.id))
    return render_template(
        "overrides/student.html",
        student=student,
        listed=overrides.of_student(student.id),
        grant=form,
        remove_form=ConfirmForm(),
    )


@bp.route("/students/<int:student_id>/modules/<int:module_id>", methods=["GET", "POST"])
@allow(*STAFF)
def edit(student_id: int, module_id: int):
    """Change the student's override on one module (or give one, when they have none there)."""
    student = _student(student_id)
    module = _module(module_id)
    existing = overrides.for_student(student.id, module.id)
    form = OverrideForm(obj=existing)
    if existing is not None and existing.due_at is not None and not form.is_submitted():
        form.due_at.data = existing.due_at.astimezone(UTC).replace(tzinfo=None)
    if form.validate_on_submit() and _save(form, student, module):
        return redirect(url_for("overrides.student", student_id=student.id))
    return render_template(
        "overrides/edit.html",
        student=student,
        module=module,
        override=existing,
        form=form,
        remove_form=ConfirmForm(),
    )


@bp.route("/students/<int:student_id>/modules/<int:module_id>/remove", methods=["POST"])
@allow(*STAFF)
def remove(student_id: int, module_id: int):
    """Remove the student's override on the module: the module's own rules apply to them again."""
    student = _student(student_id)
    module = _module(module_id)
    form = ConfirmForm()
    existing = overrides.for_student(student.id, module.id)
    if not form.validate_on_submit():
        flash("Nothing was changed: the form was incomplete. Try again.", "danger")
    elif existing is None:
        flash(f"{student.name} has no override on “{module.title}”; nothing was changed.", "info")
    else:
        overrides.remove(current_user, existing)
        db.session.commit()
        flash(f"The override of {student.name} on “{module.title}” is removed.", "success")
    return redirect(url_for("overrides.student", student_id=student.id))
