"""red flags and referral becomes a fifth topic: past answers and per-topic totals follow

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:00:00.000000

The starter curriculum filed triage questions (how urgent, when and where to refer) under
aftercare, so a student's aftercare mastery mixed the two. The corrected curriculum moves
those questions to the new topic ``red-flags`` (and a few others to the topic they really
test). Each answer copies its item's topic when it is saved, so past answers to the moved
questions are re-filed here, and ``attempt_topics`` (each submitted attempt's marks per
topic, which the heatmap reads) is rebuilt for the attempts they belong to.

Only the shipped modules' questions are listed, by module slug and item key: those keys are
stable across versions, and statistics already group by them. An academy's own modules keep
the topics their authors gave them. Marks, scores and the published versions themselves do
not change; the downgrade files the answers back under their old topics.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (module slug, item key, topic before, topic after)
MOVED = [
    ("mesotherapy-aftercare-and-referral", "ms-ar-daniel-persisting", "aftercare", "red-flags"),
    ("mesotherapy-aftercare-and-referral", "ms-ar-margaret-action", "aftercare", "red-flags"),
    ("mesotherapy-aftercare-and-referral", "ms-ar-margaret-days", "aftercare", "red-flags"),
    ("mesotherapy-aftercare-and-referral", "ms-ar-priya-off-course", "aftercare", "red-flags"),
    ("mesotherapy-lumps", "ms-lu-amira-day5-action", "aftercare", "red-flags"),
    ("mesotherapy-lumps", "ms-lu-amira-not-allergy", "anatomy", "red-flags"),
    ("mesotherapy-lumps", "ms-lu-hannah-day9", "aftercare", "red-flags"),
    ("mesotherapy-lumps", "ms-lu-sofia-day9-action", "aftercare", "red-flags"),
    ("mesotherapy-lumps", "ms-lu-sofia-red-flag-findings", "anatomy", "red-flags"),
    ("red-flags-and-referral", "rf-bern-day13-action", "aftercare", "red-flags"),
    ("red-flags-and-referral", "rf-bern-day2-triage", "aftercare", "red-flags"),
    ("red-flags-and-referral", "rf-bern-feeling-vs-movement", "anatomy", "red-flags"),
    ("red-flags-and-referral", "rf-bern-referral-order", "aftercare", "red-flags"),
    ("red-flags-and-referral", "rf-bern-week10-plan", "aftercare", "red-flags"),
    ("red-flags-and-referral", "rf-deb-day3-action", "aftercare", "red-flags"),
    ("red-flags-and-referral", "rf-deb-urgency-match", "aftercare", "red-flags"),
    ("red-flags-and-referral", "rf-tom-day8-action", "aftercare", "red-flags"),
    ("red-flags-and-referral", "rf-tom-safety-net", "aftercare", "red-flags"),
    ("thread-lift-aftercare-and-referral", "ta-day6-action", "aftercare", "red-flags"),
    ("thread-lift-aftercare-and-referral", "ta-day6-cause", "aftercare", "red-flags"),
    ("thread-lift-aftercare-and-referral", "ta-findings-match", "aftercare", "red-flags"),
    ("thread-lift-aftercare-and-referral", "td-month4-plan", "aftercare", "red-flags"),
    ("thread-lift-aftercare-and-referral", "td-screen-questions", "aftercare", "red-flags"),
    ("thread-lift-aftercare-and-referral", "td-three-months", "aftercare", "red-flags"),
    ("thread-lift-aftercare-and-referral", "tf-day10-action", "aftercare", "red-flags"),
    ("thread-lift-aftercare-and-referral", "tf-day10-flag", "aftercare", "red-flags"),
    ("thread-lift-nerve-pain", "tl-np-options-if-persisting", "placement", "aftercare"),
    ("thread-lift-nerve-pain", "tl-np-other-red-flags", "aftercare", "red-flags"),
    ("thread-lift-nerve-pain", "tl-np-report-not-assume", "aftercare", "red-flags"),
    ("thread-lift-nerve-pain", "tl-np-week14-action", "aftercare", "red-flags"),
]


def _refile(position_from: int, position_to: int) -> None:
    """Move the listed answers from one topic to the other, then recount their modules' totals."""
    bind = op.get_bind()
    groups: dict[tuple[str, str, str], list[str]] = {}
    for move in MOVED:
        groups.setdefault((move[0], move[position_from], move[position_to]), []).append(move[1])
    keys = sa.bindparam("keys", expanding=True)
    for (slug, before, after), item_keys in groups.items():
        bind.execute(
            sa.text(
                "UPDATE answers SET topic = :after WHERE topic = :before AND item_key IN :keys AND attempt_id IN "
                "(SELECT a.id FROM attempts a JOIN modules m ON m.id = a.module_id WHERE m.slug = :slug)"
            ).bindparams(keys),
            {"slug": slug, "before": before, "after": after, "keys": item_keys},
        )
    slugs = sa.bindparam("slugs", expanding=True)
    module_ids = (
        bind.execute(
            sa.text("SELECT id FROM modules WHERE slug IN :slugs").bindparams(slugs),
            {"slugs": sorted({m[0] for m in MOVED})},
        )
        .scalars()
        .all()
    )
    if module_ids:
        _rebuild_totals(list(module_ids))


def _rebuild_totals(module_ids: list[int]) -> None:
    """Recount ``attempt_topics`` (submitted attempts only) from the answers, for these modules."""
    bind = op.get_bind()
    ids = sa.bindparam("ids", expanding=True)
    bind.execute(sa.text("DELETE FROM attempt_topics WHERE module_id IN :ids").bindparams(ids), {"ids": module_ids})
    bind.execute(
        sa.text(
            "INSERT INTO attempt_topics (attempt_id, topic, user_id, module_id, awarded, points, items) "
            "SELECT a.id, ans.topic, a.user_id, a.module_id, COALESCE(SUM(ans.awarded), 0), "
            "COALESCE(SUM(ans.points), 0), COUNT(ans.id) FROM answers ans JOIN attempts a ON a.id = ans.attempt_id "
            "WHERE a.status = 'submitted' AND a.module_id IN :ids GROUP BY a.id, ans.topic, a.user_id, a.module_id"
        ).bindparams(ids),
        {"ids": module_ids},
    )


def upgrade():
    _refile(2, 3)


def downgrade():
    _refile(3, 2)
