"""Helpers that turn engine answers into the form values a browser would post.

``key_values`` and ``wrong_values`` give authored values (choice ids such as ``a``); a page
never shows those, only its opaque tokens. ``page_values`` and ``page_answers`` map authored
values to the tokens the take page of one attempt offers (``card_values``: a review card's
page), with the app's own mapping, so a test posts what a student's browser would.
"""

from __future__ import annotations

from flask import Flask

from quizzes.items import Item
from training.extensions import db
from training.models import Attempt
from training.services import attempts


def key_values(item: Item) -> list[str]:
    """Form values of the item's full-mark answer (authored ids)."""
    return item.form_values(item.key_answer())


def wrong_values(item: Item) -> list[str]:
    """Form values of an answer that earns nothing (authored ids)."""
    if item.type == "single":
        return [next(c.id for c in item.choices if not c.correct)]
    if item.type == "multiple":
        return [c.id for c in item.choices]
    if item.type == "true-false":
        return item.form_values(not item.correct)
    if item.type == "ordering":
        return item.form_values(list(reversed(item.key_answer())))
    if item.type == "matching":
        wrong = {p.id: next(o.id for o in item.options if o.id != p.match) for p in item.prompts}
        return item.form_values(wrong)
    if item.type == "short-answer":
        return ["not one of the accepted answers"]
    return item.form_values(item.max + 1000)


def page_values(app: Flask, attempt_id: int, item: Item, values: list[str]) -> list[str]:
    """Authored ``values`` of ``item`` as attempt ``attempt_id``'s take page offers them."""
    with app.app_context():
        return attempts.attempt_tokens(attempt_id).encode(item, values)


def page_ref(app: Flask, attempt_id: int, key: str) -> str:
    """What attempt ``attempt_id``'s take page calls item ``key`` (its form field is ``item-<ref>``)."""
    with app.app_context():
        return attempts.attempt_tokens(attempt_id).item_ref(key)


def card_ref(app: Flask, card_id: int, key: str) -> str:
    """What the review page of card ``card_id`` calls item ``key``."""
    with app.app_context():
        return attempts.form_tokens(f"card:{card_id}").item_ref(key)


def card_values(app: Flask, card_id: int, item: Item, values: list[str]) -> list[str]:
    """Authored ``values`` of ``item`` as the review page of review card ``card_id`` offers them."""
    with app.app_context():
        return attempts.form_tokens(f"card:{card_id}").encode(item, values)


def page_answers(app: Flask, attempt_id: int, answers: dict[str, list[str]]) -> dict[str, list[str]]:
    """``{item key: authored values}`` as the attempt's page values, items looked up in its module version.

    An attempt or item key the database does not know (a test of a refused request) keeps its values as given.
    """
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is None:
            return dict(answers)
        items = attempt.version.content.item_map()
        tokens = attempts.attempt_tokens(attempt_id)
        return {key: tokens.encode(items[key], values) if key in items else values for key, values in answers.items()}
