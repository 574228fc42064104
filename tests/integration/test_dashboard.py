"""The student's dashboard: assigned modules with status and due date, mastery, the review queue."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from quizzes.content import Module
from training.database import writing
from training.extensions import db
from training.models import Cohort, CohortMember, CohortModule
from training.models.types import utcnow
from training.services import content
from training.services.content import module_by_slug

from .conftest import count_queries, module_doc, start_attempt
from .helpers import key_values, wrong_values
from .test_taking import finish

NERVE_PAIN = "thread-lift-nerve-pain"
LUMPS = "mesotherapy-lumps"
RED_FLAGS = "red-flags-and-referral"
TL_AFTERCARE = "thread-lift-aftercare-and-referral"
MESO_AFTERCARE = "mesotherapy-aftercare-and-referral"


def day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def days(n: float) -> datetime:
    """A moment ``n`` days from now (UTC)."""
    return utcnow() + timedelta(days=n)


def cohort(app, name: str, members: list[int], modules: dict[str, datetime | None]) -> int:
    """A cohort with these students, assigning these modules (slug -> due date)."""
    with app.app_context(), writing():
        row = Cohort(name=name)
        db.session.add(row)
        db.session.flush()
        db.session.add_all(CohortMember(cohort_id=row.id, user_id=user_id) for user_id in members)
        db.session.add_all(
            CohortModule(cohort_id=row.id, module_id=module_by_slug(slug).id, due_at=due)
            for slug, due in modules.items()
        )
        db.session.commit()
        return row.id


def copy_module(app, slug: str, new_slug: str, title: str) -> None:
    """Publish a copy of a module under another slug and title."""
    data = module_doc(app, slug).model_dump(mode="json")
    data.update(slug=new_slug, title=title)
    with app.app_context(), writing():
        content.publish(Module.model_validate(data), None)
        db.session.commit()


def take(app, client, slug: str, values) -> None:
    finish(client, module_doc(app, slug), start_attempt(client, slug), values=values)


def rows(page: str) -> list[tuple[str, str]]:
    """(status, row text) of each assigned module, in page order."""
    found = re.findall(r'<tr class="assignment" data-status="([^"]+)">(.*?)</tr>', page, re.S)
    return [(status, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()) for status, body in found]


def title(app, slug: str) -> str:
    return module_doc(app, slug).title


def test_statuses_due_dates_and_order(app, student, student_client, starter):
    cohort(
        app,
        "Spring thread lifts",
        [student],
        {
            NERVE_PAIN: days(-1),  # passed, though its due date has gone
            LUMPS: days(5),  # in progress
            RED_FLAGS: days(-2),  # overdue
            TL_AFTERCARE: days(10),  # not started
            MESO_AFTERCARE: None,  # tried, not passed; no due date
        },
    )
    take(app, student_client, NERVE_PAIN, key_values)
    take(app, student_client, MESO_AFTERCARE, wrong_values)
    start_attempt(student_client, LUMPS)

    response = student_client.get("/dashboard")
    assert response.status_code == 200
    found = rows(response.get_data(as_text=True))
    assert [status for status, _ in found] == ["overdue", "passed", "in progress", "not started", "not passed yet"]
    texts = [text for _, text in found]
    assert texts[0].startswith(title(app, RED_FLAGS)) and day(days(-2)) in texts[0] and "Start" in texts[0]
    assert title(app, NERVE_PAIN) in texts[1] and "Passed best 100%" in texts[1]
    assert title(app, LUMPS) in texts[2] and day(days(5)) in texts[2] and "Resume" in texts[2]
    assert title(app, TL_AFTERCARE) in texts[3] and "Not started" in texts[3]
    assert title(app, MESO_AFTERCARE) in texts[4] and "No due date" in texts[4] and "best 0%" in texts[4]
    assert "Try again" in texts[4]
    assert f'href="/modules/{LUMPS}"' in response.get_data(as_text=True)


def test_a_module_assigned_by_two_cohorts_shows_once_with_the_earliest_due_date(app, student, student_client, starter):
    cohort(app, "Thread lifts A", [student], {NERVE_PAIN: days(9), LUMPS: days(4)})
    cohort(app, "Thread lifts B", [student], {NERVE_PAIN: days(3), RED_FLAGS: None})
    found = rows(student_client.get("/dashboard").get_data(as_text=True))
    assert len(found) == 3
    assert found[0][1].startswith(title(app, NERVE_PAIN)) and day(days(3)) in found[0][1]
    assert day(days(9)) not in found[0][1]
    assert title(app, LUMPS) in found[1][1] and title(app, RED_FLAGS) in found[2][1]


def test_an_overdue_module_with_an_open_attempt_is_overdue_and_resumable(app, student, student_client, starter):
    cohort(app, "Late starters", [student], {LUMPS: days(-1)})
    start_attempt(student_client, LUMPS)
    [(status, text)] = rows(student_client.get("/dashboard").get_data(as_text=True))
    assert status == "overdue" and "Resume" in text


def test_modules_of_other_students_cohorts_are_not_shown(app, student, other_student, student_client, starter):
    cohort(app, "Someone else's class", [other_student], {NERVE_PAIN: days(2)})
    page = student_client.get("/dashboard").get_data(as_text=True)
    assert rows(page) == [] and "Nothing is assigned to you yet" in page


def test_a_student_with_no_cohort_is_pointed_to_the_catalogue(app, student_client, starter):
    page = student_client.get("/dashboard").get_data(as_text=True)
    assert "Nothing is assigned to you yet" in page and 'href="/"' in page and "browse the modules" in page
    assert "No questions to review" in page


def test_the_dashboard_shows_mastery_and_the_review_queue(app, student, student_client, starter):
    take(
        app,
        student_client,
        NERVE_PAIN,
        lambda item: wrong_values(item) if item.topic == "aftercare" else key_values(item),
    )
    page = student_client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'mastery-topic">Aftercare</span>.*?mastery-value">0%', page, re.S)
    assert re.search(r'mastery-topic">Anatomy</span>.*?mastery-value">100%', page, re.S)
    assert 'href="/progress"' in page
    # Every aftercare item was missed; the cards come due a minute after the attempt.
    aftercare = sum(1 for item in module_doc(app, NERVE_PAIN).items() if item.topic == "aftercare")
    assert f"<strong>0</strong> due now · {aftercare} questions in your queue · next one in 1 minute" in re.sub(
        r"\s+", " ", page
    )
    assert "Start review" not in page


def test_instructors_and_admins_may_open_their_own_dashboard(app, instructor_client, starter):
    assert instructor_client.get("/dashboard").status_code == 200


def test_the_dashboard_needs_signing_in(app, starter):
    response = app.test_client().get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_dashboard_query_count_does_not_grow_with_assigned_modules(app, student, student_client, starter):
    cohort(app, "Two modules", [student], {NERVE_PAIN: days(2), LUMPS: days(-1)})
    start_attempt(student_client, LUMPS)
    student_client.get("/dashboard")  # warm caches (parsed versions, academy name)
    with count_queries(app) as two:
        assert student_client.get("/dashboard").status_code == 200

    copy_module(app, NERVE_PAIN, "nerve-pain-copy", "Nerve pain again")
    cohort(
        app,
        "Four more",
        [student],
        {RED_FLAGS: days(1), TL_AFTERCARE: None, MESO_AFTERCARE: days(4), "nerve-pain-copy": days(6)},
    )
    take(app, student_client, RED_FLAGS, key_values)
    start_attempt(student_client, MESO_AFTERCARE)
    with count_queries(app) as six:
        page = student_client.get("/dashboard").get_data(as_text=True)
    assert len(rows(page)) == 6
    assert len(six) == len(two)
    # The signed-in user, the academy's name, then one query each for assignments, mastery,
    # the answer policy of the modules with cards (review waits where answers are held back) and the queue.
    assert len(two) == 6, two
