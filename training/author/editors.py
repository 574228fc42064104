"""A module's editors: who may change it. Everyone who authors sees the list; its editors and admins change it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import allow, edits_module
from ..extensions import db
from ..services import module_editors
from . import bp
from .forms import AddEditorForm
from .views import AUTHORS, module_or_404


def _page(row, form: AddEditorForm | None = None):
    """The editors page, with the form to add one (re-shown with its errors after a refused post)."""
    if form is None:
        form = AddEditorForm()
    form.user.choices = _choices(row)
    return render_template(
        "author/editors.html",
        module=row,
        editors=module_editors.editors(row),
        can_edit=module_editors.can_edit_module(current_user, row),
        form=form,
    )


def _choices(row) -> list[tuple[int, str]]:
    return [(u.id, f"{u.name} ({u.email}, {u.role})") for u in module_editors.editor_choices(row)]


@bp.route("/modules/<slug>/editors")
@allow(*AUTHORS)
def editors(slug: str):
    """Who may change the module; its editors and admins add and remove them here."""
    return _page(module_or_404(slug))


@bp.route("/modules/<slug>/editors", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def add_editor(slug: str):
    """Let an instructor or admin change the module."""
    row = module_or_404(slug)
    form = AddEditorForm()
    form.user.choices = _choices(row)
    if form.validate_on_submit():
        try:
            person = module_editors.add_editor(current_user, row, form.user.data)
        except module_editors.EditorError as exc:
            db.session.rollback()
            form.user.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"{person.name} can now change this module.", "success")
            return redirect(url_for("author.editors", slug=slug))
    return _page(row, form)


@bp.route("/modules/<slug>/editors/<int:user_id>/remove", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def remove_editor(slug: str, user_id: int):
    """Stop someone changing the module, once the box confirming it is ticked."""
    row = module_or_404(slug)
    if request.form.get("confirm") != "yes":
        flash("Nothing was changed: tick the box to confirm the removal.", "warning")
        return redirect(url_for("author.editors", slug=slug))
    try:
        person = module_editors.remove_editor(current_user, row, user_id)
    except module_editors.EditorError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("author.editors", slug=slug))
    db.session.commit()
    if person.id == current_user.id:
        flash("You are no longer an editor of this module.", "success")
    else:
        flash(f"{person.name} can no longer change this module.", "success")
    return redirect(url_for("author.editors", slug=slug))
