"""No answer leaks: the key reaches a student only when the module's policy allows (DESIGN invariant 3).

Every stage's explanations and per-choice / per-prompt / range feedback carry a marker
unique to the test and the stage. A student then opens every page, JSON response and
script they can reach; the marker of a stage must appear nowhere until the policy allows
it: after submitting (show_answers=after-submit), never (show_answers=never), or in tutor
mode as soon as that stage locks, and never before.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask.testing import FlaskClient

from quizzes.content import Module
from training.database import writing
from training.extensions import db
from training.models import ReviewCard
from training.services import drafts
from training.services.content import module_by_slug

from .conftest import module_doc, start_attempt
from .helpers import key_values, wrong_values
from .test_attempt_policy import publish_settings
from .test_taking import autosave, finish, post_stage

SLUG = "thread-lift-nerve-pain"
STATIC_JS = Path(__file__).resolve().parents[2] / "training" / "static" / "js"
# Fields that hold the key or say why an answer is right or wrong (the correct flag itself
# cannot carry a marker; the result page is where a student may learn it).
KEY_FIELDS = ("explanation", "feedback", "feedback_true", "feedback_false", "feedback_low", "feedback_high")


def marker(token: str, stage: int) -> str:
    """The marker of one stage (letters only around the number, so stage 1 never matches stage 10)."""
    return f"LEAK{token}STAGE{stage}END"


def _mark(node, text: str) -> None:
    """Append ``text`` to every key field of an item, its choices and its prompts (in place)."""
    if isinstance(node, dict):
        for name in KEY_FIELDS:
            if isinstance(node.get(name), str):
                node[name] = f"{node[name]} {text}".strip()
        for child in node.values():
            _mark(child, text)
    elif isinstance(node, list):
        for child in node:
            _mark(child, text)


def publish_marked(app, **settings) -> tuple[str, Module]:
    """Publish the starter module with every stage's key marked and these settings; (token, document)."""
    token = secrets.token_hex(6).upper()
    with app.app_context(), writing():
        draft = drafts.start_draft(module_by_slug(SLUG), None)
        data = draft.content.model_dump(mode="json")
        data["settings"].update(settings)
        index = 0
        for case in data["cases"]:
            for stage in case["stages"]:
                _mark(stage["items"], marker(token, index))
                index += 1
        drafts.save_draft(draft, Module.model_validate(data), None)
        assert drafts.publish_draft(draft, None) is not None
        db.session.commit()
    doc = module_doc(app, SLUG)
    assert len(doc.stages()) >= 2, "the leak tests need a module of two stages or more"
    assert marker(token, 0) in doc.stages()[0].stage.items[0].explanation
    return token, doc


def leaks(text: str, token: str) -> list[str]:
    """The stage markers found in ``text`` (HTML-escaping cannot hide them: they are letters and digits)."""
    return sorted(set(re.findall(f"LEAK{token}STAGE\\d+END", text)))


def body(response) -> str:
    text = response.get_data(as_text=True)
    response.close()
    return text


def student_pages(client: FlaskClient, attempt_id: int | None) -> dict[str, str]:
    """Every page and script a student reaches outside the result page, by URL."""
    urls = ["/", f"/modules/{SLUG}", "/dashboard", "/progress", "/review", "/certificates", "/lessons"]
    if attempt_id is not None:
        urls.append(f"/attempts/{attempt_id}")
    pages = {}
    for url in urls:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (url, response.status_code)
        pages[url] = body(response)
    for lesson in sorted(set(re.findall(r'href="(/lessons/[a-z0-9-]+)', "".join(pages.values())))):
        pages[lesson] = body(client.get(lesson))
    for card in sorted(set(re.findall(r'href="(/review/\d+)"', "".join(pages.values())))):
        pages[card] = body(client.get(card, follow_redirects=True))
    for script in sorted(STATIC_JS.glob("*.js")):
        response = client.get(f"/static/js/{script.name}")
        assert response.status_code == 200, script.name
        pages[script.name] = body(response)
    return pages


def assert_no_leak(pages: dict[str, str], token: str, allowed: set[int] = frozenset()) -> None:
    """No page holds the marker of a stage outside ``allowed``."""
    allowed_markers = {marker(token, stage) for stage in allowed}
    found = {url: [m for m in leaks(text, token) if m not in allowed_markers] for url, text in pages.items()}
    assert not {url: m for url, m in found.items() if m}, f"the key leaked before the policy allows: {found}"


def answer_every_stage_then_look(client, doc, token, attempt_id, values=key_values) -> None:
    """Answer each stage (autosave, then the form) and check every page before the stage locks."""
    stages = doc.stages()
    seq = 0
    for ref in stages:
        for item in ref.stage.items:
            seq += 1
            saved = autosave(client, attempt_id, ref.index, item.key, values(item), seq)
            assert saved.status_code == 200, saved.json
            assert_no_leak({f"autosave {item.key}": body(saved)}, token)
        # The plain form's "Save" (no JavaScript) and the page it leads back to.
        saved = post_stage(client, attempt_id, ref.index, {}, action="save", confirm=False)
        assert saved.status_code == 302
        assert_no_leak({"saved": body(client.get(saved.headers["Location"]))}, token)
        assert_no_leak(student_pages(client, attempt_id), token)
        last = ref.index == len(stages) - 1
        answers = {item.key: values(item) for item in ref.stage.items}
        moved = post_stage(client, attempt_id, ref.index, answers, action="submit" if last else "next")
        assert moved.status_code == 302, body(moved)
        if not last:
            assert_no_leak({"next": body(client.get(moved.headers["Location"]))}, token)


def test_after_submit_the_key_shows_on_the_result_and_never_before(app, student_client, starter):
    token, doc = publish_marked(app, show_answers="after-submit", feedback="after-submit")
    assert_no_leak(student_pages(student_client, None), token)
    attempt_id = start_attempt(student_client, SLUG)
    answer_every_stage_then_look(student_client, doc, token, attempt_id, values=wrong_values)
    result = body(student_client.get(f"/attempts/{attempt_id}/result"))
    assert set(leaks(result, token)) == {marker(token, ref.index) for ref in doc.stages()}


def test_never_keeps_the_key_off_every_result_and_out_of_review(app, student_client, starter):
    # A first attempt while the answers were shown leaves review cards of what was missed...
    token, doc = publish_marked(app, show_answers="after-submit")
    first = start_attempt(student_client, SLUG)
    finish(student_client, doc, first, values=wrong_values)
    with app.app_context():
        card_ids = list(db.session.scalars(db.select(ReviewCard.id)))
    assert card_ids, "a failed attempt leaves review cards"
    assert leaks(body(student_client.get(f"/attempts/{first}/result")), token)  # shown while the policy allowed
    # ...then the instructor holds the answers back: from now on no page shows the key.
    publish_settings(app, show_answers="never")
    second = start_attempt(student_client, SLUG)
    answer_every_stage_then_look(student_client, doc, token, second, values=wrong_values)
    pages = student_pages(student_client, None)
    for attempt_id in (first, second):
        result = student_client.get(f"/attempts/{attempt_id}/result")
        assert result.status_code == 200
        pages[f"result {attempt_id}"] = body(result)
    for card_id in card_ids:
        shown = student_client.get(f"/review/{card_id}", follow_redirects=True)
        posted = student_client.post(f"/review/{card_id}", data={"reviews": "0", "unsure": "y"}, follow_redirects=True)
        pages[f"review {card_id}"], pages[f"practise {card_id}"] = body(shown), body(posted)
    assert_no_leak(pages, token)


def test_tutor_mode_shows_a_stage_key_once_it_locks_and_no_later_stage_key(app, student_client, starter):
    token, doc = publish_marked(app, show_answers="after-submit", feedback="after-each-stage")
    stages = doc.stages()
    attempt_id = start_attempt(student_client, SLUG)
    seq = 0
    for ref in stages:
        locked = set(range(ref.index))  # the stages above this one have locked
        for item in ref.stage.items:
            seq += 1
            saved = autosave(student_client, attempt_id, ref.index, item.key, wrong_values(item), seq)
            assert saved.status_code == 200
            assert_no_leak({"autosave": body(saved)}, token, allowed=locked)
        pages = student_pages(student_client, attempt_id)
        assert_no_leak(pages, token, allowed=locked)
        assert set(leaks(pages[f"/attempts/{attempt_id}"], token)) == {marker(token, i) for i in locked}
        # Asking to move on with a blank stage re-renders the page to confirm: still before the lock.
        confirm = post_stage(student_client, attempt_id, ref.index, {}, action="next", confirm=False)
        assert_no_leak({"confirm": body(confirm)}, token, allowed=locked)
        last = ref.index == len(stages) - 1
        answers = {item.key: wrong_values(item) for item in ref.stage.items}
        moved = post_stage(student_client, attempt_id, ref.index, answers, action="submit" if last else "next")
        assert moved.status_code == 302
    result = body(student_client.get(f"/attempts/{attempt_id}/result"))
    assert set(leaks(result, token)) == {marker(token, ref.index) for ref in stages}


def test_tutor_mode_holds_every_stage_key_back_once_a_version_that_never_shows_answers_is_published(
    app, student_client, starter
):
    token, doc = publish_marked(app, show_answers="after-submit", feedback="after-each-stage")
    stages = doc.stages()
    attempt_id = start_attempt(student_client, SLUG)
    take_page = f"/attempts/{attempt_id}"
    moved = post_stage(student_client, attempt_id, 0, {i.key: wrong_values(i) for i in stages[0].stage.items}, "next")
    assert moved.status_code == 302
    assert set(leaks(body(student_client.get(take_page)), token)) == {marker(token, 0)}  # tutor mode as published
    # The instructor tightens the policy while the attempt is open (at the older, tutor-mode version).
    publish_settings(app, show_answers="never", feedback="after-submit")
    for ref in stages[1:]:
        pages = student_pages(student_client, attempt_id)
        assert_no_leak(pages, token)  # not even the stage that locked before the change
        assert "Locked" in pages[take_page] and "Your answer" in pages[take_page]  # marks and own answers stay
        last = ref.index == len(stages) - 1
        answers = {item.key: wrong_values(item) for item in ref.stage.items}
        moved = post_stage(student_client, attempt_id, ref.index, answers, action="submit" if last else "next")
        assert moved.status_code == 302
    assert_no_leak({"result": body(student_client.get(f"/attempts/{attempt_id}/result"))}, token)
