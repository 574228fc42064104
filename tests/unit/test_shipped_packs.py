"""The shipped starter packs: valid, linked, and written in our own words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quizzes.formats.packs import read_pack

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "quizzes" / "packs"
SOURCES = ROOT.parent / "shared" / "sources"
RUN = 10  # no run of this many consecutive words may come from the sources


def words(text: str) -> list[str]:
    """Lower-case words with punctuation dropped (apostrophes and dashes inside words too)."""
    return re.sub(r"[^\w\s]", "", text.lower().replace("’", "'")).split()


def shingles(text: str, n: int = RUN) -> set[tuple[str, ...]]:
    ws = words(text)
    return {tuple(ws[i : i + n]) for i in range(len(ws) - n + 1)}


def all_text(value) -> list[str]:
    """Every string inside a dumped document."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in all_text(v)]
    if isinstance(value, list):
        return [s for v in value for s in all_text(v)]
    return []


@pytest.fixture(scope="module")
def pack():
    return read_pack(PACKS)


def test_shipped_packs_validate_and_every_lesson_link_resolves(pack):
    refs = {ref for _, lesson in pack.lessons for ref in lesson.refs()}
    assert pack.modules and pack.lessons
    for _, module in pack.modules:
        assert module.lesson_refs() <= refs


def test_the_nerve_pain_module_meets_the_first_slice(pack):
    module = next(m for _, m in pack.modules if m.slug == "thread-lift-nerve-pain")
    items = list(module.items())
    assert max(len(case.stages) for case in module.cases) >= 3
    assert len(items) >= 8
    assert {i.topic.value for i in items} == {"anatomy", "placement", "injection-volume", "aftercare"}


@pytest.mark.skipif(not SOURCES.is_dir(), reason="../shared/sources is beside the repository in CI and dev")
def test_no_run_of_ten_words_is_copied_from_the_sources(pack):
    source = set()
    for path in SOURCES.glob("*.txt"):
        source |= shingles(path.read_text(encoding="utf-8"))
    for file, doc in pack.modules + pack.lessons:
        texts = all_text(doc.model_dump(mode="json"))
        for text in [*texts, " ".join(texts)]:
            copied = shingles(text) & source
            assert not copied, f"{file}: copied from the sources: {' '.join(sorted(copied)[0])}"
