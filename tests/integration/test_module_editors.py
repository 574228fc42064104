"""Module editors: only a module's editors and admins change it; other instructors read it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from training.database import writing
from training.extensions import db
from training.models import AuditEvent, ModuleDraft, ModuleEditor, Role
from training.services import content, drafts, module_editors

from .conftest import PASSWORD, login, make_user, module_doc, user_by_email

SLUG = "thread-lift-nerve-pain"
GIFT = Path(__file__).parent / "data" / "aftercare.gift"


@pytest.fixture
def ivo(app, academy) -> int:
    """Ivo, an instructor who edits no module."""
    return make_user(app, "ivo@example.com", Role.INSTRUCTOR, name="Ivo Instructor")


@pytest.fixture
def ivo_client(app, ivo):
    client = app.test_client()
    assert login(client, "ivo@example.com", PASSWORD).status_code == 302
    return client


def editor_emails(app, slug: str) -> list[str]:
    """The emails of the module's editors, sorted."""
    with app.app_context():
        return sorted(e.user.email for e in module_editors.editors(content.module_by_slug(slug)))


def audit_actions(app, action: str) -> list[tuple[str, str, str]]:
    """(actor email, target id, summary) of the audit events of one action, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.actor_email, AuditEvent.target_id, AuditEvent.summary)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
        return [tuple(row) for row in rows]


def user_by_email_id(app, email: str) -> int:
    with app.app_context():
        return user_by_email(email).id


def draft_row(app, slug: str = SLUG) -> ModuleDraft | None:
    with app.app_context():
        return drafts.draft_for(content.module_by_slug(slug))


def gift_upload(client, module: str):
    data = {"module": module, "format": "gift", "skip_invalid": "y", "file": (io.BytesIO(GIFT.read_bytes()), "a.gift")}
    return client.post("/author/import", data=data, content_type="multipart/form-data")


def start_draft(app, slug: str = SLUG) -> None:
    with app.app_context(), writing():
        drafts.start_draft(content.module_by_slug(slug), None)
        db.session.commit()


# ---------------------------------------------------------------- who may change a module


def test_an_instructor_who_does_not_edit_a_module_reads_it_but_every_change_is_refused(
    app, ivo_client, instructor, starter
):
    start_draft(app)
    base = f"/author/modules/{SLUG}"
    for url in (base, f"{base}/preview", f"{base}/history", f"{base}/analysis", f"{base}/export", f"{base}/editors"):
        assert ivo_client.get(url).status_code == 200, url
    settings = {"title": "Hijacked", "procedure": "thread-lift", "summary": "x", "pass_mark": "1"}
    refused = [
        ("get", f"{base}/draft", None),
        ("get", f"{base}/draft/settings", None),
        ("post", f"{base}/draft/settings", settings),
        ("post", f"{base}/draft/start", {}),
        ("post", f"{base}/draft/cases/new", {"key": "x", "title": "X", "client": "Y"}),
        ("post", f"{base}/draft/cases/0/delete", {"confirm": "yes"}),
        ("post", f"{base}/draft/cases/0/stages/0/items/0/move", {"direction": "down"}),
        ("post", f"{base}/cases/0/photo/remove", {}),
        ("get", f"{base}/cases/0/photo", None),
        ("post", f"{base}/publish", {}),
        ("post", f"{base}/editors", {"user": str(user_by_email_id(app, "ivo@example.com"))}),
        ("post", f"{base}/editors/{instructor}/remove", {"confirm": "yes"}),
    ]
    before = draft_row(app).document
    for method, url, data in refused:
        response = getattr(ivo_client, method)(url, data=data) if data is not None else ivo_client.get(url)
        assert response.status_code == 403, (method, url, response.status_code)
    assert gift_upload(ivo_client, SLUG).status_code == 403
    assert draft_row(app).document == before
    assert module_doc(app, SLUG).settings.pass_mark != 1
    assert editor_emails(app, SLUG) == ["ina@example.com"]


def test_the_module_page_offers_changes_only_to_those_who_may_make_them(app, ivo_client, instructor_client, starter):
    start_draft(app)
    theirs = ivo_client.get(f"/author/modules/{SLUG}").get_data(as_text=True)
    assert "only its" in theirs and f"/author/modules/{SLUG}/draft" not in theirs
    assert f"/author/modules/{SLUG}/publish" not in theirs and "/photo" not in theirs
    assert f"/author/modules/{SLUG}/preview" in theirs and "Ina Instructor" in theirs
    mine = instructor_client.get(f"/author/modules/{SLUG}").get_data(as_text=True)
    assert f"/author/modules/{SLUG}/draft" in mine and f"/author/modules/{SLUG}/publish" in mine


def test_the_curriculum_marks_which_modules_the_instructor_edits(app, ivo_client, admin_client, starter):
    with app.app_context(), writing():
        ivo, row = user_by_email("ivo@example.com"), content.module_by_slug(SLUG)
        db.session.add(ModuleEditor(module_id=row.id, user_id=ivo.id))
        db.session.commit()
    page = ivo_client.get("/author/curriculum").get_data(as_text=True)
    rows = re.findall(r'<tr>\s*<th scope="row"><a href="/author/modules/([^"]+)">.*?</th>\s*<td>(.*?)</td>', page, re.S)
    assert len(rows) > 1
    assert {slug: "you edit" in cell for slug, cell in rows} == {slug: slug == SLUG for slug, _ in rows}
    admin_page = admin_client.get("/author/curriculum").get_data(as_text=True)
    assert "view only" not in admin_page and "you edit" in admin_page


def test_an_admin_changes_a_module_nobody_edits(app, admin_client, starter):
    assert editor_emails(app, SLUG) == []  # the packs came in from the system
    assert admin_client.post(f"/author/modules/{SLUG}/draft/start").status_code == 302
    assert draft_row(app) is not None


# ---------------------------------------------------------------- who becomes an editor


def test_creating_a_module_in_the_editor_makes_its_creator_its_editor(app, ivo_client, instructor_client, academy):
    data = {
        "slug": "meso-scalp",
        "title": "Mesotherapy of the scalp",
        "procedure": "mesotherapy",
        "summary": "A case.",
        "pass_mark": "60",
        "case_title": "Thin crown",
        "client": "Man, 35",
    }
    assert ivo_client.post("/author/new-module", data=data).status_code == 302
    assert editor_emails(app, "meso-scalp") == ["ivo@example.com"]
    assert ivo_client.get("/author/modules/meso-scalp/draft/settings").status_code == 200
    assert instructor_client.get("/author/modules/meso-scalp/draft/settings").status_code == 403
    [(actor, target, summary)] = audit_actions(app, "module.create")
    assert (actor, target) == ("ivo@example.com", "meso-scalp") and "Mesotherapy of the scalp" in summary


def test_importing_questions_into_a_new_module_makes_the_importer_its_editor(app, ivo_client, academy):
    assert "question(s) imported" in gift_upload(ivo_client, "ivo-bank").get_data(as_text=True)
    assert editor_emails(app, "ivo-bank") == ["ivo@example.com"]
    assert "question(s) imported" in gift_upload(ivo_client, "ivo-bank").get_data(as_text=True)  # theirs now


def test_modules_the_command_line_brings_in_have_no_editor(app, academy):
    runner = app.test_cli_runner()
    args = ["import-questions", str(GIFT), "--format", "gift", "--module", "cli-bank", "--skip-invalid"]
    result = runner.invoke(args=args)
    assert "question(s) imported" in result.output
    result = runner.invoke(args=["packs", "import", str(content.STARTER_PACKS)])
    assert result.exit_code == 0, result.output
    assert editor_emails(app, "cli-bank") == [] and editor_emails(app, SLUG) == []


# ---------------------------------------------------------------- the editors page


def test_an_editor_adds_an_instructor_who_may_then_change_the_module(app, instructor_client, ivo_client, ivo, starter):
    page = instructor_client.get(f"/author/modules/{SLUG}/editors").get_data(as_text=True)
    assert "Ivo Instructor (ivo@example.com, instructor)" in page and "Sam" not in page
    response = instructor_client.post(f"/author/modules/{SLUG}/editors", data={"user": str(ivo)})
    assert response.status_code == 302
    assert editor_emails(app, SLUG) == ["ina@example.com", "ivo@example.com"]
    assert ivo_client.post(f"/author/modules/{SLUG}/draft/start").status_code == 302
    [(actor, target, summary)] = audit_actions(app, "module.editor_add")
    assert (actor, target, summary) == ("ina@example.com", SLUG, f"ivo@example.com now edits {module_title(app)}")
    with app.app_context():
        link = db.session.get(ModuleEditor, (content.module_by_slug(SLUG).id, ivo))
        assert link.added_by_id == user_by_email("ina@example.com").id


def module_title(app) -> str:
    return module_doc(app, SLUG).title


def test_adding_a_student_or_an_editor_again_is_refused_with_a_message(app, instructor_client, student, starter):
    html = instructor_client.post(f"/author/modules/{SLUG}/editors", data={"user": str(student)})
    assert html.status_code == 200 and "Not a valid choice" in html.get_data(as_text=True)
    ina = user_by_email_id(app, "ina@example.com")
    again = instructor_client.post(f"/author/modules/{SLUG}/editors", data={"user": str(ina)})
    assert again.status_code == 200 and "Not a valid choice" in again.get_data(as_text=True)
    assert editor_emails(app, SLUG) == ["ina@example.com"] and audit_actions(app, "module.editor_add") == []


def test_removing_an_editor_needs_the_box_ticked_and_is_audited(app, admin_client, instructor, starter):
    url = f"/author/modules/{SLUG}/editors/{instructor}/remove"
    page = admin_client.get(f"/author/modules/{SLUG}/editors").get_data(as_text=True)
    assert url in page and 'name="confirm"' in page
    unconfirmed = admin_client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "tick the box" in unconfirmed and editor_emails(app, SLUG) == ["ina@example.com"]
    assert admin_client.post(url, data={"confirm": "yes"}).status_code == 302
    assert editor_emails(app, SLUG) == []
    [(actor, target, summary)] = audit_actions(app, "module.editor_remove")
    assert (actor, target) == ("admin@example.com", SLUG) and summary.startswith("ina@example.com no longer edits")
    again = admin_client.post(url, data={"confirm": "yes"}, follow_redirects=True).get_data(as_text=True)
    assert "does not edit this module" in again


def test_an_editor_may_remove_themself_and_then_changes_nothing(app, instructor_client, instructor, starter):
    url = f"/author/modules/{SLUG}/editors/{instructor}/remove"
    response = instructor_client.post(url, data={"confirm": "yes"}, follow_redirects=True)
    assert "You are no longer an editor" in response.get_data(as_text=True)
    assert instructor_client.post(f"/author/modules/{SLUG}/draft/start").status_code == 403
    page = instructor_client.get(f"/author/modules/{SLUG}/editors").get_data(as_text=True)
    assert "Add an editor" not in page and "/remove" not in page and "Ask one of them" in page


def test_an_editor_who_is_no_longer_staff_cannot_change_the_module(app, instructor, starter):
    with app.app_context(), writing():
        user = user_by_email("ina@example.com")
        row = content.module_by_slug(SLUG)
        assert module_editors.can_edit_module(user, row)
        user.role = Role.STUDENT
        assert module_editors.is_editor(user, row) and not module_editors.can_edit_module(user, row)
        db.session.rollback()
