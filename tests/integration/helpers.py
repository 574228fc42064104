"""Helpers that turn engine answers into the form values a browser would post."""

from __future__ import annotations

from quizzes.items import Item


def key_values(item: Item) -> list[str]:
    """Form values of the item's full-mark answer."""
    return item.form_values(item.key_answer())


def wrong_values(item: Item) -> list[str]:
    """Form values of an answer that earns nothing."""
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
    return item.form_values(item.max + 1000)
