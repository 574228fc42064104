"""Item analysis of a module version, cached per version as Moodle caches its quiz statistics.

Calculating takes about a second at 200,000 answers, so the last result is kept in
``version_analyses`` with the submitted attempts it counted. A cheap count tells whether
attempts have been submitted since. If so, a big version's result is recalculated only
once it is :data:`RECALCULATE_AFTER` old; until then the page shows the cached figures and
says how many attempts they miss (staff may press "Recalculate now").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from quizzes.items import Item
from quizzes.stats import (
    HarmfulCount,
    ItemStats,
    ModuleStats,
    Overconfidence,
    ResponseCount,
    analyse,
    harmful_counts,
    mark_harmful,
    overconfidence,
)

from ..database import writing
from ..extensions import db
from ..models import Answer, Attempt, AttemptStatus, ModuleVersion, VersionAnalysis
from ..models.types import utcnow

RECALCULATE_AFTER = timedelta(minutes=10)
"""A cached analysis that misses submitted attempts is recalculated once it is this old."""

ALWAYS_RECALCULATE_BELOW = 200
"""Versions with fewer submitted attempts are recalculated as soon as one is submitted:
that takes milliseconds, and their figures move most with every new attempt."""

RESULT_FORMAT = 3
"""Version of the stored ``result``; a cached result in another format is recalculated.
Bump it when the statistics' fields change (3: variants and slots, harmful answers, over-confidence)."""


@dataclass(frozen=True)
class SlotRow:
    """A question slot as the page lists it: its items (one, or its variants) and, with several
    variants, the slot's figures across them."""

    key: str
    items: list[Item]
    stats: ItemStats | None  # None for a slot of one item (its item's figures say it all)

    @property
    def safety_critical(self) -> bool:
        """True when the slot's questions are safety-critical (its variants share the flag)."""
        return self.items[0].safety_critical


@dataclass(frozen=True)
class Analysis:
    """Statistics of a version, and the answers given to each item whose type lists them
    (how often each choice was picked, the distinct texts typed...), how often each item with
    answers marked harmful was answered harmfully, and, with certainty marking, how often each
    item was answered wrongly with high or medium certainty."""

    version: ModuleVersion
    stats: ModuleStats
    responses: dict[str, list[ResponseCount]]
    harmful: dict[str, HarmfulCount] = field(default_factory=dict)
    confidence: dict[str, Overconfidence] = field(default_factory=dict)

    def slots(self) -> list[SlotRow]:
        """The version's slots as the page lists them: safety-critical ones first, else in written order."""
        items = self.version.content.item_map()
        rows = [
            SlotRow(slot, [items[key] for key in keys], self.stats.slots.get(slot) if len(keys) > 1 else None)
            for slot, keys in self.version.content.slots().items()
        ]
        return sorted(rows, key=lambda row: not row.safety_critical)


@dataclass(frozen=True)
class Submitted:
    """Which attempts at a version are submitted, as far as a cached analysis needs to know."""

    count: int
    last_id: int | None  # the highest id; None when there are none


@dataclass(frozen=True)
class Report:
    """An analysis as the page shows it: when it was calculated and how far behind it is."""

    analysis: Analysis
    computed_at: datetime
    attempts: int  # submitted attempts it counts
    submitted_since: int  # submitted attempts it does not count yet

    def minutes_old(self, now: datetime) -> int:
        """Whole minutes since it was calculated."""
        return max(0, int((now - self.computed_at).total_seconds() // 60))


def current_report(version: ModuleVersion, now: datetime | None = None) -> Report:
    """The analysis of ``version`` for the page: the cached one when it will do, else a new one.

    The cached one will do when it counts every submitted attempt, or when it is younger
    than :data:`RECALCULATE_AFTER` and only misses attempts submitted since (a big version).
    Like :func:`recalculate`, call it outside a write transaction.
    """
    now = now or utcnow()
    submitted = submitted_attempts(version)
    cached = db.session.get(VersionAnalysis, version.id)
    if cached is not None and cached.result.get("format") == RESULT_FORMAT:
        up_to_date = (cached.attempts, cached.last_attempt_id) == (submitted.count, submitted.last_id)
        # Only a big version's recent result may lag behind, and only behind new attempts:
        # with attempts removed (a student deleted) its figures would be wrong, not late.
        may_lag = (
            submitted.count > cached.attempts
            and submitted.count >= ALWAYS_RECALCULATE_BELOW
            and now - cached.computed_at < RECALCULATE_AFTER
        )
        if up_to_date or may_lag:
            return Report(
                analysis=_analysis_from_json(version, cached.result),
                computed_at=cached.computed_at,
                attempts=cached.attempts,
                submitted_since=submitted.count - cached.attempts,
            )
    return recalculate(version, submitted)


def recalculate(version: ModuleVersion, submitted: Submitted | None = None) -> Report:
    """Calculate the analysis of ``version`` now and keep it for the next visits.

    Call it outside a write transaction: the result is kept in a short transaction of its
    own (see :func:`_keep`), which on SQLite would otherwise wait for the caller's.
    """
    computed_at = utcnow()
    # Counted before the answers are read: on PostgreSQL an attempt submitted in between
    # makes the result include one attempt more than it says, never one fewer.
    submitted = submitted or submitted_attempts(version)
    result = analyse_version(version)
    _keep(version, submitted, computed_at, result)
    return Report(analysis=result, computed_at=computed_at, attempts=submitted.count, submitted_since=0)


def submitted_attempts(version: ModuleVersion) -> Submitted:
    """How many attempts at ``version`` are submitted, and the highest id among them: one query."""
    count, last_id = db.session.execute(
        select(func.count(Attempt.id), func.max(Attempt.id)).where(*_submitted_at(version))
    ).one()
    return Submitted(count=count, last_id=last_id)


def analyse_version(version: ModuleVersion) -> Analysis:
    """Item analysis over every submitted attempt at ``version``, calculated now (no cache).

    A few queries whatever the number of attempts: the marks as plain tuples (with the
    certainty given, under certainty marking), the responses to each item whose type lists them
    (``responses_heading``), and those to items with answers marked harmful, counted per
    student. The database counts equal responses, so each distinct response is decoded once.
    """
    content = version.content
    items = content.item_map()
    slots = {key: item.slot for key, item in items.items()}
    with_certainty = content.settings.certainty_marking
    submitted = _submitted_at(version)
    # Run on the session's connection, the rows skip the ORM's per-row processing.
    connection = db.session.connection()
    columns = [Answer.attempt_id, Answer.item_key, Answer.awarded]
    if with_certainty:
        columns += [Answer.points, Answer.certainty]
    rows = connection.execute(select(*columns).join(Attempt, Attempt.id == Answer.attempt_id).where(*submitted)).all()
    # Submitting writes a row for every item the attempt was shown, answered or not, and for no
    # other: so each attempt's keys name the variant it drew in every slot.
    marks: dict[int, dict[str, float | None]] = defaultdict(dict)
    given: dict[str, list[tuple[float, int | None]]] = defaultdict(list)
    for row in rows:
        attempt_id, key, awarded = row[0], row[1], row[2]
        if key not in items:
            continue
        marks[attempt_id][key] = awarded
        if with_certainty:
            points, certainty = row[3], row[4]
            given[key].append(((awarded or 0.0) / points if points else 0.0, certainty))
    stats = analyse(marks.values(), {key: item.points for key, item in items.items()}, slots=slots)
    confidence = {key: overconfidence(given[key]) for key in items} if with_certainty else {}

    listed = {key: item for key, item in items.items() if item.responses_heading}
    counted: dict[str, list[tuple[Any, int]]] = {key: [] for key in listed}
    if listed:
        for key, response, n in connection.execute(
            select(Answer.item_key, Answer.response, func.count())
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .where(*submitted, Answer.item_key.in_(listed))
            .group_by(Answer.item_key, Answer.response)
        ):
            counted[key].append((response, n))
    harmful = _harmful(connection, version, items, stats)
    responses = {
        key: mark_harmful(item.tally_responses(counted[key]), harmful.get(key)) for key, item in listed.items()
    }
    return Analysis(version=version, stats=stats, responses=responses, harmful=harmful, confidence=confidence)


def _harmful(connection, version: ModuleVersion, items: dict, stats: ModuleStats) -> dict[str, HarmfulCount]:
    """How often each item with answers marked harmful was answered harmfully, in attempts and students
    (one query: the responses counted per item, response and student)."""
    marked = {key: item for key, item in items.items() if item.harmful_parts()}
    if not marked:
        return {}
    counted: dict[str, list[tuple[Any, int, int]]] = {key: [] for key in marked}
    for key, response, user_id, n in connection.execute(
        select(Answer.item_key, Answer.response, Attempt.user_id, func.count())
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(*_submitted_at(version), Answer.item_key.in_(marked))
        .group_by(Answer.item_key, Answer.response, Attempt.user_id)
    ):
        counted[key].append((response, user_id, n))
    return {
        key: harmful_counts(counted[key], item.harmful_picks, stats.items[key].attempts) for key, item in marked.items()
    }


def _submitted_at(version: ModuleVersion) -> tuple:
    """The conditions that pick the submitted attempts at ``version``.

    Naming the module as well lets the (module_id, user_id) index narrow the attempts to
    the module's, instead of reading every attempt.
    """
    return (
        Attempt.module_id == version.module_id,
        Attempt.version_id == version.id,
        Attempt.status == AttemptStatus.SUBMITTED,
    )


def _keep(version: ModuleVersion, submitted: Submitted, computed_at: datetime, result: Analysis) -> None:
    """Store ``result`` as the version's cached analysis; a failure is logged, never raised.

    The write has a connection and transaction of its own, begun IMMEDIATE on SQLite, so a
    page that only reads can keep what it calculated, and a failure (a busy database) leaves
    the page's session untouched. One ``INSERT ... ON CONFLICT DO UPDATE`` lets two servers
    store the same version at once: the later one wins, and both results are current.
    """
    values = {
        "version_id": version.id,
        "attempts": submitted.count,
        "last_attempt_id": submitted.last_id,
        "computed_at": computed_at,
        "result": _analysis_to_json(result),
    }
    try:
        with writing(), db.engine.begin() as conn:
            insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[conn.dialect.name]
            statement = insert(VersionAnalysis).values(values)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["version_id"],
                    set_={name: statement.excluded[name] for name in values if name != "version_id"},
                )
            )
    except SQLAlchemyError as exc:
        current_app.logger.warning("item analysis of version %s not cached: %s", version.id, exc)


def _analysis_to_json(result: Analysis) -> dict[str, Any]:
    """The stored form of an analysis (responses as a list: JSONB does not keep key order)."""
    return {
        "format": RESULT_FORMAT,
        "stats": result.stats.to_dict(),
        "responses": [[key, [r.to_dict() for r in rows]] for key, rows in result.responses.items()],
        "harmful": [[key, count.to_dict()] for key, count in result.harmful.items()],
        "confidence": [[key, counts.to_dict()] for key, counts in result.confidence.items()],
    }


def _analysis_from_json(version: ModuleVersion, data: dict[str, Any]) -> Analysis:
    """The analysis :func:`_analysis_to_json` stored."""
    return Analysis(
        version=version,
        stats=ModuleStats.from_dict(data["stats"]),
        responses={key: [ResponseCount.from_dict(r) for r in rows] for key, rows in data["responses"]},
        harmful={key: HarmfulCount.from_dict(count) for key, count in data["harmful"]},
        confidence={key: Overconfidence.from_dict(counts) for key, counts in data["confidence"]},
    )
