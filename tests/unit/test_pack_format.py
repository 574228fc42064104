"""YAML packs: reading, locating problems (file, line, key path), cross-document rules, writing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.content import Lesson, Module, content_hash
from quizzes.formats.packs import PackError, Problem, dump_document, key_path, parse_document, read_pack


def to_yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write(folder: Path, name: str, data: dict | str) -> Path:
    """Write a document (data, or YAML text as is) to ``folder/name``."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else to_yaml(data), encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def problems_of(path: Path, **kwargs) -> list[Problem]:
    with pytest.raises(PackError) as caught:
        read_pack(path, **kwargs)
    return caught.value.problems


@pytest.fixture
def full_module(docs) -> Module:
    """A module using every item type, optional fields, and multi-line text."""
    return docs.make_module(
        "thread-lift-basics",
        pass_mark=75,
        cases=[
            docs.case(
                "jawline",
                docs.stage(
                    docs.item("q1", "single", points=2, shuffle=False),
                    docs.item("q2", "multiple", topic="placement"),
                    narrative="First line.\nSecond line: with a colon.\n\n- not a list",
                ),
                docs.stage(
                    docs.item("q3", "numeric", min=0.5, max=1.25, units="ml", feedback_low="Too little."),
                    docs.item("q4", "true-false", correct=False, feedback_true="No: 'yes' is a trap #1."),
                ),
            )
        ],
        summary="Vectors, depth and aftercare.\n\nTwo paragraphs.",
    )


@pytest.fixture
def basics_lesson(docs) -> Lesson:
    return docs.make_lesson("basics", anchors=("intro", "risks"))


# --- writing and reading back -------------------------------------------------------


@pytest.mark.parametrize("which", ["full_module", "basics_lesson"])
def test_dumped_document_parses_back_equal_with_the_same_hash(request, which):
    doc = request.getfixturevalue(which)
    again, problems = parse_document(dump_document(doc), "export.yaml")
    assert problems == []
    assert again == doc
    assert content_hash(again) == content_hash(doc)


def test_dump_writes_multi_line_text_as_a_block(full_module):
    text = dump_document(full_module)
    assert "narrative: |" in text
    assert "  First line.\n" in text


def test_dumped_document_keeps_the_field_order_of_the_model(full_module):
    text = dump_document(full_module)
    assert text.startswith("format: 1\nkind: module\nslug: thread-lift-basics\n")


def test_dumped_pack_reads_back_from_a_folder(tmp_path, full_module, basics_lesson):
    write(tmp_path, "modules/thread-lift-basics.yaml", dump_document(full_module))
    write(tmp_path, "lessons/basics.yml", dump_document(basics_lesson))
    pack = read_pack(tmp_path)
    assert [doc for _, doc in pack.modules] == [full_module]
    assert [doc for _, doc in pack.lessons] == [basics_lesson]
    assert pack.modules[0][0] == str(tmp_path / "modules" / "thread-lift-basics.yaml")


@pytest.mark.parametrize(
    "awkward", ["\x85", "a\u2028b", "tab\there\nnext", " leading\nspace", "trail \nspace", "x\n\n"]
)
def test_awkward_feedback_text_survives_a_round_trip(docs, awkward):
    item = docs.item("q1", choices=[docs.choice("a", correct=True, feedback=awkward), docs.choice("b")])
    doc = docs.make_module(items=[item])
    assert parse_document(dump_document(doc))[0] == doc


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(min_size=1, max_size=40).filter(str.strip),
    feedback=st.text(max_size=40),
    bounds=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=2, max_size=2).map(sorted),
    points=st.floats(min_value=0, max_value=100, exclude_min=True),
)
def test_any_text_and_numbers_survive_a_round_trip(docs, text, feedback, bounds, points):
    items = [
        docs.item(
            "q1",
            prompt=text,
            points=points,
            choices=[docs.choice("a", correct=True, feedback=feedback, text=text), docs.choice("b")],
        ),
        docs.item("q2", "numeric", min=bounds[0], max=bounds[1], units="ml", feedback_high=feedback),
    ]
    doc = docs.make_module(items=items, summary=text)
    again, problems = parse_document(dump_document(doc))
    assert problems == []
    assert again == doc
    assert content_hash(again) == content_hash(doc)


# --- parsing one document -----------------------------------------------------------


def test_parse_document_gives_a_module_or_a_lesson_by_kind(docs):
    module, _ = parse_document(to_yaml(docs.module()))
    lesson, _ = parse_document(to_yaml(docs.lesson()))
    assert isinstance(module, Module)
    assert isinstance(lesson, Lesson)


def test_invalid_yaml_reports_the_line():
    text = "kind: module\nslug: m1\ntitle: a: b\nsummary: x\n"
    doc, problems = parse_document(text, "broken.yaml")
    assert doc is None
    assert [(p.file, p.line) for p in problems] == [("broken.yaml", 3)]
    assert problems[0].message.startswith("not valid YAML")
    assert str(problems[0]).startswith("broken.yaml:3: not valid YAML")


def test_a_character_yaml_forbids_reports_its_line():
    doc, problems = parse_document("kind: module\nslug: m1\ntitle: bad \x07 bell\n", "bell.yaml")
    assert doc is None
    assert [p.line for p in problems] == [3]


def test_two_documents_in_one_file_are_refused():
    _, problems = parse_document("kind: lesson\n---\nkind: lesson\n")
    assert problems[0].line == 2


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", ""])
def test_a_file_that_is_not_a_mapping_is_a_problem_on_line_one(text):
    doc, problems = parse_document(text, "odd.yaml")
    assert doc is None
    assert [(p.line, p.message) for p in problems] == [(1, "expected a mapping with 'kind: module' or 'kind: lesson'")]


def test_unknown_kind_is_reported_at_the_kind_key():
    _, problems = parse_document("slug: m1\nkind: quiz\n", "q.yaml")
    assert [(p.where, p.line) for p in problems] == [("kind", 2)]


def _bad_items(docs):
    """Each case: (items of the stage, expected key path, text on the expected line)."""
    return {
        "single-with-two-correct": (
            [docs.item("q1", choices=docs.choices("a* b* c"))],
            "cases[0].stages[0].items[0]",
            "- key: q1",
        ),
        "wrong-choice-without-feedback": (
            [
                docs.item("q1", "true-false"),
                docs.item("q2", choices=[docs.choice("a", True), docs.choice("b", feedback="")]),
            ],
            "cases[0].stages[0].items[1].choices[1]",
            "- id: b",
        ),
        "reversed-range": (
            [docs.item("q1", "true-false"), docs.item("q2", "numeric", min=5, max=1)],
            "cases[0].stages[0].items[1]",
            "- key: q2",
        ),
        "wrong-value": (
            [docs.item("q1", "numeric", points="lots")],
            "cases[0].stages[0].items[0].points",
            "points: lots",
        ),
        "bad-lesson-ref": (
            [docs.item("q1", lesson="basics")],
            "cases[0].stages[0].items[0].lesson",
            "lesson: basics",
        ),
    }


@pytest.mark.parametrize(
    "case",
    ["single-with-two-correct", "wrong-choice-without-feedback", "reversed-range", "wrong-value", "bad-lesson-ref"],
)
def test_read_pack_reports_file_line_and_key_path_of_a_bad_item(tmp_path, docs, case):
    items, where, needle = _bad_items(docs)[case]
    write(tmp_path, "basics.yaml", docs.lesson())
    path = write(tmp_path, "m1.yaml", docs.module(items=items))
    problems = problems_of(tmp_path)
    assert len(problems) == 1
    (problem,) = problems
    assert problem.file == str(path)
    assert problem.where == where
    assert problem.line == line_of(path.read_text(), needle)
    assert str(problem).startswith(f"{path}:{problem.line}: {where}: ")


def test_a_missing_field_is_reported_at_the_mapping_that_lacks_it(tmp_path, docs):
    numeric = docs.item("q1", "numeric")
    del numeric["units"]
    path = write(tmp_path, "m1.yaml", docs.module(items=[numeric]))
    (problem,) = problems_of(tmp_path, known_refs={"basics#intro"})
    assert problem.where == "cases[0].stages[0].items[0].units"
    assert problem.line == line_of(path.read_text(), "- key: q1")


def test_duplicate_item_keys_are_reported_for_the_module(tmp_path, docs):
    write(tmp_path, "m1.yaml", docs.module(items=[docs.item("q1"), docs.item("q1", "numeric")]))
    (problem,) = problems_of(tmp_path, known_refs={"basics#intro"})
    assert (problem.where, problem.line) == ("", 1)
    assert "repeated: q1" in problem.message


def test_key_path_reads_like_the_file_without_the_type_tag():
    assert (
        key_path(["cases", 0, "stages", 1, "items", 2, "single", "choices", 3])
        == "cases[0].stages[1].items[2].choices[3]"
    )
    assert key_path(["settings", "pass_mark"]) == "settings.pass_mark"
    assert key_path([]) == ""


def test_problem_reads_as_file_line_where_message():
    assert str(Problem("a.yaml", "slug", "taken", 4)) == "a.yaml:4: slug: taken"
    assert str(Problem("a.yaml", "slug", "taken")) == "a.yaml: slug: taken"
    assert str(Problem("a.yaml", "", "empty")) == "a.yaml: empty"


# --- reading a pack: all or nothing, rules across documents -------------------------


def test_pack_with_one_bad_file_returns_nothing_and_reports_every_problem(tmp_path, docs):
    write(tmp_path, "basics.yaml", docs.lesson())
    write(tmp_path, "good.yaml", docs.module("good"))
    write(tmp_path, "bad-1.yaml", docs.module("bad-one", items=[docs.item("q1", "numeric", min=3, max=1)]))
    write(tmp_path, "bad-2.yaml", "kind: module\nslug: [\n")
    problems = problems_of(tmp_path)
    assert sorted(Path(p.file).name for p in problems) == ["bad-1.yaml", "bad-2.yaml"]


def test_pack_error_message_lists_every_problem(tmp_path, docs):
    write(tmp_path, "a.yaml", "kind: module\nslug: [\n")
    write(tmp_path, "b.yaml", "kind: nothing\n")
    with pytest.raises(PackError) as caught:
        read_pack(tmp_path)
    assert str(caught.value).splitlines() == [str(p) for p in caught.value.problems]
    assert len(caught.value.problems) == 2


def test_unknown_lesson_ref_is_a_problem_at_the_items_lesson(tmp_path, docs):
    write(tmp_path, "basics.yaml", docs.lesson("basics", anchors=("intro",)))
    path = write(tmp_path, "m1.yaml", docs.module(items=[docs.item("q1"), docs.item("q2", lesson="basics#missing")]))
    (problem,) = problems_of(tmp_path)
    assert problem.file == str(path)
    assert problem.where == "cases[0].stages[0].items[1].lesson"
    assert "'basics#missing' is not a section of any known lesson" in problem.message


def test_lesson_ref_resolves_against_a_lesson_in_another_file_of_the_pack(tmp_path, docs):
    write(tmp_path, "lessons/aftercare.yaml", docs.lesson("aftercare", anchors=("swelling",)))
    write(tmp_path, "modules/m1.yaml", docs.module(items=[docs.item("q1", lesson="aftercare#swelling")]))
    assert len(read_pack(tmp_path).modules) == 1


def test_lesson_ref_in_known_refs_is_accepted(tmp_path, docs):
    path = write(tmp_path, "m1.yaml", docs.module(items=[docs.item("q1", lesson="in-db#section")]))
    pack = read_pack(path, known_refs={"in-db#section"})
    assert [doc.slug for _, doc in pack.modules] == ["m1"]
    assert pack.lessons == []


def test_without_known_refs_a_module_alone_cannot_point_at_a_lesson(tmp_path, docs):
    path = write(tmp_path, "m1.yaml", docs.module(items=[docs.item("q1", lesson="in-db#section")]))
    assert [p.where for p in problems_of(path)] == ["cases[0].stages[0].items[0].lesson"]


def test_duplicate_module_slugs_across_files_are_reported(tmp_path, docs):
    write(tmp_path, "basics.yaml", docs.lesson())
    first = write(tmp_path, "a.yaml", docs.module("same"))
    second = write(tmp_path, "b.yaml", docs.module("same", title="Another"))
    (problem,) = problems_of(tmp_path)
    assert (problem.file, problem.where) == (str(second), "slug")
    assert problem.message == f"module 'same' is also defined in {first}"


def test_duplicate_lesson_slugs_across_files_are_reported(tmp_path, docs):
    write(tmp_path, "a.yaml", docs.lesson("basics"))
    second = write(tmp_path, "b.yaml", docs.lesson("basics", anchors=("intro", "more")))
    (problem,) = problems_of(tmp_path)
    assert (problem.file, problem.where) == (str(second), "slug")


def test_a_module_and_a_lesson_may_share_a_slug(tmp_path, docs):
    write(tmp_path, "lesson.yaml", docs.lesson("basics"))
    write(tmp_path, "module.yaml", docs.module("basics"))
    pack = read_pack(tmp_path)
    assert (len(pack.modules), len(pack.lessons)) == (1, 1)


def test_files_that_are_not_yaml_are_skipped(tmp_path, docs):
    write(tmp_path, "basics.yaml", docs.lesson())
    write(tmp_path, "README.md", "# not a document\n")
    write(tmp_path, "notes.txt", "kind: nonsense\n")
    assert len(read_pack(tmp_path).lessons) == 1


def test_a_file_that_is_not_utf8_is_a_problem_not_a_crash(tmp_path, docs):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(to_yaml(docs.lesson(summary="Café")).encode("latin-1"))
    (problem,) = problems_of(tmp_path)
    assert problem.file == str(path)
    assert "UTF-8" in problem.message
    assert problem.line == line_of(to_yaml(docs.lesson(summary="Café")), "Café")


def test_missing_path_and_empty_folder_are_problems(tmp_path):
    assert [p.message for p in problems_of(tmp_path / "nowhere")] == ["no such file or folder"]
    assert [p.message for p in problems_of(tmp_path)] == ["no .yaml files found"]


# --- the content hash of what was written -------------------------------------------


def test_content_hash_ignores_key_order_quoting_comments_and_style(docs):
    plain = """\
kind: lesson
slug: basics
title: Lesson basics
procedure: thread-lift
summary: What this lesson teaches.
sections:
- anchor: intro
  title: Section intro
  body: All about intro.
"""
    rewritten = """\
# The same lesson, written differently.
sections: [{body: "All about intro.", anchor: 'intro', title: "Section intro"}]
"summary": >-
  What this
  lesson teaches.
procedure: "thread-lift"
title: 'Lesson basics'
slug: basics
kind: 'lesson'
format: 1
"""
    first, _ = parse_document(plain)
    second, _ = parse_document(rewritten)
    assert first == second
    assert content_hash(first) == content_hash(second) == content_hash(docs.make_lesson())


def test_content_hash_of_a_module_ignores_how_numbers_are_written(docs):
    data = docs.module(items=[docs.item("q1", "numeric", min=1, max=2, points=1)])
    text = to_yaml(data)
    respelled = text.replace("min: 1", "min: 1.0").replace("max: 2", "max: 2.00").replace("points: 1", "points: +1")
    assert respelled != text
    assert content_hash(parse_document(respelled)[0]) == content_hash(parse_document(text)[0])
