"""Item analysis of a module version: one query for every submitted mark, the engine for the numbers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from quizzes.items.choices import ChoiceItem
from quizzes.stats import ChoiceFrequency, ModuleStats, analyse, choice_frequencies

from ..extensions import db
from ..models import Answer, Attempt, AttemptStatus, ModuleVersion


@dataclass(frozen=True)
class Analysis:
    """Statistics of a version, and how often each choice of each choice item was picked."""

    version: ModuleVersion
    stats: ModuleStats
    choices: dict[str, list[ChoiceFrequency]]


def analyse_version(version: ModuleVersion) -> Analysis:
    """Item analysis over every submitted attempt at ``version``.

    One query fetches (attempt, item, mark, response) for the version's submitted
    attempts, so the number of queries does not depend on the number of attempts.
    """
    rows = db.session.execute(
        select(Answer.attempt_id, Answer.item_key, Answer.awarded, Answer.response)
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(Attempt.version_id == version.id, Attempt.status == AttemptStatus.SUBMITTED)
    )
    document = version.content
    items = document.item_map()
    marks: dict[int, dict[str, float | None]] = defaultdict(dict)
    responses: dict[str, list] = defaultdict(list)
    for attempt_id, key, awarded, response in rows:
        if key in items:
            marks[attempt_id][key] = awarded
            responses[key].append(response)
    stats = analyse(marks.values(), {key: item.points for key, item in items.items()})
    choices = {
        key: choice_frequencies(responses[key], choices=[c.id for c in item.choices])
        for key, item in items.items()
        if isinstance(item, ChoiceItem)
    }
    return Analysis(version=version, stats=stats, choices=choices)
