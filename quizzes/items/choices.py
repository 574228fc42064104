"""Items answered by picking choices: single best answer and multiple response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .base import AnswerError, Item, Mark, Text, find_part, make_mark, require_unique_ids, single_value

ChoiceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class Choice(BaseModel):
    """One option. Every wrong choice carries feedback that says why it is wrong."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ChoiceId
    text: Text
    correct: bool = False
    feedback: str = ""

    @model_validator(mode="after")
    def _wrong_choice_explains_itself(self) -> Choice:
        if not self.correct and not self.feedback.strip():
            raise ValueError(f"choice '{self.id}' is wrong, so it needs feedback saying why")
        return self


class ChoiceItem(Item):
    """Shared behaviour of items with choices."""

    choices: list[Choice] = Field(min_length=2, max_length=12)
    shuffle: bool = Field(default=True, description="False keeps the written order (e.g. 'none of these' last).")

    @model_validator(mode="after")
    def _choice_ids_unique(self) -> ChoiceItem:
        require_unique_ids(self.choices, "choice")
        return self

    def choice(self, choice_id: str) -> Choice:
        """The choice with this id, or AnswerError."""
        return find_part(self.choices, choice_id, "choice")

    def picked(self, answer: Any | None) -> list[Choice]:
        """The chosen choices, in written order (an answer is one id or a list of ids)."""
        ids = set(answer) if isinstance(answer, list) else {answer}
        return [c for c in self.choices if c.id in ids]

    def describe_lines(self, answer: Any | None) -> list[str]:
        return [c.text for c in self.picked(answer)] or ["No answer"]

    def coded_parts(self) -> dict[str, list[str]]:
        return {"part": [c.id for c in self.choices]}

    def recode_values(self, values: list[str], code: Callable[[str, str], str]) -> list[str]:
        return [code("part", v.strip()) if v and v.strip() else v for v in values]

    @property
    def correct_ids(self) -> list[str]:
        """Ids of the correct choices, in written order."""
        return [c.id for c in self.choices if c.correct]


class SingleBestAnswer(ChoiceItem):
    """Pick the one best choice.

    Partial credit: none. The correct choice earns all the points; any other choice,
    or no choice, earns 0.
    """

    label = "Single best answer"
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


class MultipleResponse(ChoiceItem):
    """Pick every choice that applies.

    Partial credit: each correct choice picked earns 1/C of the points (C = number of
    correct choices) and each wrong choice picked takes away 1/W (W = number of wrong
    choices); the mark never goes below 0. So the key earns everything, picking every
    choice earns 0, and guessing has an expected mark near 0.
    """

    label = "Multiple response"
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


__all__ = ["Choice", "ChoiceItem", "MultipleResponse", "SingleBestAnswer", "AnswerError"]
