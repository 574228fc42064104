"""The mastery heatmap: students × topics on a cohort's assigned modules, with the cohort's average.

It reads ``AttemptTopic`` (each submitted attempt's marks per topic) rather than the
answers: the page's students' totals in one query, and the cohort's average per topic as
an SQL aggregate over the per-student, per-topic sums.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from quizzes.items import Topic
from quizzes.mastery import TopicMastery, mastery_by_topic

from ...extensions import db
from ...models import Cohort, CohortModule, User
from ...models.summaries import AttemptTopic
from ..paging import Page, paginate
from .members import cohort_member_ids

HEATMAP_PAGE_SIZE = 100

# Heatmap bands: (key, label, lowest percent). Colour is never the only signal: cells print the number.
BANDS = (
    ("strong", "85% and above", 85.0),
    ("good", "70–84%", 70.0),
    ("fair", "50–69%", 50.0),
    ("weak", "Below 50%", 0.0),
)


def band(percent: float | None) -> str:
    """The heatmap band of a mastery percentage ("none" when there is nothing to show)."""
    if percent is None:
        return "none"
    percent += 1e-9  # 100 * 5.1 / 6 is 84.999...: it means 85, as in TopicMastery.level
    return next(key for key, _, lowest in BANDS if percent >= lowest)


@dataclass(frozen=True)
class HeatmapRow:
    """One student's mastery of each topic, in ``Topic`` order."""

    student_id: int
    name: str
    email: str
    mastery: list[TopicMastery]


@dataclass(frozen=True)
class Heatmap:
    """Students × topics on a cohort's assigned modules, with the cohort's average per topic."""

    cohort: Cohort
    topics: list[Topic]
    rows: Page
    average: list[float | None]
    counted: list[int]


def _topic_sums(member_ids: Select | list[int], module_ids: list[int]) -> Select:
    """(user_id, topic, awarded, points, items) per student and topic, over the students' submitted
    attempts at the modules (``AttemptTopic`` holds only submitted attempts)."""
    return (
        select(
            AttemptTopic.user_id,
            AttemptTopic.topic,
            func.sum(AttemptTopic.awarded).label("awarded"),
            func.sum(AttemptTopic.points).label("points"),
            func.sum(AttemptTopic.items).label("items"),
        )
        .where(AttemptTopic.user_id.in_(member_ids), AttemptTopic.module_id.in_(module_ids))
        .group_by(AttemptTopic.user_id, AttemptTopic.topic)
    )


def topic_totals(member_ids: list[int], module_ids: list[int]) -> dict[int, list[tuple[str, float, float, int]]]:
    """Per student: (topic, awarded, points, items) summed over submitted attempts at the modules. One query."""
    totals: dict[int, list[tuple[str, float, float, int]]] = {}
    for user_id, topic, awarded, points, items in db.session.execute(_topic_sums(member_ids, module_ids)):
        totals.setdefault(user_id, []).append((topic, float(awarded), float(points), int(items)))
    return totals


def topic_averages(member_ids: Select, module_ids: list[int]) -> tuple[list[float | None], list[int]]:
    """Per topic (in ``Topic`` order): the average of the students' percentages at the modules, over
    the students with points in it, and how many they are. One query, whatever the cohort's size."""
    sums = _topic_sums(member_ids, module_ids).subquery()
    rows = db.session.execute(
        select(sums.c.topic, func.avg(100.0 * sums.c.awarded / sums.c.points), func.count())
        .where(sums.c.points > 0)
        .group_by(sums.c.topic)
    )
    found = {topic: (float(average), int(counted)) for topic, average, counted in rows}
    figures = [found.get(topic.value, (None, 0)) for topic in Topic]
    return [average for average, _ in figures], [counted for _, counted in figures]


def cohort_heatmap(cohort: Cohort, q: str = "", number: int = 1) -> Heatmap:
    """One page of the heatmap, by name; the average row is over every (matching) student with data in a topic.

    Five queries: the assigned modules, the count, the page of students, their totals, the averages.
    """
    # The module ids as a list, not a subquery: with a search, PostgreSQL misjudges two IN-subqueries
    # together and walks the index once per student and module (about 400 ms at 10,000 students, not 100).
    module_ids = list(db.session.scalars(select(CohortModule.module_id).where(CohortModule.cohort_id == cohort.id)))
    member_ids = cohort_member_ids(cohort, q)
    members = select(User.id, User.name, User.email).where(User.id.in_(member_ids))
    page = paginate(members.order_by(User.name, User.id), number, HEATMAP_PAGE_SIZE)
    people = page.items
    totals = topic_totals([p.id for p in people], module_ids) if people else {}
    rows = [HeatmapRow(p.id, p.name, p.email, mastery_by_topic(totals.get(p.id, []))) for p in people]
    average, counted = topic_averages(member_ids, module_ids)
    return Heatmap(cohort, list(Topic), page.with_items(rows), average, counted)
