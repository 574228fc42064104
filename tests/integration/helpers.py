"""Helpers that turn engine answers into the form values a browser would post."""

from __future__ import annotations

from typing import Any

from quizzes.items import Item


def as_values(answer: Any) -> list[str]:
    """Form values that post ``answer`` (a choice id, ids, a bool or a number)."""
    if answer is None:
        return []
    if isinstance(answer, bool):
        return ["true" if answer else "false"]
    if isinstance(answer, list):
        return list(answer)
    if isinstance(answer, int | float):
        return [format(answer, "g")]
    return [str(answer)]


def key_values(item: Item) -> list[str]:
    """Form values of the item's full-mark answer."""
    return as_values(item.key_answer())


def wrong_values(item: Item) -> list[str]:
    """Form values of an answer that earns nothing."""
    if item.type == "single":
        return [next(c.id for c in item.choices if not c.correct)]
    if item.type == "multiple":
        return [c.id for c in item.choices]
    if item.type == "true-false":
        return as_values(not item.correct)
    return [format(item.max + 1000, "g")]
