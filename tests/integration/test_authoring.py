"""Authoring: drafts, publishing versions, history and export."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from quizzes.content import Module
from quizzes.formats.packs import parse_document
from training.database import writing
from training.extensions import db
from training.models import ModuleDraft, ModuleVersion, User
from training.services import drafts
from training.services.content import module_by_slug

from .conftest import module_doc, start_attempt

SLUG = "thread-lift-nerve-pain"


def edit_draft(app, change, user_id=None):
    """Start (or continue) the draft, apply ``change(data)`` to its document, save it."""
    with app.app_context(), writing():
        user = db.session.get(User, user_id) if user_id else None
        draft = drafts.start_draft(module_by_slug(SLUG), user)
        data = draft.content.model_dump(mode="json")
        change(data)
        drafts.save_draft(draft, Module.model_validate(data), user)
        db.session.commit()


@pytest.mark.parametrize(
    "path",
    [
        f"/author/modules/{SLUG}",
        f"/author/modules/{SLUG}/export",
        f"/author/modules/{SLUG}/history",
        "/author/curriculum",
    ],
)
def test_students_get_403_on_authoring_pages(student_client, starter, path):
    assert student_client.get(path).status_code == 403
    assert student_client.post(f"/author/modules/{SLUG}/publish").status_code == 403


def test_export_downloads_the_published_version_losslessly(app, instructor_client, starter):
    response = instructor_client.get(f"/author/modules/{SLUG}/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{SLUG}.yaml"'
    doc, problems = parse_document(response.get_data(as_text=True))
    assert problems == [] and doc == module_doc(app, SLUG)


def test_editing_a_published_module_starts_a_draft_and_students_keep_the_published_version(
    app, instructor, instructor_client, student_client, starter
):
    edit_draft(app, lambda d: d["settings"].update(pass_mark=80), instructor)
    assert module_doc(app, SLUG).settings.pass_mark == 70  # students still get version 1
    page = instructor_client.get(f"/author/modules/{SLUG}").get_data(as_text=True)
    assert "Publish as version 2" in page
    response = instructor_client.post(f"/author/modules/{SLUG}/publish")
    assert response.status_code == 302
    assert module_doc(app, SLUG).settings.pass_mark == 80
    with app.app_context():
        assert db.session.scalar(select(func.count(ModuleDraft.id))) == 0
    attempt_id = start_attempt(student_client, SLUG)
    with app.app_context():
        from training.models import Attempt

        assert db.session.get(Attempt, attempt_id).version.number == 2


def test_a_draft_missing_a_topic_or_lesson_cannot_be_published(app, instructor, instructor_client, starter):
    def strip(data):
        item = data["cases"][0]["stages"][0]["items"][0]
        item.pop("topic")
        item["lesson"] = None

    edit_draft(app, strip, instructor)
    page = instructor_client.get(f"/author/modules/{SLUG}").get_data(as_text=True)
    assert "needs a topic" in page and "needs a lesson section" in page
    response = instructor_client.post(f"/author/modules/{SLUG}/publish", follow_redirects=True)
    assert "Not published" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ModuleVersion.id)).where(ModuleVersion.number > 1)) == 0
        assert db.session.scalar(select(func.count(ModuleDraft.id))) == 1


def test_a_draft_linking_to_a_missing_lesson_section_cannot_be_published(app, instructor, starter):
    edit_draft(app, lambda d: d["cases"][0]["stages"][0]["items"][0].update(lesson="nowhere#at-all"), instructor)
    with app.app_context(), writing():
        draft = drafts.draft_for(module_by_slug(SLUG))
        with pytest.raises(drafts.DraftError, match="not a section of any lesson"):
            drafts.publish_draft(draft, None)


def test_publishing_an_unchanged_draft_adds_no_version(app, instructor, instructor_client, starter):
    edit_draft(app, lambda d: None, instructor)
    response = instructor_client.post(f"/author/modules/{SLUG}/publish", follow_redirects=True)
    assert "nothing new was published" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ModuleVersion.id)).where(ModuleVersion.number > 1)) == 0
        assert db.session.scalar(select(func.count(ModuleDraft.id))) == 0


def test_history_lists_versions_with_publisher_and_shows_what_changed(app, instructor, instructor_client, starter):
    edit_draft(app, lambda d: d["settings"].update(pass_mark=85), instructor)
    instructor_client.post(f"/author/modules/{SLUG}/publish")
    page = instructor_client.get(f"/author/modules/{SLUG}/history").get_data(as_text=True)
    assert "Ina Instructor" in page and "content pack import" in page
    assert "-  pass_mark: 70" in page and "+  pass_mark: 85" in page
    assert instructor_client.get(f"/author/modules/{SLUG}/history?old=1&new=9").status_code == 200


def test_publish_without_a_draft_says_so(app, instructor_client, starter):
    response = instructor_client.post(f"/author/modules/{SLUG}/publish", follow_redirects=True)
    assert "There is no draft to publish." in response.get_data(as_text=True)


def test_unknown_modules_are_404_for_authors(instructor_client, starter):
    for path in ("/author/modules/nope", "/author/modules/nope/export", "/author/modules/nope/history"):
        assert instructor_client.get(path).status_code == 404


def test_item_analysis_shows_statistics_and_its_queries_do_not_grow_with_attempts(
    app, instructor_client, student_client, other_client, starter
):
    from .conftest import count_queries
    from .helpers import wrong_values
    from .test_taking import finish

    doc = module_doc(app, SLUG)
    empty = instructor_client.get(f"/author/modules/{SLUG}/analysis").get_data(as_text=True)
    assert "No submitted attempts" in empty
    finish(student_client, doc, start_attempt(student_client, SLUG))
    finish(other_client, doc, start_attempt(other_client, SLUG), values=wrong_values)
    with count_queries(app) as two:
        page = instructor_client.get(f"/author/modules/{SLUG}/analysis")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Cronbach" in html and "Choices picked" in html
    assert ">50.0<" in html  # every item's facility: one attempt all right, one all wrong
    for _ in range(3):
        finish(student_client, doc, start_attempt(student_client, SLUG))
    with count_queries(app) as five:
        instructor_client.get(f"/author/modules/{SLUG}/analysis")
    assert len(five) == len(two)


def test_item_analysis_numbers_match_the_engine(app, instructor_client, student_client, other_client, starter):
    from quizzes.stats import analyse
    from training.services.analysis import analyse_version
    from training.services.content import latest_version

    from .helpers import wrong_values
    from .test_taking import finish

    doc = module_doc(app, SLUG)
    finish(student_client, doc, start_attempt(student_client, SLUG))
    finish(other_client, doc, start_attempt(other_client, SLUG), values=wrong_values)
    with app.app_context():
        result = analyse_version(latest_version(module_by_slug(SLUG).id))
    points = {i.key: i.points for i in doc.items()}
    expected = analyse([dict(points), dict.fromkeys(points, 0.0)], points)
    assert result.stats.attempts == 2
    assert result.stats.mean == pytest.approx(expected.mean)
    for key in points:
        assert result.stats.items[key].facility == pytest.approx(50.0)
