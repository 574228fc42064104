"""Text as search compares it: no case, no tone marks, "đ" as "d".

Vietnamese names are typed without their marks as often as with them ("Nguyen" for
"Nguyễn"), so names are stored a second time folded (``User.search_name``,
``Cohort.search_name``) and a search folds what was typed the same way: one plain
``LIKE`` that behaves alike on SQLite and PostgreSQL, with no database extension.
"""

from __future__ import annotations

import unicodedata

# Letters NFD does not take apart: they are letters of their own, not a base letter and a mark.
_OWN_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"})


def fold(text: str) -> str:
    """``"Nguyễn Thị Đào"`` → ``"nguyen thi dao"``: casefolded, marks dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", text.translate(_OWN_LETTERS))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", bare).casefold().split())
