"""Aiken import: single-best-answer questions, and each mistake reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.formats.aiken import parse_aiken
from quizzes.formats.imported import DEFAULT_EXPLANATION, ImportResult, to_item
from quizzes.items import ITEM_TYPES

DATA = Path(__file__).parent / "data"


def messages(result: ImportResult) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in result.problems]


def test_a_good_file_imports_every_question_as_single_best_answer():
    result = parse_aiken((DATA / "sample.aiken").read_text(encoding="utf-8"), "sample.aiken")
    assert result.problems == []
    assert [(q.line, q.title, q.category) for q in result.questions] == [
        (1, None, None),
        (7, None, None),
        (14, None, None),
    ]
    first, second, third = (q.data for q in result.questions)
    assert first == {
        "type": "single",
        "prompt": "Which layer do the threads sit in?",
        "explanation": DEFAULT_EXPLANATION,
        "points": 1.0,
        "choices": [
            {"id": "a", "text": "Dermis", "correct": False, "feedback": ""},
            {"id": "b", "text": "Subcutaneous fat", "correct": True, "feedback": ""},
            {"id": "c", "text": "Periosteum", "correct": False, "feedback": ""},
        ],
    }
    assert second["prompt"] == "How long should a client avoid deep facial massage\nafter a thread lift?"
    assert [c["text"] for c in second["choices"]] == ["24 hours", "2-3 weeks", "6 months", "Never again"]
    assert [c["correct"] for c in third["choices"]] == [True, False]
    for n, q in enumerate(result.questions):
        data = to_item(q, f"aiken-{n}", "aftercare", "basics#intro")
        item = ITEM_TYPES["single"].model_validate(data)
        assert item.grade(item.key_answer()).is_full
        assert all(c.feedback for c in item.choices if not c.correct)


def test_missing_answer_is_reported_at_the_question_and_the_next_question_still_imports():
    text = "Q1?\nA. x\nB. y\n\nQ2?\nA. x\nB. y\nANSWER: A\n\nQ3?\nA. x\nB. y\n"
    result = parse_aiken(text, "t.txt")
    assert messages(result) == [
        (1, "missing ANSWER line (e.g. 'ANSWER: B')"),
        (10, "missing ANSWER line (e.g. 'ANSWER: B')"),
    ]
    assert [q.data["prompt"] for q in result.questions] == ["Q2?"]
    assert result.problems[0].file == "t.txt"


def test_text_straight_after_the_options_starts_a_new_question():
    result = parse_aiken("Q1?\nA. x\nB. y\nQ2?\nA. x\nB. y\nANSWER: B")
    assert messages(result) == [(1, "missing ANSWER line (e.g. 'ANSWER: B')")]
    assert [(q.line, q.data["prompt"]) for q in result.questions] == [(4, "Q2?")]


def test_answer_not_among_the_options_is_reported_at_the_answer_line():
    result = parse_aiken("Q1?\nA. x\nB. y\nANSWER: D\n\nQ2?\nA) x\nB) y\nANSWER: b")
    assert messages(result) == [(4, "ANSWER D is not among the options (A, B)")]
    assert [c["correct"] for c in result.questions[0].data["choices"]] == [False, True]  # a lower-case letter is fine


@pytest.mark.parametrize("answer", ["B, C", "BC", "", "2"])
def test_answer_must_be_one_letter(answer):
    result = parse_aiken(f"Q?\nA. x\nB. y\nC. z\nANSWER: {answer}")
    assert messages(result) == [(5, f"ANSWER '{answer}' should be one option letter, e.g. 'ANSWER: B'")]


def test_fewer_than_two_options_is_reported_at_the_question():
    result = parse_aiken("Intro line\nQ?\nA. only\nANSWER: A\n\nNo options at all?\nANSWER: A")
    assert messages(result) == [
        (1, "fewer than 2 options (1): write each as 'A. text'"),
        (6, "fewer than 2 options (0): write each as 'A. text'"),
        (7, "ANSWER A is not among the options (none)"),
    ]
    assert result.questions == []


def test_repeated_or_empty_options_are_reported_at_their_line():
    result = parse_aiken("Q?\nA. x\nB. y\nB. z\nC.\nANSWER: A")
    assert messages(result) == [(4, "option B appears twice"), (5, "option C has no text")]


def test_an_answer_line_without_a_question():
    result = parse_aiken("ANSWER: A\n\nQ?\nA. x\nB. y\nANSWER: A")
    assert messages(result) == [(1, "an ANSWER line with no question before it")]
    assert len(result.questions) == 1


def test_a_blank_line_between_question_and_options_is_allowed_but_text_after_it_starts_anew():
    result = parse_aiken("Q?\n\nA. x\nB. y\nANSWER: A")
    assert result.problems == [] and result.questions[0].data["prompt"] == "Q?"
    result = parse_aiken("Stray text\n\nQ?\nA. x\nB. y\nANSWER: A")
    assert messages(result) == [
        (1, "fewer than 2 options (0): write each as 'A. text'"),
        (1, "missing ANSWER line (e.g. 'ANSWER: B')"),
    ]
    assert [(q.line, q.data["prompt"]) for q in result.questions] == [(3, "Q?")]


def test_more_options_than_the_schema_allows_is_a_problem_not_an_exception():
    options = "\n".join(f"{chr(65 + i)}. option {i}" for i in range(13))
    result = parse_aiken(f"Q?\n{options}\nANSWER: A")
    assert result.questions == []
    assert result.problems[0].line == 1
    assert result.problems[0].message.startswith(
        "cannot be imported as a single item: choices: List should have at most 12"
    )


def test_windows_line_endings_and_a_byte_order_mark():
    result = parse_aiken("\ufeffQ?\r\nA. x\r\nB. y\r\nANSWER: B\r\n")
    assert result.problems == []
    assert [c["text"] for c in result.questions[0].data["choices"]] == ["x", "y"]


_AIKEN_TOKENS = ["Q?", "A. ", "B) ", "C.", "Z. ", "ANSWER: ", "answer:", "A", "b", "x", " ", "\n", "\n\n", "\r"]
aiken_like = st.lists(st.sampled_from(_AIKEN_TOKENS), max_size=50).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), aiken_like))
def test_parse_aiken_never_raises_and_what_it_imports_is_valid(text):
    result = parse_aiken(text)
    lines = len(text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    for p in result.problems:
        assert p.line is not None and 1 <= p.line <= lines
    for q in result.questions:
        data = to_item(q, "q1", "anatomy", "basics#intro")
        item = ITEM_TYPES[data["type"]].model_validate(data)
        assert item.grade(item.key_answer()).is_full
