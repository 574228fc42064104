"""Numeric items: a number inside an accepted range, with its units shown."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from ..base import Item, Mark, make_mark, parse_number, single_value
from ..editor import Editor, Group
from ..editor import Field as EditorField

if TYPE_CHECKING:
    from ...formats.gift import GiftAnswers, GiftWriter


_HARMFUL_WORDS = re.compile(r"^(below|above)\s+([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\b", re.IGNORECASE)


class Numeric(Item):
    """Type a number; any value from ``min`` to ``max`` (inclusive) is right.

    Partial credit: none. A value inside the range earns all the points; outside it, or
    blank, earns 0. The units are shown beside the input, so the student never guesses
    them.
    """

    label = "Numeric"
    editor: ClassVar[Editor] = Editor(
        blocks=(
            Group(
                (
                    EditorField("min", "Lowest accepted value", "number"),
                    EditorField("max", "Highest accepted value", "number"),
                    EditorField("units", "Units", description="Shown beside the answer box, e.g. ml."),
                )
            ),
            EditorField("feedback_low", "Feedback when too low", "markdown"),
            EditorField("feedback_high", "Feedback when too high", "markdown"),
            Group(
                (
                    EditorField(
                        "harmful_below",
                        "Harmful below",
                        "number",
                        description="An answer under this value would hurt a client (leave blank for none).",
                    ),
                    EditorField(
                        "harmful_above",
                        "Harmful above",
                        "number",
                        description="An answer over this value would hurt a client (leave blank for none).",
                    ),
                )
            ),
        ),
        errors=(("range is reversed", "min"), ("harmful below", "harmful_below"), ("harmful above", "harmful_above")),
    )
    gift_order = 10
    type: Literal["numeric"]
    min: float = Field(allow_inf_nan=False)
    max: float = Field(allow_inf_nan=False)
    units: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    feedback_low: str = ""
    feedback_high: str = ""
    # Answers below ``harmful_below`` or above ``harmful_above`` would hurt a client.
    harmful_below: float | None = Field(default=None, allow_inf_nan=False)
    harmful_above: float | None = Field(default=None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _range_in_order(self) -> Numeric:
        if self.min > self.max:
            raise ValueError(f"the range is reversed: min {self.min:g} is above max {self.max:g}")
        if self.harmful_below is not None and self.harmful_below > self.min:
            raise ValueError(
                f"harmful below {self.harmful_below:g} would mark right answers (from {self.min:g}) harmful"
            )
        if self.harmful_above is not None and self.harmful_above < self.max:
            raise ValueError(f"harmful above {self.harmful_above:g} would mark right answers (to {self.max:g}) harmful")
        return self

    def harmful_picks(self, answer: Any | None) -> list[str]:
        if not isinstance(answer, int | float) or isinstance(answer, bool):
            return []
        low = self.harmful_below is not None and answer < self.harmful_below
        high = self.harmful_above is not None and answer > self.harmful_above
        return [self.describe(answer)] if low or high else []

    def harmful_parts(self) -> list[str]:
        out = []
        if self.harmful_below is not None:
            out.append(f"below {self.harmful_below:g} {self.units}")
        if self.harmful_above is not None:
            out.append(f"above {self.harmful_above:g} {self.units}")
        return out

    def parse_answer(self, values: list[str]) -> float | None:
        value = single_value(values)
        return None if value is None else parse_number(value)

    def grade(self, answer: Any | None) -> Mark:
        ok = (
            isinstance(answer, int | float)
            and not isinstance(answer, bool)
            and math.isfinite(answer)
            and self.min <= answer <= self.max
        )
        return make_mark(1.0 if ok else 0.0, self.points)

    def key_answer(self) -> float:
        mid = (self.min + self.max) / 2
        if not math.isfinite(mid):  # the sum overflowed (bounds near the float limit)
            mid = self.min / 2 + self.max / 2
        return min(self.max, max(self.min, mid))

    def feedback_for(self, answer: Any | None) -> list[str]:
        if answer is None:
            return []
        if answer < self.min and self.feedback_low:
            return [self.feedback_low]
        if answer > self.max and self.feedback_high:
            return [self.feedback_high]
        return []

    def describe(self, answer: Any | None) -> str:
        return "No answer" if answer is None else f"{answer:g} {self.units}"

    @property
    def accepted(self) -> str:
        """The accepted range in words."""
        if self.min == self.max:
            return f"{self.min:g} {self.units}"
        return f"{self.min:g} to {self.max:g} {self.units}"

    def correct_lines(self) -> list[str]:
        """The accepted range, not one number inside it."""
        return [self.accepted]

    @classmethod
    def from_gift(cls, answers: GiftAnswers) -> dict[str, Any] | None:
        """``{#5:0.5}`` ``{#3..7}`` ``{#=5:0 =%50%5:2 ~#feedback}``: ``min`` and ``max``.

        Of several answers the 100% ones are kept (they must overlap, as one range);
        partial-credit answers are dropped with a note. The right answer's feedback is added
        to the explanation; the ``~#...`` feedback for any other number becomes
        ``feedback_low`` and ``feedback_high``. GIFT has no units, so ``units`` is the
        parser's ``default_units``.
        """
        if not answers.mask.startswith("#"):
            return None
        inner = answers.span.cut(1)
        other_feedback = ""
        tilde = inner.find("~")
        if tilde >= 0:
            rest = inner.cut(tilde + 1)
            at = rest.find("#")
            other_feedback = answers.clean(rest.cut(at + 1) if at >= 0 else rest)
            inner = inner.cut(0, tilde)
        equals = inner.positions("=")
        head = inner.cut(0, equals[0]) if equals else inner
        pieces = [(head, head.first_line)] if head.text.strip() else []
        pieces += [
            (inner.cut(p + 1, equals[k + 1] if k + 1 < len(equals) else None), inner.line_at(p))
            for k, p in enumerate(equals)
        ]
        if not pieces:
            answers.bad("a numeric question needs a number, e.g. {#5:0.5} or {#3..7}")
        given = []
        for seg, at in pieces:
            weight, rest = answers.weight(seg, at)
            value, feedback = answers.text_and_feedback(rest)
            low, high = answers.range(value, at)
            given.append((100.0 if weight is None else weight, low, high, feedback))
        right = sorted((a for a in given if a[0] == 100), key=lambda a: (a[1], a[2]))
        if not right:
            answers.bad("no correct answer: no answer is worth 100%")
        low, high = right[0][1], right[0][2]
        for _, lo, hi, _ in right[1:]:
            if lo > high:
                answers.bad(
                    f"two separate right answers ({answers.fmt(low)}..{answers.fmt(high)} and "
                    f"{answers.fmt(lo)}..{answers.fmt(hi)}): a numeric item accepts one range"
                )
            high = max(high, hi)
        if len(right) < len(given):
            answers.note("answers worth less than 100% were dropped (numeric items give no partial credit)")
        said = [answers.general] if answers.general else []
        for _, _, _, feedback in right:
            if feedback and feedback not in said:
                said.append(feedback)
        return {
            "explanation": "\n\n".join(said) or answers.default_explanation,
            "min": low,
            "max": high,
            "units": answers.default_units,
            "feedback_low": other_feedback,
            "feedback_high": other_feedback,
        }

    @classmethod
    def harmful_from_gift(cls, data: dict[str, Any], words: str) -> bool:
        """``// harmful: below 2`` or ``above 5`` (units may follow): the harmful range's bound."""
        found = _HARMFUL_WORDS.match(words)
        if not found:
            return False
        data["harmful_below" if found.group(1).lower() == "below" else "harmful_above"] = float(found.group(2))
        return True

    def to_gift(self, out: GiftWriter) -> str:
        """``#min..max ~#feedback for any other number`` (GIFT has one such feedback, and no units)."""
        value = out.number(self.min) if self.min == self.max else f"{out.number(self.min)}..{out.number(self.max)}"
        other = self.feedback_low or self.feedback_high
        if self.feedback_low and self.feedback_high and self.feedback_low != self.feedback_high:
            out.note("GIFT has one feedback for a wrong number: the one for too low an answer is written")
        return f"#{value}" + (f" ~{out.feedback(other)}" if other else "")


ITEM = Numeric
