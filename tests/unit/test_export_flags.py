"""Pack YAML and GIFT carry safety-critical marks, harmful answers and variants, and read them back."""

from __future__ import annotations

import pytest

from quizzes.content import Module
from quizzes.formats.gift import dump_gift, parse_gift
from quizzes.formats.packs import dump_document, parse_document
from quizzes.items import ITEM_TYPES
from quizzes.items.editor import Rows


def flagged_module(docs) -> Module:
    """One item of every type with its harmful marking, safety-critical marks and a variant."""
    single = docs.item("red-flag", "single", safety_critical=True)
    single["choices"][1]["harmful"] = True
    variant = docs.item("red-flag-v2", "single", safety_critical=True, variant_of="red-flag", prompt="Reworded?")
    variant["choices"][2]["harmful"] = True
    multiple = docs.item("several", "multiple")
    multiple["choices"][3]["harmful"] = True
    short = docs.item("word", "short-answer")
    short["answers"].append({"text": "heat", "percent": 0, "feedback": "It worsens it.", "harmful": True})
    matching = docs.item("pairs", "matching")
    matching["prompts"][0]["harmful"] = ["o3"]
    items = [
        single,
        variant,
        multiple,
        docs.item("verdict", "true-false", harmful_verdict=False),
        docs.item("dose", "numeric", harmful_below=0.5, harmful_above=3, units="ml"),
        short,
        matching,
        docs.item("steps", "ordering", harmful_if_before=[["s4", "s1"]]),
    ]
    return docs.make_module(items=items)


def test_a_pack_file_carries_every_flag_and_reads_back_equal(docs):
    module = flagged_module(docs)
    text = dump_document(module)
    for words in ("safety_critical: true", "variant_of: red-flag", "harmful: true", "harmful_verdict: false"):
        assert words in text
    assert "harmful_below: 0.5" in text and "harmful_above: 3.0" in text
    assert "harmful_if_before:\n" in text and "- s4\n" in text and "- o3\n" in text
    # Settings are written out too, so a later change of a default cannot change a module.
    assert "show_answers: after-last-attempt" in text and "safety_gate: true" in text
    again, problems = parse_document(text)
    assert problems == [] and again == module


def test_gift_export_reads_back_with_every_flag_gift_can_hold(docs):
    module = flagged_module(docs)
    text = dump_gift(module)
    assert "// safety-critical" in text and "// variant-of: red-flag" in text and "// key: red-flag-v2" in text
    assert "// steps: ordering questions have no GIFT form; not exported." in text
    result = parse_gift(text)
    assert result.problems == []
    read = {q.key: q for q in result.questions}
    assert list(read) == ["red-flag", "red-flag-v2", "several", "verdict", "dose", "word", "pairs"]
    exported = {item.key: item for item in module.items()}
    for key, question in read.items():
        data = question.data | {"key": key, "topic": "anatomy", "lesson": "basics#intro"}
        item = ITEM_TYPES[data["type"]].model_validate(data)
        original = exported[key]
        assert item.safety_critical == original.safety_critical, key
        assert item.variant_of == original.variant_of, key
        assert item.harmful_parts() == original.harmful_parts(), key
    assert read["dose"].data["units"] == "ml"


def test_imported_gift_questions_are_not_safety_critical_unless_a_comment_says_so():
    plain = parse_gift("Where? {=Here ~There}\n")
    assert plain.questions[0].data.get("safety_critical") is None and plain.questions[0].key is None
    marked = parse_gift("// safety-critical\n// harmful: There\n\nWhere? {=Here ~There ~Elsewhere}\n")
    data = marked.questions[0].data
    assert data["safety_critical"] is True and [c.get("harmful", False) for c in data["choices"]] == [
        False,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("gift", "message", "line"),
    [
        ("// harmful: Here\nWhere? {=Here ~There}\n", "names no wrong answer", 1),
        ("Where? {=Here ~There}\n// harmful: Nowhere\n", "names no wrong answer", 2),
        ("// variant-of: Not A Key\nWhere? {=Here ~There}\n", "lower-case letters", 1),
        ("// safety-critical: maybe\nWhere? {=Here ~There}\n", "takes no value", 1),
        ("// units: ml\nWhere? {=Here ~There}\n", "for numeric questions", 1),
        ("Where? {=Here ~There}\n\n// safety-critical\n", "no question after them", 3),
        ("// harmful: True\nSafe? {T}\n", "names no wrong answer", 1),
    ],
)
def test_a_directive_that_does_not_fit_is_reported_at_its_line(gift, message, line):
    result = parse_gift(gift, "bank.gift")
    assert [p.line for p in result.problems] == [line] and message in result.problems[0].message


def test_harmful_words_for_numbers_matches_and_verdicts_are_read():
    text = (
        "// harmful: below 0.2 ml\n// harmful: above 3\nHow much? {#0.5..1}\n\n"
        "// harmful: False\nSafe? {T}\n\n"
        "// harmful: Swelling → Heat\nMatch {=Swelling -> Ice =Stiffness -> Heat}\n"
    )
    dose, verdict, match = parse_gift(text).questions
    assert (dose.data["harmful_below"], dose.data["harmful_above"]) == (0.2, 3.0)
    assert verdict.data["harmful_verdict"] is False
    assert match.data["prompts"][0]["harmful"] == ["o2"]


def test_the_editor_declares_a_harmful_marking_for_every_type_that_has_one():
    for name, item_type in ITEM_TYPES.items():
        declared = {f.name for f in item_type.editor.fields()}
        declared |= {f"{rows.name}.{f.name}" for rows in item_type.editor.rows() for f in rows.fields}
        declared |= {rows.name for rows in item_type.editor.rows()}
        assert any("harmful" in field for field in declared), name
    [pairs] = [rows for rows in ITEM_TYPES["ordering"].editor.rows() if rows.pairs]
    assert isinstance(pairs, Rows) and pairs.name == "harmful_if_before" and pairs.ids is None
    prompts = next(rows for rows in ITEM_TYPES["matching"].editor.rows() if rows.name == "prompts")
    harmful = next(f for f in prompts.fields if f.name == "harmful")
    assert harmful.kind == "picks" and harmful.pick_from == "options"
