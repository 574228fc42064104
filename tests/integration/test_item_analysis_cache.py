"""The item analysis is cached per version: served while current, recalculated when behind and old."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from training.extensions import db
from training.models import VersionAnalysis
from training.models.types import utcnow
from training.services import analysis
from training.services.content import latest_version, module_by_slug

from .conftest import count_queries, module_doc, start_attempt
from .helpers import wrong_values
from .test_taking import finish

SLUG = "thread-lift-nerve-pain"
PAGE = f"/author/modules/{SLUG}/analysis"
RECALCULATE = f"/author/modules/{SLUG}/analysis/recalculate"


@pytest.fixture
def calculations(monkeypatch) -> list[int]:
    """The ids of the versions analysed from their answers, one entry per calculation."""
    calls: list[int] = []
    calculate = analysis.analyse_version

    def counted(version):
        calls.append(version.id)
        return calculate(version)

    monkeypatch.setattr(analysis, "analyse_version", counted)
    return calls


@pytest.fixture
def big_version(monkeypatch) -> None:
    """Treat every version as big, so a recent cached analysis may lag behind new attempts."""
    monkeypatch.setattr(analysis, "ALWAYS_RECALCULATE_BELOW", 0)


def submit(client, app, values=None) -> None:
    """The client's student takes the module once and submits (all right unless ``values``)."""
    doc = module_doc(app, SLUG)
    attempt_id = start_attempt(client, SLUG)
    if values is None:
        finish(client, doc, attempt_id)
    else:
        finish(client, doc, attempt_id, values=values)


def age_cached_analysis(app, by: timedelta) -> None:
    """Make the cached analysis look calculated ``by`` ago."""
    with app.app_context():
        db.session.execute(update(VersionAnalysis).values(computed_at=utcnow() - by))
        db.session.commit()


def cached_row(app) -> tuple[int, int | None] | None:
    """(attempts, last_attempt_id) of the cached analysis, or None."""
    with app.app_context():
        row = db.session.execute(select(VersionAnalysis.attempts, VersionAnalysis.last_attempt_id)).first()
        return tuple(row) if row else None


def page(client) -> str:
    response = client.get(PAGE)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_first_visit_calculates_and_later_visits_use_the_cache(
    app, instructor_client, student_client, starter, calculations
):
    submit(student_client, app)
    first = page(instructor_client)
    assert "Calculated" in first and "just now" in first and "from 1 attempt." in first
    with count_queries(app) as statements:
        second = page(instructor_client)
    assert len(calculations) == 1
    assert not [s for s in statements if "answers" in s], "a cached visit read the answers"
    assert ">100.0<" in second and "from 1 attempt." in second and "Recalculate now" not in second
    assert cached_row(app)[0] == 1


def test_the_page_says_how_old_an_up_to_date_analysis_is(app, instructor_client, student_client, starter, calculations):
    submit(student_client, app)
    page(instructor_client)
    age_cached_analysis(app, timedelta(minutes=11))
    html = page(instructor_client)
    assert "Calculated" in html and "11 minutes ago" in html and "from 1 attempt." in html
    assert len(calculations) == 1  # old, but it counts every submitted attempt


def test_a_small_version_is_recalculated_as_soon_as_an_attempt_is_submitted(
    app, instructor_client, student_client, other_client, starter, calculations
):
    submit(student_client, app)
    page(instructor_client)
    submit(other_client, app, wrong_values)
    html = page(instructor_client)
    assert len(calculations) == 2
    assert ">50.0<" in html and "from 2 attempts." in html and "submitted since" not in html


def test_within_the_interval_a_big_version_shows_the_old_figures_and_how_many_attempts_are_new(
    app, instructor_client, student_client, other_client, starter, calculations, big_version
):
    submit(student_client, app)
    page(instructor_client)
    submit(other_client, app, wrong_values)
    html = page(instructor_client)
    assert len(calculations) == 1
    assert "from 1 attempt;" in html and "1 attempt submitted since." in html and "Recalculate now" in html
    assert ">100.0<" in html and ">50.0<" not in html  # the figures of the one attempt counted


def test_after_the_interval_a_big_version_is_recalculated(
    app, instructor_client, student_client, other_client, starter, calculations, big_version
):
    submit(student_client, app)
    page(instructor_client)
    submit(other_client, app, wrong_values)
    age_cached_analysis(app, analysis.RECALCULATE_AFTER + timedelta(seconds=1))
    html = page(instructor_client)
    assert len(calculations) == 2
    assert ">50.0<" in html and "from 2 attempts." in html and "submitted since" not in html
    assert cached_row(app)[0] == 2


def test_recalculate_now_recalculates_and_redirects_back_to_the_version(
    app, instructor_client, student_client, other_client, starter, calculations, big_version
):
    submit(student_client, app)
    page(instructor_client)
    submit(other_client, app, wrong_values)
    response = instructor_client.post(RECALCULATE, data={"version": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{PAGE}?version=1")
    assert len(calculations) == 2
    html = instructor_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Item analysis recalculated from 2 submitted attempts." in html
    assert ">50.0<" in html and "submitted since" not in html
    assert len(calculations) == 2  # the page after the redirect is served from the cache
    assert instructor_client.post(RECALCULATE, data={"version": "9"}).status_code == 404


def test_recalculate_now_needs_a_csrf_token(
    app, instructor_client, student_client, other_client, starter, calculations, big_version
):
    submit(student_client, app)
    page(instructor_client)
    submit(other_client, app, wrong_values)
    app.config["WTF_CSRF_ENABLED"] = True
    html = page(instructor_client)
    assert instructor_client.post(RECALCULATE, data={"version": "1"}).status_code == 400
    assert len(calculations) == 1
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert instructor_client.post(RECALCULATE, data={"version": "1", "csrf_token": token}).status_code == 302
    assert len(calculations) == 2


def test_students_can_neither_see_nor_recalculate_the_analysis(app, student_client, starter, calculations):
    submit(student_client, app)
    assert student_client.get(PAGE).status_code == 403
    assert student_client.post(RECALCULATE, data={"version": "1"}).status_code == 403
    assert calculations == [] and cached_row(app) is None


def test_the_cached_analysis_equals_a_fresh_calculation(
    app, instructor_client, student_client, other_client, starter, calculations
):
    submit(student_client, app)
    submit(other_client, app, wrong_values)
    submit(student_client, app, wrong_values)
    page(instructor_client)
    with app.app_context():
        version = latest_version(module_by_slug(SLUG).id)
        cached = analysis.current_report(version)
        fresh = analysis.analyse_version(version)
    assert len(calculations) == 2  # the page's, then the fresh one: the report came from the cache
    assert cached.attempts == 3 and cached.submitted_since == 0
    assert cached.analysis.stats == fresh.stats
    assert list(cached.analysis.stats.items) == list(fresh.stats.items)
    assert cached.analysis.responses == fresh.responses and list(cached.analysis.responses) == list(fresh.responses)


def test_a_busy_database_that_cannot_store_the_analysis_still_shows_the_page(
    app, instructor_client, student_client, starter, monkeypatch, caplog
):
    submit(student_client, app)

    @contextlib.contextmanager
    def busy():
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        yield  # never reached: the write fails as it begins, as on a database that stays busy

    monkeypatch.setattr(analysis, "writing", busy)
    html = page(instructor_client)
    assert ">100.0<" in html and "from 1 attempt." in html
    assert "not cached" in caplog.text and cached_row(app) is None
