"""The module document (Module > Case > Stage > Item) and the lesson document.

Both are validated pydantic models. A module version stores exactly this document, so
what a student saw can always be rebuilt, graded and shown again (invariant 1).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .items import ITEM_TYPES, Item
from .items.base import Slug, Text

FORMAT_VERSION = 1

# The union is built from the registry, so a new item type needs no change here.
AnyItem = Annotated[Union[tuple(ITEM_TYPES.values())], Field(discriminator="type")]  # noqa: UP007
SHARED_IN_SLOT = ("topic", "lesson", "points", "safety_critical")
"""What the items of one slot (a question and its variants) must share, so any draw is a fair test."""
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Procedure(StrEnum):
    """What a module or lesson is about."""

    THREAD_LIFT = "thread-lift"
    MESOTHERAPY = "mesotherapy"
    MIXED = "mixed"

    @property
    def label(self) -> str:
        """The name people read."""
        return "Across procedures" if self is Procedure.MIXED else self.value.replace("-", " ").capitalize()


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Feedback(StrEnum):
    """When students see marks, explanations and feedback."""

    AFTER_SUBMIT = "after-submit"  # exam mode
    AFTER_EACH_STAGE = "after-each-stage"  # tutor mode: a stage's feedback shows once it locks


class ShowAnswers(StrEnum):
    """When students may see the correct answers, explanations and per-choice feedback.

    Marks (how many points each item earned) are always shown after submitting; this
    decides whether the key is revealed with them.
    """

    AFTER_SUBMIT = "after-submit"  # with the result of every submitted attempt
    AFTER_LAST_ATTEMPT = "after-last-attempt"  # once the student has passed or used every attempt
    AFTER_DUE_DATE = "after-due-date"  # once the student's cohort due date has passed (no due date: never)
    NEVER = "never"  # marks only; instructors go through the answers in class

    @property
    def label(self) -> str:
        return {
            "after-submit": "After each submitted attempt",
            "after-last-attempt": "Once the student has passed or used every attempt",
            "after-due-date": "Once the student's due date has passed (never without one)",
            "never": "Never: students see their marks only",
        }[self.value]


class Settings(_Doc):
    """How a module is taken and passed (the server enforces every one of these)."""

    pass_mark: int = Field(default=70, ge=0, le=100, description="percent needed to pass")
    attempts_allowed: int | None = Field(default=None, ge=1, le=100, description="None: as many as they like")
    time_limit_minutes: int | None = Field(default=None, ge=1, le=600, description="None: no time limit")
    # After a failed attempt, the next may start only this many hours later (None: at once).
    retry_wait_hours: int | None = Field(default=None, ge=1, le=720, description="None: retry at once")
    feedback: Feedback = Feedback.AFTER_SUBMIT
    # The safe default: a retry is not a second look at the key.
    show_answers: ShowAnswers = ShowAnswers.AFTER_LAST_ATTEMPT
    # A harmful pick or a wrong safety-critical answer fails the attempt; off for practice modules.
    safety_gate: bool = True
    # Certainty-based marking: the student says how sure they are of each answer (see quizzes.certainty).
    certainty_marking: bool = False
    # With certainty marking, pass on accuracy plus the CBM bonus instead of accuracy alone.
    pass_with_bonus: bool = False

    @model_validator(mode="before")
    @classmethod
    def _tutor_mode_default(cls, data: Any) -> Any:
        # Tutor mode shows each stage's answers as it locks, so it defaults to showing them.
        if isinstance(data, dict) and data.get("feedback") == Feedback.AFTER_EACH_STAGE.value:
            data = {"show_answers": ShowAnswers.AFTER_SUBMIT.value, **data}
        return data

    @model_validator(mode="after")
    def _tutor_mode_shows_answers(self) -> Settings:
        if self.feedback == Feedback.AFTER_EACH_STAGE and self.show_answers != ShowAnswers.AFTER_SUBMIT:
            raise ValueError(
                "feedback after each stage shows the answers as each stage locks; "
                "to hold the answers back, give feedback after submitting instead"
            )
        if self.pass_with_bonus and not self.certainty_marking:
            raise ValueError("passing on the certainty bonus needs certainty marking turned on")
        return self


class Stage(_Doc):
    """One step of a case: what has happened by now, and the questions it raises."""

    title: Title
    narrative: Text
    items: list[AnyItem] = Field(min_length=1, max_length=30)


MediaName = Annotated[str, StringConstraints(pattern=r"^[a-f0-9]{32}\.(jpg|png|webp)$")]


class Case(_Doc):
    """A client's story told in stages, with an optional photo (uploaded, re-encoded, stored by name)."""

    key: Slug
    title: Title
    client: Title = Field(description="who the client is, in a line: age, area treated")
    image: MediaName | None = None
    image_alt: str = Field(default="", max_length=300, description="what the photo shows, for screen readers")
    stages: list[Stage] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _image_described(self) -> Case:
        if self.image and not self.image_alt.strip():
            raise ValueError("describe the photo in a few words (image_alt) for students who cannot see it")
        return self


class Module(_Doc):
    """A case-based quiz module: the unit students take and instructors publish."""

    format: Literal[1] = FORMAT_VERSION
    kind: Literal["module"] = "module"
    slug: Slug
    title: Title
    procedure: Procedure
    summary: Text
    settings: Settings = Settings()
    # Room for a whole imported question bank, one single-stage case per question.
    cases: list[Case] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _keys_unique(self) -> Module:
        for label, keys in (
            ("case key", [c.key for c in self.cases]),
            ("item key", [i.key for i in self.items()]),
        ):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"each {label} must be unique in the module; repeated: {', '.join(dupes)}")
        self._variants_fit()
        return self

    def _variants_fit(self) -> None:
        """A variant names the first item of its slot, in the same stage, and asks the same kind of thing."""
        for case in self.cases:
            for stage in case.stages:
                firsts = {item.key: item for item in stage.items if item.variant_of is None}
                for item in stage.items:
                    if item.variant_of is None:
                        continue
                    first = firsts.get(item.variant_of)
                    if first is None:
                        raise ValueError(
                            f"item '{item.key}' is a variant of '{item.variant_of}', which is not a first "
                            "item (one without variant_of) in the same stage"
                        )
                    for field in SHARED_IN_SLOT:
                        if getattr(item, field) != getattr(first, field):
                            raise ValueError(
                                f"item '{item.key}' is a variant of '{first.key}' but its {field} differs: "
                                "variants of a slot share topic, lesson, points and safety-critical"
                            )

    @property
    def has_variants(self) -> bool:
        """True when some slot holds more than one item."""
        return any(item.variant_of for item in self.items())

    def slots(self) -> dict[str, list[str]]:
        """Each slot's key (its first item's) -> the keys of its items, in written order."""
        out: dict[str, list[str]] = {}
        for item in self.items():
            out.setdefault(item.slot, []).append(item.key)
        return out

    def shown_keys(self, draw: Mapping[str, str] | None) -> set[str]:
        """The keys of the items one attempt shows: per slot, the item ``draw`` names (slot -> item key).

        A slot ``draw`` does not name (or names an item it does not hold) shows its first item,
        so an attempt recorded before variants existed (``draw`` None) sees what it saw then.
        """
        draw = draw or {}
        return {draw[slot] if draw.get(slot) in keys else slot for slot, keys in self.slots().items()}

    def drawn(self, draw: Mapping[str, str] | None) -> Module:
        """The module as one attempt shows it: only the items of ``shown_keys(draw)``.

        Not validated again: it is a view of a validated document, and its variants'
        ``variant_of`` may name an item left out.
        """
        if not self.has_variants:
            return self
        shown = self.shown_keys(draw)
        cases = [
            case.model_copy(
                update={
                    "stages": [
                        stage.model_copy(update={"items": [i for i in stage.items if i.key in shown]})
                        for stage in case.stages
                    ]
                }
            )
            for case in self.cases
        ]
        return self.model_copy(update={"cases": cases})

    def stages(self) -> list[StageRef]:
        """Every stage in the order a student meets it, across cases."""
        return [
            StageRef(index=n, case=case, stage=stage, number_in_case=s + 1)
            for n, (case, s, stage) in enumerate(
                (case, s, stage) for case in self.cases for s, stage in enumerate(case.stages)
            )
        ]

    def items(self) -> Iterator[Item]:
        """Every item, in order."""
        for case in self.cases:
            for stage in case.stages:
                yield from stage.items

    def item_map(self) -> dict[str, Item]:
        """Items by key."""
        return {item.key: item for item in self.items()}

    def lesson_refs(self) -> set[str]:
        """Every lesson section the module points at."""
        return {item.lesson for item in self.items() if item.lesson}

    def publish_problems(self) -> list[tuple[str, str]]:
        """What stops this document being published: (key path, message) for each item
        without a topic or a lesson section. A draft may have them; a version may not."""
        problems = []
        for c, case in enumerate(self.cases):
            for s, stage in enumerate(case.stages):
                for i, item in enumerate(stage.items):
                    where = f"cases[{c}].stages[{s}].items[{i}]"
                    if item.topic is None:
                        problems.append((f"{where}.topic", f"item '{item.key}' needs a topic"))
                    if item.lesson is None:
                        problems.append((f"{where}.lesson", f"item '{item.key}' needs a lesson section"))
        return problems


@dataclass(frozen=True)
class StageRef:
    """A stage with its place in the module."""

    index: int
    case: Case
    stage: Stage
    number_in_case: int


class Section(_Doc):
    """A section of a lesson; its anchor is the stable target of item links."""

    anchor: Slug
    title: Title
    body: Text


class Lesson(_Doc):
    """Reading material: sections that explanations link to."""

    format: Literal[1] = FORMAT_VERSION
    kind: Literal["lesson"] = "lesson"
    slug: Slug
    title: Title
    procedure: Procedure
    summary: Text
    sections: list[Section] = Field(min_length=1, max_length=60)

    @model_validator(mode="after")
    def _anchors_unique(self) -> Lesson:
        anchors = [s.anchor for s in self.sections]
        dupes = sorted({a for a in anchors if anchors.count(a) > 1})
        if dupes:
            raise ValueError(f"section anchors must be unique in a lesson; repeated: {', '.join(dupes)}")
        return self

    def refs(self) -> set[str]:
        """Every ``slug#anchor`` this lesson offers."""
        return {f"{self.slug}#{s.anchor}" for s in self.sections}


def content_hash(doc: Module | Lesson) -> str:
    """A fingerprint of a document's meaning: equal documents hash equal, whatever the file looked like."""
    # Defaults left out, so a new optional field never changes the hash of existing content.
    canonical = json.dumps(doc.model_dump(mode="json", exclude_defaults=True), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
