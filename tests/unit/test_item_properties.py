"""Properties every item type must keep, checked on generated valid items.

The strategies are keyed by the names in ``ITEM_TYPES`` and every test is parametrized
over the registry, so a newly registered type either gets strategies here or fails
loudly (``test_every_registered_item_type_has_strategies``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.items import ITEM_TYPES, AnswerError, Item, Topic
from quizzes.items.short_answer.wildcards import normalise

PROPERTY = settings(max_examples=150, deadline=None)

# --- building blocks ----------------------------------------------------------------

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def _slugs(max_size: int) -> st.SearchStrategy[str]:
    """Strings matching ``[a-z0-9][a-z0-9-]{0,max_size}`` (cheaper than from_regex)."""
    return st.builds(str.__add__, st.sampled_from(_ALNUM), st.text(_ALNUM + "-", max_size=max_size))


slugs = _slugs(12)
choice_ids = _slugs(6)
texts = st.text(min_size=1, max_size=30).filter(lambda s: s.strip())
points = st.one_of(
    st.sampled_from([0.5, 1.0, 2.0, 3.0, 10.0, 100.0]),
    st.floats(min_value=0.0, max_value=100.0, exclude_min=True),
)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)


def common_fields(type_name: str) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {
            "key": slugs,
            "type": st.just(type_name),
            "prompt": texts,
            "points": points,
            "topic": st.sampled_from(list(Topic)),
            "lesson": st.builds(lambda s, a: f"{s}#{a}", slugs, slugs),
            "explanation": texts,
        },
        optional={"shuffle": st.booleans()} if "shuffle" in ITEM_TYPES[type_name].model_fields else {},
    )


@st.composite
def choice_lists(draw: st.DrawFn, exactly_one_correct: bool) -> list[dict]:
    ids = draw(st.lists(choice_ids, min_size=2, max_size=12, unique=True))
    if exactly_one_correct:
        correct = {draw(st.sampled_from(ids))}
    else:
        correct = set(draw(st.lists(st.sampled_from(ids), min_size=1, unique=True)))
    return [
        {
            "id": i,
            "text": draw(texts),
            "correct": i in correct,
            # Wrong choices must explain themselves; right ones may.
            "feedback": draw(st.sampled_from(["", "Yes."])) if i in correct else draw(texts),
        }
        for i in ids
    ]


@st.composite
def numeric_fields(draw: st.DrawFn) -> dict:
    # "+ 0.0" turns -0.0 into 0.0, so that sorted bounds are also ordered for st.floats().
    low, high = sorted([draw(finite_floats) + 0.0, draw(finite_floats) + 0.0])
    fields = {"min": low, "max": high, "units": draw(st.sampled_from(["ml", "mm", "units", "%"]))}
    for name in ("feedback_low", "feedback_high"):
        if draw(st.booleans()):
            fields[name] = draw(texts)
    return fields


@st.composite
def ordering_fields(draw: st.DrawFn) -> dict:
    ids = draw(st.lists(choice_ids, min_size=3, max_size=10, unique=True))
    return {"steps": [{"id": i, "text": draw(texts)} for i in ids]}


@st.composite
def matching_fields(draw: st.DrawFn) -> dict:
    option_ids = draw(st.lists(choice_ids, min_size=2, max_size=12, unique=True))
    prompt_ids = draw(st.lists(choice_ids, min_size=2, max_size=10, unique=True))
    return {
        "options": [{"id": i, "text": draw(texts)} for i in option_ids],
        "prompts": [
            {"id": p, "text": draw(texts), "match": draw(st.sampled_from(option_ids)), "feedback": draw(texts)}
            for p in prompt_ids
        ],
    }


# Words as students type them: Vietnamese letters (some as one character, some decomposed),
# capitals, spaces and Moodle's wildcard.
_TYPED = "abcdeđêôơưạảấ ABCĐÊ" + "e\u0302\u0301"
answer_texts = st.text(_TYPED + "*", min_size=1, max_size=15).filter(lambda t: t.strip(" *\u0302\u0301"))


@st.composite
def short_answer_fields(draw: st.DrawFn) -> dict:
    # The first answer earns full marks and has words besides wildcards, so the item is valid (an
    # accent right after a "*" belongs to no letter, so such an answer can never be typed: refused).
    first = st.text(_TYPED + "*", min_size=1, max_size=15).filter(
        lambda t: t.strip(" *") and "*\u0302" not in t and "*\u0301" not in t
    )
    first = {"text": draw(first)}
    others = st.fixed_dictionaries(
        {"text": answer_texts, "percent": st.sampled_from([0, 25, 50, 100.0, 33.5])}, optional={"feedback": texts}
    )
    fields = {"answers": [first, *draw(st.lists(others, max_size=4))], "case_sensitive": draw(st.booleans())}
    if draw(st.booleans()):
        fields["feedback_wrong"] = draw(texts)
    return fields


def _typed_answers(item) -> st.SearchStrategy[str]:
    """Texts a student might type (normalised, as parsing keeps them): near the accepted ones or not."""
    near = st.sampled_from([a.text.replace("*", "") or "x" for a in item.answers])
    return st.one_of(near, st.text(_TYPED, min_size=1, max_size=20), texts).map(normalise).filter(bool)


@st.composite
def ordering_answers(draw: st.DrawFn, item) -> list | None:
    """A full or partial arrangement: each position holds a distinct step or is empty."""
    ids = [s.id for s in item.steps]
    order = draw(st.permutations(ids))
    holes = draw(st.lists(st.booleans(), min_size=len(ids), max_size=len(ids)))
    answer = [None if hole else step for step, hole in zip(order, holes, strict=True)]
    return answer if any(answer) else None


@st.composite
def matching_answers(draw: st.DrawFn, item) -> dict | None:
    options = [o.id for o in item.options]
    answer = {p.id: draw(st.sampled_from(options)) for p in item.prompts if draw(st.booleans())}
    return answer or None


def _item(type_name: str, specific: st.SearchStrategy[dict]) -> st.SearchStrategy[Item]:
    return st.builds(
        lambda common, own: ITEM_TYPES[type_name].model_validate({**common, **own}), common_fields(type_name), specific
    )


# Valid items of each registered type.
ITEMS: dict[str, st.SearchStrategy[Item]] = {
    "single": _item("single", st.fixed_dictionaries({"choices": choice_lists(exactly_one_correct=True)})),
    "multiple": _item("multiple", st.fixed_dictionaries({"choices": choice_lists(exactly_one_correct=False)})),
    "true-false": _item(
        "true-false",
        st.fixed_dictionaries({"correct": st.booleans()}, optional={"feedback_true": texts, "feedback_false": texts}),
    ),
    "numeric": _item("numeric", numeric_fields()),
    "ordering": _item("ordering", ordering_fields()),
    "matching": _item("matching", matching_fields()),
    "short-answer": _item("short-answer", short_answer_fields()),
}


def _numbers_for(item) -> st.SearchStrategy[float]:
    return st.one_of(
        finite_floats,
        st.floats(min_value=item.min, max_value=item.max),
        st.sampled_from([item.min, item.max]),
    )


# Every answer the type accepts (what parse_answer can produce), None for blank.
ANSWERS: dict[str, Callable[[Item], st.SearchStrategy]] = {
    "single": lambda item: st.none() | st.sampled_from([c.id for c in item.choices]),
    "multiple": lambda item: st.none() | st.lists(st.sampled_from([c.id for c in item.choices]), unique=True),
    "true-false": lambda item: st.none() | st.booleans(),
    "numeric": lambda item: st.none() | _numbers_for(item),
    "ordering": lambda item: st.none() | ordering_answers(item),
    "matching": lambda item: st.none() | matching_answers(item),
    "short-answer": lambda item: st.none() | _typed_answers(item),
}


def _raw_values(item: Item) -> st.SearchStrategy[list[str]]:
    """Form values a browser (or anyone with curl) might send for the item."""
    plausible = [c.id for c in getattr(item, "choices", [])] + ["true", "false", "1,5", "-2", "nan", "1e5"]
    plausible += [f"{n}={s.id}" for n, s in enumerate(getattr(item, "steps", []), 1)]
    plausible += [f"{p.id}={o.id}" for p in getattr(item, "prompts", []) for o in item.options[:2]]
    plausible += ["=", "x=", "=y", "99=zz"]
    value = st.one_of(
        st.text(max_size=12),
        st.sampled_from(plausible),
        finite_floats.map(repr),
        st.from_regex(r"[+-]?\d{1,400}([.,]\d{0,5})?", fullmatch=True),
    )
    return st.lists(value, max_size=3)


def strategies_for(type_name: str) -> tuple[st.SearchStrategy[Item], Callable[[Item], st.SearchStrategy]]:
    if type_name not in ITEMS or type_name not in ANSWERS:
        pytest.fail(f"item type '{type_name}' is registered but has no strategy here: add it to ITEMS and ANSWERS")
    return ITEMS[type_name], ANSWERS[type_name]


CHOICE_TYPES = sorted(name for name, cls in ITEM_TYPES.items() if "choices" in cls.model_fields)
ALL_OR_NOTHING_TYPES = sorted(name for name, cls in ITEM_TYPES.items() if "Partial credit: none" in (cls.__doc__ or ""))
each_type = pytest.mark.parametrize("type_name", sorted(ITEM_TYPES))


# --- the registry is covered --------------------------------------------------------


def test_every_registered_item_type_has_strategies():
    missing = sorted(set(ITEM_TYPES) - (set(ITEMS) & set(ANSWERS)))
    assert not missing, f"add strategies for {missing} to ITEMS and ANSWERS"


def test_the_choice_and_all_or_nothing_groups_are_what_the_docstrings_say():
    assert {"single", "multiple"} <= set(CHOICE_TYPES)
    assert ALL_OR_NOTHING_TYPES == ["numeric", "single", "true-false"]


@each_type
@PROPERTY
@given(data=st.data())
def test_strategies_build_valid_items_of_the_registered_class(type_name, data):
    items, _ = strategies_for(type_name)
    item = data.draw(items)
    assert type(item) is ITEM_TYPES[type_name]
    assert item.type == type_name


# --- (1) a mark lies in [0, points] -------------------------------------------------


@each_type
@PROPERTY
@given(data=st.data())
def test_mark_always_lies_between_zero_and_the_items_points(type_name, data):
    items, answers = strategies_for(type_name)
    item = data.draw(items, label="item")
    answer = data.draw(answers(item), label="answer")
    mark = item.grade(answer)
    assert mark.points == item.points
    assert 0.0 <= mark.awarded <= mark.points
    assert 0.0 <= mark.fraction <= 1.0


@each_type
@PROPERTY
@given(data=st.data())
def test_blank_answer_always_earns_zero(type_name, data):
    items, _ = strategies_for(type_name)
    item = data.draw(items)
    assert item.grade(None).awarded == 0.0


# --- (2) the key earns full marks ---------------------------------------------------


@each_type
@PROPERTY
@given(data=st.data())
def test_key_answer_always_earns_full_marks(type_name, data):
    items, _ = strategies_for(type_name)
    item = data.draw(items)
    mark = item.grade(item.key_answer())
    assert mark.is_full
    assert mark.awarded == item.points


# --- (3) the order of choices never matters -----------------------------------------


@pytest.mark.parametrize("type_name", CHOICE_TYPES)
@PROPERTY
@given(data=st.data())
def test_shuffling_the_choices_never_changes_a_mark(type_name, data):
    items, answers = strategies_for(type_name)
    item = data.draw(items, label="item")
    permuted = data.draw(st.permutations(item.choices), label="order")
    shuffled = type(item).model_validate({**item.model_dump(), "choices": [c.model_dump() for c in permuted]})
    answer = data.draw(answers(item), label="answer")
    assert shuffled.grade(answer) == item.grade(answer)
    assert sorted(shuffled.feedback_for(answer)) == sorted(item.feedback_for(answer))
    assert shuffled.grade(shuffled.key_answer()) == item.grade(item.key_answer())


@PROPERTY
@given(data=st.data())
def test_shuffling_a_matching_items_prompts_and_options_never_changes_a_mark(data):
    item = data.draw(ITEMS["matching"], label="item")
    prompts = data.draw(st.permutations(item.prompts), label="prompts")
    options = data.draw(st.permutations(item.options), label="options")
    shuffled = type(item).model_validate(
        {
            **item.model_dump(),
            "prompts": [p.model_dump() for p in prompts],
            "options": [o.model_dump() for o in options],
        }
    )
    answer = data.draw(ANSWERS["matching"](item), label="answer")
    assert shuffled.grade(answer) == item.grade(answer)
    assert sorted(shuffled.feedback_for(answer)) == sorted(item.feedback_for(answer))


@PROPERTY
@given(data=st.data())
def test_an_ordering_mark_depends_on_the_sequence_given_not_on_the_step_names(data):
    item = data.draw(ITEMS["ordering"], label="item")
    answer = data.draw(ANSWERS["ordering"](item), label="answer")
    rename = {s.id: f"s{n}" for n, s in enumerate(item.steps)}
    renamed = type(item).model_validate(
        {**item.model_dump(), "steps": [{"id": rename[s.id], "text": s.text} for s in item.steps]}
    )
    renamed_answer = [rename[s] if s else None for s in answer] if answer else None
    assert renamed.grade(renamed_answer) == item.grade(answer)


# --- the partial-credit rules in the docstrings -------------------------------------


@pytest.mark.parametrize("type_name", ALL_OR_NOTHING_TYPES)
@PROPERTY
@given(data=st.data())
def test_types_without_partial_credit_award_all_or_nothing(type_name, data):
    items, answers = strategies_for(type_name)
    item = data.draw(items, label="item")
    answer = data.draw(answers(item), label="answer")
    assert item.grade(answer).awarded in (0.0, item.points)


@PROPERTY
@given(data=st.data())
def test_multiple_response_mark_is_correct_picks_over_c_minus_wrong_picks_over_w(data):
    item = data.draw(ITEMS["multiple"], label="item")
    picked = set(data.draw(ANSWERS["multiple"](item), label="answer") or [])
    correct = {c.id for c in item.choices if c.correct}
    wrong = {c.id for c in item.choices} - correct
    expected = len(picked & correct) / len(correct) - (len(picked & wrong) / len(wrong) if wrong else 0)
    assert item.grade(sorted(picked)).awarded == pytest.approx(max(0.0, expected) * item.points, abs=1e-6)


@PROPERTY
@given(data=st.data())
def test_ordering_mark_is_adjacent_pairs_in_sequence_over_n_minus_one(data):
    item = data.draw(ITEMS["ordering"], label="item")
    answer = data.draw(ANSWERS["ordering"](item), label="answer") or []
    key = item.key_answer()
    right_pairs = {(a, b) for a, b in zip(key, key[1:], strict=False)}
    expected = sum((a, b) in right_pairs for a, b in zip(answer, answer[1:], strict=False)) / (len(key) - 1)
    assert item.grade(answer or None).awarded == pytest.approx(expected * item.points, abs=1e-6)
    assert item.grade(list(reversed(key))).awarded == 0.0


@PROPERTY
@given(data=st.data())
def test_matching_mark_is_right_matches_over_prompts(data):
    item = data.draw(ITEMS["matching"], label="item")
    answer = data.draw(ANSWERS["matching"](item), label="answer") or {}
    expected = sum(answer.get(p.id) == p.match for p in item.prompts) / len(item.prompts)
    assert item.grade(answer or None).awarded == pytest.approx(expected * item.points, abs=1e-6)


@each_type
@PROPERTY
@given(data=st.data())
def test_form_values_post_the_same_answer_back(type_name, data):
    items, answers = strategies_for(type_name)
    item = data.draw(items, label="item")
    answer = data.draw(answers(item), label="answer")
    parsed = item.parse_answer(item.form_values(answer))
    if type_name == "multiple" and answer is not None:
        assert parsed == (sorted(answer) or None)
    else:
        assert parsed == answer


@PROPERTY
@given(data=st.data())
def test_numeric_earns_full_marks_exactly_inside_the_inclusive_range(data):
    item = data.draw(ITEMS["numeric"], label="item")
    value = data.draw(_numbers_for(item), label="value")
    assert item.grade(value).is_full == (item.min <= value <= item.max)


# --- raw form values ----------------------------------------------------------------


@each_type
@PROPERTY
@given(data=st.data())
def test_parse_answer_either_refuses_with_answer_error_or_gives_a_gradable_answer(type_name, data):
    items, _ = strategies_for(type_name)
    item = data.draw(items, label="item")
    raw = data.draw(_raw_values(item), label="raw")
    try:
        answer = item.parse_answer(raw)
    except AnswerError:
        return
    if isinstance(answer, float):
        assert math.isfinite(answer), "a parsed number must be storable as JSON"
    mark = item.grade(answer)
    assert 0.0 <= mark.awarded <= item.points
    assert all(isinstance(text, str) and text for text in item.feedback_for(answer))
    assert isinstance(item.describe(answer), str)


@each_type
@PROPERTY
@given(data=st.data())
def test_feedback_and_description_work_for_every_accepted_answer(type_name, data):
    items, answers = strategies_for(type_name)
    item = data.draw(items, label="item")
    answer = data.draw(answers(item), label="answer")
    assert all(isinstance(text, str) and text for text in item.feedback_for(answer))
    assert item.describe(answer)
