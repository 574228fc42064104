"""Score an attempt against the exact module version its student saw."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .content import Module
from .items import Mark


@dataclass(frozen=True)
class AttemptScore:
    """Marks per item and the totals that decide pass or fail."""

    marks: dict[str, Mark]
    score: float
    max_score: float
    pass_mark: int

    @property
    def percent(self) -> float:
        """Score as a percentage of the maximum, 0..100."""
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def passed(self) -> bool:
        """Whether the percentage reaches the module's pass mark."""
        return self.percent + 1e-9 >= self.pass_mark


def score_attempt(module: Module, answers: Mapping[str, Any]) -> AttemptScore:
    """Grade every item of ``module``; an item with no answer earns 0.

    :param answers: item key -> answer as stored (see each item type); keys that are not
        items of this module are ignored rather than trusted.
    """
    marks = {item.key: item.grade(answers.get(item.key)) for item in module.items()}
    return AttemptScore(
        marks=marks,
        score=round(sum(m.awarded for m in marks.values()), 6),
        max_score=round(sum(m.points for m in marks.values()), 6),
        pass_mark=module.settings.pass_mark,
    )
