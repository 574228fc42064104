"""The review queue: missed items become cards, answering a card reschedules them and never touches scores."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from quizzes.scoring import score_attempt
from training.database import writing
from training.extensions import db
from training.models import Answer, Attempt, ReviewCard, ReviewLog
from training.models.types import utcnow
from training.services import review

from .conftest import count_queries, module_doc, start_attempt
from .helpers import card_ref, card_values, key_values, wrong_values
from .test_attempt_policy import publish_settings
from .test_taking import finish

SLUG = "thread-lift-nerve-pain"
SINGLE = "tl-np-likely-cause"  # single best answer, stage 1
NUMERIC = "tl-np-compress-minutes"  # numeric, stage 1
MULTIPLE = "tl-np-first-measures"  # multiple response, stage 1


def take_missing(app, client, missed: set[str]) -> int:
    """Take the starter module, answering the ``missed`` items wrongly and the rest rightly."""
    doc = module_doc(app, SLUG)
    attempt_id = start_attempt(client, SLUG)
    finish(client, doc, attempt_id, values=lambda item: wrong_values(item) if item.key in missed else key_values(item))
    return attempt_id


def cards(app, user_id: int) -> dict[str, ReviewCard]:
    """The user's cards by item key, detached from the session."""
    with app.app_context():
        rows = list(db.session.scalars(select(ReviewCard).where(ReviewCard.user_id == user_id)))
        for row in rows:
            db.session.expunge(row)
        return {row.item_key: row for row in rows}


def set_due(app, card_id: int, delta: timedelta) -> None:
    """Move a card's due date to ``now + delta`` (negative: already due)."""
    with app.app_context(), writing():
        db.session.get(ReviewCard, card_id).due = utcnow() + delta
        db.session.commit()


def field(app, card) -> str:
    """The form field of ``card``'s question as its review page names it (``name="item-<ref>"``)."""
    return f'name="item-{card_ref(app, card.id, card.item_key)}"'


def item(app, key: str):
    return module_doc(app, SLUG).item_map()[key]


def post_answer(client, card, values=None, raw=False, **extra):
    """Post a review answer to ``card`` with the review count the page showed.

    ``values`` are authored (``key_values``...), posted as the review page offers them (its
    tokens); ``raw`` posts them as given.
    """
    data = {"reviews": str(card.reviews), **extra}
    if values is not None:
        if not raw:
            values = card_values(client.application, card.id, item(client.application, card.item_key), values)
        data[f"item-{card_ref(client.application, card.id, card.item_key)}"] = values
    return client.post(f"/review/{card.id}", data=data)


def logs(app, card_id: int) -> list[tuple[int, bool]]:
    with app.app_context():
        rows = db.session.scalars(select(ReviewLog).where(ReviewLog.card_id == card_id).order_by(ReviewLog.id))
        return [(row.rating, row.correct) for row in rows]


def snapshot(app) -> dict:
    """Every attempt and answer column that records what was examined."""
    with app.app_context():
        attempts = [
            (a.id, a.status, a.score, a.max_score, a.passed, a.submitted_at, a.stage_index, a.last_seq, a.version_id)
            for a in db.session.scalars(select(Attempt).order_by(Attempt.id))
        ]
        answers = [
            (a.id, a.attempt_id, a.item_key, a.response, a.awarded, a.points, a.seq, a.saved_at)
            for a in db.session.scalars(select(Answer).order_by(Answer.id))
        ]
        return {"attempts": attempts, "answers": answers}


@pytest.fixture
def missed(app, student, student_client, starter):
    """Sam has taken the module missing two items; both cards are made due now."""
    take_missing(app, student_client, {SINGLE, NUMERIC})
    mine = cards(app, student)
    for card in mine.values():
        set_due(app, card.id, -timedelta(minutes=5))
    return cards(app, student)


def test_a_graded_attempt_makes_cards_only_for_missed_items(app, student, student_client, starter):
    attempt_id = take_missing(app, student_client, {SINGLE, NUMERIC})
    mine = cards(app, student)
    assert set(mine) == {SINGLE, NUMERIC}
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        version_id, submitted_at = attempt.version_id, attempt.submitted_at
    for card in mine.values():
        assert card.version_id == version_id and card.reviews == 0 and card.lapses == 0
        assert card.topic == item(app, card.item_key).topic.value
        # A miss is reviewed once as Again at submission: back after FSRS's first learning step.
        assert card.last_reviewed_at == submitted_at
        assert timedelta(0) < card.due - submitted_at <= timedelta(minutes=1)
    assert logs(app, mine[SINGLE].id) == []  # grading is not review

    page = student_client.get("/review").get_data(as_text=True)
    assert "Nothing to review now — next review in 1 minute" in page

    set_due(app, mine[SINGLE].id, -timedelta(seconds=1))
    page = student_client.get("/review").get_data(as_text=True)
    ref = module_doc(app, SLUG).stages()[0]
    assert ref.case.client in page and ref.stage.title in page
    assert field(app, mine[SINGLE]) in page and field(app, mine[NUMERIC]) not in page
    assert 'name="reviews" type="hidden" value="0"' in page or 'type="hidden" name="reviews" value="0"' in page


def test_a_later_attempt_brings_a_missed_card_closer_and_a_right_answer_pushes_it_out(
    app, student, student_client, missed
):
    for card in missed.values():
        set_due(app, card.id, timedelta(days=3))
    attempt_id = take_missing(app, student_client, {SINGLE})  # NUMERIC is right this time
    after = cards(app, student)
    with app.app_context():
        submitted_at = db.session.get(Attempt, attempt_id).submitted_at
    assert set(after) == {SINGLE, NUMERIC}
    assert after[SINGLE].due - submitted_at <= timedelta(minutes=1) and after[SINGLE].lapses == 1
    assert after[NUMERIC].due - submitted_at >= timedelta(minutes=9) and after[NUMERIC].lapses == 0


def test_a_right_review_answer_moves_the_card_further_out_than_a_wrong_one(app, missed, student_client):
    right, wrong = missed[SINGLE], missed[NUMERIC]
    ok = post_answer(student_client, right, key_values(item(app, SINGLE)))
    assert ok.status_code == 200 and "Right" in ok.get_data(as_text=True)
    bad = post_answer(student_client, wrong, wrong_values(item(app, NUMERIC)))
    assert bad.status_code == 200 and "Not this time" in bad.get_data(as_text=True)

    now = utcnow()
    after = cards(app, right.user_id)
    assert after[SINGLE].due - now > after[NUMERIC].due - now
    assert after[SINGLE].due - now >= timedelta(minutes=9)  # Good: FSRS's 10-minute step
    assert after[NUMERIC].due - now <= timedelta(minutes=1)  # Again: back to the first step
    assert (after[SINGLE].reviews, after[SINGLE].lapses) == (1, 0)
    assert (after[NUMERIC].reviews, after[NUMERIC].lapses) == (1, 1)
    assert logs(app, right.id) == [(3, True)] and logs(app, wrong.id) == [(1, False)]


def test_a_partly_right_answer_is_rated_hard(app, student, student_client, starter):
    take_missing(app, student_client, {MULTIPLE})
    card = cards(app, student)[MULTIPLE]
    set_due(app, card.id, -timedelta(minutes=1))
    multiple = item(app, MULTIPLE)
    assert len(multiple.correct_ids) > 1
    response = post_answer(student_client, card, multiple.correct_ids[:1])
    assert response.status_code == 200 and "Partly right" in response.get_data(as_text=True)
    assert logs(app, card.id) == [(2, False)]


def test_i_dont_know_counts_as_a_miss_and_shows_the_answer(app, missed, student_client):
    card = missed[SINGLE]
    response = post_answer(student_client, card, unsure="I don't know")
    page = response.get_data(as_text=True)
    single = item(app, SINGLE)
    correct = next(c.text for c in single.choices if c.correct)
    assert response.status_code == 200 and "Not this time" in page and correct in page
    assert logs(app, card.id) == [(1, False)]


def test_review_never_changes_attempts_answers_or_scores(app, missed, student_client):
    before = snapshot(app)
    post_answer(student_client, missed[SINGLE], key_values(item(app, SINGLE)))
    post_answer(student_client, missed[NUMERIC], wrong_values(item(app, NUMERIC)))
    after_answers = cards(app, missed[SINGLE].user_id)
    post_answer(student_client, after_answers[NUMERIC], unsure="I don't know")
    assert snapshot(app) == before


def test_a_due_card_comes_back_and_a_card_not_yet_due_does_not(app, missed, student_client):
    set_due(app, missed[SINGLE].id, -timedelta(hours=1))
    set_due(app, missed[NUMERIC].id, timedelta(days=2))
    page = student_client.get("/review").get_data(as_text=True)
    assert field(app, missed[SINGLE]) in page and field(app, missed[NUMERIC]) not in page
    assert "1 question due now" in page

    feedback = post_answer(student_client, missed[SINGLE], key_values(item(app, SINGLE))).get_data(as_text=True)
    assert "Nothing to review now — next review in 10 minutes" in feedback
    assert 'href="/dashboard"' in feedback

    page = student_client.get("/review").get_data(as_text=True)
    assert "Nothing to review now — next review in 10 minutes" in page
    assert field(app, missed[NUMERIC]) not in page and field(app, missed[SINGLE]) not in page


def test_the_earliest_due_card_comes_first_and_next_leads_to_the_other(app, missed, student_client):
    set_due(app, missed[NUMERIC].id, -timedelta(hours=2))
    set_due(app, missed[SINGLE].id, -timedelta(hours=1))
    assert field(app, missed[NUMERIC]) in student_client.get("/review").get_data(as_text=True)
    feedback = post_answer(student_client, missed[NUMERIC], key_values(item(app, NUMERIC))).get_data(as_text=True)
    assert "Next question (1 due)" in feedback and 'href="/review"' in feedback
    assert field(app, missed[SINGLE]) in student_client.get("/review").get_data(as_text=True)


def test_a_replayed_answer_is_not_counted_twice(app, missed, student_client):
    card = missed[SINGLE]
    values = key_values(item(app, SINGLE))
    assert post_answer(student_client, card, values).status_code == 200
    replay = post_answer(student_client, card, values)  # the same form, reviews=0 again
    assert replay.status_code == 302 and replay.headers["Location"].endswith("/review")
    assert "already answered that question" in student_client.get("/review").get_data(as_text=True)
    after = cards(app, card.user_id)[SINGLE]
    assert after.reviews == 1 and logs(app, card.id) == [(3, True)]


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_card_or_an_unknown_one_is_not_found(app, missed, other_client, student_client, method):
    card = missed[SINGLE]
    values = {"reviews": "0", f"item-{SINGLE}": key_values(item(app, SINGLE))}
    send = getattr(other_client, method)
    response = send(f"/review/{card.id}", **({"data": values} if method == "post" else {}))
    assert response.status_code == 404
    unknown = getattr(student_client, method)(
        f"/review/{card.id + 1000}", **({"data": values} if method == "post" else {})
    )
    assert unknown.status_code == 404
    after = cards(app, card.user_id)[SINGLE]
    assert (after.reviews, after.due, after.state) == (card.reviews, card.due, card.state)
    assert logs(app, card.id) == []


@pytest.mark.parametrize(
    ("key", "values", "message"),
    [
        (SINGLE, ["no-such-choice"], "That choice is not part of this question."),
        (NUMERIC, ["twelve"], "is not a number"),
        (NUMERIC, [""], "Give an answer first"),
    ],
)
def test_a_bad_answer_is_refused_with_a_message_and_changes_nothing(app, missed, student_client, key, values, message):
    card = missed[key]
    response = post_answer(student_client, card, values, raw=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and "Nothing was recorded" in page
    assert field(app, card) in page  # the form is shown again
    if key == NUMERIC and values[0]:
        assert 'value="twelve"' in page  # with what was typed
    after = cards(app, card.user_id)[key]
    assert (after.reviews, after.lapses, after.due, after.state) == (card.reviews, card.lapses, card.due, card.state)
    assert logs(app, card.id) == []


def test_a_post_without_the_review_count_is_a_400(app, missed, student_client):
    card = missed[SINGLE]
    response = student_client.post(f"/review/{card.id}", data={f"item-{SINGLE}": key_values(item(app, SINGLE))})
    assert response.status_code == 400 and logs(app, card.id) == []


def test_feedback_shows_the_answer_explanation_and_lesson_when_the_module_allows(app, missed, student_client):
    single = item(app, SINGLE)
    picked = wrong_values(single)[0]
    page = post_answer(student_client, missed[SINGLE], [picked]).get_data(as_text=True)
    correct = next(c.text for c in single.choices if c.correct)
    assert "Correct answer" in page and correct in page
    assert single.choice(picked).feedback.split()[0] in page
    assert 'class="explanation"' in page
    assert "/lessons/" + single.lesson.split("#")[0] in page


def test_a_module_that_never_shows_answers_adds_nothing_to_the_queue(app, student, student_client, starter):
    publish_settings(app, show_answers="never")
    take_missing(app, student_client, {SINGLE})
    assert cards(app, student) == {}  # reviewing would tell which answer is right
    assert "Nothing to review now" in student_client.get("/review").get_data(as_text=True)


def test_after_last_attempt_misses_join_the_queue_only_with_the_last_attempt(app, student, student_client, starter):
    publish_settings(app, show_answers="after-last-attempt", attempts_allowed=2)
    every_item = {item.key for item in module_doc(app, SLUG).items()}
    take_missing(app, student_client, every_item)  # failed, one attempt left: answers still held back
    assert cards(app, student) == {}
    take_missing(app, student_client, every_item)  # the last attempt: now the answers may be seen
    assert set(cards(app, student)) == every_item


def test_cards_wait_while_a_newer_version_holds_the_answers_back(app, missed, student_client):
    publish_settings(app, show_answers="never")
    card = missed[SINGLE]
    assert "Nothing to review now" in student_client.get("/review").get_data(as_text=True)
    held = student_client.get(f"/review/{card.id}", follow_redirects=True).get_data(as_text=True)
    assert "on hold" in held and field(app, missed[SINGLE]) not in held
    # Posting every choice in turn tells nothing and records nothing.
    for choice in item(app, SINGLE).choices:
        answered = post_answer(student_client, card, [choice.id])
        assert answered.status_code == 302
        page = student_client.get(answered.headers["Location"]).get_data(as_text=True)
        assert "on hold" in page and "Correct answer" not in page
    assert logs(app, card.id) == []
    assert cards(app, card.user_id)[SINGLE].due == card.due  # its schedule is kept for later

    publish_settings(app, show_answers="after-submit")  # loosened again: the card is back
    assert field(app, missed[SINGLE]) in student_client.get("/review").get_data(as_text=True)


def test_students_only_see_their_own_queue(app, missed, other_student, other_client, student_client):
    page = other_client.get("/review").get_data(as_text=True)
    assert "Nothing to review now" in page and field(app, missed[SINGLE]) not in page
    dash = other_client.get("/dashboard").get_data(as_text=True)
    assert "No questions to review" in dash
    assert "Start review (2 due)" in student_client.get("/dashboard").get_data(as_text=True)


def test_review_needs_signing_in(app, starter):
    response = app.test_client().get("/review")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _queries_to_schedule(app, attempt_id: int) -> list[str]:
    """The SELECTs that scheduling an attempt's review cards runs for a student with no cards yet.

    Submitting scheduled them already: the cards are deleted first, and all of it rolled back.
    """
    with app.app_context(), writing():
        attempt = db.session.get(Attempt, attempt_id)
        db.session.execute(delete(ReviewCard).where(ReviewCard.user_id == attempt.user_id))
        answers = {
            row.item_key: row.response
            for row in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
        }
        result = score_attempt(attempt.version.content, answers)
        with count_queries(app) as selects:
            review.schedule_missed(attempt, result)
        db.session.rollback()
    return selects


def test_scheduling_at_grading_reads_the_cards_then_the_policy_in_two_queries(app, student, student_client, starter):
    attempt_id = take_missing(app, student_client, {SINGLE, NUMERIC, MULTIPLE})
    selects = _queries_to_schedule(app, attempt_id)
    # Every card of the module at once, then (new cards are due) the newest version's show-answers policy.
    assert len(selects) == 2 and "review_cards" in selects[0] and "module_versions" in selects[1]


def test_a_clean_attempt_does_not_ask_the_answer_policy(app, student, student_client, starter):
    attempt_id = take_missing(app, student_client, set())
    selects = _queries_to_schedule(app, attempt_id)
    assert len(selects) == 1 and "review_cards" in selects[0]


def test_the_review_page_shows_no_authored_choice_id_and_refuses_one(app, missed, student_client):
    single, card = item(app, SINGLE), missed[SINGLE]
    page = student_client.get(f"/review/{card.id}").get_data(as_text=True)
    shown = re.findall(rf'{field(app, card)}[^>]*value="([^"]*)"', page)
    assert len(shown) == len(single.choices)
    assert not {c.id for c in single.choices} & set(shown)
    assert not any(f"{card_ref(app, card.id, SINGLE)}-{c.id}" in page for c in single.choices)  # nor in element ids
    response = post_answer(student_client, card, key_values(single), raw=True)
    assert response.status_code == 400
    assert "That choice is not part of this question." in response.get_data(as_text=True)
    assert logs(app, card.id) == []
    assert post_answer(student_client, card, key_values(single)).status_code == 200  # its own value is taken
