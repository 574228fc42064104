"""Short answer: accepted answers with marks and feedback, Moodle's wildcard, case, Unicode and spaces."""

from __future__ import annotations

import time
import unicodedata

import pytest
from pydantic import ValidationError

from quizzes.formats.gift import parse_gift
from quizzes.formats.imported import to_item
from quizzes.items import ITEM_TYPES, AnswerError, Topic
from quizzes.items.short_answer import MAX_LENGTH
from quizzes.items.short_answer.wildcards import literal, matches, normalise

NERVE = "dây thần kinh mặt"  # "facial nerve": every vowel here carries a mark


def short(docs, answers, **fields):
    return docs.make_item("q1", "short-answer", answers=answers, **fields)


@pytest.fixture
def nerve(docs):
    return short(
        docs,
        [
            {"text": "facial nerve", "feedback": "Right: the facial nerve."},
            {"text": NERVE, "feedback": "Đúng."},
            {"text": "*VII*", "feedback": "Right: cranial nerve VII."},
            {"text": "*facial*", "percent": 50, "feedback": "Nearly: which facial structure?"},
            {"text": "*artery*", "percent": 0, "feedback": "An artery carries blood; this is a nerve."},
        ],
        feedback_wrong="It is the facial nerve, which moves the face.",
    )


# --- matching ---------------------------------------------------------------------------


def test_an_exact_answer_earns_its_mark_and_feedback(nerve):
    assert nerve.grade("facial nerve").is_full
    assert nerve.feedback_for("facial nerve") == ["Right: the facial nerve."]


def test_capitals_are_ignored_unless_the_item_is_case_sensitive(docs, nerve):
    assert nerve.grade("FACIAL Nerve").is_full
    exact = short(docs, [{"text": "PDO"}], case_sensitive=True)
    assert exact.grade("PDO").is_full
    assert exact.grade("pdo").awarded == 0
    assert exact.grade("Pdo").awarded == 0


def test_vietnamese_typed_decomposed_or_precomposed_compares_equal(nerve):
    decomposed = unicodedata.normalize("NFD", NERVE)
    assert decomposed != NERVE and len(decomposed) > len(NERVE)
    assert nerve.grade(decomposed).is_full
    assert nerve.grade(unicodedata.normalize("NFC", NERVE)).is_full
    assert nerve.grade(decomposed.upper()).is_full  # Đ and đ, Ặ and ặ: capitals ignored too
    assert nerve.feedback_for(decomposed) == ["Đúng."]


def test_an_accepted_answer_written_decomposed_matches_a_precomposed_one(docs):
    item = short(docs, [{"text": unicodedata.normalize("NFD", "mặt")}])
    assert item.grade("mặt").is_full and item.grade(unicodedata.normalize("NFD", "MẶT")).is_full


def test_accents_still_count(nerve):
    assert nerve.grade("day than kinh mat").awarded == 0


def test_spaces_are_collapsed_and_trimmed(nerve):
    assert nerve.grade("  facial \t  nerve ").is_full
    assert nerve.grade("facial\u00a0nerve").is_full  # a no-break space from a phone keyboard
    assert nerve.grade("facialnerve").awarded == 0.5  # not "facial nerve": only "*facial*" matches it


def test_a_star_stands_for_any_text_and_the_whole_answer_must_match(nerve):
    assert nerve.grade("cranial nerve VII").is_full
    assert nerve.grade("vii").is_full
    assert nerve.grade("the facial artery").awarded == nerve.points / 2  # "*facial*" comes before "*artery*"
    assert nerve.grade("an artery").awarded == 0
    assert nerve.grade("nerve").awarded == 0  # "facial nerve" must match whole, not as a part


def test_the_first_matching_answer_in_the_list_decides(docs):
    item = short(
        docs,
        [{"text": "facial nerve"}, {"text": "*nerve*", "percent": 25, "feedback": "Which nerve?"}],
    )
    assert item.grade("facial nerve").is_full
    assert item.grade("a nerve").awarded == pytest.approx(0.25)
    assert item.feedback_for("a nerve") == ["Which nerve?"]


def test_an_escaped_star_is_a_star(docs):
    item = short(docs, [{"text": r"5\*"}])
    assert item.grade("5*").is_full
    assert item.grade("55").awarded == 0 and item.grade("5").awarded == 0


def test_a_star_that_stands_for_nothing_takes_its_spare_space_but_keeps_word_boundaries():
    assert matches("facial nerve", "facial * nerve", case_sensitive=False)
    assert matches("facial motor nerve", "facial * nerve", case_sensitive=False)
    for typed in ("facialnerves", "facialnerve", "facial bignerve", "facialbig nerve"):
        assert not matches(typed, "facial * nerve", case_sensitive=False), typed
    assert matches("botox", "botox *", case_sensitive=False) and matches("botox a", "botox *", case_sensitive=False)
    assert not matches("botoxin", "botox *", case_sensitive=False)
    assert matches("acid", "* acid", case_sensitive=False)
    assert matches("ascorbic acid", "* acid", case_sensitive=False)
    assert not matches("antacid", "* acid", case_sensitive=False)
    assert matches("antacid", "*acid", case_sensitive=False)  # no space, no boundary: as written


def test_many_stars_against_a_long_answer_stay_fast():
    # Matching is a plain glob: no backtracking for a crafted answer to blow up.
    started = time.perf_counter()
    assert not matches("a" * MAX_LENGTH, "*a*a*a*a*a*b", case_sensitive=False)
    assert matches("a" * MAX_LENGTH + "b", "*a*a*a*a*a*b", case_sensitive=False)
    assert time.perf_counter() - started < 1  # regex backtracking took seconds here


def test_an_answer_with_too_many_stars_is_refused(docs):
    with pytest.raises(ValueError, match="at most"):
        short(docs, [{"text": "*a*b*c*d*e*f*g*"}])


@pytest.mark.parametrize(
    ("accepted", "typed"),
    [
        ("hoá chất", "hóa chất"),  # tone on a (new style) or on o (old style)
        ("hóa chất", "hoá chất"),
        ("thuỷ", "thủy"),
        ("sức khỏe", "sức khoẻ"),
        ("THỦY", "thuỷ"),
        ("tiêm", "tie\u0302m"),
        ("dây thần kinh", "da\u0302y tha\u0302\u0300n kinh"),  # a base letter plus combining marks
        ("nerve", "ner\u200bve"),  # a zero-width space pasted in
    ],
)
def test_vietnamese_typed_on_any_keyboard_compares_equal(accepted, typed):
    assert matches(typed, accepted, case_sensitive=False)


def test_tone_marks_still_count():
    assert not matches("day than kinh", "dây thần kinh", case_sensitive=False)
    assert not matches("của", "cúa", case_sensitive=False)


def test_regular_expression_characters_are_plain_text(docs):
    item = short(docs, [{"text": "a.b (c)+"}])
    assert item.grade("a.b (c)+").is_full
    assert item.grade("axb (c)+").awarded == 0 and item.grade("a.b cc").awarded == 0


# --- marks and feedback --------------------------------------------------------------------


def test_partial_marks_are_the_answers_percent_of_the_points(docs):
    item = short(docs, [{"text": "polydioxanone"}, {"text": "*dioxan*", "percent": 50}], points=3)
    assert item.grade("polydioxanone").awarded == 3
    assert item.grade("polidioxanon").awarded == 1.5
    assert item.grade("nylon").awarded == 0


def test_a_wrong_answer_gets_the_items_general_feedback(nerve):
    assert nerve.feedback_for("the trigeminal nerve") == ["It is the facial nerve, which moves the face."]
    # A known wrong answer gives its own feedback instead; a blank gives none.
    assert nerve.feedback_for("facial artery") == ["Nearly: which facial structure?"]
    assert nerve.feedback_for("an artery") == ["An artery carries blood; this is a nerve."]
    assert nerve.feedback_for(None) == []


def test_a_known_wrong_answer_without_feedback_of_its_own_gets_the_general_feedback(docs):
    item = short(docs, [{"text": "yes"}, {"text": "no", "percent": 0}], feedback_wrong="Think again.")
    assert item.feedback_for("no") == ["Think again."]


def test_result_feedback_praises_only_full_marks(nerve):
    assert nerve.result_feedback("facial nerve") == [("Right: the facial nerve.", True)]
    assert nerve.result_feedback("facial muscle") == [("Nearly: which facial structure?", False)]


def test_the_correct_answer_shows_every_fully_right_answer_without_wildcards(nerve):
    assert nerve.correct_lines() == ["facial nerve", NERVE, "VII"]
    assert nerve.grade(nerve.key_answer()).is_full


# --- parsing what was typed -----------------------------------------------------------------


def test_a_typed_answer_is_kept_normalised(nerve):
    decomposed = unicodedata.normalize("NFD", NERVE)
    assert nerve.parse_answer([f"  {decomposed}  "]) == NERVE
    assert nerve.parse_answer(["Facial   Nerve"]) == "Facial Nerve"  # capitals kept as typed
    assert nerve.parse_answer(["", "  "]) is None
    assert nerve.describe("Facial Nerve") == "Facial Nerve"


def test_two_answers_or_a_very_long_one_are_refused(nerve):
    with pytest.raises(AnswerError, match="one answer"):
        nerve.parse_answer(["facial", "nerve"])
    with pytest.raises(AnswerError, match="500 characters"):
        nerve.parse_answer(["x" * 501])


def test_a_free_text_answer_has_no_ids_to_encode(nerve):
    assert nerve.coded_parts() == {}
    assert nerve.form_values("Facial Nerve") == ["Facial Nerve"]


def test_the_wildcard_helpers():
    assert normalise(" a \n b ") == "a b"
    assert literal("*facial*") == "facial" and literal(r"5\*") == "5*" and literal("facial * nerve") == "facial nerve"


# --- what the document refuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([{"text": "x", "percent": 50}], "no answer earns full marks"),
        ([{"text": "*", "percent": 100}], "no answer earns full marks as typed"),
        ([{"text": "*nerve", "percent": 20}, {"text": "facial nerve"}], "no answer earns full marks as typed"),
        ([{"text": "x", "percent": 120}], "less than or equal to 100"),
        ([], "at least 1"),
    ],
)
def test_an_item_whose_full_marks_cannot_be_earned_is_refused(docs, answers, message):
    with pytest.raises(ValidationError, match=message):
        short(docs, answers)


# --- analysis --------------------------------------------------------------------------------


def test_analysis_lists_distinct_answers_most_frequent_first_answers_that_compare_equal_as_one(nerve):
    decomposed = unicodedata.normalize("NFD", NERVE)
    rows = nerve.tally_responses(
        [("facial nerve", 3), ("Facial Nerve", 1), (NERVE, 2), (decomposed, 1), ("tibial", 1), (None, 2)]
    )
    assert [(r.answer, r.count, r.fraction) for r in rows] == [
        ("facial nerve", 4, 1.0),
        (NERVE, 3, 1.0),
        ("tibial", 1, 0.0),
        (None, 2, None),
    ]
    assert rows[0].percent == pytest.approx(40.0)
    # Equally frequent answers come in the order of their words.
    assert [r.answer for r in nerve.tally_responses([("b", 1), ("a", 1)])] == ["a", "b", None]


def test_analysis_adds_up_the_rarer_answers(nerve):
    rows = nerve.tally_responses([(f"guess {n:02}", 1) for n in range(25)] + [("facial nerve", 5)])
    assert rows[0].answer == "facial nerve" and len(rows) == 20 + 2  # 20 listed, the rest, no answer
    assert rows[19].answer == "guess 18"
    assert (rows[-2].answer, rows[-2].count, rows[-2].fraction) == ("6 other answers", 6, None)


# --- GIFT --------------------------------------------------------------------------------------


def gift_item(text: str):
    result = parse_gift(text, "t.gift")
    assert result.problems == [], result.problems
    (question,) = result.questions
    data = to_item(question, "q1", Topic.ANATOMY, "basics#intro")
    return ITEM_TYPES[data["type"]].model_validate(data)


def test_gift_short_answer_with_several_answers_and_feedback():
    item = gift_item("::N:: Which nerve moves the face? {=facial nerve#Right. =*VII* =%50%*facial*#Nearly.}")
    assert item.type == "short-answer" and not item.case_sensitive
    assert [(a.text, a.percent, a.feedback) for a in item.answers] == [
        ("facial nerve", 100, "Right."),
        ("*VII*", 100, ""),
        ("*facial*", 50, "Nearly."),
    ]
    assert item.grade("Facial muscle").awarded == 0.5


def test_gift_short_answer_with_one_answer_and_text_after_the_blank():
    item = gift_item("Two plus two equals {=four}.")
    assert item.prompt == "Two plus two equals _____." and item.grade("Four").is_full
    assert gift_item("::C:: Capital of France? {=Paris}").grade("paris").is_full


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Q {=%50%half}", "no correct answer: no answer is worth 100%"),
        ("Q {=right =%-50%bad}", "weight -50%: a short answer's weight is from 0 to 100"),
        ("Q {=right = #feedback only}", "answer 2 has no text"),
        ("Q {junk =right}", "'junk' is not an answer: start each answer with '='"),
    ],
)
def test_malformed_gift_short_answers_are_problems(text, message):
    result = parse_gift(text, "t.gift")
    assert result.questions == [] and [p.message for p in result.problems] == [message]
