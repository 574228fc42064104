"""Certainty-based marking (CBM), as Moodle marks it (A. R. Gardner-Medwin's scheme).

With each answer the student says how sure they are: low, medium or high. A right answer
earns 1, 2 or 3 times its points; a wrong one 0, -2 or -6 times. Only being sure pays off
when the answer is likely right, so the marks reward knowing what you know: high certainty
pays when you are right more than 80% of the time, medium between 67% and 80%, low below
67%. An answer given without a certainty counts as low (Moodle's rule).

A partly right answer earns the right-answer multiple of its fraction; one that earns
nothing is wrong. Accuracy (the plain score) and the bonus are reported apart: the bonus is
a tenth of how far the average CBM mark lies above (or below) the best a student of that
accuracy could expect from a single certainty level (Moodle's calculation).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

TOLERANCE = 0.0000005
"""Moodle's: an answer earning this share of its points or less is a wrong answer."""


class Certainty(IntEnum):
    """How sure the student says they are of an answer."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        """The name people read."""
        return {1: "Low", 2: "Medium", 3: "High"}[self.value]

    @property
    def band(self) -> tuple[float, float]:
        """The share of right answers (0..1) at which this level pays best."""
        return BANDS[self]


RIGHT = {Certainty.LOW: 1, Certainty.MEDIUM: 2, Certainty.HIGH: 3}
WRONG = {Certainty.LOW: 0, Certainty.MEDIUM: -2, Certainty.HIGH: -6}
BANDS = {Certainty.LOW: (0.0, 2 / 3), Certainty.MEDIUM: (2 / 3, 0.8), Certainty.HIGH: (0.8, 1.0)}
BONUS_WEIGHT = 0.1  # Moodle's: found to make accuracy + bonus the most reliable measure


def certainty_of(value: int | None) -> Certainty:
    """The certainty stored as ``value``; none given counts as low."""
    return Certainty(value) if value in (1, 2, 3) else Certainty.LOW


def parse_certainty(values: list[str]) -> Certainty | None:
    """A posted certainty ("1", "2" or "3"); blank is None; anything else is a ValueError."""
    filled = [v.strip() for v in values if v and v.strip()]
    if not filled:
        return None
    if len(filled) > 1 or filled[0] not in ("1", "2", "3"):
        raise ValueError("Choose how sure you are: low, medium or high.")
    return Certainty(int(filled[0]))


def cbm_fraction(fraction: float, certainty: int | None) -> float:
    """The CBM mark of an answer that earned ``fraction`` (0..1) of its points, as a multiple of its points."""
    level = certainty_of(certainty)
    if fraction <= TOLERANCE:
        return float(WRONG[level])
    return RIGHT[level] * fraction


@dataclass(frozen=True)
class CbmSummary:
    """An attempt's marks with certainty: accuracy and bonus kept apart (all as shares, not percents)."""

    accuracy: float  # the plain score as a share of the points, 0..1
    average: float  # CBM marks per point, -6..3
    bonus: float  # BONUS_WEIGHT x (average - the best expected at this accuracy)

    @property
    def accuracy_and_bonus(self) -> float:
        """Accuracy plus the bonus (can pass 1 or fall below 0 only slightly)."""
        return self.accuracy + self.bonus


def expected_for_accuracy(accuracy: float) -> float:
    """The best average CBM mark a student right ``accuracy`` of the time gets from one certainty level."""
    return max(accuracy * RIGHT[c] + (1 - accuracy) * WRONG[c] for c in Certainty)


def summarise(marks: Iterable[tuple[float, float, int | None]]) -> CbmSummary:
    """Sum ``(fraction, points, certainty)`` per answer into accuracy, average CBM mark and bonus."""
    points = earned = cbm = 0.0
    for fraction, weight, certainty in marks:
        points += weight
        earned += fraction * weight
        cbm += cbm_fraction(fraction, certainty) * weight
    if not points:
        return CbmSummary(0.0, 0.0, 0.0)
    accuracy, average = earned / points, cbm / points
    return CbmSummary(
        accuracy=round(accuracy, 6),
        average=round(average, 6),
        bonus=round(BONUS_WEIGHT * (average - expected_for_accuracy(accuracy)), 6),
    )


@dataclass(frozen=True)
class CalibrationRow:
    """How often the answers given at one certainty level were right, against where that level pays."""

    level: Certainty
    answers: int
    right: float  # the sum of the answers' fractions (a right answer counts 1)

    @property
    def share(self) -> float | None:
        """The share right, 0..1 (None with no answers at this level)."""
        return self.right / self.answers if self.answers else None

    @property
    def band(self) -> tuple[float, float]:
        return self.level.band

    @property
    def verdict(self) -> str | None:
        """ "over" when right less often than this level needs, "under" when more often than the next
        level would pay for, "ok" inside the band; None with no answers."""
        share = self.share
        if share is None:
            return None
        low, high = self.band
        if share < low - 1e-9:
            return "over"
        if share > high + 1e-9:
            return "under"
        return "ok"


def calibration(answers: Iterable[tuple[float, int | None]]) -> list[CalibrationRow]:
    """One row per certainty level (low, medium, high) from ``(fraction, certainty)`` per answer."""
    counts = {c: 0 for c in Certainty}
    right = {c: 0.0 for c in Certainty}
    for fraction, certainty in answers:
        level = certainty_of(certainty)
        counts[level] += 1
        right[level] += fraction
    return [CalibrationRow(c, counts[c], round(right[c], 6)) for c in Certainty]


def overconfident(fraction: float, certainty: int | None) -> bool:
    """A confidently wrong answer: high certainty (or medium) and no credit. Review shows these first."""
    return fraction <= TOLERANCE and certainty_of(certainty) >= Certainty.MEDIUM
