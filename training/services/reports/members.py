"""Who a report lists: the cohort's students, optionally those whose name or email contains some text.

Shared by the matrix, the heatmap and the student directory, so a search finds the same
people on each page.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select

from ...models import Cohort, CohortMember, User


def name_or_email_contains(q: str) -> ColumnElement[bool]:
    """A case-insensitive "name or email contains" condition (LIKE wildcards in ``q`` are literal)."""
    return or_(User.name.icontains(q, autoescape=True), User.email.icontains(q, autoescape=True))


def cohort_member_ids(cohort: Cohort, q: str = "") -> Select:
    """A select of the ids of the cohort's students, optionally whose name or email contains ``q``."""
    query = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
    if q:
        query = query.join(User, User.id == CohortMember.user_id).where(name_or_email_contains(q))
    return query
