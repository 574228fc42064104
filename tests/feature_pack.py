"""The starter pack as the feature tests were written against it: one item per slot, answers
shown after every attempt, as many attempts as wanted, no certainty marking.

Issue 15 made the shipped modules strict (three attempts, a day's wait after a fail, answers
held back, certainty marking, variants drawn at random). Tests of other features (taking,
review, reports, editing...) name the starter module's items and retake it freely, so they
load this copy: the same cases, questions and safety marks (the gate stays on), under the
old rules. Tests of issue 15 itself load the real pack (``STARTER_PACKS``).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from quizzes.content import Module
from quizzes.formats.packs import dump_document, read_pack
from training.services.content import STARTER_PACKS

FEATURE_SETTINGS = {
    "show_answers": "after-submit",
    "attempts_allowed": None,
    "retry_wait_hours": None,
    "certainty_marking": False,
}


def feature_module(module: Module) -> Module:
    """``module`` with its variants left out and the feature tests' settings."""
    data = module.model_dump(mode="json")
    data["settings"].update(FEATURE_SETTINGS)
    for case in data["cases"]:
        for stage in case["stages"]:
            stage["items"] = [item for item in stage["items"] if not item.get("variant_of")]
    return Module.model_validate(data)


@functools.cache
def feature_pack() -> Path:
    """A folder holding the feature tests' copy of the starter pack (written once per test process)."""
    folder = Path(tempfile.mkdtemp(prefix="feature-pack-"))
    pack = read_pack(STARTER_PACKS)
    for _, lesson in pack.lessons:
        (folder / f"lesson-{lesson.slug}.yaml").write_text(dump_document(lesson), encoding="utf-8")
    for _, module in pack.modules:
        (folder / f"module-{module.slug}.yaml").write_text(dump_document(feature_module(module)), encoding="utf-8")
    return folder
