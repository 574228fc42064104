"""Opaque form values: what a student's browser receives instead of authored part ids.

Authored ids give the key away, item keys included (a true/false question keyed
``...-not-allergy`` names its verdict): GIFT and Aiken imports number choices ``a, b, c`` in the
written order (GIFT usually writes the right answer first), the editor puts a new
question's right answer in row ``a``, and GIFT matching pairs prompt ``pN`` with option
``oN``. Shuffling changes only the order shown, not the values. So every choice, step,
option and prompt is posted as an HMAC token of its id, keyed per attempt (or per
review card, or per preview): unpredictable without the key, different in every
attempt, and mapped back to the id on the server before the answer is parsed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from .base import AnswerError, Item

# 9 bytes = 72 bits, exactly 12 url-safe base64 characters (no padding, no "=": the pair
# separator). Guessing is not the threat (the page shows every token); telling the right
# one apart is, and 72 bits make two parts of one item colliding a 1-in-10^20 event.
_TOKEN_BYTES = 9


class FormTokens:
    """Encode an item's authored part ids as one scope's tokens, and decode them back."""

    def __init__(self, key: bytes):
        self._key = key

    def token(self, item_key: str, kind: str, part_id: str) -> str:
        """The token standing for part ``part_id`` (of ``kind``) of item ``item_key``."""
        message = f"{item_key}\x1f{kind}\x1f{part_id}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_TOKEN_BYTES]).decode("ascii")

    def item_ref(self, item_key: str) -> str:
        """What a page calls item ``item_key`` (its field names, element ids, autosave's ``item``): a token."""
        return self.token(item_key, "item", "")

    def item_key(self, ref: str, item_keys: Iterable[str]) -> str | None:
        """The key among ``item_keys`` whose ``item_ref`` is ``ref`` (None: none of them)."""
        return next((key for key in item_keys if hmac.compare_digest(self.item_ref(key), ref)), None)

    def encode(self, item: Item, values: list[str]) -> list[str]:
        """Authored form values (``item.form_values``) as the page shows them."""
        return item.recode_values(values, lambda kind, part_id: self.token(item.key, kind, part_id))

    def decode(self, item: Item, values: list[str]) -> list[str]:
        """Posted form values back as authored ones; a token of no part of the item is an AnswerError."""
        ids = {
            (kind, self.token(item.key, kind, part_id)): part_id
            for kind, part_ids in item.coded_parts().items()
            for part_id in part_ids
        }

        def back(kind: str, token: str) -> str:
            try:
                return ids[(kind, token)]
            except KeyError:
                # An authored id or a token from another attempt lands here too: never accepted.
                # The same words as an unknown authored id: every value a page offers is a choice of some kind.
                raise AnswerError("That choice is not part of this question.") from None

        return item.recode_values(values, back)


def derive_key(secret: bytes, scope: str) -> bytes:
    """A key for one scope (``attempt:42``, ``card:7``, ``preview``) from the application's secret."""
    return hmac.new(secret, f"form-values:{scope}".encode(), hashlib.sha256).digest()


def scoped_tokens(secret: bytes, scope: str) -> FormTokens:
    """The tokens of one scope: what an attempt's (or a card's, or a preview's) pages post."""
    return FormTokens(derive_key(secret, scope))
