"""Multiple response: pick every choice that applies (the choices and their page are in ``../choices``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import model_validator

from ..base import Mark, make_mark
from ..choices import ChoiceItem, choice_editor, gift_choice_fields, gift_choices
from ..editor import Editor

if TYPE_CHECKING:
    from ...formats.gift import GiftAnswers, GiftWriter


class MultipleResponse(ChoiceItem):
    """Pick every choice that applies.

    Partial credit: each correct choice picked earns 1/C of the points (C = number of
    correct choices) and each wrong choice picked takes away 1/W (W = number of wrong
    choices); the mark never goes below 0. So the key earns everything, picking every
    choice earns 0, and guessing has an expected mark near 0.
    """

    label = "Multiple response"
    answer_hint = "choose all that apply"
    input_type = "checkbox"
    editor: ClassVar[Editor] = choice_editor("Tick every correct choice.")
    gift_order = 21
    type: Literal["multiple"]

    @model_validator(mode="after")
    def _at_least_one_correct(self) -> MultipleResponse:
        if not self.correct_ids:
            raise ValueError("a multiple-response item needs at least one correct choice")
        return self

    def parse_answer(self, values: list[str]) -> list[str] | None:
        picked = sorted({v.strip() for v in values if v and v.strip()})
        for choice_id in picked:
            self.choice(choice_id)
        return picked or None

    def grade(self, answer: Any | None) -> Mark:
        picked = set(answer or [])
        correct = set(self.correct_ids)
        wrong = {c.id for c in self.choices} - correct
        fraction = len(picked & correct) / len(correct)
        if wrong:
            fraction -= len(picked & wrong) / len(wrong)
        return make_mark(fraction, self.points)

    def key_answer(self) -> list[str]:
        return sorted(self.correct_ids)

    def feedback_for(self, answer: Any | None) -> list[str]:
        return [c.feedback for c in self.choices if c.id in set(answer or []) and c.feedback]

    def describe(self, answer: Any | None) -> str:
        return "; ".join(self.describe_lines(answer))

    @classmethod
    def from_gift(cls, answers: GiftAnswers) -> dict[str, Any] | None:
        """``{~%50%a ~%50%b ~%-100%c}``: a choice question with weights and no ``=``.

        Every answer with a positive weight is correct. GIFT's weights are not kept: our
        partial-credit rule (1/C per correct pick, minus 1/W per wrong pick) replaces them. A
        weight must be a number from -100 to 100 (``%150%`` and ``%abc%`` are problems).
        """
        if "~" not in answers.mask or "=" in answers.mask:
            return None
        parsed = gift_choices(answers)
        right = [a for a in parsed if a.weight > 0]
        if not right:
            answers.bad("no correct answer: mark it with '=', or give the right answers a positive weight (~%50%)")
        return gift_choice_fields(answers, parsed, right)

    def to_gift(self, out: GiftWriter) -> str:
        """``~%50%right ~%-100%wrong``: weights on the right choices, penalties on the wrong ones (Moodle's way)."""
        self.gift_order_note(out)
        right = sum(1 for c in self.choices if c.correct)
        wrong = len(self.choices) - right
        out.note("Moodle marks with the weights written here, not with this platform's partial-credit rule")
        return " ".join(
            f"~%{out.number(100 / right) if c.correct else '-' + out.number(100 / wrong)}%"
            f"{out.escape(c.text)}{out.feedback(c.feedback)}"
            for c in self.choices
        )


ITEM = MultipleResponse
