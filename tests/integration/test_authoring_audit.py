"""Authoring is audited: draft edits, publishing, photo uploads and question imports say who, which module, what."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from training.extensions import db
from training.models import AuditEvent

from .conftest import module_doc
from .test_editor import draft_document, form_of, start

SLUG = "thread-lift-nerve-pain"
BASE = f"/author/modules/{SLUG}/draft"
GIFT = Path(__file__).parent / "data" / "aftercare.gift"


def events(app, action: str) -> list[AuditEvent]:
    """The audit events of one action, oldest first (detached, readable after the context)."""
    with app.app_context():
        found = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return list(found)


def settings_form(app, **changes) -> dict:
    doc = module_doc(app, SLUG)
    form = {
        "title": doc.title,
        "procedure": doc.procedure.value,
        "summary": doc.summary,
        "pass_mark": str(doc.settings.pass_mark),
        "feedback": doc.settings.feedback.value,
        "show_answers": doc.settings.show_answers.value,
    }
    if doc.settings.attempts_allowed:
        form["attempts_allowed"] = str(doc.settings.attempts_allowed)
    if doc.settings.time_limit_minutes:
        form["time_limit_minutes"] = str(doc.settings.time_limit_minutes)
    return form | changes


def test_every_draft_edit_is_audited_with_who_which_module_and_what_changed(app, instructor_client, starter):
    start(instructor_client)
    [started] = events(app, "module.draft_start")
    assert (started.actor_email, started.target_type, started.target_id) == ("ina@example.com", "module", SLUG)

    old_mark = module_doc(app, SLUG).settings.pass_mark
    response = instructor_client.post(f"{BASE}/settings", data=settings_form(app, pass_mark="55", show_answers="never"))
    assert response.status_code == 302
    item = draft_document(app)["cases"][0]["stages"][0]["items"][0]
    response = instructor_client.post(f"{BASE}/cases/0/stages/0/items/0", data=form_of(item) | {"prompt": "New?"})
    assert response.status_code == 302
    assert (
        instructor_client.post(f"{BASE}/cases/new", data={"key": "c9", "title": "C9", "client": "A"}).status_code == 302
    )
    last = len(draft_document(app)["cases"]) - 1
    assert instructor_client.post(f"{BASE}/cases/{last}/delete", data={"confirm": "yes"}).status_code == 302

    edits = events(app, "module.draft_edit")
    assert [e.actor_email for e in edits] == ["ina@example.com"] * 4
    assert {e.target_id for e in edits} == {SLUG}
    settings, question, added, deleted = edits
    assert "changed the settings" in settings.summary and "pass_mark" in settings.summary
    assert settings.before["pass_mark"] == old_mark and settings.after["pass_mark"] == 55
    assert settings.after["show_answers"] == "never" and "title" not in settings.after
    assert question.summary.endswith(f"changed question '{item['key']}' (prompt)")
    assert added.summary.endswith("added case 'c9'") and deleted.summary.endswith("deleted case 'c9'")


def test_a_refused_draft_edit_records_nothing(app, instructor_client, starter):
    start(instructor_client)
    response = instructor_client.post(f"{BASE}/settings", data=settings_form(app, pass_mark="101"))
    assert response.status_code == 200
    assert events(app, "module.draft_edit") == []


def test_publishing_is_audited_with_what_changed(app, instructor_client, starter):
    start(instructor_client)
    instructor_client.post(f"{BASE}/settings", data=settings_form(app, pass_mark="55"))
    assert instructor_client.post(f"/author/modules/{SLUG}/publish").status_code == 302
    [*_, published] = events(app, "module.publish")
    assert published.actor_email == "ina@example.com" and published.target_id == SLUG
    assert "version 2" in published.summary and "settings changed: pass_mark" in published.summary
    assert published.before["settings"]["pass_mark"] != 55 and published.after["settings"]["pass_mark"] == 55


def test_photo_uploads_and_removals_are_audited(app, instructor_client, starter):
    image = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 120, 90)).save(image, format="PNG")
    image.seek(0)
    data = {"photo": (image, "face.png"), "alt": "Swelling on the left cheek"}
    url = f"/author/modules/{SLUG}/cases/0/photo"
    assert instructor_client.post(url, data=data, content_type="multipart/form-data").status_code == 302
    assert instructor_client.post(f"{url}/remove").status_code == 302
    uploaded, removed = events(app, "module.photo")
    case_key = draft_document(app)["cases"][0]["key"]
    assert uploaded.actor_email == "ina@example.com" and uploaded.target_id == SLUG
    assert uploaded.summary.endswith(f"set the photo of case '{case_key}'")
    assert uploaded.after["image"].endswith(".png") and uploaded.before["image"] is None
    assert removed.summary.endswith(f"removed the photo of case '{case_key}'") and removed.after["image"] is None


def test_question_imports_are_audited_from_the_browser_and_the_command_line(app, instructor_client, admin_client):
    data = {
        "module": "web-bank",
        "format": "gift",
        "skip_invalid": "y",
        "file": (io.BytesIO(GIFT.read_bytes()), "a.gift"),
    }
    assert "question(s) imported" in instructor_client.post(
        "/author/import", data=data, content_type="multipart/form-data"
    ).get_data(as_text=True)
    args = ["import-questions", str(GIFT), "--format", "gift", "--module", "web-bank", "--skip-invalid"]
    assert app.test_cli_runner().invoke(args=args).exit_code == 0

    web, cli = events(app, "module.import_questions")
    assert (web.actor_email, web.target_id) == ("ina@example.com", "web-bank")
    assert "imported 3 question(s) from a.gift (gift), 1 skipped" in web.summary
    assert web.after["file"] == "a.gift" and len(web.after["questions"]) == 3
    assert (cli.actor_email, cli.actor_id, cli.target_id) == ("(command line)", None, "web-bank")
    assert "from aftercare.gift (gift)" in cli.summary
    [created] = events(app, "module.create")
    assert created.actor_email == "ina@example.com" and created.target_id == "web-bank"
    page = admin_client.get("/admin/audit?action=module.import_questions").get_data(as_text=True)
    assert "imported 3 question(s) from a.gift" in page and "module web-bank" in page
