"""Numbers from URLs, query strings and forms, range-checked before anything uses them.

PostgreSQL ``Integer`` columns hold 32 bits and SQLite's 64, so an id such as 2**63 sent
to either failed inside the query: a 500. Every number a person can type or edit in an
address is checked here first, and a number out of range gets a 404 (a URL that names
nothing), a 400 saying what was wrong (a query parameter), or an error next to the field
(a form).
"""

from __future__ import annotations

import math
import re
from datetime import date

from flask import Flask, abort, request
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, Map
from wtforms import Field
from wtforms.validators import StopValidation

# The largest id PostgreSQL's ``Integer`` (and so every id column here) can hold.
MAX_ID = 2**31 - 1
# The largest ``BigInteger`` (an autosave's sequence number).
MAX_BIG = 2**63 - 1
# Dates a person may ask for (due dates, audit filters): wide enough for any real use,
# and far from the ends of Python's dates, where adding a day or a time zone overflows.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2999, 12, 31)

# ASCII digits only: ``\d`` would also take other scripts' digits, which int() accepts.
_WHOLE_NUMBER = re.compile(r"([+-]?)0*(\d+)", re.ASCII)


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's ``int`` URL converter with a range, by default the ids ``1..MAX_ID``.

    A URL whose number is outside the range does not match the rule, so it is a 404 before
    any view or query runs. Positions that count from 0 say so: ``<int(min=0):c>``.
    """

    def __init__(self, map: Map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ID, signed: bool = False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Make ``<int:...>`` bounded in every rule; must run before any blueprint adds its rules."""
    # A rule picks its converter when it is added, so one added earlier would keep Werkzeug's.
    if any("<int" in rule.rule for rule in app.url_map.iter_rules()):
        raise RuntimeError("params.init_app must run before any rule with an <int:...> is added")
    app.url_map.converters["int"] = BoundedIntConverter


def _whole_number(text: str) -> int | None:
    """``text`` as an integer, or None when it is not one; a number of more than 30 digits counts as ±10**30."""
    match = _WHOLE_NUMBER.fullmatch(text.strip())
    if match is None:
        return None
    sign = -1 if match.group(1) == "-" else 1
    digits = match.group(2)
    # Out of every range here anyway, and int() of thousands of digits takes real time.
    return sign * (10**30 if len(digits) > 30 else int(digits))


def int_arg(
    name: str,
    default: int | None,
    *,
    minimum: int = 1,
    maximum: int = MAX_ID,
    clamp: bool = False,
    source: MultiDict | None = None,
) -> int | None:
    """The integer parameter ``name`` of the query string (or of ``source``), checked against its range.

    Absent or blank gives ``default``. Anything else that is not a whole number from ``minimum``
    to ``maximum`` is refused with a 400 that says so; with ``clamp`` (page numbers, where
    showing the nearest page is kinder than an error) it gives ``default`` or the nearest end
    of the range instead.
    """
    values = request.args if source is None else source
    text = (values.get(name) or "").strip()
    if not text:
        return default
    number = _whole_number(text)
    if number is not None and minimum <= number <= maximum:
        return number
    if clamp:
        return default if number is None else min(max(number, minimum), maximum)
    abort(400, f"“{name}” must be a whole number from {minimum} to {maximum}.")


def whole_in_range(value: object, minimum: int = 1, maximum: int = MAX_ID) -> bool:
    """True for an int (not a bool) from ``minimum`` to ``maximum``: a number decoded from JSON, checked
    before it reaches the database (where one out of range is an overflow, a 500)."""
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum


def page_arg(name: str = "page") -> int:
    """The page number in the query string: 1 when absent or not a number, and kept within ``1..MAX_ID``."""
    return int_arg(name, 1, clamp=True)


class InRange:
    """A form validator: the number (int, float or Decimal) lies from ``minimum`` to ``maximum``.

    Unlike WTForms' NumberRange its messages match the module validator's (``Must be 100 or
    less.``), so an author reads the same words whichever check caught the number first.
    """

    def __init__(self, minimum: float, maximum: float):
        self.minimum = minimum
        self.maximum = maximum
        # Browsers show a number input's limits and refuse typing beyond them.
        self.field_flags = {"min": minimum, "max": maximum}

    def __call__(self, form, field: Field) -> None:
        """Stop at the first problem: a field that did not parse already says so."""
        value = field.data
        if value is None:
            if field.errors:
                raise StopValidation()
            return
        if isinstance(value, float) and not math.isfinite(value):
            raise StopValidation("Give a number.")
        if value < self.minimum:
            raise StopValidation(f"Must be {_plain(self.minimum)} or more.")
        if value > self.maximum:
            raise StopValidation(f"Must be {_plain(self.maximum)} or less.")


def _plain(number: float) -> str:
    """A limit as a person writes it: 100, 0.5, 1000000000 (never 1e+09)."""
    return str(int(number)) if float(number).is_integer() else str(number)


class DateInRange:
    """A form validator: the date lies from ``FIRST_DATE`` to ``LAST_DATE`` (or the given ends)."""

    def __init__(self, first: date = FIRST_DATE, last: date = LAST_DATE):
        self.first = first
        self.last = last
        self.field_flags = {"min": first.isoformat(), "max": last.isoformat()}

    def __call__(self, form, field: Field) -> None:
        """Refuse a date outside the range, saying which dates are allowed."""
        if field.data is not None and not self.first <= field.data <= self.last:
            raise StopValidation(f"Choose a date from {self.first:%d %b %Y} to {self.last:%d %b %Y}.")
