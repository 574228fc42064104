"""Taking a module: start or resume, save answers, move through stages, submit.

Every write locks the attempt row first (``SELECT ... FOR UPDATE`` on PostgreSQL; on
SQLite the request's transaction began IMMEDIATE), then checks the attempt's state, so
concurrent saves and submits are applied one at a time and never half-way.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from quizzes import variants
from quizzes.certainty import CalibrationRow, CbmSummary, calibration, parse_certainty
from quizzes.content import Feedback as FeedbackTiming
from quizzes.content import Module, Settings, ShowAnswers, StageRef
from quizzes.items import AnswerError, Item, Mark
from quizzes.mastery import mastery_by_topic
from quizzes.scoring import AttemptScore, score_attempt
from quizzes.views import ResultItem, StageView, build_stage_views
from quizzes.views import result_items as graded_items

from ..extensions import db
from ..models import Answer, Attempt, AttemptStatus, AttemptTopic, ModuleOverride, ModuleRow, ModuleVersion, User
from ..models.types import utcnow
from . import answer_policy, certificates, overrides, review
from .content import latest_version
from .errors import ServiceError
from .form_values import attempt_tokens, form_tokens
from .times import at, when

DEADLINE_GRACE = timedelta(seconds=10)


class AttemptError(ServiceError):
    """A request the attempt's state does not allow (409 unless a subclass says otherwise)."""

    status_code = 409


class AttemptNotFound(AttemptError):
    """No such attempt for this student (someone else's counts as none)."""

    status_code = 404


class BadAnswer(AttemptError):
    """The answer does not fit the item, or names an item that is not there."""

    status_code = 400


class StaleSave(AttemptError):
    """A save older than one already applied."""


class RetryNotYet(AttemptError):
    """The module's wait after a failed attempt has not passed yet."""

    def __init__(self, message: str, available_at: datetime) -> None:
        super().__init__(message)
        self.available_at = available_at


# Built once: every save runs them (SQLAlchemy reuses their compiled form).
_OWN_ATTEMPT = select(Attempt).where(Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id"))
_OWN_ATTEMPT_LOCKED = _OWN_ATTEMPT.with_for_update(of=Attempt).execution_options(populate_existing=True)


def get_attempt(user: User, attempt_id: int, *, lock: bool = False) -> Attempt:
    """The user's own attempt; locked for update when the caller is about to write."""
    query = _OWN_ATTEMPT_LOCKED if lock else _OWN_ATTEMPT
    attempt = db.session.scalar(query, {"attempt_id": attempt_id, "user_id": user.id})
    if attempt is None:
        raise AttemptNotFound("There is no such attempt in your account.")
    return attempt


def open_attempt(user: User, module: ModuleRow) -> Attempt | None:
    """The user's open attempt at ``module``, if any."""
    return db.session.scalar(
        select(Attempt).where(
            Attempt.user_id == user.id, Attempt.module_id == module.id, Attempt.status == AttemptStatus.OPEN
        )
    )


def attempts_used(user: User, module: ModuleRow) -> int:
    """How many attempts the user has submitted at the module."""
    return db.session.scalar(
        select(func.count(Attempt.id)).where(
            Attempt.user_id == user.id, Attempt.module_id == module.id, Attempt.status == AttemptStatus.SUBMITTED
        )
    )


def start_or_resume(user: User, module: ModuleRow) -> Attempt:
    """Resume the open attempt, or start one on the latest version (a double start makes one).

    An open attempt whose time is up is submitted instead (the caller sees it closed).
    A new attempt needs an attempt left under the module's limit (plus any extra attempts
    the student's override grants) and, after a failed attempt, the module's wait to have
    passed; its deadline comes from the module's time limit (plus any extra time). It draws
    one variant per slot, preferring those the student has seen least.
    """
    existing = open_attempt(user, module)
    if existing is not None:
        close_if_overdue(existing, grace=False)  # resuming carries no answers to wait for
        return existing
    version = latest_version(module.id)
    if version is None:
        raise AttemptNotFound("This module has no published version yet.")
    settings = version.content.settings
    now = utcnow()
    rules = standing(user, module, settings, now)
    if rules.attempts_left == 0:
        raise AttemptError(f"You have used all {rules.attempts_allowed} attempt(s) allowed at this module.")
    if rules.wait_until is not None:
        raise RetryNotYet(
            "After an attempt that did not pass, this module asks you to wait before the next: "
            f"you can start again {when(rules.wait_until, now)} ({at(rules.wait_until)}).",
            rules.wait_until,
        )
    if settings.show_answers == ShowAnswers.AFTER_DUE_DATE:
        due = answer_policy.due_date(user.id, module.id)
        if due is not None and now >= due:
            # Its answers are out once the due date passes, so a new attempt would be graded against them.
            raise AttemptError("The due date has passed and the answers are now shown, so this module is closed.")
    minutes = rules.time_limit_minutes
    deadline = now + timedelta(minutes=minutes) if minutes else None
    attempt = Attempt(
        user_id=user.id,
        module_id=module.id,
        version_id=version.id,
        seed=secrets.randbits(31),
        draw=_draw(user, module, version.content) or None,
        started_at=now,
        deadline=deadline,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # A concurrent start won the unique "one open attempt" index; use that one.
        attempt = open_attempt(user, module)
        if attempt is None:
            raise
    return attempt


def _draw(user: User, module: ModuleRow, content: Module) -> dict[str, str]:
    """One variant per slot for a new attempt, the least seen in the student's earlier attempts first."""
    if not content.has_variants:
        return {}
    draws = db.session.scalars(select(Attempt.draw).where(Attempt.user_id == user.id, Attempt.module_id == module.id))
    # Which variant is drawn is not a secret worth a cryptographic generator: the key is never on the page.
    return variants.draw(content, variants.times_seen(content, draws), random.Random(secrets.randbits(64)))  # noqa: S311


@dataclass(frozen=True)
class Standing:
    """Where a student stands with a module's attempt rules, for its page: their own limits and waits."""

    attempts_allowed: int | None
    used: int
    time_limit_minutes: int | None
    # When the next attempt may start, if a wait after a failed attempt still runs.
    wait_until: datetime | None
    override: ModuleOverride | None

    @property
    def attempts_left(self) -> int | None:
        return None if self.attempts_allowed is None else max(0, self.attempts_allowed - self.used)


def standing(user: User, module: ModuleRow, settings: Settings, now: datetime | None = None) -> Standing:
    """The student's attempt rules at ``module``: attempts allowed (with their override's extra ones) and
    used, time limit (with extra time), the wait after a failed attempt if it still runs, and the override.

    What the module page shows and what starting an attempt checks (three queries).
    """
    rules = overrides.effective(user.id, module.id, settings)
    wait_until = retry_available_at(user, module, settings.retry_wait_hours)
    return Standing(
        attempts_allowed=rules.attempts_allowed,
        used=attempts_used(user, module),
        time_limit_minutes=rules.time_limit_minutes,
        wait_until=wait_until if wait_until is not None and wait_until > (now or utcnow()) else None,
        override=rules.override,
    )


def retry_available_at(user: User, module: ModuleRow, wait_hours: int | None) -> datetime | None:
    """When the student may start again after their latest attempt failed (None: no wait applies)."""
    if not wait_hours:
        return None
    latest = db.session.execute(
        select(Attempt.passed, Attempt.submitted_at)
        .where(Attempt.user_id == user.id, Attempt.module_id == module.id, Attempt.status == AttemptStatus.SUBMITTED)
        .order_by(Attempt.submitted_at.desc(), Attempt.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.passed or latest.submitted_at is None:
        return None
    return latest.submitted_at + timedelta(hours=wait_hours)


# Plain rows, not ORM objects: grading reads twenty of them per submit and changes none.
_SAVED_ANSWERS = select(
    Answer.id, Answer.item_key, Answer.response, Answer.awarded, Answer.points, Answer.certainty
).where(Answer.attempt_id == bindparam("attempt_id"))


def saved_answers(attempt: Attempt) -> dict[str, Row]:
    """The attempt's answers as stored now, by item key: rows with ``id``, ``response``, ``awarded``, ``points``,
    ``certainty``."""
    return {row.item_key: row for row in db.session.execute(_SAVED_ANSWERS, {"attempt_id": attempt.id})}


def _current_stage(attempt: Attempt) -> StageRef:
    return attempt.content.stages()[attempt.stage_index]


def _require_open(attempt: Attempt) -> None:
    if not attempt.is_open:
        raise AttemptError("This attempt has been submitted; its answers can no longer change.")


def save_answers(
    attempt: Attempt,
    stage_index: int,
    values: dict[str, list[str]],
    seq: int | None = None,
    certainties: dict[str, list[str]] | None = None,
) -> int:
    """Save answers to items of the current stage; returns the sequence number applied.

    The attempt must be locked by the caller (``get_attempt(..., lock=True)``). Every
    answer is checked before anything is written, so a bad one saves nothing.

    :param stage_index: the stage the student was looking at; answers to any other
        stage are refused (earlier ones are locked, later ones not shown yet).
    :param values: item key -> raw form values as the take page posts them (its tokens,
        see ``attempt_tokens``); authored part ids are refused like any unknown value.
    :param seq: the autosave's sequence number (the page counts up from the attempt's
        ``last_seq``); a number not above the one already stored for that item is stale
        and refused, so the newest answer wins. None (a plain form post) takes the next
        number after every save so far.
    :param certainties: item key -> the posted certainty ("1", "2", "3" or blank), with
        certainty marking; saved with the answer (a blank answer keeps none).
    """
    _require_open(attempt)
    module = attempt.content
    items = module.item_map()
    unknown = sorted(k for k in values if k not in items)
    if unknown:
        raise BadAnswer(f"This module has no item '{unknown[0]}'.")
    if stage_index != attempt.stage_index:
        raise AttemptError("That stage is locked: you have moved on from it. Reload to see where you are.")
    stage_keys = {item.key for item in _current_stage(attempt).stage.items}
    outside = sorted(k for k in values if k not in stage_keys)
    if outside:
        raise AttemptError(f"Item '{outside[0]}' is not part of the stage you are on.")
    parsed: dict[str, Any] = {}
    sure: dict[str, int | None] = {}
    tokens = attempt_tokens(attempt.id)
    for key, raw in values.items():
        try:
            parsed[key] = items[key].parse_answer(tokens.decode(items[key], raw))
        except AnswerError as exc:
            raise BadAnswer(f"{exc} (question {_position(module, key)})") from None
        if module.settings.certainty_marking:
            try:
                sure[key] = parse_certainty((certainties or {}).get(key) or [])
            except ValueError as exc:
                raise BadAnswer(f"{exc} (question {_position(module, key)})") from None
    if seq is None:
        seq = attempt.last_seq + 1  # above every save so far: never stale
    connection, now = db.session.connection(), utcnow()
    for key, answer in parsed.items():
        if not _store_answer(connection, attempt, items[key], answer, seq, now, sure.get(key)):
            # Stale is judged per item: a late save of one question is not refused because another
            # was saved in between. The caller rolls back (every AttemptError does): nothing is kept.
            raise StaleSave("A newer answer to this question has already been saved; this older one was ignored.")
    if seq > attempt.last_seq:
        connection.execute(_RAISE_LAST_SEQ, {"b_attempt": attempt.id, "b_seq": seq})
        set_committed_value(attempt, "last_seq", seq)
    return seq


def _store_answer(connection, attempt: Attempt, item: Item, answer: Any, seq: int, now, certainty=None) -> bool:
    """Store one answer with sequence number ``seq``; False when the saved one is as new or newer.

    A blank clears a saved answer; a blank to an item never answered records nothing.
    """
    if answer is not None:
        row = {
            "attempt_id": attempt.id,
            "item_key": item.key,
            "topic": item.topic,
            "points": item.points,
            "response": answer,
            "seq": seq,
            "saved_at": now,
            "certainty": None if certainty is None else int(certainty),
        }
        return connection.execute(_UPSERT_ANSWER, row).first() is not None
    this = {"b_attempt": attempt.id, "b_item": item.key, "b_seq": seq, "b_at": now}
    cleared = connection.execute(_CLEAR_ANSWER, this).rowcount
    return bool(cleared) or connection.execute(_ANSWER_SAVED, this).first() is None


_ANSWERS = Answer.__table__
_THIS_ANSWER = (_ANSWERS.c.attempt_id == bindparam("b_attempt")) & (_ANSWERS.c.item_key == bindparam("b_item"))
_CLEAR_ANSWER = (
    _ANSWERS.update()
    .where(_THIS_ANSWER, _ANSWERS.c.seq < bindparam("b_seq"))
    .values(response=None, certainty=None, seq=bindparam("b_seq"), saved_at=bindparam("b_at"))
)
_ANSWER_SAVED = select(_ANSWERS.c.id).where(_THIS_ANSWER)
_SET_AWARDED = (
    _ANSWERS.update()
    .where(_ANSWERS.c.id == bindparam("b_id"))
    .values(awarded=bindparam("b_awarded"), safety_miss=bindparam("b_safety_miss"))
)
_ATTEMPTS = Attempt.__table__
_RAISE_LAST_SEQ = _ATTEMPTS.update().where(_ATTEMPTS.c.id == bindparam("b_attempt")).values(last_seq=bindparam("b_seq"))


# Insert an answer, or overwrite the saved one if it holds an older save: one statement that
# returns the row's id, or no row when the saved answer is as new or newer (the save is stale).
# RETURNING, not the row count: psycopg reports -1 for an upsert. Written as SQL text, the same
# on SQLite and PostgreSQL, because SQLAlchemy compiles its ON CONFLICT constructs afresh on
# every execution (it cannot cache them), which cost an autosave about a tenth of its time.
_UPSERT_ANSWER = text(
    """
    INSERT INTO answers (attempt_id, item_key, topic, points, response, seq, saved_at, certainty)
    VALUES (:attempt_id, :item_key, :topic, :points, :response, :seq, :saved_at, :certainty)
    ON CONFLICT (attempt_id, item_key) DO UPDATE
    SET response = excluded.response, seq = excluded.seq, saved_at = excluded.saved_at,
        certainty = excluded.certainty
    WHERE answers.seq < excluded.seq
    RETURNING id
    """
).bindparams(
    bindparam("response", type_=_ANSWERS.c.response.type),
    bindparam("saved_at", type_=_ANSWERS.c.saved_at.type),
    bindparam("certainty", type_=_ANSWERS.c.certainty.type),
)


def _position(module: Module, key: str) -> int:
    return next(n for n, item in enumerate(module.items(), 1) if item.key == key)


def unanswered_in_stage(attempt: Attempt, answers: dict[str, Row] | None = None) -> list[tuple[int, str]]:
    """(question number, item key) of every item of the current stage still blank.

    :param answers: the attempt's ``saved_answers``, when the caller has them already.
    """
    answers = saved_answers(attempt) if answers is None else answers
    module = attempt.content
    return [
        (_position(module, item.key), item.key)
        for item in _current_stage(attempt).stage.items
        if answers.get(item.key) is None or answers[item.key].response is None
    ]


def advance(attempt: Attempt, from_stage: int) -> None:
    """Lock the current stage and open the next. Repeating it (a double click) does nothing more."""
    _require_open(attempt)
    if from_stage != attempt.stage_index:
        return
    if attempt.stage_index + 1 >= len(attempt.content.stages()):
        raise AttemptError("This is the last stage: submit the attempt to finish.")
    attempt.stage_index += 1
    db.session.flush()


def is_last_stage(attempt: Attempt) -> bool:
    """True when the student is on the module's final stage."""
    return attempt.stage_index == len(attempt.content.stages()) - 1


def submit(attempt: Attempt, answers: dict[str, Row] | None = None) -> Attempt:
    """Grade and close the attempt; submitting a submitted attempt returns it unchanged.

    The attempt must be locked by the caller. Marks are written for every item, so
    unanswered items count (as 0) in reports.

    :param answers: the attempt's ``saved_answers``, when the caller has them already.
    """
    if not attempt.is_open:
        return attempt
    if not is_last_stage(attempt):
        raise AttemptError("Finish the remaining stages before submitting.")
    return _grade_and_close(attempt, answers)


def close_if_overdue(attempt: Attempt, *, grace: bool = True) -> bool:
    """Submit an open attempt whose deadline has passed, with the answers saved by then.

    Returns True when it did; the caller commits. With ``grace``, saves arriving within a
    few seconds of the deadline are still accepted, so network delay does not cost an answer.
    """
    if not attempt.is_overdue(utcnow() - (DEADLINE_GRACE if grace else timedelta(0))):
        return False
    _grade_and_close(attempt)
    return True


def _grade_and_close(attempt: Attempt, answers: dict[str, Row] | None = None) -> Attempt:
    module = attempt.content
    answers = saved_answers(attempt) if answers is None else answers
    result = score_attempt(
        module,
        {k: row.response for k, row in answers.items()},
        {k: row.certainty for k, row in answers.items()},
    )
    misses = {miss.key: miss for miss in result.safety_misses}
    # Marks, unanswered items and topic totals go in as one statement each, not an ORM
    # update per row: on SQLite this all runs while the write lock is held.
    marks, unanswered = [], []
    for item in module.items():
        awarded = result.marks[item.key].awarded
        miss = misses.get(item.key)
        row = answers.get(item.key)
        if row is None:
            unanswered.append(
                {
                    "attempt_id": attempt.id,
                    "item_key": item.key,
                    "topic": item.topic,
                    "points": item.points,
                    "response": None,
                    "awarded": awarded,
                    "safety_miss": miss is not None,
                }
            )
        else:
            marks.append(
                {
                    "b_id": row.id,
                    "b_awarded": awarded,
                    "b_safety_miss": miss is not None,
                }
            )
    connection = db.session.connection()
    if marks:
        connection.execute(_SET_AWARDED, marks)
    if unanswered:
        connection.execute(_ANSWERS.insert(), unanswered)
    connection.execute(AttemptTopic.__table__.insert(), _topic_totals(attempt, module, result))
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = utcnow()
    attempt.score, attempt.max_score, attempt.passed = result.score, result.max_score, result.passed
    attempt.safety_misses = len(result.safety_misses)
    if result.cbm is not None:
        attempt.cbm_average, attempt.cbm_bonus = result.cbm.average, result.cbm.bonus
    db.session.flush()
    # In the same transaction: missed items join the review queue; a pass earns a certificate.
    review.schedule_missed(attempt, result)
    certificates.issue_if_passed(attempt)
    return attempt


def _topic_totals(attempt: Attempt, module: Module, result: AttemptScore) -> list[dict[str, Any]]:
    """The attempt's marks added up per topic, as ``attempt_topics`` rows (for the cohort heatmap).

    The sums are the engine's own fold (``quizzes.mastery``), the one that mastery pages use.
    """
    marks = ((item.topic, result.marks[item.key].awarded, item.points, 1) for item in module.items())
    return [
        {
            "attempt_id": attempt.id,
            "topic": total.topic,
            "user_id": attempt.user_id,
            "module_id": attempt.module_id,
            "awarded": total.awarded,
            "points": total.points,
            "items": total.items,
        }
        for total in mastery_by_topic(marks)
        if total.items
    ]


def stage_views(attempt: Attempt) -> list[StageView]:
    """The stages the student has reached: earlier ones locked, the current one open.

    Carries only what the student may see before submission: no correctness, no
    feedback, no explanation (templates get the items, but only render prompts and
    choice texts; see ``templates/learn/_item_inputs.html``). In tutor mode locked stages
    carry their marks, and their answers and feedback only while the module's newest
    published version lets the student see answers (the rule the result page follows).
    """
    rows = saved_answers(attempt)
    answers = {key: row.response for key, row in rows.items()}
    module = attempt.content
    tutor = module.settings.feedback == FeedbackTiming.AFTER_EACH_STAGE
    # A version's settings never change, but a newer version may hold the answers back:
    # that decision covers attempts already open at older versions too.
    reveal = tutor and answer_policy.answers_visible(attempt.user_id, attempt.module_id)
    return build_stage_views(
        module,
        attempt.stage_index,
        attempt.seed,
        answers,
        tokens=attempt_tokens(attempt.id),
        mark_locked=tutor,
        reveal_locked=reveal,
        certainties={key: row.certainty for key, row in rows.items()},
    )


def preview_stage_views(module: Module, current: int) -> list[StageView]:
    """Stages 0..``current`` as an author's preview shows them (nothing is posted from it)."""
    return build_stage_views(module, current, 0, {}, tokens=form_tokens("preview"))


def result_items(attempt: Attempt) -> list[ResultItem]:
    """The graded items of a submitted attempt, against the version the student saw."""
    rows = saved_answers(attempt)
    answers = {
        # The mark stored at submission is the record; regrading is a fallback.
        key: (row.response, Mark(row.awarded, row.points) if row.awarded is not None else None)
        for key, row in rows.items()
    }
    return graded_items(attempt.content, answers, {key: row.certainty for key, row in rows.items()})


@dataclass(frozen=True)
class CertaintyReport:
    """An attempt's certainty-based marks: accuracy and bonus apart, and the calibration chart."""

    summary: CbmSummary
    calibration: list[CalibrationRow]


def certainty_report(attempt: Attempt, items: list[ResultItem]) -> CertaintyReport | None:
    """The CBM figures of a submitted attempt at a module with certainty marking (None otherwise): those
    stored when it was graded, and the calibration chart of its answers."""
    if not attempt.content.settings.certainty_marking or attempt.cbm_average is None:
        return None
    return CertaintyReport(
        summary=CbmSummary(
            accuracy=attempt.score / attempt.max_score if attempt.max_score else 0.0,
            average=attempt.cbm_average,
            bonus=attempt.cbm_bonus,
        ),
        calibration=calibration((r.mark.fraction, r.certainty) for r in items),
    )


def history(user: User) -> list[tuple[Attempt, ModuleRow]]:
    """The user's attempts, newest first, with their modules (one query)."""
    rows = db.session.execute(
        select(Attempt, ModuleRow)
        .join(ModuleRow, ModuleRow.id == Attempt.module_id)
        # A list needs each version's number, not its whole module document (tens of kB each).
        .options(joinedload(Attempt.version).load_only(ModuleVersion.id, ModuleVersion.number))
        .where(Attempt.user_id == user.id)
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
    )
    return [(a, m) for a, m in rows]
