"""Single best answer: pick the one best choice (the choices and their page are in ``../choices``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import model_validator

from ..base import Mark, make_mark, single_value
from ..choices import ChoiceItem, choice_editor, gift_choice_fields, gift_choices
from ..editor import Editor

if TYPE_CHECKING:
    from ...formats.gift import GiftAnswers, GiftWriter


class SingleBestAnswer(ChoiceItem):
    """Pick the one best choice.

    Partial credit: none. The correct choice earns all the points; any other choice,
    or no choice, earns 0.
    """

    label = "Single best answer"
    editor: ClassVar[Editor] = choice_editor("Tick exactly one correct choice.")
    type: Literal["single"]

    @model_validator(mode="after")
    def _exactly_one_correct(self) -> SingleBestAnswer:
        if len(self.correct_ids) != 1:
            raise ValueError(
                f"a single-best-answer item needs exactly one correct choice, found {len(self.correct_ids)}"
            )
        return self

    def parse_answer(self, values: list[str]) -> str | None:
        value = single_value(values)
        if value is not None:
            self.choice(value)
        return value

    def grade(self, answer: Any | None) -> Mark:
        return make_mark(1.0 if answer in self.correct_ids else 0.0, self.points)

    def key_answer(self) -> str:
        return self.correct_ids[0]

    def feedback_for(self, answer: Any | None) -> list[str]:
        if answer is None:
            return []
        fb = self.choice(answer).feedback
        return [fb] if fb else []

    def describe(self, answer: Any | None) -> str:
        return "No answer" if answer is None else self.choice(answer).text

    @classmethod
    def placeholder(cls, key: str) -> dict[str, Any]:
        return {
            "key": key,
            "type": cls.type_name(),
            "prompt": "Write the question here.",
            "explanation": "Explain the right answer here.",
            "choices": [
                {"id": "a", "text": "The right answer", "correct": True, "feedback": ""},
                {"id": "b", "text": "A wrong answer", "correct": False, "feedback": "Say why this answer is wrong."},
            ],
        }

    @classmethod
    def from_gift(cls, answers: GiftAnswers) -> dict[str, Any] | None:
        """``{=right ~wrong ~wrong}``: a choice question with a ``=`` answer.

        Text after ``#`` in an answer is that choice's feedback. Weights follow Moodle (one
        answer is picked): exactly one answer must be right (``=`` or ``%100%``); partial
        weights (``~%50%``) and penalties (``~%-50%``) count as plain wrong choices, and a
        note says so.
        """
        if "~" not in answers.mask or "=" not in answers.mask:
            return None
        parsed = gift_choices(answers)
        right = [a for a in parsed if a.weight == 100]
        if not right:
            answers.bad("no correct answer: mark it with '='")
        if len(right) > 1:
            answers.bad(
                "more than one right answer ('=' or %100%) in a one-answer question; for a question "
                "with several right answers give them positive weights (~%50%) and use no '='"
            )
        lost = [f"'{answers.short(a.text)}' ({answers.fmt(a.weight)}%)" for a in parsed if a.weight not in (0, 100)]
        if lost:
            answers.note(
                "imported as single best answer: " + ", ".join(lost) + " count as wrong choices "
                "(partial credit and penalties are not kept)"
            )
        return gift_choice_fields(answers, parsed, right)

    def to_gift(self, out: GiftWriter) -> str:
        """``=right ~wrong#feedback``: the answer block of a single best answer."""
        self.gift_order_note(out)
        return " ".join(
            f"{'=' if c.correct else '~'}{out.escape(c.text)}{out.feedback(c.feedback)}" for c in self.choices
        )

    @classmethod
    def from_aiken(cls, options: Sequence[str], correct: int) -> dict[str, Any] | None:
        """An Aiken question is a single best answer: choice ids a, b, c... in written order."""
        return {
            "choices": [
                {"id": chr(ord("a") + i), "text": text, "correct": i == correct, "feedback": ""}
                for i, text in enumerate(options)
            ]
        }


ITEM = SingleBestAnswer
