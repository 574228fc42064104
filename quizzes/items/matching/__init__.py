"""Matching items: match each prompt with one option."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

from ..arrange import Part, PartId, pairs, recode_pairs
from ..base import AnswerError, Item, Mark, find_part, make_mark, require_unique_ids, shuffled
from ..editor import Editor, Rows
from ..editor import Field as EditorField

if TYPE_CHECKING:
    from ...formats.gift import GiftAnswers, GiftWriter


class Prompt(Part):
    """Something to match, with the option that matches it and why."""

    match: PartId
    feedback: str = Field(default="", description="shown when this prompt is matched wrongly")
    # Options that, matched with this prompt, would hurt a client.
    harmful: list[PartId] = Field(default_factory=list, max_length=12)


class Option(Part):
    """Something a prompt can be matched with (there may be more options than prompts)."""


class Matching(Item):
    """Match each prompt with one option (options may be used more than once, and some may fit none).

    Partial credit: each prompt matched correctly earns 1/P of the points (P = number of
    prompts); a wrong or missing match earns nothing for that prompt and takes nothing away.
    """

    label = "Matching"
    editor: ClassVar[Editor] = Editor(
        blocks=(
            Rows(
                "options",
                "Options",
                "Option",
                "What prompts are matched with (an option may fit several prompts or none). "
                "A row with no text is left out.",
                fields=(EditorField("text", "Text"),),
                limit=12,
            ),
            Rows(
                "prompts",
                "Prompts",
                "Prompt",
                "Pick the option that matches each prompt (the list shows the option ids as the page was opened: "
                "after changing an id, save and pick again). A row with no text is left out.",
                fields=(
                    EditorField("text", "Text"),
                    EditorField("match", "Matches option", "pick", pick_from="options", placeholder="Choose an option"),
                    EditorField("feedback", "Feedback when matched wrongly", "markdown"),
                    EditorField(
                        "harmful",
                        "Harmful matches",
                        "picks",
                        pick_from="options",
                        description="Wrong options whose match with this prompt would hurt a client (any number).",
                    ),
                ),
                ids="p",
                limit=10,
            ),
        ),
        errors=(
            ("prompt ids", "prompts"),
            ("which is not an option", "prompts"),
            ("option ids", "options"),
            ("as harmful", "prompts"),
        ),
    )
    gift_order = 30
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
            for option in prompt.harmful:
                if option not in option_ids or option == prompt.match:
                    raise ValueError(f"prompt '{prompt.id}' names '{option}' as harmful, which is not a wrong option")
        return self

    def harmful_picks(self, answer: Any | None) -> list[str]:
        answer = answer if isinstance(answer, dict) else {}
        return [f"{p.text} → {self._option(answer[p.id]).text}" for p in self.prompts if answer.get(p.id) in p.harmful]

    def harmful_parts(self) -> list[str]:
        return [f"{p.text} → {self._option(o).text}" for p in self.prompts for o in p.harmful]

    def _option(self, option_id: str) -> Option:
        return find_part(self.options, option_id, "option")

    def parse_answer(self, values: list[str]) -> dict[str, str] | None:
        prompts = {p.id for p in self.prompts}
        answer: dict[str, str] = {}
        for prompt_id, option_id in pairs(values):
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
        return recode_pairs(values, lambda prompt: code("prompt", prompt), lambda option: code("part", option))

    def shown_parts(self, seed: int) -> list[Option]:
        """The options, shuffled (the prompts keep their written order)."""
        return shuffled(self.options, seed, self.key)

    @classmethod
    def from_gift(cls, answers: GiftAnswers) -> dict[str, Any] | None:
        """``{=a -> 1 =b -> 2 = -> 3}``: pairs.

        Each left-hand text is a prompt, the distinct right-hand texts are the options (an
        empty left-hand side adds an option that matches nothing). Text after ``#`` on a pair
        becomes that prompt's feedback (a small extension of GIFT).
        """
        if "=" not in answers.mask or "->" not in answers.mask:
            return None
        prompts: list[dict[str, Any]] = []
        options: dict[str, str] = {}  # option text -> id, in first-seen order
        for _, seg, at in answers.segments("="):
            arrow = seg.find("->")
            if arrow < 0:
                answers.bad("a matching pair needs '->' between its two sides", at)
            right_span, feedback = answers.text_and_feedback(seg.cut(arrow + 2))
            left, right = answers.clean(seg.cut(0, arrow)), answers.clean(right_span)
            if not right:
                answers.bad("a matching pair has nothing after '->'", at)
            option_id = options.setdefault(right, f"o{len(options) + 1}")
            if left:
                prompts.append({"id": f"p{len(prompts) + 1}", "text": left, "match": option_id, "feedback": feedback})
        return {
            "prompts": prompts,
            "options": [{"id": option_id, "text": text} for text, option_id in options.items()],
        }

    @classmethod
    def harmful_from_gift(cls, data: dict[str, Any], words: str) -> bool:
        """``// harmful: prompt -> option`` (or ``→``): that wrong match would hurt."""
        left, arrow, right = words.replace("→", "->").partition("->")
        if not arrow:
            return False
        left, right = " ".join(left.split()), " ".join(right.split())
        option = next((o["id"] for o in data.get("options", []) if " ".join(o["text"].split()) == right), None)
        prompt = next((p for p in data.get("prompts", []) if " ".join(p["text"].split()) == left), None)
        if option is None or prompt is None or prompt["match"] == option:
            return False
        prompt.setdefault("harmful", []).append(option)
        return True

    def to_gift(self, out: GiftWriter) -> str:
        """``=prompt -> option#feedback`` per prompt, and ``= -> option`` for an option no prompt matches."""
        texts = {o.id: o.text for o in self.options}
        pairs = [
            f"={out.escape(p.text)} -> {out.escape(texts[p.match])}{out.feedback(p.feedback)}" for p in self.prompts
        ]
        matched = {p.match for p in self.prompts}
        pairs += [f"= -> {out.escape(o.text)}" for o in self.options if o.id not in matched]
        if any("->" in text for text in [*texts.values(), *(p.text for p in self.prompts)]):
            out.note("a text holds '->', which GIFT reads as the arrow of a pair: check the import")
        return " ".join(pairs)


ITEM = Matching
