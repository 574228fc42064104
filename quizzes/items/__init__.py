"""The item-type registry.

A new item type is one file here defining an ``Item`` subclass with a ``Literal`` type
name, plus one line in ``ITEM_TYPES``; documents, forms and grading pick it up from there.
"""

from __future__ import annotations

from typing import Any

from .arrange import Matching, Ordering
from .base import AnswerError, Item, Mark, Topic
from .choices import Choice, MultipleResponse, SingleBestAnswer
from .numeric import Numeric
from .true_false import TrueFalse

ITEM_TYPES: dict[str, type[Item]] = {
    "single": SingleBestAnswer,
    "multiple": MultipleResponse,
    "true-false": TrueFalse,
    "numeric": Numeric,
    "ordering": Ordering,
    "matching": Matching,
}


def grade(item: Item, answer: Any | None) -> Mark:
    """Mark one answer to one item (the pure grading entry point)."""
    return item.grade(answer)


__all__ = [
    "ITEM_TYPES",
    "AnswerError",
    "Choice",
    "Item",
    "Mark",
    "Matching",
    "MultipleResponse",
    "Numeric",
    "Ordering",
    "SingleBestAnswer",
    "Topic",
    "TrueFalse",
    "grade",
]
