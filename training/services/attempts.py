"""Taking a module: start or resume, save answers, move through stages, submit.

Every write locks the attempt row first (``SELECT ... FOR UPDATE`` on PostgreSQL; on
SQLite the request's transaction began IMMEDIATE), then checks the attempt's state, so
concurrent saves and submits are applied one at a time and never half-way.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Row, bindparam, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from quizzes.content import Feedback as FeedbackTiming
from quizzes.content import Module, ShowAnswers, StageRef
from quizzes.items import AnswerError, Item, Mark, Matching, Ordering
from quizzes.items.choices import ChoiceItem
from quizzes.items.tokens import FormTokens, scoped_tokens
from quizzes.scoring import AttemptScore, score_attempt

from ..extensions import db
from ..models import Answer, Attempt, AttemptStatus, AttemptTopic, ModuleRow, ModuleVersion, User
from ..models.types import utcnow
from . import answer_policy, certificates, review
from .content import latest_version

DEADLINE_GRACE = timedelta(seconds=10)


class AttemptError(Exception):
    """A request the attempt's state does not allow; ``status`` is the HTTP answer."""

    status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AttemptNotFound(AttemptError):
    """No such attempt for this student (someone else's counts as none)."""

    status = 404


class BadAnswer(AttemptError):
    """The answer does not fit the item, or names an item that is not there."""

    status = 400


class StaleSave(AttemptError):
    """A save older than one already applied."""


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
    A new attempt needs an attempt left under the module's limit; its deadline comes from
    the module's time limit.
    """
    existing = open_attempt(user, module)
    if existing is not None:
        close_if_overdue(existing, grace=False)  # resuming carries no answers to wait for
        return existing
    version = latest_version(module.id)
    if version is None:
        raise AttemptNotFound("This module has no published version yet.")
    settings = version.content.settings
    if settings.attempts_allowed is not None and attempts_used(user, module) >= settings.attempts_allowed:
        raise AttemptError(f"You have used all {settings.attempts_allowed} attempt(s) allowed at this module.")
    now = utcnow()
    if settings.show_answers == ShowAnswers.AFTER_DUE_DATE:
        due = answer_policy.due_date(user.id, module.id)
        if due is not None and now >= due:
            # Its answers are out once the due date passes, so a new attempt would be graded against them.
            raise AttemptError("The due date has passed and the answers are now shown, so this module is closed.")
    deadline = now + timedelta(minutes=settings.time_limit_minutes) if settings.time_limit_minutes else None
    attempt = Attempt(
        user_id=user.id,
        module_id=module.id,
        version_id=version.id,
        seed=secrets.randbits(31),
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


# Plain rows, not ORM objects: grading reads twenty of them per submit and changes none.
_SAVED_ANSWERS = select(Answer.id, Answer.item_key, Answer.response, Answer.awarded, Answer.points).where(
    Answer.attempt_id == bindparam("attempt_id")
)


def saved_answers(attempt: Attempt) -> dict[str, Row]:
    """The attempt's answers as stored now, by item key: rows with ``id``, ``response``, ``awarded``, ``points``."""
    return {row.item_key: row for row in db.session.execute(_SAVED_ANSWERS, {"attempt_id": attempt.id})}


def form_tokens(scope: str) -> FormTokens:
    """The opaque form values of one scope (see ``quizzes.items.tokens``), keyed by the app's secret."""
    secret = current_app.config["SECRET_KEY"]
    return scoped_tokens(secret.encode() if isinstance(secret, str) else secret, scope)


def attempt_tokens(attempt_id: int) -> FormTokens:
    """The values an attempt's pages post: different in every attempt, so a retry cannot reuse a key."""
    return form_tokens(f"attempt:{attempt_id}")


def _current_stage(attempt: Attempt) -> StageRef:
    return attempt.version.content.stages()[attempt.stage_index]


def _require_open(attempt: Attempt) -> None:
    if not attempt.is_open:
        raise AttemptError("This attempt has been submitted; its answers can no longer change.")


def save_answers(attempt: Attempt, stage_index: int, values: dict[str, list[str]], seq: int | None = None) -> int:
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
    """
    _require_open(attempt)
    module = attempt.version.content
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
    tokens = attempt_tokens(attempt.id)
    for key, raw in values.items():
        try:
            parsed[key] = items[key].parse_answer(tokens.decode(items[key], raw))
        except AnswerError as exc:
            raise BadAnswer(f"{exc} (question {_position(module, key)})") from None
    if seq is None:
        seq = attempt.last_seq + 1  # above every save so far: never stale
    connection, now = db.session.connection(), utcnow()
    for key, answer in parsed.items():
        if not _store_answer(connection, attempt, items[key], answer, seq, now):
            # Stale is judged per item: a late save of one question is not refused because another
            # was saved in between. The caller rolls back (every AttemptError does): nothing is kept.
            raise StaleSave("A newer answer to this question has already been saved; this older one was ignored.")
    if seq > attempt.last_seq:
        connection.execute(_RAISE_LAST_SEQ, {"b_attempt": attempt.id, "b_seq": seq})
        set_committed_value(attempt, "last_seq", seq)
    return seq


def _store_answer(connection, attempt: Attempt, item: Item, answer: Any, seq: int, now) -> bool:
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
    .values(response=None, seq=bindparam("b_seq"), saved_at=bindparam("b_at"))
)
_ANSWER_SAVED = select(_ANSWERS.c.id).where(_THIS_ANSWER)
_SET_AWARDED = _ANSWERS.update().where(_ANSWERS.c.id == bindparam("b_id")).values(awarded=bindparam("b_awarded"))
_ATTEMPTS = Attempt.__table__
_RAISE_LAST_SEQ = _ATTEMPTS.update().where(_ATTEMPTS.c.id == bindparam("b_attempt")).values(last_seq=bindparam("b_seq"))


# Insert an answer, or overwrite the saved one if it holds an older save: one statement that
# returns the row's id, or no row when the saved answer is as new or newer (the save is stale).
# RETURNING, not the row count: psycopg reports -1 for an upsert. Written as SQL text, the same
# on SQLite and PostgreSQL, because SQLAlchemy compiles its ON CONFLICT constructs afresh on
# every execution (it cannot cache them), which cost an autosave about a tenth of its time.
_UPSERT_ANSWER = text(
    """
    INSERT INTO answers (attempt_id, item_key, topic, points, response, seq, saved_at)
    VALUES (:attempt_id, :item_key, :topic, :points, :response, :seq, :saved_at)
    ON CONFLICT (attempt_id, item_key) DO UPDATE
    SET response = excluded.response, seq = excluded.seq, saved_at = excluded.saved_at
    WHERE answers.seq < excluded.seq
    RETURNING id
    """
).bindparams(
    bindparam("response", type_=_ANSWERS.c.response.type), bindparam("saved_at", type_=_ANSWERS.c.saved_at.type)
)


def _position(module: Module, key: str) -> int:
    return next(n for n, item in enumerate(module.items(), 1) if item.key == key)


def unanswered_in_stage(attempt: Attempt, answers: dict[str, Row] | None = None) -> list[tuple[int, str]]:
    """(question number, item key) of every item of the current stage still blank.

    :param answers: the attempt's ``saved_answers``, when the caller has them already.
    """
    answers = saved_answers(attempt) if answers is None else answers
    module = attempt.version.content
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
    if attempt.stage_index + 1 >= len(attempt.version.content.stages()):
        raise AttemptError("This is the last stage: submit the attempt to finish.")
    attempt.stage_index += 1
    db.session.flush()


def is_last_stage(attempt: Attempt) -> bool:
    """True when the student is on the module's final stage."""
    return attempt.stage_index == len(attempt.version.content.stages()) - 1


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
    module = attempt.version.content
    answers = saved_answers(attempt) if answers is None else answers
    result = score_attempt(module, {k: row.response for k, row in answers.items()})
    # Marks, unanswered items and topic totals go in as one statement each, not an ORM
    # update per row: on SQLite this all runs while the write lock is held.
    marks, unanswered = [], []
    for item in module.items():
        awarded = result.marks[item.key].awarded
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
                }
            )
        else:
            marks.append({"b_id": row.id, "b_awarded": awarded})
    connection = db.session.connection()
    if marks:
        connection.execute(_SET_AWARDED, marks)
    if unanswered:
        connection.execute(_ANSWERS.insert(), unanswered)
    connection.execute(AttemptTopic.__table__.insert(), _topic_totals(attempt, module, result))
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = utcnow()
    attempt.score, attempt.max_score, attempt.passed = result.score, result.max_score, result.passed
    db.session.flush()
    # In the same transaction: missed items join the review queue; a pass earns a certificate.
    review.schedule_missed(attempt, result)
    certificates.issue_if_passed(attempt)
    return attempt


def _topic_totals(attempt: Attempt, module: Module, result: AttemptScore) -> list[dict[str, Any]]:
    """The attempt's marks added up per topic, as ``attempt_topics`` rows (for the cohort heatmap)."""
    totals: dict[str, dict[str, Any]] = {}
    for item in module.items():
        row = totals.setdefault(
            item.topic,
            {
                "attempt_id": attempt.id,
                "topic": item.topic,
                "user_id": attempt.user_id,
                "module_id": attempt.module_id,
                "awarded": 0.0,
                "points": 0.0,
                "items": 0,
            },
        )
        row["awarded"] += result.marks[item.key].awarded or 0.0
        row["points"] += item.points
        row["items"] += 1
    return list(totals.values())


@dataclass(frozen=True)
class ItemView:
    """An item as one page shows it: number, choices in this attempt's order, saved answer.

    ``tokens`` are the page's opaque form values: templates read ``options``, ``prompts``
    and ``form_values``, never an authored part id.
    """

    number: int
    item: Item
    choices: Sequence[Any]
    answer: Any | None
    tokens: FormTokens

    @property
    def field(self) -> str:
        """The form field name of this item."""
        return f"item-{self.item.key}"

    @property
    def options(self) -> list[tuple[str, Any]]:
        """(form value, part) of what the student picks from, in this page's order."""
        return [(self.tokens.token(self.item.key, "part", part.id), part) for part in self.choices]

    @property
    def prompts(self) -> list[tuple[str, Any]]:
        """(form value, prompt) of a matching item's prompts, in written order (empty for other types)."""
        prompts = getattr(self.item, "prompts", [])
        return [(self.tokens.token(self.item.key, "prompt", p.id), p) for p in prompts]

    @property
    def form_values(self) -> list[str]:
        """The saved answer as the form values that would post it again."""
        return self.tokens.encode(self.item, self.item.form_values(self.answer))

    def parse(self, values: list[str]) -> Any | None:
        """The answer the posted ``values`` give (AnswerError for a value this page never offered)."""
        return self.item.parse_answer(self.tokens.decode(self.item, values))


def ordered_choices(seed: int, item: Item) -> list:
    """What the student picks from, in the order ``seed`` gives (an attempt's seed: the same on every reload).

    Choices of choice items (unless the author fixed their order), the steps of an
    ordering item (always: their written order is the answer), the options of a matching item.
    """
    if isinstance(item, ChoiceItem):
        parts, shuffle = list(item.choices), item.shuffle
    elif isinstance(item, Ordering):
        parts, shuffle = list(item.steps), True
    elif isinstance(item, Matching):
        parts, shuffle = list(item.options), True
    else:
        return []
    if shuffle:
        # Order only, not secrecy: a seeded generator makes every reload show the same order.
        random.Random(f"{seed}:{item.key}").shuffle(parts)  # noqa: S311
    if isinstance(item, Ordering) and [p.id for p in parts] == item.key_answer():
        parts.reverse()  # never show the answer as the starting order
    return parts


@dataclass(frozen=True)
class StageView:
    """A stage with its items as the take page shows them."""

    ref: StageRef
    items: list[ItemView]
    locked: bool
    # Tutor mode: marks and feedback of a locked stage (None in exam mode or while open).
    results: list[ResultItem] | None = None
    # Whether ``results`` may show the correct answers, feedback and explanations.
    reveal: bool = False


def stage_views(attempt: Attempt) -> list[StageView]:
    """The stages the student has reached: earlier ones locked, the current one open.

    Carries only what the student may see before submission: no correctness, no
    feedback, no explanation (templates get the items, but only render prompts and
    choice texts; see ``templates/learn/_item_inputs.html``). In tutor mode locked stages
    carry their marks, and their answers and feedback only while the module's newest
    published version lets the student see answers (the rule the result page follows).
    """
    answers = {key: row.response for key, row in saved_answers(attempt).items()}
    module = attempt.version.content
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
    )


def build_stage_views(
    module: Module,
    current: int,
    seed: int,
    answers: dict[str, Any],
    *,
    tokens: FormTokens | None = None,
    mark_locked: bool = False,
    reveal_locked: bool = False,
) -> list[StageView]:
    """Stages 0..``current`` of ``module`` as the take page (or an author's preview) shows them.

    :param tokens: the page's form values; None: a preview's (nothing is posted from it).
    :param mark_locked: tutor mode: locked stages carry their marks and the answers given.
    :param reveal_locked: with ``mark_locked``, also the correct answers, feedback and explanations.
    """
    tokens = tokens or form_tokens("preview")
    numbers = {item.key: n for n, item in enumerate(module.items(), 1)}
    views = []
    for ref in module.stages()[: current + 1]:
        items = [
            ItemView(
                number=numbers[item.key],
                item=item,
                choices=ordered_choices(seed, item),
                answer=answers.get(item.key),
                tokens=tokens,
            )
            for item in ref.stage.items
        ]
        locked = ref.index < current
        results = None
        if locked and (mark_locked or reveal_locked):
            results = [result_item(v.number, ref, v.item, v.answer) for v in items]
            if not reveal_locked:
                # Held back: the page must not even carry them (the template would hide them anyway).
                results = [replace(r, feedback=[], correct=[]) for r in results]
        views.append(StageView(ref=ref, items=items, locked=locked, results=results, reveal=reveal_locked))
    return views


@dataclass(frozen=True)
class Feedback:
    """A piece of feedback and whether it praises (a right choice) or corrects."""

    text: str
    positive: bool


@dataclass(frozen=True)
class ResultItem:
    """One item on the result page, with everything that teaches."""

    number: int
    ref: StageRef
    item: Item
    answer: Any | None
    mark: Mark
    given: list[str]
    feedback: list[Feedback]
    correct: list[str]


def result_items(attempt: Attempt) -> list[ResultItem]:
    """The graded items of a submitted attempt, against the version the student saw."""
    module = attempt.version.content
    answers = saved_answers(attempt)
    out, number = [], 0
    for ref in module.stages():
        for item in ref.stage.items:
            number += 1
            row = answers.get(item.key)
            answer = row.response if row else None
            # The mark stored at submission is the record; regrading is a fallback.
            mark = Mark(row.awarded, row.points) if row and row.awarded is not None else None
            out.append(result_item(number, ref, item, answer, mark))
    return out


def result_item(number: int, ref: StageRef, item: Item, answer: Any | None, mark: Mark | None = None) -> ResultItem:
    """Everything that teaches about one answered item (graded now unless a mark is given)."""
    return ResultItem(
        number=number,
        ref=ref,
        item=item,
        answer=answer,
        mark=mark or item.grade(answer),
        given=item.describe_lines(answer),
        feedback=_feedback(item, answer),
        correct=_correct_answer(item),
    )


def _feedback(item: Item, answer: Any | None) -> list[Feedback]:
    """Feedback for what was given; for choices, each says whether that choice was right."""
    if isinstance(item, ChoiceItem) and answer:
        return [Feedback(c.feedback, c.correct) for c in item.picked(answer) if c.feedback]
    full = item.grade(answer).is_full
    return [Feedback(text, full) for text in item.feedback_for(answer)]


def _correct_answer(item: Item) -> list[str]:
    accepted = getattr(item, "accepted", None)
    return [accepted] if accepted is not None else item.describe_lines(item.key_answer())


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
