"""Drawing one variant per slot for an attempt, so a retry is a new test.

A slot is a question and its variants (items that ask the same thing in other words or
numbers; see ``Item.variant_of``). Each attempt draws one item per slot and records the
draw. A retry prefers what the student has seen least: every unseen variant before any
seen one, and among equals a random one.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping

from .content import Module


def draw(module: Module, seen: Mapping[str, int], rng: random.Random) -> dict[str, str]:
    """Slot key -> the item key drawn, for every slot with more than one item.

    :param seen: item key -> how many earlier attempts showed it (a key not there is unseen).
    """
    out = {}
    for slot, keys in module.slots().items():
        if len(keys) < 2:
            continue
        fewest = min(seen.get(k, 0) for k in keys)
        out[slot] = rng.choice([k for k in keys if seen.get(k, 0) == fewest])
    return out


def times_seen(module: Module, draws: Iterable[Mapping[str, str] | None]) -> Counter[str]:
    """How often each item of ``module`` was shown across earlier attempts' ``draws``.

    A draw of None (an attempt from before variants) showed each slot's first item.
    """
    seen: Counter[str] = Counter()
    for past in draws:
        seen.update(module.shown_keys(past))
    return seen
