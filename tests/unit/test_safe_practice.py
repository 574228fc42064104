"""Issue 15 in the engine: the safety gate, certainty-based marking, the calibration chart and variants."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from pydantic import ValidationError

from quizzes import variants
from quizzes.certainty import (
    BANDS,
    Certainty,
    calibration,
    cbm_fraction,
    expected_for_accuracy,
    overconfident,
    parse_certainty,
    summarise,
)
from quizzes.scoring import score_attempt

# ------------------------------------------------------------------ the safety gate


def harmful_choices():
    return [
        {"id": "a", "text": "Refer today", "correct": True, "feedback": ""},
        {"id": "b", "text": "Call 115", "feedback": "Too much for this."},
        {"id": "c", "text": "Wait until after the weekend", "feedback": "She may have an infection.", "harmful": True},
    ]


@pytest.fixture
def gated(docs):
    """Ten one-point items; q0 has a harmful choice, q1 is safety-critical; pass mark 70."""

    def build(**settings):
        items = [docs.item("q0", "single", choices=harmful_choices())]
        items.append(docs.item("q1", "true-false", correct=True, safety_critical=True))
        items += [docs.item(f"q{n}", "true-false", correct=True) for n in range(2, 10)]
        return docs.make_module(items=items, settings={"pass_mark": 70, **settings})

    return build


def key_answers(module):
    return {item.key: item.key_answer() for item in module.items()}


def test_a_perfect_attempt_except_one_harmful_choice_is_not_passed(gated):
    module = gated()
    result = score_attempt(module, {**key_answers(module), "q0": "c"})
    assert result.percent == pytest.approx(90.0)
    assert result.passed_on_score and result.failed_on_safety and not result.passed
    (miss,) = result.safety_misses
    assert miss.key == "q0" and miss.harmful == ("Wait until after the weekend",) and not miss.critical


def test_a_wrong_but_harmless_choice_still_passes_on_score(gated):
    module = gated()
    result = score_attempt(module, {**key_answers(module), "q0": "b"})
    assert result.passed and not result.safety_misses


def test_a_missed_safety_critical_question_fails_even_when_left_blank(gated):
    module = gated()
    answers = key_answers(module)
    del answers["q1"]
    result = score_attempt(module, answers)
    assert result.percent == pytest.approx(90.0) and not result.passed
    assert [(m.key, m.critical) for m in result.safety_misses] == [("q1", True)]


def test_the_gate_can_be_turned_off_for_practice(gated):
    module = gated(safety_gate=False)
    result = score_attempt(module, {**key_answers(module), "q0": "c"})
    assert result.passed and result.safety_misses and not result.failed_on_safety


def test_a_correct_choice_cannot_be_harmful(docs):
    with pytest.raises(ValidationError, match="both correct and harmful"):
        docs.make_item(choices=[{"id": "a", "text": "A", "correct": True, "harmful": True}, docs.choice("b")])


@pytest.mark.parametrize(
    ("type_", "fields", "harmful_answer", "harmless_wrong"),
    [
        ("true-false", {"correct": True, "harmful_verdict": False}, False, None),
        ("numeric", {"min": 1, "max": 2, "units": "ml", "harmful_above": 3}, 5.0, 2.5),
        (
            "ordering",
            {"steps": [{"id": f"s{i}", "text": f"Step {i}"} for i in (1, 2, 3)], "harmful_if_before": [["s3", "s1"]]},
            ["s3", "s1", "s2"],
            ["s1", "s3", "s2"],
        ),
        (
            "matching",
            {
                "prompts": [
                    {"id": "p1", "text": "Fever", "match": "o1", "harmful": ["o3"]},
                    {"id": "p2", "text": "Bruise", "match": "o2"},
                ],
                "options": [{"id": f"o{i}", "text": f"Option {i}"} for i in (1, 2, 3)],
            },
            {"p1": "o3", "p2": "o2"},
            {"p1": "o2", "p2": "o2"},
        ),
        (
            "short-answer",
            {"answers": [{"text": "paracetamol"}, {"text": "aspirin", "percent": 0, "harmful": True}]},
            "Aspirin",
            "water",
        ),
    ],
)
def test_every_type_can_mark_a_harmful_answer(docs, type_, fields, harmful_answer, harmless_wrong):
    item = docs.make_item("q", type_, **fields)
    assert item.harmful_parts()
    assert item.harmful_picks(harmful_answer) and item.safety_miss(harmful_answer)
    assert not item.harmful_picks(item.key_answer()) and not item.safety_miss(item.key_answer())
    if harmless_wrong is not None:
        assert not item.grade(harmless_wrong).is_full and not item.safety_miss(harmless_wrong)


@pytest.mark.parametrize(
    ("type_", "fields", "message"),
    [
        ("true-false", {"correct": True, "harmful_verdict": True}, "harmful verdict"),
        ("numeric", {"min": 1, "max": 2, "units": "ml", "harmful_above": 1.5}, "harmful above"),
        (
            "ordering",
            {"steps": [{"id": f"s{i}", "text": f"Step {i}"} for i in (1, 2, 3)], "harmful_if_before": [["s1", "s2"]]},
            "is the correct order",
        ),
        ("short-answer", {"answers": [{"text": "x"}, {"text": "y", "percent": 50, "harmful": True}]}, "must be 0%"),
    ],
)
def test_a_right_answer_cannot_be_marked_harmful(docs, type_, fields, message):
    with pytest.raises(ValidationError, match=message):
        docs.make_item("q", type_, **fields)


# ------------------------------------------------------------------ certainty-based marking

# Moodle's table (Gardner-Medwin): certainty -> (mark if right, mark if wrong).
MOODLE = {1: (1, 0), 2: (2, -2), 3: (3, -6)}


@pytest.mark.parametrize("certainty", [1, 2, 3])
@pytest.mark.parametrize("right", [True, False])
def test_cbm_marks_equal_moodles_table_for_every_combination(docs, certainty, right):
    assert cbm_fraction(1.0 if right else 0.0, certainty) == MOODLE[certainty][0 if right else 1]
    module = docs.make_module(
        items=[docs.item("q", "true-false", correct=True, points=2)], settings={"certainty_marking": True}
    )
    result = score_attempt(module, {"q": right}, {"q": certainty})
    assert result.cbm.average == MOODLE[certainty][0 if right else 1]  # per point, whatever the points
    assert result.cbm.accuracy == (1.0 if right else 0.0)


def test_no_certainty_counts_as_low_and_partial_credit_scales_the_right_mark():
    assert cbm_fraction(0.0, None) == 0 and cbm_fraction(1.0, None) == 1
    assert cbm_fraction(0.5, 3) == pytest.approx(1.5)
    assert cbm_fraction(0.5, 2) == pytest.approx(1.0)


def test_parse_certainty_takes_one_level_or_blank():
    assert parse_certainty(["3"]) is Certainty.HIGH and parse_certainty([" "]) is None and parse_certainty([]) is None
    for bad in (["4"], ["1", "2"], ["high"]):
        with pytest.raises(ValueError, match="how sure"):
            parse_certainty(bad)


def test_the_bonus_is_a_tenth_of_the_cbm_average_above_what_the_accuracy_expects():
    # 4 answers: right at high, right at high, wrong at low, right at medium -> accuracy 75%.
    result = summarise([(1, 1, 3), (1, 1, 3), (0, 1, 1), (1, 1, 2)])
    assert result.accuracy == 0.75
    assert result.average == pytest.approx((3 + 3 + 0 + 2) / 4)
    # At 75% right, medium pays best: 0.75 * 2 + 0.25 * -2 = 1.
    assert expected_for_accuracy(0.75) == pytest.approx(1.0)
    assert result.bonus == pytest.approx(0.1 * (2.0 - 1.0))
    assert result.accuracy_and_bonus == pytest.approx(0.85)


def test_the_pass_stays_on_accuracy_unless_the_module_passes_on_the_bonus(docs):
    items = [docs.item(f"q{n}", "true-false", correct=True) for n in range(4)]
    answers = {"q0": True, "q1": True, "q2": True, "q3": False}
    sure = {"q0": 1, "q1": 1, "q2": 1, "q3": 3}  # right only when unsure; confidently wrong
    accuracy = docs.make_module(items=items, settings={"pass_mark": 70, "certainty_marking": True})
    assert score_attempt(accuracy, answers, sure).passed  # 75% >= 70%
    bonus = docs.make_module(
        items=items, settings={"pass_mark": 70, "certainty_marking": True, "pass_with_bonus": True}
    )
    result = score_attempt(bonus, answers, sure)
    assert result.cbm.bonus < 0 and not result.passed


def test_passing_on_the_bonus_needs_certainty_marking(docs):
    with pytest.raises(ValidationError, match="certainty marking"):
        docs.make_module(settings={"pass_with_bonus": True})


def test_the_calibration_chart_figures():
    rows = calibration([(1, 3), (1, 3), (0, 3), (1, 3), (1, 3), (1, 2), (0, 2), (0, 1), (1, 1), (1, 1), (0.5, None)])
    by = {row.level: row for row in rows}
    high, medium, low = by[Certainty.HIGH], by[Certainty.MEDIUM], by[Certainty.LOW]
    assert (high.answers, high.right, high.share, high.band) == (5, 4, 0.8, (0.8, 1.0))
    assert high.verdict == "ok"  # exactly on the band's edge
    assert (medium.answers, medium.share, medium.verdict) == (2, 0.5, "over")  # 50% < 67%
    assert (low.answers, low.right) == (4, 2.5)  # no certainty counts as low; half credit counts half
    assert low.share == pytest.approx(0.625) and low.verdict == "ok"
    assert calibration([(1, 1), (1, 1)])[0].verdict == "under"  # always right when unsure
    assert calibration([])[2].share is None and calibration([])[2].verdict is None
    assert BANDS[Certainty.MEDIUM] == pytest.approx((2 / 3, 0.8))


def test_confidently_wrong_means_medium_or_high_with_no_credit():
    assert overconfident(0, 3) and overconfident(0, 2)
    assert not overconfident(0, 1) and not overconfident(0, None) and not overconfident(0.5, 3)


# ------------------------------------------------------------------ variants


@pytest.fixture
def varied(docs):
    """Slot q1 has three variants, slot q2 has two; q3 stands alone."""
    return docs.make_module(
        items=[
            docs.item("q1", "true-false", correct=True),
            docs.item("q1-v2", "true-false", correct=False, variant_of="q1"),
            docs.item("q1-v3", "true-false", correct=True, variant_of="q1"),
            docs.item("q2", "single"),
            docs.item("q2-v2", "single", variant_of="q2"),
            docs.item("q3", "numeric"),
        ]
    )


def test_an_attempt_shows_one_variant_per_slot(varied):
    assert varied.slots() == {"q1": ["q1", "q1-v2", "q1-v3"], "q2": ["q2", "q2-v2"], "q3": ["q3"]}
    shown = varied.drawn({"q1": "q1-v3", "q2": "q2"})
    assert [i.key for i in shown.items()] == ["q1-v3", "q2", "q3"]
    assert [i.key for i in varied.drawn(None).items()] == ["q1", "q2", "q3"]  # before variants: the firsts
    result = score_attempt(shown, {"q1-v3": True, "q2": "a", "q3": 1.5})
    assert result.max_score == 3 and result.percent == 100


def test_a_retry_draws_unseen_variants_while_any_remain(varied):
    rng = random.Random(7)
    draws: list[dict] = []
    for _ in range(3):
        draws.append(variants.draw(varied, variants.times_seen(varied, draws), rng))
    assert sorted(d["q1"] for d in draws) == ["q1", "q1-v2", "q1-v3"]  # each of the three once
    assert sorted(d["q2"] for d in draws[:2]) == ["q2", "q2-v2"]  # both before any repeat
    # Once all are seen, the least seen come next.
    fourth = variants.draw(varied, variants.times_seen(varied, draws), rng)
    seen = variants.times_seen(varied, draws)
    assert seen[fourth["q2"]] == min(seen["q2"], seen["q2-v2"])


def test_an_old_attempt_without_a_draw_counts_as_having_seen_the_first_items(varied):
    assert variants.times_seen(varied, [None]) == Counter({"q1": 1, "q2": 1, "q3": 1})
    draw = variants.draw(varied, variants.times_seen(varied, [None]), random.Random(1))
    assert draw["q1"] != "q1" and draw["q2"] == "q2-v2"


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ({"variant_of": "nope"}, "not a first item"),
        ({"variant_of": "q1", "topic": "placement"}, "topic differs"),
        ({"variant_of": "q1", "points": 2}, "points differs"),
        ({"variant_of": "q1", "safety_critical": True}, "safety_critical differs"),
    ],
)
def test_a_variant_must_fit_its_slot(docs, variant, message):
    with pytest.raises(ValidationError, match=message):
        docs.make_module(
            items=[docs.item("q1", "true-false", correct=True), docs.item("q2", "true-false", correct=True, **variant)]
        )


def test_a_variant_must_sit_in_its_slots_stage(docs):
    with pytest.raises(ValidationError, match="same stage"):
        docs.make_module(
            cases=[
                docs.case(
                    "c1",
                    docs.stage(docs.item("q1", "true-false", correct=True)),
                    docs.stage(docs.item("q2", "true-false", correct=True, variant_of="q1")),
                )
            ]
        )


def test_new_modules_hold_the_answers_back_until_passed_or_out_of_attempts(docs):
    assert docs.make_module().settings.show_answers.value == "after-last-attempt"
    tutor = docs.make_module(settings={"feedback": "after-each-stage"})
    assert tutor.settings.show_answers.value == "after-submit"
