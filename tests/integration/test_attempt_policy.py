"""The module's attempt policy, enforced on the server: attempts allowed, time limit, tutor mode."""

from __future__ import annotations

from datetime import timedelta

from quizzes.content import Module
from training.database import writing
from training.extensions import db
from training.models import Attempt, Cohort, CohortMember, CohortModule
from training.models.types import utcnow
from training.services import drafts
from training.services.content import module_by_slug

from .conftest import module_doc, start_attempt
from .helpers import key_values, wrong_values
from .test_taking import autosave, finish, post_stage, stored

SLUG = "thread-lift-nerve-pain"


def publish_settings(app, **settings):
    """Publish a new version of the starter module with these settings."""
    with app.app_context(), writing():
        draft = drafts.start_draft(module_by_slug(SLUG), None)
        data = draft.content.model_dump(mode="json")
        data["settings"].update(settings)
        drafts.save_draft(draft, Module.model_validate(data), None)
        drafts.publish_draft(draft, None)
        db.session.commit()


def move_deadline(app, attempt_id, seconds_from_now):
    with app.app_context(), writing():
        db.session.get(Attempt, attempt_id).deadline = utcnow() + timedelta(seconds=seconds_from_now)
        db.session.commit()


def attempt(app, attempt_id):
    with app.app_context():
        row = db.session.get(Attempt, attempt_id)
        db.session.expunge(row)
        return row


def test_attempts_allowed_is_enforced(app, student_client, starter):
    publish_settings(app, attempts_allowed=1)
    doc = module_doc(app, SLUG)
    finish(student_client, doc, start_attempt(student_client, SLUG))
    refused = student_client.post(f"/modules/{SLUG}/start")
    assert refused.status_code == 409 and "used all 1 attempt" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 1


def test_a_time_limit_sets_a_deadline_and_shows_a_countdown(app, student_client, starter):
    publish_settings(app, time_limit_minutes=30)
    attempt_id = start_attempt(student_client, SLUG)
    row = attempt(app, attempt_id)
    assert timedelta(minutes=29) < row.deadline - row.started_at <= timedelta(minutes=30)
    page = student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'id="countdown"' in page and "Time left" in page
    assert "30:00" in page or "29:5" in page


def test_a_save_after_the_deadline_submits_the_attempt_with_what_was_saved(app, student_client, starter):
    publish_settings(app, time_limit_minutes=30)
    doc = module_doc(app, SLUG)
    first, second = doc.stages()[0].stage.items[:2]
    attempt_id = start_attempt(student_client, SLUG)
    assert autosave(student_client, attempt_id, 0, first.key, key_values(first), 1).status_code == 200
    move_deadline(app, attempt_id, -60)
    late = autosave(student_client, attempt_id, 0, second.key, key_values(second), 2)
    assert late.status_code == 409 and late.json["closed"] is True and "Time is up" in late.json["error"]
    row = attempt(app, attempt_id)
    assert not row.is_open and row.score == first.points
    assert stored(app, attempt_id)[second.key] is None  # graded as blank: it came too late


def test_a_save_just_after_the_deadline_is_still_accepted(app, student_client, starter):
    publish_settings(app, time_limit_minutes=30)
    doc = module_doc(app, SLUG)
    item = doc.stages()[0].stage.items[0]
    attempt_id = start_attempt(student_client, SLUG)
    move_deadline(app, attempt_id, -3)  # within the grace for network delay
    assert autosave(student_client, attempt_id, 0, item.key, key_values(item), 1).status_code == 200


def test_opening_an_attempt_past_its_deadline_submits_it(app, student_client, starter):
    publish_settings(app, time_limit_minutes=30)
    attempt_id = start_attempt(student_client, SLUG)
    move_deadline(app, attempt_id, -1)
    response = student_client.get(f"/attempts/{attempt_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    assert not attempt(app, attempt_id).is_open
    page = student_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Time is up" in page


def test_resuming_past_the_deadline_submits_and_shows_the_result(app, student_client, starter):
    publish_settings(app, time_limit_minutes=30)
    attempt_id = start_attempt(student_client, SLUG)
    move_deadline(app, attempt_id, -1)
    response = student_client.post(f"/modules/{SLUG}/start")
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/result")


def test_a_form_post_after_the_deadline_submits(app, student_client, starter):
    publish_settings(app, time_limit_minutes=30)
    attempt_id = start_attempt(student_client, SLUG)
    move_deadline(app, attempt_id, -60)
    response = post_stage(student_client, attempt_id, 0, {}, action="next")
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    assert not attempt(app, attempt_id).is_open


def test_exam_mode_shows_no_feedback_on_locked_stages(app, student_client, starter):
    doc = module_doc(app, SLUG)
    attempt_id = start_attempt(student_client, SLUG)
    answers = {item.key: key_values(item) for item in doc.stages()[0].stage.items}
    post_stage(student_client, attempt_id, 0, answers, action="next")
    page = student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert doc.stages()[0].stage.items[0].explanation[:50] not in page


def test_tutor_mode_shows_a_stage_feedback_once_it_locks_and_not_before(app, student_client, starter):
    publish_settings(app, feedback="after-each-stage")
    doc = module_doc(app, SLUG)
    first_stage = doc.stages()[0].stage.items
    attempt_id = start_attempt(student_client, SLUG)
    before = student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Feedback on a stage shows once it locks." in before
    assert first_stage[0].explanation[:50] not in before
    post_stage(student_client, attempt_id, 0, {item.key: key_values(item) for item in first_stage}, action="next")
    after = student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True).replace("&#39;", "'")
    assert first_stage[0].explanation[:50].replace("&#39;", "'") in after
    later = doc.stages()[1].stage.items[0]
    assert later.explanation[:50] not in after  # the open stage keeps its answers hidden


def test_authors_set_the_policy_in_the_settings_form(app, instructor_client, starter):
    doc = module_doc(app, SLUG)
    form = {"title": doc.title, "procedure": doc.procedure.value, "summary": doc.summary, "pass_mark": "70"}
    url = f"/author/modules/{SLUG}/draft/settings"
    instructor_client.post(f"/author/modules/{SLUG}/draft/start")
    bad = instructor_client.post(url, data={**form, "attempts_allowed": "0", "feedback": "after-submit"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "Must be 1 or more." in page and 'value="0"' in page
    good = {**form, "attempts_allowed": "3", "time_limit_minutes": "45", "feedback": "after-each-stage"}
    assert instructor_client.post(url, data=good).status_code == 302
    with app.app_context():
        settings = drafts.draft_for(module_by_slug(SLUG)).content.settings
    assert (settings.attempts_allowed, settings.time_limit_minutes, settings.feedback.value) == (
        3,
        45,
        "after-each-stage",
    )


# ---------------------------------------------------------------- when students see the correct answers


def result_page(client, attempt_id) -> str:
    return client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)


def reveals_answers(html: str) -> bool:
    return "Correct answer" in html and 'class="explanation"' in html


def test_answers_after_submit_are_shown_with_the_result(app, student_client, starter):
    doc = module_doc(app, SLUG)
    attempt_id = start_attempt(student_client, SLUG)
    finish(student_client, doc, attempt_id, values=wrong_values)
    assert reveals_answers(result_page(student_client, attempt_id))


def test_never_shows_marks_but_no_answer_or_explanation(app, student_client, starter):
    publish_settings(app, show_answers="never")
    doc = module_doc(app, SLUG)
    attempt_id = start_attempt(student_client, SLUG)
    finish(student_client, doc, attempt_id, values=wrong_values)
    html = result_page(student_client, attempt_id)
    assert not reveals_answers(html)
    assert "does not show its correct answers" in html and "Incorrect" in html
    first = next(doc.items())
    assert first.explanation[:40] not in html
    assert "Correct answers: never" in student_client.get(f"/modules/{SLUG}").get_data(as_text=True)


def test_a_newer_version_that_hides_answers_hides_them_on_older_results_too(app, student_client, starter):
    doc = module_doc(app, SLUG)
    attempt_id = start_attempt(student_client, SLUG)
    finish(student_client, doc, attempt_id, values=wrong_values)
    assert reveals_answers(result_page(student_client, attempt_id))
    publish_settings(app, show_answers="never")
    html = result_page(student_client, attempt_id)
    assert not reveals_answers(html) and "does not show its correct answers" in html


def test_after_last_attempt_waits_for_a_pass_or_the_last_attempt(app, student_client, starter):
    publish_settings(app, show_answers="after-last-attempt", attempts_allowed=2)
    doc = module_doc(app, SLUG)
    first = start_attempt(student_client, SLUG)
    finish(student_client, doc, first, values=wrong_values)
    assert not reveals_answers(result_page(student_client, first))
    assert "once you pass this module or have used every attempt" in result_page(student_client, first)
    second = start_attempt(student_client, SLUG)
    finish(student_client, doc, second, values=wrong_values)
    assert reveals_answers(result_page(student_client, second))
    assert reveals_answers(result_page(student_client, first))


def test_after_last_attempt_shows_answers_once_passed(app, student_client, starter):
    publish_settings(app, show_answers="after-last-attempt")
    doc = module_doc(app, SLUG)
    attempt_id = start_attempt(student_client, SLUG)
    finish(student_client, doc, attempt_id)
    assert reveals_answers(result_page(student_client, attempt_id))


def assign_with_due_date(app, student_id, due):
    with app.app_context(), writing():
        cohort = Cohort(name="Spring")
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=student_id))
        db.session.add(CohortModule(cohort_id=cohort.id, module_id=module_by_slug(SLUG).id, due_at=due))
        db.session.commit()


def test_after_due_date_holds_answers_until_the_cohort_due_date(app, student, student_client, starter):
    publish_settings(app, show_answers="after-due-date")
    assign_with_due_date(app, student, utcnow() + timedelta(days=3))
    doc = module_doc(app, SLUG)
    attempt_id = start_attempt(student_client, SLUG)
    finish(student_client, doc, attempt_id, values=wrong_values)
    html = result_page(student_client, attempt_id)
    assert not reveals_answers(html) and "due date has passed" in html
    with app.app_context(), writing():
        db.session.execute(db.update(CohortModule).values(due_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert reveals_answers(result_page(student_client, attempt_id))


def test_after_due_date_without_a_due_date_holds_answers_back(app, student_client, starter):
    publish_settings(app, show_answers="after-due-date")
    doc = module_doc(app, SLUG)
    attempt_id = start_attempt(student_client, SLUG)
    finish(student_client, doc, attempt_id, values=wrong_values)
    assert not reveals_answers(result_page(student_client, attempt_id))


def test_after_due_date_no_new_attempt_once_the_answers_are_out(app, student, student_client, starter):
    publish_settings(app, show_answers="after-due-date")
    assign_with_due_date(app, student, utcnow() - timedelta(minutes=1))
    refused = student_client.post(f"/modules/{SLUG}/start")
    assert refused.status_code == 409 and "this module is closed" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Attempt.id))) == 0


def test_tutor_mode_cannot_hold_answers_back(app, instructor_client, starter):
    assert instructor_client.post(f"/author/modules/{SLUG}/draft/start").status_code == 302
    data = {
        "title": "Nerve pain",
        "procedure": "thread-lift",
        "summary": "Kept",
        "pass_mark": "70",
        "feedback": "after-each-stage",
        "show_answers": "never",
    }
    html = instructor_client.post(f"/author/modules/{SLUG}/draft/settings", data=data).get_data(as_text=True)
    assert "Nothing was saved" in html and "give feedback after submitting instead" in html
    data["feedback"] = "after-submit"
    assert instructor_client.post(f"/author/modules/{SLUG}/draft/settings", data=data).status_code == 302
    with app.app_context():
        draft = drafts.draft_for(module_by_slug(SLUG))
        assert draft.content.settings.show_answers == "never"
