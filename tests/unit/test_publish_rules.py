"""A draft may lack topics and lesson sections; a published document (and a pack) may not."""

from __future__ import annotations

import pytest
import yaml

from quizzes.formats.packs import PackError, read_pack


def test_an_item_without_topic_or_lesson_is_a_valid_draft_but_not_publishable(docs):
    item = docs.item("q1")
    del item["topic"], item["lesson"]
    module = docs.make_module(items=[item])
    assert module.lesson_refs() == set()
    assert module.publish_problems() == [
        ("cases[0].stages[0].items[0].topic", "item 'q1' needs a topic"),
        ("cases[0].stages[0].items[0].lesson", "item 'q1' needs a lesson section"),
    ]


def test_a_complete_module_has_no_publish_problems(docs):
    assert docs.make_module().publish_problems() == []


def test_a_pack_with_an_incomplete_item_is_refused(docs, tmp_path):
    item = docs.item("q1")
    del item["topic"]
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(docs.module(items=[item])))
    (tmp_path / "l.yaml").write_text(yaml.safe_dump(docs.lesson()))
    with pytest.raises(PackError) as refused:
        read_pack(tmp_path)
    assert [p.where for p in refused.value.problems] == ["cases[0].stages[0].items[0].topic"]
