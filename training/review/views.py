"""The student's dashboard and review practice. Each view parses, calls a service, commits once."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import SIGNED_IN, allow
from ..extensions import db
from ..models.types import utcnow
from ..services import answer_policy, content, review
from ..services import dashboard as dashboard_service
from . import bp
from .forms import PracticeForm


@bp.context_processor
def _dates():
    """Date wording shared by the practice pages."""
    return {"day": dashboard_service.day, "when": dashboard_service.when}


@bp.route("/dashboard")
@allow(*SIGNED_IN)
def dashboard():
    """Assigned modules with their status, mastery per topic and the review queue, for the signed-in user."""
    return render_template("practice/dashboard.html", dash=dashboard_service.dashboard(current_user))


@bp.route("/review")
@allow(*SIGNED_IN)
def review_next():
    """The user's card that is due soonest, or when the next one will be."""
    now = utcnow()
    card = review.next_due_card(current_user, now)
    if card is None:
        return render_template("practice/nothing_due.html", queue=review.queue_summary(current_user, now), now=now)
    return _render_practice(review.practice_item(card), PracticeForm(reviews=card.reviews))


@bp.route("/review/<int:card_id>")
@allow(*SIGNED_IN)
def review_card(card_id: int):
    """One of the user's own cards, due or not (practising early is allowed)."""
    card = review.own_card_or_404(current_user, card_id)
    if not answer_policy.answers_visible(current_user.id, card.module_id):
        return _on_hold()
    return _render_practice(review.practice_item(card), PracticeForm(reviews=card.reviews))


@bp.route("/review/<int:card_id>", methods=["POST"])
@allow(*SIGNED_IN)
def answer(card_id: int):
    """Grade a practice answer, reschedule the card, and show whether it was right."""
    card = review.own_card_or_404(current_user, card_id, lock=True)
    if not answer_policy.answers_visible(current_user.id, card.module_id):
        return _on_hold()
    form = PracticeForm()
    if not form.validate():
        abort(400)
    practice = review.practice_item(card)
    values = None if form.unsure.data else request.form.getlist(practice.view.field)
    try:
        result = review.practise(practice, values, form.reviews.data)
    except review.AlreadyReviewed as exc:
        flash(exc.message, "info")
        return redirect(url_for("practice.review_next"))
    except review.BadPracticeAnswer as exc:
        return _render_practice(practice, form, error=exc.message, typed=request.form, status=400)
    db.session.commit()
    now = utcnow()
    return render_template(
        "practice/feedback.html",
        practice=practice,
        result=result,
        sections=content.section_titles({practice.item.lesson}),
        queue=review.queue_summary(current_user, now),
        now=now,
    )


def _on_hold():
    """A card whose module holds its answers back again: nothing is graded or shown."""
    flash("That question is on hold: its module does not show its answers at the moment.", "info")
    return redirect(url_for("practice.review_next"))


def _render_practice(practice, form, *, error: str = "", typed=None, status: int = 200):
    """The practice page for one card; ``typed`` (the refused post) refills the inputs."""
    now = utcnow()
    return (
        render_template(
            "practice/review.html",
            practice=practice,
            form=form,
            error=error,
            vals=typed.getlist(practice.view.field) if typed else [],
            queue=review.queue_summary(current_user, now),
            now=now,
        ),
        status,
    )
