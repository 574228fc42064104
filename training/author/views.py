"""Views for instructors and admins: curriculum, module overview, publishing, history, export."""

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from quizzes.content import Module
from quizzes.coverage import summarise
from quizzes.formats.gift import dump_gift
from quizzes.stats import BAND_LABELS

from ..access import allow, edits_module
from ..database import reads_first
from ..extensions import db
from ..models import Role
from ..models.types import utcnow
from ..params import int_arg
from ..services import analysis, attempts, authoring, content, drafts, media, module_editors, question_import
from . import bp
from .forms import CasePhotoForm, ImportQuestionsForm

AUTHORS = (Role.INSTRUCTOR, Role.ADMIN)


def module_or_404(slug: str):
    """The module with this slug, or 404."""
    return content.module_by_slug(slug) or abort(404)


@bp.route("/curriculum")
@allow(*AUTHORS)
def curriculum():
    """What the published curriculum covers, module by module (same figures as ``packs summary``)."""
    entries = content.catalogue()
    waiting = drafts.modules_with_drafts()
    return render_template(
        "author/curriculum.html",
        summary=summarise(e.content for e in entries),
        safety=authoring.safety_counts(e.content for e in entries),
        lessons=content.lessons(),
        drafts=waiting,
        editable=_editable_slugs([e.module for e in entries] + [module for module, _ in waiting]),
    )


def _editable_slugs(rows) -> set[str] | None:
    """The slugs of those modules the current user may change (None: all of them, for an admin)."""
    ids = module_editors.editable_module_ids(current_user)
    return None if ids is None else {row.slug for row in rows if row.id in ids}


@bp.route("/modules/<slug>")
@allow(*AUTHORS)
def module(slug: str):
    """A module for its authors: the published version, the draft and what stops it being published."""
    row = module_or_404(slug)
    draft = drafts.draft_for(row)
    return render_template(
        "author/module.html",
        module=row,
        latest=content.latest_version(row.id),
        draft=draft,
        problems=drafts.publish_problems(draft.content) if draft else [],
        can_edit=module_editors.can_edit_module(current_user, row),
        editors=module_editors.editors(row),
    )


@bp.route("/modules/<slug>/publish", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def publish(slug: str):
    """Publish the draft as the next version; students get it from their next attempt."""
    row = module_or_404(slug)
    draft = drafts.draft_for(row)
    if draft is None:
        flash("There is no draft to publish.", "info")
        return redirect(url_for("author.module", slug=slug))
    try:
        version = drafts.publish_draft(draft, current_user)
    except drafts.DraftError as exc:
        db.session.rollback()
        flash(f"Not published: {len(exc.problems)} thing(s) to fix first, listed below.", "danger")
        return redirect(url_for("author.module", slug=slug))
    db.session.commit()
    if version is None:
        flash("The draft was the same as the published version; nothing new was published.", "info")
    else:
        flash(f"Published version {version.number}.", "success")
    return redirect(url_for("author.module", slug=slug))


@bp.route("/modules/<slug>/export")
@allow(*AUTHORS)
def export(slug: str):
    """Download the latest published version as a pack file (importing it back changes nothing)."""
    text = content.export_module(slug) or abort(404)
    return Response(
        text,
        mimetype="application/x-yaml",
        headers={"Content-Disposition": f'attachment; filename="{slug}.yaml"'},
    )


@bp.route("/modules/<slug>/export.gift")
@allow(*AUTHORS)
def export_gift(slug: str):
    """Download the latest published version's questions as GIFT (Moodle's format); comments keep the
    safety-critical marks, harmful answers, variants and keys, so importing it back keeps them."""
    row = module_or_404(slug)
    version = content.latest_version(row.id) or abort(404)
    return Response(
        dump_gift(version.content),
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{slug}.gift.txt"'},
    )


@bp.route("/modules/<slug>/history")
@allow(*AUTHORS)
def history(slug: str):
    """Every version with who published it and when; what changed between two of them."""
    row = module_or_404(slug)
    versions = content.versions(row.id)
    numbers = [v.number for v, _ in versions]
    old = int_arg("old", None) or (numbers[1] if len(numbers) > 1 else None)
    new = int_arg("new", None) or (numbers[0] if numbers else None)
    diff = content.version_diff(row.id, old, new) if old and new else None
    return render_template("author/history.html", module=row, versions=versions, old=old, new=new, diff=diff)


@bp.route("/modules/<slug>/analysis")
@allow(*AUTHORS)
def item_analysis(slug: str):
    """Which questions work: facility, discrimination and efficiency per item, for one version.

    The figures may be cached: the page says when they were calculated and how many
    attempts were submitted since (see :mod:`training.services.analysis`).
    """
    row, versions, version = _analysed_version(slug, request.args)
    now = utcnow()
    return render_template(
        "author/analysis.html",
        module=row,
        versions=versions,
        report=analysis.current_report(version, now),
        now=now,
        labels=BAND_LABELS,
    )


@bp.route("/modules/<slug>/analysis/recalculate", methods=["POST"])
@allow(*AUTHORS)
@reads_first  # seconds of reading at scale; the result is stored in a short transaction of its own
def recalculate_analysis(slug: str):
    """Recalculate a version's item analysis now ("Recalculate now"), then show it again."""
    _, _, version = _analysed_version(slug, request.form)
    report = analysis.recalculate(version)
    plural = "" if report.attempts == 1 else "s"
    flash(f"Item analysis recalculated from {report.attempts} submitted attempt{plural}.", "success")
    return redirect(url_for("author.item_analysis", slug=slug, version=version.number))


def _analysed_version(slug: str, args):
    """The module, its versions (newest first) and the one ``args`` names (default the newest), or 404."""
    row = module_or_404(slug)
    versions = [v for v, _ in content.versions(row.id)]
    if not versions:
        abort(404)
    number = int_arg("version", None, source=args) or versions[0].number
    version = next((v for v in versions if v.number == number), None) or abort(404)
    return row, versions, version


def _posted_module() -> str | None:
    """The module an import is posted into (a new slug creates a module: anyone may)."""
    if request.method != "POST":
        return None
    return request.form.get("module", "").strip() or None


@bp.route("/import", methods=["GET", "POST"])
@allow(*AUTHORS)
@edits_module(_posted_module)
def import_questions():
    """Upload GIFT or Aiken questions into a module's draft; the report says what came in and what did not."""
    form = ImportQuestionsForm(module=request.args.get("module", ""))
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append("This file is not UTF-8 text. Save it as UTF-8 and try again.")
        else:
            report = question_import.import_questions(
                text,
                upload.filename or "upload",
                form.format.data,
                form.module.data,
                current_user,
                case_key=form.case.data or None,
                skip_invalid=form.skip_invalid.data,
            )
            if report.refused:
                db.session.rollback()
            else:
                db.session.commit()
    return render_template("author/import.html", form=form, report=report)


@bp.route("/modules/<slug>/cases/<int(min=0):case>/photo", methods=["GET", "POST"])
@allow(*AUTHORS)
@edits_module()
def case_photo(slug: str, case: int):
    """Add or replace a case's photo in the draft (checked, re-encoded, stored under a generated name)."""
    row = module_or_404(slug)
    current, _ = _editable_document(row)
    if not 0 <= case < len(current.cases):
        abort(404)
    form = CasePhotoForm(alt=current.cases[case].image_alt)
    if form.validate_on_submit():
        try:
            name = media.save_image(form.photo.data.stream, current_app.instance_path)
        except media.MediaError as exc:
            form.photo.errors.append(str(exc))
        else:
            draft = drafts.start_draft(row, current_user)
            authoring.set_case_photo(draft, case, name, form.alt.data, current_user)
            db.session.commit()
            flash("The photo is in the draft; students see it once you publish.", "success")
            return redirect(url_for("author.module", slug=slug))
    return render_template("author/case_photo.html", module=row, case=current.cases[case], index=case, form=form)


def _editable_document(row) -> tuple[Module, bool]:
    """What an author edits, and whether it is a draft: the draft, or the published version
    a draft would start from."""
    draft = drafts.draft_for(row)
    if draft is not None:
        return draft.content, True
    version = content.latest_version(row.id) or abort(404)
    return version.content, False


@bp.route("/modules/<slug>/cases/<int(min=0):case>/photo/remove", methods=["POST"])
@allow(*AUTHORS)
@edits_module()
def remove_case_photo(slug: str, case: int):
    """Take the photo off a case in the draft (published versions keep theirs)."""
    row = module_or_404(slug)
    authoring.set_case_photo(drafts.start_draft(row, current_user), case, None, "", current_user)
    db.session.commit()
    flash("The photo was removed from the draft.", "success")
    return redirect(url_for("author.module", slug=slug))


@bp.route("/modules/<slug>/preview")
@allow(*AUTHORS)
def preview(slug: str):
    """The draft (or the published version) as a student sees it, stage by stage; nothing is recorded."""
    row = module_or_404(slug)
    document, is_draft = _editable_document(row)
    last = len(document.stages()) - 1
    stage = min(int_arg("stage", 0, minimum=0, clamp=True), last)
    return render_template(
        "author/preview.html",
        module=row,
        document=document,
        is_draft=is_draft,
        stage=stage,
        last=last,
        show_answers=request.args.get("answers") == "1",
        stages=attempts.preview_stage_views(document, stage),
        sections=content.section_titles(document.lesson_refs()),
        variants=authoring.slot_positions(document),
    )
