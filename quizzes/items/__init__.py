"""The item-type registry.

Each type has a home, a folder here holding everything about it: its document model and
grading, what a student is shown of it, its editor fields, its readers of other formats,
and its templates (see ``base.Item``). Types that share code build on a common base in a
folder of its own (``choices`` for single and multiple, ``arrange`` for ordering and
matching). Adding a type is its folder plus one line in ``HOMES``; documents, the take
page, results, review, preview, the editor, imports and item analysis pick it up from here.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .base import AnswerError, Item, Mark, Topic
from .choices import Choice
from .matching import Matching
from .multiple import MultipleResponse
from .numeric import Numeric
from .ordering import Ordering
from .single import SingleBestAnswer
from .true_false import TrueFalse

# One line per type: the folder of its home, whose ``ITEM`` is the type. Authors choose in
# this order, and a new stage starts with a placeholder question of the first.
HOMES = (
    "single",
    "multiple",
    "true_false",
    "numeric",
    "ordering",
    "matching",
    "short_answer",
)

ITEM_TYPES: dict[str, type[Item]] = {
    item_type.type_name(): item_type for item_type in (import_module(f"{__name__}.{home}").ITEM for home in HOMES)
}


def grade(item: Item, answer: Any | None) -> Mark:
    """Mark one answer to one item (the pure grading entry point)."""
    return item.grade(answer)


__all__ = [
    "HOMES",
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
