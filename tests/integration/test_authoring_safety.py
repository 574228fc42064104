"""Authoring safety: safety-critical marks, harmful answers, variants and the new module settings,
in the browser editor, the preview, the outline and the GIFT export and import."""

from __future__ import annotations

import io

from sqlalchemy import select

from quizzes.content import ShowAnswers
from training.extensions import db
from training.models import AuditEvent

from .conftest import module_doc
from .test_editor import a_ref, choice_rows, common, draft_document, error_next_to, form_of, parts

SLUG = "safe-practice"
BASE = f"/author/modules/{SLUG}/draft"
ITEM = f"{BASE}/cases/0/stages/0/items"


def new_module(client) -> None:
    """A module made in the browser: one case, one stage, a placeholder question."""
    data = {
        "slug": SLUG,
        "title": "Safe practice",
        "procedure": "thread-lift",
        "summary": "Red flags.",
        "pass_mark": "70",
        "case_title": "Swelling",
        "client": "Woman, 40",
    }
    assert client.post("/author/new-module", data=data).status_code == 302


def items(app) -> list[dict]:
    return draft_document(app, SLUG)["cases"][0]["stages"][0]["items"]


def red_flag(app, key: str = "red-flag", **extra) -> dict:
    """A single-best-answer question with a harmful choice, safety-critical."""
    return (
        common(key, topic="red-flags", lesson=a_ref(app), safety_critical="y")
        | choice_rows(
            [
                ("a", "Send her to the emergency department now", True, "", 1),
                ("b", "Wait until after the weekend", False, "Vision loss can follow within hours.", 2),
                ("c", "Massage the area", False, "It spreads the product.", 3),
            ]
        )
        | {"choices-1-harmful": "y", "shuffle": "y"}
        | extra
    )


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return list(found)


# ---------------------------------------------------------------- settings


def test_a_module_made_in_the_browser_shows_answers_only_after_the_last_attempt(app, instructor_client, starter):
    new_module(instructor_client)
    settings = draft_document(app, SLUG)["settings"]
    assert settings["show_answers"] == ShowAnswers.AFTER_LAST_ATTEMPT.value
    assert settings["safety_gate"] is True and settings["certainty_marking"] is False


def settings_form(**changes) -> dict:
    return {
        "title": "Safe practice",
        "procedure": "thread-lift",
        "summary": "Red flags.",
        "pass_mark": "70",
        "attempts_allowed": "3",
        "feedback": "after-submit",
        "show_answers": "after-last-attempt",
        "safety_fields": "1",
        "safety_gate": "y",
    } | changes


def test_the_settings_form_sets_the_wait_the_gate_and_certainty_marking(app, instructor_client, starter):
    new_module(instructor_client)
    page = instructor_client.get(f"{BASE}/settings").get_data(as_text=True)
    assert "Safety gate" in page and "turn off only for practice modules" in page.lower()
    assert 'name="safety_gate"' in page and "checked" in page  # on by default
    data = settings_form(retry_wait_hours="24", certainty_marking="y", pass_with_bonus="y")
    assert instructor_client.post(f"{BASE}/settings", data=data).status_code == 302
    settings = draft_document(app, SLUG)["settings"]
    assert settings["retry_wait_hours"] == 24 and settings["attempts_allowed"] == 3
    assert settings["certainty_marking"] and settings["pass_with_bonus"] and settings["safety_gate"]
    [*_, event] = events(app, "module.draft_edit")
    assert "retry_wait_hours" in event.summary and "certainty_marking" in event.summary

    # A practice module turns the gate off: the box is left unticked.
    practice = {k: v for k, v in data.items() if k != "safety_gate"}
    assert instructor_client.post(f"{BASE}/settings", data=practice).status_code == 302
    assert draft_document(app, SLUG)["settings"]["safety_gate"] is False


def test_passing_on_the_bonus_without_certainty_marking_is_refused_next_to_its_box(app, instructor_client, starter):
    new_module(instructor_client)
    html = instructor_client.post(f"{BASE}/settings", data=settings_form(pass_with_bonus="y")).get_data(as_text=True)
    assert "needs certainty marking" in error_next_to(html, "pass_with_bonus")
    assert draft_document(app, SLUG)["settings"]["pass_with_bonus"] is False
    too_long = instructor_client.post(f"{BASE}/settings", data=settings_form(retry_wait_hours="999"))
    assert "720" in error_next_to(too_long.get_data(as_text=True), "retry_wait_hours")


def test_a_form_without_the_safety_boxes_leaves_the_gate_on(app, instructor_client, starter):
    """A page opened before the boxes existed posts none of them: that is not 'gate off'."""
    new_module(instructor_client)
    old_form = {k: v for k, v in settings_form(pass_mark="60").items() if k not in ("safety_fields", "safety_gate")}
    assert instructor_client.post(f"{BASE}/settings", data=old_form).status_code == 302
    settings = draft_document(app, SLUG)["settings"]
    assert settings["pass_mark"] == 60 and settings["safety_gate"] is True


# ---------------------------------------------------------------- items


def test_an_item_is_marked_safety_critical_with_a_harmful_choice(app, instructor_client, starter):
    new_module(instructor_client)
    assert instructor_client.post(f"{ITEM}/new?type=single", data=red_flag(app)).status_code == 302
    item = items(app)[-1]
    assert item["safety_critical"] is True and item["variant_of"] is None
    assert [c["harmful"] for c in item["choices"]] == [False, True, False]
    page = instructor_client.get(f"{ITEM}/1").get_data(as_text=True)
    assert 'name="safety_critical"' in page and 'name="variant_of"' in page and 'name="choices-1-harmful"' in page

    # A right choice cannot be harmful: the message sits by the choices.
    bad = red_flag(app, "red-flag-2") | {"choices-0-harmful": "y"}
    html = instructor_client.post(f"{ITEM}/new?type=single", data=bad).get_data(as_text=True)
    assert "both correct and harmful" in html and 'id="choices-error"' in html
    assert len(items(app)) == 2


def test_each_type_marks_its_harmful_answers_in_the_editor(app, instructor_client, starter):
    new_module(instructor_client)
    tf = common("tf", correct="true", feedback_true="Right.", feedback_false="No.", harmful_verdict="false")
    numeric = common("dose", min="0.5", max="1", units="ml", harmful_above="2")
    ordering = (
        common("steps")
        | parts(
            "steps", [{"id": f"s{n}", "text": t, "order": str(n)} for n, t in enumerate(["Clean", "Numb", "Go"], 1)]
        )
        | {"harmful_if_before-0-first": "s3", "harmful_if_before-0-then": "s1"}
    )
    matching = (
        common("match")
        | parts("options", [{"id": "a", "text": "Ice"}, {"id": "b", "text": "Heat"}])
        | parts(
            "prompts",
            [{"id": "p1", "text": "Swelling", "match": "a"}, {"id": "p2", "text": "Stiff neck", "match": "b"}],
        )
        | {"prompts-0-harmful": ["b"]}
    )
    short = common("word") | parts(
        "answers",
        [
            {"text": "ice", "percent": "100", "order": "1"},
            {"text": "heat", "percent": "0", "harmful": "y", "feedback": "It worsens swelling.", "order": "2"},
        ],
    )
    for type_, data in (
        ("true-false", tf),
        ("numeric", numeric),
        ("ordering", ordering),
        ("matching", matching),
        ("short-answer", short),
    ):
        response = instructor_client.post(f"{ITEM}/new?type={type_}", data=data)
        assert response.status_code == 302, (type_, response.get_data(as_text=True)[-3000:])
    saved = {item["key"]: item for item in items(app)}
    assert saved["tf"]["harmful_verdict"] is False
    assert saved["dose"]["harmful_above"] == 2 and saved["dose"]["harmful_below"] is None
    assert saved["steps"]["harmful_if_before"] == [["s3", "s1"]]
    assert saved["match"]["prompts"][0]["harmful"] == ["b"] and saved["match"]["prompts"][1]["harmful"] == []
    assert [a["harmful"] for a in saved["word"]["answers"]] == [False, True]

    # The edit pages show them back, and posting them unchanged keeps them.
    for n in range(1, 6):
        assert instructor_client.get(f"{ITEM}/{n}").status_code == 200
    page = instructor_client.get(f"{ITEM}/3").get_data(as_text=True)
    assert 'name="harmful_if_before-0-first"' in page and '<option selected value="s3">' in page
    page = instructor_client.get(f"{ITEM}/4").get_data(as_text=True)
    assert 'name="prompts-0-harmful"' in page and "multiple" in page


def test_a_harmful_order_that_is_the_right_order_is_refused_by_its_rows(app, instructor_client, starter):
    new_module(instructor_client)
    data = (
        common("steps")
        | parts(
            "steps", [{"id": f"s{n}", "text": t, "order": str(n)} for n, t in enumerate(["Clean", "Numb", "Go"], 1)]
        )
        | {"harmful_if_before-0-first": "s1", "harmful_if_before-0-then": "s3"}
    )
    html = instructor_client.post(f"{ITEM}/new?type=ordering", data=data).get_data(as_text=True)
    assert "is the correct order" in html and 'id="harmful_if_before-error"' in html
    assert len(items(app)) == 1


# ---------------------------------------------------------------- variants


def test_add_a_variant_copies_the_question_right_after_it_and_is_audited(app, instructor_client, starter):
    new_module(instructor_client)
    instructor_client.post(f"{ITEM}/new?type=single", data=red_flag(app))
    response = instructor_client.post(f"{ITEM}/1/variant", data={"expect": "red-flag"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{ITEM}/2")
    keys = [i["key"] for i in items(app)]
    assert keys[1:3] == ["red-flag", "red-flag-v2"]
    variant = items(app)[2]
    assert variant["variant_of"] == "red-flag" and variant["safety_critical"] is True
    assert variant["topic"] == "red-flags" and variant["points"] == 2

    # A variant of the variant belongs to the same slot, with the next free number.
    assert instructor_client.post(f"{ITEM}/2/variant").status_code == 302
    assert [i["key"] for i in items(app)][1:4] == ["red-flag", "red-flag-v2", "red-flag-v3"]
    assert items(app)[3]["variant_of"] == "red-flag"
    [*_, event] = events(app, "module.draft_edit")
    assert "added variant 'red-flag-v3' of question 'red-flag'" in event.summary and event.actor_email

    # A part that changed since the page was opened is not copied.
    stale = instructor_client.post(f"{ITEM}/1/variant", data={"expect": "something-else"}, follow_redirects=True)
    assert "changed since you opened it" in stale.get_data(as_text=True) and len(items(app)) == 4


def test_a_variant_must_share_its_slot_fields_and_the_message_is_by_the_field(app, instructor_client, starter):
    new_module(instructor_client)
    instructor_client.post(f"{ITEM}/new?type=single", data=red_flag(app))
    instructor_client.post(f"{ITEM}/1/variant")
    variant = items(app)[2]
    html = instructor_client.post(f"{ITEM}/2", data=form_of(variant) | {"topic": "aftercare"}).get_data(as_text=True)
    assert "topic differs" in error_next_to(html, "topic")
    # The first question's shared fields carry to its variants; its key too.
    first = items(app)[1]
    form = form_of(first) | {"key": "red-flag-now", "points": "3", "safety_critical": "y"}
    assert instructor_client.post(f"{ITEM}/1", data=form).status_code == 302
    first, variant = items(app)[1:3]
    assert variant["variant_of"] == "red-flag-now" and variant["points"] == 3
    # The editor offers the stage's first questions as slots.
    page = instructor_client.get(f"{ITEM}/2").get_data(as_text=True)
    assert '<option selected value="red-flag-now">' in page


def test_the_first_question_of_a_slot_with_variants_is_not_deleted(app, instructor_client, starter):
    new_module(instructor_client)
    instructor_client.post(f"{ITEM}/new?type=single", data=red_flag(app))
    instructor_client.post(f"{ITEM}/1/variant")
    response = instructor_client.post(f"{ITEM}/1/delete", data={"confirm": "yes"}, follow_redirects=True)
    assert "delete them first" in response.get_data(as_text=True) and len(items(app)) == 3


# ---------------------------------------------------------------- what authors see


def test_preview_and_outline_show_safety_marks_harmful_answers_and_every_variant(app, instructor_client, starter):
    new_module(instructor_client)
    instructor_client.post(f"{ITEM}/new?type=single", data=red_flag(app))
    instructor_client.post(f"{ITEM}/1/variant")
    outline = instructor_client.get(BASE).get_data(as_text=True)
    assert "Safety-critical" in outline and "Variant 2 of 2" in outline and "Add a variant" in outline
    assert "Harmful marked: 1" in outline

    preview = instructor_client.get(f"/author/modules/{SLUG}/preview?answers=1").get_data(as_text=True)
    assert preview.count("Variant 1 of 2") == 1 and preview.count("Variant 2 of 2") == 1
    assert "Safety-critical" in preview
    assert '<span class="badge text-bg-warning">Harmful</span> Wait until after the weekend' in preview
    hidden = instructor_client.get(f"/author/modules/{SLUG}/preview").get_data(as_text=True)
    assert 'text-bg-warning">Harmful<' not in hidden  # the answers are shown only when asked for


def publish(app, client) -> None:
    """Give the placeholder a topic and lesson, then publish."""
    first = items(app)[0]
    form = form_of(first) | {"topic": "placement", "lesson": a_ref(app)}
    assert client.post(f"{ITEM}/0", data=form).status_code == 302
    response = client.post(f"/author/modules/{SLUG}/publish", follow_redirects=True)
    assert "Published version 1." in response.get_data(as_text=True)


def test_gift_export_keeps_the_flags_and_variants_through_an_import(app, instructor_client, starter):
    new_module(instructor_client)
    instructor_client.post(f"{ITEM}/new?type=single", data=red_flag(app))
    instructor_client.post(f"{ITEM}/1/variant")
    placeholder = items(app)[0]["key"]
    publish(app, instructor_client)
    curriculum = instructor_client.get("/author/curriculum").get_data(as_text=True)
    assert "Safety-critical" in curriculum and "Slots with variants" in curriculum

    response = instructor_client.get(f"/author/modules/{SLUG}/export.gift")
    assert response.status_code == 200 and response.headers["Content-Disposition"].endswith('.gift.txt"')
    gift = response.get_data(as_text=True)
    assert "// safety-critical" in gift and "// harmful: Wait until after the weekend" in gift
    assert "// variant-of: red-flag" in gift and "// key: red-flag-v2" in gift

    upload = {"module": "safe-copy", "format": "gift", "file": (io.BytesIO(gift.encode()), "safe.gift.txt")}
    page = instructor_client.post("/author/import", data=upload, content_type="multipart/form-data")
    assert page.status_code == 200
    copied = {
        item["key"]: item
        for case in draft_document(app, "safe-copy")["cases"]
        for stage in case["stages"]
        for item in stage["items"]
    }
    assert copied["red-flag"]["safety_critical"] and copied["red-flag-v2"]["variant_of"] == "red-flag"
    assert [c["harmful"] for c in copied["red-flag-v2"]["choices"]] == [False, True, False]
    assert not copied[placeholder]["safety_critical"]  # not marked: not safety-critical
    # The variant sits in its slot's stage, right after it.
    stage = next(
        s
        for c in draft_document(app, "safe-copy")["cases"]
        for s in c["stages"]
        if any(i["key"] == "red-flag" for i in s["items"])
    )
    assert [i["key"] for i in stage["items"]] == ["red-flag", "red-flag-v2"]
    # The pack file carries them too.
    pack = instructor_client.get(f"/author/modules/{SLUG}/export").get_data(as_text=True)
    assert "safety_critical: true" in pack and "variant_of: red-flag" in pack and "harmful: true" in pack
    assert module_doc(app, SLUG).has_variants
