"""One page of a longer list: the one pagination model of every paged list (reports, people, audit log).

A page number past the end shows the last page and one below 1 the first, so a link kept
from a longer list (or typed by hand) still lands on rows. The page is read with two
queries, the count and then the rows, whatever the page size; ``templates/_pagination.html``
draws its links.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, func, select

from ..extensions import db


@dataclass(frozen=True)
class Page:
    """One page of a longer list: its ``items``, which page it is (``number``, from 1), of how many."""

    items: list
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the list fills (at least one, even when empty)."""
        return max(1, math.ceil(self.total / self.size))

    @property
    def first_index(self) -> int:
        """The 1-based position of the page's first item (0 when empty)."""
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        """The 1-based position of the page's last item."""
        return (self.number - 1) * self.size + len(self.items)

    @property
    def has_previous(self) -> bool:
        """True when a page comes before this one."""
        return self.number > 1

    @property
    def has_next(self) -> bool:
        """True when a page comes after this one."""
        return self.number < self.pages

    def with_items(self, items: list) -> Page:
        """The same page holding ``items`` instead: rows built from the page's query results."""
        return replace(self, items=items)

    def numbers(self, edge: int = 1, before: int = 1, after: int = 2) -> Iterator[int | None]:
        """The page numbers a pager links to: ``edge`` pages at each end and the pages from ``before``
        the current one to ``after`` it; ``None`` stands for a run of pages left out.

        With 20 pages, on page 7: 1, None, 6, 7, 8, 9, None, 20.
        """
        shown = sorted(
            {n for n in range(1, self.pages + 1) if n <= edge or n > self.pages - edge}
            | set(range(max(1, self.number - before), min(self.pages, self.number + after) + 1))
        )
        previous = 0
        for number in shown:
            if number > previous + 1:
                yield None
            yield number
            previous = number


def page_number(number: int, total: int, size: int) -> int:
    """``number`` clamped to the pages that ``total`` items fill, ``size`` a page."""
    return min(max(1, number), max(1, math.ceil(total / size)))


def count(query: Select) -> int:
    """How many rows ``query`` returns (one query; its ordering is dropped, it changes no count)."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def paginate(query: Select, number: int, size: int, *, scalars: bool = False, total: int | None = None) -> Page:
    """Page ``number`` of ``query``'s results, ``size`` a page: the count, then the page's rows (two queries).

    :param scalars: the items are the first column of each row (``select(User)`` gives users), not rows.
    :param total: the count when the caller has a cheaper way to it (then only the rows are read).
    """
    if total is None:
        total = count(query)
    number = page_number(number, total, size)
    result: Any = db.session.execute(query.limit(size).offset((number - 1) * size))
    items = list(result.scalars()) if scalars else result.all()
    return Page(items, number, size, total)
