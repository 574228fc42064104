"""Views for taking modules and learning from them. Each parses, calls a service, commits once."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from ..access import SIGNED_IN, allow
from ..database import declare_write_intent
from ..extensions import db
from ..models.types import utcnow
from ..params import MAX_BIG, int_arg, whole_in_range
from ..services import answer_policy, attempts, certificates, content, dashboard, media, overrides, progress
from . import bp


@bp.route("/dashboard", endpoint="dashboard")
@allow(*SIGNED_IN)
def show_dashboard():
    """Assigned modules with their status, mastery per topic and the review queue, for the signed-in user."""
    return render_template("learn/dashboard.html", dash=dashboard.dashboard(current_user))


@bp.route("/")
@allow(*SIGNED_IN)
def catalogue():
    """Every published module, with the student's open attempt and best result per module."""
    entries = content.catalogue()
    mine: dict[int, list] = {}
    for attempt, module in attempts.history(current_user):
        mine.setdefault(module.id, []).append(attempt)
    return render_template("learn/catalogue.html", entries=entries, mine=mine)


@bp.route("/modules/<slug>")
@allow(*SIGNED_IN)
def module(slug: str):
    """A module's summary, its cases, and a button to start or resume."""
    row = content.module_by_slug(slug) or abort(404)
    version = content.latest_version(row.id) or abort(404)
    open_attempt = attempts.open_attempt(current_user, row)
    return render_template(
        "learn/module.html",
        module=row,
        version=version,
        open_attempt=open_attempt,
        lessons=content.lessons_for(version.content),
        standing=(standing := attempts.standing(current_user, row, version.content.settings)),
        override_lines=overrides.describe(standing.override) if standing.override else [],
        now=utcnow(),
    )


@bp.route("/modules/<slug>/start", methods=["POST"])
@allow(*SIGNED_IN)
def start(slug: str):
    """Start an attempt, or resume the open one (so a double click starts one attempt)."""
    row = content.module_by_slug(slug) or abort(404)
    attempt = attempts.start_or_resume(current_user, row)
    db.session.commit()
    if not attempt.is_open:
        return _time_is_up(attempt)
    return redirect(url_for("learn.take", attempt_id=attempt.id))


TIME_IS_UP = "Time is up: your attempt was submitted with the answers saved before the deadline."


def _time_is_up(attempt):
    flash(TIME_IS_UP, "warning")
    return redirect(url_for("learn.result", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>")
@allow(*SIGNED_IN)
def take(attempt_id: int):
    """The attempt as far as the student has reached: locked stages above, the open one below."""
    attempt = attempts.get_attempt(current_user, attempt_id)
    if not attempt.is_open:
        return redirect(url_for("learn.result", attempt_id=attempt.id))
    if attempt.is_overdue(utcnow()):
        # Submitting writes: end this read transaction so the write begins IMMEDIATE.
        db.session.commit()
        declare_write_intent()
        attempt = attempts.get_attempt(current_user, attempt_id, lock=True)
        if attempts.close_if_overdue(attempt, grace=False):
            db.session.commit()
            return _time_is_up(attempt)
    return _render_take(attempt)


def _render_take(
    attempt, status: int = 200, confirm_blank: list[tuple[int, str]] | None = None, action: str = "", typed=None
):
    """The take page; ``typed`` (the posted form) refills the open stage after a refused post."""
    stages = attempts.stage_views(attempt)
    revealed = {r.item.lesson for sv in stages for r in (sv.results or []) if r.item.lesson}
    now = utcnow()
    left = max(0, int((attempt.deadline - now).total_seconds())) if attempt.deadline else 0
    return (
        render_template(
            "learn/take.html",
            attempt=attempt,
            stages=stages,
            sections=content.section_titles(revealed) if revealed else {},
            now=now,
            remaining=f"{left // 60}:{left % 60:02d}",
            last_stage=attempts.is_last_stage(attempt),
            confirm_blank=confirm_blank,
            action=action,
            typed=typed,
        ),
        status,
    )


def _stage_refs(attempt) -> dict[str, str]:
    """Item key -> what the page calls it (``ItemView.ref``), for every item of the current stage."""
    tokens = attempts.attempt_tokens(attempt.id)
    return {item.key: tokens.item_ref(item.key) for item in attempt.content.stages()[attempt.stage_index].stage.items}


def _stage_values(attempt) -> dict[str, list[str]]:
    """Raw form values for every item of the current stage (an unticked box sends nothing)."""
    return {key: request.form.getlist(f"item-{ref}") for key, ref in _stage_refs(attempt).items()}


def _stage_certainties(attempt) -> dict[str, list[str]]:
    """The certainty posted with each item of the current stage (certainty marking)."""
    return {key: request.form.getlist(f"certainty-{ref}") for key, ref in _stage_refs(attempt).items()}


@bp.route("/attempts/<int:attempt_id>", methods=["POST"])
@allow(*SIGNED_IN)
def answer_stage(attempt_id: int):
    """The plain form post (works without JavaScript): save the stage, then go on or submit."""
    attempt = attempts.get_attempt(current_user, attempt_id, lock=True)
    if not attempt.is_open:
        return redirect(url_for("learn.result", attempt_id=attempt.id))
    if attempts.close_if_overdue(attempt):
        db.session.commit()
        return _time_is_up(attempt)
    # "Move on anyway" / "Submit anyway" send confirm=<action> instead of action=<action>.
    confirmed = request.form.get("confirm")
    action = request.form.get("action") or confirmed or "save"
    stage = int_arg("stage", None, minimum=0, source=request.form)
    if stage is not None and stage < attempt.stage_index and action == "next":
        return redirect(url_for("learn.take", attempt_id=attempt.id))  # a repeated "next": already done
    if stage is None or action not in ("save", "next", "submit"):
        abort(400)
    attempts.save_answers(attempt, stage, _stage_values(attempt), certainties=_stage_certainties(attempt))
    if action != "save":
        answers = attempts.saved_answers(attempt)  # one read serves the blank check and the grading
        blank = attempts.unanswered_in_stage(attempt, answers)
        if blank and confirmed != action:
            db.session.commit()
            refs = _stage_refs(attempt)
            return _render_take(attempt, confirm_blank=[(n, refs[key]) for n, key in blank], action=action)
        if action == "next":
            attempts.advance(attempt, stage)
        else:
            attempts.submit(attempt, answers)
    db.session.commit()
    if action == "submit":
        return redirect(url_for("learn.result", attempt_id=attempt.id))
    if action == "save":
        flash("Your answers are saved.", "success")
    return redirect(url_for("learn.take", attempt_id=attempt.id, _anchor=f"stage-{attempt.stage_index}"))


@bp.route("/attempts/<int:attempt_id>/autosave", methods=["POST"])
@allow(*SIGNED_IN)
def autosave(attempt_id: int):
    """Save one answer as it is given (JSON from static/js/take.js); stale saves are refused."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="Send the answer as JSON."), 400
    stage, item, values, seq = (data.get(k) for k in ("stage", "item", "values", "seq"))
    certainty = data.get("certainty", "")
    if not (
        isinstance(stage, int)
        and isinstance(item, str)
        and isinstance(values, list)
        and all(isinstance(v, str) for v in values)
        and isinstance(seq, int)
        and isinstance(certainty, str)
    ):
        return jsonify(error="The answer is missing stage, item, values or seq."), 400
    # Out of range, a number would reach the database as an integer overflow (a 500).
    if not whole_in_range(seq, 1, MAX_BIG):
        return jsonify(error=f"The save's sequence number must be a whole number from 1 to {MAX_BIG}."), 400
    if not whole_in_range(stage, 0):
        return jsonify(error="The stage must be a whole number from 0 up."), 400
    attempt = attempts.get_attempt(current_user, attempt_id, lock=True)
    if attempts.close_if_overdue(attempt):
        db.session.commit()
        return jsonify(error=TIME_IS_UP, closed=True, status=409), 409
    # The page names the item by its ref (a token), never by its authored key.
    key = attempts.attempt_tokens(attempt.id).item_key(item, attempt.content.item_map())
    if key is None:
        raise attempts.BadAnswer(f"This module has no item '{item[:80]}'.")
    applied = attempts.save_answers(attempt, stage, {key: values}, seq=seq, certainties={key: [certainty]})
    db.session.commit()
    return jsonify(saved=True, seq=applied)


@bp.route("/attempts/<int:attempt_id>/result")
@allow(*SIGNED_IN)
def result(attempt_id: int):
    """Score, pass or fail, and for every item its mark, the explanation and the lesson section."""
    attempt = attempts.get_attempt(current_user, attempt_id)
    if attempt.is_open:
        flash("Submit the attempt to see your result.", "info")
        return redirect(url_for("learn.take", attempt_id=attempt.id))
    items = attempts.result_items(attempt)
    sections = content.section_titles({r.item.lesson for r in items})
    reveal, policy = answer_policy.reveal(current_user.id, attempt.module_id)
    certificate = certificates.certificate_for_attempt(attempt.id) if attempt.passed else None
    return render_template(
        "learn/result.html",
        attempt=attempt,
        items=items,
        # Safety-critical misses first: they are what kept the attempt from passing.
        safety=sorted((r for r in items if r.safety_miss), key=lambda r: (not r.harmful, r.number)),
        sure=attempts.certainty_report(attempt, items),
        sections=sections,
        reveal=reveal,
        policy=policy,
        certificate=certificate,
    )


@bp.route("/progress")
@allow(*SIGNED_IN)
def my_progress():
    """Mastery per topic as a chart, and every attempt with a link to its result."""
    return render_template(
        "learn/progress.html",
        mastery=progress.topic_mastery(current_user),
        history=attempts.history(current_user),
    )


@bp.route("/lessons")
@allow(*SIGNED_IN)
def lessons():
    """The reading material, by procedure."""
    return render_template("learn/lessons.html", groups=content.lessons_by_procedure())


@bp.route("/lessons/<slug>")
@allow(*SIGNED_IN)
def lesson(slug: str):
    """One lesson; each section has a stable anchor that result pages link to."""
    row = content.lesson_by_slug(slug) or abort(404)
    return render_template("learn/lesson.html", lesson=row, doc=row.content)


@bp.route("/media/<name>")
@allow(*SIGNED_IN)
def media_file(name: str):
    """A case photo, for signed-in users only; names are generated, so anything else is 404."""
    if not media.NAME.match(name):
        abort(404)
    # Sent with no-store like every signed-in response: photos show clients' faces.
    return send_from_directory(media.media_dir(current_app.instance_path), name)


@bp.errorhandler(attempts.AttemptError)
def attempt_error(exc: attempts.AttemptError):
    """A refused request about an attempt: nothing was saved; say why, in JSON or on the page."""
    db.session.rollback()
    if request.is_json or request.path.endswith("/autosave"):
        return jsonify(error=exc.message, status=exc.status_code), exc.status_code
    if isinstance(exc, attempts.AttemptNotFound) or "attempt_id" not in (request.view_args or {}):
        return render_template("error.html", code=exc.status_code, message=exc.message), exc.status_code
    flash(exc.message, "danger")
    attempt = attempts.get_attempt(current_user, request.view_args["attempt_id"])
    typed = request.form if request.method == "POST" else None
    return (
        _render_take(attempt, status=exc.status_code, typed=typed)
        if attempt.is_open
        else redirect(url_for("learn.result", attempt_id=attempt.id))
    )


SESSION_EXPIRED = (
    "Your session expired, so nothing was saved. Sign in again in another tab if you were signed out; "
    "your answers are below: press Save again."
)
SESSION_EXPIRED_SIGNED_OUT = (
    "Your session expired, so nothing was saved. Sign in again in another tab, then come back to this page "
    "and press Save again (go back if your answers are not on the page)."
)
DATABASE_BUSY = "The academy is very busy and nothing was saved. Your answers are below: press Save again in a moment."
DATABASE_FULL = (
    "The academy's server is out of storage space, so nothing was saved. Your answers are below: "
    "press Save again in a few minutes, and tell your instructor if it keeps happening."
)
RETRY_AFTER_SECONDS = 5


def _refill_take_page(message: str, status: int):
    """The take page again with the answers just posted, or None when it cannot be shown.

    Used when a post was refused before anything was saved (a stale CSRF token, a busy or
    full database), so the student loses nothing and can press Save again.
    """
    attempt_id = (request.view_args or {}).get("attempt_id")
    if request.endpoint != "learn.answer_stage" or attempt_id is None:
        return None
    # Reading never needs the write lock that may be the very thing that is busy.
    declare_write_intent(False)
    try:
        if not current_user.is_authenticated:
            return None
        attempt = attempts.get_attempt(current_user, attempt_id)
        if not attempt.is_open:
            return None
        flash(message, "danger")
        return _render_take(attempt, status=status, typed=request.form)
    except (attempts.AttemptError, OperationalError):
        db.session.rollback()
        return None


def _refused(message: str, status: int, **extra):
    """A refused request outside the take page: JSON for autosave and JSON clients, else the error page."""
    if request.is_json or request.path.endswith("/autosave"):
        return jsonify(error=message, status=status, **extra), status
    return render_template("error.html", code=status, message=message), status


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    """A missing or stale CSRF token: keep the student's answers on the page instead of a bare error."""
    db.session.rollback()
    page = _refill_take_page(SESSION_EXPIRED, 400)
    if page is not None:
        return page
    if request.path.endswith("/autosave"):
        message = "your session expired. Sign in again in another tab; your answer stays here."
        return jsonify(error=message, csrf=True, status=400), 400
    return _refused(SESSION_EXPIRED_SIGNED_OUT, 400)


@bp.errorhandler(OperationalError)
def database_unavailable(exc: OperationalError):
    """The database is locked past the timeout, full or down: nothing was saved; keep the answers to retry."""
    db.session.rollback()
    full = "full" in str(exc.orig)
    current_app.logger.warning("database unavailable: %s", exc.orig)
    message = DATABASE_FULL if full else DATABASE_BUSY
    response = _refill_take_page(message, 503)
    if response is None:
        response = _refused(message, 503, retry=True)
    response = current_app.make_response(response)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
