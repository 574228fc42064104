"""Small builders for quiz documents, shared by the unit tests as the ``docs`` fixture.

Every builder returns plain data (what a pack file holds) with sensible defaults, so a
test spells out only what it is about:

    docs.module(items=[docs.item("q1", "multiple", points=2)])
    docs.make_item("q1", "numeric", min=2, max=3)     # validated Item
"""

from __future__ import annotations

from typing import Any

import pytest

from quizzes.content import Lesson, Module
from quizzes.items import ITEM_TYPES, Item


def choice(choice_id: str, correct: bool = False, feedback: str | None = None, text: str | None = None) -> dict:
    """One choice; a wrong one gets feedback unless told otherwise (``feedback=""``)."""
    if feedback is None:
        feedback = "" if correct else f"{choice_id} is not right."
    return {"id": choice_id, "text": text or f"Choice {choice_id}", "correct": correct, "feedback": feedback}


def choices(spec: str) -> list[dict]:
    """Choices from a compact spec: ``"a* b c"`` is a (correct), b and c (wrong)."""
    return [choice(word.rstrip("*"), correct=word.endswith("*")) for word in spec.split()]


_TYPE_DEFAULTS: dict[str, Any] = {
    "single": lambda: {"choices": choices("a* b c")},
    "multiple": lambda: {"choices": choices("a* b* c d")},
    "true-false": lambda: {"correct": True},
    "numeric": lambda: {"min": 1.0, "max": 2.0, "units": "ml"},
    "ordering": lambda: {"steps": [{"id": i, "text": f"Step {i}"} for i in ("s1", "s2", "s3", "s4")]},
    "matching": lambda: {
        "prompts": [
            {"id": "p1", "text": "Prompt 1", "match": "o1", "feedback": "p1 goes with o1."},
            {"id": "p2", "text": "Prompt 2", "match": "o2", "feedback": "p2 goes with o2."},
        ],
        "options": [{"id": i, "text": f"Option {i}"} for i in ("o1", "o2", "o3")],
    },
    "short-answer": lambda: {
        "answers": [
            {"text": "facial nerve", "feedback": "Yes: the facial nerve."},
            {"text": "*facial*", "percent": 50, "feedback": "Nearly: which facial structure?"},
        ],
        "feedback_wrong": "The facial nerve runs through the parotid gland.",
    },
}


def item(key: str = "q1", type: str = "single", **fields: Any) -> dict:  # noqa: A002
    """An item of ``type`` with defaults for every required field; ``fields`` override."""
    data = {
        "key": key,
        "type": type,
        "prompt": f"Question {key}?",
        "topic": "anatomy",
        "lesson": "basics#intro",
        "explanation": "Because the lesson says so.",
    }
    data.update(_TYPE_DEFAULTS[type]())
    data.update(fields)
    return data


def make_item(key: str = "q1", type: str = "single", **fields: Any) -> Item:  # noqa: A002
    """A validated item of the registered class for ``type``."""
    return ITEM_TYPES[type].model_validate(item(key, type, **fields))


def stage(*items: dict, title: str = "Assessment", narrative: str = "The client arrives.") -> dict:
    return {"title": title, "narrative": narrative, "items": list(items)}


def case(key: str = "c1", *stages: dict) -> dict:
    return {"key": key, "title": f"Case {key}", "client": "42-year-old, jawline", "stages": list(stages)}


def module(
    slug: str = "m1",
    items: list[dict] | None = None,
    cases: list[dict] | None = None,
    pass_mark: int | None = None,
    **fields: Any,
) -> dict:
    """A module; ``items`` go into one case with one stage, or give ``cases`` yourself."""
    if cases is None:
        cases = [case("c1", stage(*(items if items is not None else [item("q1")])))]
    data = {
        "kind": "module",
        "format": 1,
        "slug": slug,
        "title": f"Module {slug}",
        "procedure": "thread-lift",
        "summary": "What this module covers.",
        "cases": cases,
    }
    if pass_mark is not None:
        data["settings"] = {"pass_mark": pass_mark}
    data.update(fields)
    return data


def make_module(*args: Any, **kwargs: Any) -> Module:
    return Module.model_validate(module(*args, **kwargs))


def lesson(slug: str = "basics", anchors: tuple[str, ...] = ("intro",), **fields: Any) -> dict:
    data = {
        "kind": "lesson",
        "format": 1,
        "slug": slug,
        "title": f"Lesson {slug}",
        "procedure": "thread-lift",
        "summary": "What this lesson teaches.",
        "sections": [{"anchor": a, "title": f"Section {a}", "body": f"All about {a}."} for a in anchors],
    }
    data.update(fields)
    return data


def make_lesson(*args: Any, **kwargs: Any) -> Lesson:
    return Lesson.model_validate(lesson(*args, **kwargs))


class Docs:
    """The builders above, as one namespace handed to tests."""

    choice = staticmethod(choice)
    choices = staticmethod(choices)
    item = staticmethod(item)
    make_item = staticmethod(make_item)
    stage = staticmethod(stage)
    case = staticmethod(case)
    module = staticmethod(module)
    make_module = staticmethod(make_module)
    lesson = staticmethod(lesson)
    make_lesson = staticmethod(make_lesson)


@pytest.fixture(scope="session")  # stateless, so hypothesis tests may use it too
def docs() -> type[Docs]:
    return Docs
