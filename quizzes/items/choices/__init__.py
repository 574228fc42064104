"""What items answered by picking choices share: the choice, its editor rows, its take page
(``templates/take.html``), its GIFT answers and its item analysis.

Single best answer (``../single``) and multiple response (``../multiple``) build on this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ...i18n import N_, _
from ...stats import ResponseCount, counted_choice_frequencies
from ..base import Item, Text, find_part, part_texts, parts_with_texts, require_unique_ids, shuffled
from ..editor import Editor, Rows
from ..editor import Field as EditorField

if TYPE_CHECKING:
    from ...formats.gift import GiftAnswers, GiftWriter

ChoiceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]

# Validation messages (translated where raised; the editor places them by these).
WRONG_NEEDS_FEEDBACK = N_("choice '%(id)s' is wrong, so it needs feedback saying why")
CORRECT_AND_HARMFUL = N_("choice '%(id)s' is marked both correct and harmful")
CHOICE_IDS_REPEATED = N_("choice ids must be unique in an item; repeated: %(ids)s")
UNKNOWN_CHOICE = N_("That choice is not part of this question.")


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
            raise ValueError(_(WRONG_NEEDS_FEEDBACK, id=self.id))
        if self.correct and self.harmful:
            raise ValueError(_(CORRECT_AND_HARMFUL, id=self.id))
        return self


def choice_editor(help_text: str, correct_count: str) -> Editor:
    """The editor of a choice item.

    :param help_text: the choices' help (marked with ``N_``), which says how many to tick as correct.
    :param correct_count: the type's message (marked with ``N_``) when too few or too many are ticked.
    """
    return Editor(
        blocks=(
            Rows(
                "choices",
                N_("Choices"),
                N_("Choice"),
                help_text,
                fields=(
                    EditorField(name="correct", label=N_("Correct"), kind="check"),
                    EditorField(name="text", label=N_("Text")),
                    EditorField(name="feedback", label=N_("Feedback"), kind="markdown"),
                    EditorField(name="harmful", label=N_("Harmful"), kind="check"),
                ),
                ordered=True,
                limit=12,
            ),
            EditorField(
                name="shuffle",
                label=N_("Shuffle the choices when shown (untick to keep this order, e.g. 'none of these' last)"),
                kind="check",
                default=True,
            ),
        ),
        errors=(
            (correct_count, "choices"),
            (CHOICE_IDS_REPEATED, "choices"),
            (CORRECT_AND_HARMFUL, "choices"),
        ),
        row_errors=((WRONG_NEEDS_FEEDBACK, "feedback"),),
    )


class ChoiceItem(Item):
    """Shared behaviour of items with choices."""

    responses_heading: ClassVar[str] = N_("Choices picked")
    gift_order: ClassVar[int] = 20
    # The take page's input for a choice: one pick (radio) or several (checkbox).
    input_type: ClassVar[str] = "radio"

    choices: list[Choice] = Field(min_length=2, max_length=12)
    shuffle: bool = True  # False keeps the written order (e.g. 'none of these' last)

    @model_validator(mode="after")
    def _choice_ids_unique(self) -> ChoiceItem:
        require_unique_ids(self.choices, CHOICE_IDS_REPEATED)
        return self

    def texts(self) -> dict[str, str]:
        return {**super().texts(), **part_texts("choices", self.choices, ("text", "feedback"))}

    def with_texts(self, texts: Mapping[str, str]) -> ChoiceItem:
        copy = super().with_texts(texts)
        return copy.model_copy(
            update={"choices": parts_with_texts("choices", self.choices, ("text", "feedback"), texts)}
        )

    def choice(self, choice_id: str) -> Choice:
        """The choice with this id, or AnswerError."""
        return find_part(self.choices, choice_id, UNKNOWN_CHOICE)

    def picked(self, answer: Any | None) -> list[Choice]:
        """The chosen choices, in written order (an answer is one id or a list of ids)."""
        ids = set(answer) if isinstance(answer, list) else {answer}
        return [c for c in self.choices if c.id in ids]

    def describe_lines(self, answer: Any | None) -> list[str]:
        return [c.text for c in self.picked(answer)] or [_("No answer")]

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
        answers.bad(_("a choice question needs at least 2 answers"))
    return parsed


def gift_choice_fields(answers: GiftAnswers, parsed: list[GiftChoice], right: list[GiftChoice]) -> dict[str, Any]:
    """The ``choices`` of an item from GIFT answers (ids a, b, c... in written order), ``right`` marked correct."""
    return {
        "choices": [
            {"id": answers.choice_id(i), "text": a.text, "correct": a in right, "feedback": a.feedback}
            for i, a in enumerate(parsed)
        ]
    }
