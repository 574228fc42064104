"""What every item type shares: the common fields, the mark, the answer contract, and the
hooks through which generic code (the take page, results, review, preview, the editor,
imports, item analysis) asks a type what it needs instead of branching on its name.
"""

from __future__ import annotations

import inspect
import math
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..stats import ResponseCount
from .editor import Editor

if TYPE_CHECKING:
    from ..formats.gift import GiftAnswers, GiftWriter

P = TypeVar("P")
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
LessonRef = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,79}#[a-z0-9][a-z0-9-]{0,79}$")]


class Topic(StrEnum):
    """The five things the academy teaches about every procedure.

    Red flags and referral (triage, urgency, when and where to send a client) is a topic of
    its own, so mastery of aftercare no longer hides how well a student recognises danger.
    """

    ANATOMY = "anatomy"
    PLACEMENT = "placement"
    INJECTION_VOLUME = "injection-volume"
    AFTERCARE = "aftercare"
    RED_FLAGS = "red-flags"

    @property
    def label(self) -> str:
        """The name people read (volume covers the product used, as the curriculum does)."""
        return _TOPIC_LABELS.get(self.value, self.value.capitalize())


_TOPIC_LABELS = {"injection-volume": "Injection volume and product", "red-flags": "Red flags and referral"}


class AnswerError(ValueError):
    """A submitted answer that does not fit the item (unknown choice, not a number...)."""


@dataclass(frozen=True)
class Mark:
    """What an answer earned: ``awarded`` lies in ``[0, points]``."""

    awarded: float
    points: float

    @property
    def fraction(self) -> float:
        """The share of the item's points earned, 0..1."""
        return self.awarded / self.points if self.points else 0.0

    @property
    def is_full(self) -> bool:
        """True when the answer earned every point."""
        return math.isclose(self.awarded, self.points)


def make_mark(fraction: float, points: float) -> Mark:
    """Build a mark from a fraction, clamped to [0, 1] and rounded to keep sums exact enough."""
    fraction = min(1.0, max(0.0, fraction))
    if fraction in (0.0, 1.0):
        return Mark(awarded=fraction * points, points=points)  # exact: the key earns exactly ``points``
    return Mark(awarded=min(points, round(fraction * points, 6)), points=points)


class Item(BaseModel):
    """Fields every item has, whatever its type.

    Subclasses set ``type`` to a ``Literal`` and implement the four answer methods.
    An *answer* is plain JSON data (a choice id, a list of ids, a bool, a number, a text) or
    ``None`` when the student left the item blank.

    A type lives in its own folder under ``quizzes/items/`` (its home): this class, its
    editor fields (``editor``), its readers of other formats (``from_gift``), and its
    templates in ``templates/`` beside it (``take.html`` at least). A template a type does not
    have is looked up in the folder of its base class, down to ``quizzes/items/templates``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: ClassVar[str] = "item"
    # Said beside the points on the take page (e.g. "choose all that apply").
    answer_hint: ClassVar[str] = ""
    # The editor's fields beyond the common ones, and where validation messages go.
    editor: ClassVar[Editor] = Editor()
    # Item analysis lists the answers given under this heading; "" lists none.
    responses_heading: ClassVar[str] = ""
    # GIFT readers are tried from the lowest number up (Moodle's own order of detection).
    gift_order: ClassVar[int] = 100

    key: Slug = Field(description="Stable id of the item inside its module; statistics group by it.")
    type: str
    prompt: Text
    points: float = Field(default=1.0, gt=0, le=100)
    # Both may be missing only in a draft (e.g. just imported); publishing requires them.
    topic: Topic | None = None
    lesson: LessonRef | None = Field(default=None, description="lesson-slug#section-anchor that teaches this item")
    explanation: Text
    tags: list[Slug] = Field(default_factory=list, max_length=10, description="free labels, e.g. source-conflict")
    # A question a practitioner must get right to be safe: missing it fails the attempt
    # whatever its total (unless the module turns its safety gate off).
    safety_critical: bool = Field(default=False, description="a wrong answer fails the attempt, whatever its score")
    # Variants: items of one slot ask the same thing in other words or numbers; each attempt
    # draws one per slot. The slot's first item has no ``variant_of``; the others name it.
    variant_of: Slug | None = Field(default=None, description="key of the first item of this item's slot")

    @property
    def slot(self) -> str:
        """The slot this item fills: the key of the slot's first item (its own key when it is first)."""
        return self.variant_of or self.key

    # ------------------------------------------------------------ safety

    def harmful_picks(self, answer: Any | None) -> list[str]:
        """What the author marked harmful in ``answer``, in words (one line each); empty when nothing is.

        A harmful pick fails the attempt as a safety miss even on a question that is not
        safety-critical, since it is the action that hurts a client.
        """
        return []

    def harmful_parts(self) -> list[str]:
        """Every answer the author marked harmful, in words (for preview, the editor and analysis)."""
        return []

    def safety_miss(self, answer: Any | None, mark: Mark | None = None) -> bool:
        """True when ``answer`` fails the safety gate: a harmful pick, or a safety-critical question not fully right.

        :param mark: the answer's mark when the caller has it (the one stored at submission).
        """
        if self.harmful_picks(answer):
            return True
        return self.safety_critical and not (mark or self.grade(answer)).is_full

    def parse_answer(self, values: list[str]) -> Any | None:
        """Turn raw form values into an answer, or raise AnswerError; blank gives None."""
        raise NotImplementedError

    def grade(self, answer: Any | None) -> Mark:
        """Mark an answer (None earns 0)."""
        raise NotImplementedError

    def key_answer(self) -> Any:
        """An answer that earns full marks."""
        raise NotImplementedError

    def feedback_for(self, answer: Any | None) -> list[str]:
        """Feedback written for the answer given (per-choice feedback, range feedback)."""
        return []

    def describe(self, answer: Any | None) -> str:
        """The answer in words, for the result page."""
        raise NotImplementedError

    def describe_lines(self, answer: Any | None) -> list[str]:
        """The answer in words as separate lines (one per picked choice, step or pair)."""
        return [self.describe(answer)]

    def coded_parts(self) -> dict[str, list[str]]:
        """The ids form values name, by kind ("part", "prompt"): a page shows them only as opaque tokens.

        Authored ids can give the key away (imports number choices in written order, and
        GIFT writes the right answer first), so they never reach a student's browser.
        """
        return {}

    def recode_values(self, values: list[str], code: Callable[[str, str], str]) -> list[str]:
        """``values`` with every part id in them replaced by ``code(kind, id)``.

        The one place that knows where ids sit in this type's form values: used to turn ids
        into a page's tokens and, with the inverse ``code``, tokens back into ids.
        """
        return list(values)

    # ------------------------------------------------------------ what a student sees

    def shown_parts(self, seed: int) -> list:
        """What the student picks from, in the order ``seed`` gives (the same on every reload); none by default."""
        return []

    def correct_lines(self) -> list[str]:
        """The correct answer in words, a line each (the result page's "Correct answer")."""
        return self.describe_lines(self.key_answer())

    def result_feedback(self, answer: Any | None) -> list[tuple[str, bool]]:
        """Feedback for what was given, each with whether it praises (True) or corrects."""
        full = self.grade(answer).is_full
        return [(text, full) for text in self.feedback_for(answer)]

    # ------------------------------------------------------------ templates

    @classmethod
    def type_name(cls) -> str:
        """The name documents use for this type (its ``type`` literal)."""
        return cls.model_fields["type"].annotation.__args__[0]

    @classmethod
    def template(cls, name: str) -> str:
        """The template name of this type's ``name`` (``take``, ``result``, ``editor``), for Jinja."""
        return f"items/{cls.type_name()}/{name}.html"

    @classmethod
    def template_dirs(cls) -> tuple[Path, ...]:
        """Where this type's templates are looked up: its home's ``templates/``, then its base types'."""
        return _template_dirs(cls)

    @classmethod
    def template_path(cls, filename: str) -> Path | None:
        """The file ``filename`` in this type's ``templates/`` folder, or in its nearest base type's."""
        return next((folder / filename for folder in cls.template_dirs() if (folder / filename).is_file()), None)

    # ------------------------------------------------------------ imports and analysis

    @classmethod
    def placeholder(cls, key: str) -> dict[str, Any]:
        """A valid item document for an author to rewrite (a new stage starts with one)."""
        raise NotImplementedError

    @classmethod
    def from_gift(cls, answers: GiftAnswers) -> dict[str, Any] | None:
        """This type's fields read from a GIFT answer block, or None when the block is not of this type.

        Raise ``answers.bad(message, line)`` for a block of this type that is malformed.
        """
        return None

    def to_gift(self, out: GiftWriter) -> str | None:
        """The answer block of this item in GIFT (what goes between ``{`` and ``}``), written with ``out``;
        None for a type GIFT cannot express (its questions are left out of an export, with a comment)."""
        return None

    @classmethod
    def harmful_from_gift(cls, data: dict[str, Any], words: str) -> bool:
        """Mark, in the imported fields ``data``, the wrong answer a ``// harmful: <words>`` comment names.

        False when no wrong answer of this type has those words (types without harmful marking).
        """
        return False

    @classmethod
    def from_aiken(cls, options: Sequence[str], correct: int) -> dict[str, Any] | None:
        """This type's fields for an Aiken question (options, the right one's index), or None."""
        return None

    @classmethod
    def complete_import(cls, data: dict[str, Any], missing_feedback: str) -> None:
        """Fill in place what an imported question may lack and this type requires (e.g. a wrong choice's feedback)."""

    def tally_responses(self, counted: Iterable[tuple[Any, int]]) -> list[ResponseCount]:
        """The answers given, from ``(answer, attempts that gave it)`` pairs (see ``responses_heading``)."""
        return []

    def form_values(self, answer: Any | None) -> list[str]:
        """The form values that would post ``answer`` again (to refill a form)."""
        if answer is None:
            return []
        if isinstance(answer, bool):
            return ["true" if answer else "false"]
        if isinstance(answer, list):
            return [str(v) for v in answer]
        if isinstance(answer, int | float):
            # Plain digits (no exponent), since that is what a student types and parse_number takes.
            return [format(Decimal(repr(answer)), "f")]
        return [str(answer)]


@cache
def _template_dirs(cls: type[Item]) -> tuple[Path, ...]:
    return tuple(
        Path(inspect.getfile(klass)).parent / "templates"
        for klass in cls.__mro__
        if isinstance(klass, type) and issubclass(klass, Item)
    )


def shuffled(parts: Iterable[P], seed: int, item_key: str) -> list[P]:
    """``parts`` in the order an attempt's (or a card's) ``seed`` gives this item: the same on every reload."""
    out = list(parts)
    # Order only, not secrecy: a seeded generator makes every reload show the same order.
    random.Random(f"{seed}:{item_key}").shuffle(out)  # noqa: S311
    return out


def find_part(parts: Iterable[P], part_id: Any, what: str) -> P:
    """The choice, step or option with this id; an unknown id is an AnswerError."""
    for part in parts:
        if part.id == part_id:
            return part
    raise AnswerError(f"That {what} is not part of this question.")


def require_unique_ids(parts: Iterable[Any], what: str) -> None:
    """Raise ValueError (a validation error) when two parts share an id."""
    ids = [part.id for part in parts]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"{what} ids must be unique in an item; repeated: {', '.join(dupes)}")


def single_value(values: list[str]) -> str | None:
    """The one non-blank value of a field, None when blank; more than one is an error."""
    filled = [v.strip() for v in values if v and v.strip()]
    if not filled:
        return None
    if len(filled) > 1:
        raise AnswerError("Give one answer only.")
    return filled[0]


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def parse_number(text: str) -> float:
    """Parse a typed number; accepts a decimal comma, refuses anything else."""
    if not _NUMBER.match(text):
        raise AnswerError(f"“{text[:40]}” is not a number.")
    value = float(text.replace(",", "."))
    if not math.isfinite(value):  # hundreds of digits overflow to inf, which JSON cannot store
        raise AnswerError(f"“{text[:40]}” is not a number.")
    return value
