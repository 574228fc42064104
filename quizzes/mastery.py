"""Per-topic mastery from marks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .items import Topic


@dataclass(frozen=True)
class TopicMastery:
    """How much of a topic's available points a student earned."""

    topic: Topic
    awarded: float
    points: float
    items: int

    @property
    def percent(self) -> float | None:
        """Share earned, 0..100, or None when nothing in the topic was attempted."""
        return 100.0 * self.awarded / self.points if self.points else None

    @property
    def level(self) -> str:
        """A word for the percentage: what the chart and screen readers say."""
        p = self.percent
        if p is None:
            return "not started"
        p += 1e-9  # as in AttemptScore.passed: 100 * 5.1 / 6 is 84.999..., and means 85
        if p >= 85:
            return "strong"
        if p >= 60:
            return "developing"
        return "needs work"


def mastery_by_topic(rows: Iterable[tuple[str, float, float, int]]) -> list[TopicMastery]:
    """Fold (topic, awarded, points, items) sums into one entry per topic, every topic present.

    Rows for the same topic are added up; unknown topic names are ignored.
    """
    totals: dict[Topic, list[float]] = {t: [0.0, 0.0, 0] for t in Topic}
    for topic, awarded, points, items in rows:
        try:
            t = Topic(topic)
        except ValueError:
            continue
        totals[t][0] += awarded or 0.0
        totals[t][1] += points or 0.0
        totals[t][2] += items or 0
    return [TopicMastery(t, round(a, 6), round(p, 6), int(n)) for t, (a, p, n) in totals.items()]
