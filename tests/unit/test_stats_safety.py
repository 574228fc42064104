"""Item analysis for safe practice (quizzes.stats): variants and slots, harmful answers, over-confidence."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.stats import (
    HarmfulCount,
    ModuleStats,
    Overconfidence,
    ResponseCount,
    analyse,
    harmful_counts,
    mark_harmful,
    overconfidence,
)


def through_json(data):
    """What a JSON column gives back: the same text, objects' keys reordered as JSONB may do."""
    return json.loads(json.dumps(data, sort_keys=True))


# ---------------------------------------------------------------- variants and slots

# Slot "dose" has two variants, "dose" and "dose-b" (1 point each); "site" is a slot of one item (1 point).
#
#   attempt  drew    dose  dose-b  site | total
#   A        dose      1      -      1  |  2
#   B        dose      0      -      1  |  1
#   C        dose-b    -      1      0  |  1
#   D        dose-b    -      0      0  |  0
SLOTS = {"dose": "dose", "dose-b": "dose", "site": "site"}
POINTS = {"dose": 1, "dose-b": 1, "site": 1}
DRAWN = [
    {"dose": 1, "site": 1},
    {"dose": 0, "site": 1},
    {"dose-b": 1, "site": 0},
    {"dose-b": None, "site": 0},
]


def test_a_variant_is_analysed_over_the_attempts_that_drew_it():
    result = analyse(DRAWN, POINTS, slots=SLOTS)
    assert (result.items["dose"].attempts, result.items["dose-b"].attempts, result.items["site"].attempts) == (2, 2, 4)
    assert result.items["dose"].facility == 50.0 and result.items["dose-b"].facility == 50.0
    assert result.items["site"].facility == 50.0


def test_a_slot_is_analysed_over_every_attempt_whichever_variant_it_drew():
    result = analyse(DRAWN, POINTS, slots=SLOTS)
    assert list(result.slots) == ["dose"]  # a slot of one item needs no slot row
    slot = result.slots["dose"]
    assert (slot.key, slot.attempts, slot.facility) == ("dose", 4, 50.0)
    # The same marks as one item answered by every attempt: the slot is that item.
    plain = analyse(
        [{"dose": row.get("dose", row.get("dose-b")), "site": row["site"]} for row in DRAWN], {"dose": 1, "site": 1}
    )
    assert (slot.facility, slot.sd, slot.discrimination, slot.efficiency) == (
        plain.items["dose"].facility,
        plain.items["dose"].sd,
        plain.items["dose"].discrimination,
        plain.items["dose"].efficiency,
    )


def test_an_attempt_counts_one_mark_per_slot():
    result = analyse(DRAWN, POINTS, slots=SLOTS)
    assert result.max_score == 2.0  # not 3: one of the two variants was shown
    assert result.mean == pytest.approx(100 * (2 + 1 + 1 + 0) / 4 / 2)
    plain = analyse(
        [{"dose": row.get("dose", row.get("dose-b")), "site": row["site"]} for row in DRAWN], {"dose": 1, "site": 1}
    )
    assert (result.mean, result.sd, result.alpha, result.histogram) == (
        plain.mean,
        plain.sd,
        plain.alpha,
        plain.histogram,
    )


def test_an_attempt_naming_no_variant_of_a_slot_was_shown_its_first_item():
    result = analyse([{"site": 1}, {"dose-b": 1, "site": 0}], POINTS, slots=SLOTS)
    assert result.items["dose"].attempts == 1 and result.items["dose"].facility == 0.0
    assert result.items["dose-b"].attempts == 1 and result.items["dose-b"].facility == 100.0


def test_without_slots_every_item_is_its_own_slot_as_before():
    marks = [{"q1": 1, "q2": 2}, {"q1": 0}, {"q2": 1}]
    points = {"q1": 1, "q2": 2}
    result = analyse(marks, points)
    assert result.slots == {} and result.max_score == 3.0
    assert all(item.attempts == 3 for item in result.items.values())
    assert analyse(marks, points, slots={"q1": "q1", "q2": "q2"}) == result


def test_two_variants_of_one_slot_in_one_attempt_is_an_error():
    with pytest.raises(ValueError, match="several variants of slot 'dose'"):
        analyse([{"dose": 1, "dose-b": 1}], POINTS, slots=SLOTS)


def test_variants_worth_different_points_are_an_error():
    with pytest.raises(ValueError, match="worth different points"):
        analyse([], {"dose": 1, "dose-b": 2}, slots=SLOTS)


def test_statistics_with_slots_round_trip_through_json_exactly():
    result = analyse(DRAWN, POINTS, slots=SLOTS)
    back = ModuleStats.from_dict(through_json(result.to_dict()))
    assert back == result and list(back.slots) == ["dose"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["dose", "dose-b"]), st.sampled_from([0, 0.5, 1]), st.sampled_from([0, 1]))))
def test_variant_facilities_average_to_the_slot_facility(rows):
    marks = [{drawn: mark, "site": site} for drawn, mark, site in rows]
    result = analyse(marks, POINTS, slots=SLOTS)
    assert sum(item.attempts for key, item in result.items.items() if key != "site") == len(rows)
    if rows:
        weighted = sum(
            result.items[key].facility * result.items[key].attempts
            for key in ("dose", "dose-b")
            if result.items[key].attempts
        )
        assert weighted / len(rows) == pytest.approx(result.slots["dose"].facility)


# ---------------------------------------------------------------- harmful answers


def picks(answer):
    """A choice item's ``harmful_picks``: choices "wait" and "massage" are harmful."""
    texts = {"wait": "Wait until Monday", "massage": "Massage it firmly"}
    chosen = [answer] if isinstance(answer, str) else list(answer or [])
    return [texts[c] for c in chosen if c in texts]


def test_harmful_answers_are_counted_in_attempts_and_distinct_students():
    counted = [
        ("wait", 1, 2),  # student 1 chose "wait" in two attempts
        ("wait", 2, 1),
        (["wait", "massage"], 2, 1),  # one attempt picking two harmful choices counts once in the total
        ("doctor", 3, 4),
        (None, 4, 2),
    ]
    result = harmful_counts(counted, picks, shown=10)
    assert (result.count, result.students, result.percent) == (4, 2, 40.0)
    assert [(p.answer, p.count, p.students) for p in result.picks] == [
        ("Wait until Monday", 4, 2),
        ("Massage it firmly", 1, 1),
    ]


def test_no_harmful_answer_and_no_attempts_give_zero_and_no_percent():
    assert harmful_counts([("doctor", 1, 3)], picks, shown=3) == HarmfulCount(0, 0, 0.0, ())
    assert harmful_counts([], picks, shown=0).percent is None


def test_the_listed_answers_that_were_harmful_are_marked():
    counts = harmful_counts([("wait", 1, 1)], picks, shown=2)
    listed = [ResponseCount("Wait until Monday", 1, 50.0, 0.0), ResponseCount("See a doctor", 1, 50.0, 1.0)]
    listed.append(ResponseCount(None, 0, 0.0, None))
    marked = mark_harmful(listed, counts)
    assert [r.harmful for r in marked] == [True, False, False]
    assert [r.harmful for r in mark_harmful(listed, None)] == [False, False, False]


def test_harmful_counts_round_trip_through_json_exactly():
    counts = harmful_counts([("wait", 1, 2), ("massage", 2, 1)], picks, shown=3)
    assert HarmfulCount.from_dict(through_json(counts.to_dict())) == counts
    listed = mark_harmful([ResponseCount("Wait until Monday", 2, 66.7, 0.0)], counts)
    assert [ResponseCount.from_dict(through_json(r.to_dict())) for r in listed] == listed


# ---------------------------------------------------------------- over-confidence


def test_overconfidence_counts_wrong_answers_at_high_and_medium_certainty():
    answers = [
        (1.0, 3),
        (0.0, 3),
        (0.0, 3),
        (0.5, 3),  # partly right is not wrong
        (0.0, 2),
        (1.0, 2),
        (0.0, 1),  # low certainty: not counted
        (0.0, None),  # none given counts as low
    ]
    result = overconfidence(answers)
    assert result == Overconfidence(high=4, high_wrong=2, medium=2, medium_wrong=1)
    assert (result.high_share, result.medium_share, result.confident) == (50.0, 50.0, 6)


def test_overconfidence_without_sure_answers_has_no_share():
    result = overconfidence([(0.0, 1)])
    assert (result.high_share, result.medium_share) == (None, None)
    assert Overconfidence.from_dict(through_json(result.to_dict())) == result
