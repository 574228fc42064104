"""The clinical corrections to the starter curriculum, and the item-writing rules, kept from regressing.

``../shared/CURRICULUM.md`` ("Corrections and additions") overrides the two source articles
where following their words literally would teach something unsafe. Each test here pins
one of those rules across every shipped module and lesson, so a later edit that brings the
old teaching back fails here, not in a clinic.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from quizzes.content import Lesson, Module
from quizzes.formats.packs import read_pack
from quizzes.items import ITEM_TYPES, Item, Topic

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "quizzes" / "packs"

# The one urgency scale, in order from most to least urgent (ids and words fixed).
URGENCY = {
    "emergency-115": "Emergency now: call 115",
    "same-day": "Same-day medical assessment",
    "practitioner-48-72h": "Contact the practitioner within 48-72 hours",
    "self-care": "Routine self-care and watch",
}
ASKS_URGENCY = re.compile(r"how urgent|how soon should|urgency|how quickly should", re.I)
FAT = re.compile(r"subcutaneous fat|fat under the skin|fatty layer|layer of fat", re.I)
PARACETAMOL = re.compile(r"paracetamol|panadol|efferalgan", re.I)
ASKS_FIRST = re.compile(r"agree|ask|prescri|approv|check", re.I)


@pytest.fixture(scope="module")
def pack():
    return read_pack(PACKS)


@pytest.fixture(scope="module")
def modules(pack) -> list[Module]:
    return [m for _, m in pack.modules]


@pytest.fixture(scope="module")
def lessons(pack) -> dict[str, Lesson]:
    return {lesson.slug: lesson for _, lesson in pack.lessons}


def every_item(modules) -> list[tuple[Module, Item]]:
    return [(m, i) for m in modules for i in m.items()]


def find(modules, key: str) -> Item:
    return next(i for _, i in every_item(modules) if i.key == key)


def rewarded(item: Item) -> list[str]:
    """What an item counts as right, in words."""
    if item.type in ("single", "multiple"):
        return [c.text for c in item.choices if c.correct]
    if item.type == "true-false":
        return [item.prompt] if item.correct else []
    if item.type == "matching":
        options = {o.id: o.text for o in item.options}
        return [f"{p.text} {options[p.match]}" for p in item.prompts]
    if item.type == "ordering":
        return [s.text for s in item.steps]
    return item.correct_lines()  # numeric, short answer: the key in words


def refused(item: Item) -> list[str]:
    """The choices an item marks wrong."""
    if item.type in ("single", "multiple"):
        return [c.text for c in item.choices if not c.correct]
    if item.type == "true-false":
        return [] if item.correct else [item.prompt]
    return []


def texts(item: Item) -> str:
    """Every word of an item a student reads."""
    dumped = item.model_dump(mode="json")
    found: list[str] = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k not in ("key", "type", "topic", "lesson", "id", "match"):
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(dumped)
    return " ".join(found)


# --- 1. Depth of fat-reduction mesotherapy -------------------------------------------


def test_depth_questions_for_fat_reduction_reward_the_fat_under_the_skin(modules):
    tagged = [i for _, i in every_item(modules) if "depth-fat-reduction" in i.tags]
    named = {"ms-lu-sofia-layer", "ms-ar-daniel-depth", "rf-tom-bumps-layer"}
    assert named <= {i.key for i in tagged}, "the questions the review named must be tagged and fixed"
    for item in tagged:
        assert any(FAT.search(t) for t in rewarded(item)), f"{item.key} does not reward the subcutaneous fat"
        assert not any(FAT.search(t) and not re.search(r"rejuvenat|dermis", t, re.I) for t in refused(item)), item.key


def test_no_question_marks_the_fat_wrong_when_the_aim_is_fat_reduction(modules):
    for _, item in every_item(modules):
        if re.search(r"fat[- ]reduc|lipolytic|fat-dissolving", item.prompt, re.I) and not re.search(
            r"rejuvenat", item.prompt, re.I
        ):
            wrong = [t for t in refused(item) if FAT.search(t) and not re.search(r"dermis|rejuvenat", t, re.I)]
            assert not wrong, f"{item.key} marks the fat layer wrong for fat reduction: {wrong}"


def test_no_text_teaches_that_fat_reduction_stays_out_of_the_fat(modules, lessons):
    old = re.compile(r"not (into )?the fat|middle layer of the skin, not|never (into|in) the fat", re.I)
    for _, item in every_item(modules):
        assert not old.search(texts(item)), item.key
    for lesson in lessons.values():
        for section in lesson.sections:
            assert not old.search(section.body), f"{lesson.slug}#{section.anchor}"


def test_the_mesotherapy_anatomy_lesson_places_each_aim_at_its_depth(lessons):
    sections = {s.anchor: s.body for s in lessons["mesotherapy-anatomy"].sections}
    for anchor in ("the-mesoderm", "uses", "skin-layers", "depth-by-aim"):
        assert anchor in sections and "STUB" not in sections[anchor]
    depth = sections["depth-by-aim"] + sections["uses"]
    assert re.search(r"dermis", depth) and FAT.search(depth)
    assert re.search(r"embryo", sections["the-mesoderm"], re.I), "the mesoderm is the embryo's layer"


# --- 2. One urgency scale, and sudden facial weakness is an emergency ------------------


def _is_urgency_question(item: Item) -> bool:
    ids = {c.id for c in getattr(item, "choices", [])} | {o.id for o in getattr(item, "options", [])}
    return "urgency" in item.tags or bool(ids & URGENCY.keys()) or bool(ASKS_URGENCY.search(item.prompt))


def test_every_urgency_question_offers_the_four_levels_in_their_words(modules):
    urgency = [i for _, i in every_item(modules) if _is_urgency_question(i)]
    assert len(urgency) >= 10, "red flags are taught with the urgency scale in every module"
    for item in urgency:
        assert "urgency" in item.tags, f"{item.key} asks how urgent but is not tagged urgency"
        parts = item.options if item.type == "matching" else getattr(item, "choices", None)
        assert item.type in ("single", "matching") and parts is not None, f"{item.key}: {item.type}"
        assert {p.id: p.text for p in parts} == URGENCY, f"{item.key} does not offer exactly the four levels"
    assert {m.slug for m, i in every_item(modules) if _is_urgency_question(i)} == {m.slug for m in modules}


def test_sudden_weakness_with_stroke_signs_is_always_an_emergency(modules):
    stroke = re.compile(r"slurred|arm (is )?weak|weak arm|droop", re.I)
    sudden = re.compile(r"sudden|all at once|this morning|within minutes|woke", re.I)
    checked = 0
    for _, item in every_item(modules):
        if not _is_urgency_question(item):
            continue
        if item.type == "matching":
            for prompt in item.prompts:
                if stroke.search(prompt.text) and sudden.search(prompt.text):
                    assert prompt.match == "emergency-115", f"{item.key}/{prompt.id}: {prompt.text}"
                    checked += 1
        elif stroke.search(item.prompt) and sudden.search(item.prompt):
            assert item.correct_ids == ["emergency-115"], item.key
            checked += 1
    assert checked >= 2, "at least two urgency questions present a sudden droop with stroke signs"


def test_a_weakness_new_weeks_after_a_lift_is_not_blamed_on_the_thread(modules, lessons):
    week14 = find(modules, "tl-np-week14-action")
    for word in ("stroke", "Bell", "115"):
        assert word in week14.explanation, f"tl-np-week14-action's explanation must name {word}"
    body = " ".join(s.body for s in lessons["thread-lift-red-flags"].sections)
    assert "115" in body and "stroke" in body.lower() and "Bell" in body
    assert "STUB" not in body
    sections = {s.anchor for s in lessons["thread-lift-red-flags"].sections}
    assert {"the-urgency-scale", "new-facial-weakness"} <= sections


# --- 3. Pain relief: paracetamol first ----------------------------------------------


def test_paracetamol_is_rewarded_wherever_pain_relief_is_asked(modules):
    tagged = [(m, i) for m, i in every_item(modules) if "pain-relief" in i.tags]
    assert any(m.procedure.value == "mesotherapy" for m, _ in tagged), "nothing asks what a mesotherapy client takes"
    assert any(m.procedure.value == "thread-lift" for m, _ in tagged)
    for module, item in tagged:
        right = rewarded(item)
        assert any(PARACETAMOL.search(t) for t in right), f"{module.slug}/{item.key} does not reward paracetamol"
        if item.type == "ordering":
            order = [s.text for s in item.steps]
            first = next(n for n, t in enumerate(order) if PARACETAMOL.search(t))
            assert all(n > first for n, t in enumerate(order) if re.search(r"ibuprofen", t, re.I)), item.key


def test_every_medicine_question_about_pain_is_tagged(modules):
    for module, item in every_item(modules):
        choice_texts = " ".join(c.text for c in getattr(item, "choices", []))
        offers_paracetamol = PARACETAMOL.search(choice_texts)
        if offers_paracetamol or (
            re.search(r"\bpain", item.prompt, re.I) and re.search(r"ibuprofen", choice_texts, re.I)
        ):
            assert "pain-relief" in item.tags, f"{module.slug}/{item.key} offers pain relief but is not tagged"


def test_ibuprofen_is_never_rewarded_without_the_practitioner_agreeing(modules):
    for module, item in every_item(modules):
        for text in rewarded(item):
            if re.search(r"ibuprofen|nsaid|anti-inflammator", text, re.I):
                assert ASKS_FIRST.search(text), f"{module.slug}/{item.key} rewards plain ibuprofen: {text}"


def test_both_aftercare_lessons_put_paracetamol_first(lessons):
    for anchor in ("thread-lift-aftercare#pain-relief", "mesotherapy-aftercare#arnica-and-pain-relief"):
        slug, section = anchor.split("#")
        body = next(s.body for s in lessons[slug].sections if s.anchor == section)
        assert re.search(r"paracetamol", body, re.I) and re.search(r"panadol|efferalgan", body, re.I), anchor
        assert body.lower().index("paracetamol") < body.lower().index("ibuprofen"), anchor


def _tagged(modules, tag: str) -> list[Item]:
    return [i for _, i in every_item(modules) if tag in i.tags]


def test_where_the_sources_disagree_on_ibuprofen_the_explanation_names_both_positions(modules):
    tagged = _tagged(modules, "source-conflict-ibuprofen")
    assert len(tagged) >= 2
    for item in tagged:
        text = item.explanation.lower()
        assert "ibuprofen" in text and "bruising" in text and "swelling" in text, item.key


def test_massage_after_mesotherapy_is_taught_by_the_safe_rule(modules):
    tagged = _tagged(modules, "source-conflict-massage")
    assert len(tagged) >= 2
    for item in tagged:
        text = item.explanation.lower()
        assert "48 hours" in text and "approval" in text, item.key
    for module, item in every_item(modules):
        if module.procedure.value == "thread-lift":
            continue
        for text in rewarded(item):
            if re.search(r"massag", text, re.I) and not re.search(r"avoid|not |no |don|lymphatic", text, re.I):
                assert re.search(r"48|two days|approv", text, re.I), f"{module.slug}/{item.key} rewards early massage"


# --- 4. Water, days and steroid ------------------------------------------------------


def _accepts(item: Item, value) -> bool:
    return item.grade(value).is_full


def test_more_water_than_ten_glasses_is_not_marked_wrong(modules):
    item = find(modules, "ms-lu-amira-water")
    if item.type == "numeric":
        assert all(_accepts(item, n) for n in (8, 10, 12)), "8, 10 and 12 glasses are all fine"
    else:
        assert not any(re.search(r"\b1[1-4]\b", t) for t in refused(item)), "12 glasses is not wrong"


def test_a_week_is_read_fairly_as_seven_or_eight_days(modules):
    item = find(modules, "ms-ar-margaret-days")
    if item.type == "numeric":
        assert _accepts(item, 7) and _accepts(item, 8)


def test_a_steroid_into_a_lump_is_offered_only_once_infection_is_ruled_out(modules, lessons):
    for module, item in every_item(modules):
        for text in rewarded(item):
            if re.search(r"steroid", text, re.I) and re.search(r"lump|nodule", text, re.I):
                assert re.search(r"infection", text, re.I), f"{module.slug}/{item.key}: {text}"
    for lesson in lessons.values():
        for section in lesson.sections:
            for sentence in re.split(r"(?<=[.!?])\s+", section.body):
                if re.search(r"steroid injection", sentence, re.I) and re.search(r"lump", sentence, re.I):
                    assert re.search(r"infection", section.body, re.I), f"{lesson.slug}#{section.anchor}"


# --- 5. Item-writing flaws ---------------------------------------------------------


def test_no_combined_choices_or_unanswerable_stems(modules):
    combined = re.compile(r"\b(all|none) of (the above|these)\b|\bboth (of )?(the above|a and b)\b", re.I)
    for _, item in every_item(modules):
        for choice in getattr(item, "choices", []):
            assert not combined.search(choice.text), f"{item.key}/{choice.id}: {choice.text}"
        assert not re.search(r"best reflects what we teach|which (of these )?is true\?$", item.prompt, re.I), item.key


def test_every_choice_says_why(modules):
    lazy = re.compile(
        r"^\W*(this is )?(not what we teach|that is not what we teach|incorrect|wrong|correct|right)\W*$", re.I
    )
    for _, item in every_item(modules):
        for choice in getattr(item, "choices", []):
            assert choice.feedback.strip(), f"{item.key}/{choice.id} has no feedback"
            assert not lazy.match(choice.feedback), f"{item.key}/{choice.id}: {choice.feedback}"
            assert "not what we teach" not in choice.feedback.lower(), f"{item.key}/{choice.id}"
        if item.type == "true-false":
            assert item.feedback_true.strip() and item.feedback_false.strip(), item.key
        if item.type == "matching":
            assert all(p.feedback.strip() for p in item.prompts), item.key


def test_wrong_choices_are_not_absolutes(modules):
    """An absolute word that only wrong choices use is a cue (NBME: "always", "never")."""
    absolute = re.compile(r"\b(always|never|guarantee[sd]?|completely|100%|for as long as)\b", re.I)
    for _, item in every_item(modules):
        if item.type not in ("single", "multiple"):
            continue
        in_right = {w.lower() for c in item.choices if c.correct for w in absolute.findall(c.text)}
        for choice in item.choices:
            if not choice.correct:
                cue = {w.lower() for w in absolute.findall(choice.text)} - in_right
                assert not cue, f"{item.key}/{choice.id} is an absolute: {choice.text}"


def test_the_right_choice_is_not_a_length_cue(modules):
    """Across the single-best-answer questions the key is the longest choice well under half the time."""
    singles = [i for _, i in every_item(modules) if i.type == "single" and "urgency" not in i.tags]
    longest = sum(max(i.choices, key=lambda c: len(c.text)).correct for i in singles)
    assert longest <= 0.5 * len(singles), f"the key is the longest choice in {longest} of {len(singles)}"


def test_named_items_were_rewritten_without_their_cues(modules):
    """The matching and true/false questions the review named: no shared cue words, one idea each."""
    for key in (
        "ms-lu-cause-matching",
        "ms-lu-product-matching",
        "tl-np-materials-match",
        "ta-findings-match",
        "td-relief-match",
        "ms-ar-margaret-matching",
    ):
        item = find(modules, key)
        if item.type != "matching":
            continue
        options = {o.id: set(re.findall(r"[a-z]{5,}", o.text.lower())) for o in item.options}
        for prompt in item.prompts:
            shared = set(re.findall(r"[a-z]{5,}", prompt.text.lower())) & options[prompt.match]
            others = [o for o, words in options.items() if o != prompt.match and shared & words]
            assert not shared or others, f"{key}/{prompt.id} shares '{sorted(shared)}' only with its match"
    for key in ("td-neck-area", "rf-tom-going-back", "ms-ar-daniel-more-volume", "tl-np-motor-sign"):
        item = find(modules, key)
        if item.type == "true-false":
            assert len(re.findall(r"\b(and|but|because|so)\b", item.prompt)) <= 1, f"{key}: {item.prompt}"


# --- 6. Local, readable, deep enough -------------------------------------------------


def test_clients_live_in_vietnam_and_emergencies_call_115(modules, lessons):
    foreign = re.compile(r"\b(911|999|A&E|NHS|GP)\b|\b(Grace|Sofia|Daniel|Priya|Margaret|Hannah|Amira|Tom|Deb|Bern)\b")
    for module in modules:
        for case in module.cases:
            assert not foreign.search(case.client + case.title), f"{module.slug}/{case.key}: {case.client}"
            for stage in case.stages:
                assert not foreign.search(stage.narrative), f"{module.slug}/{case.key}: {stage.title}"
        for item in module.items():
            assert not foreign.search(texts(item)), f"{module.slug}/{item.key}"
    for lesson in lessons.values():
        for section in lesson.sections:
            assert not foreign.search(section.body), f"{lesson.slug}#{section.anchor}"


def test_no_idioms_and_short_sentences(modules, lessons):
    idioms = re.compile(
        r"grit (my|your|her|his) teeth|knows? the drill|on the mend|under the weather|"
        r"touch and go|rule of thumb|nip it in the bud|ring a bell|red herring",
        re.I,
    )
    bodies = [s.body for lesson in lessons.values() for s in lesson.sections]
    bodies += [i.explanation for _, i in every_item(modules)]
    sentences = [s for body in bodies for s in re.split(r"(?<=[.!?])\s+|\n\s*\n|\n\s*[-*] ", body) if s.strip()]
    long = [s for s in sentences if len(s.split()) > 20]
    assert not [b for b in bodies if idioms.search(b)], "idioms do not translate; say it plainly"
    assert len(long) <= 0.12 * len(sentences), f"{len(long)} of {len(sentences)} sentences run over 20 words"
    assert not [s for s in sentences if len(s.split()) > 40], "no sentence runs over 40 words"


def test_named_anatomy_and_dissolving_times_are_taught(modules, lessons):
    anatomy = " ".join(s.body for s in lessons["thread-lift-anatomy"].sections)
    for structure in (
        "temporal",
        "zygomatic",
        "buccal",
        "marginal mandibular",
        "great auricular",
        "infraorbital",
        "supraorbital",
        "parotid duct",
        "facial artery",
        "superficial temporal artery",
        "SMAS",
    ):
        assert structure.lower() in anatomy.lower(), f"thread-lift-anatomy does not name the {structure}"
    assert "STUB" not in anatomy and "leaflet" in anatomy
    linked = {i.lesson for _, i in every_item(modules)}
    for anchor in ("the-safe-plane", "facial-nerve-branches", "sensory-nerve-landmarks", "dissolving-times"):
        assert f"thread-lift-anatomy#{anchor}" in linked
    times = [i for _, i in every_item(modules) if re.search(r"\bPDO\b.*\bmonths\b", texts(i)) and "leaflet" in texts(i)]
    assert times, "a question teaches the typical dissolving times, with the leaflet governing"


def test_the_complications_the_articles_leave_out_each_have_a_case(modules):
    story = {
        m.slug + "/" + c.key: " ".join(
            [c.title, c.client] + [s.narrative for s in c.stages] + [texts(i) for s in c.stages for i in s.items]
        )
        for m in modules
        for c in m.cases
    }
    for complication in (
        r"dimpl|pucker",
        r"poking|pokes|thread end|exposed",
        r"mycobacteri",
        r"hives|anaphyla|allergic reaction",
        r"faint",
        r"stroke|slurred",
    ):
        assert any(re.search(complication, text, re.I) for text in story.values()), complication


def test_the_curriculum_is_big_enough_across_five_topics_and_every_type(modules):
    items = [i for _, i in every_item(modules)]
    topics = Counter(i.topic for i in items)
    types = Counter(i.type for i in items)
    assert sum(len(m.cases) for m in modules) >= 20
    assert len(items) >= 160
    assert set(topics) == set(Topic) and min(topics.values()) >= 20, topics
    assert set(types) == set(ITEM_TYPES), types
    for module in modules:
        assert Topic.RED_FLAGS in {i.topic for i in module.items()}, f"{module.slug} trains no red flags"


def test_every_technical_term_the_content_uses_is_in_the_glossary(modules, lessons):
    glossary = (PACKS / "GLOSSARY.md").read_text(encoding="utf-8").lower()
    listed = {row.split("|")[1].strip() for row in glossary.splitlines() if row.startswith("| ") and "---" not in row}
    content = " ".join(
        [texts(i) for _, i in every_item(modules)] + [s.body for lesson in lessons.values() for s in lesson.sections]
    )
    terms = (
        "dermis",
        "epidermis",
        "subcutaneous fat",
        "SMAS",
        "temporal",
        "zygomatic",
        "buccal",
        "marginal mandibular",
        "great auricular",
        "infraorbital",
        "supraorbital",
        "supratrochlear",
        "parotid",
        "facial artery",
        "angular artery",
        "superficial temporal artery",
        "tragus",
        "masseter",
        "sternocleidomastoid",
        "cannula",
        "vector",
        "lipolytic",
        "necrosis",
        "abscess",
        "mycobacteri",
        "culture",
        "patch test",
        "anaphylaxis",
        "hives",
        "wheeze",
        "stroke",
        "Bell's palsy",
        "paracetamol",
        "NSAID",
        "corticosteroid",
        "lidocaine",
        "arnica",
        "local anaesthetic",
        "dimpling",
        "haematoma",
        "antihistamine",
        "antiseptic",
        "batch number",
        "airway",
        "neuralgia",
        "neuropathy",
        "gabapentin",
        "asymmetry",
    )
    for term in terms:
        if re.search(rf"\b{re.escape(term)}", content, re.I):
            assert any(term.lower() in entry for entry in listed), f"'{term}' is used but not in GLOSSARY.md"
