"""True/false items: decide whether a statement is true."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import model_validator

from ...i18n import N_, _
from ..base import AnswerError, Item, Mark, make_mark, single_value
from ..editor import Editor, Field

if TYPE_CHECKING:
    from ...formats.gift import GiftAnswers, GiftWriter

_TRUE, _FALSE = ("T", "TRUE"), ("F", "FALSE")
# A verdict in words: shown translated, written in English where it is data (GIFT's ``// harmful:``).
_VERDICTS = {True: N_("True"), False: N_("False")}
HARMFUL_IS_RIGHT = N_("the harmful verdict must be the wrong one")


class TrueFalse(Item):
    """Decide whether a statement is true.

    Partial credit: none. The right verdict earns all the points; the wrong one, or
    none, earns 0.
    """

    label = N_("True or false")
    editor: ClassVar[Editor] = Editor(
        blocks=(
            Field(
                name="correct",
                label=N_("The statement is"),
                kind="choice",
                options=((True, _VERDICTS[True]), (False, _VERDICTS[False])),
                default=True,
            ),
            Field(name="feedback_true", label=N_("Feedback for 'true'"), kind="markdown"),
            Field(name="feedback_false", label=N_("Feedback for 'false'"), kind="markdown"),
            Field(
                name="harmful_verdict",
                label=N_("The wrong verdict is harmful (it is the action that would hurt a client)"),
                kind="choice",
                options=(
                    (None, N_("No")),
                    (True, N_("Yes: 'true' is harmful")),
                    (False, N_("Yes: 'false' is harmful")),
                ),
                default=None,
            ),
        ),
        errors=((HARMFUL_IS_RIGHT, "harmful_verdict"),),
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
            raise ValueError(_(HARMFUL_IS_RIGHT))
        return self

    def texts(self) -> dict[str, str]:
        own = {name: getattr(self, name) for name in ("feedback_true", "feedback_false") if getattr(self, name)}
        return {**super().texts(), **own}

    def with_texts(self, texts: Mapping[str, str]) -> TrueFalse:
        copy = super().with_texts(texts)
        return copy.model_copy(update={n: texts[n] for n in ("feedback_true", "feedback_false") if n in texts})

    def harmful_picks(self, answer: Any | None) -> list[str]:
        return [self.describe(answer)] if answer is not None and answer is self.harmful_verdict else []

    def harmful_parts(self) -> list[str]:
        return [] if self.harmful_verdict is None else [self.describe(self.harmful_verdict)]

    def gift_harmful(self) -> list[str]:
        return [] if self.harmful_verdict is None else [_VERDICTS[self.harmful_verdict]]

    def parse_answer(self, values: list[str]) -> bool | None:
        value = single_value(values)
        if value is None:
            return None
        if value.lower() not in ("true", "false"):
            raise AnswerError(_("Answer true or false."))
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
        return _("No answer") if answer is None else _(_VERDICTS[bool(answer)])

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
