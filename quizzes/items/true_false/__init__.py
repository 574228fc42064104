"""True/false items: decide whether a statement is true."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import model_validator

from ..base import AnswerError, Item, Mark, make_mark, single_value
from ..editor import Editor, Field

if TYPE_CHECKING:
    from ...formats.gift import GiftAnswers, GiftWriter

_TRUE, _FALSE = ("T", "TRUE"), ("F", "FALSE")


class TrueFalse(Item):
    """Decide whether a statement is true.

    Partial credit: none. The right verdict earns all the points; the wrong one, or
    none, earns 0.
    """

    label = "True or false"
    editor: ClassVar[Editor] = Editor(
        blocks=(
            Field("correct", "The statement is", "choice", options=((True, "True"), (False, "False")), default=True),
            Field("feedback_true", "Feedback for 'true'", "markdown"),
            Field("feedback_false", "Feedback for 'false'", "markdown"),
            Field(
                "harmful_verdict",
                "The wrong verdict is harmful (it is the action that would hurt a client)",
                "choice",
                options=((None, "No"), (True, "Yes: 'true' is harmful"), (False, "Yes: 'false' is harmful")),
                default=None,
            ),
        ),
        errors=(("harmful verdict", "harmful_verdict"),),
    )
    gift_order = 40
    type: Literal["true-false"]
    correct: bool
    feedback_true: str = ""
    feedback_false: str = ""
    # The verdict that would hurt a client (never the right one), or None.
    harmful_verdict: bool | None = None

    @model_validator(mode="after")
    def _harmful_is_wrong(self) -> TrueFalse:
        if self.harmful_verdict is not None and self.harmful_verdict == self.correct:
            raise ValueError("the harmful verdict must be the wrong one")
        return self

    def harmful_picks(self, answer: Any | None) -> list[str]:
        return [self.describe(answer)] if answer is not None and answer is self.harmful_verdict else []

    def harmful_parts(self) -> list[str]:
        return [] if self.harmful_verdict is None else [self.describe(self.harmful_verdict)]

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

    @classmethod
    def from_gift(cls, answers: GiftAnswers) -> dict[str, Any] | None:
        """``{T}`` ``{TRUE}`` ``{F}`` ``{FALSE}`` (any case), with ``#wrong#right`` feedback.

        As in GIFT, the first feedback is for a wrong verdict and the second for the right
        one; they go to ``feedback_true`` / ``feedback_false`` accordingly.
        """
        span = answers.span
        hash_at = span.find("#")
        verdict = (span.cut(0, hash_at) if hash_at >= 0 else span).text.strip().upper()
        if verdict not in _TRUE + _FALSE:
            return None
        correct = verdict in _TRUE
        hashes = span.positions("#")
        wrong = answers.clean(span.cut(hashes[0] + 1, hashes[1] if len(hashes) > 1 else None)) if hashes else ""
        right = answers.clean(span.cut(hashes[1] + 1)) if len(hashes) > 1 else ""
        return {
            "correct": correct,
            "feedback_true": right if correct else wrong,
            "feedback_false": wrong if correct else right,
        }

    @classmethod
    def harmful_from_gift(cls, data: dict[str, Any], words: str) -> bool:
        """``// harmful: True`` (or False): the wrong verdict that would hurt; False when it names the right one."""
        verdict = {"true": True, "t": True, "false": False, "f": False}.get(words.lower())
        if verdict is None or verdict == data.get("correct"):
            return False
        data["harmful_verdict"] = verdict
        return True

    def to_gift(self, out: GiftWriter) -> str:
        """``T#feedback for a wrong verdict#feedback for the right one`` (GIFT's order)."""
        right, wrong = (
            (self.feedback_true, self.feedback_false) if self.correct else (self.feedback_false, self.feedback_true)
        )
        said = f"#{out.escape(wrong)}#{out.escape(right)}" if right or wrong else ""
        return ("T" if self.correct else "F") + said


ITEM = TrueFalse
