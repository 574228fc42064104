"""Item types one by one: parsing, grading, feedback, description and validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from quizzes.items import ITEM_TYPES, AnswerError, Mark, MultipleResponse, Numeric, SingleBestAnswer, TrueFalse, grade


@pytest.fixture
def single(docs):
    """a is right; b and c are wrong with feedback; a has feedback too."""
    return docs.make_item(
        "q1",
        "single",
        points=2,
        choices=[
            docs.choice("a", correct=True, feedback="Yes: the SMAS lies there."),
            docs.choice("b", feedback="Too superficial."),
            docs.choice("c", feedback="Too deep."),
        ],
    )


@pytest.fixture
def multiple(docs):
    """3 correct (a, b, c) of 5; d and e are wrong."""
    return docs.make_item("q2", "multiple", points=6, choices=docs.choices("a* b* c* d e"))


@pytest.fixture
def numeric(docs):
    return docs.make_item(
        "q3",
        "numeric",
        min=0.5,
        max=1.5,
        units="ml",
        feedback_low="Too little to fill the area.",
        feedback_high="Too much: risk of nodules.",
    )


@pytest.fixture
def true_false(docs):
    return docs.make_item(
        "q4", "true-false", correct=False, feedback_true="It is not.", feedback_false="Right: it is not."
    )


# --- the registry -------------------------------------------------------------------


def test_registry_maps_each_type_name_to_the_class_that_declares_it():
    for name, cls in ITEM_TYPES.items():
        assert cls.model_fields["type"].annotation.__args__ == (name,)


def test_registry_grade_entry_point_is_the_items_own_grade(single):
    assert grade(single, "a") == single.grade("a")


@pytest.mark.parametrize("type_name", sorted(ITEM_TYPES))
def test_blank_answer_earns_nothing_for_every_type(docs, type_name):
    item = docs.make_item("q1", type_name)
    assert item.grade(None) == Mark(awarded=0.0, points=item.points)
    assert item.parse_answer([]) is None
    assert item.parse_answer(["", "   "]) is None
    assert item.feedback_for(None) == []
    assert item.describe(None) == "No answer"


# --- single best answer -------------------------------------------------------------


def test_single_right_choice_earns_all_points(single):
    assert isinstance(single, SingleBestAnswer)
    assert single.grade("a") == Mark(awarded=2.0, points=2.0)
    assert single.grade("a").is_full


def test_single_wrong_choice_earns_nothing(single):
    assert single.grade("b") == Mark(awarded=0.0, points=2.0)
    assert single.grade("c").fraction == 0.0


def test_single_parses_one_choice_id_and_trims_it(single):
    assert single.parse_answer(["b"]) == "b"
    assert single.parse_answer(["  c "]) == "c"
    assert single.parse_answer(["", "a"]) == "a"


def test_single_refuses_two_values(single):
    with pytest.raises(AnswerError, match="one answer"):
        single.parse_answer(["a", "b"])


def test_single_refuses_an_unknown_choice_id(single):
    with pytest.raises(AnswerError, match="not part of this question"):
        single.parse_answer(["z"])


def test_single_key_is_the_correct_choice(single):
    assert single.key_answer() == "a"
    assert single.correct_ids == ["a"]


def test_single_feedback_is_the_chosen_choices_feedback(single):
    assert single.feedback_for("b") == ["Too superficial."]
    assert single.feedback_for("c") == ["Too deep."]
    assert single.feedback_for("a") == ["Yes: the SMAS lies there."]


def test_single_correct_choice_without_feedback_gives_no_feedback(docs):
    item = docs.make_item(choices=docs.choices("a* b"))
    assert item.feedback_for("a") == []


def test_single_describes_the_chosen_choice_text(single):
    assert single.describe("b") == "Choice b"


def test_single_with_two_correct_choices_is_invalid(docs):
    with pytest.raises(ValidationError, match="exactly one correct choice, found 2"):
        docs.make_item(choices=docs.choices("a* b* c"))


def test_single_with_no_correct_choice_is_invalid(docs):
    with pytest.raises(ValidationError, match="exactly one correct choice, found 0"):
        docs.make_item(choices=docs.choices("a b c"))


# --- multiple response --------------------------------------------------------------


def test_multiple_key_earns_all_points(multiple):
    assert isinstance(multiple, MultipleResponse)
    assert multiple.key_answer() == ["a", "b", "c"]
    assert multiple.grade(["a", "b", "c"]) == Mark(awarded=6.0, points=6.0)


def test_multiple_each_correct_pick_earns_one_over_c(multiple):
    # C = 3: one correct pick is 1/3 of 6 points, two are 2/3.
    assert multiple.grade(["a"]).awarded == pytest.approx(2.0)
    assert multiple.grade(["a", "c"]).awarded == pytest.approx(4.0)


def test_multiple_two_correct_and_one_wrong_earns_two_thirds_minus_one_half(multiple):
    # C = 3, W = 2: 2/3 - 1/2 = 1/6 of 6 points = 1 point.
    mark = multiple.grade(["a", "b", "d"])
    assert mark.fraction == pytest.approx(2 / 3 - 1 / 2, abs=1e-6)
    assert mark.awarded == pytest.approx(1.0, abs=1e-6)


def test_multiple_partial_mark_is_rounded_not_truncated(docs):
    item = docs.make_item("q", "multiple", points=1, choices=docs.choices("a* b* c* d e"))
    assert item.grade(["a", "b", "d"]).awarded == 0.166667


def test_multiple_never_goes_below_zero(multiple):
    # 1/3 - 2/2 would be -2/3.
    assert multiple.grade(["a", "d", "e"]) == Mark(awarded=0.0, points=6.0)
    assert multiple.grade(["d", "e"]).awarded == 0.0


def test_multiple_picking_every_choice_earns_nothing(multiple):
    assert multiple.grade(["a", "b", "c", "d", "e"]).awarded == 0.0


def test_multiple_with_no_wrong_choices_counts_only_correct_picks(docs):
    item = docs.make_item("q", "multiple", points=2, choices=docs.choices("a* b*"))
    assert item.grade(["a"]).awarded == pytest.approx(1.0)
    assert item.grade(["a", "b"]).is_full


def test_multiple_empty_pick_earns_nothing(multiple):
    assert multiple.grade([]).awarded == 0.0


def test_multiple_parses_a_sorted_deduplicated_list(multiple):
    assert multiple.parse_answer(["c", " a", "c", ""]) == ["a", "c"]


def test_multiple_refuses_an_unknown_choice_id(multiple):
    with pytest.raises(AnswerError):
        multiple.parse_answer(["a", "zz"])


def test_multiple_feedback_is_every_chosen_choices_feedback_in_written_order(docs):
    item = docs.make_item(
        "q",
        "multiple",
        choices=[
            docs.choice("a", correct=True, feedback="A is part of it."),
            docs.choice("b", correct=True),
            docs.choice("c", feedback="C is not."),
            docs.choice("d", feedback="D is not."),
        ],
    )
    assert item.feedback_for(["d", "a", "b"]) == ["A is part of it.", "D is not."]
    assert item.feedback_for(["b"]) == []


def test_multiple_describes_picks_in_written_order(multiple):
    assert multiple.describe(["d", "a"]) == "Choice a; Choice d"
    assert multiple.describe([]) == "No answer"


def test_multiple_without_a_correct_choice_is_invalid(docs):
    with pytest.raises(ValidationError, match="at least one correct choice"):
        docs.make_item("q", "multiple", choices=docs.choices("a b c"))


# --- shared choice rules ------------------------------------------------------------


@pytest.mark.parametrize("type_name", ["single", "multiple"])
def test_wrong_choice_without_feedback_is_invalid(docs, type_name):
    bad = [docs.choice("a", correct=True), docs.choice("b", feedback="")]
    with pytest.raises(ValidationError, match="'b' is wrong, so it needs feedback"):
        docs.make_item("q", type_name, choices=bad)


def test_wrong_choice_with_only_blank_feedback_is_invalid(docs):
    with pytest.raises(ValidationError, match="needs feedback"):
        docs.make_item(choices=[docs.choice("a", correct=True), docs.choice("b", feedback="   ")])


@pytest.mark.parametrize("type_name", ["single", "multiple"])
def test_duplicate_choice_ids_are_invalid(docs, type_name):
    with pytest.raises(ValidationError, match="choice ids must be unique in an item; repeated: b"):
        docs.make_item("q", type_name, choices=docs.choices("a* b b c"))


def test_an_item_needs_at_least_two_choices(docs):
    with pytest.raises(ValidationError, match="at least 2"):
        docs.make_item(choices=docs.choices("a*"))


@pytest.mark.parametrize("bad_id", ["A", "-a", "a b", "", "x" * 41])
def test_choice_ids_are_lowercase_slugs(docs, bad_id):
    with pytest.raises(ValidationError):
        docs.make_item(choices=[docs.choice("a", correct=True), docs.choice(bad_id)])


# --- true / false -------------------------------------------------------------------


def test_true_false_right_verdict_earns_all_points(true_false):
    assert isinstance(true_false, TrueFalse)
    assert true_false.grade(False).is_full
    assert true_false.key_answer() is False


def test_true_false_wrong_verdict_earns_nothing(true_false):
    assert true_false.grade(True).awarded == 0.0


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("False", False), (" TRUE ", True)])
def test_true_false_parses_true_or_false_in_any_case(true_false, raw, expected):
    assert true_false.parse_answer([raw]) is expected


@pytest.mark.parametrize("raw", [["yes"], ["1"], ["true", "false"]])
def test_true_false_refuses_anything_else(true_false, raw):
    with pytest.raises(AnswerError):
        true_false.parse_answer(raw)


def test_true_false_feedback_follows_the_verdict_given(true_false):
    assert true_false.feedback_for(True) == ["It is not."]
    assert true_false.feedback_for(False) == ["Right: it is not."]


def test_true_false_without_feedback_gives_none(docs):
    item = docs.make_item("q", "true-false", correct=True)
    assert item.feedback_for(True) == []
    assert item.feedback_for(False) == []


def test_true_false_describes_the_verdict(true_false):
    assert true_false.describe(True) == "True"
    assert true_false.describe(False) == "False"


# --- numeric ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.5, 1.0, 1.5])
def test_numeric_value_in_the_range_inclusive_earns_all_points(numeric, value):
    assert isinstance(numeric, Numeric)
    assert numeric.grade(value) == Mark(awarded=1.0, points=1.0)


@pytest.mark.parametrize("value", [0.49, 1.51, -1.0, float("inf"), float("nan")])
def test_numeric_value_outside_the_range_earns_nothing(numeric, value):
    assert numeric.grade(value).awarded == 0.0


def test_numeric_key_lies_in_the_range(numeric):
    assert numeric.key_answer() == 1.0
    assert numeric.grade(numeric.key_answer()).is_full


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", 1.0), ("1.25", 1.25), ("1,25", 1.25), (" -0.5 ", -0.5), ("+2", 2.0), (".5", 0.5), (",5", 0.5), ("3.", 3.0)],
)
def test_numeric_parses_decimal_point_or_comma(numeric, raw, expected):
    assert numeric.parse_answer([raw]) == expected


@pytest.mark.parametrize(
    "raw", ["abc", "1e5x", "nan", "NaN", "inf", "-inf", "1e5", "1.2.3", "--1", "1 000", "0x10", "½"]
)
def test_numeric_refuses_what_is_not_a_plain_number(numeric, raw):
    with pytest.raises(AnswerError, match="is not a number"):
        numeric.parse_answer([raw])


def test_numeric_refuses_a_number_too_large_to_be_finite(numeric):
    with pytest.raises(AnswerError):
        numeric.parse_answer(["9" * 400])


def test_numeric_refuses_two_values(numeric):
    with pytest.raises(AnswerError, match="one answer"):
        numeric.parse_answer(["1", "2"])


def test_numeric_feedback_says_too_low_or_too_high(numeric):
    assert numeric.feedback_for(0.1) == ["Too little to fill the area."]
    assert numeric.feedback_for(9.0) == ["Too much: risk of nodules."]


def test_numeric_inside_the_range_gets_no_range_feedback(numeric):
    assert numeric.feedback_for(0.5) == []
    assert numeric.feedback_for(1.5) == []


def test_numeric_without_range_feedback_gives_none(docs):
    item = docs.make_item("q", "numeric", min=1, max=2)
    assert item.feedback_for(0.0) == []
    assert item.feedback_for(3.0) == []


def test_numeric_describes_the_value_with_its_units(numeric):
    assert numeric.describe(1.25) == "1.25 ml"


def test_numeric_accepted_range_in_words(docs):
    assert docs.make_item("q", "numeric", min=0.5, max=1.5, units="ml").accepted == "0.5 to 1.5 ml"
    assert docs.make_item("q", "numeric", min=2, max=2, units="mm").accepted == "2 mm"


def test_numeric_range_of_one_value_is_valid_and_its_key_is_that_value(docs):
    item = docs.make_item("q", "numeric", min=2, max=2)
    assert item.key_answer() == 2.0
    assert item.grade(2.0).is_full


def test_numeric_reversed_range_is_invalid(docs):
    with pytest.raises(ValidationError, match="the range is reversed: min 3 is above max 1"):
        docs.make_item("q", "numeric", min=3, max=1)


@pytest.mark.parametrize("bound", ["min", "max"])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_numeric_bounds_must_be_finite(docs, bound, value):
    with pytest.raises(ValidationError):
        docs.make_item("q", "numeric", **{bound: value})


def test_numeric_needs_units(docs):
    with pytest.raises(ValidationError):
        docs.make_item("q", "numeric", units="  ")


# --- common fields ------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref", ["basics", "basics#", "#intro", "Basics#intro", "basics#Intro", "basics#in tro", "a#b#c"]
)
def test_lesson_ref_must_be_slug_hash_anchor(docs, ref):
    with pytest.raises(ValidationError, match="lesson"):
        docs.make_item(lesson=ref)


def test_lesson_ref_in_the_right_form_is_accepted(docs):
    assert docs.make_item(lesson="thread-lift-101#vectors-2").lesson == "thread-lift-101#vectors-2"


@pytest.mark.parametrize("points", [0, -1, 100.5])
def test_points_must_be_above_zero_and_at_most_one_hundred(docs, points):
    with pytest.raises(ValidationError, match="points"):
        docs.make_item(points=points)


@pytest.mark.parametrize("key", ["Q1", "q_1", "-q", ""])
def test_item_key_must_be_a_slug(docs, key):
    with pytest.raises(ValidationError, match="key"):
        docs.make_item(key)


def test_unknown_topic_is_invalid(docs):
    with pytest.raises(ValidationError, match="topic"):
        docs.make_item(topic="marketing")


def test_unknown_field_is_invalid_rather_than_ignored(docs):
    with pytest.raises(ValidationError, match="hint"):
        docs.make_item(hint="Think about it.")


def test_blank_prompt_is_invalid(docs):
    with pytest.raises(ValidationError, match="prompt"):
        docs.make_item(prompt="   ")


def test_items_are_frozen(single):
    with pytest.raises(ValidationError):
        single.points = 5


# --- the mark -----------------------------------------------------------------------


def test_mark_fraction_and_fullness():
    assert Mark(awarded=1.5, points=3).fraction == 0.5
    assert not Mark(awarded=1.5, points=3).is_full
    assert Mark(awarded=3, points=3).is_full
    assert Mark(awarded=0, points=0).fraction == 0.0
