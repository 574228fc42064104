"""The shipped starter packs: valid, linked, and written in our own words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quizzes.coverage import summarise
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


def test_every_lesson_section_is_taught_by_at_least_one_item(pack):
    used = {item.lesson for _, module in pack.modules for item in module.items()}
    orphans = sorted(ref for _, lesson in pack.lessons for ref in lesson.refs() if ref not in used)
    assert not orphans, f"sections no item links to: {orphans}"


def test_item_keys_are_unique_across_the_whole_curriculum(pack):
    keys = [item.key for _, module in pack.modules for item in module.items()]
    assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})


def test_answer_keys_are_well_formed(pack):
    for _, module in pack.modules:
        for item in module.items():
            if item.type == "single":
                assert sum(c.correct for c in item.choices) == 1, item.key
            if item.type == "numeric":
                assert item.min <= item.max and item.units, item.key
            assert item.grade(item.key_answer()).is_full, item.key


def test_the_curriculum_meets_its_coverage_minimums(pack):
    summary = summarise(m for _, m in pack.modules)
    rows, totals = summary["modules"], summary["totals"]
    per_procedure = {p: [r for r in rows if r["procedure"] == p] for p in ("thread-lift", "mesotherapy", "mixed")}
    assert len(per_procedure["thread-lift"]) >= 2 and len(per_procedure["mesotherapy"]) >= 2
    assert len(per_procedure["mixed"]) >= 1
    assert totals["cases"] >= 12
    assert totals["cases_with_3_stages"] * 2 >= totals["cases"]
    assert totals["items"] >= 70
    assert all(n >= 12 for n in totals["items_by_topic"].values()), totals["items_by_topic"]
    for procedure in ("thread-lift", "mesotherapy"):
        assert all(n > 0 for n in totals["items_by_procedure_topic"][procedure].values()), procedure
    assert totals["items_by_type"]["ordering"] >= 2 and totals["items_by_type"]["matching"] >= 2


def test_every_lesson_of_each_procedure_exists(pack):
    slugs = {lesson.slug for _, lesson in pack.lessons}
    for procedure in ("thread-lift", "mesotherapy"):
        for part in ("anatomy", "placement", "volume-and-product", "aftercare", "red-flags", "recovery"):
            assert f"{procedure}-{part}" in slugs


def test_cases_read_like_real_clients(pack):
    for _, module in pack.modules:
        for case in module.cases:
            assert re.search(r"\b\d{2}\b", case.client), f"{case.key}: the client line gives no age"
            assert len(case.stages[0].narrative.split()) >= 30, f"{case.key}: the story is too thin"


def test_the_nerve_pain_module_meets_the_first_slice(pack):
    module = next(m for _, m in pack.modules if m.slug == "thread-lift-nerve-pain")
    items = list(module.items())
    assert max(len(case.stages) for case in module.cases) >= 3
    assert len(items) >= 8
    assert {i.topic.value for i in items} == {"anatomy", "placement", "injection-volume", "aftercare", "red-flags"}


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


# ------------------------------------------------------------------ issue 15: a pass means safe practice


def test_every_starter_module_is_strict_about_safety_attempts_and_answers(pack):
    for _, module in pack.modules:
        settings = module.settings
        assert settings.safety_gate and settings.certainty_marking, module.slug
        assert settings.attempts_allowed == 3 and settings.retry_wait_hours == 24, module.slug
        assert settings.show_answers.value == "after-last-attempt", module.slug


def test_every_case_has_a_safety_critical_question_with_a_harmful_answer(pack):
    for _, module in pack.modules:
        for case in module.cases:
            gated = [i for stage in case.stages for i in stage.items if i.safety_critical and i.harmful_parts()]
            assert gated, f"{module.slug}: case {case.key} has no safety-critical question with a harmful answer"


def test_safety_critical_slots_have_a_second_variant_and_a_third_of_all_slots_do(pack):
    for _, module in pack.modules:
        items, slots = module.item_map(), module.slots()
        for slot, keys in slots.items():
            if items[slot].safety_critical:
                assert len(keys) >= 2, f"{module.slug}: safety-critical {slot} has no variant"
        varied = sum(len(keys) >= 2 for keys in slots.values())
        assert 3 * varied >= len(slots), f"{module.slug}: {varied} of {len(slots)} slots have variants"


def test_a_safety_critical_question_is_one_whose_wrong_answers_are_unsafe(pack):
    """Over-caution is wrong but not harmful: a question whose only wrong answers are over-cautious
    (or a recognition list where missing one sign is a slip, not an act) is not a safety gate."""
    for _, module in pack.modules:
        items = module.item_map()
        for slot in module.slots():
            if items[slot].safety_critical:
                assert items[slot].harmful_parts(), f"{module.slug}: {slot} gates on safety but marks nothing harmful"


def test_urgency_questions_never_mark_the_emergency_level_harmful(pack):
    for _, module in pack.modules:
        for item in module.items():
            for choice in getattr(item, "choices", []):
                if choice.id == "emergency-115":
                    assert not choice.harmful, f"{module.slug}: {item.key} marks calling 115 harmful"
