"""GIFT import: each question form maps to our item types; everything else is a located problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.formats.gift import parse_gift
from quizzes.formats.imported import DEFAULT_EXPLANATION, MISSING_FEEDBACK, ImportedQuestion, ImportResult, to_item
from quizzes.formats.packs import Problem
from quizzes.items import ITEM_TYPES, Item, Topic

DATA = Path(__file__).parent / "data"


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` containing ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def build(q: ImportedQuestion, key: str = "q1") -> Item:
    """The imported question completed and validated by the engine's own item class."""
    data = to_item(q, key, "anatomy", "basics#intro")
    return ITEM_TYPES[data["type"]].model_validate(data)


def item_of(text: str) -> Item:
    """The single question ``text`` holds, as a validated item."""
    (q,) = parse_gift(text).questions
    return build(q)


def one(text: str, **kwargs) -> dict:
    """The data of the single question ``text`` holds (and no problems)."""
    result = parse_gift(text, **kwargs)
    assert result.problems == []
    assert len(result.questions) == 1
    return result.questions[0].data


def problem(text: str) -> Problem:
    """The single problem ``text`` holds (and no questions)."""
    result = parse_gift(text, "t.gift")
    assert result.questions == []
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


def assert_valid_and_key_earns_everything(result: ImportResult) -> None:
    for n, q in enumerate(result.questions):
        item = build(q, f"q{n}")
        assert item.grade(item.key_answer()).is_full


# --- a whole file --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> tuple[str, ImportResult]:
    text = (DATA / "sample.gift").read_text(encoding="utf-8")
    return text, parse_gift(text, "sample.gift")


def test_sample_file_imports_every_mappable_question_with_its_type(sample):
    _, result = sample
    assert [(q.title, q.data["type"]) for q in result.questions] == [
        ("Nerve plane", "single"),
        ("Weighted", "multiple"),
        ("Blank", "single"),
        ("Ice", "true-false"),
        ("Massage", "true-false"),
        ("Tolerance", "numeric"),
        ("Range", "numeric"),
        ("Several answers", "numeric"),
        ("Match", "matching"),
        ("Escapes", "single"),
        ("Short", "short-answer"),
    ]


def test_sample_file_every_import_validates_and_its_key_earns_full_marks(sample):
    _, result = sample
    assert_valid_and_key_earns_everything(result)


def test_sample_file_reports_each_refused_question_at_its_line(sample):
    text, result = sample
    assert [(p.file, p.where, p.line, p.message) for p in result.problems] == [
        ("sample.gift", "Essay", line_of(text, "::Essay::"), "essay questions have no automatic mark: not imported"),
        ("sample.gift", "Unclosed", line_of(text, "::Unclosed::"), "unclosed '{'"),
        ("sample.gift", "Bad weight", line_of(text, "%150%"), "weight 150% is outside -100..100"),
        (
            "sample.gift",
            "Bad weight text",
            line_of(text, "%abc%"),
            "bad weight '%abc%': a weight is a percentage from -100 to 100, such as %50%",
        ),
    ]
    assert str(result.problems[0]) == f"sample.gift:{line_of(text, '::Essay::')}: Essay: {result.problems[0].message}"
    assert not result.ok


def test_sample_file_descriptions_and_lossy_mappings_are_notes_not_problems(sample):
    text, result = sample
    assert [(n.line, n.message) for n in result.notes] == [
        (
            line_of(text, "::Several answers::"),
            "answers worth less than 100% were dropped (numeric items give no partial credit)",
        ),
        (line_of(text, "An introduction"), "a description, not a question: skipped"),
    ]


def test_sample_file_questions_know_their_line_and_category(sample):
    text, result = sample
    by_title = {q.title: q for q in result.questions}
    assert by_title["Nerve plane"].line == line_of(text, "::Nerve plane::")
    assert by_title["Match"].line == line_of(text, "::Match::")
    assert by_title["Nerve plane"].category == "$course$/top/Thread lift/Anatomy"
    assert by_title["Massage"].category == "$course$/top/Thread lift/Anatomy"
    assert by_title["Tolerance"].category == "$course$/top/Mesotherapy/Volume"


def test_sample_file_choice_question_keeps_feedback_and_general_feedback(sample):
    _, result = sample
    q = next(q for q in result.questions if q.title == "Nerve plane")
    assert q.data["prompt"] == "Which nerve runs in the plane deep to the SMAS?"
    assert q.data["explanation"].startswith("The facial nerve's branches lie deep")
    assert q.data["choices"] == [
        {
            "id": "a",
            "text": "The facial nerve branches",
            "correct": True,
            "feedback": "Yes: they run deep to the SMAS.",
        },
        {
            "id": "b",
            "text": "The supraorbital nerve",
            "correct": False,
            "feedback": "No: it exits the supraorbital foramen.",
        },
        {"id": "c", "text": "The great auricular nerve", "correct": False, "feedback": ""},
    ]


# --- single and multiple -------------------------------------------------------------


def test_single_answer_on_one_line_with_choice_ids_in_order():
    data = one("Who is buried in Grant's tomb? {~Napoleon =Grant #Yes. ~Nobody #Someone is.}")
    assert data["type"] == "single"
    assert [(c["id"], c["text"], c["correct"], c["feedback"]) for c in data["choices"]] == [
        ("a", "Napoleon", False, ""),
        ("b", "Grant", True, "Yes."),
        ("c", "Nobody", False, "Someone is."),
    ]
    assert data["points"] == 1.0
    assert data["explanation"] == DEFAULT_EXPLANATION
    assert {"key", "topic", "lesson"}.isdisjoint(data)


def test_weighted_choices_without_equals_are_multiple_response_with_positive_weights_correct():
    data = one("Primes? {~%50%2 #Yes. ~%50%3 ~%-100%4 #No: 2 x 2. ~%0%9}")
    assert data["type"] == "multiple"
    assert [c["correct"] for c in data["choices"]] == [True, True, False, False]
    item = item_of("Primes? {~%50%2 ~%50%3 ~%-100%4 ~%0%9}")
    # our partial-credit rule, not GIFT's weights: one of two right earns 1/2; a wrong pick takes 1/2 away
    assert item.grade(["a"]).fraction == pytest.approx(0.5)
    assert item.grade(["a", "b", "c"]).fraction == pytest.approx(0.5)
    assert item.grade(["a", "b"]).is_full


@pytest.mark.parametrize("weight", ["33.33333", "100", "+25", "-50", "0", ".5"])
def test_weights_from_minus_100_to_100_are_accepted(weight):
    assert one(f"Q {{~%{weight}%a ~%50%b}}")["type"] == "multiple"


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        ("150", "weight 150% is outside -100..100"),
        ("-101", "weight -101% is outside -100..100"),
        ("abc", "bad weight '%abc%': a weight is a percentage from -100 to 100, such as %50%"),
        ("5O", "bad weight '%5O%': a weight is a percentage from -100 to 100, such as %50%"),
        ("", "bad weight '%%': a weight is a percentage from -100 to 100, such as %50%"),
    ],
)
def test_a_bad_weight_is_a_problem_at_its_line(weight, message):
    text = f"First {{T}}\n\nQ {{\n  ~%50%a\n  ~%{weight}%b\n}}\n\nLast {{F}}"
    result = parse_gift(text)
    assert [(p.line, p.message) for p in result.problems] == [(5, message)]
    assert [q.data["prompt"] for q in result.questions] == ["First", "Last"]  # the others still import


def test_percent_text_that_is_not_a_weight_stays_text():
    data = one("Q {=% of patients % ~b}")
    assert data["choices"][0]["text"] == "% of patients %"


def test_equals_with_a_partial_weight_imports_as_single_with_a_note():
    result = parse_gift("Q {=right ~%50%half ~%-50%penalty #No. ~wrong}")
    assert result.problems == []
    (q,) = result.questions
    assert q.data["type"] == "single"
    assert [c["correct"] for c in q.data["choices"]] == [True, False, False, False]
    assert [n.message for n in result.notes] == [
        "imported as single best answer: 'half' (50%), 'penalty' (-50%) count as wrong choices "
        "(partial credit and penalties are not kept)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Q {~a ~b}", "no correct answer: mark it with '=', or give the right answers a positive weight (~%50%)"),
        (
            "Q {~%-50%a ~%0%b}",
            "no correct answer: mark it with '=', or give the right answers a positive weight (~%50%)",
        ),
        ("Q {=%50%a ~b}", "no correct answer: mark it with '='"),
        ("Q {~a}", "a choice question needs at least 2 answers"),
        ("Q {= ~b}", "answer 1 has no text"),
        ("Q {=a ~#feedback only}", "answer 2 has no text"),
        ("Q {oops ~a =b}", "'oops' is not an answer: start each answer with '=' or '~'"),
        ("{=a ~b}", "no question text"),
        ("::Only a title:: {=a ~b}", "no question text"),
    ],
)
def test_malformed_choice_questions_are_problems(text, message):
    assert problem(text).message == message


def test_two_right_answers_in_a_one_answer_question_is_a_problem():
    assert problem("Q {=a =b ~c}").message.startswith("more than one right answer ('=' or %100%)")
    assert problem("Q {=a ~%100%b ~c}").message.startswith("more than one right answer")


def test_too_many_choices_is_reported_by_the_item_schema():
    answers = " ".join(["=right"] + [f"~w{n}" for n in range(12)])
    p = problem(f"::Big:: Q {{{answers}}}")
    assert p.where == "Big"
    assert p.message.startswith("cannot be imported as a single item: choices: List should have at most 12 items")


# --- true/false ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "correct"), [("T", True), ("TRUE", True), ("F", False), ("FALSE", False), ("true", True), (" f ", False)]
)
def test_true_false_forms(answer, correct):
    data = one(f"The sky is blue.{{{answer}}}")
    assert data["type"] == "true-false"
    assert data["correct"] is correct
    assert (data["feedback_true"], data["feedback_false"]) == ("", "")
    assert item_of(f"S {{{answer}}}").key_answer() is correct


def test_true_false_feedback_first_is_for_a_wrong_verdict_second_for_the_right_one():
    data = one("Ice helps. {TRUE#Wrong: it does help.#Right: it helps.####Ice reduces swelling.}")
    assert data["correct"] is True
    assert data["feedback_false"] == "Wrong: it does help."
    assert data["feedback_true"] == "Right: it helps."
    assert data["explanation"] == "Ice reduces swelling."
    data = one("Massage helps. {F#Wrong: it does not.#Right.}")
    assert data["correct"] is False
    assert data["feedback_true"] == "Wrong: it does not."
    assert data["feedback_false"] == "Right."
    assert one("S {T#only the wrong one}")["feedback_false"] == "only the wrong one"


# --- numeric -------------------------------------------------------------------------


def test_numeric_value_and_tolerance():
    data = one("How many ml? {#2:0.5}")
    assert (data["type"], data["min"], data["max"], data["units"]) == ("numeric", 1.5, 2.5, "(number)")
    assert item_of("How many ml? {#2:0.5}").grade(2.4).is_full


def test_numeric_range_exact_value_negative_and_exponent_forms():
    assert (one("Q {#3..7}")["min"], one("Q {#3..7}")["max"]) == (3, 7)
    assert (one("Q {#-5..-3}")["min"], one("Q {#-5..-3}")["max"]) == (-5, -3)
    assert (one("Q {#4}")["min"], one("Q {#4}")["max"]) == (4, 4)
    assert (one("Q {#1e3:10}")["min"], one("Q {#1e3:10}")["max"]) == (990, 1010)
    assert (one("Q {# 1.5 .. 2.5 }")["min"], one("Q {# 1.5 .. 2.5 }")["max"]) == (1.5, 2.5)


def test_numeric_units_come_from_the_parser():
    assert one("Q {#2:0.5}", default_units="ml")["units"] == "ml"


def test_numeric_several_answers_keep_the_100_percent_range_and_its_feedback():
    result = parse_gift("Q {#\n=4:0 #Exactly.\n=%50%4:1 #Close.\n~#Too far.\n####Four it is.}")
    (q,) = result.questions
    assert (q.data["min"], q.data["max"]) == (4, 4)
    assert q.data["explanation"] == "Four it is.\n\nExactly."
    assert q.data["feedback_low"] == q.data["feedback_high"] == "Too far."
    assert [n.message for n in result.notes] == [
        "answers worth less than 100% were dropped (numeric items give no partial credit)"
    ]


def test_numeric_overlapping_right_answers_merge_into_one_range():
    data = one("Q {#=1..3 =2..4 =%100%2.5:0.1}")
    assert (data["min"], data["max"]) == (1, 4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Q {#=%50%5 =%0%6}", "no correct answer: no answer is worth 100%"),
        ("Q {#=1..2 =3..4}", "two separate right answers (1..2 and 3..4): a numeric item accepts one range"),
        ("Q {#}", "a numeric question needs a number, e.g. {#5:0.5} or {#3..7}"),
        ("Q {#7..3}", "the range 7..3 is reversed"),
        ("Q {#five}", "'five' is not a number"),
        ("Q {#5:}", "a number is missing"),
        ("Q {#5:0.5 =%150%6}", "weight 150% is outside -100..100"),
        ("Q {#1e999}", "'1e999' is too large a number"),
        ("Q {#1e308:1e308}", "'1e308:1e308' is too large a range"),
    ],
)
def test_malformed_numeric_questions_are_problems(text, message):
    assert problem(text).message == message


def test_numeric_with_blank_units_is_refused_by_the_schema():
    result = parse_gift("Q {#2}", default_units=" ")
    assert result.problems[0].message.startswith("cannot be imported as a numeric item: units:")


# --- matching ------------------------------------------------------------------------


def test_matching_distinct_right_hand_texts_become_options():
    data = one("Match. {\n =cat -> animal\n =rose -> plant\n =dog -> animal #Dogs are animals.\n = -> mineral\n}")
    assert data["type"] == "matching"
    assert data["options"] == [
        {"id": "o1", "text": "animal"},
        {"id": "o2", "text": "plant"},
        {"id": "o3", "text": "mineral"},
    ]
    assert data["prompts"] == [
        {"id": "p1", "text": "cat", "match": "o1", "feedback": ""},
        {"id": "p2", "text": "rose", "match": "o2", "feedback": ""},
        {"id": "p3", "text": "dog", "match": "o1", "feedback": "Dogs are animals."},
    ]
    item = item_of("Match. {=cat -> animal =rose -> plant =dog -> animal}")
    assert item.key_answer() == {"p1": "o1", "p2": "o2", "p3": "o1"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Q {=a -> 1 =b}", "a matching pair needs '->' between its two sides"),
        ("Q {=a -> 1 =b -> }", "a matching pair has nothing after '->'"),
        ("Q {=a -> 1 =b -> 1}", "cannot be imported as a matching item: options: List should have at least 2 items"),
    ],
)
def test_malformed_matching_questions_are_problems(text, message):
    assert problem(text).message.startswith(message)


# --- refused question types ----------------------------------------------------------


def test_essays_are_problems_at_their_line_and_the_rest_imports():
    text = (
        "Q1 {T}\n\n// essay\n::E:: Describe. {\n}\n\nQ2 {F}\n\n"
        "::S:: Capital of France? {=Paris =paris #Yes}\n\nEssay with feedback {####Model answer.}"
    )
    result = parse_gift(text, "t.gift")
    assert [(p.where, p.line, p.message) for p in result.problems] == [
        ("E", 4, "essay questions have no automatic mark: not imported"),
        ("", 11, "essay questions have no automatic mark: not imported"),
    ]
    assert [q.data["prompt"] for q in result.questions] == ["Q1", "Q2", "Capital of France?"]
    assert [q.data["type"] for q in result.questions] == ["true-false", "true-false", "short-answer"]


def test_an_answer_block_no_type_reads_is_a_problem():
    assert problem("Q {Paris}").message == (
        "no answer is marked: write '=' before each right answer and '~' before each wrong one"
    )


def test_a_description_is_skipped_with_a_note():
    result = parse_gift("::Intro:: Read this first.\n\nQ {T}")
    assert result.problems == []
    assert [(n.where, n.line, n.message) for n in result.notes] == [
        ("Intro", 1, "a description, not a question: skipped")
    ]
    assert len(result.questions) == 1


# --- braces --------------------------------------------------------------------------


def test_an_unclosed_brace_is_reported_at_the_brace_and_other_questions_still_parse():
    text = "Q1 {T}\n\n::U::\nWhich layer?\n  {=fat\n  ~muscle\n\nQ3 {F}"
    result = parse_gift(text, "t.gift")
    assert [(p.line, p.message) for p in result.problems] == [(5, "unclosed '{'")]
    assert [q.data["prompt"] for q in result.questions] == ["Q1", "Q3"]


def test_a_brace_left_open_before_the_next_question_without_a_blank_line():
    result = parse_gift("Q1 {=a ~b\nQ2 {T}")
    assert [(p.line, p.message) for p in result.problems] == [(1, "unclosed '{'")]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Q } {T}", 1, "'}' without a '{' before it"),
        ("Q {T}\nmore }", 2, "'}' without a '{' before it"),
        ("Q }", 1, "'}' without a '{' before it"),
        ("Q1 {T}\n// no blank line\nQ2 {F}", 3, "a second '{' in one question: separate questions with a blank line"),
        ("::Title Q {T}", 1, "the title's '::' is not closed"),
    ],
)
def test_brace_and_title_mistakes_are_problems_at_their_line(text, line, message):
    p = problem(text)
    assert (p.line, p.message) == (line, message)


# --- syntax details ------------------------------------------------------------------


def test_comments_are_ignored_even_inside_a_question_and_urls_are_text():
    text = "// leading\n::T:: See http://example.org {\n// between answers\n=a\n  // indented comment\n~b\n}"
    result = parse_gift(text)
    (q,) = result.questions
    assert q.line == 2
    assert q.data["prompt"] == "See http://example.org"
    assert [c["text"] for c in q.data["choices"]] == ["a", "b"]


def test_category_applies_to_following_questions_until_the_next():
    text = "Q0 {T}\n\n$CATEGORY: tom/dick\n\nQ1 {T}\n\n$CATEGORY:  harry \nQ2 {T}\n\nQ3 {F}"
    result = parse_gift(text)
    assert [(q.data["prompt"], q.category) for q in result.questions] == [
        ("Q0", None),
        ("Q1", "tom/dick"),
        ("Q2", "harry"),
        ("Q3", "harry"),
    ]
    assert result.questions[2].line == 8


def test_escapes_are_literal_text_and_never_syntax():
    data = one(r"::A\:B:: x \= y\: \{right\} \#1 C\:\\temp\nnext line \~ {=a \~ b #fb \# 2 ~c \= d}")
    assert data["prompt"] == "x = y: {right} #1 C:\\temp\nnext line ~"
    assert [(c["text"], c["feedback"]) for c in data["choices"]] == [("a ~ b", "fb # 2"), ("c = d", "")]
    assert parse_gift(r"::A\:B:: Q {T}").questions[0].title == "A:B"
    assert one(r"Q \+ stays {T}")["prompt"] == r"Q \+ stays"


def test_text_after_the_closing_brace_continues_the_prompt_with_a_blank():
    assert one("Grant is {~buried =entombed} in Grant's tomb.")["prompt"] == "Grant is _____ in Grant's tomb."
    assert one("{=Grant ~Lee} is buried in Grant's tomb.")["prompt"] == "_____ is buried in Grant's tomb."
    assert one("Grant is buried here. {T}   ")["prompt"] == "Grant is buried here."


def test_format_tags_are_removed_and_the_text_kept():
    data = one("::T::[html]<p>Pick</p>{=[markdown]**a** #[plain]yes ~[moodle]b####[html]<b>why</b>}")
    assert data["prompt"] == "<p>Pick</p>"
    assert [(c["text"], c["feedback"]) for c in data["choices"]] == [("**a**", "yes"), ("b", "")]
    assert data["explanation"] == "<b>why</b>"


def test_windows_line_endings_and_a_byte_order_mark():
    result = parse_gift("\ufeff::A:: Q {\r\n=a\r\n~b\r\n}\r\n\r\n::B:: Q {T\r\n}")
    assert [(q.title, q.line) for q in result.questions] == [("A", 1), ("B", 6)]


def test_answers_spread_over_several_lines_with_odd_spacing():
    data = one("Pick one:\n{\n\t= right   # because\n ~  wrong\t#  no  \n}")
    assert [(c["text"], c["feedback"]) for c in data["choices"]] == [("right", "because"), ("wrong", "no")]


def test_default_explanation_can_be_given_and_an_empty_one_is_filled_by_to_item():
    assert one("Q {T}", default_explanation="See lesson 3.")["explanation"] == "See lesson 3."
    (q,) = parse_gift("Q {T}", default_explanation="").questions
    assert q.data["explanation"] == ""
    assert to_item(q, "q1", "anatomy", "basics#intro", missing_explanation="Why.")["explanation"] == "Why."


# --- to_item -------------------------------------------------------------------------


def test_to_item_adds_key_topic_lesson_and_fills_wrong_choice_feedback_without_changing_the_question():
    (q,) = parse_gift("Q {=a #Right. ~b ~c #Not c.}").questions
    before = repr(q.data)
    data = to_item(q, "imported-1", Topic.PLACEMENT, "basics#intro", missing_feedback="Not this one.")
    assert (data["key"], data["topic"], data["lesson"]) == ("imported-1", "placement", "basics#intro")
    assert [c["feedback"] for c in data["choices"]] == ["Right.", "Not this one.", "Not c."]
    assert repr(q.data) == before
    assert to_item(q, "k", "anatomy", "basics#intro")["choices"][1]["feedback"] == MISSING_FEEDBACK
    ITEM_TYPES["single"].model_validate(data)


# --- properties ----------------------------------------------------------------------

_GIFT_TOKENS = [
    *"{}=~#%:\\ .-\n>TFab19",
    "\n\n",
    "\r\n",
    "::",
    "//",
    "$CATEGORY: c\n",
    "[html]",
    "->",
    "####",
    "..",
    "%50%",
    "%-100%",
    "%150%",
    "TRUE",
    "\\n",
    "\\{",
]
gift_like = st.lists(st.sampled_from(_GIFT_TOKENS), max_size=60).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), gift_like))
def test_parse_gift_never_raises_and_what_it_imports_is_valid(text):
    result = parse_gift(text, "fuzz.gift")
    lines = len(text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    for p in result.problems + result.notes:
        assert p.file == "fuzz.gift"
        assert p.line is not None and 1 <= p.line <= lines
    for q in result.questions:
        assert 1 <= q.line <= lines
    assert_valid_and_key_earns_everything(result)


def test_the_importers_stay_free_of_flask_and_the_orm():
    code = (
        "import sys, quizzes.formats.gift, quizzes.formats.aiken, quizzes.formats.imported; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'training')); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
