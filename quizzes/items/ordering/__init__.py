"""Ordering items: put the steps in the right order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from ..arrange import Part, PartId, pairs, recode_pairs
from ..base import AnswerError, Item, Mark, find_part, make_mark, require_unique_ids, shuffled
from ..editor import Editor, Rows
from ..editor import Field as EditorField


class Step(Part):
    """One step of a sequence."""


class Ordering(Item):
    """Put the steps in the right order (they are shown shuffled).

    Partial credit: each adjacent pair placed in the right sequence earns 1/(n-1) of the
    points, where n is the number of steps ("relative to the next step", as Moodle's
    ordering question does). The whole sequence right earns everything; the sequence
    reversed earns 0; moving one step out of place loses only the pairs it breaks.
    Positions left empty break the pairs they sit in.
    """

    label = "Ordering"
    editor: ClassVar[Editor] = Editor(
        blocks=(
            Rows(
                "steps",
                "Steps",
                "Step",
                "Give at least three steps; the order numbers set the correct sequence (students see them "
                "shuffled). A row with no text is left out.",
                fields=(EditorField("text", "Text"),),
                ids="s",
                ordered=True,
                limit=10,
                shown=5,
            ),
            Rows(
                "harmful_if_before",
                "Harmful orders",
                "Harmful order",
                "A pair of steps whose wrong order would hurt a client: a student who puts the first before the "
                "second fails the attempt on safety (so the second must come first in the correct sequence). "
                "The lists show the step ids as the page was opened: after changing an id, save and pick again. "
                "Leave blank for none.",
                fields=(
                    EditorField("first", "Putting step", "pick", pick_from="steps", placeholder="Choose a step"),
                    EditorField("then", "before step", "pick", pick_from="steps", placeholder="Choose a step"),
                ),
                ids=None,
                limit=10,
                shown=1,
                pairs=True,
            ),
        ),
        errors=(("step ids", "steps"), ("harmful order", "harmful_if_before")),
    )
    type: Literal["ordering"]
    steps: list[Step] = Field(min_length=3, max_length=10, description="in the correct order")
    # [a, b]: putting step a before step b would hurt a client (b must come first in the key).
    harmful_if_before: list[tuple[PartId, PartId]] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _step_ids_unique(self) -> Ordering:
        require_unique_ids(self.steps, "step")
        place = {s.id: n for n, s in enumerate(self.steps)}
        for first, then in self.harmful_if_before:
            if first not in place or then not in place:
                raise ValueError(f"harmful order '{first}' before '{then}' names a step that is not in this item")
            if place[first] < place[then]:
                raise ValueError(f"harmful order '{first}' before '{then}' is the correct order")
        return self

    def harmful_picks(self, answer: Any | None) -> list[str]:
        if not answer:
            return []
        at = {step: n for n, step in enumerate(answer) if step is not None}
        return [
            self._harmful_words(first, then)
            for first, then in self.harmful_if_before
            if first in at and then in at and at[first] < at[then]
        ]

    def harmful_parts(self) -> list[str]:
        return [self._harmful_words(first, then) for first, then in self.harmful_if_before]

    def _harmful_words(self, first: str, then: str) -> str:
        return f"“{self._step(first).text}” before “{self._step(then).text}”"

    def _step(self, step_id: str) -> Step:
        return find_part(self.steps, step_id, "step")

    def parse_answer(self, values: list[str]) -> list[str | None] | None:
        order: list[str | None] = [None] * len(self.steps)
        for slot, step_id in pairs(values):
            if not slot.isdigit() or not 1 <= int(slot) <= len(self.steps):
                raise AnswerError("That position is not part of this question.")
            self._step(step_id)
            if order[int(slot) - 1] is not None:
                raise AnswerError("Give each position one step.")
            order[int(slot) - 1] = step_id
        placed = [s for s in order if s is not None]
        if len(placed) != len(set(placed)):
            raise AnswerError("Use each step once.")
        return order if placed else None

    def grade(self, answer: Any | None) -> Mark:
        if not answer:
            return make_mark(0.0, self.points)
        follows = {a.id: b.id for a, b in zip(self.steps, self.steps[1:], strict=False)}
        right = sum(1 for a, b in zip(answer, answer[1:], strict=False) if b is not None and follows.get(a) == b)
        return make_mark(right / (len(self.steps) - 1), self.points)

    def key_answer(self) -> list[str]:
        return [s.id for s in self.steps]

    def describe_lines(self, answer: Any | None) -> list[str]:
        if not answer:
            return ["No answer"]
        return [f"{n}. {self._step(s).text if s else '(empty)'}" for n, s in enumerate(answer, 1)]

    def describe(self, answer: Any | None) -> str:
        return "; ".join(self.describe_lines(answer))

    def form_values(self, answer: Any | None) -> list[str]:
        return [f"{n}={s}" for n, s in enumerate(answer or [], 1) if s]

    def coded_parts(self) -> dict[str, list[str]]:
        return {"part": [s.id for s in self.steps]}

    def recode_values(self, values: list[str], code: Callable[[str, str], str]) -> list[str]:
        # Positions are shown as numbers anyway; only the step ids are coded.
        return recode_pairs(values, lambda slot: slot, lambda step: code("part", step))

    def shown_parts(self, seed: int) -> list[Step]:
        """The steps, always shuffled (their written order is the answer), and never in that order."""
        parts = shuffled(self.steps, seed, self.key)
        if [p.id for p in parts] == self.key_answer():
            parts.reverse()  # never show the answer as the starting order
        return parts


ITEM = Ordering
