"""Opaque form values: authored part ids are coded per scope and read back exactly, nothing else."""

from __future__ import annotations

import re

import pytest

from quizzes.items import AnswerError
from quizzes.items.tokens import scoped_tokens

SECRET = b"unit-test-secret"
TYPES = ["single", "multiple", "true-false", "numeric", "ordering", "matching"]


@pytest.fixture
def tokens():
    return scoped_tokens(SECRET, "attempt:1")


@pytest.mark.parametrize("kind", TYPES)
def test_every_type_reads_back_the_answer_its_page_values_encode(docs, tokens, kind):
    item = docs.make_item("q1", kind)
    authored = item.form_values(item.key_answer())
    shown = tokens.encode(item, authored)
    assert item.parse_answer(tokens.decode(item, shown)) == item.key_answer()
    if item.coded_parts():
        ids = {part for parts in item.coded_parts().values() for part in parts}
        assert not ids & {side for value in shown for side in value.split("=")}


@pytest.mark.parametrize("kind", ["single", "multiple", "ordering", "matching"])
def test_an_authored_id_or_another_scopes_value_is_refused(docs, tokens, kind):
    item = docs.make_item("q1", kind)
    authored = item.form_values(item.key_answer())
    elsewhere = scoped_tokens(SECRET, "attempt:2").encode(item, authored)
    for values in (authored, elsewhere):
        with pytest.raises(AnswerError, match="not part of this question"):
            tokens.decode(item, values)


def test_tokens_are_short_url_safe_and_differ_by_scope_item_and_kind(docs):
    first, second = scoped_tokens(SECRET, "attempt:1"), scoped_tokens(SECRET, "attempt:2")
    token = first.token("q1", "part", "a")
    assert re.fullmatch(r"[A-Za-z0-9_-]{12}", token)
    others = {
        second.token("q1", "part", "a"),
        first.token("q2", "part", "a"),
        first.token("q1", "prompt", "a"),
        scoped_tokens(b"another-secret", "attempt:1").token("q1", "part", "a"),
    }
    assert token not in others and len(others) == 4


def test_blanks_and_malformed_pairs_pass_through_for_the_item_to_judge(docs, tokens):
    ordering = docs.make_item("q1", "ordering")
    assert tokens.decode(ordering, ["", "1=", "s1"]) == ["", "1=", "s1"]
    with pytest.raises(AnswerError, match="expected form"):
        ordering.parse_answer(tokens.decode(ordering, ["s1"]))
