"""Numeric items: a number inside an accepted range, with its units shown."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from .base import Item, Mark, make_mark, parse_number, single_value


class Numeric(Item):
    """Type a number; any value from ``min`` to ``max`` (inclusive) is right.

    Partial credit: none. A value inside the range earns all the points; outside it, or
    blank, earns 0. The units are shown beside the input, so the student never guesses
    them.
    """

    label = "Numeric"
    type: Literal["numeric"]
    min: float = Field(allow_inf_nan=False)
    max: float = Field(allow_inf_nan=False)
    units: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    feedback_low: str = ""
    feedback_high: str = ""

    @model_validator(mode="after")
    def _range_in_order(self) -> Numeric:
        if self.min > self.max:
            raise ValueError(f"the range is reversed: min {self.min:g} is above max {self.max:g}")
        return self

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
