"""Module and lesson documents: structure rules, navigation helpers and the content hash."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from quizzes.content import FORMAT_VERSION, Lesson, Module, content_hash
from quizzes.items import ITEM_TYPES


@pytest.fixture
def two_case_module(docs) -> Module:
    """Case c1 has two stages (q1, q2 | q3); case c2 has one (q4)."""
    return docs.make_module(
        cases=[
            docs.case(
                "c1",
                docs.stage(docs.item("q1"), docs.item("q2", "multiple"), title="First visit"),
                docs.stage(docs.item("q3", "numeric", lesson="aftercare#swelling"), title="Review"),
            ),
            docs.case("c2", docs.stage(docs.item("q4", "true-false"), title="Consultation")),
        ]
    )


# --- building documents -------------------------------------------------------------


def test_module_holds_every_registered_item_type_as_its_own_class(docs):
    names = sorted(ITEM_TYPES)
    module = docs.make_module(items=[docs.item(f"q{n}", name) for n, name in enumerate(names)])
    assert [type(item) for item in module.items()] == [ITEM_TYPES[name] for name in names]


def test_module_defaults_to_format_1_and_a_pass_mark_of_70(docs):
    module = docs.make_module()
    assert module.format == FORMAT_VERSION == 1
    assert module.kind == "module"
    assert module.settings.pass_mark == 70


def test_unknown_item_type_is_invalid(docs):
    essay = {**docs.item("q1"), "type": "essay"}
    with pytest.raises(ValidationError, match="essay"):
        docs.make_module(items=[essay])


def test_duplicate_item_keys_in_a_module_are_invalid_even_across_cases(docs):
    cases = [docs.case("c1", docs.stage(docs.item("q1"))), docs.case("c2", docs.stage(docs.item("q1")))]
    with pytest.raises(ValidationError, match="each item key must be unique in the module; repeated: q1"):
        docs.make_module(cases=cases)


def test_duplicate_item_keys_in_one_stage_are_invalid(docs):
    with pytest.raises(ValidationError, match="repeated: q1"):
        docs.make_module(items=[docs.item("q1"), docs.item("q2"), docs.item("q1", "numeric")])


def test_duplicate_case_keys_are_invalid(docs):
    cases = [docs.case("c1", docs.stage(docs.item("q1"))), docs.case("c1", docs.stage(docs.item("q2")))]
    with pytest.raises(ValidationError, match="each case key must be unique in the module; repeated: c1"):
        docs.make_module(cases=cases)


def test_the_same_item_key_in_two_modules_is_fine(docs):
    assert docs.make_module("m1").item_map().keys() == docs.make_module("m2").item_map().keys()


def test_a_stage_needs_an_item_and_a_module_needs_a_case(docs):
    with pytest.raises(ValidationError, match="items"):
        docs.make_module(items=[])
    with pytest.raises(ValidationError, match="cases"):
        docs.make_module(cases=[])


@pytest.mark.parametrize("pass_mark", [-1, 101])
def test_pass_mark_is_a_percentage(docs, pass_mark):
    with pytest.raises(ValidationError, match="pass_mark"):
        docs.make_module(pass_mark=pass_mark)


@pytest.mark.parametrize("field", ["slug", "title", "summary"])
def test_module_needs_its_header_fields(docs, field):
    data = docs.module()
    del data[field]
    with pytest.raises(ValidationError, match=field):
        Module.model_validate(data)


def test_unknown_procedure_and_unknown_fields_are_invalid(docs):
    with pytest.raises(ValidationError, match="procedure"):
        docs.make_module(procedure="botox")
    with pytest.raises(ValidationError, match="author"):
        docs.make_module(author="someone")


def test_a_lesson_is_not_a_module(docs):
    with pytest.raises(ValidationError, match="kind"):
        Module.model_validate(docs.module(kind="lesson"))
    with pytest.raises(ValidationError, match="format"):
        Module.model_validate(docs.module(format=2))


def test_documents_are_frozen(docs):
    module = docs.make_module()
    with pytest.raises(ValidationError):
        module.slug = "other"


# --- walking a module ---------------------------------------------------------------


def test_items_come_in_the_order_a_student_meets_them(two_case_module):
    assert [item.key for item in two_case_module.items()] == ["q1", "q2", "q3", "q4"]


def test_stages_are_numbered_across_the_module_and_within_their_case(two_case_module):
    stages = two_case_module.stages()
    assert [(s.index, s.case.key, s.number_in_case, s.stage.title) for s in stages] == [
        (0, "c1", 1, "First visit"),
        (1, "c1", 2, "Review"),
        (2, "c2", 1, "Consultation"),
    ]


def test_item_map_finds_items_by_key(two_case_module):
    items = two_case_module.item_map()
    assert list(items) == ["q1", "q2", "q3", "q4"]
    assert items["q3"].type == "numeric"


def test_lesson_refs_are_every_section_the_items_point_at(two_case_module):
    assert two_case_module.lesson_refs() == {"basics#intro", "aftercare#swelling"}


# --- lessons ------------------------------------------------------------------------


def test_lesson_refs_are_slug_hash_anchor_for_every_section(docs):
    lesson = docs.make_lesson("aftercare", anchors=("swelling", "bruising"))
    assert isinstance(lesson, Lesson)
    assert lesson.refs() == {"aftercare#swelling", "aftercare#bruising"}


def test_duplicate_section_anchors_are_invalid(docs):
    with pytest.raises(ValidationError, match="section anchors must be unique in a lesson; repeated: intro"):
        docs.make_lesson(anchors=("intro", "risks", "intro"))


def test_a_lesson_needs_a_section(docs):
    with pytest.raises(ValidationError, match="sections"):
        docs.make_lesson(anchors=())


@pytest.mark.parametrize("anchor", ["Intro", "in tro", "", "-intro"])
def test_section_anchors_are_slugs(docs, anchor):
    with pytest.raises(ValidationError, match="anchor"):
        docs.make_lesson(anchors=(anchor,))


# --- the content hash ---------------------------------------------------------------


def test_equal_documents_hash_equal(docs):
    assert content_hash(docs.make_module()) == content_hash(docs.make_module())
    assert content_hash(docs.make_lesson()) == content_hash(docs.make_lesson())


def test_content_hash_is_a_sha256_hex_digest(docs):
    digest = content_hash(docs.make_module())
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_content_hash_counts_defaults_whether_written_or_not(docs):
    implicit = docs.module(items=[docs.item("q1")])
    explicit = docs.module(items=[docs.item("q1", points=1.0, shuffle=True)], pass_mark=70)
    assert content_hash(Module.model_validate(implicit)) == content_hash(Module.model_validate(explicit))


def test_content_hash_ignores_whitespace_the_document_strips(docs):
    plain = docs.make_module(items=[docs.item("q1", prompt="Where is the SMAS?")])
    padded = docs.make_module(items=[docs.item("q1", prompt="  Where is the SMAS?\n")])
    assert content_hash(plain) == content_hash(padded)


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Another title"},
        {"pass_mark": 80},
        {"items": [{"key": "q1", "points": 2}]},
        {"items": [{"key": "q1", "choices": "a b* c"}]},
        {"items": [{"key": "q1", "shuffle": False}]},
    ],
    ids=["title", "pass-mark", "points", "which-choice-is-right", "shuffle"],
)
def test_any_change_of_meaning_changes_the_content_hash(docs, change):
    def build(title="Module m1", pass_mark=None, items=({"key": "q1"},)):
        built = []
        for fields in items:
            fields = dict(fields)
            if "choices" in fields:
                fields["choices"] = docs.choices(fields["choices"])
            built.append(docs.item(**fields))
        return docs.make_module(title=title, pass_mark=pass_mark, items=built)

    assert content_hash(build(**change)) != content_hash(build())


def test_a_module_and_a_lesson_never_share_a_hash(docs):
    assert content_hash(docs.make_module("basics")) != content_hash(docs.make_lesson("basics"))
