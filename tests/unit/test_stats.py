"""Item analysis (quizzes.stats): hand-worked Moodle statistics, edge cases and properties."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.items import Mark
from quizzes.stats import (
    BAND_LABELS,
    ChoiceFrequency,
    ModuleStats,
    analyse,
    analyse_attempts,
    choice_frequencies,
    counted_choice_frequencies,
    histogram,
)

PROPERTY = settings(max_examples=200, deadline=None)

# Four attempts at three items, q1 worth 1 point, q2 worth 2, q3 worth 1 (max score 4).
#
#   attempt   q1  q2  q3 | total  score   rest1 rest2 rest3
#   A          1   2   1 |   4    100%      3     2     3
#   B          1   2   0 |   3     75%      2     1     3
#   C          1   0   1 |   2     50%      1     2     1
#   D          0   1   0 |   1     25%      1     0     1
#
# All variances are sample variances (divide by n - 1 = 3).
#
# q1: mean .75 -> F = 75.  V = (3 * .25^2 + .75^2) / 3 = .25, SD = .5 -> 50% of 1 point.
#     rest1 mean 1.75, V = (1.25^2 + .25^2 + .75^2 + .75^2) / 3 = 11/12.
#     cov = (.25*1.25 + .25*.25 + .25*-.75 + -.75*-.75) / 3 = .75 / 3 = 1/4.
#     r = (1/4) / sqrt(1/4 * 11/12) = sqrt(3/11) = .52223 -> discrimination 52.22.
#     sorted: q1 (0,1,1,1), rest (1,1,2,3): the one 0 already sits at the lowest rest
#     (C and D tie at 1), so cov_max = 1/4 too -> efficiency 100.
# q2: mean 1.25 of 2 -> F = 62.5.  V = (.75^2 + .75^2 + 1.25^2 + .25^2) / 3 = 11/12,
#     SD = sqrt(11/12) = .95743 -> 47.87% of 2 points.
#     rest2 = (2,1,2,0), mean 1.25, V = 11/12;  cov = (.5625 - .1875 - .9375 + .3125) / 3 = -1/12.
#     r = (-1/12) / (11/12) = -1/11 -> discrimination -9.09.
#     sorted q2 (0,1,2,2) and rest2 (0,1,2,2) are the same, so cov_max = V = 11/12
#     -> efficiency -9.09, dubious (< 15).
# q3: mean .5 -> F = 50.  V = 1/3, SD = .57735 -> 57.74%.
#     rest3 = (3,3,1,1): cov = (.5*1 - .5*1 + .5*-1 - .5*-1) / 3 = 0 -> discrimination 0,
#     efficiency 0, dubious.
# Totals (4,3,2,1): mean 62.5%, median 62.5%, V(T) = (2.25 + .25 + .25 + 2.25) / 3 = 5/3,
#     SD = sqrt(5/3) / 4 = 32.27%.
# alpha = 3/2 * (1 - (1/4 + 11/12 + 1/3) / (5/3)) = 3/2 * (1 - 0.9) = .15 -> 15%.
# SE = 32.27 * sqrt(1 - .15) = 25 * sqrt(5/3 * .85) = 29.756%.
# Skewness of a symmetric spread is 0; the excess kurtosis of four evenly spaced values is
#     k4 / k2^2 = (16 * (5 * 2.5625 - 9 * 1.5625) / 6) / (5/3)^2 = -1.2.
MAX_POINTS = {"q1": 1, "q2": 2, "q3": 1}
MARKS = [
    {"q1": 1, "q2": 2, "q3": 1},
    {"q1": 1, "q2": 2, "q3": 0},
    {"q1": 1, "q2": 0, "q3": 1},
    {"q1": 0, "q2": 1, "q3": 0},
]


@pytest.fixture
def worked():
    return analyse(MARKS, MAX_POINTS)


@pytest.mark.parametrize(
    ("key", "facility", "sd", "discrimination", "efficiency", "dubious"),
    [
        ("q1", 75.0, 50.0, 100 * math.sqrt(3 / 11), 100.0, False),
        ("q2", 62.5, 100 * math.sqrt(11 / 12) / 2, -100 / 11, -100 / 11, True),
        ("q3", 50.0, 100 * math.sqrt(1 / 3), 0.0, 0.0, True),
    ],
)
def test_hand_worked_item_statistics(worked, key, facility, sd, discrimination, efficiency, dubious):
    item = worked.items[key]
    assert item.facility == pytest.approx(facility)
    assert item.sd == pytest.approx(sd)
    assert item.discrimination == pytest.approx(discrimination, abs=1e-9)
    assert item.efficiency == pytest.approx(efficiency, abs=1e-9)
    assert item.dubious is dubious
    assert item.max_points == MAX_POINTS[key]


def test_hand_worked_module_statistics(worked):
    assert worked.attempts == 4
    assert worked.max_score == 4
    assert worked.mean == pytest.approx(62.5)
    assert worked.median == pytest.approx(62.5)
    assert worked.sd == pytest.approx(25 * math.sqrt(5 / 3))  # 32.27
    assert worked.alpha == pytest.approx(15.0)
    assert worked.standard_error == pytest.approx(25 * math.sqrt(5 / 3 * 0.85))  # 29.76
    assert worked.skewness == pytest.approx(0.0, abs=1e-12)
    assert worked.kurtosis == pytest.approx(-1.2)
    # 25% -> 20-30, 50% -> 50-60, 75% -> 70-80, 100% -> the last band.
    assert worked.histogram == (0, 0, 1, 0, 0, 1, 0, 1, 0, 1)
    assert list(worked.items) == ["q1", "q2", "q3"]


def test_attempts_carrying_max_points_give_the_same_result(worked):
    pairs = [{key: (mark, MAX_POINTS[key]) for key, mark in row.items()} for row in MARKS]
    assert analyse_attempts(pairs) == worked
    marks = [{key: Mark(awarded=mark, points=MAX_POINTS[key]) for key, mark in row.items()} for row in MARKS]
    assert analyse_attempts(marks) == worked


def test_an_item_worth_different_points_means_mixed_versions():
    with pytest.raises(ValueError, match="mixed module versions"):
        analyse_attempts([{"q1": (1, 1)}, {"q1": (1, 2)}])


@pytest.mark.parametrize(
    ("marks", "match"),
    [([{"q1": 2}], "outside"), ([{"q1": -0.5}], "outside"), ([{"q1": math.nan}], "outside"), ([{"q9": 1}], "q9")],
)
def test_marks_that_cannot_belong_to_this_version_are_rejected(marks, match):
    with pytest.raises(ValueError, match=match):
        analyse(marks, {"q1": 1})


def test_one_attempt_has_a_facility_and_a_mean_but_nothing_that_needs_spread():
    result = analyse([{"q1": 1, "q2": 0}], {"q1": 1, "q2": 1})
    assert result.attempts == 1
    assert (result.mean, result.median) == (50.0, 50.0)
    assert result.items["q1"].facility == 100.0
    assert result.items["q2"].facility == 0.0
    for item in result.items.values():
        assert (item.sd, item.discrimination, item.efficiency, item.dubious) == (None, None, None, False)
    assert (result.sd, result.alpha, result.standard_error, result.skewness, result.kurtosis) == (None,) * 5
    assert result.histogram == (0, 0, 0, 0, 0, 1, 0, 0, 0, 0)


def test_no_attempts_at_all():
    result = analyse([], {"q1": 1, "q2": 2})
    assert result.attempts == 0
    assert (result.mean, result.median, result.sd, result.alpha, result.standard_error) == (None,) * 5
    assert result.histogram == (0,) * 10
    assert all(item.facility is None and item.dubious is False for item in result.items.values())


def test_everybody_earning_the_same_leaves_the_ratios_undefined():
    result = analyse([{"q1": 0.5, "q2": 1}] * 4, {"q1": 1, "q2": 1})
    for item in result.items.values():
        assert item.sd == 0.0  # no spread is a value, not an unknown
        assert (item.discrimination, item.efficiency) == (None, None)
    assert result.items["q1"].facility == 50.0
    assert result.sd == 0.0
    assert (result.alpha, result.standard_error, result.skewness, result.kurtosis) == (None,) * 4


def test_an_item_nobody_answered_earns_zero_and_has_no_discrimination():
    marks = [{"q1": 1, "q2": 1}, {"q1": 0, "q2": 1}, {"q1": 1, "q2": 0}, {"q1": 0, "q2": None}]
    result = analyse(marks, {"q1": 1, "q2": 1, "unanswered": 2})
    item = result.items["unanswered"]
    assert (item.facility, item.sd, item.discrimination, item.efficiency) == (0.0, 0.0, None, None)
    assert item.dubious is False  # 4 attempts are too few to blame the item
    assert analyse(marks, {"q1": 1, "q2": 1, "unanswered": 2}, min_attempts=4).items["unanswered"].dubious
    assert result.max_score == 4 and result.mean == pytest.approx(25.0)


def test_an_item_worth_no_points_has_no_facility():
    result = analyse([{"q1": 1, "info": 0}, {"q1": 0, "info": 0}], {"q1": 1, "info": 0})
    assert (result.items["info"].facility, result.items["info"].sd) == (None, None)


def test_an_item_that_tracks_the_rest_exactly_discriminates_perfectly():
    # "key" earns 1 exactly when the rest is 1: r = 1 and the covariance is the largest possible.
    marks = [{"key": k, "a": k, "b": 0} for k in (0, 1, 0, 1, 1)]
    item = analyse(marks, {"key": 1, "a": 1, "b": 1}).items["key"]
    assert item.discrimination == pytest.approx(100.0)
    assert item.efficiency == pytest.approx(100.0)
    assert item.dubious is False


def test_efficiency_is_100_when_the_order_is_right_even_if_the_correlation_is_not_1():
    # Low scorers miss the item, high scorers get it; the rest is not a straight line of it.
    marks = [{"item": i, "rest": r} for i, r in ((0, 0), (0, 1), (1, 3), (1, 4))]
    item = analyse(marks, {"item": 1, "rest": 4}).items["item"]
    assert item.efficiency == pytest.approx(100.0)
    assert 0 < item.discrimination < 100


def test_a_reversed_item_discriminates_negatively_and_is_dubious():
    # The strong students (high rest) get it wrong, the weak ones right.
    marks = [{"rev": r, "a": 1 - r, "b": 1 - r} for r in (0, 0, 1, 1, 0, 1)]
    item = analyse(marks, {"rev": 1, "a": 1, "b": 1}).items["rev"]
    assert item.discrimination == pytest.approx(-100.0)
    assert item.efficiency == pytest.approx(-100.0)
    assert item.dubious is True


def test_undefined_efficiency_is_dubious_once_there_are_enough_attempts():
    marks = [{"easy": 1, "hard": h} for h in (0, 1) * 5]  # 10 attempts, everybody gets "easy"
    assert analyse(marks, {"easy": 1, "hard": 1}).items["easy"].dubious is True  # default threshold 10
    assert analyse(marks, {"easy": 1, "hard": 1}, min_attempts=11).items["easy"].dubious is False


def test_alpha_needs_two_items_and_is_100_for_parallel_items():
    assert analyse([{"q": 0}, {"q": 1}], {"q": 1}).alpha is None
    parallel = analyse([{"a": m, "b": m} for m in (0, 1, 1, 0)], {"a": 1, "b": 1})
    assert parallel.alpha == pytest.approx(100.0)
    assert parallel.standard_error == pytest.approx(0.0, abs=1e-6)


def test_skewness_needs_three_attempts_and_kurtosis_four():
    three = analyse([{"q": m} for m in (0, 0, 3)], {"q": 3})
    # k3 / k2^1.5 for (0, 0, 3): m2 = 2, m3 = 2, k2 = 3, k3 = 9 * 2 / 2 = 9 -> 9 / 3^1.5 = sqrt(3).
    assert three.skewness == pytest.approx(math.sqrt(3))
    assert three.kurtosis is None
    # Shape does not depend on scale, and a vanishingly small spread must not underflow to 0 / 0.
    tiny = analyse([{"q": m} for m in (0, 0, 1.4e-153)], {"q": 0.5})
    assert tiny.skewness == pytest.approx(math.sqrt(3))


@pytest.mark.parametrize(
    ("percent", "band"),
    [(0, 0), (9.99, 0), (10, 1), (55, 5), (69.99999999999999, 7), (89.9, 8), (90, 9), (99.9, 9), (100, 9)],
)
def test_histogram_bands(percent, band):
    expected = [0] * 10
    expected[band] = 1
    assert histogram([percent]) == tuple(expected)


def test_histogram_band_labels_and_totals():
    assert BAND_LABELS[0] == "0-10%" and BAND_LABELS[-1] == "90-100%" and len(BAND_LABELS) == 10
    assert histogram([0, 100, 100, 50, 7 / 10 * 100]) == (1, 0, 0, 0, 0, 1, 0, 1, 0, 2)


def test_choice_frequencies_of_a_single_answer_item():
    result = choice_frequencies(["a", "b", "a", None, "a"], ["a", "b", "c"])
    assert result == [
        ChoiceFrequency("a", 3, 60.0),
        ChoiceFrequency("b", 1, 20.0),
        ChoiceFrequency("c", 0, 0.0),
        ChoiceFrequency(None, 1, 20.0),
    ]


def test_choice_frequencies_of_a_multiple_response_item():
    result = choice_frequencies([["a", "b"], ["b", "b"], [], "", ["x"]], ["a", "b", "c"])
    counts = {f.choice: (f.count, f.percent) for f in result}
    assert counts == {"a": (1, 20.0), "b": (2, 40.0), "c": (0, 0.0), "x": (1, 20.0), None: (2, 40.0)}
    assert [f.choice for f in result] == ["a", "b", "c", "x", None]  # stale ids after known ones


def test_choice_frequencies_when_nobody_answered_or_nobody_attempted():
    assert choice_frequencies([None, None], ["a"]) == [ChoiceFrequency("a", 0, 0.0), ChoiceFrequency(None, 2, 100.0)]
    assert choice_frequencies([], ["a"]) == [ChoiceFrequency("a", 0, None), ChoiceFrequency(None, 0, None)]


def test_the_engine_stays_pure_python():
    code = "import sys, quizzes.stats; print(sorted({'flask', 'sqlalchemy', 'numpy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@st.composite
def attempts(draw):
    """Up to 30 attempts at 1..5 items; marks mix round fractions and arbitrary floats of the max."""
    points = draw(st.lists(st.sampled_from([0.5, 1, 2, 3, 10]), min_size=1, max_size=5))
    max_points = {f"q{i}": p for i, p in enumerate(points)}
    fraction = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(0, 1))
    rows = draw(
        st.lists(
            st.fixed_dictionaries({k: fraction.map(lambda f, p=p: f * p) for k, p in max_points.items()}), max_size=30
        )
    )
    return rows, max_points


@PROPERTY
@given(attempts())
def test_every_statistic_stays_within_its_bounds(data):
    rows, max_points = data
    result = analyse(rows, max_points)
    for item in result.items.values():
        assert item.facility is None or 0 <= item.facility <= 100
        assert item.sd is None or item.sd >= 0
        assert item.discrimination is None or abs(item.discrimination) <= 100
        assert item.efficiency is None or -100 <= item.efficiency <= 100
    assert result.alpha is None or result.alpha <= 100
    assert result.standard_error is None or result.standard_error >= 0
    assert result.mean is None or 0 <= result.mean <= 100 + 1e-9
    assert sum(result.histogram) == result.attempts == len(rows)


@PROPERTY
@given(st.lists(st.one_of(st.none(), st.sampled_from("abc"), st.lists(st.sampled_from("abcd"), max_size=3))))
def test_every_attempt_is_counted_once_as_no_answer_or_at_least_one_pick(responses):
    result = choice_frequencies(responses, ["a", "b", "c"])
    no_answer = result[-1]
    assert no_answer.choice is None
    picked = sum(1 for r in responses if r)
    assert no_answer.count == len(responses) - picked
    assert all(0 <= f.count <= len(responses) for f in result)


def through_json(data):
    """What a JSON column gives back: the same text, objects' keys reordered as JSONB may do."""
    return json.loads(json.dumps(data, sort_keys=True))


def test_module_statistics_round_trip_through_json_exactly(worked):
    back = ModuleStats.from_dict(through_json(worked.to_dict()))
    assert back == worked
    assert isinstance(back.histogram, tuple)


def test_the_items_keep_their_order_through_json():
    result = analyse(MARKS, {"q3": 1, "q1": 1, "q2": 2})
    back = ModuleStats.from_dict(through_json(result.to_dict()))
    assert list(back.items) == ["q3", "q1", "q2"] and back == result


def test_undefined_statistics_round_trip_as_none():
    result = analyse([], {"q1": 1, "q2": 0})
    assert result.mean is None and result.items["q2"].facility is None
    assert ModuleStats.from_dict(through_json(result.to_dict())) == result


@PROPERTY
@given(attempts())
def test_any_statistics_round_trip_through_json_exactly(data):
    rows, max_points = data
    result = analyse(rows, max_points)
    assert ModuleStats.from_dict(through_json(result.to_dict())) == result


def test_choice_frequencies_round_trip_through_json_exactly():
    frequencies = choice_frequencies(["a", ["a", "b"], None], ["a", "b", "c"]) + choice_frequencies([], ["a"])
    back = [ChoiceFrequency.from_dict(f) for f in through_json([f.to_dict() for f in frequencies])]
    assert back == frequencies


@PROPERTY
@given(st.lists(st.one_of(st.none(), st.sampled_from("abcd"), st.lists(st.sampled_from("abcd"), max_size=3))))
def test_counting_equal_responses_first_gives_the_same_frequencies(responses):
    counted = Counter(json.dumps(r) for r in responses)
    pairs = [(json.loads(text), n) for text, n in counted.items()]
    assert counted_choice_frequencies(pairs, ["a", "b", "c"]) == choice_frequencies(responses, ["a", "b", "c"])
