"""Ordering items: put the steps in the right order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from ..arrange import Part, pairs, recode_pairs
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
        ),
        errors=(("step ids", "steps"),),
    )
    type: Literal["ordering"]
    steps: list[Step] = Field(min_length=3, max_length=10, description="in the correct order")

    @model_validator(mode="after")
    def _step_ids_unique(self) -> Ordering:
        require_unique_ids(self.steps, "step")
        return self

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
