"""Import single-best-answer questions written in the Aiken format (as Moodle reads it).

::

    Which layer do the threads sit in?
    A. Dermis
    B) Subcutaneous fat
    C. Periosteum
    ANSWER: B

A question is one or more lines of text, then its options (an upper-case letter, ``.`` or
``)``, a space, the text), then ``ANSWER: letter``. Blank lines between questions are
optional (a new question starts at the first text line after an ``ANSWER``); a blank line
between a question's text and its options is allowed. Each question
maps to a ``single`` item with choice ids ``a``, ``b``, ``c``... in written order; Aiken has
no feedback, so the explanation is ``default_explanation`` and :func:`to_item` gives wrong
choices their feedback.

Problems (the question is not imported; nothing raises): no ``ANSWER`` line (reported at the
question's first line; a text line after the options starts the next question), an ``ANSWER``
that is not one of the options or not one letter (at the ``ANSWER`` line), fewer than two
options, an option letter used twice or an option with no text (at that line), and an
``ANSWER`` line with no question before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..items import ITEM_TYPES
from .imported import DEFAULT_EXPLANATION, ImportedQuestion, ImportResult, check
from .packs import Problem

_OPTION = re.compile(r"^([A-Z])[.)](?:[ \t]+(.*))?$")
_ANSWER = re.compile(r"^ANSWER\s*:(.*)$", re.IGNORECASE)


@dataclass
class _Draft:
    line: int
    prompt: list[str]
    options: list[tuple[str, str, int]] = field(default_factory=list)  # letter, text, line
    gap: bool = False  # a blank line followed the question text


class _AikenReader:
    def __init__(self, filename: str, default_explanation: str):
        self.filename = filename
        self.default_explanation = default_explanation
        self.result = ImportResult()

    def problem(self, message: str, line: int) -> None:
        self.result.problems.append(Problem(self.filename, "", message, line))

    def read(self, text: str) -> ImportResult:
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        draft: _Draft | None = None
        for n, raw in enumerate(text.split("\n"), start=1):
            line = raw.strip()
            if not line:
                if draft is not None and not draft.options:
                    draft.gap = True  # options may still follow; more text would start a new question
                continue
            answer = _ANSWER.match(line)
            option = _OPTION.match(line)
            if answer:
                if draft is None:
                    self.problem("an ANSWER line with no question before it", n)
                else:
                    self.finish(draft, answer.group(1).strip(), n)
                    draft = None
            elif option and draft is not None:
                draft.options.append((option.group(1), (option.group(2) or "").strip(), n))
            elif draft is None:
                draft = _Draft(n, [line])
            elif not draft.options and not draft.gap:
                draft.prompt.append(line)
            else:  # text after the options (or after a blank line), with no ANSWER yet: a new question
                self.finish(draft, None, n)
                draft = _Draft(n, [line])
        if draft is not None:
            self.finish(draft, None, None)
        return self.result

    def finish(self, draft: _Draft, answer: str | None, answer_line: int | None) -> None:
        """Close a question: import it, or report what is wrong with it."""
        before = len(self.result.problems)
        letters: dict[str, int] = {}
        for i, (letter, text, n) in enumerate(draft.options):
            if letter in letters:
                self.problem(f"option {letter} appears twice", n)
            letters.setdefault(letter, i)
            if not text:
                self.problem(f"option {letter} has no text", n)
        if len(draft.options) < 2:
            self.problem(f"fewer than 2 options ({len(draft.options)}): write each as 'A. text'", draft.line)
        correct: int | None = None
        if answer is None or answer_line is None:
            self.problem("missing ANSWER line (e.g. 'ANSWER: B')", draft.line)
        elif not re.fullmatch(r"[A-Za-z]", answer):
            self.problem(f"ANSWER '{answer}' should be one option letter, e.g. 'ANSWER: B'", answer_line)
        elif answer.upper() not in letters:
            known = ", ".join(letters) or "none"
            self.problem(f"ANSWER {answer.upper()} is not among the options ({known})", answer_line)
        else:
            correct = letters[answer.upper()]
        if correct is None or len(self.result.problems) > before:
            return
        question = ImportedQuestion(
            line=draft.line,
            title=None,
            category=None,
            data={
                "prompt": "\n".join(draft.prompt),
                "explanation": self.default_explanation,
                "points": 1.0,
            }
            | _as_item([text for _, text, _ in draft.options], correct),
        )
        problems = check(question, self.filename)
        if problems:
            self.result.problems += problems
        else:
            self.result.questions.append(question)


def _as_item(options: list[str], correct: int) -> dict:
    """The question's type and fields, from the item type that reads Aiken (single best answer)."""
    for name, item_type in ITEM_TYPES.items():
        fields = item_type.from_aiken(options, correct)
        if fields is not None:
            return {"type": name} | fields
    raise LookupError("no item type reads Aiken questions")


def parse_aiken(
    text: str, filename: str = "<aiken>", *, default_explanation: str = DEFAULT_EXPLANATION
) -> ImportResult:
    """Read Aiken text: a ``single`` question for each well-formed question, a problem for each other."""
    return _AikenReader(filename, default_explanation).read(text)
