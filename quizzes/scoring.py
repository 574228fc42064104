"""Score an attempt against the exact module version its student saw.

A pass needs the module's pass mark and, unless the module turns its safety gate off, no
safety miss: no answer the author marked harmful, and every safety-critical question fully
right. With certainty marking the CBM figures come alongside; the pass decision stays on
accuracy unless the module passes on accuracy plus the bonus.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .certainty import CbmSummary, summarise
from .content import Module
from .items import Mark


@dataclass(frozen=True)
class SafetyMiss:
    """A question the attempt got wrong in a way that would hurt a client."""

    key: str
    harmful: tuple[str, ...]  # the harmful answers picked, in words (may be empty)
    critical: bool  # a safety-critical question not fully right


@dataclass(frozen=True)
class AttemptScore:
    """Marks per item and the totals that decide pass or fail."""

    marks: dict[str, Mark]
    score: float
    max_score: float
    pass_mark: int
    safety_misses: list[SafetyMiss] = field(default_factory=list)
    safety_gate: bool = True
    cbm: CbmSummary | None = None
    pass_with_bonus: bool = False
    # With certainty marking: item key -> the certainty given (None: none, counted as low).
    certainties: dict[str, int | None] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        """Score as a percentage of the maximum, 0..100."""
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def passed_on_score(self) -> bool:
        """Whether the score reaches the pass mark (accuracy, or accuracy plus bonus if the module says so)."""
        percent = 100.0 * self.cbm.accuracy_and_bonus if self.pass_with_bonus and self.cbm else self.percent
        return percent + 1e-9 >= self.pass_mark

    @property
    def failed_on_safety(self) -> bool:
        """True when the safety gate stops this attempt passing."""
        return self.safety_gate and bool(self.safety_misses)

    @property
    def passed(self) -> bool:
        """Whether the attempt passes: the pass mark reached and no safety miss (with the gate on)."""
        return self.passed_on_score and not self.failed_on_safety


def score_attempt(
    module: Module, answers: Mapping[str, Any], certainties: Mapping[str, int | None] | None = None
) -> AttemptScore:
    """Grade every item of ``module``; an item with no answer earns 0.

    :param module: the module as the attempt showed it (one variant per slot, see ``Module.drawn``).
    :param answers: item key -> answer as stored (see each item type); keys that are not
        items of this module are ignored rather than trusted.
    :param certainties: item key -> certainty (1-3) given with the answer, for a module
        with certainty marking; a missing one counts as low.
    """
    items = list(module.items())
    marks = {item.key: item.grade(answers.get(item.key)) for item in items}
    misses = [
        SafetyMiss(
            key=item.key,
            harmful=tuple(item.harmful_picks(answers.get(item.key))),
            critical=item.safety_critical and not marks[item.key].is_full,
        )
        for item in items
        if item.safety_miss(answers.get(item.key), marks[item.key])
    ]
    settings = module.settings
    cbm, given = None, {}
    if settings.certainty_marking:
        given = {i.key: (certainties or {}).get(i.key) for i in items}
        cbm = summarise((marks[i.key].fraction, i.points, given[i.key]) for i in items)
    return AttemptScore(
        marks=marks,
        score=round(sum(m.awarded for m in marks.values()), 6),
        max_score=round(sum(m.points for m in marks.values()), 6),
        pass_mark=settings.pass_mark,
        safety_misses=misses,
        safety_gate=settings.safety_gate,
        cbm=cbm,
        pass_with_bonus=settings.pass_with_bonus,
        certainties=given,
    )
