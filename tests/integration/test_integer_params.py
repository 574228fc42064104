"""Integers from URLs, query strings and forms are range-checked: 400 or 404 with a message, never a 500.

PostgreSQL ``Integer`` columns are 32-bit and SQLite refuses integers past 64 bits, so an id
such as 2**63 used to reach the database and fail there.
"""

from __future__ import annotations

import re

import pytest
from fsrs import Rating
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from training.database import writing
from training.extensions import db
from training.models import Cohort, ReviewCard, User
from training.models.types import utcnow
from training.services import cohorts, content, drafts, review

from .conftest import start_attempt
from .test_editor import FORMS

SLUG = "thread-lift-nerve-pain"
DRAFT = f"/author/modules/{SLUG}/draft"
# The values the outside review tried, and the first id past PostgreSQL's 32-bit ``Integer``.
HUGE = [-1, 0, 2**31, 2**63, 10**30]
LARGEST_ID = 2**31 - 1
# Positions inside a draft (case, stage, item) count from 0; every other integer in a URL is an id.
POSITIONS = {"c", "s", "i", "case"}
# Plausible values for the converters that are not integers.
OTHER_VALUES = {"slug": SLUG, "fmt": "csv", "code": "7KQ2M9XD4TPV8R3C", "name": "photo.jpg", "filename": "app.css"}


def _request(client, method: str, url: str, **kwargs) -> int:
    """The status of a request; an exception inside the app (a 500 in production) is reported as 500."""
    try:
        response = getattr(client, method.lower())(url, **kwargs)
    except Exception:  # noqa: BLE001 -- TESTING re-raises what production would answer with a 500
        return 500
    response.close()  # a streamed download holds its request (and database transaction) until closed
    return response.status_code


def _fill(rule: str, values: dict[str, object]) -> str:
    """The rule's path with each ``<converter:name>`` replaced by ``values[name]``."""
    return re.sub(r"<(?:[^<>]*:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


@pytest.fixture
def world(app, admin_client, starter) -> dict[str, int]:
    """The starter module with a draft, a cohort it is assigned to, an open attempt and a review card."""
    assert admin_client.post(f"/author/modules/{SLUG}/draft/start").status_code == 302
    attempt_id = start_attempt(admin_client, SLUG)
    with app.app_context(), writing():
        cohort = cohorts.create_cohort(None, "Spring", "")
        row = content.module_by_slug(SLUG)
        cohorts.assign_module(None, cohort, row.id, None)
        version = content.latest_version(row.id)
        item = next(version.content.items())
        now = utcnow()
        state = review.reviewed(None, Rating.Again, now)
        card = ReviewCard(
            user_id=_admin_id(),
            module_id=row.id,
            item_key=item.key,
            version_id=version.id,
            topic=item.topic.value if item.topic else "",
            state=state.to_dict(),
            due=state.due,
            last_reviewed_at=now,
        )
        db.session.add(card)
        db.session.commit()
        return {"cohort_id": cohort.id, "module_id": row.id, "attempt_id": attempt_id, "card_id": card.id}


def _admin_id() -> int:
    """The academy admin's user id (the ``academy`` fixture's)."""
    return db.session.scalar(db.select(User.id).where(User.email == "admin@example.com"))


# ---------------------------------------------------------------- URL paths


def test_no_route_uses_werkzeugs_unbounded_int_converter(app):
    """The app's ``int`` converter replaced Werkzeug's before the blueprints added their rules."""
    unbounded = [
        rule.rule
        for rule in app.url_map.iter_rules()
        for converter in rule._converters.values()
        if type(converter) is IntegerConverter or (isinstance(converter, IntegerConverter) and converter.max is None)
    ]
    assert unbounded == []
    assert app.url_map.converters["int"] is not IntegerConverter


def test_every_integer_in_the_url_map_outside_its_range_is_404_never_500(app, admin_client, world):
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values())
    ]
    assert len(rules) >= 40
    failures = []
    for rule in rules:
        methods = rule.methods - {"HEAD", "OPTIONS"}
        method = "GET" if "GET" in methods else "POST"
        integers = [name for name, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        good = {name: 0 if name in POSITIONS else world.get(name, 1) for name in integers}
        for name in integers:
            for value in HUGE:
                in_range = value == 0 and name in POSITIONS
                url = _fill(rule.rule, OTHER_VALUES | good | {name: value})
                status = _request(admin_client, method, url)
                if status >= 500 or (not in_range and status not in (400, 404, 405)):
                    failures.append((method, url, status))
    assert failures == [], "\n".join(map(str, failures))


def test_ids_match_up_to_the_largest_postgresql_integer_and_positions_from_0(app):
    urls = app.url_map.bind("localhost")
    assert urls.match(f"/admin/users/{LARGEST_ID}") == ("admin.user_detail", {"user_id": LARGEST_ID})
    assert urls.match("/cohorts/007") == ("cohorts.detail", {"cohort_id": 7})
    assert urls.match(f"{DRAFT}/cases/0/stages/0/items/0")[1] == {"slug": SLUG, "c": 0, "s": 0, "i": 0}
    for path in (f"/admin/users/{LARGEST_ID + 1}", "/admin/users/0", "/admin/users/" + "9" * 5000):
        with pytest.raises(NotFound):
            urls.match(path)


# ---------------------------------------------------------------- query strings

# (path, parameter, what happens to a value out of range): "clamped" shows the nearest page
# (a stale or hand-edited page link still shows something), "400" refuses with a message.
QUERY_PARAMETERS = [
    ("/admin/users", "page", "clamped"),
    ("/admin/audit", "page", "clamped"),
    ("/reports/students", "page", "clamped"),
    ("/reports/cohorts/{cohort_id}", "page", "clamped"),
    ("/reports/cohorts/{cohort_id}/heatmap", "page", "clamped"),
    ("/reports/cohorts/{cohort_id}/matrix.csv", "page", "clamped"),
    (f"/author/modules/{SLUG}/preview", "stage", "clamped"),
    (f"/author/modules/{SLUG}/history", "old", "400"),
    (f"/author/modules/{SLUG}/history", "new", "400"),
    (f"/author/modules/{SLUG}/analysis", "version", "400"),
]


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(("path", "name", "behaviour"), QUERY_PARAMETERS)
def test_integer_query_parameters_out_of_range_are_clamped_or_refused(
    admin_client, world, path, name, behaviour, value
):
    response = admin_client.get(path.format(**world), query_string={name: str(value)})
    response.get_data()  # a download streams: an error would surface while it is read
    if behaviour == "clamped":
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert f"“{name}” must be a whole number from 1 to {LARGEST_ID}" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["", "abc", "2"])
def test_a_history_version_that_is_not_a_whole_number_is_400_and_a_blank_one_the_default(admin_client, world, value):
    status = admin_client.get(f"/author/modules/{SLUG}/history", query_string={"old": value}).status_code
    assert status == (400 if value == "abc" else 200)


@pytest.mark.parametrize("value", HUGE)
def test_a_recalculate_form_with_a_version_out_of_range_is_refused(admin_client, world, value):
    response = admin_client.post(f"/author/modules/{SLUG}/analysis/recalculate", data={"version": str(value)})
    assert response.status_code == 400


# ---------------------------------------------------------------- forms

ABSURD = [str(2**63), str(10**30), "-1", "1e400", "nan"]


def _draft_document(app) -> dict:
    with app.app_context():
        return drafts.draft_for(content.module_by_slug(SLUG)).document


def _refused_next_to(html: str, field: str) -> str:
    match = re.search(rf'id="{re.escape(field)}-error" class="invalid-feedback">([^<]*)<', html)
    return match.group(1) if match else ""


SETTINGS_RANGES = {"pass_mark": (0, 100), "attempts_allowed": (1, 100), "time_limit_minutes": (1, 600)}


@pytest.mark.parametrize("field", SETTINGS_RANGES)
def test_module_settings_give_the_browser_their_range_and_refuse_absurd_numbers(app, admin_client, world, field):
    low, high = SETTINGS_RANGES[field]
    page = admin_client.get(f"{DRAFT}/settings").get_data(as_text=True)
    assert re.search(rf'<input[^>]*id="{field}"[^>]*max="{high}"[^>]*min="{low}"', page), "no range on the input"
    before = _draft_document(app)
    for value in ABSURD:
        data = {"title": "Typed title", "procedure": "thread-lift", "summary": "", "pass_mark": "70", field: value}
        data |= {"feedback": "after-submit", "show_answers": "after-submit"}
        response = admin_client.post(f"{DRAFT}/settings", data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and _refused_next_to(html, field), value
        assert 'value="Typed title"' in html
    assert _draft_document(app) == before


def test_a_new_modules_pass_mark_gives_the_browser_its_range_and_refuses_absurd_numbers(app, admin_client, world):
    page = admin_client.get("/author/new-module").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="pass_mark"[^>]*max="100"[^>]*min="0"', page), "no range on the input"
    for value in ABSURD:
        data = {"title": "Meso", "procedure": "mesotherapy", "summary": "", "pass_mark": value}
        data |= {"slug": "meso-new", "case_title": "First", "client": "A client"}
        response = admin_client.post("/author/new-module", data=data)
        assert response.status_code == 200 and _refused_next_to(response.get_data(as_text=True), "pass_mark"), value
    with app.app_context():
        assert content.module_by_slug("meso-new") is None


ITEM_FIELDS = [
    ("single", "points"),
    ("single", "choices-0-order"),
    ("numeric", "min"),
    ("numeric", "max"),
    ("ordering", "steps-0-order"),
]


# -1 is a fine bound for a numeric answer, so it is not tried there.
ITEM_CASES = [(t, f, v) for t, f in ITEM_FIELDS for v in ABSURD if not (f in ("min", "max") and v == "-1")]


@pytest.mark.parametrize(("item_type", "field", "value"), ITEM_CASES)
def test_absurd_numbers_in_an_item_re_render_the_form_with_an_error(app, admin_client, world, item_type, field, value):
    before = _draft_document(app)
    response = admin_client.post(
        f"{DRAFT}/cases/0/stages/0/items/new?type={item_type}", data=FORMS[item_type] | {field: value}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing was saved" in html
    assert _refused_next_to(html, field)
    assert _draft_document(app) == before


ABSURD_DATES = ["0001-01-01", "9999-12-31", "3000-01-01", "+10000-01-01"]


@pytest.mark.parametrize("value", ABSURD_DATES)
def test_an_absurd_due_date_re_renders_the_form_with_an_error(app, admin_client, world, value):
    cohort_id, module_id = world["cohort_id"], world["module_id"]
    response = admin_client.post(f"/cohorts/{cohort_id}/modules/{module_id}/due", data={f"due-{module_id}-due": value})
    assert response.status_code == 200 and _refused_next_to(response.get_data(as_text=True), f"due-{module_id}-due")
    with app.app_context():
        assert cohorts.assigned_modules(db.session.get(Cohort, cohort_id))[0].due_at is None


@pytest.mark.parametrize("value", ABSURD_DATES)
@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_an_absurd_audit_date_is_shown_as_an_error_and_ignored(admin_client, world, field, value):
    for path in ("/admin/audit", "/admin/audit.csv"):
        response = admin_client.get(path, query_string={field: value})
        response.get_data()  # the CSV streams: an error would surface while it is read
        assert response.status_code == 200, path
    assert _refused_next_to(admin_client.get("/admin/audit", query_string={field: value}).get_data(as_text=True), field)


@pytest.mark.parametrize("value", [str(2**63), str(10**30), "-1"])
def test_a_review_answer_with_an_absurd_review_count_is_refused(app, admin_client, world, value):
    card_id = world["card_id"]
    response = admin_client.post(f"/review/{card_id}", data={"reviews": value, "unsure": "y"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(ReviewCard, card_id).reviews == 0
