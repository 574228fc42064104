"""What items answered by arranging share: ordering (``../ordering``, put steps in sequence)
and matching (``../matching``, pair prompts with options).

Both post "slot=choice" values (position=step for ordering, prompt=option for matching), so a
plain form of drop-down lists works without JavaScript and partial answers can be saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from ..base import AnswerError, Text

PartId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class Part(BaseModel):
    """A step, prompt or option: an id and its text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: PartId
    text: Text


def pairs(values: list[str]) -> list[tuple[str, str]]:
    """Split "slot=choice" values, skipping blanks; anything else is an AnswerError."""
    out = []
    for raw in values:
        raw = (raw or "").strip()
        if not raw:
            continue
        slot, sep, choice = raw.partition("=")
        if not sep:
            raise AnswerError("That answer is not in the expected form.")
        if choice.strip():
            out.append((slot.strip(), choice.strip()))
    return out


def recode_pairs(values: list[str], code_slot: Callable[[str], str], code_part: Callable[[str], str]) -> list[str]:
    """Recode "slot=choice" values; blanks and values not in that form stay as they are (parsing judges them)."""
    out = []
    for raw in values:
        slot, sep, part = (raw or "").partition("=")
        out.append(f"{code_slot(slot.strip())}={code_part(part.strip())}" if sep and part.strip() else raw)
    return out
