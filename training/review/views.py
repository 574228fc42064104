"""Review: the spaced-repetition queue of the questions a student missed. Views parse, call a service, commit once."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import SIGNED_IN, allow
from ..extensions import db
from ..models.types import utcnow
from ..services import answer_policy, content, review
from . import bp
from .forms import ReviewForm


@bp.route("/review")
@allow(*SIGNED_IN)
def next_card():
    """The user's card that is due soonest, or when the next one will be."""
    now = utcnow()
    card = review.next_due_card(current_user, now)
    if card is None:
        return render_template("review/nothing_due.html", queue=review.queue_summary(current_user, now), now=now)
    return _render_card(review.item_for(card), ReviewForm(reviews=card.reviews))


@bp.route("/review/<int:card_id>", endpoint="card")
@allow(*SIGNED_IN)
def show_card(card_id: int):
    """One of the user's own cards, due or not (practising early is allowed)."""
    card = review.own_card_or_404(current_user, card_id)
    if not answer_policy.answers_visible(current_user.id, card.module_id):
        return _on_hold()
    return _render_card(review.item_for(card), ReviewForm(reviews=card.reviews))


@bp.route("/review/<int:card_id>", methods=["POST"])
@allow(*SIGNED_IN)
def answer(card_id: int):
    """Grade a review answer, reschedule the card, and show whether it was right."""
    card = review.own_card_or_404(current_user, card_id, lock=True)
    if not answer_policy.answers_visible(current_user.id, card.module_id):
        return _on_hold()
    form = ReviewForm()
    if not form.validate():
        abort(400)
    review_item = review.item_for(card)
    values = None if form.unsure.data else request.form.getlist(review_item.view.field)
    try:
        result = review.answer_card(review_item, values, form.reviews.data)
    except review.AlreadyReviewed as exc:
        flash(exc.message, "info")
        return redirect(url_for("review.next_card"))
    except review.BadReviewAnswer as exc:
        return _render_card(review_item, form, error=exc.message, typed=request.form, status=400)
    db.session.commit()
    now = utcnow()
    return render_template(
        "review/feedback.html",
        review_item=review_item,
        result=result,
        sections=content.section_titles({review_item.item.lesson}),
        queue=review.queue_summary(current_user, now),
        now=now,
    )


def _on_hold():
    """A card whose module holds its answers back again: nothing is graded or shown."""
    flash("That question is on hold: its module does not show its answers at the moment.", "info")
    return redirect(url_for("review.next_card"))


def _render_card(review_item, form, *, error: str = "", typed=None, status: int = 200):
    """The review page for one card; ``typed`` (the refused post) refills the inputs."""
    now = utcnow()
    return (
        render_template(
            "review/card.html",
            review_item=review_item,
            form=form,
            error=error,
            vals=typed.getlist(review_item.view.field) if typed else [],
            queue=review.queue_summary(current_user, now),
            now=now,
        ),
        status,
    )
