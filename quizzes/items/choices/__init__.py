"""What items answered by picking choices share: the choice, its editor rows, its take page
(``templates/take.html``), its GIFT answers and its item analysis.

Single best answer (``../single``) and multiple response (``../multiple``) build on this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ...stats import ResponseCount, counted_choice_frequencies
from ..base import Item, Text, find_part, require_unique_ids, shuffled
from ..editor import Editor, Rows
from ..editor import Field as EditorField

if TYPE_CHECKING:
    from ...formats.gift import GiftAnswers, GiftWriter

ChoiceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class Choice(BaseModel):
    """One option. Every wrong choice carries feedback that says why it is wrong."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ChoiceId
    text: Text
    correct: bool = False
    feedback: str = ""
    # The action that would hurt a client: picking it fails the attempt (the safety gate).
    harmful: bool = False

    @model_validator(mode="after")
    def _wrong_choice_explains_itself(self) -> Choice:
        if not self.correct and not self.feedback.strip():
            raise ValueError(f"choice '{self.id}' is wrong, so it needs feedback saying why")
        if self.correct and self.harmful:
            raise ValueError(f"choice '{self.id}' is marked both correct and harmful")
        return self


def choice_editor(tick: str) -> Editor:
    """The editor of a choice item; ``tick`` says how many choices to tick as correct."""
    return Editor(
        blocks=(
            Rows(
                "choices",
                "Choices",
                "Choice",
                f"{tick} Every wrong choice needs feedback saying why. "
                "Change the order numbers to reorder; a row with no text is left out.",
                fields=(
                    EditorField("correct", "Correct", "check"),
                    EditorField("text", "Text"),
                    EditorField("feedback", "Feedback", "markdown"),
                    EditorField("harmful", "Harmful", "check"),
                ),
                ordered=True,
                limit=12,
            ),
            EditorField(
                "shuffle",
                "Shuffle the choices when shown (untick to keep this order, e.g. 'none of these' last)",
                "check",
                default=True,
            ),
        ),
        errors=(("correct choice", "choices"), ("choice ids", "choices"), ("correct and harmful", "choices")),
        row_errors=(("needs feedback", "feedback"),),
    )


class ChoiceItem(Item):
    """Shared behaviour of items with choices."""

    responses_heading: ClassVar[str] = "Choices picked"
    gift_order: ClassVar[int] = 20
    # The take page's input for a choice: one pick (radio) or several (checkbox).
    input_type: ClassVar[str] = "radio"

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

    def harmful_picks(self, answer: Any | None) -> list[str]:
        return [c.text for c in self.picked(answer) if c.harmful] if answer else []

    def harmful_parts(self) -> list[str]:
        return [c.text for c in self.choices if c.harmful]

    def recode_values(self, values: list[str], code: Callable[[str, str], str]) -> list[str]:
        return [code("part", v.strip()) if v and v.strip() else v for v in values]

    @property
    def correct_ids(self) -> list[str]:
        """Ids of the correct choices, in written order."""
        return [c.id for c in self.choices if c.correct]

    def shown_parts(self, seed: int) -> list[Choice]:
        """The choices, shuffled unless the author fixed their order."""
        return shuffled(self.choices, seed, self.key) if self.shuffle else list(self.choices)

    def result_feedback(self, answer: Any | None) -> list[tuple[str, bool]]:
        """Each picked choice's feedback, praising when that choice is right."""
        return [(c.feedback, c.correct) for c in self.picked(answer) if c.feedback] if answer else []

    def tally_responses(self, counted: Iterable[tuple[Any, int]]) -> list[ResponseCount]:
        """How often each choice was picked (every choice, in written order), then "no answer"."""
        by_id = {c.id: c for c in self.choices}
        out = []
        for frequency in counted_choice_frequencies(counted, choices=list(by_id)):
            choice = by_id.get(frequency.choice) if frequency.choice is not None else None
            fraction = None if choice is None else (1.0 if choice.correct else 0.0)
            out.append(ResponseCount(choice.text if choice else None, frequency.count, frequency.percent, fraction))
        return out

    @classmethod
    def harmful_from_gift(cls, data: dict[str, Any], words: str) -> bool:
        """``// harmful: <a wrong choice's text>`` marks that choice harmful; False when no wrong choice has it."""
        hits = [c for c in data.get("choices", []) if " ".join(c["text"].split()) == words and not c.get("correct")]
        for choice in hits:
            choice["harmful"] = True
        return bool(hits)

    def gift_order_note(self, out: GiftWriter) -> None:
        """GIFT has no 'keep the written order': say so when the author fixed it."""
        if not self.shuffle:
            out.note("the choices keep their written order here; Moodle shuffles them as its quiz says")

    @classmethod
    def complete_import(cls, data: dict[str, Any], missing_feedback: str) -> None:
        """Give every wrong choice without feedback ``missing_feedback`` (imports need not write it)."""
        for choice in data.get("choices", []):
            if not choice.get("correct") and not str(choice.get("feedback") or "").strip():
                choice["feedback"] = missing_feedback


@dataclass
class GiftChoice:
    """One answer of a GIFT choice question."""

    marker: str
    weight: float
    text: str
    feedback: str
    line: int


def gift_choices(answers: GiftAnswers) -> list[GiftChoice]:
    """The ``=`` and ``~`` answers of a GIFT choice question, with their weights and feedback."""
    default = {"=": 100.0, "~": 0.0}
    parsed = [
        GiftChoice(a.marker, default[a.marker] if a.weight is None else a.weight, a.text, a.feedback, a.line)
        for a in answers.answers("=~")
    ]
    if len(parsed) < 2:
        answers.bad("a choice question needs at least 2 answers")
    return parsed


def gift_choice_fields(answers: GiftAnswers, parsed: list[GiftChoice], right: list[GiftChoice]) -> dict[str, Any]:
    """The ``choices`` of an item from GIFT answers (ids a, b, c... in written order), ``right`` marked correct."""
    return {
        "choices": [
            {"id": answers.choice_id(i), "text": a.text, "correct": a in right, "feedback": a.feedback}
            for i, a in enumerate(parsed)
        ]
    }
