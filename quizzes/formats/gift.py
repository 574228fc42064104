"""Import questions written in Moodle's GIFT format (https://docs.moodle.org/en/GIFT_format).

:func:`parse_gift` maps each GIFT question onto one of our item types and reports every
question it cannot map as a :class:`~quizzes.formats.packs.Problem` with its line; it
never raises on malformed text.

Mapping
    ``{=right ~wrong ~wrong}``
        ``single``; text after ``#`` in an answer is that choice's feedback. Weights on a
        question that has a ``=`` answer follow Moodle (one answer is picked): exactly one
        answer must be right (``=`` or ``%100%``); partial weights (``~%50%``) and penalties
        (``~%-50%``) count as plain wrong choices, and a note says so.
    ``{~%50%a ~%50%b ~%-100%c}`` (weights, no ``=``)
        ``multiple``: every answer with a positive weight is correct. GIFT's weights are
        not kept: our multiple-response partial-credit rule (1/C per correct pick, minus 1/W
        per wrong pick, see :class:`~quizzes.items.MultipleResponse`) replaces them.
        A weight must be a number from -100 to 100 (``%150%`` and ``%abc%`` are problems).
    ``{T}`` ``{TRUE}`` ``{F}`` ``{FALSE}`` (any case), with ``#wrong#right`` feedback
        ``true-false``. As in GIFT, the first feedback is for a wrong verdict and the second
        for the right one; they go to ``feedback_true`` / ``feedback_false`` accordingly.
    ``{#5:0.5}`` ``{#3..7}`` ``{#=5:0 =%50%5:2 ~#feedback}``
        ``numeric`` with ``min``/``max``. Of several answers the 100% ones are kept (they must
        overlap, as one range); partial-credit answers are dropped with a note. The right
        answer's feedback is added to the explanation; the ``~#...`` feedback for any other
        number becomes ``feedback_low`` and ``feedback_high``. GIFT has no units, so
        ``units`` is the parser's ``default_units``.
    ``{=a -> 1 =b -> 2 = -> 3}``
        ``matching``: each left-hand text is a prompt, the distinct right-hand texts are the
        options (an empty left-hand side adds an option that matches nothing). Text after
        ``#`` on a pair becomes that prompt's feedback (a small extension of GIFT).
    General feedback ``{... ####text}``
        the ``explanation`` (else ``default_explanation``).

Not imported, each reported as a problem with the question's line: essays ``{}`` (no
automatic mark), short answer (only ``=`` answers) and anything malformed (unclosed ``{``,
bad weights, no correct answer, ...).

Description items (text with no ``{...}``) are not questions: they are skipped and listed in
``ImportResult.notes`` (not ``problems``, so a file with an introduction still imports whole).

Syntax handled: questions separated by blank lines; ``//`` comment lines; ``$CATEGORY: path``
(becomes each following question's ``category``); ``::title::``; ``[html]`` ``[moodle]``
``[plain]`` ``[markdown]`` format tags (removed, the text is kept as written); escapes
``\\~ \\= \\# \\{ \\} \\: \\\\`` and ``\\n`` (a line break); answers on one line or several;
text after the closing brace (the prompt becomes ``before _____ after``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .imported import DEFAULT_EXPLANATION, ImportedQuestion, ImportResult, check
from .packs import Problem

_ESCAPABLE = "~=#{}:\\"
_FORMAT_TAG = re.compile(r"^\s*\[(?:html|moodle|plain|markdown)\]", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_WEIGHT_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_WEIGHT = re.compile(r"%([^%\s]*)%")
_BLANK = "_____"
_TRUE, _FALSE = ("T", "TRUE"), ("F", "FALSE")


class _Bad(Exception):
    """A question that cannot be imported, and the line to blame."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message, self.line = message, line


@dataclass(frozen=True)
class _Span:
    """Decoded text with, per character, whether it was escaped and the line it came from.

    ``mask`` is ``text`` with every escaped character replaced by NUL, so searching the mask
    for ``{``, ``~``, ``#``... finds syntax only, never an escaped literal.
    """

    text: str
    mask: str
    lines: tuple[int, ...]
    end_line: int  # the line of the position just past the end (for empty spans)

    def __len__(self) -> int:
        return len(self.text)

    def cut(self, start: int, stop: int | None = None) -> _Span:
        start, stop, _ = slice(start, stop).indices(len(self.text))
        stop = max(start, stop)
        return _Span(self.text[start:stop], self.mask[start:stop], self.lines[start:stop], self.line_at(stop))

    def find(self, sub: str, start: int = 0) -> int:
        return self.mask.find(sub, start)

    def positions(self, chars: str) -> list[int]:
        return [i for i, c in enumerate(self.mask) if c in chars]

    def line_at(self, i: int) -> int:
        return self.lines[i] if 0 <= i < len(self.lines) else self.end_line

    @property
    def first_line(self) -> int:
        """Line of the first non-blank character."""
        for i, c in enumerate(self.text):
            if not c.isspace():
                return self.lines[i]
        return self.end_line

    def strip(self) -> _Span:
        start = len(self.text) - len(self.text.lstrip())
        stop = len(self.text.rstrip())
        return self.cut(start, max(start, stop))


def _decode(lines: list[tuple[int, str]]) -> _Span:
    """Join a block's lines, resolving escapes and remembering each character's line."""
    text: list[str] = []
    mask: list[str] = []
    where: list[int] = []
    for idx, (n, line) in enumerate(lines):
        if idx:
            text.append("\n")
            mask.append("\n")
            where.append(lines[idx - 1][0])
        i = 0
        while i < len(line):
            c = line[i]
            if c == "\\" and i + 1 < len(line) and (line[i + 1] in _ESCAPABLE or line[i + 1] == "n"):
                text.append("\n" if line[i + 1] == "n" else line[i + 1])
                mask.append("\0")
                i += 2
            else:
                text.append(c)
                mask.append(c)
                i += 1
            where.append(n)
    return _Span("".join(text), "".join(mask), tuple(where), lines[-1][0])


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Numbered lines grouped into blocks separated by blank lines; comment lines dropped."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            if current:
                blocks.append(current)
                current = []
        elif not line.lstrip().startswith("//"):
            current.append((n, line))
    if current:
        blocks.append(current)
    return blocks


def _clean(span: _Span) -> str:
    """Text with a leading format tag removed and outer whitespace stripped."""
    return _FORMAT_TAG.sub("", span.text, count=1).strip()


def _short(text: str, width: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _choice_id(i: int) -> str:
    return chr(ord("a") + i) if i < 26 else f"c{i + 1}"


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclass
class _Answer:
    marker: str
    weight: float
    text: str
    feedback: str
    line: int


def _weight(seg: _Span, line: int) -> tuple[float | None, _Span]:
    """A leading ``%weight%`` (checked) and the rest of the answer."""
    seg = seg.strip()
    m = _WEIGHT.match(seg.mask)
    if not m:
        return None, seg
    raw = seg.text[1 : m.end() - 1]
    if not _WEIGHT_NUMBER.match(raw):
        raise _Bad(f"bad weight '%{raw}%': a weight is a percentage from -100 to 100, such as %50%", line)
    value = float(raw)
    if not -100 <= value <= 100:
        raise _Bad(f"weight {raw}% is outside -100..100", line)
    return value, seg.cut(m.end())


def _text_and_feedback(seg: _Span) -> tuple[_Span, str]:
    """Split ``text #feedback`` at the first unescaped ``#``."""
    at = seg.find("#")
    if at < 0:
        return seg, ""
    return seg.cut(0, at), _clean(seg.cut(at + 1))


def _segments(answers: _Span, markers: str) -> list[tuple[str, _Span, int]]:
    """Answers as (marker, text after it, line); text before the first marker is a problem."""
    at = answers.positions(markers)
    head = answers.cut(0, at[0]) if at else answers
    if head.text.strip():
        raise _Bad(
            f"'{_short(head.text)}' is not an answer: start each answer with " + " or ".join(f"'{m}'" for m in markers),
            head.first_line,
        )
    return [
        (answers.mask[p], answers.cut(p + 1, at[k + 1] if k + 1 < len(at) else None), answers.line_at(p))
        for k, p in enumerate(at)
    ]


def _number(text: str, line: int) -> float:
    text = text.strip()
    if not text:
        raise _Bad("a number is missing", line)
    if not _NUMBER.match(text):
        raise _Bad(f"'{_short(text)}' is not a number", line)
    value = float(text)
    if not math.isfinite(value):
        raise _Bad(f"'{_short(text)}' is too large a number", line)
    return value


def _range(span: _Span, line: int) -> tuple[float, float]:
    """``a..b``, ``value:tolerance`` or ``value`` as (min, max)."""
    span = span.strip()
    if not span.text:
        raise _Bad("an answer has no number: write e.g. {#5:0.5} or {#3..7}", line)
    dots = span.find("..")
    if dots >= 0:
        low, high = _number(span.cut(0, dots).text, line), _number(span.cut(dots + 2).text, line)
        if low > high:
            raise _Bad(f"the range {_fmt(low)}..{_fmt(high)} is reversed", line)
        return low, high
    colon = span.find(":")
    if colon >= 0:
        value, tolerance = _number(span.cut(0, colon).text, line), abs(_number(span.cut(colon + 1).text, line))
        low, high = value - tolerance, value + tolerance
        if not (math.isfinite(low) and math.isfinite(high)):
            raise _Bad(f"'{_short(span.text)}' is too large a range", line)
        return low, high
    value = _number(span.text, line)
    return value, value


class _GiftReader:
    def __init__(self, filename: str, default_units: str, default_explanation: str):
        self.filename = filename
        self.default_units = default_units
        self.default_explanation = default_explanation
        self.result = ImportResult()

    def read(self, text: str) -> ImportResult:
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        category: str | None = None
        for block in _blocks(text):
            while block and block[0][1].lstrip().startswith("$CATEGORY:"):
                category = block[0][1].split(":", 1)[1].strip() or None
                block = block[1:]
            if block:
                self.block(_decode(block).strip(), category)
        return self.result

    def problem(self, title: str | None, message: str, line: int) -> Problem:
        return Problem(self.filename, title or "", message, line)

    def block(self, span: _Span, category: str | None) -> None:
        line, title = span.first_line, None
        notes: list[str] = []
        try:
            if span.mask.startswith("::"):
                end = span.find("::", 2)
                if end < 0:
                    raise _Bad("the title's '::' is not closed", line)
                title = " ".join(span.cut(2, end).text.split()) or None
                span = span.cut(end + 2)
            data = self.question(span, line, notes)
        except _Bad as bad:
            self.result.problems.append(self.problem(title, bad.message, bad.line))
            return
        if data is None:
            self.result.notes.append(self.problem(title, "a description, not a question: skipped", line))
            return
        question = ImportedQuestion(line=line, title=title, category=category, data=data)
        problems = check(question, self.filename)
        if problems:
            self.result.problems += problems
            return
        self.result.questions.append(question)
        self.result.notes += [self.problem(title, note, line) for note in notes]

    def question(self, span: _Span, line: int, notes: list[str]) -> dict[str, Any] | None:
        """The item data of one question (after its title); None for a description."""
        opening, first_close = span.find("{"), span.find("}")
        if first_close >= 0 and (opening < 0 or first_close < opening):
            raise _Bad("'}' without a '{' before it", span.line_at(first_close))
        if opening < 0:
            return None
        close, again = span.find("}", opening + 1), span.find("{", opening + 1)
        if close < 0 or 0 <= again < close:
            raise _Bad("unclosed '{'", span.line_at(opening))
        after = span.cut(close + 1)
        if after.find("{") >= 0:
            raise _Bad(
                "a second '{' in one question: separate questions with a blank line",
                after.line_at(after.find("{")),
            )
        if after.find("}") >= 0:
            raise _Bad("'}' without a '{' before it", after.line_at(after.find("}")))
        before = _FORMAT_TAG.sub("", span.cut(0, opening).text, count=1)
        prompt = (before + _BLANK + after.text if after.text.strip() else before).strip()
        if not prompt:
            raise _Bad("no question text", line)

        body = span.cut(opening + 1, close)
        general = ""
        split = body.mask.rfind("####")
        if split >= 0:
            general = _clean(body.cut(split + 4))
            body = body.cut(0, split)
        answers = body.strip()
        base = {"prompt": prompt, "explanation": general or self.default_explanation, "points": 1.0}

        if not answers.text:
            raise _Bad("essay questions have no automatic mark: not imported", line)
        if answers.mask.startswith("#"):
            return base | self.numeric(answers.cut(1), line, notes, general)
        if "~" in answers.mask:
            return base | self.choices(answers, line, notes)
        if "=" in answers.mask and "->" in answers.mask:
            return base | self.matching(answers)
        hash_at = answers.find("#")
        verdict = (answers.cut(0, hash_at) if hash_at >= 0 else answers).text.strip().upper()
        if verdict in _TRUE + _FALSE:
            return base | self.true_false(answers, verdict in _TRUE)
        raise _Bad("short-answer questions are not supported: not imported", line)

    def choices(self, answers: _Span, line: int, notes: list[str]) -> dict[str, Any]:
        parsed: list[_Answer] = []
        for marker, seg, at in _segments(answers, "=~"):
            weight, rest = _weight(seg, at)
            text_span, feedback = _text_and_feedback(rest)
            text = _clean(text_span)
            if not text:
                raise _Bad(f"answer {len(parsed) + 1} has no text", at)
            if weight is None:
                weight = 100.0 if marker == "=" else 0.0
            parsed.append(_Answer(marker, weight, text, feedback, at))
        if len(parsed) < 2:
            raise _Bad("a choice question needs at least 2 answers", line)
        if any(a.marker == "=" for a in parsed):  # Moodle: one answer is picked
            right = [a for a in parsed if a.weight == 100]
            if not right:
                raise _Bad("no correct answer: mark it with '='", line)
            if len(right) > 1:
                raise _Bad(
                    "more than one right answer ('=' or %100%) in a one-answer question; for a question "
                    "with several right answers give them positive weights (~%50%) and use no '='",
                    line,
                )
            lost = [f"'{_short(a.text)}' ({_fmt(a.weight)}%)" for a in parsed if a.weight not in (0, 100)]
            if lost:
                notes.append(
                    "imported as single best answer: " + ", ".join(lost) + " count as wrong choices "
                    "(partial credit and penalties are not kept)"
                )
            kind = "single"
        else:
            right = [a for a in parsed if a.weight > 0]
            if not right:
                raise _Bad(
                    "no correct answer: mark it with '=', or give the right answers a positive weight (~%50%)",
                    line,
                )
            kind = "multiple"
        return {
            "type": kind,
            "choices": [
                {"id": _choice_id(i), "text": a.text, "correct": a in right, "feedback": a.feedback}
                for i, a in enumerate(parsed)
            ],
        }

    def true_false(self, answers: _Span, correct: bool) -> dict[str, Any]:
        hashes = answers.positions("#")
        wrong = _clean(answers.cut(hashes[0] + 1, hashes[1] if len(hashes) > 1 else None)) if hashes else ""
        right = _clean(answers.cut(hashes[1] + 1)) if len(hashes) > 1 else ""
        return {
            "type": "true-false",
            "correct": correct,
            "feedback_true": right if correct else wrong,
            "feedback_false": wrong if correct else right,
        }

    def matching(self, answers: _Span) -> dict[str, Any]:
        prompts: list[dict[str, Any]] = []
        options: dict[str, str] = {}  # option text -> id, in first-seen order
        for _, seg, at in _segments(answers, "="):
            arrow = seg.find("->")
            if arrow < 0:
                raise _Bad("a matching pair needs '->' between its two sides", at)
            right_span, feedback = _text_and_feedback(seg.cut(arrow + 2))
            left, right = _clean(seg.cut(0, arrow)), _clean(right_span)
            if not right:
                raise _Bad("a matching pair has nothing after '->'", at)
            option_id = options.setdefault(right, f"o{len(options) + 1}")
            if left:
                prompts.append({"id": f"p{len(prompts) + 1}", "text": left, "match": option_id, "feedback": feedback})
        return {
            "type": "matching",
            "prompts": prompts,
            "options": [{"id": option_id, "text": text} for text, option_id in options.items()],
        }

    def numeric(self, inner: _Span, line: int, notes: list[str], general: str) -> dict[str, Any]:
        other_feedback = ""
        tilde = inner.find("~")
        if tilde >= 0:
            rest = inner.cut(tilde + 1)
            at = rest.find("#")
            other_feedback = _clean(rest.cut(at + 1) if at >= 0 else rest)
            inner = inner.cut(0, tilde)
        equals = inner.positions("=")
        head = inner.cut(0, equals[0]) if equals else inner
        pieces = [(head, head.first_line)] if head.text.strip() else []
        pieces += [
            (inner.cut(p + 1, equals[k + 1] if k + 1 < len(equals) else None), inner.line_at(p))
            for k, p in enumerate(equals)
        ]
        if not pieces:
            raise _Bad("a numeric question needs a number, e.g. {#5:0.5} or {#3..7}", line)
        answers = []
        for seg, at in pieces:
            weight, rest = _weight(seg, at)
            value, feedback = _text_and_feedback(rest)
            low, high = _range(value, at)
            answers.append((100.0 if weight is None else weight, low, high, feedback))
        right = sorted((a for a in answers if a[0] == 100), key=lambda a: (a[1], a[2]))
        if not right:
            raise _Bad("no correct answer: no answer is worth 100%", line)
        low, high = right[0][1], right[0][2]
        for _, lo, hi, _ in right[1:]:
            if lo > high:
                raise _Bad(
                    f"two separate right answers ({_fmt(low)}..{_fmt(high)} and {_fmt(lo)}..{_fmt(hi)}): "
                    "a numeric item accepts one range",
                    line,
                )
            high = max(high, hi)
        if len(right) < len(answers):
            notes.append("answers worth less than 100% were dropped (numeric items give no partial credit)")
        said = [general] if general else []
        for _, _, _, feedback in right:
            if feedback and feedback not in said:
                said.append(feedback)
        return {
            "type": "numeric",
            "explanation": "\n\n".join(said) or self.default_explanation,
            "min": low,
            "max": high,
            "units": self.default_units,
            "feedback_low": other_feedback,
            "feedback_high": other_feedback,
        }


def parse_gift(
    text: str,
    filename: str = "<gift>",
    *,
    default_units: str = "(number)",
    default_explanation: str = DEFAULT_EXPLANATION,
) -> ImportResult:
    """Read GIFT text: every question mapped to our schema, and a problem for each that is not.

    :param default_units: ``units`` of numeric items (GIFT has none).
    :param default_explanation: ``explanation`` of questions without general feedback.
    """
    return _GiftReader(filename, default_units, default_explanation).read(text)
