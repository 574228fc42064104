"""What a student is shown of a module: its stages and items as a page shows them, and graded items.

Pure, like the rest of the engine: the take page, an author's preview, a review card and
the result page build these from a module document, a seed, the saved answers and a
page's form tokens. What each type shows comes from the type itself (its ``shown_parts``,
``correct_lines``, ``result_feedback`` and templates), never from a branch on its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .certainty import cbm_fraction, certainty_of, overconfident
from .content import Module, StageRef
from .items import Item, Mark
from .items.tokens import FormTokens


@dataclass(frozen=True)
class ItemView:
    """An item as one page shows it: number, parts in this page's order, saved answer.

    ``tokens`` are the page's opaque form values: templates read ``options``, ``coded`` and
    ``form_values``, never an authored part id.
    """

    number: int
    item: Item
    parts: Sequence[Any]
    answer: Any | None
    tokens: FormTokens
    # How sure the student said they were of the saved answer (certainty marking), as posted: "1".."3" or "".
    certainty: str = ""

    @property
    def ref(self) -> str:
        """What the page calls this item (a token: an authored key can name its answer)."""
        return self.tokens.item_ref(self.item.key)

    @property
    def field(self) -> str:
        """The form field name of this item."""
        return f"item-{self.ref}"

    @property
    def options(self) -> list[tuple[str, Any]]:
        """(form value, part) of what the student picks from, in this page's order."""
        return self.coded("part", self.parts)

    def coded(self, kind: str, parts: Sequence[Any]) -> list[tuple[str, Any]]:
        """(form value, part) of ``parts`` of ``kind`` (see the type's ``coded_parts``), in the order given."""
        return [(self.tokens.token(self.item.key, kind, part.id), part) for part in parts]

    @property
    def form_values(self) -> list[str]:
        """The saved answer as the form values that would post it again."""
        return self.tokens.encode(self.item, self.item.form_values(self.answer))

    def parse(self, values: list[str]) -> Any | None:
        """The answer the posted ``values`` give (AnswerError for a value this page never offered)."""
        return self.item.parse_answer(self.tokens.decode(self.item, values))


def item_view(
    number: int, item: Item, seed: int, answer: Any | None, tokens: FormTokens, certainty: int | None = None
) -> ItemView:
    """One item as a page shows it, its parts in the order ``seed`` gives (an attempt's seed: the same on
    every reload)."""
    sure = "" if certainty is None else str(certainty)
    return ItemView(
        number=number, item=item, parts=item.shown_parts(seed), answer=answer, tokens=tokens, certainty=sure
    )


@dataclass(frozen=True)
class Feedback:
    """A piece of feedback and whether it praises (a right choice) or corrects."""

    text: str
    positive: bool


@dataclass(frozen=True)
class ResultItem:
    """One item on the result page, with everything that teaches."""

    number: int
    ref: StageRef
    item: Item
    answer: Any | None
    mark: Mark
    given: list[str]
    feedback: list[Feedback]
    correct: list[str]
    # What the answer picked that the author marked harmful, in words.
    harmful: list[str] = field(default_factory=list)
    # A harmful pick, or a safety-critical question not fully right.
    safety_miss: bool = False
    # How sure the student said they were (1-3), with certainty marking; None without.
    certainty: int | None = None

    @property
    def cbm(self) -> float | None:
        """The certainty-based mark, in points (None without certainty marking)."""
        if self.certainty is None:
            return None
        return round(cbm_fraction(self.mark.fraction, self.certainty) * self.mark.points, 6)

    @property
    def overconfident(self) -> bool:
        """Wrong at medium or high certainty."""
        return self.certainty is not None and overconfident(self.mark.fraction, self.certainty)


def result_item(
    number: int, ref: StageRef, item: Item, answer: Any | None, mark: Mark | None = None, certainty: int | None = None
) -> ResultItem:
    """Everything that teaches about one answered item (graded now unless a mark is given).

    :param certainty: the certainty given, with certainty marking (0 for "none given": counts as low).
    """
    mark = mark or item.grade(answer)
    harmful = item.harmful_picks(answer)
    return ResultItem(
        number=number,
        ref=ref,
        item=item,
        answer=answer,
        mark=mark,
        given=item.describe_lines(answer),
        feedback=[Feedback(text, positive) for text, positive in item.result_feedback(answer)],
        correct=item.correct_lines(),
        harmful=harmful,
        safety_miss=item.safety_miss(answer, mark),
        certainty=certainty,
    )


@dataclass(frozen=True)
class StageView:
    """A stage with its items as the take page shows them."""

    ref: StageRef
    items: list[ItemView]
    locked: bool
    # Tutor mode: marks and feedback of a locked stage (None in exam mode or while open).
    results: list[ResultItem] | None = None
    # Whether ``results`` may show the correct answers, feedback and explanations.
    reveal: bool = False


def build_stage_views(
    module: Module,
    current: int,
    seed: int,
    answers: dict[str, Any],
    *,
    tokens: FormTokens,
    mark_locked: bool = False,
    reveal_locked: bool = False,
    certainties: dict[str, int | None] | None = None,
) -> list[StageView]:
    """Stages 0..``current`` of ``module`` as the take page (or an author's preview) shows them.

    Carries only what the student may see before submission: no correctness, no feedback,
    no explanation (templates get the items, but only render prompts and part texts).

    :param tokens: the page's form values.
    :param mark_locked: tutor mode: locked stages carry their marks and the answers given.
    :param reveal_locked: with ``mark_locked``, also the correct answers, feedback and explanations.
    :param certainties: item key -> the certainty saved with the answer (certainty marking).
    """
    numbers = {item.key: n for n, item in enumerate(module.items(), 1)}
    views = []
    for ref in module.stages()[: current + 1]:
        items = [
            item_view(numbers[item.key], item, seed, answers.get(item.key), tokens, (certainties or {}).get(item.key))
            for item in ref.stage.items
        ]
        locked = ref.index < current
        results = None
        if locked and (mark_locked or reveal_locked):
            results = [result_item(v.number, ref, v.item, v.answer) for v in items]
            if not reveal_locked:
                # Held back: the page must not even carry them (the template would hide them anyway).
                results = [replace(r, feedback=[], correct=[]) for r in results]
        views.append(StageView(ref=ref, items=items, locked=locked, results=results, reveal=reveal_locked))
    return views


def result_items(
    module: Module, answers: dict[str, tuple[Any, Mark | None]], certainties: dict[str, int | None] | None = None
) -> list[ResultItem]:
    """Every item of ``module`` graded, in order; ``answers``: item key -> (answer, mark stored at submission).

    :param certainties: item key -> certainty given, for a module with certainty marking
        (a missing one counts as low).
    """
    out, number = [], 0
    cbm = module.settings.certainty_marking
    for ref in module.stages():
        for item in ref.stage.items:
            number += 1
            answer, mark = answers.get(item.key, (None, None))
            certainty = int(certainty_of((certainties or {}).get(item.key))) if cbm else None
            out.append(result_item(number, ref, item, answer, mark, certainty))
    return out


def review_view(module: Module, item_key: str, seed: int, tokens: FormTokens) -> tuple[StageRef, ItemView]:
    """One item of ``module`` as a review card shows it, with its stage for context."""
    numbers = {item.key: n for n, item in enumerate(module.items(), 1)}
    for ref in module.stages():
        for item in ref.stage.items:
            if item.key == item_key:
                return ref, item_view(numbers[item.key], item, seed, None, tokens)
    raise LookupError(f"item {item_key!r} is not in the module")
