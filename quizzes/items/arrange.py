"""Items answered by arranging: ordering (put steps in sequence) and matching (pair prompts with options).

Both post "slot=choice" values (position=step for ordering, prompt=option for matching), so a
plain form of drop-down lists works without JavaScript and partial answers can be saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .base import AnswerError, Item, Mark, Text, find_part, make_mark, require_unique_ids

PartId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: PartId
    text: Text


def _pairs(values: list[str]) -> list[tuple[str, str]]:
    """Split "slot=choice" values, skipping blanks; anything else is an AnswerError."""
    pairs = []
    for raw in values:
        raw = (raw or "").strip()
        if not raw:
            continue
        slot, sep, choice = raw.partition("=")
        if not sep:
            raise AnswerError("That answer is not in the expected form.")
        if choice.strip():
            pairs.append((slot.strip(), choice.strip()))
    return pairs


def _recode_pairs(values: list[str], code_slot: Callable[[str], str], code_part: Callable[[str], str]) -> list[str]:
    """Recode "slot=choice" values; blanks and values not in that form stay as they are (parsing judges them)."""
    out = []
    for raw in values:
        slot, sep, part = (raw or "").partition("=")
        out.append(f"{code_slot(slot.strip())}={code_part(part.strip())}" if sep and part.strip() else raw)
    return out


class Step(_Part):
    """One step of a sequence."""


class Ordering(Item):
    """Put the steps in the right order (they are shown shuffled).

    Partial credit: each adjacent pair placed in the right sequence earns 1/(n-1) of the
    points, where n is the number of steps ("relative to the next step", as Moodle's
    ordering question does). The whole sequence right earns everything; the sequence
    reversed earns 0; moving one step out of place loses only the pairs it breaks.
    Positions left empty break the pairs they sit in.
    """

    label = "Ordering"
    type: Literal["ordering"]
    steps: list[Step] = Field(min_length=3, max_length=10, description="in the correct order")

    @model_validator(mode="after")
    def _step_ids_unique(self) -> Ordering:
        require_unique_ids(self.steps, "step")
        return self

    def _step(self, step_id: str) -> Step:
        return find_part(self.steps, step_id, "step")

    def parse_answer(self, values: list[str]) -> list[str | None] | None:
        order: list[str | None] = [None] * len(self.steps)
        for slot, step_id in _pairs(values):
            if not slot.isdigit() or not 1 <= int(slot) <= len(self.steps):
                raise AnswerError("That position is not part of this question.")
            self._step(step_id)
            if order[int(slot) - 1] is not None:
                raise AnswerError("Give each position one step.")
            order[int(slot) - 1] = step_id
        placed = [s for s in order if s is not None]
        if len(placed) != len(set(placed)):
            raise AnswerError("Use each step once.")
        return order if placed else None

    def grade(self, answer: Any | None) -> Mark:
        if not answer:
            return make_mark(0.0, self.points)
        follows = {a.id: b.id for a, b in zip(self.steps, self.steps[1:], strict=False)}
        right = sum(1 for a, b in zip(answer, answer[1:], strict=False) if b is not None and follows.get(a) == b)
        return make_mark(right / (len(self.steps) - 1), self.points)

    def key_answer(self) -> list[str]:
        return [s.id for s in self.steps]

    def describe_lines(self, answer: Any | None) -> list[str]:
        if not answer:
            return ["No answer"]
        return [f"{n}. {self._step(s).text if s else '(empty)'}" for n, s in enumerate(answer, 1)]

    def describe(self, answer: Any | None) -> str:
        return "; ".join(self.describe_lines(answer))

    def form_values(self, answer: Any | None) -> list[str]:
        return [f"{n}={s}" for n, s in enumerate(answer or [], 1) if s]

    def coded_parts(self) -> dict[str, list[str]]:
        return {"part": [s.id for s in self.steps]}

    def recode_values(self, values: list[str], code: Callable[[str, str], str]) -> list[str]:
        # Positions are shown as numbers anyway; only the step ids are coded.
        return _recode_pairs(values, lambda slot: slot, lambda step: code("part", step))


class Prompt(_Part):
    """Something to match, with the option that matches it and why."""

    match: PartId
    feedback: str = Field(default="", description="shown when this prompt is matched wrongly")


class Option(_Part):
    """Something a prompt can be matched with (there may be more options than prompts)."""


class Matching(Item):
    """Match each prompt with one option (options may be used more than once, and some may fit none).

    Partial credit: each prompt matched correctly earns 1/P of the points (P = number of
    prompts); a wrong or missing match earns nothing for that prompt and takes nothing away.
    """

    label = "Matching"
    type: Literal["matching"]
    prompts: list[Prompt] = Field(min_length=2, max_length=10)
    options: list[Option] = Field(min_length=2, max_length=12)

    @model_validator(mode="after")
    def _parts_consistent(self) -> Matching:
        require_unique_ids(self.prompts, "prompt")
        require_unique_ids(self.options, "option")
        option_ids = {o.id for o in self.options}
        for prompt in self.prompts:
            if prompt.match not in option_ids:
                raise ValueError(f"prompt '{prompt.id}' matches '{prompt.match}', which is not an option")
        return self

    def _option(self, option_id: str) -> Option:
        return find_part(self.options, option_id, "option")

    def parse_answer(self, values: list[str]) -> dict[str, str] | None:
        prompts = {p.id for p in self.prompts}
        answer: dict[str, str] = {}
        for prompt_id, option_id in _pairs(values):
            if prompt_id not in prompts:
                raise AnswerError("That prompt is not part of this question.")
            self._option(option_id)
            if prompt_id in answer:
                raise AnswerError("Match each prompt once.")
            answer[prompt_id] = option_id
        return answer or None

    def grade(self, answer: Any | None) -> Mark:
        answer = answer or {}
        right = sum(1 for p in self.prompts if answer.get(p.id) == p.match)
        return make_mark(right / len(self.prompts), self.points)

    def key_answer(self) -> dict[str, str]:
        return {p.id: p.match for p in self.prompts}

    def feedback_for(self, answer: Any | None) -> list[str]:
        if not answer:
            return []
        return [p.feedback for p in self.prompts if answer.get(p.id) != p.match and p.feedback]

    def describe_lines(self, answer: Any | None) -> list[str]:
        if not answer:
            return ["No answer"]
        out = []
        for p in self.prompts:
            chosen = answer.get(p.id)
            out.append(f"{p.text} → {self._option(chosen).text if chosen else '(not matched)'}")
        return out

    def describe(self, answer: Any | None) -> str:
        return "; ".join(self.describe_lines(answer))

    def form_values(self, answer: Any | None) -> list[str]:
        return [f"{p}={o}" for p, o in (answer or {}).items()]

    def coded_parts(self) -> dict[str, list[str]]:
        # Prompts too: GIFT pairs prompt pN with option oN, so a prompt's id names its match.
        return {"part": [o.id for o in self.options], "prompt": [p.id for p in self.prompts]}

    def recode_values(self, values: list[str], code: Callable[[str, str], str]) -> list[str]:
        return _recode_pairs(values, lambda prompt: code("prompt", prompt), lambda option: code("part", option))
