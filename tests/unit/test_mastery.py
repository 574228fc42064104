"""Per-topic mastery: folding (topic, awarded, points, items) rows into one entry per topic."""

from __future__ import annotations

import pytest

from quizzes.items import Topic
from quizzes.mastery import TopicMastery, mastery_by_topic


def by_topic(rows) -> dict[Topic, TopicMastery]:
    return {m.topic: m for m in mastery_by_topic(rows)}


def test_every_topic_is_present_in_order_even_with_no_rows():
    result = mastery_by_topic([])
    assert [m.topic for m in result] == list(Topic)
    assert all((m.awarded, m.points, m.items) == (0.0, 0.0, 0) for m in result)


def test_nothing_attempted_has_no_percent_and_is_not_started():
    for mastery in mastery_by_topic([("anatomy", 3.0, 4.0, 4)]):
        if mastery.topic is not Topic.ANATOMY:
            assert mastery.percent is None
            assert mastery.level == "not started"


def test_rows_of_the_same_topic_are_added_up():
    result = by_topic(
        [
            ("anatomy", 1.0, 2.0, 2),
            ("aftercare", 0.5, 1.0, 1),
            ("anatomy", 2.5, 3.0, 3),
        ]
    )
    assert (result[Topic.ANATOMY].awarded, result[Topic.ANATOMY].points, result[Topic.ANATOMY].items) == (3.5, 5.0, 5)
    assert result[Topic.ANATOMY].percent == pytest.approx(70.0)
    assert result[Topic.AFTERCARE].percent == pytest.approx(50.0)


def test_sums_are_rounded_so_float_noise_does_not_show():
    result = by_topic([("placement", 0.1, 1.0, 1), ("placement", 0.2, 1.0, 1)])
    assert result[Topic.PLACEMENT].awarded == 0.3


def test_unknown_topic_names_are_ignored():
    result = mastery_by_topic([("marketing", 5.0, 5.0, 1), ("anatomy", 1.0, 1.0, 1)])
    assert len(result) == len(Topic)
    assert sum(m.points for m in result) == 1.0


def test_missing_sums_count_as_zero():
    # An outer join with no answers gives NULL sums.
    result = by_topic([("injection-volume", None, None, None), ("injection-volume", 1.0, 2.0, 1)])
    assert (result[Topic.INJECTION_VOLUME].awarded, result[Topic.INJECTION_VOLUME].points) == (1.0, 2.0)
    assert result[Topic.INJECTION_VOLUME].items == 1


def test_topic_members_are_accepted_as_well_as_their_names():
    assert by_topic([(Topic.AFTERCARE, 1.0, 1.0, 1)])[Topic.AFTERCARE].percent == 100.0


def test_items_attempted_but_worth_no_points_have_no_percent():
    assert by_topic([("anatomy", 0.0, 0.0, 3)])[Topic.ANATOMY].percent is None


@pytest.mark.parametrize(
    ("awarded", "points", "level"),
    [
        (100.0, 100.0, "strong"),
        (85.0, 100.0, "strong"),
        (84.9, 100.0, "developing"),
        (60.0, 100.0, "developing"),
        (59.9, 100.0, "needs work"),
        (0.0, 10.0, "needs work"),
        (0.0, 0.0, "not started"),
    ],
)
def test_level_words_follow_the_percentage(awarded, points, level):
    assert TopicMastery(Topic.ANATOMY, awarded, points, 1).level == level


@pytest.mark.parametrize(("awarded", "points", "level"), [(5.1, 6.0, "strong"), (0.6, 1.0, "developing")])
def test_level_at_a_boundary_reached_only_up_to_float_noise_counts_as_reached(awarded, points, level):
    # 100 * 5.1 / 6 is 84.99999999999999 in floating point: 85% to anyone reading it.
    assert TopicMastery(Topic.ANATOMY, awarded, points, 1).level == level


def test_topic_labels_are_words_people_read():
    assert [t.label for t in Topic] == [
        "Anatomy",
        "Placement",
        "Injection volume and product",
        "Aftercare",
        "Red flags and referral",
    ]
