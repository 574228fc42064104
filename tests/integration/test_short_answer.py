"""Short answer end to end: imported from GIFT, written in the editor, taken, graded, shown,
practised, analysed, previewed and exported, with nothing of the key on the take page."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import timedelta

import pytest
import yaml

from quizzes.content import Module
from training.database import writing
from training.extensions import db
from training.models import Attempt
from training.services import content, drafts
from training.services.form_values import form_tokens

from .conftest import module_doc, start_attempt
from .helpers import card_ref, card_values, page_ref
from .test_editor import draft_document, error_next_to, error_summary, parts, post_item, start
from .test_review_queue import cards, set_due
from .test_taking import autosave, post_stage, stored

SLUG = "pdo-names"
LESSON = "thread-lift-anatomy#threads-and-materials"
NAME = "tên vật liệu"  # "the material's name": Vietnamese, with marks on most vowels
PDO = {
    "key": "pdo-name",
    "type": "short-answer",
    "topic": "injection-volume",
    "lesson": LESSON,
    "prompt": "PDO is short for the name of a material. Write that name in full.",
    "explanation": "PDO is polydioxanone.",
    "answers": [
        {"text": "polydioxanone", "feedback": "Right: polydioxanone."},
        {"text": NAME, "feedback": "Đúng."},
        {"text": "*dioxan*", "percent": 50, "feedback": "Nearly: check the spelling."},
    ],
    "feedback_wrong": "PDO stands for polydioxanone.",
}
DOCUMENT = {
    "slug": SLUG,
    "settings": {"show_answers": "after-submit"},  # the tests read the feedback after each attempt
    "title": "Thread materials",
    "procedure": "thread-lift",
    "summary": "What threads are made of.",
    "cases": [
        {
            "key": "materials",
            "title": "The leaflet",
            "client": "Woman, 40, asking about her threads",
            "stages": [{"title": "At the consultation", "narrative": "She reads the leaflet.", "items": [PDO]}],
        }
    ],
}


@pytest.fixture
def published(app, starter) -> str:
    """The one-question module above, published (the starter packs give its lesson section)."""
    with app.app_context(), writing():
        content.publish(Module.model_validate(DOCUMENT), None)
        db.session.commit()
    return SLUG


def take(client, app, typed: str, slug: str = SLUG) -> int:
    """Start an attempt, type ``typed`` as the one answer and submit; returns the attempt id."""
    attempt_id = start_attempt(client, slug)
    response = post_stage(client, attempt_id, 0, {"pdo-name": [typed]}, action="submit")
    assert response.status_code == 302, response.data
    return attempt_id


# --- the take page ---------------------------------------------------------------------------


def test_the_take_page_offers_a_phone_friendly_text_box_and_nothing_of_the_key(app, student_client, published):
    attempt_id = start_attempt(student_client, SLUG)
    html = student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    box = re.search(r'<input class="form-control short-answer"[^>]*>', html).group(0)
    name = f'name="item-{page_ref(app, attempt_id, "pdo-name")}"'
    for attribute in ('type="text"', name, 'autocomplete="off"', 'autocapitalize="off"'):
        assert attribute in box
    assert 'spellcheck="false"' in box and 'maxlength="500"' in box
    for secret in ("polydioxanone", "dioxan", "Nearly", "stands for", NAME, "pdo-name"):
        assert secret not in html


def test_a_typed_answer_is_saved_normalised_graded_and_shown_on_the_result_page(app, student_client, published):
    attempt_id = start_attempt(student_client, SLUG)
    decomposed = "  " + unicodedata.normalize("NFD", NAME.upper()) + "  "
    assert autosave(student_client, attempt_id, 0, "pdo-name", [decomposed], 1).status_code == 200
    assert stored(app, attempt_id) == {"pdo-name": NAME.upper()}  # NFC, trimmed, capitals as typed
    # The take page shows it back, as typed.
    assert f'value="{NAME.upper()}"' in student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    # The form posts what the box holds (a plain form post saves every item of the stage).
    response = post_stage(student_client, attempt_id, 0, {"pdo-name": [decomposed]}, action="submit")
    assert response.status_code == 302
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.score, attempt.max_score, attempt.passed) == (1.0, 1.0, True)
    html = student_client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Correct · 1/1" in html and NAME.upper() in html and "Đúng." in html
    assert "polydioxanone" in html  # the correct answers, wildcards taken out


def test_a_partly_right_answer_earns_its_share_and_a_wrong_one_the_general_feedback(app, student_client, published):
    partly = student_client.get(f"/attempts/{take(student_client, app, 'polidioxanon')}/result")
    html = partly.get_data(as_text=True)
    assert "Partly correct · 0.5/1" in html and "Nearly: check the spelling." in html
    wrong = student_client.get(f"/attempts/{take(student_client, app, 'nylon')}/result").get_data(as_text=True)
    assert "Incorrect · 0/1" in wrong and "PDO stands for polydioxanone." in wrong


# --- review, analysis, preview, export --------------------------------------------------------


def test_a_missed_short_answer_comes_back_as_a_review_card_and_is_graded_there(app, student, student_client, published):
    take(student_client, app, "nylon")
    (card,) = cards(app, student).values()
    set_due(app, card.id, -timedelta(minutes=1))
    page = student_client.get("/review").get_data(as_text=True)
    ref = card_ref(app, card.id, "pdo-name")
    assert f'name="item-{ref}"' in page and 'autocapitalize="off"' in page and "polydioxanone" not in page
    item = module_doc(app, SLUG).item_map()["pdo-name"]
    typed = card_values(app, card.id, item, ["PolyDioxanone"])
    assert typed == ["PolyDioxanone"]  # free text has no ids to encode
    data = {"reviews": str(card.reviews), f"item-{ref}": typed}
    feedback = student_client.post(f"/review/{card.id}", data=data).get_data(as_text=True)
    assert '<h1 class="h3">Right</h1>' in feedback and "Right: polydioxanone." in feedback


def test_item_analysis_lists_the_distinct_answers_most_frequent_first(
    app, instructor_client, student_client, other_client, published
):
    for client, typed in (
        (student_client, "polydioxanone"),
        (student_client, "nylon"),
        (other_client, "Polydioxanone"),
        (other_client, "nylon"),
        (other_client, "poly dioxanone"),
        (student_client, "POLYDIOXANONE"),
    ):
        take(client, app, typed)
    blank = start_attempt(student_client, SLUG)
    assert post_stage(student_client, blank, 0, {}, action="submit").status_code == 302
    html = instructor_client.get(f"/author/modules/{SLUG}/analysis").get_data(as_text=True)
    assert "Answers given" in html and "Choices picked" not in html
    listed = re.findall(r"<li>(.) ([^<:]+): (\d+) \(([\d.]+)%\)</li>", html)
    assert listed == [
        ("✓", "polydioxanone", "3", "42.9"),  # as most students wrote it; capitals are ignored
        ("·", "nylon", "2", "28.6"),
        ("◐", "poly dioxanone", "1", "14.3"),
        ("·", "No answer", "1", "14.3"),
    ]


def test_the_preview_shows_the_text_box_and_on_request_the_answers(app, instructor_client, published):
    hidden = instructor_client.get(f"/author/modules/{SLUG}/preview").get_data(as_text=True)
    with app.app_context():
        ref = form_tokens("preview").item_ref("pdo-name")
    assert f'name="item-{ref}"' in hidden and "polydioxanone" not in hidden
    shown = instructor_client.get(f"/author/modules/{SLUG}/preview?answers=1").get_data(as_text=True)
    assert "<strong>Correct:</strong> polydioxanone" in shown


def test_the_pack_export_keeps_every_answer_and_imports_back_unchanged(app, instructor_client, published):
    exported = instructor_client.get(f"/author/modules/{SLUG}/export")
    assert exported.status_code == 200
    data = yaml.safe_load(exported.get_data(as_text=True))
    item = data["cases"][0]["stages"][0]["items"][0]
    assert item["type"] == "short-answer"
    assert [a["text"] for a in item["answers"]] == ["polydioxanone", NAME, "*dioxan*"]
    assert Module.model_validate(data) == module_doc(app, SLUG)


# --- GIFT import ------------------------------------------------------------------------------

GIFT = """$CATEGORY: $course$/Thread lift/Injection volume

::PDO:: PDO is short for which material? {=polydioxanone#Right. =%50%*dioxan*#Nearly.}

::Number:: Which number do you call for an ambulance in Vietnam? {=115}

::Minutes:: How long do you hold a cold compress? {#10..15}
"""


def test_gift_short_answers_come_in_through_the_import_page_and_open_in_the_editor(app, instructor_client, starter):
    data = {
        "module": "gift-short",
        "format": "gift",
        "file": (io.BytesIO(GIFT.encode()), "short.gift"),
        "skip_invalid": "",
    }
    page = instructor_client.post("/author/import", data=data, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert re.search(r"3 question\(s\) imported</strong> into\s+a new draft module\s+<a[^>]*>gift-short</a>", html)
    assert re.search(r"line 3: short-answer “PDO is short for which material\?” as gift-short-", html)
    items = [i for case in draft_document(app, "gift-short")["cases"] for s in case["stages"] for i in s["items"]]
    assert [i["type"] for i in items] == ["short-answer", "short-answer", "numeric"]
    assert items[0]["answers"] == [
        {"text": "polydioxanone", "percent": 100.0, "feedback": "Right.", "harmful": False},
        {"text": "*dioxan*", "percent": 50.0, "feedback": "Nearly.", "harmful": False},
    ]
    assert items[1]["answers"] == [{"text": "115", "percent": 100.0, "feedback": "", "harmful": False}]
    editor = instructor_client.get("/author/modules/gift-short/draft/cases/0/stages/0/items/0").get_data(as_text=True)
    assert 'value="polydioxanone"' in editor and 'value="*dioxan*"' in editor and 'value="50.0"' in editor
    assert "Answer 1" in editor and "Feedback for any other answer" in editor


# --- the editor -------------------------------------------------------------------------------

BASE = "/author/modules/thread-lift-nerve-pain/draft"


def short_form(key: str = "new-short", **extra) -> dict:
    return (
        {
            "key": key,
            "prompt": "Name the nerve that moves the muscles of the face.",
            "points": "2",
            "topic": "anatomy",
            "lesson": "",
            "explanation": "The facial nerve moves the face.",
            "case_sensitive": "",
            "feedback_wrong": "It is the facial nerve.",
        }
        | parts(
            "answers",
            [
                {"text": "*facial*", "percent": "50", "feedback": "Which facial structure?", "order": "2"},
                {"text": "facial nerve", "percent": "", "feedback": "Right.", "order": "1"},
                {"text": "", "percent": "100", "feedback": "", "order": "3"},
            ],
        )
        | extra
    )


def test_authors_add_and_edit_a_short_answer_question_in_the_editor(app, instructor_client, starter):
    start(instructor_client)
    page = instructor_client.get(f"{BASE}/cases/0/stages/0/items/new?type=short-answer")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "New short answer question" in html
    assert html.count('name="answers-') >= 9 and 'name="answers-0-percent"' in html and 'value="100.0"' in html
    response = post_item(instructor_client, "short-answer", short_form())
    assert response.status_code == 302, error_summary(response)
    items = draft_document(app)["cases"][0]["stages"][0]["items"]
    item = items[-1]
    assert item["type"] == "short-answer" and item["points"] == 2 and item["case_sensitive"] is False
    # Ordered by their numbers, a blank percent is 100, the blank row is left out.
    assert item["answers"] == [
        {"text": "facial nerve", "percent": 100.0, "feedback": "Right.", "harmful": False},
        {"text": "*facial*", "percent": 50.0, "feedback": "Which facial structure?", "harmful": False},
    ]
    assert item["feedback_wrong"] == "It is the facial nerve."

    index = len(items) - 1
    edited = short_form(case_sensitive="y", feedback_wrong="**The facial nerve.** <b>x</b>")
    assert post_item(instructor_client, "short-answer", edited, i=index).status_code == 302
    item = draft_document(app)["cases"][0]["stages"][0]["items"][index]
    assert item["case_sensitive"] is True and item["feedback_wrong"] == "**The facial nerve.** x"
    html = instructor_client.get(f"{BASE}/cases/0/stages/0/items/{index}").get_data(as_text=True)
    assert 'value="facial nerve"' in html
    assert re.search(r'<input checked class="form-check-input" id="case_sensitive" name="case_sensitive"', html)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"answers-1-percent": "40"}, "answers", "No answer earns full marks: give at least one"),
        ({"answers-0-order": "1", "answers-1-order": "2"}, "answers", "No answer earns full marks as typed"),
        ({"answers-0-percent": "150"}, "answers-0-percent", "100 or less"),
    ],
)
def test_a_short_answer_that_cannot_earn_full_marks_is_refused_next_to_its_answers(
    app, instructor_client, starter, changes, field, message
):
    start(instructor_client)
    before = draft_document(app)
    html = post_item(instructor_client, "short-answer", short_form() | changes).get_data(as_text=True)
    assert "Nothing was saved" in html and 'value="facial nerve"' in html
    if field == "answers":
        group = re.search(r'id="answers-error" class="alert[^"]*" role="alert">([^<]*)<', html)
        assert group and message in group.group(1), html
    else:
        assert message in error_next_to(html, field)
    assert draft_document(app) == before


def test_the_shipped_curriculum_has_a_short_answer_that_takes_and_grades(app, student_client, starter):
    slug = "thread-lift-complications"
    doc = module_doc(app, slug)
    item = doc.item_map()["tc-pdo-name"]
    assert item.grade("Polydioxanone").is_full and item.grade("PDO").awarded == 0
    assert item.feedback_for("PDO") == ["That is the short name. The full name is polydioxanone."]
    with app.app_context():
        assert drafts.publish_problems(doc) == []
