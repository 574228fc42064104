"""Who may do what to which object: one row per route and method of ``app.url_map``, one cell per role.

The world (``world.py``) holds S's work in cohort A; every route that takes an object id
is tried with S's or cohort A's id, so for the other cohort's student and instructor it is
always someone else's id. A cell is the status the role must get: a number, or ``LOGIN``
for the redirect to the sign-in page. POSTs run with CSRF off (as everywhere in the suite)
and a refused one must change nothing in the database (its fingerprint is compared).

A route in ``app.url_map`` without a row fails ``test_every_route_has_a_row``: add the row
(that is the point), with its expected status for every role.

The world is built once for the module and rebuilt only after a cell that wrote to the
database (an allowed POST, or a sign-out), so the ~600 cells run in well under a minute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from sqlalchemy import event

from training.extensions import db, limiter

from .world import ROLES, World, build_world, client_as, empty_database, fingerprint

LOGIN = "login"  # a 302 to the sign-in page
STUDENTS = ("owner", "other_student")
INSTRUCTORS = ("other_instructor", "instructor")
ASSET_ENDPOINTS = ("static", "bootstrap.static")


def everyone(code: int | str) -> dict[str, int | str]:
    """A public route: the same answer for every role, signed in or not."""
    return dict.fromkeys(ROLES, code)


def signed_in(code: int | str, **cells: int | str) -> dict[str, int | str]:
    """Anyone signed in gets ``code`` (unless a cell says otherwise); anonymous goes to sign in."""
    return {"anonymous": LOGIN} | dict.fromkeys(ROLES[1:], code) | cells


def own_only(code: int | str) -> dict[str, int | str]:
    """S's own object: S gets ``code``; everybody else signed in gets 404 (no hint that it exists)."""
    return signed_in(404, owner=code)


def staff(code: int | str, **cells: int | str) -> dict[str, int | str]:
    """Instructors and admins get ``code``; students 403."""
    return signed_in(code, owner=403, other_student=403) | cells


def cohort_staff(code: int | str) -> dict[str, int | str]:
    """Cohort A's work: its instructor and admins get ``code``; another cohort's instructor 404."""
    return staff(code, other_instructor=404)


def admins(code: int | str) -> dict[str, int | str]:
    """Admins only: everyone else signed in gets 403."""
    return signed_in(403, admin=code)


@dataclass(frozen=True)
class Route:
    url: Callable[[World], str]
    expect: dict[str, int | str]
    data: Callable[[World], dict] | None = None
    json: Callable[[World], dict] | None = None


def draft(path: str = "") -> Callable[[World], str]:
    """A URL inside the starter module's draft (case 0, stage 0, item 0 all exist)."""
    return lambda w: f"/author/modules/{w.slug}/draft{path}"


def nothing(world: World) -> dict:
    """A POST with an empty form."""
    return {}


AUTHORING = staff(200)  # every instructor reads every module: modules are the academy's, not a cohort's
AUTHORING_POST = staff(302)
# Changing a module: its editors (I) and admins; I2 does not edit it.
EDITING = staff(200, other_instructor=403)
EDITING_POST = staff(302, other_instructor=403)

# (endpoint, method) -> Route. The expected codes of allowed roles on POSTs are what the
# posted data earns (a redirect when it works, 200 when the form re-renders with errors).
MATRIX: dict[tuple[str, str], Route] = {
    # --- auth ---
    ("auth.login", "GET"): Route(lambda w: "/login", signed_in(302, anonymous=200)),
    ("auth.login", "POST"): Route(lambda w: "/login", signed_in(302, anonymous=200), data=nothing),
    ("auth.setup", "GET"): Route(lambda w: "/setup", everyone(302)),  # the academy is set up already
    ("auth.setup", "POST"): Route(lambda w: "/setup", everyone(302), data=lambda w: {"name": "Hijack"}),
    ("auth.logout", "POST"): Route(lambda w: "/logout", signed_in(302)),
    ("auth.change_password", "GET"): Route(lambda w: "/account/password", signed_in(200)),
    ("auth.change_password", "POST"): Route(lambda w: "/account/password", signed_in(200), data=nothing),
    # --- learn: everyone signed in takes modules; attempts are their student's alone ---
    ("learn.catalogue", "GET"): Route(lambda w: "/", signed_in(200)),
    ("learn.module", "GET"): Route(lambda w: f"/modules/{w.slug}", signed_in(200)),
    ("learn.start", "POST"): Route(lambda w: f"/modules/{w.slug}/start", signed_in(302)),
    ("learn.take", "GET"): Route(lambda w: f"/attempts/{w.open_attempt}", own_only(200)),
    ("learn.answer_stage", "POST"): Route(
        lambda w: f"/attempts/{w.open_attempt}", own_only(302), data=lambda w: {"stage": "0", "action": "save"}
    ),
    ("learn.autosave", "POST"): Route(
        lambda w: f"/attempts/{w.open_attempt}/autosave",
        own_only(200),
        json=lambda w: {"stage": 0, "item": w.item, "values": [], "seq": 1},
    ),
    ("learn.result", "GET"): Route(lambda w: f"/attempts/{w.passed_attempt}/result", own_only(200)),
    ("learn.my_progress", "GET"): Route(lambda w: "/progress", signed_in(200)),
    ("learn.lessons", "GET"): Route(lambda w: "/lessons", signed_in(200)),
    ("learn.lesson", "GET"): Route(lambda w: f"/lessons/{w.lesson}", signed_in(200)),
    ("learn.media_file", "GET"): Route(lambda w: f"/media/{w.photo}", signed_in(200)),
    # --- review: review cards are their student's alone ---
    ("learn.dashboard", "GET"): Route(lambda w: "/dashboard", signed_in(200)),
    ("review.next_card", "GET"): Route(lambda w: "/review", signed_in(200)),
    ("review.card", "GET"): Route(lambda w: f"/review/{w.card}", own_only(200)),
    ("review.answer", "POST"): Route(
        lambda w: f"/review/{w.card}", own_only(200), data=lambda w: {"reviews": "0", "unsure": "y"}
    ),
    # --- certificates: the PDF for its owner and the staff who may see the owner; verifying is public ---
    ("certificates.mine", "GET"): Route(lambda w: "/certificates", signed_in(200)),
    ("certificates.pdf", "GET"): Route(
        lambda w: f"/certificates/{w.certificate}.pdf", signed_in(404, owner=200, instructor=200, admin=200)
    ),
    ("certificates.verify", "GET"): Route(lambda w: "/verify", everyone(200)),
    ("certificates.verify", "POST"): Route(lambda w: "/verify", everyone(302), data=lambda w: {"code": w.certificate}),
    ("certificates.verify_code", "GET"): Route(lambda w: f"/verify/{w.certificate}", everyone(200)),
    ("certificates.revoke", "GET"): Route(lambda w: f"/certificates/{w.certificate}/revoke", admins(200)),
    ("certificates.revoke", "POST"): Route(
        lambda w: f"/certificates/{w.certificate}/revoke", admins(302), data=lambda w: {"reason": "Copied answers"}
    ),
    # --- reports: staff, scoped to the cohorts they teach ---
    ("reports.index", "GET"): Route(lambda w: "/reports/", staff(200)),
    ("reports.students", "GET"): Route(lambda w: "/reports/students", staff(200)),
    ("reports.matrix", "GET"): Route(lambda w: f"/reports/cohorts/{w.cohort}", cohort_staff(200)),
    ("reports.heatmap", "GET"): Route(lambda w: f"/reports/cohorts/{w.cohort}/heatmap", cohort_staff(200)),
    ("reports.matrix_export", "GET"): Route(lambda w: f"/reports/cohorts/{w.cohort}/matrix.csv", cohort_staff(200)),
    ("reports.cohort_attempts_export", "GET"): Route(
        lambda w: f"/reports/cohorts/{w.cohort}/attempts.xlsx", cohort_staff(200)
    ),
    ("reports.student", "GET"): Route(lambda w: f"/reports/students/{w.owner}", cohort_staff(200)),
    ("reports.attempt", "GET"): Route(lambda w: f"/reports/attempts/{w.passed_attempt}", cohort_staff(200)),
    ("reports.all_attempts_export", "GET"): Route(lambda w: "/reports/attempts.csv", admins(200)),
    # --- cohorts: admins only ---
    ("cohorts.index", "GET"): Route(lambda w: "/cohorts/", admins(200)),
    ("cohorts.index", "POST"): Route(lambda w: "/cohorts/", admins(302), data=lambda w: {"name": "Cohort C"}),
    ("cohorts.detail", "GET"): Route(lambda w: f"/cohorts/{w.cohort}", admins(200)),
    ("cohorts.edit", "POST"): Route(
        lambda w: f"/cohorts/{w.cohort}/edit", admins(302), data=lambda w: {"cohort-name": "Cohort A2"}
    ),
    ("cohorts.delete", "GET"): Route(lambda w: f"/cohorts/{w.cohort}/delete", admins(200)),
    ("cohorts.delete", "POST"): Route(lambda w: f"/cohorts/{w.cohort}/delete", admins(302), data=nothing),
    ("cohorts.add_student", "POST"): Route(
        lambda w: f"/cohorts/{w.cohort}/students",
        admins(302),
        data=lambda w: {"student-email": "olu@example.com", "student-name": "Olu"},
    ),
    ("cohorts.enrol", "GET"): Route(lambda w: f"/cohorts/{w.cohort}/enrol", admins(200)),
    ("cohorts.enrol", "POST"): Route(lambda w: f"/cohorts/{w.cohort}/enrol", admins(200), data=nothing),
    ("cohorts.remove_student", "POST"): Route(
        lambda w: f"/cohorts/{w.cohort}/students/{w.owner}/remove", admins(302), data=nothing
    ),
    ("cohorts.add_instructor", "POST"): Route(
        lambda w: f"/cohorts/{w.cohort}/instructors",
        admins(302),
        data=lambda w: {"instructor-instructor": str(w.users["other_instructor"])},
    ),
    ("cohorts.remove_instructor", "POST"): Route(
        lambda w: f"/cohorts/{w.cohort}/instructors/{w.users['instructor']}/remove", admins(302), data=nothing
    ),
    ("cohorts.assign_module", "POST"): Route(
        # already assigned: the form says so
        lambda w: f"/cohorts/{w.cohort}/modules",
        admins(200),
        data=lambda w: {"module-module": str(w.module)},
    ),
    ("cohorts.change_due_date", "POST"): Route(
        lambda w: f"/cohorts/{w.cohort}/modules/{w.module}/due", admins(302), data=lambda w: {"due_date": ""}
    ),
    ("cohorts.unassign_module", "POST"): Route(
        lambda w: f"/cohorts/{w.cohort}/modules/{w.module}/unassign", admins(302), data=nothing
    ),
    # --- per-student overrides: admins and the instructors of the student's cohort ---
    ("overrides.student", "GET"): Route(lambda w: f"/overrides/students/{w.owner}", cohort_staff(200)),
    ("overrides.student", "POST"): Route(
        lambda w: f"/overrides/students/{w.owner}",
        cohort_staff(302),
        data=lambda w: {"grant-module": str(w.module), "grant-extra_attempts": "1", "grant-reason": "Illness"},
    ),
    ("overrides.edit", "GET"): Route(lambda w: f"/overrides/students/{w.owner}/modules/{w.module}", cohort_staff(200)),
    ("overrides.edit", "POST"): Route(
        lambda w: f"/overrides/students/{w.owner}/modules/{w.module}",
        cohort_staff(302),
        data=lambda w: {"extra_minutes": "10", "reason": "Reading accommodation"},
    ),
    ("overrides.remove", "POST"): Route(
        lambda w: f"/overrides/students/{w.owner}/modules/{w.module}/remove", cohort_staff(302), data=nothing
    ),
    # --- admin: admins only ---
    ("admin.users_list", "GET"): Route(lambda w: "/admin/users", admins(200)),
    ("admin.new_user", "GET"): Route(lambda w: "/admin/users/new", admins(200)),
    ("admin.new_user", "POST"): Route(
        lambda w: "/admin/users/new",
        admins(200),  # the page that shows the temporary password once
        data=lambda w: {"email": "new@example.com", "name": "New", "role": "student"},
    ),
    ("admin.user_detail", "GET"): Route(lambda w: f"/admin/users/{w.owner}", admins(200)),
    ("admin.change_role", "POST"): Route(
        lambda w: f"/admin/users/{w.owner}/role", admins(302), data=lambda w: {"role": "admin"}
    ),
    ("admin.deactivate", "POST"): Route(lambda w: f"/admin/users/{w.owner}/deactivate", admins(302), data=nothing),
    ("admin.reactivate", "POST"): Route(lambda w: f"/admin/users/{w.owner}/reactivate", admins(302), data=nothing),
    ("admin.end_sessions", "POST"): Route(lambda w: f"/admin/users/{w.owner}/end-sessions", admins(302), data=nothing),
    ("admin.reset_password", "POST"): Route(
        lambda w: f"/admin/users/{w.owner}/reset-password", admins(200), data=nothing
    ),
    ("admin.audit_log", "GET"): Route(lambda w: "/admin/audit", admins(200)),
    ("admin.audit_csv", "GET"): Route(lambda w: "/admin/audit.csv", admins(200)),
    # --- author: every instructor and admin reads; a module's editors and admins change it ---
    ("author.curriculum", "GET"): Route(lambda w: "/author/curriculum", AUTHORING),
    ("author.new_module", "GET"): Route(lambda w: "/author/new-module", AUTHORING),
    ("author.new_module", "POST"): Route(lambda w: "/author/new-module", AUTHORING, data=nothing),
    ("author.import_questions", "GET"): Route(lambda w: "/author/import", AUTHORING),
    ("author.import_questions", "POST"): Route(  # into an existing module: no file, so the form re-renders
        lambda w: "/author/import", EDITING, data=lambda w: {"module": w.slug, "format": "gift"}
    ),
    ("author.module", "GET"): Route(lambda w: f"/author/modules/{w.slug}", AUTHORING),
    ("author.publish", "POST"): Route(lambda w: f"/author/modules/{w.slug}/publish", EDITING_POST, data=nothing),
    ("author.export", "GET"): Route(lambda w: f"/author/modules/{w.slug}/export", AUTHORING),
    ("author.export_gift", "GET"): Route(lambda w: f"/author/modules/{w.slug}/export.gift", AUTHORING),
    ("author.history", "GET"): Route(lambda w: f"/author/modules/{w.slug}/history", AUTHORING),
    ("author.item_analysis", "GET"): Route(lambda w: f"/author/modules/{w.slug}/analysis", AUTHORING),
    ("author.recalculate_analysis", "POST"): Route(
        lambda w: f"/author/modules/{w.slug}/analysis/recalculate", AUTHORING_POST, data=nothing
    ),
    ("author.preview", "GET"): Route(lambda w: f"/author/modules/{w.slug}/preview", AUTHORING),
    ("author.case_photo", "GET"): Route(lambda w: f"/author/modules/{w.slug}/cases/0/photo", EDITING),
    ("author.case_photo", "POST"): Route(lambda w: f"/author/modules/{w.slug}/cases/0/photo", EDITING, data=nothing),
    ("author.remove_case_photo", "POST"): Route(
        lambda w: f"/author/modules/{w.slug}/cases/0/photo/remove", EDITING_POST, data=nothing
    ),
    ("author.start_draft", "POST"): Route(draft("/start"), EDITING_POST, data=nothing),
    ("author.outline", "GET"): Route(draft(), EDITING),
    ("author.edit_settings", "GET"): Route(draft("/settings"), EDITING),
    ("author.edit_settings", "POST"): Route(draft("/settings"), EDITING_POST, data=nothing),
    ("author.new_case", "GET"): Route(draft("/cases/new"), EDITING),
    ("author.new_case", "POST"): Route(draft("/cases/new"), EDITING, data=nothing),
    ("author.edit_case", "GET"): Route(draft("/cases/0"), EDITING),
    ("author.edit_case", "POST"): Route(draft("/cases/0"), EDITING_POST, data=nothing),
    ("author.move_case", "POST"): Route(draft("/cases/0/move"), EDITING_POST, data=lambda w: {"direction": "down"}),
    ("author.delete_case", "POST"): Route(draft("/cases/0/delete"), EDITING_POST, data=nothing),
    ("author.new_stage", "GET"): Route(draft("/cases/0/stages/new"), EDITING),
    ("author.new_stage", "POST"): Route(draft("/cases/0/stages/new"), EDITING, data=nothing),
    ("author.edit_stage", "GET"): Route(draft("/cases/0/stages/0"), EDITING),
    ("author.edit_stage", "POST"): Route(draft("/cases/0/stages/0"), EDITING_POST, data=nothing),
    ("author.move_stage", "POST"): Route(
        draft("/cases/0/stages/0/move"), EDITING_POST, data=lambda w: {"direction": "down"}
    ),
    ("author.delete_stage", "POST"): Route(draft("/cases/0/stages/0/delete"), EDITING_POST, data=nothing),
    ("author.new_item", "GET"): Route(draft("/cases/0/stages/0/items/new?type=single"), EDITING),
    ("author.new_item", "POST"): Route(draft("/cases/0/stages/0/items/new?type=single"), EDITING, data=nothing),
    ("author.edit_item", "GET"): Route(draft("/cases/0/stages/0/items/0"), EDITING),
    ("author.edit_item", "POST"): Route(draft("/cases/0/stages/0/items/0"), EDITING, data=nothing),
    ("author.add_variant", "POST"): Route(draft("/cases/0/stages/0/items/0/variant"), EDITING_POST, data=nothing),
    ("author.move_item", "POST"): Route(
        draft("/cases/0/stages/0/items/0/move"), EDITING_POST, data=lambda w: {"direction": "down"}
    ),
    ("author.delete_item", "POST"): Route(draft("/cases/0/stages/0/items/0/delete"), EDITING_POST, data=nothing),
    ("author.editors", "GET"): Route(lambda w: f"/author/modules/{w.slug}/editors", AUTHORING),
    ("author.add_editor", "POST"): Route(
        lambda w: f"/author/modules/{w.slug}/editors",
        EDITING_POST,
        data=lambda w: {"user": str(w.users["other_instructor"])},
    ),
    ("author.remove_editor", "POST"): Route(  # I removes themself (or an admin removes I)
        lambda w: f"/author/modules/{w.slug}/editors/{w.users['instructor']}/remove",
        EDITING_POST,
        data=lambda w: {"confirm": "yes"},
    ),
}


def routes_of(app: Flask) -> set[tuple[str, str]]:
    """Every (endpoint, method) the app serves, assets aside (HEAD and OPTIONS follow GET)."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in ASSET_ENDPOINTS and not rule.endpoint.endswith(".static")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_row(app):
    """A route without a row (or a row for a route that is gone) fails here: add its row to MATRIX."""
    served = routes_of(app)
    missing = sorted(served - MATRIX.keys())
    stale = sorted(MATRIX.keys() - served)
    assert not missing, f"routes without a row in the access matrix: {missing}"
    assert not stale, f"rows for routes the app no longer serves: {stale}"


def test_every_row_names_every_role():
    for key, route in MATRIX.items():
        assert set(route.expect) == set(ROLES), f"{key} does not say what every role gets"


# --- the world, built once and rebuilt only after a cell wrote to the database ---


@dataclass
class Stage:
    """The module's world and whether a cell has changed it since it was built."""

    app: Flask
    world: World | None = None
    dirty: bool = True
    writes: list[str] = field(default_factory=list)

    def fresh(self) -> World:
        if self.dirty:
            empty_database(self.app)
            self.world = build_world(self.app)
            self.dirty = False
        return self.world


@pytest.fixture(autouse=True)
def clean_db(app: Flask):
    """Overrides the suite's per-test emptying: this module's world outlives a test (see ``stage``)."""
    yield
    with app.app_context():
        limiter.reset()


@pytest.fixture(scope="module")
def stage(app: Flask) -> Iterator[Stage]:
    """The world for this module; every table is emptied when the module is done, as ``clean_db`` would."""
    result = Stage(app)

    def capture(conn, cursor, statement, *args):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            result.writes.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield result
    finally:
        event.remove(engine, "before_cursor_execute", capture)
        empty_database(app)
        app.config["WTF_CSRF_ENABLED"] = False
        app.extensions.pop("academy_ready", None)
        with app.app_context():
            limiter.reset()


CELLS = [pytest.param(key, role, id=f"{key[0]}-{key[1]}-{role}") for key in sorted(MATRIX) for role in ROLES]


@pytest.mark.parametrize(("key", "role"), CELLS)
def test_access(stage: Stage, key: tuple[str, str], role: str):
    endpoint, method = key
    route = MATRIX[key]
    world = stage.fresh()
    expected = route.expect[role]
    refused = expected in (LOGIN, 403, 404)
    before = fingerprint(stage.app) if method != "GET" and refused else None
    client = client_as(stage.app, world, role)
    stage.writes.clear()
    kwargs = {}
    if route.data is not None:
        kwargs["data"] = route.data(world)
    if route.json is not None:
        kwargs["json"] = route.json(world)
    response = client.open(route.url(world), method=method, **kwargs)
    response.close()  # a file response (a photo) holds its file open until closed
    stage.dirty = bool(stage.writes)
    if expected == LOGIN:
        assert response.status_code == 302, f"{role} {method} {endpoint}: {response.status_code}, not the sign-in page"
        assert response.headers["Location"].startswith("/login"), response.headers["Location"]
    else:
        where = f" -> {response.headers.get('Location')}" if response.status_code == 302 else ""
        assert response.status_code == expected, f"{role} {method} {endpoint}: {response.status_code}{where}"
    if before is not None:
        assert fingerprint(stage.app) == before, f"refused {method} {endpoint} as {role} changed the database"
    elif refused:
        assert not stage.writes, f"refused {method} {endpoint} as {role} wrote: {stage.writes}"
