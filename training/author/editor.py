"""The in-browser editor for a module's draft: settings, cases, stages and items of every type.

Each view parses its form, calls one function of ``services.authoring`` (which changes a
copy of the document, validates it with the engine and saves it), commits once and
redirects; refused input re-renders the form with the messages next to the fields.
Every view but ``new_module`` is for the module's editors and admins (``edits_module``).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from quizzes.content import Module
from quizzes.items import ITEM_TYPES

from ..access import allow, edits_module
from ..extensions import db
from ..services import authoring, content, drafts
from . import bp
from .editor_forms import CaseForm, NewModuleForm, SettingsForm, StageForm, attach_errors, item_form
from .views import AUTHORS, module_or_404

DRAFT = "/modules/<slug>/draft"
# Positions in the draft count from 0 (ids elsewhere from 1): see ``training.params``.
CASE = DRAFT + "/cases/<int(min=0):c>"
STAGE = CASE + "/stages/<int(min=0):s>"
ITEM = STAGE + "/items/<int(min=0):i>"


def _draft(slug: str):
    """The module's draft; 404 for an unknown module, back to the outline when there is no draft yet."""
    row = module_or_404(slug)
    draft = drafts.draft_for(row)
    if draft is None:
        flash("Start a draft first.", "info")
        abort(redirect(url_for("author.outline", slug=slug)))
    return row, draft


def _refused(form: FlaskForm, exc: authoring.EditError) -> None:
    db.session.rollback()
    attach_errors(form, exc.errors)


def _refused_back(slug: str, exc: authoring.EditError):
    """A refused delete or move: nothing changed; say why on the outline."""
    db.session.rollback()
    flash(" ".join(m for ms in exc.errors.values() for m in ms), "danger")
    return redirect(url_for("author.outline", slug=slug))


def _done(message: str, endpoint: str = "author.outline", **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _expect() -> str | None:
    """The key (or stage title) of the part the author opened, posted back to catch a part that moved meanwhile."""
    return request.form.get("expect")


def _outline_anchor(slug: str, anchor: str):
    return url_for("author.outline", slug=slug, _anchor=anchor)


# ---------------------------------------------------------------- module


@bp.route("/new-module", methods=["GET", "POST"])
@allow(*AUTHORS)
def new_module():
    """Create a module: settings and a first case; a placeholder stage and item make it valid at once."""
    form = NewModuleForm(pass_mark=70)
    if form.validate_on_submit():
        try:
            draft = authoring.new_module(form.data, current_user)
        except authoring.EditError as exc:
            _refused(form, exc)
        else:
            slug = draft.content.slug
            return _done("Module created as a draft. Now write its first question.", "author.outline", slug=slug)
    return render_template("author/editor/new_module.html", form=form)


@bp.route(DRAFT)
@allow(*AUTHORS)
@edits_module()
def outline(slug: str):
    """The draft's cases, stages and items, with what stops it being published."""
    row = module_or_404(slug)
    draft = drafts.draft_for(row)
    doc = draft.content if draft else None
    return render_template(
        "author/editor/outline.html",
        module=row,
        draft=draft,
        doc=doc,
        latest=content.latest_version(row.id),
        problems=drafts.publish_problems(doc) if doc else [],
        item_types=[(name, cls.label) for name, cls in ITEM_TYPES.items()],
        variants=authoring.slot_positions(doc) if doc else {},
    )


@bp.route(DRAFT + "/start", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def start_draft(slug: str):
    """Start a draft from the latest published version (students keep that version meanwhile)."""
    row = module_or_404(slug)
    try:
        drafts.start_draft(row, current_user)
    except drafts.DraftError as exc:
        db.session.rollback()
        flash(exc.problems[0][1], "danger")
        return redirect(url_for("author.outline", slug=slug))
    return _done("Draft started from the published version.", slug=slug)


@bp.route(DRAFT + "/settings", methods=["GET", "POST"])
@allow(*AUTHORS)
@edits_module()
def edit_settings(slug: str):
    """Title, summary, procedure and the attempt policy: pass mark, attempts, time limit, wait after a fail,
    feedback and answer timing, the safety gate and certainty-based marking."""
    row, draft = _draft(slug)
    doc: Module = draft.content
    settings = doc.settings
    form = SettingsForm(
        data={"title": doc.title, "summary": doc.summary, "procedure": doc.procedure}
        | {name: getattr(settings, name) for name in authoring.SETTINGS_FIELDS}
        | {"feedback": settings.feedback.value, "show_answers": settings.show_answers.value}
    )
    if form.validate_on_submit():
        try:
            authoring.update_settings(draft, form.data, current_user)
        except authoring.EditError as exc:
            _refused(form, exc)
        else:
            return _done("Settings saved.", slug=slug)
    return render_template("author/editor/settings.html", module=row, form=form)


# ---------------------------------------------------------------- cases


@bp.route(DRAFT + "/cases/new", methods=["GET", "POST"])
@allow(*AUTHORS)
@edits_module()
def new_case(slug: str):
    """Add a case at the end, with a placeholder stage and item to rewrite."""
    row, draft = _draft(slug)
    form = CaseForm()
    if form.validate_on_submit():
        try:
            c = authoring.add_case(draft, form.data, current_user)
        except authoring.EditError as exc:
            _refused(form, exc)
        else:
            return _done(
                "Case added, with a first stage and question to rewrite.", "author.edit_item", slug=slug, c=c, s=0, i=0
            )
    return render_template("author/editor/case.html", module=row, form=form, c=None, expect=None)


@bp.route(CASE, methods=["GET", "POST"])
@allow(*AUTHORS)
@edits_module()
def edit_case(slug: str, c: int):
    """Change a case's key, title and client."""
    row, draft = _draft(slug)
    case = authoring.part(draft, c)
    form = CaseForm(data=case)
    if form.validate_on_submit():
        try:
            authoring.update_case(draft, c, form.data, current_user, expect=_expect())
        except authoring.EditError as exc:
            _refused(form, exc)
        else:
            return _done("Case saved.", slug=slug)
    return render_template("author/editor/case.html", module=row, form=form, c=c, expect=_expect() or case["key"])


@bp.route(CASE + "/delete", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def delete_case(slug: str, c: int):
    """Delete a case (not the module's last)."""
    _, draft = _draft(slug)
    return _delete(
        slug, lambda: authoring.delete_case(draft, c, current_user, expect=_expect()), "Case '{title}' deleted."
    )


@bp.route(CASE + "/move", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def move_case(slug: str, c: int):
    """Move a case up or down."""
    _, draft = _draft(slug)
    return _move(
        slug,
        c,
        lambda d: authoring.move_case(draft, c, d, current_user, expect=_expect()),
        "case",
        lambda n: f"case-{n}",
    )


def _delete(slug: str, action, message: str):
    if request.form.get("confirm") != "yes":
        flash("Nothing was deleted: tick the box to confirm.", "warning")
        return redirect(url_for("author.outline", slug=slug))
    try:
        removed = action()
    except authoring.EditError as exc:
        return _refused_back(slug, exc)
    return _done(message.format(title=removed.get("title") or removed.get("key")), slug=slug)


def _move(slug: str, index: int, action, what: str, anchor):
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        abort(400)
    try:
        new = action(direction)
    except authoring.EditError as exc:
        return _refused_back(slug, exc)
    db.session.commit()
    if new == index:
        flash(f"The {what} is already {'first' if direction == 'up' else 'last'}.", "info")
    else:
        flash(f"The {what} moved {direction}.", "success")
    return redirect(_outline_anchor(slug, anchor(new)))


# ---------------------------------------------------------------- stages


@bp.route(CASE + "/stages/new", methods=["GET", "POST"])
@allow(*AUTHORS)
@edits_module()
def new_stage(slug: str, c: int):
    """Add a stage at the end of a case, with a placeholder question to rewrite."""
    row, draft = _draft(slug)
    case = authoring.part(draft, c)
    form = StageForm()
    if form.validate_on_submit():
        try:
            s = authoring.add_stage(draft, c, form.data, current_user)
        except authoring.EditError as exc:
            _refused(form, exc)
        else:
            return _done("Stage added, with a first question to rewrite.", "author.edit_item", slug=slug, c=c, s=s, i=0)
    return render_template("author/editor/stage.html", module=row, form=form, case=case, c=c, s=None, expect=None)


@bp.route(STAGE, methods=["GET", "POST"])
@allow(*AUTHORS)
@edits_module()
def edit_stage(slug: str, c: int, s: int):
    """Change a stage's title and narrative."""
    row, draft = _draft(slug)
    stage = authoring.part(draft, c, s)
    form = StageForm(data=stage)
    if form.validate_on_submit():
        try:
            authoring.update_stage(draft, c, s, form.data, current_user, expect=_expect())
        except authoring.EditError as exc:
            _refused(form, exc)
        else:
            return _done("Stage saved.", slug=slug)
    return render_template(
        "author/editor/stage.html",
        module=row,
        form=form,
        case=authoring.part(draft, c),
        c=c,
        s=s,
        expect=_expect() or stage["title"],
    )


@bp.route(STAGE + "/delete", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def delete_stage(slug: str, c: int, s: int):
    """Delete a stage (not its case's last)."""
    _, draft = _draft(slug)
    return _delete(
        slug, lambda: authoring.delete_stage(draft, c, s, current_user, expect=_expect()), "Stage '{title}' deleted."
    )


@bp.route(STAGE + "/move", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def move_stage(slug: str, c: int, s: int):
    """Move a stage up or down within its case."""
    _, draft = _draft(slug)
    return _move(
        slug,
        s,
        lambda d: authoring.move_stage(draft, c, s, d, current_user, expect=_expect()),
        "stage",
        lambda n: f"stage-{c}-{n}",
    )


# ---------------------------------------------------------------- items


def _item_page(row, draft, form, c: int, s: int, i: int | None, item_type: str, expect: str | None = None):
    return render_template(
        "author/editor/item.html",
        module=row,
        form=form,
        c=c,
        s=s,
        i=i,
        item_type=ITEM_TYPES[item_type],
        stage=authoring.part(draft, c, s),
        expect=expect,
    )


def _item_form(item_type: str, item: dict | None, draft_lesson: str | None, variants: list[tuple[str, str]]):
    form_class = item_form(ITEM_TYPES[item_type])
    # A post is read as typed (an unticked box is False); a first visit shows the item with blank rows.
    form = form_class() if request.method == "POST" else form_class(data=authoring.item_form_data(item_type, item))
    form.prepare(authoring.lesson_choices(draft_lesson or form.lesson.data or None), variants)
    return form


@bp.route(STAGE + "/items/new", methods=["GET", "POST"])
@allow(*AUTHORS)
@edits_module()
def new_item(slug: str, c: int, s: int):
    """Add an item of the chosen type at the end of a stage."""
    row, draft = _draft(slug)
    item_type = request.args.get("type", "")
    if item_type not in ITEM_TYPES:
        abort(404)
    authoring.part(draft, c, s)
    form = _item_form(item_type, None, None, authoring.variant_choices(draft, c, s, None))
    if form.validate_on_submit():
        try:
            i = authoring.save_item(draft, c, s, None, item_type, form.data, current_user)
        except authoring.EditError as exc:
            _refused(form, exc)
        else:
            return _done(f"Question '{form.key.data.strip()}' added.", slug=slug, _anchor=f"item-{c}-{s}-{i}")
    return _item_page(row, draft, form, c, s, None, item_type)


@bp.route(ITEM, methods=["GET", "POST"])
@allow(*AUTHORS)
@edits_module()
def edit_item(slug: str, c: int, s: int, i: int):
    """Edit an item: its common fields and those of its type."""
    row, draft = _draft(slug)
    item = authoring.part(draft, c, s, i)
    form = _item_form(item["type"], item, item.get("lesson"), authoring.variant_choices(draft, c, s, i))
    if form.validate_on_submit():
        try:
            authoring.save_item(draft, c, s, i, item["type"], form.data, current_user, expect=_expect())
        except authoring.EditError as exc:
            _refused(form, exc)
        else:
            return _done(f"Question '{form.key.data.strip()}' saved.", slug=slug, _anchor=f"item-{c}-{s}-{i}")
    return _item_page(row, draft, form, c, s, i, item["type"], _expect() or item["key"])


@bp.route(ITEM + "/variant", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def add_variant(slug: str, c: int, s: int, i: int):
    """Add a variant of a question's slot: a copy right after it, opened for the author to reword."""
    _, draft = _draft(slug)
    try:
        new = authoring.add_variant(draft, c, s, i, current_user, expect=_expect())
    except authoring.EditError as exc:
        return _refused_back(slug, exc)
    key = authoring.part(draft, c, s, new)["key"]
    return _done(
        f"Variant '{key}' added as a copy: reword it (other words, numbers or details) so a retry is a new test.",
        "author.edit_item",
        slug=slug,
        c=c,
        s=s,
        i=new,
    )


@bp.route(ITEM + "/delete", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def delete_item(slug: str, c: int, s: int, i: int):
    """Delete an item (not its stage's last)."""
    _, draft = _draft(slug)
    return _delete(
        slug,
        lambda: authoring.delete_item(draft, c, s, i, current_user, expect=_expect()),
        "Question '{title}' deleted.",
    )


@bp.route(ITEM + "/move", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def move_item(slug: str, c: int, s: int, i: int):
    """Move an item up or down within its stage."""
    _, draft = _draft(slug)
    return _move(
        slug,
        i,
        lambda d: authoring.move_item(draft, c, s, i, d, current_user, expect=_expect()),
        "question",
        lambda n: f"item-{c}-{s}-{n}",
    )
