"""What the reports count as a wrong answer under certainty-based marking, in SQL.

``quizzes.certainty`` decides it per answer: a fraction of the points at or below a tolerance
earns nothing, and an answer earning nothing is wrong. Reports count wrong answers over many
rows in one grouped query, so they need the same rule as a SQL condition.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_

from ...models import Answer

WRONG_BELOW = 0.0000005
"""An answer earning at most this share of its points is wrong (Moodle's tolerance, as in ``quizzes.certainty``)."""


def wrong_answer() -> ColumnElement[bool]:
    """An answer that earned nothing: unanswered, or awarded at most ``WRONG_BELOW`` of its points."""
    return or_(Answer.awarded.is_(None), Answer.awarded <= WRONG_BELOW * Answer.points)
