"""True/false items."""

from __future__ import annotations

from typing import Any, Literal

from .base import AnswerError, Item, Mark, make_mark, single_value


class TrueFalse(Item):
    """Decide whether a statement is true.

    Partial credit: none. The right verdict earns all the points; the wrong one, or
    none, earns 0.
    """

    label = "True or false"
    type: Literal["true-false"]
    correct: bool
    feedback_true: str = ""
    feedback_false: str = ""

    def parse_answer(self, values: list[str]) -> bool | None:
        value = single_value(values)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise AnswerError("Answer true or false.")
        return value.lower() == "true"

    def grade(self, answer: Any | None) -> Mark:
        return make_mark(1.0 if answer is self.correct else 0.0, self.points)

    def key_answer(self) -> bool:
        return self.correct

    def feedback_for(self, answer: Any | None) -> list[str]:
        if answer is None:
            return []
        text = self.feedback_true if answer else self.feedback_false
        return [text] if text else []

    def describe(self, answer: Any | None) -> str:
        return "No answer" if answer is None else ("True" if answer else "False")
