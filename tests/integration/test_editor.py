"""The in-browser draft editor: settings, cases, stages, items of every type, and what it refuses."""

from __future__ import annotations

import re

import pytest

from quizzes.content import Module
from training.database import writing
from training.extensions import db
from training.models import ModuleDraft
from training.rendering import render_markdown
from training.services import content, drafts, edit_feedback

from .conftest import module_doc, start_attempt
from .test_taking import finish

SLUG = "thread-lift-nerve-pain"
BASE = f"/author/modules/{SLUG}/draft"
XSS = "<script>alert(1)</script>Look <img src=x onerror=alert(2)> here"


# ---------------------------------------------------------------- helpers


def draft_document(app, slug: str = SLUG) -> dict | None:
    """The draft's stored document (None when there is no draft)."""
    with app.app_context():
        draft = drafts.draft_for(content.module_by_slug(slug))
        return None if draft is None else draft.document


def start(client, slug: str = SLUG):
    response = client.post(f"/author/modules/{slug}/draft/start")
    assert response.status_code == 302, response.data
    return response


def a_ref(app) -> str:
    """A lesson section that exists."""
    with app.app_context():
        return sorted(content.known_lesson_refs())[0]


def common(key: str, **extra) -> dict:
    return {
        "key": key,
        "prompt": "What do you do **now**?",
        "points": "2",
        "topic": "aftercare",
        "lesson": "",
        "explanation": "> Because the guideline says so.",
    } | extra


def choice_rows(rows: list[tuple], name: str = "choices") -> dict:
    """Form fields of choice rows: (id, text, correct, feedback, order)."""
    data = {}
    for n, (cid, text, correct, feedback, order) in enumerate(rows):
        data |= {f"{name}-{n}-id": cid, f"{name}-{n}-text": text, f"{name}-{n}-feedback": feedback}
        data[f"{name}-{n}-order"] = str(order)
        if correct:
            data[f"{name}-{n}-correct"] = "y"
    return data


def parts(name: str, rows: list[dict]) -> dict:
    return {f"{name}-{n}-{field}": value for n, row in enumerate(rows) for field, value in row.items()}


FORMS = {
    "single": common("new-single", shuffle="y")
    | choice_rows(
        [("a", "Massage", False, "It spreads the swelling.", 1), ("b", "Ice", True, "", 2), ("c", "", False, "", 3)]
    ),
    "multiple": common("new-multiple")
    | choice_rows(
        [("a", "Ice", True, "", 1), ("b", "Rest", True, "", 2), ("c", "Sauna", False, "Heat worsens it.", 3)]
    ),
    "true-false": common("new-tf", correct="false", feedback_true="No: it is **false**.", feedback_false="Right."),
    "numeric": common(
        "new-numeric", min="0.5", max="1", units="ml", feedback_low="Too little.", feedback_high="Too much."
    ),
    "ordering": common("new-ordering")
    | parts(
        "steps",
        [
            {"id": "s1", "text": "Clean", "order": "1"},
            {"id": "s2", "text": "Numb", "order": "2"},
            {"id": "s3", "text": "Insert", "order": "3"},
            {"id": "s4", "text": "", "order": "4"},
        ],
    ),
    "matching": common("new-matching")
    | parts("options", [{"id": "a", "text": "Temple"}, {"id": "b", "text": "Jawline"}, {"id": "c", "text": ""}])
    | parts(
        "prompts",
        [
            {"id": "p1", "text": "Facial nerve branch", "match": "a", "feedback": "It runs at the temple."},
            {"id": "p2", "text": "Marginal mandibular", "match": "b", "feedback": ""},
            {"id": "p3", "text": "", "match": "", "feedback": ""},
        ],
    ),
}


def post_item(client, type_: str, data: dict, c: int = 0, s: int = 0, i: int | None = None):
    url = (
        f"{BASE}/cases/{c}/stages/{s}/items/new?type={type_}" if i is None else f"{BASE}/cases/{c}/stages/{s}/items/{i}"
    )
    return client.post(url, data=data)


def error_next_to(html: str, field_id: str) -> str:
    """The error text shown for a field (its invalid-feedback element), or ''."""
    match = re.search(rf'id="{re.escape(field_id)}-error" class="invalid-feedback">([^<]*)<', html)
    return match.group(1) if match else ""


def form_of(item: dict) -> dict:
    """The form fields that post an existing item back unchanged."""
    data = {k: v for k, v in item.items() if isinstance(v, str | int | float) and not isinstance(v, bool)}
    data["topic"] = item.get("topic") or ""
    data["lesson"] = item.get("lesson") or ""
    if item.get("shuffle"):
        data["shuffle"] = "y"
    if item["type"] == "true-false":
        data["correct"] = "true" if item["correct"] else "false"
    if item.get("case_sensitive"):
        data["case_sensitive"] = "y"
    if item.get("safety_critical"):
        data["safety_critical"] = "y"
    if item.get("variant_of"):
        data["variant_of"] = item["variant_of"]
    for name in ("choices", "steps", "prompts", "options", "answers"):
        rows = []
        for n, row in enumerate(item.get(name, []), 1):
            row = {k: v for k, v in row.items() if k != "correct"} | {"order": str(n)}
            if item["type"] in ("single", "multiple"):
                row["correct"] = "y" if item[name][n - 1]["correct"] else ""
            # A ticked box posts "y"; an unticked one posts nothing.
            row = {k: ("y" if v is True else v) for k, v in row.items() if v is not False}
            rows.append({k: v for k, v in row.items() if v != ""})
        data |= parts(name, rows)
    return data


# ---------------------------------------------------------------- access


def editor_endpoints(app) -> list[tuple[str, str, set[str]]]:
    """Every editor route as (endpoint, URL on the starter module, methods)."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            view = app.view_functions[rule.endpoint]
            if view.__module__ == "training.author.editor":
                values = {k: v for k, v in {"slug": SLUG, "c": 0, "s": 0, "i": 0}.items() if k in rule.arguments}
                urls.append((rule.endpoint, app.url_for(rule.endpoint, **values), rule.methods))
    return urls


def test_students_get_403_on_every_editor_route(app, student_client, instructor_client, starter):
    start(instructor_client)
    before = draft_document(app)
    urls = editor_endpoints(app)
    assert len(urls) >= 15
    for _, url, methods in urls:
        if "GET" in methods:
            assert student_client.get(url + "?type=single").status_code == 403, url
        if "POST" in methods:
            data = FORMS["single"] | {"direction": "up", "confirm": "yes"}
            assert student_client.post(url + "?type=single", data=data).status_code == 403, url
    assert draft_document(app) == before


def test_every_editor_route_has_an_access_rule_for_authors_only(app):
    for endpoint, _, _ in editor_endpoints(app):
        assert app.view_functions[endpoint].access_rule == {"instructor", "admin"}, endpoint


def test_posts_without_a_csrf_token_are_refused(app, instructor_client, starter):
    start(instructor_client)
    before = draft_document(app)
    app.config["WTF_CSRF_ENABLED"] = True
    response = instructor_client.post(f"{BASE}/cases/0/move", data={"direction": "down"})
    assert response.status_code == 400
    response = instructor_client.post(f"{BASE}/settings", data={"title": "Hacked", "procedure": "mixed"})
    assert response.status_code in (200, 400)
    assert draft_document(app) == before


def test_unknown_modules_indexes_and_types_are_404(instructor_client, starter):
    start(instructor_client)
    for url in (
        "/author/modules/nope/draft",
        "/author/modules/nope/draft/settings",
        f"{BASE}/cases/9",
        f"{BASE}/cases/0/stages/9",
        f"{BASE}/cases/0/stages/0/items/99",
        f"{BASE}/cases/9/stages/0/items/new?type=single",
        f"{BASE}/cases/0/stages/0/items/new?type=essay",
    ):
        assert instructor_client.get(url).status_code == 404, url
    for url in (f"{BASE}/cases/9/move", f"{BASE}/cases/0/stages/9/delete", f"{BASE}/cases/0/stages/0/items/99/move"):
        assert instructor_client.post(url, data={"direction": "up", "confirm": "yes"}).status_code == 404, url


# ---------------------------------------------------------------- outline, draft and settings


def test_outline_offers_to_start_a_draft_and_starting_copies_the_published_version(app, instructor_client, starter):
    page = instructor_client.get(BASE).get_data(as_text=True)
    assert "Start editing" in page and draft_document(app) is None
    assert "Start editing" in instructor_client.get(f"/author/modules/{SLUG}").get_data(as_text=True)
    start(instructor_client)
    assert Module.model_validate(draft_document(app)) == module_doc(app, SLUG)
    page = instructor_client.get(BASE).get_data(as_text=True)
    doc = module_doc(app, SLUG)
    first = next(doc.items())
    assert "Question 1" in page and first.key in page and first.label in page and "Publish as version 2" in page
    assert "Edit the draft" in instructor_client.get(f"/author/modules/{SLUG}").get_data(as_text=True)


def test_editing_pages_send_authors_to_start_a_draft_first(instructor_client, starter):
    response = instructor_client.get(f"{BASE}/settings")
    assert response.status_code == 302 and response.headers["Location"].endswith(BASE)


def test_settings_are_saved_to_the_draft_only(app, instructor_client, starter):
    start(instructor_client)
    response = instructor_client.post(
        f"{BASE}/settings",
        data={
            "title": "Nerve pain after a lift",
            "procedure": "thread-lift",
            "summary": "New *summary*",
            "pass_mark": "85",
        },
    )
    assert response.status_code == 302
    doc = draft_document(app)
    assert (doc["title"], doc["summary"], doc["settings"]["pass_mark"]) == (
        "Nerve pain after a lift",
        "New *summary*",
        85,
    )
    assert module_doc(app, SLUG).settings.pass_mark == 70  # students keep the published version


@pytest.mark.parametrize(
    ("value", "message"), [("150", "100 or less"), ("-1", "0 or more"), ("", "Give a whole number.")]
)
def test_a_pass_mark_out_of_range_is_refused_next_to_the_field(app, instructor_client, starter, value, message):
    start(instructor_client)
    before = draft_document(app)
    data = {"title": "Typed title", "procedure": "thread-lift", "summary": "Kept", "pass_mark": value}
    html = instructor_client.post(f"{BASE}/settings", data=data).get_data(as_text=True)
    assert message in error_next_to(html, "pass_mark")
    assert 'value="Typed title"' in html and "Nothing was saved" in html
    assert draft_document(app) == before


# ---------------------------------------------------------------- cases and stages


def test_authors_add_edit_move_and_delete_cases(app, instructor_client, starter):
    start(instructor_client)
    count = len(draft_document(app)["cases"])
    response = instructor_client.post(
        f"{BASE}/cases/new", data={"key": "late-bruise", "title": "A late bruise", "client": "Woman, 52, jowls"}
    )
    assert response.status_code == 302 and f"/cases/{count}/stages/0/items/0" in response.headers["Location"]
    doc = draft_document(app)
    assert doc["cases"][-1]["key"] == "late-bruise" and len(doc["cases"][-1]["stages"][0]["items"]) == 1
    Module.model_validate(doc)

    response = instructor_client.post(
        f"{BASE}/cases/{count}", data={"key": "late-bruise", "title": "Bruise", "client": "Man, 40"}
    )
    assert response.status_code == 302 and draft_document(app)["cases"][-1]["title"] == "Bruise"

    first_key = doc["cases"][0]["key"]
    instructor_client.post(f"{BASE}/cases/0/move", data={"direction": "down"})
    assert draft_document(app)["cases"][1]["key"] == first_key
    instructor_client.post(f"{BASE}/cases/1/move", data={"direction": "up"})
    assert draft_document(app)["cases"][0]["key"] == first_key

    nothing = instructor_client.post(f"{BASE}/cases/{count}/delete", follow_redirects=True).get_data(as_text=True)
    assert "Nothing was deleted" in nothing and len(draft_document(app)["cases"]) == count + 1
    page = instructor_client.post(f"{BASE}/cases/{count}/delete", data={"confirm": "yes"}, follow_redirects=True)
    assert "Case &#39;Bruise&#39; deleted." in page.get_data(as_text=True)
    assert [c["key"] for c in draft_document(app)["cases"]] == [c["key"] for c in doc["cases"][:-1]]


def test_a_duplicate_case_key_is_refused_next_to_the_key(app, instructor_client, starter):
    start(instructor_client)
    before = draft_document(app)
    taken = before["cases"][0]["key"]
    html = instructor_client.post(
        f"{BASE}/cases/new", data={"key": taken, "title": "Typed", "client": "Someone"}
    ).get_data(as_text=True)
    assert "must be unique" in error_next_to(html, "key") and 'value="Typed"' in html
    assert draft_document(app) == before


def test_the_last_case_stage_and_item_cannot_be_deleted(app, instructor_client, starter):
    start(instructor_client)

    def trim(data):
        data["cases"] = data["cases"][:1]
        data["cases"][0]["stages"] = data["cases"][0]["stages"][:1]
        data["cases"][0]["stages"][0]["items"] = data["cases"][0]["stages"][0]["items"][:1]

    with app.app_context(), writing():
        draft = drafts.draft_for(content.module_by_slug(SLUG))
        data = draft.content.model_dump(mode="json")
        trim(data)
        drafts.save_draft(draft, Module.model_validate(data), None)
        db.session.commit()
    before = draft_document(app)
    for url, message in (
        (f"{BASE}/cases/0/delete", "its last case cannot be deleted"),
        (f"{BASE}/cases/0/stages/0/delete", "its last stage cannot be deleted"),
        (f"{BASE}/cases/0/stages/0/items/0/delete", "its last item cannot be deleted"),
    ):
        page = instructor_client.post(url, data={"confirm": "yes"}, follow_redirects=True).get_data(as_text=True)
        assert message in page, url
    assert draft_document(app) == before


def test_authors_add_edit_move_and_delete_stages(app, instructor_client, starter):
    start(instructor_client)
    stages = draft_document(app)["cases"][0]["stages"]
    response = instructor_client.post(
        f"{BASE}/cases/0/stages/new", data={"title": "Two weeks later", "narrative": "She is back.\n\n> It hurts."}
    )
    assert response.status_code == 302
    new = draft_document(app)["cases"][0]["stages"][-1]
    assert new["title"] == "Two weeks later" and new["narrative"] == "She is back.\n\n> It hurts."
    assert len(new["items"]) == 1

    last = len(stages)
    instructor_client.post(f"{BASE}/cases/0/stages/{last}", data={"title": "Three weeks later", "narrative": "Later."})
    assert draft_document(app)["cases"][0]["stages"][-1]["title"] == "Three weeks later"
    instructor_client.post(f"{BASE}/cases/0/stages/{last}/move", data={"direction": "up"})
    assert draft_document(app)["cases"][0]["stages"][last - 1]["title"] == "Three weeks later"
    instructor_client.post(f"{BASE}/cases/0/stages/{last - 1}/delete", data={"confirm": "yes"})
    assert [s["title"] for s in draft_document(app)["cases"][0]["stages"]] == [s["title"] for s in stages]


def test_an_empty_narrative_is_refused_next_to_the_field(app, instructor_client, starter):
    start(instructor_client)
    before = draft_document(app)
    html = instructor_client.post(f"{BASE}/cases/0/stages/0", data={"title": "Typed title", "narrative": " "}).get_data(
        as_text=True
    )
    assert error_next_to(html, "narrative") == "This cannot be empty." and 'value="Typed title"' in html
    assert draft_document(app) == before


# ---------------------------------------------------------------- items


@pytest.mark.parametrize("item_type", list(FORMS))
def test_authors_add_an_item_of_every_type(app, instructor_client, starter, item_type):
    start(instructor_client)
    page = instructor_client.get(f"{BASE}/cases/0/stages/0/items/new?type={item_type}")
    assert page.status_code == 200
    response = post_item(instructor_client, item_type, FORMS[item_type])
    assert response.status_code == 302, error_summary(response)
    item = draft_document(app)["cases"][0]["stages"][0]["items"][-1]
    assert item["type"] == item_type and item["key"] == FORMS[item_type]["key"]
    assert item["points"] == 2 and item["topic"] == "aftercare" and item.get("lesson") is None
    assert item["explanation"] == "> Because the guideline says so."
    expected = {
        "single": lambda i: [c["id"] for c in i["choices"]] == ["a", "b"]
        and i["choices"][1]["correct"]
        and i["shuffle"],
        "multiple": lambda i: [c["correct"] for c in i["choices"]] == [True, True, False] and not i["shuffle"],
        "true-false": lambda i: i["correct"] is False and i["feedback_true"] == "No: it is **false**.",
        "numeric": lambda i: (i["min"], i["max"], i["units"]) == (0.5, 1.0, "ml"),
        "ordering": lambda i: [s["text"] for s in i["steps"]] == ["Clean", "Numb", "Insert"],
        "matching": lambda i: [(p["id"], p["match"]) for p in i["prompts"]] == [("p1", "a"), ("p2", "b")]
        and len(i["options"]) == 2,
    }[item_type]
    assert expected(item), item
    # The edit page shows it back, and posting it unchanged changes nothing.
    index = len(draft_document(app)["cases"][0]["stages"][0]["items"]) - 1
    html = instructor_client.get(f"{BASE}/cases/0/stages/0/items/{index}").get_data(as_text=True)
    assert f'value="{item["key"]}"' in html
    assert post_item(instructor_client, item_type, form_of(item), i=index).status_code == 302
    assert draft_document(app)["cases"][0]["stages"][0]["items"][-1] == item


def error_summary(response) -> str:
    html = response.get_data(as_text=True)
    return " | ".join(re.findall(r'class="invalid-feedback">([^<]*)<', html) + re.findall(r"<li>([^<]*)</li>", html))


def test_every_edit_page_of_the_starter_module_posts_back_unchanged(app, instructor_client, starter):
    start(instructor_client)
    before = draft_document(app)
    for c, case in enumerate(before["cases"]):
        for s, stage in enumerate(case["stages"]):
            for i, item in enumerate(stage["items"]):
                assert instructor_client.get(f"{BASE}/cases/{c}/stages/{s}/items/{i}").status_code == 200
                response = post_item(instructor_client, item["type"], form_of(item), c, s, i)
                assert response.status_code == 302, (item["key"], error_summary(response))
    assert draft_document(app) == before


def test_items_move_within_their_stage_and_choices_reorder_by_their_numbers(app, instructor_client, starter):
    start(instructor_client)
    items = draft_document(app)["cases"][0]["stages"][0]["items"]
    assert post_item(instructor_client, "single", FORMS["single"]).status_code == 302
    last = len(items)
    instructor_client.post(f"{BASE}/cases/0/stages/0/items/{last}/move", data={"direction": "up"})
    moved = draft_document(app)["cases"][0]["stages"][0]["items"]
    assert moved[last - 1]["key"] == "new-single" and moved[last]["key"] == items[-1]["key"]
    page = instructor_client.post(
        f"{BASE}/cases/0/stages/0/items/0/move", data={"direction": "up"}, follow_redirects=True
    )
    assert "already first" in page.get_data(as_text=True)

    reordered = FORMS["single"] | {"choices-0-order": "5", "choices-1-order": "1"}
    assert post_item(instructor_client, "single", reordered, i=last - 1).status_code == 302
    assert [c["id"] for c in draft_document(app)["cases"][0]["stages"][0]["items"][last - 1]["choices"]] == ["b", "a"]

    instructor_client.post(f"{BASE}/cases/0/stages/0/items/{last - 1}/delete", data={"confirm": "yes"})
    assert [i["key"] for i in draft_document(app)["cases"][0]["stages"][0]["items"]] == [i["key"] for i in items]


def test_editing_keeps_the_fields_the_editor_does_not_show(app, instructor_client, starter):
    start(instructor_client)
    with app.app_context(), writing():
        draft = drafts.draft_for(content.module_by_slug(SLUG))
        data = draft.content.model_dump(mode="json")
        data["cases"][0]["stages"][0]["items"][0]["tags"] = ["source-conflict"]
        drafts.save_draft(draft, Module.model_validate(data), None)
        db.session.commit()
    item = draft_document(app)["cases"][0]["stages"][0]["items"][0]
    assert post_item(instructor_client, item["type"], form_of(item) | {"prompt": "Changed"}, i=0).status_code == 302
    saved = draft_document(app)["cases"][0]["stages"][0]["items"][0]
    assert saved["tags"] == ["source-conflict"] and saved["prompt"] == "Changed"


BAD = [
    (
        "numeric",
        FORMS["numeric"] | {"min": "5", "max": "2"},
        "min",
        "The range is reversed: min 5 is above max 2",
        'value="5"',
    ),
    (
        "single",
        FORMS["single"] | {"choices-0-correct": "y", "choices-0-feedback": ""},
        "choices",
        "exactly one correct",
        "Massage",
    ),
    (
        "single",
        FORMS["single"] | {"choices-0-feedback": "  "},
        "choices-0-feedback",
        "needs feedback saying why",
        "Massage",
    ),
    (
        "multiple",
        FORMS["multiple"] | {"choices-2-feedback": ""},
        "choices-2-feedback",
        "needs feedback saying why",
        "Sauna",
    ),
    ("true-false", FORMS["true-false"] | {"key": "DUPLICATE"}, "key", "Use lower-case letters", 'value="DUPLICATE"'),
    ("ordering", FORMS["ordering"] | {"steps-2-text": ""}, "steps", "at least 3", 'value="Numb"'),
    (
        "matching",
        FORMS["matching"] | {"prompts-1-match": "z"},
        "prompts",
        "which is not an option",
        "Marginal mandibular",
    ),
    ("single", FORMS["single"] | {"choices-1-id": "Not an id"}, "choices-1-id", "Use lower-case letters", "Not an id"),
    ("numeric", FORMS["numeric"] | {"units": ""}, "units", "This cannot be empty.", 'value="0.5"'),
    ("numeric", FORMS["numeric"] | {"max": "lots"}, "max", "Not a valid float value", 'value="lots"'),
    ("single", FORMS["single"] | {"prompt": "<b></b>"}, "prompt", "This cannot be empty.", "Massage"),
    ("single", FORMS["single"] | {"points": "0"}, "points", "more than 0", "Massage"),
]


@pytest.mark.parametrize(("item_type", "data", "field", "message", "kept"), BAD)
def test_bad_items_are_refused_with_the_message_next_to_the_field(
    app, instructor_client, starter, item_type, data, field, message, kept
):
    start(instructor_client)
    before = draft_document(app)
    response = post_item(instructor_client, item_type, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing was saved" in html
    if field in ("choices", "steps", "prompts"):
        group = re.search(rf'id="{field}-error" class="alert[^"]*" role="alert">([^<]*)<', html)
        assert group and message in group.group(1), error_summary(response)
    else:
        assert message in error_next_to(html, field), error_summary(response)
        assert f'aria-describedby="{field}-error"' in html or f'{field}-error"' in html
    assert kept in html
    assert draft_document(app) == before


def test_a_duplicate_item_key_is_refused_next_to_the_key(app, instructor_client, starter):
    start(instructor_client)
    before = draft_document(app)
    taken = before["cases"][-1]["stages"][-1]["items"][-1]["key"]
    html = post_item(instructor_client, "single", FORMS["single"] | {"key": taken}).get_data(as_text=True)
    assert "Each item key must be unique" in error_next_to(html, "key") and taken in error_next_to(html, "key")
    assert 'value="Massage"' in html and "It spreads the swelling." in html
    assert draft_document(app) == before


# ---------------------------------------------------------------- a new module, published


def test_a_new_module_is_created_edited_published_and_listed_for_students(
    app, instructor_client, student_client, starter
):
    data = {
        "slug": "meso-hair-loss",
        "title": "Mesotherapy for hair loss",
        "procedure": "mesotherapy",
        "summary": "A short case.",
        "pass_mark": "60",
        "case_title": "Thinning crown",
        "client": "Man, 35, crown",
    }
    response = instructor_client.post("/author/new-module", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/author/modules/meso-hair-loss/draft")
    doc = draft_document(app, "meso-hair-loss")
    assert doc["cases"][0]["key"] == "thinning-crown" and doc["settings"]["pass_mark"] == 60
    outline = instructor_client.get("/author/modules/meso-hair-loss/draft").get_data(as_text=True)
    assert "needs a topic" in outline and "needs a lesson section" in outline
    assert "meso-hair-loss" not in student_client.get("/").get_data(as_text=True)

    refused = instructor_client.post("/author/new-module", data=data | {"title": "Again"}).get_data(as_text=True)
    assert "already exists" in error_next_to(refused, "slug") and 'value="Again"' in refused

    item = doc["cases"][0]["stages"][0]["items"][0]
    form = form_of(item) | {"topic": "placement", "lesson": a_ref(app), "prompt": "Where do you inject?"}
    url = "/author/modules/meso-hair-loss/draft/cases/0/stages/0/items/0"
    assert instructor_client.post(url, data=form).status_code == 302
    response = instructor_client.post("/author/modules/meso-hair-loss/publish", follow_redirects=True)
    assert "Published version 1." in response.get_data(as_text=True)
    assert "Mesotherapy for hair loss" in student_client.get("/").get_data(as_text=True)
    assert module_doc(app, "meso-hair-loss").cases[0].stages[0].items[0].prompt == "Where do you inject?"


def test_a_new_module_with_bad_fields_shows_each_message_and_creates_nothing(app, instructor_client, starter):
    data = {"slug": "Bad Slug", "title": "", "procedure": "mesotherapy", "summary": "S", "pass_mark": "101"}
    html = instructor_client.post("/author/new-module", data=data | {"case_title": "", "client": "x"}).get_data(
        as_text=True
    )
    assert "Use lower-case letters" in error_next_to(html, "slug")
    assert error_next_to(html, "title") == "This cannot be empty."
    assert "100 or less" in error_next_to(html, "pass_mark")
    assert error_next_to(html, "case_title") == "This cannot be empty."
    assert 'value="Bad Slug"' in html
    with app.app_context():
        assert content.module_by_slug("bad-slug") is None
        assert db.session.query(ModuleDraft).count() == 0


# ---------------------------------------------------------------- sanitising


def test_clean_markdown_strips_tags_and_keeps_markdown():
    assert edit_feedback.clean_markdown("<script>alert(1)</script>Hi") == "Hi"
    assert edit_feedback.clean_markdown('<img src=x onerror="alert(1)">ok') == "ok"
    assert (
        edit_feedback.clean_markdown("> a quote\n\n**bold** & [x](https://a.org)")
        == "> a quote\n\n**bold** & [x](https://a.org)"
    )
    assert edit_feedback.clean_markdown("dose < 2 ml") == "dose &lt; 2 ml"
    once = edit_feedback.clean_markdown("a & b <i>c</i> &lt;script&gt;")
    assert "<" not in once and edit_feedback.clean_markdown(once) == once  # saving again changes nothing


def test_rendering_drops_javascript_links_and_escapes_what_is_left():
    html = str(render_markdown(edit_feedback.clean_markdown("[x](javascript:alert(1)) and [ok](https://a.org)")))
    assert "javascript:" not in html and 'href="https://a.org"' in html
    html = str(render_markdown(edit_feedback.clean_markdown("&lt;script&gt;alert(1)&lt;/script&gt;")))
    assert "<script" not in html


def test_xss_in_a_prompt_or_narrative_never_reaches_a_page_as_html(app, instructor_client, student_client, starter):
    start(instructor_client)
    item = draft_document(app)["cases"][0]["stages"][0]["items"][0]
    form = form_of(item) | {"prompt": XSS, "explanation": "[x](javascript:alert(3)) " + XSS}
    assert post_item(instructor_client, item["type"], form, i=0).status_code == 302
    stage = draft_document(app)["cases"][0]["stages"][0]
    response = instructor_client.post(f"{BASE}/cases/0/stages/0", data={"title": stage["title"], "narrative": XSS})
    assert response.status_code == 302
    saved = draft_document(app)["cases"][0]["stages"][0]
    for text in (saved["narrative"], saved["items"][0]["prompt"], saved["items"][0]["explanation"]):
        assert "<script" not in text and "<img" not in text and "onerror" not in text and "Look" in text
    response = instructor_client.post(f"/author/modules/{SLUG}/publish", follow_redirects=True)
    assert "Published version 2." in response.get_data(as_text=True)

    doc = module_doc(app, SLUG)
    attempt_id = start_attempt(student_client, SLUG)
    pages = [student_client.get(f"/attempts/{attempt_id}").get_data(as_text=True)]
    finish(student_client, doc, attempt_id)
    pages.append(student_client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True))
    preview = instructor_client.get(f"/author/modules/{SLUG}/preview?answers=1")
    if preview.status_code == 200:
        pages.append(preview.get_data(as_text=True))
    for html in pages:
        assert "Look" in html and "<script>alert" not in html and "onerror=" not in html and "javascript:" not in html


def test_editor_pages_have_no_inline_script_or_style(app, instructor_client, starter):
    start(instructor_client)
    pages = [BASE, f"{BASE}/settings", f"{BASE}/cases/new", f"{BASE}/cases/0", f"{BASE}/cases/0/stages/new"]
    pages += [f"{BASE}/cases/0/stages/0", "/author/new-module"]
    pages += [f"{BASE}/cases/0/stages/0/items/new?type={t}" for t in FORMS]
    for path in pages:
        response = instructor_client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "<script>" not in html and " style=" not in html and "onclick" not in html, path
        labels = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
        inputs = set(re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]* id="([^"]+)"', html))
        assert inputs <= labels, (path, inputs - labels)


def test_a_change_to_a_part_that_moved_meanwhile_is_refused(app, instructor_client, starter):
    start(instructor_client)
    items = draft_document(app)["cases"][0]["stages"][0]["items"]
    opened = items[0]
    html = instructor_client.get(f"{BASE}/cases/0/stages/0/items/0").get_data(as_text=True)
    assert f'name="expect" value="{opened["key"]}"' in html
    instructor_client.post(f"{BASE}/cases/0/stages/0/items/0/move", data={"direction": "down", "expect": opened["key"]})
    before = draft_document(app)
    data = form_of(opened) | {"prompt": "Stale edit", "expect": opened["key"]}
    html = post_item(instructor_client, opened["type"], data, i=0).get_data(as_text=True)
    assert "changed since you opened it" in html and "Stale edit" in html
    page = instructor_client.post(
        f"{BASE}/cases/0/stages/0/items/0/delete",
        data={"confirm": "yes", "expect": opened["key"]},
        follow_redirects=True,
    )
    assert "changed since you opened it" in page.get_data(as_text=True)
    assert draft_document(app) == before
