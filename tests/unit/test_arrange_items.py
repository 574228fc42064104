"""Ordering and matching items: parsing, grading by hand, validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from quizzes.items import AnswerError


@pytest.fixture
def ordering(docs):
    return docs.make_item("order", "ordering", points=3)


@pytest.fixture
def matching(docs):
    return docs.make_item("match", "matching", points=2)


def test_ordering_parses_position_step_pairs_in_any_order(ordering):
    assert ordering.parse_answer(["2=s2", "1=s1", "", "4=s4"]) == ["s1", "s2", None, "s4"]
    assert ordering.parse_answer(["", ""]) is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["1=s1", "1=s2"], "each position one step"),
        (["1=s1", "2=s1"], "each step once"),
        (["5=s1"], "position is not part"),
        (["x=s1"], "position is not part"),
        (["1=zz"], "step is not part"),
        (["s1"], "expected form"),
    ],
)
def test_ordering_refuses_what_is_not_an_arrangement(ordering, values, message):
    with pytest.raises(AnswerError, match=message):
        ordering.parse_answer(values)


def test_ordering_partial_credit_worked_by_hand(ordering):
    # key s1 s2 s3 s4: three adjacent pairs, each worth 1 of the 3 points
    assert ordering.grade(["s1", "s2", "s3", "s4"]).awarded == 3
    assert ordering.grade(["s2", "s3", "s4", "s1"]).awarded == 2  # s2>s3, s3>s4
    assert ordering.grade(["s1", "s3", "s2", "s4"]).awarded == 0
    assert ordering.grade(["s4", "s3", "s2", "s1"]).awarded == 0
    assert ordering.grade(["s1", "s2", None, "s4"]).awarded == 1
    assert ordering.grade(["s3", "s4", None, None]).awarded == 1  # an empty tail earns nothing more


def test_ordering_describes_positions(ordering):
    assert ordering.describe_lines(["s2", None, "s1", "s3"]) == ["1. Step s2", "2. (empty)", "3. Step s1", "4. Step s3"]
    assert ordering.describe(None) == "No answer"


def test_ordering_needs_three_distinct_steps(docs):
    with pytest.raises(ValidationError):
        docs.make_item("o", "ordering", steps=[{"id": "a", "text": "A"}, {"id": "b", "text": "B"}])
    with pytest.raises(ValidationError, match="step ids must be unique"):
        docs.make_item("o", "ordering", steps=[{"id": "a", "text": "A"}] * 3)


def test_matching_parses_prompt_option_pairs(matching):
    assert matching.parse_answer(["p1=o2", "p2=", "p2=o2"]) == {"p1": "o2", "p2": "o2"}
    assert matching.parse_answer(["", "p1="]) is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["p9=o1"], "prompt is not part"),
        (["p1=o9"], "option is not part"),
        (["p1=o1", "p1=o2"], "each prompt once"),
    ],
)
def test_matching_refuses_unknown_prompts_options_and_repeats(matching, values, message):
    with pytest.raises(AnswerError, match=message):
        matching.parse_answer(values)


def test_matching_partial_credit_and_feedback(matching):
    assert matching.grade({"p1": "o1", "p2": "o2"}).awarded == 2
    assert matching.grade({"p1": "o1", "p2": "o3"}).awarded == 1
    assert matching.grade({"p1": "o1"}).awarded == 1
    assert matching.grade(None).awarded == 0
    assert matching.feedback_for({"p1": "o1", "p2": "o3"}) == ["p2 goes with o2."]
    assert matching.describe_lines({"p1": "o3"}) == ["Prompt 1 → Option o3", "Prompt 2 → (not matched)"]


def test_matching_prompt_must_match_an_existing_option(docs):
    prompts = [{"id": "p1", "text": "P", "match": "nope"}, {"id": "p2", "text": "Q", "match": "o1"}]
    with pytest.raises(ValidationError, match="'nope', which is not an option"):
        docs.make_item("m", "matching", prompts=prompts)
