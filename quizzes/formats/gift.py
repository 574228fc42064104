"""Import questions written in Moodle's GIFT format (https://docs.moodle.org/en/GIFT_format).

:func:`parse_gift` reads each question's title, category, prompt and general feedback,
then hands its answer block to the item types: each type's ``from_gift`` (in its home,
``quizzes/items/<type>/``) says whether the block is one of its questions and maps it. Types
are asked in ``gift_order``, Moodle's own order of detection: numeric (``{#...}``), choice
questions (``~`` answers), matching (``=a -> b`` pairs), true/false (``{T}``, ``{F}``),
short answer (only ``=`` answers). Each reader documents its mapping. A question no type
claims, and anything malformed, is reported as a :class:`~quizzes.formats.packs.Problem`
with its line; the parser never raises on malformed text.

General feedback ``{... ####text}`` becomes the ``explanation`` (else ``default_explanation``).
Essays ``{}`` are not imported (no automatic mark).

Description items (text with no ``{...}``) are not questions: they are skipped and listed in
``ImportResult.notes`` (not ``problems``, so a file with an introduction still imports whole).

What GIFT cannot say travels in comment lines Moodle ignores and this reader reads back
(:data:`DIRECTIVES`), written just before a question (a blank line between is allowed; they
apply to the next question)::

    // key: pdo-red-flag-1
    // safety-critical
    // variant-of: pdo-red-flag
    // harmful: Wait until after the weekend
    // units: ml

``harmful:`` names an answer in the words the preview shows: a choice's or an accepted
answer's text, ``True``/``False``, ``below 2`` / ``above 5`` (units optional) for a
number, ``prompt -> option`` for a match. :func:`dump_gift` writes them; the pack format
documentation (``quizzes/packs/FORMAT.md``) describes them for authors.

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
from typing import Any, NoReturn

from ..items import ITEM_TYPES
from .imported import DEFAULT_EXPLANATION, ImportedQuestion, ImportResult, check
from .packs import Problem

_ESCAPABLE = "~=#{}:\\"
_FORMAT_TAG = re.compile(r"^\s*\[(?:html|moodle|plain|markdown)\]", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_WEIGHT_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_WEIGHT = re.compile(r"%([^%\s]*)%")
_BLANK = "_____"
_DIRECTIVE = re.compile(r"^\s*//\s*(safety-critical|key|variant-of|harmful|units)\s*(?::\s*(.*?))?\s*$", re.IGNORECASE)
DIRECTIVES = ("key", "safety-critical", "variant-of", "harmful", "units")
"""Comment lines that carry what GIFT has no field for (see the module's docstring)."""
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


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


_Directive = tuple[int, str, str]  # line, name (lower case), value


def _blocks(text: str) -> list[tuple[list[tuple[int, str]], list[_Directive]]]:
    """Numbered lines grouped into blocks separated by blank lines, each with the directives before or in it.

    Other comment lines are dropped. Directives with no question after them (before a blank
    line) carry over to the next block.
    """
    blocks: list[tuple[list[tuple[int, str]], list[_Directive]]] = []
    current: list[tuple[int, str]] = []
    directives: list[_Directive] = []
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            if current:
                blocks.append((current, directives))
                current, directives = [], []
        elif line.lstrip().startswith("//"):
            found = _DIRECTIVE.match(line)
            if found:
                directives.append((n, found.group(1).lower(), (found.group(2) or "").strip()))
        else:
            current.append((n, line))
    if current or directives:
        blocks.append((current, directives))
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
        for block, directives in _blocks(text):
            while block and block[0][1].lstrip().startswith("$CATEGORY:"):
                category = block[0][1].split(":", 1)[1].strip() or None
                block = block[1:]
            if block:
                self.block(_decode(block).strip(), category, directives)
            elif directives:
                line = directives[0][0]
                self.result.problems.append(self.problem(None, "directive comments with no question after them", line))
        return self.result

    def problem(self, title: str | None, message: str, line: int) -> Problem:
        return Problem(self.filename, title or "", message, line)

    def block(self, span: _Span, category: str | None, directives: list[_Directive] = ()) -> None:
        line, title = span.first_line, None
        notes: list[str] = []
        key = None
        try:
            if span.mask.startswith("::"):
                end = span.find("::", 2)
                if end < 0:
                    raise _Bad("the title's '::' is not closed", line)
                title = " ".join(span.cut(2, end).text.split()) or None
                span = span.cut(end + 2)
            data = self.question(span, line, notes)
            if data is not None:
                key = _apply_directives(data, directives)
        except _Bad as bad:
            self.result.problems.append(self.problem(title, bad.message, bad.line))
            return
        if data is None:
            if directives:
                self.result.problems.append(self.problem(title, "directive comments before a description", line))
                return
            self.result.notes.append(self.problem(title, "a description, not a question: skipped", line))
            return
        question = ImportedQuestion(line=line, title=title, category=category, data=data, key=key)
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
        block = GiftAnswers(answers, line, notes, general, self.default_units, self.default_explanation)
        for name, item_type in sorted(ITEM_TYPES.items(), key=lambda entry: entry[1].gift_order):
            data = item_type.from_gift(block)
            if data is not None:
                return base | {"type": name} | data
        raise _Bad("no answer is marked: write '=' before each right answer and '~' before each wrong one", line)


def _apply_directives(data: dict[str, Any], directives: list[_Directive]) -> str | None:
    """Put what the directive comments say into the question's data; returns the key one names (or None)."""
    key = None
    item_type = ITEM_TYPES[data["type"]]
    for line, name, value in directives:
        if name == "safety-critical":
            if value and value.lower() not in ("yes", "true"):
                raise _Bad(f"'// safety-critical' takes no value (found '{_short(value)}')", line)
            data["safety_critical"] = True
        elif name in ("key", "variant-of"):
            if not _SLUG.match(value):
                raise _Bad(f"'// {name}:' needs a key of lower-case letters, digits and dashes (found '{value}')", line)
            if name == "key":
                key = value
            else:
                data["variant_of"] = value
        elif name == "units":
            if "units" not in data or not value:
                raise _Bad("'// units:' is for numeric questions and needs the units, e.g. '// units: ml'", line)
            data["units"] = value[:40]
        else:  # harmful
            words = " ".join(value.split())
            if not words:
                raise _Bad("'// harmful:' needs the harmful answer's words", line)
            if not item_type.harmful_from_gift(data, words):
                raise _Bad(f"'// harmful: {_short(words)}' names no wrong answer of this question", line)
    return key


@dataclass(frozen=True)
class GiftAnswer:
    """One answer of a block: marker (``=`` or ``~``), ``%weight%`` (None when not written), text, feedback, line."""

    marker: str
    weight: float | None
    text: str
    feedback: str
    line: int


class GiftAnswers:
    """The answer block of one GIFT question (inside ``{}``, without its general feedback).

    What an item type's ``from_gift`` reads, with the parser's tools: answers split at their
    markers, weights, feedback, numbers and ranges, each checked and reported at its line.
    """

    def __init__(
        self, span: _Span, line: int, notes: list[str], general: str, default_units: str, default_explanation: str
    ):
        self.span, self.line, self.general = span, line, general
        self.default_units, self.default_explanation = default_units, default_explanation
        self._notes = notes

    @property
    def text(self) -> str:
        """The block as written, escapes resolved."""
        return self.span.text

    @property
    def mask(self) -> str:
        """The block with every escaped character replaced by NUL: search it for syntax."""
        return self.span.mask

    def bad(self, message: str, line: int | None = None) -> NoReturn:
        """Refuse the question: ``message`` is reported at ``line`` (the question's first line by default)."""
        raise _Bad(message, self.line if line is None else line)

    def note(self, message: str) -> None:
        """Say what was lost in mapping the question (it is still imported)."""
        self._notes.append(message)

    def segments(self, markers: str, span: _Span | None = None) -> list[tuple[str, _Span, int]]:
        """The answers as (marker, text after it, line); text before the first marker is refused."""
        return _segments(self.span if span is None else span, markers)

    def answers(self, markers: str) -> list[GiftAnswer]:
        """The answers after ``markers``, each with its weight, text and feedback; one with no text is refused."""
        found: list[GiftAnswer] = []
        for marker, seg, at in self.segments(markers):
            weight, rest = self.weight(seg, at)
            text_span, feedback = self.text_and_feedback(rest)
            text = self.clean(text_span)
            if not text:
                self.bad(f"answer {len(found) + 1} has no text", at)
            found.append(GiftAnswer(marker, weight, text, feedback, at))
        return found

    @staticmethod
    def weight(seg: _Span, line: int) -> tuple[float | None, _Span]:
        """A leading ``%weight%`` (checked: -100 to 100) and the rest of the answer."""
        return _weight(seg, line)

    @staticmethod
    def text_and_feedback(seg: _Span) -> tuple[_Span, str]:
        """Split ``text #feedback`` at the first unescaped ``#``."""
        return _text_and_feedback(seg)

    @staticmethod
    def clean(span: _Span) -> str:
        """Text with a leading format tag removed and outer whitespace stripped."""
        return _clean(span)

    @staticmethod
    def range(span: _Span, line: int) -> tuple[float, float]:
        """``a..b``, ``value:tolerance`` or ``value`` as (min, max)."""
        return _range(span, line)

    @staticmethod
    def short(text: str) -> str:
        """Text cut to a few words, for a message."""
        return _short(text)

    @staticmethod
    def fmt(x: float) -> str:
        """A number as a message shows it."""
        return _fmt(x)

    @staticmethod
    def choice_id(i: int) -> str:
        """The id of the ``i``-th choice: a, b, c..."""
        return _choice_id(i)


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


# ---------------------------------------------------------------- writing GIFT


def escape(text: str) -> str:
    """Text as GIFT writes it: ``~ = # { } :`` and ``\\`` escaped, line breaks as ``\\n`` (a blank line ends
    a question)."""
    out = "".join("\\" + c if c in _ESCAPABLE else c for c in text.replace("\r\n", "\n"))
    return out.replace("\n", "\\n")


class GiftWriter:
    """What an item type's ``to_gift`` writes with: escaping, numbers, and notes on what GIFT cannot carry."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    @staticmethod
    def escape(text: str) -> str:
        """Text escaped for GIFT (see :func:`escape`)."""
        return escape(text)

    @staticmethod
    def number(x: float) -> str:
        """A number without needless digits (GIFT weights and ranges)."""
        return f"{x:.5f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))

    def feedback(self, text: str) -> str:
        """``#feedback`` after an answer, or nothing."""
        return f"#{escape(text)}" if text and text.strip() else ""

    def note(self, message: str) -> None:
        """Say what the export loses (written as a comment above the question)."""
        self.notes.append(message)


def dump_gift(module: Any) -> str:
    """A module's questions as GIFT, for Moodle or for importing back here.

    Each question is titled with its key and written after its directive comments (key,
    safety-critical, variant-of, harmful answers, units), so importing the file keeps them;
    ``$CATEGORY`` carries the topic. Cases and stages are not GIFT's: a question's narrative
    is not written. A type GIFT cannot express (ordering) is left out with a comment saying so.
    """
    lines = [
        f"// {module.title}: questions exported from the academy's module '{module.slug}'.",
        "// Comment lines starting with key:, safety-critical, variant-of, harmful: and units: are read back",
        "// on import (see quizzes/packs/FORMAT.md); Moodle ignores them.",
        "",
    ]
    category = None
    for item in module.items():
        writer = GiftWriter()
        answers = item.to_gift(writer)
        if answers is None:
            lines += [f"// {item.key}: {item.label.lower()} questions have no GIFT form; not exported.", ""]
            continue
        topic = item.topic.value if item.topic else None
        if topic and topic != category:
            lines += [f"$CATEGORY: {module.slug}/{topic}", ""]
            category = topic
        lines += [f"// note: {note}" for note in writer.notes]
        lines.append(f"// key: {item.key}")
        if item.safety_critical:
            lines.append("// safety-critical")
        if item.variant_of:
            lines.append(f"// variant-of: {item.variant_of}")
        if getattr(item, "units", None):
            lines.append(f"// units: {' '.join(item.units.split())}")
        lines += [f"// harmful: {' '.join(words.split())}" for words in item.harmful_parts()]
        prompt = escape(item.prompt)
        general = f" ####[markdown]{escape(item.explanation)}" if item.explanation else ""
        lines += [f"::{item.key}::[markdown]{prompt} {{{answers}{general}}}", ""]
    return "\n".join(lines)
