"""How a typed answer is compared with an accepted one.

Both are folded first: Unicode NFC (so a Vietnamese letter typed as one precomposed
character or as a base letter plus combining marks, as keyboards and phones differ, is the
same letter); the tone mark of ``oa``, ``oe`` and ``uy`` on one vowel whichever style the
keyboard uses ("hóa" and "hoá", "thủy" and "thuỷ" are the same word); zero-width characters
dropped; runs of spaces collapsed to one, ends stripped; and, unless the item is case
sensitive, case folded.

Then, as in Moodle, ``*`` in an accepted answer stands for any text (``\\*`` is a literal
asterisk) and the whole typed answer must match. A ``*`` that stands for nothing takes its
spare space with it, so ``facial * nerve`` accepts "facial nerve" and "facial motor nerve"
but not "facialnerve", and ``botox *`` accepts "botox" and "botox a" but not "botoxin".

Matching is a plain left-to-right glob (no regular expressions), so no accepted answer can
make grading slow whatever the student types.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import product

MAX_WILDCARDS = 6
"""The most ``*`` an accepted answer may hold (each one doubles the patterns tried)."""

_STARS = re.compile(r"(?<!\\)\*+")
_STAR = "\x00"  # a wildcard while an accepted answer is folded: a character no one types
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# A tone mark (grave, acute, tilde, hook, dot below) on the o of oa/oe or the u of uy, in NFD.
_OLD_STYLE_TONE = re.compile(r"([oOuU])([\u0300\u0301\u0303\u0309\u0323])(?=[aAeEyY])")
_OLD_STYLE_PAIRS = {"o": "aAeE", "O": "aAeE", "u": "yY", "U": "yY"}


def normalise(text: str) -> str:
    """``text`` in NFC, zero-width characters dropped, runs of whitespace collapsed to one space, ends stripped."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_INVISIBLE).split())


def _tone_on_second_vowel(match: re.Match[str]) -> str:
    vowel, tone = match.group(1), match.group(2)
    following = match.string[match.end()]
    if following not in _OLD_STYLE_PAIRS[vowel]:
        return match.group(0)  # "ua", "oy"...: the mark stays where it is
    return vowel + "\x01" + tone  # moved past the next letter below


def _one_tone_style(text: str) -> str:
    """``text`` with the tone mark of oa, oe and uy on the second vowel ("hoá", "thuỷ"), in NFC."""
    decomposed = unicodedata.normalize("NFD", text)
    marked = _OLD_STYLE_TONE.sub(_tone_on_second_vowel, decomposed)
    # "o\x01<tone>a" -> "oa<tone>": the tone follows the vowel it now sits on.
    moved = re.sub(r"\x01([\u0300\u0301\u0303\u0309\u0323])(.)", r"\2\1", marked)
    return unicodedata.normalize("NFC", moved)


def fold(text: str, case_sensitive: bool) -> str:
    """``text`` as it is compared: normalised, one tone style, and case folded unless case matters."""
    text = _one_tone_style(normalise(text))
    return text if case_sensitive else unicodedata.normalize("NFC", text.casefold())


def wildcards(accepted: str) -> int:
    """How many ``*`` (runs of them count once) the accepted answer holds."""
    return len(_STARS.findall(accepted))


@lru_cache(maxsize=4096)
def globs(accepted: str, case_sensitive: bool) -> tuple[tuple[str, ...], ...]:
    """The accepted answer as plain globs, each a tuple of literal pieces with "any text" between them.

    Every ``*`` either stands for some text (its neighbouring spaces stay) or for nothing (the
    answer is folded again without it, so a space beside it goes): one glob per choice.
    Cached: grading a cohort reuses them.
    """
    marked = fold(_STARS.sub(_STAR, accepted).replace("\\*", "*"), case_sensitive)
    found = []
    for kept in product((True, False), repeat=marked.count(_STAR)):
        chosen = iter(kept)
        text = "".join((_STAR if next(chosen) else "") if ch == _STAR else ch for ch in marked)
        pieces = tuple(_collapse(text).split(_STAR))
        if pieces not in found:
            found.append(pieces)
    return tuple(found)


def _collapse(text: str) -> str:
    """Runs of spaces as one and the ends stripped, leaving wildcards where they are."""
    return re.sub(" {2,}", " ", text).strip(" ")


def _glob_matches(pieces: tuple[str, ...], text: str) -> bool:
    """``text`` is the pieces in order with any text between them (leftmost search is enough)."""
    if len(pieces) == 1:
        return text == pieces[0]
    first, *middle, last = pieces
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for piece in middle:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def matches(answer: str, accepted: str, case_sensitive: bool) -> bool:
    """True when the typed ``answer`` is one the ``accepted`` answer (with its wildcards) accepts."""
    typed = fold(answer, case_sensitive)
    return any(_glob_matches(pieces, typed) for pieces in globs(accepted, case_sensitive))


def literal(accepted: str) -> str:
    """An answer ``accepted`` accepts: its wildcards taken out (``*facial*`` gives "facial")."""
    return normalise("".join(bit.replace("\\*", "*") for bit in _STARS.split(accepted)))
