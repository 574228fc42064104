"""Short answer: type a word or a phrase, marked against accepted answers (Moodle's ``shortanswer``).

The type's home: the item (here), how typed text is compared (``wildcards.py``), its GIFT
answers (``from_gift``) and its take page (``templates/take.html``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from ...stats import ResponseCount
from ..base import AnswerError, Item, Mark, make_mark, single_value
from ..editor import Editor, Rows
from ..editor import Field as EditorField
from .wildcards import MAX_WILDCARDS, fold, literal, matches, normalise, wildcards

if TYPE_CHECKING:
    from ...formats.gift import GiftAnswers, GiftWriter

MAX_LENGTH = 500
"""The longest answer a student may type, in characters (a phrase, not an essay)."""

LISTED = 20
"""Item analysis lists this many distinct answers, the most frequent first; the rest are added up."""

AnswerText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LENGTH)]


class Accepted(BaseModel):
    """An answer the item knows, with the share of the points it earns and what to tell the student."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: AnswerText = Field(description="* stands for any text; \\* is an asterisk")
    percent: float = Field(default=100.0, ge=0, le=100, description="share of the points: 100 right, less partly")
    feedback: str = ""
    # A known answer that would hurt a client if acted on (its mark must be 0).
    harmful: bool = False

    @model_validator(mode="after")
    def _harmful_earns_nothing(self) -> Accepted:
        if self.harmful and self.percent > 0:
            raise ValueError(f"answer '{self.text}' is marked harmful, so its mark must be 0%")
        return self

    @field_validator("text")
    @classmethod
    def _few_wildcards(cls, text: str) -> str:
        if wildcards(text) > MAX_WILDCARDS:
            raise ValueError(f"use at most {MAX_WILDCARDS} * in one answer")
        return text


class ShortAnswer(Item):
    """Type a word or a short phrase.

    Partial credit: the first answer in the list that the typed text matches earns its
    ``percent`` of the points (100 for a right answer, less for a partly right one, 0 for a
    known wrong one, which may still carry its own feedback); text that matches none, or
    a blank, earns 0. Text is compared after Unicode NFC normalisation, with spaces
    collapsed and, unless ``case_sensitive``, capitals ignored; ``*`` stands for any text
    (see ``wildcards.py``). An answer that matches none gets ``feedback_wrong``.
    """

    label = "Short answer"
    editor: ClassVar[Editor] = Editor(
        blocks=(
            Rows(
                "answers",
                "Answers",
                "Answer",
                "The first answer in this list that a student's text matches gives its mark, so put the most "
                "exact ones first. * stands for any text: *facial* accepts “the facial nerve”. Accents and "
                "word breaks count; extra spaces and (unless ticked below) capitals do not. Clear a row to leave "
                "it out.",
                fields=(
                    EditorField("text", "Text"),
                    EditorField("percent", "Mark (%)", "number", default=100.0, bounds=(0, 100)),
                    EditorField("feedback", "Feedback", "markdown"),
                    EditorField("harmful", "Harmful", "check"),
                ),
                ids=None,
                ordered=True,
                limit=20,
                shown=3,
            ),
            EditorField("case_sensitive", "Capitals matter (e.g. accept “PDO” but not “pdo”)", "check", default=False),
            EditorField("feedback_wrong", "Feedback for any other answer", "markdown"),
        ),
        errors=(("full marks", "answers"), ("marked harmful", "answers")),
    )
    responses_heading: ClassVar[str] = "Answers given"
    gift_order = 50
    max_length: ClassVar[int] = MAX_LENGTH
    type: Literal["short-answer"]
    answers: list[Accepted] = Field(min_length=1, max_length=20, description="tried in order; the first match counts")
    case_sensitive: bool = False
    feedback_wrong: str = Field(default="", description="for an answer that matches none of ``answers``")

    @model_validator(mode="after")
    def _full_marks_reachable(self) -> ShortAnswer:
        if not any(a.percent == 100 for a in self.answers):
            raise ValueError("no answer earns full marks: give at least one answer a mark of 100%")
        if self._key() is None:
            raise ValueError(
                "no answer earns full marks as typed: an earlier answer with a lower mark catches every 100% "
                "answer, or a 100% answer is only '*'; move the 100% answer up"
            )
        return self

    def match(self, answer: Any | None) -> Accepted | None:
        """The first accepted answer the typed ``answer`` matches, or None."""
        if not isinstance(answer, str) or not answer.strip():
            return None
        return next((a for a in self.answers if matches(answer, a.text, self.case_sensitive)), None)

    def _key(self) -> str | None:
        for accepted in self.answers:
            text = literal(accepted.text)
            if accepted.percent == 100 and text and (hit := self.match(text)) is not None and hit.percent == 100:
                return text
        return None

    def parse_answer(self, values: list[str]) -> str | None:
        value = single_value(values)
        if value is None:
            return None
        value = normalise(value)
        if len(value) > MAX_LENGTH:
            raise AnswerError(f"Keep the answer to {MAX_LENGTH} characters or fewer.")
        return value

    def harmful_picks(self, answer: Any | None) -> list[str]:
        hit = self.match(answer)
        return [str(answer)] if hit is not None and hit.harmful else []

    def harmful_parts(self) -> list[str]:
        return [a.text for a in self.answers if a.harmful]

    def grade(self, answer: Any | None) -> Mark:
        hit = self.match(answer)
        return make_mark(hit.percent / 100 if hit else 0.0, self.points)

    def key_answer(self) -> str:
        key = self._key()
        if key is None:  # the validator refuses such an item; only an unvalidated copy gets here
            raise ValueError("no answer earns full marks as typed")
        return key

    def feedback_for(self, answer: Any | None) -> list[str]:
        if answer is None:
            return []
        hit = self.match(answer)
        if hit is not None and hit.feedback:
            return [hit.feedback]
        if (hit is None or hit.percent == 0) and self.feedback_wrong:
            return [self.feedback_wrong]
        return []

    def describe(self, answer: Any | None) -> str:
        return "No answer" if answer is None else str(answer)

    def correct_lines(self) -> list[str]:
        """Every fully right answer once, wildcards taken out."""
        seen: dict[str, str] = {}
        for accepted in self.answers:
            text = literal(accepted.text)
            if accepted.percent == 100 and text and self.grade(text).is_full:
                seen.setdefault(fold(text, self.case_sensitive), text)
        return list(seen.values())

    def tally_responses(self, counted: Iterable[tuple[Any, int]]) -> list[ResponseCount]:
        """The distinct answers given, most frequent first (answers that compare equal count as one), then blanks."""
        counts: Counter[str] = Counter()
        spellings: dict[str, Counter[str]] = {}
        attempts = blank = 0
        for response, n in counted:
            attempts += n
            if not isinstance(response, str) or not response.strip():
                blank += n
                continue
            same = fold(response, self.case_sensitive)
            counts[same] += n
            spellings.setdefault(same, Counter())[response] += n

        def percent(n: int) -> float | None:
            return 100.0 * n / attempts if attempts else None

        ranked = sorted(counts.items(), key=lambda entry: (-entry[1], entry[0]))
        out = []
        for same, n in ranked[:LISTED]:
            # As most students wrote it; of equally common spellings, the plainest (lower case first).
            shown = min(spellings[same], key=lambda t, c=spellings[same]: (-c[t], t != t.casefold(), t))
            out.append(ResponseCount(shown, n, percent(n), self.grade(shown).fraction))
        rest = ranked[LISTED:]
        if rest:
            n = sum(count for _, count in rest)
            out.append(ResponseCount(f"{len(rest)} other answers", n, percent(n), None))
        out.append(ResponseCount(None, blank, percent(blank), None))
        return out

    @classmethod
    def from_gift(cls, answers: GiftAnswers) -> dict[str, Any] | None:
        """``{=answer =other}`` (only ``=`` answers, no ``~`` and no ``->``), ``{=%50%partial}``, ``{=answer}``.

        Each answer earns its weight (100% without one; 0 to 100); text after ``#`` is its
        feedback. ``*`` in an answer is a wildcard, as in Moodle. Capitals are ignored (GIFT
        cannot say otherwise; tick the box in the editor where they matter).
        """
        if "=" not in answers.mask or "~" in answers.mask or "->" in answers.mask:
            return None
        accepted = []
        for answer in answers.answers("="):
            if answer.weight is not None and answer.weight < 0:
                weight = answers.fmt(answer.weight)
                answers.bad(f"weight {weight}%: a short answer's weight is from 0 to 100", answer.line)
            percent = 100.0 if answer.weight is None else answer.weight
            accepted.append({"text": answer.text, "percent": percent, "feedback": answer.feedback})
        if not any(a["percent"] == 100 for a in accepted):
            answers.bad("no correct answer: no answer is worth 100%")
        return {"answers": accepted}

    @classmethod
    def harmful_from_gift(cls, data: dict[str, Any], words: str) -> bool:
        """``// harmful: <an accepted answer worth 0%>`` marks that answer harmful."""
        hits = [a for a in data.get("answers", []) if " ".join(a["text"].split()) == words and not a.get("percent")]
        for accepted in hits:
            accepted["harmful"] = True
        return bool(hits)

    def to_gift(self, out: GiftWriter) -> str:
        """``=%100%answer#feedback =%0%known wrong answer#why``, in the order they are tried."""
        if self.case_sensitive:
            out.note("capitals matter in this question; GIFT cannot say so (Moodle ignores them)")
        if self.feedback_wrong:
            out.note("the feedback for any other answer is not written (GIFT has no place for it)")
        return " ".join(
            f"=%{out.number(a.percent)}%{out.escape(a.text)}{out.feedback(a.feedback)}" for a in self.answers
        )


ITEM = ShortAnswer
