"""What the reports count as a wrong answer under certainty-based marking, in SQL.

``quizzes.certainty`` decides it per answer: a fraction of the points at or below a tolerance
earns nothing, and an answer earning nothing is wrong. Reports count wrong answers over many
rows in one grouped query, so they need the same rule as a SQL condition.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_

from quizzes.certainty import TOLERANCE

from ...models import Answer


def wrong_answer() -> ColumnElement[bool]:
    """An answer that earned nothing: unanswered, or awarded at most ``TOLERANCE`` of its points."""
    return or_(Answer.awarded.is_(None), Answer.awarded <= TOLERANCE * Answer.points)
