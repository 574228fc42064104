"""Issue 15 end to end on the real starter pack: the safety gate, certainty marking, variants,
the wait after a failed attempt, overrides and the review order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from quizzes.items import Item
from training.extensions import db
from training.models import Answer, Attempt, Certificate, ModuleOverride, ModuleRow, ReviewCard
from training.models.types import utcnow
from training.services import content

from .conftest import start_attempt, user_by_email, writing
from .helpers import key_values, page_answers, page_ref, wrong_values

SLUG = "red-flags-and-referral"


@pytest.fixture
def shipped(app, academy) -> str:
    """The real starter pack (strict settings, variants), not the feature tests' copy."""
    with app.app_context(), writing():
        content.import_pack(content.STARTER_PACKS)
        db.session.commit()
    return SLUG


def attempt_module(app, attempt_id):
    """The module as the attempt shows it (its drawn variants)."""
    with app.app_context():
        return db.session.get(Attempt, attempt_id).content


def harmful_values(item: Item) -> list[str]:
    """Form values picking the first choice marked harmful."""
    return [next(c.id for c in item.choices if c.harmful)]


def take(client, app, attempt_id, values=key_values, certainty="3"):
    """Answer every stage of the attempt's own draw with ``values(item)`` at ``certainty`` (a level, or a
    function of the item giving one) and submit."""
    module = attempt_module(app, attempt_id)
    stages = module.stages()
    for ref in stages:
        answers = page_answers(app, attempt_id, {item.key: values(item) for item in ref.stage.items})
        data = {"stage": str(ref.index), "action": "submit" if ref.index == len(stages) - 1 else "next"}
        data["confirm"] = data["action"]
        for key, vals in answers.items():
            ref = page_ref(app, attempt_id, key)
            data[f"item-{ref}"] = vals
            data[f"certainty-{ref}"] = certainty(module.item_map()[key]) if callable(certainty) else certainty
        response = client.post(f"/attempts/{attempt_id}", data=data)
        assert response.status_code == 302, response.data
    return module


def first_harmful_single(module) -> Item:
    return next(i for i in module.items() if i.type == "single" and any(c.harmful for c in i.choices))


def test_a_perfect_attempt_except_one_harmful_choice_fails_on_safety_and_issues_no_certificate(
    app, student_client, student, shipped
):
    attempt_id = start_attempt(student_client, shipped)
    module = attempt_module(app, attempt_id)
    unsafe = first_harmful_single(module)
    take(student_client, app, attempt_id, lambda item: harmful_values(item) if item is unsafe else key_values(item))
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.percent > 90 and attempt.passed is False and attempt.safety_misses == 1
        assert attempt.failed_on_safety
        assert db.session.scalar(select(Certificate).where(Certificate.attempt_id == attempt_id)) is None
        row = db.session.scalar(select(Answer).where(Answer.attempt_id == attempt_id, Answer.item_key == unsafe.key))
        assert unsafe.harmful_picks(row.response) and row.safety_miss and row.certainty == 3
    page = student_client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Not passed: a safety step was missed" in page
    # The safety section comes before the score, and names what was chosen.
    assert page.index('id="safety"') < page.index("result-summary")
    harmful_text = next(c.text for c in unsafe.choices if c.harmful)
    assert "the action that would harm the client" in page and harmful_text.replace("'", "&#39;") in page
    assert "Not passed: safety" in page
    # Answers are held back until the last attempt: no explanation on the page.
    assert unsafe.explanation.split("\n")[0][:40] not in page


def test_certainty_marks_and_the_calibration_chart_show_on_the_result(app, student_client, student, shipped):
    attempt_id = start_attempt(student_client, shipped)
    take(student_client, app, attempt_id, certainty="3")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.passed and attempt.cbm_average == pytest.approx(3.0) and attempt.cbm_bonus == pytest.approx(0.0)
    page = student_client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Certainty-based marks" in page and "Accuracy + bonus" in page
    assert "How well your certainty matched your answers" in page and "Well judged" in page


def test_autosave_keeps_the_certainty_with_the_answer_and_the_page_shows_it_again(app, student_client, shipped):
    attempt_id = start_attempt(student_client, shipped)
    item = attempt_module(app, attempt_id).stages()[0].stage.items[0]
    values = page_answers(app, attempt_id, {item.key: key_values(item)})[item.key]
    ref = page_ref(app, attempt_id, item.key)
    body = {"stage": 0, "item": ref, "values": values, "seq": 1, "certainty": "2"}
    assert student_client.post(f"/attempts/{attempt_id}/autosave", json=body).status_code == 200
    bad = student_client.post(f"/attempts/{attempt_id}/autosave", json={**body, "seq": 2, "certainty": "9"})
    assert bad.status_code == 400 and "how sure" in bad.get_json()["error"]
    with app.app_context():
        row = db.session.scalar(select(Answer).where(Answer.attempt_id == attempt_id))
        assert row.certainty == 2
    page = student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'id="sure-{ref}-2"\n           value="2" checked' in page
    assert 'role="radiogroup"' in page and "How sure are you of this answer?" in page


def fail_on_safety(client, app, attempt_id):
    module = attempt_module(app, attempt_id)
    unsafe = first_harmful_single(module)
    take(client, app, attempt_id, lambda item: harmful_values(item) if item is unsafe else key_values(item))
    return module


def move_back(app, attempt_id, hours):
    """Time moves on: the attempt was submitted ``hours`` earlier than it was."""
    with app.app_context(), writing():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.submitted_at -= timedelta(hours=hours)
        db.session.commit()


def test_a_wait_blocks_a_retry_until_it_passes_and_the_retry_draws_unseen_variants(app, student_client, shipped):
    first = start_attempt(student_client, shipped)
    first_module = fail_on_safety(student_client, app, first)
    refused = student_client.post(f"/modules/{shipped}/start")
    assert refused.status_code == 409 and "wait before the next" in refused.get_data(as_text=True)
    page = student_client.get(f"/modules/{shipped}").get_data(as_text=True)
    assert "Your next attempt can start in" in page and "Start the module" not in page
    move_back(app, first, 23)
    assert student_client.post(f"/modules/{shipped}/start").status_code == 409  # 23 hours is not 24
    move_back(app, first, 1)
    second = start_attempt(student_client, shipped)
    second_module = attempt_module(app, second)
    with app.app_context():
        slots = db.session.get(Attempt, second).version.content.slots()
    seen = {item.key for item in first_module.items()}
    for item in second_module.items():
        if len(slots[item.slot]) == 2:  # two variants: the retry shows the one not seen
            assert item.key not in seen, item.key


def test_an_override_grants_an_extra_attempt_and_extra_time(app, student_client, student, shipped):
    with app.app_context(), writing():
        module = db.session.scalar(select(ModuleRow).where(ModuleRow.slug == shipped))
        admin = user_by_email("admin@example.com")
        db.session.add(
            ModuleOverride(
                user_id=student,
                module_id=module.id,
                extra_attempts=1,
                extra_minutes=30,
                reason="Exam access plan",
                granted_by_id=admin.id,
            )
        )
        db.session.commit()
    attempt_ids = []
    for _ in range(4):  # three allowed + one extra
        attempt_id = start_attempt(student_client, shipped)
        attempt_ids.append(attempt_id)
        fail_on_safety(student_client, app, attempt_id)
        move_back(app, attempt_id, 25)
    assert len(set(attempt_ids)) == 4
    refused = student_client.post(f"/modules/{shipped}/start")
    assert refused.status_code == 409 and "all 4 attempt(s)" in refused.get_data(as_text=True)
    page = student_client.get(f"/modules/{shipped}").get_data(as_text=True)
    assert "Attempts: 4 of 4 used." in page and "Arranged for you" in page


def test_safety_misses_then_confidently_wrong_answers_come_first_in_review(app, student_client, student, shipped):
    # Three attempts; the last uses the last attempt, so the answers show and its misses join the queue.
    for n in range(3):
        attempt_id = start_attempt(student_client, shipped)
        module = attempt_module(app, attempt_id)
        unsafe = first_harmful_single(module)
        plain = [i for i in module.items() if i.type == "single" and not i.safety_critical and not i.harmful_parts()]
        sure_wrong, unsure_wrong = plain[0], plain[1]

        def values(item, unsafe=unsafe, wrong=(sure_wrong, unsure_wrong)):
            if item is unsafe:
                return harmful_values(item)
            return wrong_values(item) if item in wrong else key_values(item)

        take(student_client, app, attempt_id, values, lambda item, low=unsure_wrong: "1" if item is low else "3")
        if n < 2:
            move_back(app, attempt_id, 25)
    with app.app_context(), writing():
        cards = {
            card.item_key: card for card in db.session.scalars(select(ReviewCard).where(ReviewCard.user_id == student))
        }
        assert {key: card.priority for key, card in cards.items()} == {
            unsafe.key: 2,  # a safety miss
            sure_wrong.key: 1,  # wrong at high certainty
            unsure_wrong.key: 0,  # wrong, and the student said they were unsure
        }
        # All due, in the opposite order: the priority alone puts the safety miss first.
        for minutes, key in ((30, unsure_wrong.key), (20, sure_wrong.key), (10, unsafe.key)):
            cards[key].due = utcnow() - timedelta(minutes=minutes)
        db.session.commit()
    served = []
    for _ in range(3):
        page = student_client.get("/review", follow_redirects=True).get_data(as_text=True).replace("&#39;", "'")
        served += [item.key for item in (unsafe, sure_wrong, unsure_wrong) if item.prompt.split("\n")[0][:40] in page]
        with app.app_context(), writing():
            db.session.get(ReviewCard, cards_by_key(student)[served[-1]]).due = utcnow() + timedelta(days=1)
            db.session.commit()
    assert served == [unsafe.key, sure_wrong.key, unsure_wrong.key]


def cards_by_key(student) -> dict[str, int]:
    return {
        card.item_key: card.id for card in db.session.scalars(select(ReviewCard).where(ReviewCard.user_id == student))
    }
