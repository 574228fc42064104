"""Taking a module end to end: start, autosave, stages that lock, submit, result, progress."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from training.extensions import db
from training.models import Answer, Attempt, AttemptStatus, AttemptTopic, Certificate

from .conftest import module_doc, start_attempt
from .helpers import key_values, page_answers, page_ref, page_values, wrong_values


def stage_items(doc, index):
    return doc.stages()[index].stage.items


def autosave(client, attempt_id, stage, item, values, seq, raw=False):
    """Autosave authored ``values`` of item ``item`` as the page would (its tokens); ``raw``: send them as given."""
    if not raw:
        values = page_answers(client.application, attempt_id, {item: values})[item]
    ref = page_ref(client.application, attempt_id, item)
    return client.post(
        f"/attempts/{attempt_id}/autosave", json={"stage": stage, "item": ref, "values": values, "seq": seq}
    )


def post_stage(client, attempt_id, stage, answers, action="save", confirm=True, raw=False):
    """Post the stage form with ``{item key: authored values}`` as the page's values; ``raw``: as given."""
    data = {"stage": str(stage), "action": action}
    if confirm:
        data["confirm"] = action
    if not raw:
        answers = page_answers(client.application, attempt_id, answers)
    for key, values in answers.items():
        data[f"item-{page_ref(client.application, attempt_id, key)}"] = values
    return client.post(f"/attempts/{attempt_id}", data=data)


def finish(client, doc, attempt_id, values=key_values):
    """Answer every stage with ``values(item)`` and submit."""
    stages = doc.stages()
    for ref in stages:
        answers = {item.key: values(item) for item in ref.stage.items}
        action = "submit" if ref.index == len(stages) - 1 else "next"
        response = post_stage(client, attempt_id, ref.index, answers, action=action)
        assert response.status_code == 302, response.data
    return response


def stored(app, attempt_id):
    with app.app_context():
        rows = db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
        return {row.item_key: row.response for row in rows}


def test_catalogue_lists_the_starter_module(student_client, starter):
    page = student_client.get("/").get_data(as_text=True)
    assert "Thread lift" in page and "Start" in page


def test_start_twice_resumes_the_same_attempt(app, student_client, starter):
    first = start_attempt(student_client, starter)
    assert start_attempt(student_client, starter) == first
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_autosave_stores_the_answer_and_reload_shows_it(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    item = stage_items(doc, 0)[0]
    response = autosave(student_client, attempt_id, 0, item.key, key_values(item), 1)
    assert response.status_code == 200 and response.json == {"saved": True, "seq": 1}
    assert stored(app, attempt_id)[item.key] == item.key_answer()
    page = student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    ref = page_ref(app, attempt_id, item.key)
    assert item.key not in page  # the page names the item by a token: an authored key can name its answer
    for value in page_values(app, attempt_id, item, key_values(item)):
        assert re.search(rf'name="item-{ref}"[^>]*value="{re.escape(value)}"\s*(checked|selected)?', page)
        if item.type in ("single", "multiple", "true-false"):
            assert re.search(rf'name="item-{ref}"[^>]*value="{re.escape(value)}"\s*checked', page)


def test_stale_autosave_is_refused_and_the_newest_answer_wins(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    item = next(i for i in stage_items(doc, 0) if i.type == "single")
    assert autosave(student_client, attempt_id, 0, item.key, key_values(item), 5).status_code == 200
    late = autosave(student_client, attempt_id, 0, item.key, wrong_values(item), 4)
    assert late.status_code == 409
    assert "newer answer" in late.json["error"]
    assert stored(app, attempt_id)[item.key] == item.key_answer()


def test_a_blank_clears_a_saved_answer_records_nothing_new_and_a_stale_one_is_refused(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    first, second = stage_items(doc, 0)[:2]
    assert autosave(student_client, attempt_id, 0, first.key, key_values(first), 1).status_code == 200
    assert autosave(student_client, attempt_id, 0, first.key, [], 2).status_code == 200  # cleared
    assert autosave(student_client, attempt_id, 0, second.key, [], 3).status_code == 200  # never given: nothing
    assert stored(app, attempt_id) == {first.key: None}
    late_blank = autosave(student_client, attempt_id, 0, first.key, [], 2)
    late_answer = autosave(student_client, attempt_id, 0, first.key, wrong_values(first), 1)
    assert late_blank.status_code == late_answer.status_code == 409
    assert stored(app, attempt_id) == {first.key: None}
    again = autosave(student_client, attempt_id, 0, first.key, wrong_values(first), 4)
    assert again.status_code == 200 and stored(app, attempt_id) == {first.key: first.parse_answer(wrong_values(first))}


def test_form_post_without_javascript_saves_the_stage(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    answers = {item.key: key_values(item) for item in stage_items(doc, 0)}
    response = post_stage(student_client, attempt_id, 0, answers)
    assert response.status_code == 302
    saved = stored(app, attempt_id)
    assert {k: saved[k] for k in answers} == {i.key: i.key_answer() for i in stage_items(doc, 0)}


def test_moving_on_with_blank_items_asks_first(app, student_client, starter):
    attempt_id = start_attempt(student_client, starter)
    response = post_stage(student_client, attempt_id, 0, {}, action="next", confirm=False)
    assert response.status_code == 200
    assert "Still blank" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).stage_index == 0


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"stage": 0, "item": "no-such-item", "values": ["a"], "seq": 1}, "no item"),
        ({"stage": 0, "item": "ITEM", "values": ["zz"], "seq": 1}, "not part of this question"),
        ({"stage": 0, "values": ["a"], "seq": 1}, "missing"),
        ({"stage": 0, "item": "ITEM", "values": "a", "seq": 1}, "missing"),
        ({"stage": 0, "item": "ITEM", "values": ["a"], "seq": 0}, "sequence number"),
    ],
)
def test_bad_autosave_is_refused_with_a_message_and_saves_nothing(app, student_client, starter, payload, message):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    choice_item = next(i for i in stage_items(doc, 0) if i.type in ("single", "multiple"))
    if payload.get("item") == "ITEM":
        payload["item"] = page_ref(app, attempt_id, choice_item.key)
    response = student_client.post(f"/attempts/{attempt_id}/autosave", json=payload)
    assert response.status_code == 400
    assert message in response.json["error"]
    assert stored(app, attempt_id) == {}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seq", -1, "sequence number"),
        ("seq", 2**63, "sequence number"),
        ("seq", 10**30, "sequence number"),
        ("seq", True, "sequence number"),
        ("seq", 1.5, "missing"),
        ("seq", "3", "missing"),
        ("stage", -1, "stage"),
        ("stage", 2**63, "stage"),
        ("stage", 10**30, "stage"),
    ],
)
def test_an_autosave_number_out_of_range_is_a_400_with_a_message_and_saves_nothing(
    app, student_client, starter, field, value, message
):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    item = stage_items(doc, 0)[0]
    values = page_values(app, attempt_id, item, key_values(item))
    payload = {"stage": 0, "item": page_ref(app, attempt_id, item.key), "values": values, "seq": 1} | {field: value}
    response = student_client.post(f"/attempts/{attempt_id}/autosave", json=payload)
    assert response.status_code == 400
    assert message in response.json["error"]
    assert stored(app, attempt_id) == {}
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).last_seq == 0


@pytest.mark.parametrize("stage", ["-1", str(2**63), str(10**30), "zero"])
def test_a_form_post_with_a_stage_out_of_range_is_a_400_and_saves_nothing(app, student_client, starter, stage):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    item = stage_items(doc, 0)[0]
    field = f"item-{page_ref(app, attempt_id, item.key)}"
    data = {"stage": stage, "action": "save", field: page_values(app, attempt_id, item, key_values(item))}
    response = student_client.post(f"/attempts/{attempt_id}", data=data)
    assert response.status_code == 400
    assert stored(app, attempt_id) == {}


def test_non_json_autosave_is_a_400(student_client, starter):
    attempt_id = start_attempt(student_client, starter)
    response = student_client.post(f"/attempts/{attempt_id}/autosave", data="not json")
    assert response.status_code == 400


def test_a_non_number_in_a_numeric_item_is_refused_and_the_typed_text_kept(app, student_client, starter):
    doc = module_doc(app, starter)
    ref, item = next((r, i) for r in doc.stages() for i in r.stage.items if i.type == "numeric")
    attempt_id = start_attempt(student_client, starter)
    for index in range(ref.index):
        post_stage(student_client, attempt_id, index, {}, action="next")
    response = autosave(student_client, attempt_id, ref.index, item.key, ["ten"], 1)
    assert response.status_code == 400 and "not a number" in response.json["error"]
    page = post_stage(student_client, attempt_id, ref.index, {item.key: ["twelve-ish"]})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "is not a number" in html and 'value="twelve-ish"' in html
    assert item.key not in stored(app, attempt_id)


def test_answers_to_a_locked_stage_are_refused(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    first = stage_items(doc, 0)[0]
    assert post_stage(student_client, attempt_id, 0, {}, action="next").status_code == 302
    response = autosave(student_client, attempt_id, 0, first.key, key_values(first), 1)
    assert response.status_code == 409 and "locked" in response.json["error"]
    form = post_stage(student_client, attempt_id, 0, {first.key: key_values(first)})
    assert form.status_code == 409
    assert first.key not in stored(app, attempt_id)


def test_answers_to_a_stage_not_yet_shown_are_refused(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    later = stage_items(doc, 1)[0]
    response = autosave(student_client, attempt_id, 0, later.key, key_values(later), 1)
    assert response.status_code == 409
    assert stored(app, attempt_id) == {}


def test_next_stage_twice_moves_on_once(app, student_client, starter):
    attempt_id = start_attempt(student_client, starter)
    assert post_stage(student_client, attempt_id, 0, {}, action="next").status_code == 302
    assert post_stage(student_client, attempt_id, 0, {}, action="next").status_code == 302
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).stage_index == 1


def test_later_stages_stay_hidden_until_reached(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    page = student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert doc.stages()[0].stage.title in page
    assert doc.stages()[1].stage.title not in page


def test_no_answer_or_feedback_reaches_the_browser_before_submission(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    secrets = set()
    for item in doc.items():
        secrets.add(item.explanation)
        secrets |= {
            getattr(item, f)
            for f in ("feedback_true", "feedback_false", "feedback_low", "feedback_high")
            if getattr(item, f, "")
        }
        secrets |= {c.feedback for c in getattr(item, "choices", []) if c.feedback}
    pages = []
    for ref in doc.stages():
        pages.append(student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True))
        if ref.index < len(doc.stages()) - 1:
            post_stage(student_client, attempt_id, ref.index, {}, action="next")
    pages.append(student_client.get(f"/attempts/{attempt_id}/result", follow_redirects=True).get_data(as_text=True))
    for page in pages:
        for secret in secrets:
            assert secret[:60] not in page
        # The short-answer box's autocorrect="off" (phones must not change what is typed) is no verdict.
        assert "correct" not in page.lower().replace("incorrect", "").replace('autocorrect="off"', "")


def test_submit_grades_and_shows_explanations_feedback_and_lesson_links(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    response = finish(student_client, doc, attempt_id, values=wrong_values)
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    page = student_client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Not passed" in page and "0%" in page
    for item in doc.items():
        assert item.explanation.split("\n")[0][:50] in page.replace("&#39;", "'").replace("&quot;", '"')
        slug, anchor = item.lesson.split("#")
        assert f"/lessons/{slug}#{anchor}" in page
    wrong_single = next(i for i in doc.items() if i.type == "single")
    picked = next(c for c in wrong_single.choices if not c.correct)
    assert picked.feedback[:40].replace("'", "&#39;") in page


def test_full_marks_pass(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    finish(student_client, doc, attempt_id)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == AttemptStatus.SUBMITTED
        assert attempt.passed and attempt.score == attempt.max_score == sum(i.points for i in doc.items())
        assert db.session.scalar(select(func.count(Answer.id)).where(Answer.attempt_id == attempt_id)) == len(
            list(doc.items())
        )


def test_submit_writes_the_per_topic_totals_the_heatmap_adds_up(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    right = {item.key for n, item in enumerate(doc.items()) if n % 2 == 0}
    finish(
        student_client,
        doc,
        attempt_id,
        values=lambda item: key_values(item) if item.key in right else wrong_values(item),
    )
    post_stage(student_client, attempt_id, len(doc.stages()) - 1, {}, action="submit")  # a replay adds nothing
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        from_answers = db.session.execute(
            select(Answer.topic, func.sum(Answer.awarded), func.sum(Answer.points), func.count(Answer.id))
            .where(Answer.attempt_id == attempt_id)
            .group_by(Answer.topic)
        ).all()
        totals = db.session.scalars(select(AttemptTopic).where(AttemptTopic.attempt_id == attempt_id)).all()
        assert sorted((t.topic, t.awarded, t.points, t.items) for t in totals) == sorted(
            (topic, pytest.approx(awarded), pytest.approx(points), n) for topic, awarded, points, n in from_answers
        )
        assert {(t.user_id, t.module_id) for t in totals} == {(attempt.user_id, attempt.module_id)}
        assert 0 < sum(t.awarded for t in totals) < sum(t.points for t in totals)


def test_items_never_answered_are_recorded_at_submit_with_no_marks(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    finish(student_client, doc, attempt_id, values=lambda item: [])  # every stage moved on blank
    with app.app_context():
        rows = db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id)).all()
        assert sorted(r.item_key for r in rows) == sorted(i.key for i in doc.items())
        assert all(r.response is None and r.awarded == 0 and r.seq == 0 for r in rows)
        attempt = db.session.get(Attempt, attempt_id)
        totals = db.session.scalars(select(AttemptTopic).where(AttemptTopic.attempt_id == attempt_id)).all()
        assert attempt.score == 0 and sum(t.points for t in totals) == attempt.max_score
        assert sum(t.items for t in totals) == len(rows)


def test_submit_twice_returns_the_same_result_and_one_attempt(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    finish(student_client, doc, attempt_id)
    last = len(doc.stages()) - 1
    again = post_stage(student_client, attempt_id, last, {}, action="submit")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 1
        assert db.session.get(Attempt, attempt_id).passed


def test_autosave_after_submit_is_refused(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    finish(student_client, doc, attempt_id)
    last = doc.stages()[-1].stage.items[0]
    before = stored(app, attempt_id)
    response = autosave(student_client, attempt_id, len(doc.stages()) - 1, last.key, wrong_values(last), 99)
    assert response.status_code == 409 and "submitted" in response.json["error"]
    assert stored(app, attempt_id) == before


def test_starting_again_after_submitting_makes_a_new_attempt(app, student_client, starter):
    doc = module_doc(app, starter)
    first = start_attempt(student_client, starter)
    finish(student_client, doc, first)
    assert start_attempt(student_client, starter) != first


def test_submit_before_the_last_stage_is_refused(app, student_client, starter):
    attempt_id = start_attempt(student_client, starter)
    response = post_stage(student_client, attempt_id, 0, {}, action="submit")
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).is_open


@pytest.mark.parametrize("path", ["", "/result", "/autosave"])
def test_someone_elses_attempt_is_not_found(app, student_client, other_client, starter, path):
    attempt_id = start_attempt(student_client, starter)
    if path == "/autosave":
        response = other_client.post(
            f"/attempts/{attempt_id}/autosave", json={"stage": 0, "item": "x", "values": [], "seq": 1}
        )
    else:
        response = other_client.get(f"/attempts/{attempt_id}{path}")
    assert response.status_code == 404
    form = other_client.post(f"/attempts/{attempt_id}", data={"stage": "0", "action": "next"})
    assert form.status_code == 404
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).stage_index == 0


def test_progress_shows_mastery_per_topic_and_history(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    finish(student_client, doc, attempt_id)
    page = student_client.get("/progress").get_data(as_text=True)
    for label in ("Anatomy", "Placement", "Injection volume", "Aftercare", "Red flags and referral"):
        assert label in page
    assert "100%" in page and f"/attempts/{attempt_id}/result" in page


def test_lessons_are_browsable_with_section_anchors(app, student_client, starter):
    doc = module_doc(app, starter)
    listing = student_client.get("/lessons").get_data(as_text=True)
    by_lesson: dict[str, set[str]] = {}
    for ref in doc.lesson_refs():
        slug, anchor = ref.split("#")
        by_lesson.setdefault(slug, set()).add(anchor)
    for slug, anchors in by_lesson.items():
        assert f"/lessons/{slug}" in listing
        page = student_client.get(f"/lessons/{slug}").get_data(as_text=True)
        for anchor in anchors:
            assert f'id="{anchor}"' in page
    assert student_client.get("/lessons/no-such-lesson").status_code == 404


def test_a_late_save_of_one_question_is_kept_after_a_newer_save_of_another(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    first, second = stage_items(doc, 0)[:2]
    assert autosave(student_client, attempt_id, 0, second.key, key_values(second), 2).status_code == 200
    assert autosave(student_client, attempt_id, 0, first.key, key_values(first), 1).status_code == 200
    saved = stored(app, attempt_id)
    assert saved[first.key] == first.key_answer() and saved[second.key] == second.key_answer()


def test_signing_in_again_resumes_with_every_saved_answer(app, student_client, starter):
    from .conftest import login

    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    answers = {item.key: key_values(item) for item in stage_items(doc, 0)}
    post_stage(student_client, attempt_id, 0, answers)
    student_client.post("/logout")
    login(student_client, "sam@example.com")
    assert start_attempt(student_client, starter) == attempt_id
    page = student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    for key, values in page_answers(app, attempt_id, answers).items():
        ref = page_ref(app, attempt_id, key)
        for value in values:
            assert re.search(rf'name="item-{ref}"[^>]*value="{re.escape(value)}"\s*(checked)?', page), key
            if doc.item_map()[key].type in ("single", "multiple", "true-false"):
                assert re.search(rf'name="item-{ref}"[^>]*value="{re.escape(value)}"\s*checked', page), key


def test_every_shipped_module_can_be_taken_to_a_result_and_every_lesson_read(app, student_client, starter):
    from training.services.content import catalogue, lessons

    with app.app_context():
        slugs = [entry.module.slug for entry in catalogue()]
        lesson_slugs = [row.slug for row in lessons()]
    assert len(slugs) >= 1
    for slug in slugs:
        doc = module_doc(app, slug)
        attempt_id = start_attempt(student_client, slug)
        finish(student_client, doc, attempt_id)
        page = student_client.get(f"/attempts/{attempt_id}/result")
        assert page.status_code == 200 and "100%" in page.get_data(as_text=True), slug
    for slug in lesson_slugs:
        assert student_client.get(f"/lessons/{slug}").status_code == 200, slug


def test_a_passed_result_links_its_certificate_and_a_failed_one_does_not(app, student_client, starter):
    doc = module_doc(app, starter)
    passed = start_attempt(student_client, starter)
    finish(student_client, doc, passed)
    with app.app_context():
        code = db.session.scalar(select(Certificate.code).where(Certificate.attempt_id == passed))
    html = student_client.get(f"/attempts/{passed}/result").get_data(as_text=True)
    assert f"/certificates/{code}.pdf" in html and "earned a certificate" in html

    failed = start_attempt(student_client, starter)
    finish(student_client, doc, failed, values=wrong_values)
    assert "earned a certificate" not in student_client.get(f"/attempts/{failed}/result").get_data(as_text=True)
