"""Scoring an attempt: per-item marks, totals, percent and pass/fail."""

from __future__ import annotations

import pytest

from quizzes.items import Mark
from quizzes.scoring import AttemptScore, score_attempt


@pytest.fixture
def mixed_module(docs):
    """10 points over two cases: single 2, multiple 3 (3 correct of 5), true-false 1, numeric 4."""
    return docs.make_module(
        pass_mark=60,
        cases=[
            docs.case(
                "c1",
                docs.stage(docs.item("sba", "single", points=2)),
                docs.stage(docs.item("mr", "multiple", points=3, choices=docs.choices("a* b* c* d e"))),
            ),
            docs.case(
                "c2",
                docs.stage(
                    docs.item("tf", "true-false", correct=True),
                    docs.item("num", "numeric", points=4, min=1, max=2),
                ),
            ),
        ],
    )


def one_point_items(docs, count: int, pass_mark: int):
    """A module of ``count`` one-point true/false items (all true), q0..q{count-1}."""
    return docs.make_module(
        items=[docs.item(f"q{n}", "true-false", correct=True) for n in range(count)], pass_mark=pass_mark
    )


def test_all_right_scores_the_maximum(mixed_module):
    result = score_attempt(mixed_module, {"sba": "a", "mr": ["a", "b", "c"], "tf": True, "num": 1.5})
    assert (result.score, result.max_score) == (10.0, 10.0)
    assert result.percent == 100.0
    assert result.passed


def test_blank_attempt_scores_zero_with_a_mark_for_every_item(mixed_module):
    result = score_attempt(mixed_module, {})
    assert result.marks == {
        "sba": Mark(0.0, 2.0),
        "mr": Mark(0.0, 3.0),
        "tf": Mark(0.0, 1.0),
        "num": Mark(0.0, 4.0),
    }
    assert (result.score, result.max_score, result.percent) == (0.0, 10.0, 0.0)
    assert not result.passed


def test_totals_add_up_item_marks_including_partial_credit(mixed_module):
    # sba wrong (0) + mr a,b,d = (2/3 - 1/2) * 3 = 0.5 + tf right (1) + num right (4) = 5.5 of 10
    result = score_attempt(mixed_module, {"sba": "b", "mr": ["a", "b", "d"], "tf": True, "num": 2})
    assert result.marks["mr"].awarded == pytest.approx(0.5)
    assert result.score == pytest.approx(5.5)
    assert result.max_score == 10.0
    assert result.percent == pytest.approx(55.0)
    assert result.pass_mark == 60
    assert not result.passed


def test_answers_for_keys_that_are_not_items_are_ignored(mixed_module):
    honest = score_attempt(mixed_module, {"tf": True})
    padded = score_attempt(mixed_module, {"tf": True, "bonus": True, "other-module-item": "a", "": 1})
    assert padded == honest
    assert set(padded.marks) == {"sba", "mr", "tf", "num"}


def test_marks_come_in_item_order(mixed_module):
    assert list(score_attempt(mixed_module, {}).marks) == ["sba", "mr", "tf", "num"]


def test_exactly_the_pass_mark_passes(docs):
    module = one_point_items(docs, 10, pass_mark=70)
    result = score_attempt(module, {f"q{n}": True for n in range(7)})
    assert result.percent == 70.0
    assert result.passed


def test_one_mark_below_the_pass_mark_fails(docs):
    module = one_point_items(docs, 10, pass_mark=70)
    result = score_attempt(module, {f"q{n}": True for n in range(6)})
    assert result.percent == 60.0
    assert not result.passed


def test_exactly_the_pass_mark_through_partial_credit_passes(docs):
    # C = 2: one correct pick of two earns exactly half.
    module = docs.make_module(items=[docs.item("q1", "multiple", choices=docs.choices("a* b* c"))], pass_mark=50)
    result = score_attempt(module, {"q1": ["a"]})
    assert result.percent == 50.0
    assert result.passed


def test_a_percent_a_float_hair_under_the_pass_mark_still_passes():
    # 100 * 5.1 / 6 is 84.99999999999999 in floating point, but 85% exactly in arithmetic.
    score = AttemptScore(marks={}, score=5.1, max_score=6.0, pass_mark=85)
    assert score.percent == pytest.approx(85.0)
    assert score.passed


def test_pass_mark_zero_passes_a_blank_attempt_and_one_hundred_needs_everything(docs):
    assert score_attempt(one_point_items(docs, 3, pass_mark=0), {}).passed
    full = one_point_items(docs, 3, pass_mark=100)
    assert not score_attempt(full, {"q0": True, "q1": True}).passed
    assert score_attempt(full, {"q0": True, "q1": True, "q2": True}).passed


def test_totals_are_rounded_so_partial_marks_add_up_cleanly(docs):
    # Six 1-point items each worth 1/6 (pick 1 of 6 correct): 6 * 0.166667 rounds to 1.000002, not 0.999...
    items = [docs.item(f"q{n}", "multiple", choices=docs.choices("a* b* c* d* e* f*")) for n in range(6)]
    result = score_attempt(docs.make_module(items=items), {f"q{n}": ["a"] for n in range(6)})
    assert result.score == pytest.approx(1.0, abs=1e-5)
    assert result.score == round(result.score, 6)
    assert result.max_score == 6.0


def test_percent_of_nothing_is_zero_not_a_division_error():
    assert AttemptScore(marks={}, score=0.0, max_score=0.0, pass_mark=70).percent == 0.0
