"""Which passwords are refused, and why (OWASP ASVS 6.2.4 and 6.2.11).

Length alone let ``password123``, ``1234567890`` and ``aaaaaaaaaa`` through. Also refused:
the 10,000 most common passwords (the ranked list zxcvbn ships, taken from real leaks), a
common password with digits or symbols around it, a password made of the person's own email
or name or of the academy's name, and one character repeated or a plain run (``abcdefghij``,
``9876543210``). Each refusal says why, so the person can choose better.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 10
COMMON_COUNT = 10_000

# Words anyone guessing at this site tries first, in Vietnamese and English (ASVS 6.2.11).
CONTEXT_WORDS = ("academy", "hocvien", "matkhau", "password", "training", "daotao", "student", "admin")


@functools.cache
def _common() -> frozenset[str]:
    """The most common passwords, lower-cased (loaded once)."""
    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_COUNT])


def _fold(text: str) -> str:
    """Lower case without accents, đ as d: ``Nguyễn Thị Đào`` -> ``nguyen thi dao``."""
    text = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    return "".join(char for char in text if not unicodedata.combining(char))


def _personal_words(email: str, name: str, academy: str) -> list[str]:
    """The words of a person's email, name and academy a guesser would try, longest first."""
    local = _fold(email).split("@", 1)[0]
    words = set(re.findall(r"[a-z]{3,}", local)) | {re.sub(r"[^a-z0-9]", "", local)}
    for text in (name, academy):
        folded = _fold(text)
        words |= set(re.findall(r"[a-z]{3,}", folded)) | {re.sub(r"[^a-z]", "", folded)}
    words |= set(CONTEXT_WORDS)
    return sorted((word for word in words if len(word) >= 3), key=len, reverse=True)


def _is_run(text: str) -> bool:
    """One character repeated, a short group repeated (``abcabcabc``), or a plain run up or down."""
    if len(set(text)) <= 2:
        return True
    for size in range(2, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})


def weakness(password: str, *, email: str = "", name: str = "", academy: str = "") -> str | None:
    """Why ``password`` is refused for this person, or None when it may be used."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    folded = _fold(password)
    bare = folded.strip("0123456789!@#$%^&*()_+-=.,;:?~`'\"[]{}<>/\\| ")
    if folded in _common() or (len(bare) >= 4 and bare in _common()):
        return (
            "That is one of the most common passwords, which attackers try first. Choose one that is harder to guess."
        )
    if _is_run(folded):
        return (
            "A repeated character or a plain run such as abcdef or 123456 is guessed at once. Choose another password."
        )
    rest = folded
    for word in _personal_words(email, name, academy):
        rest = rest.replace(word, "")
    if rest != folded and len(re.sub(r"[^a-z]", "", rest)) < 4:
        return "A password made of your name, your email or the academy's name is easy to guess. Choose another."
    return None
