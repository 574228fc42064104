"""Staff see safe practice: fails on safety in the matrix and exports, own due dates, over-confidence,
the student page's safety misses and certainty, and item analysis of harmful answers, variants and CBM.

Attempts are inserted graded, with the safety and certainty columns set as submission sets them,
so these tests do not depend on the submit path.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from quizzes.content import Module
from training.database import writing
from training.extensions import db
from training.models import Answer, Attempt, AttemptStatus, Cohort, ModuleOverride, User, VersionAnalysis
from training.services import analysis, content, reports

from .conftest import count_queries, make_user
from .test_exports import csv_rows
from .test_reports import NOW, make_cohort, module_ids

SLUG = "safe-dose"
SECOND = "mesotherapy-lumps"
LESSON = "thread-lift-anatomy#threads-and-materials"
DAY = timedelta(days=1)


def single(key: str, prompt: str, choices: list[dict], **extra) -> dict:
    """A single-best-answer item of the module below."""
    return {
        "key": key,
        "type": "single",
        "topic": "red-flags",
        "lesson": LESSON,
        "prompt": prompt,
        "explanation": "A hot, red, swollen entry point with a fever is an infection: see a doctor today.",
        "shuffle": False,
        "choices": choices,
        **extra,
    }


def choice(id_: str, text: str, *, correct: bool = False, harmful: bool = False) -> dict:
    return {"id": id_, "text": text, "correct": correct, "harmful": harmful, "feedback": "" if correct else "Not this."}


AFTERCARE = single(
    "aftercare",
    "What does she do tonight?",
    [choice("rest", "Sleep on her back", correct=True), choice("gym", "Go to the gym")],
    points=2,
)
RED_FLAG = single(
    "red-flag",
    "Red, hot and swollen with a fever on day 2: how urgent?",
    [
        choice("doctor", "A doctor today", correct=True),
        choice("wait", "Wait until Monday", harmful=True),
        choice("ice", "Ice it and see"),
    ],
    safety_critical=True,
)
RED_FLAG_B = single(
    "red-flag-b",
    "Pus at an entry point and 38.4 °C: what now?",
    [
        choice("doctor-b", "A doctor today", correct=True),
        choice("wait-b", "Wait for the next review", harmful=True),
    ],
    safety_critical=True,
    variant_of="red-flag",
)
VOLUME = {
    "key": "volume",
    "type": "numeric",
    "topic": "injection-volume",
    "lesson": LESSON,
    "prompt": "How many ml per side?",
    "explanation": "One to two ml per side.",
    "min": 1,
    "max": 2,
    "units": "ml",
    "harmful_above": 5,
}
DOCUMENT = {
    "slug": SLUG,
    "title": "Safe dosing",
    "procedure": "thread-lift",
    "summary": "Red flags and volumes.",
    "settings": {"certainty_marking": True},
    "cases": [
        {
            "key": "day-two",
            "title": "Day two",
            "client": "Woman, 40, two days after threads",
            "stages": [
                {"title": "The call", "narrative": "She calls.", "items": [AFTERCARE, RED_FLAG, RED_FLAG_B, VOLUME]}
            ],
        }
    ],
}
TOPICS = {"aftercare": "red-flags", "red-flag": "red-flags", "red-flag-b": "red-flags", "volume": "injection-volume"}
POINTS = {"aftercare": 2.0, "red-flag": 1.0, "red-flag-b": 1.0, "volume": 1.0}


def add_graded(app, user_id, module_id, answers, *, when, draw=None, passed_on_score=None) -> int:
    """A submitted attempt with ``answers`` (key -> (response, awarded, certainty, harmful, safety miss)),
    its score, safety misses and pass decided as submission decides them."""
    with app.app_context(), writing():
        version = content.latest_version(module_id)
        score = sum(a[1] for a in answers.values())
        max_score = sum(POINTS[k] for k in answers)
        misses = sum(1 for a in answers.values() if a[4])
        on_score = 100 * score / max_score >= 70 if passed_on_score is None else passed_on_score
        attempt = Attempt(
            user_id=user_id,
            module_id=module_id,
            version_id=version.id,
            seed=1,
            draw=draw,
            started_at=when - timedelta(minutes=20),
            status=AttemptStatus.SUBMITTED,
            submitted_at=when,
            score=score,
            max_score=max_score,
            passed=on_score and not misses,
            safety_misses=misses,
        )
        db.session.add(attempt)
        db.session.flush()
        db.session.add_all(
            Answer(
                attempt_id=attempt.id,
                item_key=key,
                topic=TOPICS[key],
                points=POINTS[key],
                response=response,
                awarded=awarded,
                certainty=certainty,
                safety_miss=miss,
            )
            for key, (response, awarded, certainty, _harmful, miss) in answers.items()
        )
        db.session.commit()
        return attempt.id


@pytest.fixture
def ward(app, starter, student, other_student, instructor):
    """The module above, assigned (past due) with a second module (no due date) to Sam, Olu and Zed.

    Sam: 75% but picked "Wait until Monday" on the safety-critical red flag; then 50% with the red
    flag missed (ice) and 9 ml (harmful). Olu: the red flag's variant right, 9 ml, aftercare wrong.
    Zed: red flag right, too little volume, aftercare wrong: a low score, no safety miss; given his
    own due date next week. Sam is given his own due date, already past, on the second module.
    """
    with app.app_context(), writing():
        content.publish(Module.model_validate(DOCUMENT), None)
        db.session.commit()
    safe, second = module_ids(app, SLUG, SECOND)
    zed = make_user(app, "zed@example.com", name="Zed Zulu")
    cohort = make_cohort(
        app,
        "Ward",
        students=[student, other_student, zed],
        instructors=[instructor],
        modules=[(safe, NOW - DAY), (second, None)],
    )
    ids = {
        "sam_1": add_graded(
            app,
            student,
            safe,
            {
                "aftercare": ("rest", 2.0, 3, False, False),
                "red-flag": ("wait", 0.0, 3, True, True),
                "volume": (1.5, 1.0, 3, False, False),
            },
            when=NOW - 3 * DAY,
        ),
        "sam_2": add_graded(
            app,
            student,
            safe,
            {
                "aftercare": ("rest", 2.0, 2, False, False),
                "red-flag": ("ice", 0.0, 3, False, True),
                "volume": (9.0, 0.0, 3, True, True),
            },
            when=NOW - 2 * DAY,
        ),
        "olu_1": add_graded(
            app,
            other_student,
            safe,
            {
                "aftercare": ("gym", 0.0, 3, False, False),
                "red-flag-b": ("doctor-b", 1.0, 3, False, False),
                "volume": (9.0, 0.0, 2, True, True),
            },
            when=NOW - 2 * DAY,
            draw={"red-flag": "red-flag-b"},
        ),
        "zed_1": add_graded(
            app,
            zed,
            safe,
            {
                "aftercare": ("gym", 0.0, 1, False, False),
                "red-flag": ("doctor", 1.0, 1, False, False),
                "volume": (0.5, 0.0, 1, False, False),
            },
            when=NOW - DAY,
        ),
    }
    with app.app_context(), writing():
        db.session.add_all(
            [
                ModuleOverride(user_id=zed, module_id=safe, due_at=NOW + 7 * DAY, reason="Hospital stay"),
                ModuleOverride(user_id=student, module_id=second, due_at=NOW - timedelta(hours=2), reason="Agreed"),
            ]
        )
        db.session.commit()
    return {"cohort": cohort, "safe": safe, "second": second, "sam": student, "olu": other_student, "zed": zed, **ids}


def matrix_of(app, cohort_id, **query) -> reports.Matrix:
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        return reports.cohort_matrix(cohort, reports.assigned_modules(cohort), reports.MatrixQuery(**query), NOW)


def cells_by_name(result: reports.Matrix, module_id: int) -> dict[str, reports.Cell]:
    at = [m.id for m in result.modules].index(module_id)
    return {row.name: row.cells[at] for row in result.rows.items}


def row_html(page: str, name: str) -> str:
    return re.search(rf'<tr>\s*<th scope="row"[^>]*><a [^>]*>{name}</a>.*?</tr>', page, re.S).group(0)


# ---------------------------------------------------------------- the matrix


def test_a_fail_on_safety_is_told_apart_from_a_low_score(app, ward):
    cells = cells_by_name(matrix_of(app, ward["cohort"]), ward["safe"])
    sam, olu, zed = cells["Sam"], cells["Olu"], cells["Zed Zulu"]
    assert (sam.best, sam.latest, sam.safety_fails, sam.latest_failed_on_safety) == (75, 50, 2, True)
    assert not sam.passed and sam.result == "not-passed-safety"
    assert olu.result == "not-passed-safety" and olu.safety_fails == 1
    assert zed.result == "not-passed" and zed.safety_fails == 0 and not zed.latest_failed_on_safety


def test_the_matrix_page_says_not_passed_safety_and_marks_the_latest(admin_client, ward):
    page = admin_client.get(f"/reports/cohorts/{ward['cohort']}").get_data(as_text=True)
    sam, zed = row_html(page, "Sam"), row_html(page, "Zed Zulu")
    assert "Not passed: safety" in sam and 'class="badge safety-badge">safety<' in sam
    assert "Not passed: safety" in row_html(page, "Olu")
    assert "Not passed<" in zed and "Not passed: safety" not in zed and "safety-badge" not in zed


def test_a_students_own_due_date_replaces_the_cohorts(app, ward):
    result = matrix_of(app, ward["cohort"])
    safe, second = cells_by_name(result, ward["safe"]), cells_by_name(result, ward["second"])
    assert safe["Olu"].overdue and not safe["Olu"].own_due_date
    assert not safe["Zed Zulu"].overdue and safe["Zed Zulu"].own_due_date  # his own date is next week
    assert safe["Zed Zulu"].due_at == NOW + 7 * DAY
    assert second["Sam"].overdue and second["Sam"].due_at == NOW - timedelta(hours=2)  # no cohort date, his is past
    assert not second["Olu"].overdue and second["Olu"].due_at is None


@pytest.mark.parametrize(
    ("module", "expected"),
    [("", ["Olu", "Sam"]), (SLUG, ["Olu", "Sam"]), (SECOND, ["Sam"])],
)
def test_the_overdue_filter_in_sql_honours_own_due_dates_as_the_rows_do(app, ward, module, expected):
    query = reports.MatrixQuery(status="overdue", module=module)
    with app.app_context():
        cohort = db.session.get(Cohort, ward["cohort"])
        modules = reports.assigned_modules(cohort)
        everyone = reports.matrix_rows(cohort, modules, query, NOW)
        page = reports.cohort_matrix(cohort, modules, query, NOW).rows
    assert [row.name for row in everyone] == expected
    assert page.items == everyone


def test_the_matrix_page_shows_an_own_due_date(admin_client, ward):
    page = admin_client.get(f"/reports/cohorts/{ward['cohort']}").get_data(as_text=True)
    due = NOW + 7 * DAY
    assert f"own due date {due.day} {due:%b %Y}" in row_html(page, "Zed Zulu")


def test_each_student_carries_their_over_confidence(app, admin_client, ward):
    rows = {row.name: row for row in matrix_of(app, ward["cohort"]).rows.items}
    # Sam: five answers given with high certainty, three of them wrong; one medium, right.
    sam = rows["Sam"].confidence
    assert (sam.high, sam.high_wrong, sam.medium, sam.medium_wrong) == (5, 3, 1, 0) and sam.high_share == 60.0
    assert rows["Zed Zulu"].confidence.high == 0 and rows["Zed Zulu"].confidence.high_share is None
    page = admin_client.get(f"/reports/cohorts/{ward['cohort']}").get_data(as_text=True)
    assert "Wrong when sure" in page and "3 of 5" in row_html(page, "Sam")


def test_the_matrix_export_carries_the_result_fails_on_safety_and_due_dates(admin_client, ward):
    header, *rows = csv_rows(admin_client.get(f"/reports/cohorts/{ward['cohort']}/matrix.csv"))
    at = header.index("Safe dosing: result")
    by_name = {row[0]: row for row in rows}
    assert by_name["Olu"][at : at + 3] == ["Not passed: safety", "1", (NOW - DAY).strftime("%Y-%m-%d %H:%M")]
    assert by_name["Zed Zulu"][at : at + 3] == ["Not passed", "0", (NOW + 7 * DAY).strftime("%Y-%m-%d %H:%M")]
    assert by_name["Sam"][header.index("Wrong when sure %")] == "60.0"
    assert by_name["Sam"][header.index("High-certainty answers")] == "5"


def test_the_attempts_export_says_which_failed_on_safety(admin_client, ward):
    header, *rows = csv_rows(admin_client.get(f"/reports/cohorts/{ward['cohort']}/attempts.csv"))
    failed, misses = header.index("Failed on safety"), header.index("Safety misses")
    by_student = {}
    for row in rows:
        by_student.setdefault(row[0], []).append((row[header.index("Percent")], row[failed], row[misses]))
    assert sorted(by_student["Sam"]) == [("50.0", "yes", "2"), ("75.0", "yes", "1")]
    assert by_student["Zed Zulu"] == [("25.0", "no", "0")]


# ---------------------------------------------------------------- the student page


def test_the_student_page_lists_safety_misses_safety_critical_first(app, ward):
    with app.app_context():
        student = db.session.get(User, ward["sam"])
        misses = reports.safety_misses(student)
    assert [(m.attempt_id, m.item_key, m.critical) for m in misses] == [
        (ward["sam_2"], "red-flag", True),  # safety-critical, newest first
        (ward["sam_1"], "red-flag", True),
        (ward["sam_2"], "volume", False),
    ]
    assert misses[0].harmful == [] and misses[0].given == "Ice it and see"
    assert misses[1].harmful == ["Wait until Monday"] and misses[1].module == "Safe dosing"
    assert misses[2].harmful and "9" in misses[2].harmful[0]


def test_the_student_page_shows_safety_misses_and_certainty(admin_client, ward):
    page = admin_client.get(f"/reports/students/{ward['sam']}").get_data(as_text=True)
    assert "Safety misses" in page and "Chose a harmful answer: <strong>Wait until Monday</strong>" in page
    assert "Safety-critical question not answered right (answered: Ice it and see)" in page
    assert page.index("Ice it and see") < page.index("Wait until Monday") < page.index("How many ml per side?")
    assert "Wrong when sure:" in page and "<strong>60%</strong> of 5 high-certainty answers (3 wrong)" in page
    assert "Safe dosing: certainty against answers" in page
    quiet = admin_client.get(f"/reports/students/{ward['zed']}").get_data(as_text=True)
    assert "No safety misses." in quiet


def test_the_student_page_queries_do_not_grow_with_misses(app, admin_client, ward):
    admin_client.get(f"/reports/students/{ward['sam']}")  # warm up: a first request parses versions once
    counts = []
    for _ in range(2):
        with count_queries(app) as statements:
            assert admin_client.get(f"/reports/students/{ward['sam']}").status_code == 200
        counts.append(len(statements))
        add_graded(
            app,
            ward["sam"],
            ward["safe"],
            {"aftercare": ("gym", 0.0, 3, False, False), "red-flag": ("wait", 0.0, 3, True, True)},
            when=NOW - timedelta(hours=1),
        )
    assert counts[0] == counts[1]


# ---------------------------------------------------------------- item analysis


def analysed(app):
    with app.app_context():
        version = content.latest_version(content.module_by_slug(SLUG).id)
        return analysis.analyse_version(version)


def test_item_analysis_counts_harmful_answers_per_item(app, ward):
    result = analysed(app)
    red = result.harmful["red-flag"]
    assert (red.count, red.students) == (1, 1) and red.percent == pytest.approx(100 / 3)
    assert [(p.answer, p.count, p.students) for p in red.picks] == [("Wait until Monday", 1, 1)]
    volume = result.harmful["volume"]
    assert (volume.count, volume.students, volume.percent) == (2, 2, 50.0)
    assert result.harmful["red-flag-b"].count == 0 and "aftercare" not in result.harmful
    tally = {r.answer: r for r in result.responses["red-flag"]}
    assert tally["Wait until Monday"].harmful and tally["Wait until Monday"].count == 1
    assert not tally["Ice it and see"].harmful and not tally["A doctor today"].harmful


def test_item_analysis_reports_each_variant_and_its_slot(app, ward):
    stats = analysed(app).stats
    assert (stats.items["red-flag"].attempts, stats.items["red-flag"].facility) == (3, pytest.approx(100 / 3))
    assert (stats.items["red-flag-b"].attempts, stats.items["red-flag-b"].facility) == (1, 100.0)
    assert (stats.slots["red-flag"].attempts, stats.slots["red-flag"].facility) == (4, 50.0)
    assert stats.max_score == 4.0 and stats.attempts == 4  # one red flag per attempt


def test_item_analysis_reports_over_confidence_per_question(app, ward):
    confidence = analysed(app).confidence
    assert (confidence["red-flag"].high, confidence["red-flag"].high_wrong) == (2, 2)
    assert (confidence["volume"].high, confidence["volume"].high_wrong) == (2, 1)
    assert (confidence["volume"].medium, confidence["volume"].medium_wrong) == (1, 1)
    assert confidence["aftercare"].high_share == 50.0


def test_the_analysis_page_lists_safety_critical_questions_first_with_harmful_counts(instructor_client, ward):
    html = instructor_client.get(f"/author/modules/{SLUG}/analysis").get_data(as_text=True)
    body = html[html.index("<tbody>", html.index('class="table table-sm align-middle analysis"')) :]
    # The safety-critical slot (its slot row, then a row per variant) comes before the first-written item.
    assert body.index("Slot red-flag") < body.index("red-flag-b") < body.index("aftercare")
    assert "Safety-critical" in body and "Attempts per variant: red-flag 3, red-flag-b 1" in body
    assert 'Wait until Monday: 1 (33.3%) <span class="badge text-bg-danger">Harmful</span>' in body
    assert "harmful answers: 2 (50.0%), by 2 students" in body
    assert "Wrong when sure: high" in html


def test_a_cached_analysis_in_the_old_format_is_recalculated(app, instructor_client, ward):
    instructor_client.get(f"/author/modules/{SLUG}/analysis")
    with app.app_context(), writing():
        cached = db.session.scalar(select(VersionAnalysis))
        cached.result = {**cached.result, "format": analysis.RESULT_FORMAT - 1}
        db.session.commit()
    html = instructor_client.get(f"/author/modules/{SLUG}/analysis").get_data(as_text=True)
    assert "harmful answers: 2 (50.0%)" in html
    with app.app_context():
        assert db.session.scalar(select(VersionAnalysis)).result["format"] == analysis.RESULT_FORMAT
