"""A student's progress: mastery per topic from their submitted attempts."""

from __future__ import annotations

from sqlalchemy import func, select

from quizzes.mastery import TopicMastery, mastery_by_topic

from ..extensions import db
from ..models import Answer, Attempt, AttemptStatus, User


def topic_mastery(user: User) -> list[TopicMastery]:
    """Mastery per topic over every item of every submitted attempt (one aggregate query)."""
    rows = db.session.execute(
        select(Answer.topic, func.sum(Answer.awarded), func.sum(Answer.points), func.count(Answer.id))
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(Attempt.user_id == user.id, Attempt.status == AttemptStatus.SUBMITTED)
        .group_by(Answer.topic)
    )
    return mastery_by_topic((topic, float(a or 0), float(p or 0), int(n)) for topic, a, p, n in rows)
