"""The review queue: items a student missed come back on an FSRS schedule.

A card is made when a graded attempt misses an item; later attempts move it (a miss
brings it closer, a right answer pushes it out) and so does answering a card on ``/review``.
Practice only ever writes ``review_cards`` and ``review_logs``: attempts, answers and
scores are the record of what was examined and never change here.

``ReviewCard.reviews`` counts review answers (one ``ReviewLog`` each), so the review
page carries it as a token: a post made with an older count is a replay.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fsrs import Card, Rating, Scheduler
from sqlalchemy import case, func, select

from quizzes.certainty import overconfident
from quizzes.content import Module, StageRef
from quizzes.items import AnswerError, Item, Mark
from quizzes.scoring import AttemptScore
from quizzes.views import ItemView, ResultItem, result_item, review_view

from ..extensions import db
from ..models import Attempt, ModuleVersion, ReviewCard, ReviewLog, User
from ..models.types import utcnow
from . import answer_policy
from .errors import NotFound, ServiceError
from .form_values import form_tokens

# FSRS defaults: 90% desired retention, learning steps of 1 and 10 minutes, so a missed
# item is ready to practise straight after the attempt and graduates to days once known.
SCHEDULER = Scheduler()


class ReviewError(ServiceError):
    """A review answer that cannot be taken (400 unless a subclass says otherwise)."""


class BadReviewAnswer(ReviewError):
    """The answer does not fit the item (unknown choice, not a number, blank)."""


class AlreadyReviewed(ReviewError):
    """The card was answered since the page was shown (a replayed or double post)."""

    status_code = 409


def rating_for(mark: Mark) -> Rating:
    """How well an answer was recalled: full marks Good, some marks Hard, nothing Again."""
    if mark.is_full:
        return Rating.Good
    return Rating.Hard if mark.awarded > 0 else Rating.Again


def reviewed(state: dict | None, rating: Rating, at: datetime) -> Card:
    """The FSRS card after a review at ``at``; ``state`` None starts a new card."""
    # The row's id is the card's identity; a fixed fsrs id also skips Card()'s 1 ms sleep.
    card = Card(card_id=0) if state is None else Card.from_dict(state)
    card, _log = SCHEDULER.review_card(card, rating, review_datetime=at.astimezone(UTC))
    return card


def _apply(row: ReviewCard, rating: Rating, at: datetime) -> None:
    """Review ``row`` with ``rating`` at ``at``: new FSRS state, due date and counters."""
    card = reviewed(row.state, rating, at)
    row.state = card.to_dict()
    row.due = card.due
    row.last_reviewed_at = at
    if rating == Rating.Again:
        row.lapses += 1
    elif rating == Rating.Good:
        row.priority = 0  # recalled: it waits its turn like any other card


def _topic(item: Item) -> str:
    """The item's topic as stored on its card (published items always have one)."""
    return item.topic.value if item.topic else ""


def schedule_missed(attempt: Attempt, result: AttemptScore) -> None:
    """Called when an attempt is graded: add or bring forward a card for each item not fully right.

    Items answered fully right that already have a card are reviewed as Good. One query
    loads the student's cards for the module; the caller's transaction writes the rest.
    Practice tells a student whether an answer is right, so while the module holds its
    answers back from this student (its ``show_answers`` setting) no new card is added.
    """
    at = attempt.submitted_at or utcnow()
    # Asked only when a new card is due (it costs a query or two): a clean attempt never asks.
    may_add = functools.cache(lambda: answer_policy.answers_visible(attempt.user_id, attempt.module_id, at))
    existing = {
        row.item_key: row
        for row in db.session.scalars(
            select(ReviewCard).where(ReviewCard.user_id == attempt.user_id, ReviewCard.module_id == attempt.module_id)
        )
    }
    unsafe = {miss.key for miss in result.safety_misses}
    for item in attempt.content.items():
        missed = not result.marks[item.key].is_full
        row = existing.get(item.key)
        priority = _priority(item.key in unsafe, result.marks[item.key], result.certainties.get(item.key))
        if row is None and missed and may_add():
            card = reviewed(None, Rating.Again, at)
            db.session.add(
                ReviewCard(
                    user_id=attempt.user_id,
                    module_id=attempt.module_id,
                    item_key=item.key,
                    version_id=attempt.version_id,
                    topic=_topic(item),
                    state=card.to_dict(),
                    due=card.due,
                    reviews=0,
                    lapses=0,
                    last_reviewed_at=at,
                    priority=priority,
                )
            )
        elif row is not None and missed:
            _apply(row, Rating.Again, at)
            row.version_id, row.topic, row.priority = attempt.version_id, _topic(item), priority
        elif row is not None:
            _apply(row, Rating.Good, at)
    db.session.flush()


def _priority(unsafe: bool, mark: Mark, certainty: int | None) -> int:
    """A card's place in the queue: 2 a safety miss, 1 a confidently wrong answer, 0 any other miss."""
    if unsafe:
        return 2
    return 1 if certainty is not None and overconfident(mark.fraction, certainty) else 0


def own_card_or_404(user: User, card_id: int, *, lock: bool = False) -> ReviewCard:
    """The user's own card; someone else's or an unknown id is NotFound. Locked when about to write."""
    query = select(ReviewCard).where(ReviewCard.id == card_id, ReviewCard.user_id == user.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    card = db.session.scalar(query)
    if card is None:
        raise NotFound()
    return card


def on_hold(user: User, now: datetime | None = None) -> set[int]:
    """Modules whose cards the user may not practise now: their answers are held back again.

    Practice tells right from wrong, so it would leak the key of a module whose instructor
    has since tightened its ``show_answers`` setting. Those cards wait (their schedule kept)
    until the policy lets the student see the answers.
    """
    return answer_policy.hidden_modules(user.id, select(ReviewCard.module_id).where(ReviewCard.user_id == user.id), now)


def _practisable(user: User, now: datetime | None):
    """The condition for the user's cards that may be practised now."""
    hidden = on_hold(user, now)
    condition = ReviewCard.user_id == user.id
    return condition & ReviewCard.module_id.not_in(hidden) if hidden else condition


def next_due_card(user: User, now: datetime | None = None) -> ReviewCard | None:
    """The user's next card among those due by ``now`` (None when nothing is due): a safety miss or a
    confidently wrong answer first, then the one due soonest."""
    now = now or utcnow()
    return db.session.scalar(
        select(ReviewCard)
        .where(_practisable(user, now), ReviewCard.due <= now)
        # A safety miss first, then a confidently wrong answer, then the card due soonest.
        .order_by(ReviewCard.priority.desc(), ReviewCard.due, ReviewCard.id)
        .limit(1)
    )


@dataclass(frozen=True)
class QueueSummary:
    """How much review is waiting: cards due now, all cards, and when the next not-yet-due one is."""

    due_now: int
    total: int
    next_due: datetime | None


def queue_summary(user: User, now: datetime | None = None) -> QueueSummary:
    """The user's practisable cards in numbers (one aggregate, after the policy check per module)."""
    now = now or utcnow()
    total, due_now, next_due = db.session.execute(
        select(
            func.count(ReviewCard.id),
            func.coalesce(func.sum(case((ReviewCard.due <= now, 1), else_=0)), 0),
            func.min(case((ReviewCard.due > now, ReviewCard.due))),
        ).where(_practisable(user, now))
    ).one()
    return QueueSummary(due_now=int(due_now), total=int(total), next_due=next_due)


@dataclass(frozen=True)
class ReviewItem:
    """A card as the review page shows it: the module version, the item's stage and the item."""

    card: ReviewCard
    version: ModuleVersion
    ref: StageRef
    view: ItemView

    @property
    def item(self) -> Item:
        """The item being practised."""
        return self.view.item

    @property
    def module(self) -> Module:
        """The module version the card's wording comes from."""
        return self.version.content


def item_for(card: ReviewCard) -> ReviewItem:
    """The card's item in the version it was last missed in, with its stage for context."""
    version = db.session.get(ModuleVersion, card.version_id)
    try:
        # The card's id seeds the choice order, so a reload shows the same order, and keys
        # its form values, which (as in an attempt) never show an authored id.
        ref, view = review_view(version.content, card.item_key, card.id, form_tokens(f"card:{card.id}"))
    except LookupError:
        raise LookupError(f"item {card.item_key!r} is not in module version {version.id}") from None
    return ReviewItem(card=card, version=version, ref=ref, view=view)


def parse_answer(view: ItemView, values: list[str]) -> Any:
    """The posted form values as the item's answer; a blank or ill-fitting one is BadReviewAnswer."""
    try:
        answer = view.parse(values)
    except AnswerError as exc:
        raise BadReviewAnswer(str(exc)) from None
    if answer is None:
        raise BadReviewAnswer("Give an answer first, or choose “I don't know”.")
    return answer


def answer_card(review_item: ReviewItem, values: list[str] | None, seen_reviews: int) -> ResultItem:
    """Grade a review answer with the item's own marking, reschedule the card and log the answer.

    The card must be locked by the caller. ``values`` are the posted form values, None
    for "I don't know" (rated Again). ``seen_reviews`` is the card's ``reviews`` when the
    page was shown: if the card has been answered since, this is a replay and changes nothing.
    Returns the graded item for the feedback page.
    """
    card = review_item.card
    if seen_reviews != card.reviews:
        raise AlreadyReviewed("You have already answered that question, so it was not counted twice.")
    answer = None if values is None else parse_answer(review_item.view, values)
    mark = review_item.item.grade(answer)
    rating = rating_for(mark)
    now = utcnow()
    _apply(card, rating, now)
    card.reviews += 1
    db.session.add(
        ReviewLog(card_id=card.id, reviewed_at=now, rating=int(rating), correct=mark.is_full, response=answer)
    )
    db.session.flush()
    return result_item(review_item.view.number, review_item.ref, review_item.item, answer, mark)
