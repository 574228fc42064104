"""Questions imported from other quiz formats (GIFT, Aiken), as neutral plain data.

A parser returns an :class:`ImportResult`: the questions it could map to our item types,
and a :class:`~quizzes.formats.packs.Problem` (file, line, reason) for every question it
could not. Parsers never raise on malformed input; the caller decides whether any problem
rejects the whole file (all or nothing) or the good questions are kept (skip invalid).

An imported question lacks what the source format cannot say: its ``key``, ``topic`` and
``lesson``. :func:`to_item` adds them (and fills feedback the source left out), giving
data that validates with ``ITEM_TYPES[data["type"]]``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..items import ITEM_TYPES
from .packs import Problem, key_path

DEFAULT_EXPLANATION = "No explanation came with this question: see the linked lesson."
MISSING_FEEDBACK = "This is not the right answer: see the explanation."

# Stand-ins used only to check that a parsed question will validate once the caller adds its own.
_PLACEHOLDER = {"key": "imported", "topic": "anatomy", "lesson": "imported#question"}


@dataclass
class ImportedQuestion:
    """One question mapped to our schema, still without ``key``, ``topic`` and ``lesson``.

    ``data`` is a valid item of our schema except for those three fields and for the
    feedback of wrong choices, which may be empty (the source format does not require it,
    ours does): :func:`to_item` completes both.
    """

    line: int
    """1-based line where the question starts in the source file."""
    title: str | None
    """The question's name in the source (GIFT ``::title::``), if it had one."""
    category: str | None
    """The source's category path in force (GIFT ``$CATEGORY:``), if any."""
    data: dict[str, Any]
    key: str | None = None
    """The key the source asked for (GIFT ``// key:``), used when the module has no item with it."""


@dataclass
class ImportResult:
    """What a parser made of a file."""

    questions: list[ImportedQuestion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    """One (rarely more) per question that was malformed or cannot be mapped: not imported."""
    notes: list[Problem] = field(default_factory=list)
    """Not errors: what was skipped on purpose (descriptions) or lost in mapping (partial credit)."""

    @property
    def ok(self) -> bool:
        """True when every question of the file was imported."""
        return not self.problems


def to_item(
    q: ImportedQuestion,
    key: str,
    topic: Any,
    lesson: str | None,
    missing_feedback: str = MISSING_FEEDBACK,
    missing_explanation: str = DEFAULT_EXPLANATION,
) -> dict[str, Any]:
    """The question as item data of our schema, ready for ``ITEM_TYPES[type].model_validate``.

    Adds ``key``, ``topic`` and ``lesson``; gives an empty explanation ``missing_explanation``
    and lets the type fill what else it requires (a wrong choice without feedback gets
    ``missing_feedback``). ``q`` is not changed.
    """
    data = copy.deepcopy(q.data)
    data["key"] = key
    data["topic"] = getattr(topic, "value", topic)
    data["lesson"] = lesson
    if not str(data.get("explanation") or "").strip():
        data["explanation"] = missing_explanation
    item_type = ITEM_TYPES.get(data.get("type"))
    if item_type is not None:
        item_type.complete_import(data, missing_feedback)
    return data


def check(q: ImportedQuestion, filename: str) -> list[Problem]:
    """Problems that would stop ``q`` validating once completed (none for a well-mapped question)."""
    data = to_item(q, **_PLACEHOLDER)
    try:
        ITEM_TYPES[data["type"]].model_validate(data)
    except ValidationError as exc:
        return [
            Problem(
                filename,
                q.title or "",
                f"cannot be imported as a {data['type']} item: "
                + (f"{key_path(list(err['loc']))}: " if err["loc"] else "")
                + err["msg"].removeprefix("Value error, "),
                q.line,
            )
            for err in exc.errors()
        ]
    return []
