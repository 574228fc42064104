"""Ordering items: put the steps in the right order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from ...i18n import N_, _
from ..arrange import Part, PartId, pairs, recode_pairs
from ..base import (
    AnswerError,
    Item,
    Mark,
    find_part,
    make_mark,
    part_texts,
    parts_with_texts,
    require_unique_ids,
    shuffled,
)
from ..editor import Editor, Rows
from ..editor import Field as EditorField

STEP_IDS_REPEATED = N_("step ids must be unique in an item; repeated: %(ids)s")
HARMFUL_ORDER_UNKNOWN = N_("harmful order '%(first)s' before '%(then)s' names a step that is not in this item")
HARMFUL_ORDER_CORRECT = N_("harmful order '%(first)s' before '%(then)s' is the correct order")
UNKNOWN_STEP = N_("That step is not part of this question.")


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

    label = N_("Ordering")
    editor: ClassVar[Editor] = Editor(
        blocks=(
            Rows(
                "steps",
                N_("Steps"),
                N_("Step"),
                N_(
                    "Give at least three steps; the order numbers set the correct sequence (students see them "
                    "shuffled). A row with no text is left out."
                ),
                fields=(EditorField(name="text", label=N_("Text")),),
                ids="s",
                ordered=True,
                limit=10,
                shown=5,
            ),
            Rows(
                "harmful_if_before",
                N_("Harmful orders"),
                N_("Harmful order"),
                N_(
                    "A pair of steps whose wrong order would hurt a client: a student who puts the first before the "
                    "second fails the attempt on safety (so the second must come first in the correct sequence). "
                    "The lists show the step ids as the page was opened: after changing an id, save and pick again. "
                    "Leave blank for none."
                ),
                fields=(
                    EditorField(
                        name="first",
                        label=N_("Putting step"),
                        kind="pick",
                        pick_from="steps",
                        placeholder=N_("Choose a step"),
                    ),
                    EditorField(
                        name="then",
                        label=N_("before step"),
                        kind="pick",
                        pick_from="steps",
                        placeholder=N_("Choose a step"),
                    ),
                ),
                ids=None,
                limit=10,
                shown=1,
                pairs=True,
            ),
        ),
        errors=(
            (STEP_IDS_REPEATED, "steps"),
            (HARMFUL_ORDER_UNKNOWN, "harmful_if_before"),
            (HARMFUL_ORDER_CORRECT, "harmful_if_before"),
        ),
    )
    type: Literal["ordering"]
    steps: list[Step] = Field(min_length=3, max_length=10)  # in the correct order
    # [a, b]: putting step a before step b would hurt a client (b must come first in the key).
    harmful_if_before: list[tuple[PartId, PartId]] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _step_ids_unique(self) -> Ordering:
        require_unique_ids(self.steps, STEP_IDS_REPEATED)
        place = {s.id: n for n, s in enumerate(self.steps)}
        for first, then in self.harmful_if_before:
            if first not in place or then not in place:
                raise ValueError(_(HARMFUL_ORDER_UNKNOWN, first=first, then=then))
            if place[first] < place[then]:
                raise ValueError(_(HARMFUL_ORDER_CORRECT, first=first, then=then))
        return self

    def texts(self) -> dict[str, str]:
        return {**super().texts(), **part_texts("steps", self.steps, ("text",))}

    def with_texts(self, texts: Mapping[str, str]) -> Ordering:
        copy = super().with_texts(texts)
        return copy.model_copy(update={"steps": parts_with_texts("steps", self.steps, ("text",), texts)})

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
        return _("“%(first)s” before “%(then)s”", first=self._step(first).text, then=self._step(then).text)

    def _step(self, step_id: str) -> Step:
        return find_part(self.steps, step_id, UNKNOWN_STEP)

    def parse_answer(self, values: list[str]) -> list[str | None] | None:
        order: list[str | None] = [None] * len(self.steps)
        for slot, step_id in pairs(values):
            if not slot.isdigit() or not 1 <= int(slot) <= len(self.steps):
                raise AnswerError(_("That position is not part of this question."))
            self._step(step_id)
            if order[int(slot) - 1] is not None:
                raise AnswerError(_("Give each position one step."))
            order[int(slot) - 1] = step_id
        placed = [s for s in order if s is not None]
        if len(placed) != len(set(placed)):
            raise AnswerError(_("Use each step once."))
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
            return [_("No answer")]
        return [f"{n}. {self._step(s).text if s else _('(empty)')}" for n, s in enumerate(answer, 1)]

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
