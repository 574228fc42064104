"""Accessibility: axe-core finds no serious or critical violation on any kind of page.

One page of every kind is opened in Chromium, as the role that uses it, at each viewport,
and checked with axe-core (bundled with ``axe-playwright-python``, injected from the local
package: nothing is fetched from the network). The test fails listing every serious or
critical violation: the page, the rule, its impact and the elements it found.

The pages need data (an academy, a cohort, attempts, a certificate, review cards, a draft),
so this file starts ITS OWN app server with its own empty database and builds that data
through the UI and ``flask create-user``. The journeys' server (``app_server``) is never
touched, so this file may run before or after them.

Each viewport's findings are also written to ``artifacts/accessibility/<viewport>.json``.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import ROOT, AppServer, open_main_menu, serve_app, sign_in, watched_page
from playwright.sync_api import Page, expect
from test_term_journey import MODULE, SLUG, first_wrong, right, take_module

from quizzes.items import ITEM_TYPES as REGISTERED_TYPES

pytestmark = pytest.mark.browser

REPORTS = ROOT / "artifacts" / "accessibility"
BLOCKING = ("serious", "critical")
ITEM_TYPES = list(REGISTERED_TYPES)  # every type's editor form, a new type's too

ACADEMY = "Accessible Aesthetics Academy"
ADMIN = ("ada.a11y@example.com", "Ada Admin", "maple-harbor-7714")
TEACHER = ("ian.a11y@example.com", "Ian Instructor", "copper-lantern-2290")
PASSER = ("pat.a11y@example.com", "Pat Pass", "tulip-ledger-5813")
FAILER = ("fay.a11y@example.com", "Fay Fail")  # enrolled from a CSV: a temporary password
NEW_PASSWORD = "my-own-password-42"
COHORT = "Accessibility class"


# --------------------------------------------------------------------------- the server


@pytest.fixture
def a11y_server(viewport_name: str, tmp_path_factory: pytest.TempPathFactory):
    """The real app with its own empty database (not the journeys' server)."""
    with serve_app(f"a11y-{viewport_name}", tmp_path_factory) as server:
        yield server


# --------------------------------------------------------------------------- axe


class Audit:
    """Runs axe on pages and keeps every serious or critical violation."""

    def __init__(self, viewport: str):
        self.viewport = viewport
        self.axe = Axe()
        self.pages: list[tuple[str, str]] = []  # (name, url)
        self.found: list[dict] = []
        self.minor: list[dict] = []  # moderate and minor findings: kept in the JSON, not failed on

    def check(self, page: Page, name: str, *, open_details: bool = True) -> None:
        page.wait_for_load_state("load")
        if open_details:  # what is folded away (locked answers, before/after) is checked too
            page.evaluate("document.querySelectorAll('main details').forEach(d => { d.open = true; })")
        results = self.axe.run(page)
        path = re.sub(r"^https?://[^/]+", "", page.url)
        self.pages.append((name, path))
        for violation in results.response["violations"]:
            (self.found if violation.get("impact") in BLOCKING else self.minor).append(
                {
                    "page": name,
                    "url": path,
                    "rule": violation["id"],
                    "impact": violation["impact"],
                    "help": violation["help"],
                    "nodes": [
                        {"target": node["target"], "summary": node.get("failureSummary", "")}
                        for node in violation["nodes"]
                    ],
                }
            )

    def report(self) -> str:
        lines = []
        for v in self.found:
            lines.append(f"[{self.viewport}] {v['page']} ({v['url']}): {v['rule']} ({v['impact']}) - {v['help']}")
            for node in v["nodes"]:
                lines.append(f"    {' '.join(map(str, node['target']))}")
                summary = " ".join(node["summary"].split())
                if summary:
                    lines.append(f"      {summary[:300]}")
        return "\n".join(lines)

    def save(self) -> None:
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / f"{self.viewport}.json").write_text(
            json.dumps({"pages": self.pages, "violations": self.found, "moderate_or_minor": self.minor}, indent=2),
            encoding="utf-8",
        )


# --------------------------------------------------------------------------- UI helpers


# --------------------------------------------------------------------------- the test


def test_no_serious_or_critical_axe_violation_on_any_kind_of_page(
    browser, viewport_name: str, a11y_server: AppServer, tmp_path
) -> None:
    audit = Audit(viewport_name)
    console: list = []
    assets: list = []
    contexts = []

    def new_page() -> Page:
        context, page = watched_page(browser, a11y_server.base_url, viewport_name, console, assets)
        contexts.append(context)
        return page

    try:
        _visit_every_kind_of_page(a11y_server, audit, new_page, tmp_path)
    finally:
        for context in contexts:
            context.close()
        audit.save()

    assert len(audit.pages) >= 40, audit.pages
    assert not audit.found, (
        f"axe found {len(audit.found)} serious/critical violation(s) on "
        f"{len({v['url'] for v in audit.found})} of {len(audit.pages)} pages:\n" + audit.report()
    )


def _visit_every_kind_of_page(server: AppServer, audit: Audit, new_page, tmp_path: Path) -> None:
    check = audit.check

    # ---- first run: set-up, as the first admin
    admin = new_page()
    admin.goto("/")
    expect(admin).to_have_url(re.compile(r"/setup$"))
    check(admin, "setup")
    admin.get_by_role("button", name="Create the academy").click()
    expect(admin.locator(".invalid-feedback").first).to_be_visible()
    check(admin, "setup (errors)")
    admin.get_by_label("Academy name").fill(ACADEMY)
    admin.get_by_label("Your name").fill(ADMIN[1])
    admin.get_by_label("Your email").fill(ADMIN[0])
    admin.get_by_label("Password", exact=True).fill(ADMIN[2])
    admin.get_by_label("Repeat the password").fill(ADMIN[2])
    admin.get_by_role("button", name="Create the academy").click()
    expect(admin.get_by_role("heading", name="Case-based modules")).to_be_visible()
    check(admin, "catalogue (admin, with a flash message)")
    _open_menu(admin, "Manage")
    check(admin, "main menu open (admin)")

    server.create_user(TEACHER[0], "instructor", TEACHER[1], TEACHER[2])
    server.create_user(PASSER[0], "student", PASSER[1], PASSER[2])

    # ---- anonymous: sign-in, verify (empty), 404
    visitor = new_page()
    visitor.goto("/login")
    check(visitor, "login")
    visitor.get_by_label("Email").fill("nobody@example.com")
    visitor.get_by_label("Password").fill("wrong-password-123")
    visitor.get_by_role("button", name="Sign in").click()
    expect(visitor.locator(".alert, .invalid-feedback").first).to_be_visible()
    check(visitor, "login (refused)")
    visitor.goto("/verify")
    check(visitor, "verify (empty form)")
    assert visitor.goto("/no-such-page").status == 404
    check(visitor, "404 (signed out)")

    # ---- admin: a cohort, enrolled from a CSV, with the module assigned
    admin.goto("/cohorts/")
    check(admin, "cohorts list (empty)")
    admin.get_by_label("Name").fill(COHORT)
    admin.get_by_role("button", name="Create cohort").click()
    expect(admin.get_by_role("heading", name=COHORT)).to_be_visible()
    cohort_path = re.sub(r"^https?://[^/]+", "", admin.url)
    cohort_id = int(re.search(r"/cohorts/(\d+)", cohort_path).group(1))
    csv_file = tmp_path / "class.csv"
    csv_file.write_text(f"email,name\n{FAILER[0]},{FAILER[1]}\n{PASSER[0]},{PASSER[1]}\n", encoding="utf-8")
    admin.locator("input[type=file]").set_input_files(str(csv_file))
    admin.get_by_role("button", name="Upload and enrol").click()
    expect(admin.get_by_text("not shown again")).to_be_visible()
    check(admin, "enrol report (CSV upload)")
    temporary = admin.locator("tr").filter(has_text=FAILER[0]).locator("code").inner_text().strip()
    admin.goto(f"/cohorts/{cohort_id}/enrol")
    check(admin, "enrol help (CSV format)")
    admin.goto(cohort_path)
    admin.get_by_label("Module", exact=True).select_option(label=MODULE.title)
    due = (date.today() + timedelta(days=7)).isoformat()
    admin.locator("form[action$='/modules'] input[type=date]").fill(due)
    admin.locator("form[action$='/modules']").get_by_role("button").click()
    expect(admin.locator("#modules").locator("..")).to_contain_text(MODULE.title)
    instructor_select = admin.locator("form[action$='/instructors'] select")
    if instructor_select.count():
        options = instructor_select.locator("option").evaluate_all("os => os.map(o => [o.value, o.textContent])")
        value = next(v for v, text in options if TEACHER[1] in text)
        instructor_select.select_option(value)
        admin.locator("form[action$='/instructors']").get_by_role("button").click()
        expect(admin.locator("#instructors").locator("..")).to_contain_text(TEACHER[1])
    check(admin, "cohort detail")
    # Ian edits the starter module (the packs bring it in without editors).
    admin.goto(f"/author/modules/{SLUG}/editors")
    admin.get_by_label("Instructor or admin").select_option(label=f"{TEACHER[1]} ({TEACHER[0]}, instructor)")
    admin.get_by_role("button", name="Add as editor").click()
    expect(admin.get_by_text(f"{TEACHER[1]} can now change this module.")).to_be_visible()
    check(admin, "module editors")
    admin.goto("/cohorts/")
    check(admin, "cohorts list")
    admin.goto(f"/cohorts/{cohort_id}/delete")
    check(admin, "cohort delete confirmation")

    # ---- a student with a temporary password: chooses a new one, fails the module
    fay = new_page()
    sign_in(fay, FAILER[0], temporary)
    expect(fay).to_have_url(re.compile(r"/account/password$"))
    check(fay, "change password (forced)")
    fay.get_by_label("Current password").fill(temporary)
    fay.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    fay.get_by_label(re.compile("^(Repeat|Confirm)")).fill(NEW_PASSWORD)
    fay.get_by_role("button", name=re.compile("password", re.I)).click()
    expect(fay).to_have_url(re.compile(r"/dashboard$"))
    check(fay, "dashboard (nothing started)")
    fay.goto(f"/modules/{SLUG}")
    failed_result = take_module(
        server, fay, first_wrong, on_blank_warning=lambda: check(fay, "take page (blank warning)")
    )
    expect(fay.get_by_text("Not passed").first).to_be_visible()
    check(fay, "result (not passed)")
    failed_attempt = int(re.search(r"/attempts/(\d+)/result", failed_result).group(1))
    fay.goto("/review")
    check(fay, "review (nothing due yet)")
    # A missed question may be practised early: its card is the first on this new database.
    fay.goto("/review/1")
    expect(fay.locator("main form[action*='/review/']")).to_be_visible()
    check(fay, "review question")
    fay.get_by_role("button", name=re.compile("know", re.I)).click()  # "I don't know"
    expect(fay.locator("main")).to_contain_text(re.compile("Incorrect|Not right|Wrong", re.I))
    check(fay, "review feedback")
    fay.goto("/dashboard")
    check(fay, "dashboard (not passed, review queue)")
    assert fay.goto("/author/curriculum").status == 403
    check(fay, "403 (student on an author page)")

    # ---- a student who passes: catalogue, module, take page, result, progress, lessons, certificate
    pat = new_page()
    sign_in(pat, PASSER[0], PASSER[2])
    pat.goto("/")
    check(pat, "catalogue (student)")
    _open_menu(pat)
    check(pat, "main menu open (student)")
    pat.goto(f"/modules/{SLUG}")
    check(pat, "module page")

    def on_stage(index: int, last: bool) -> None:
        if index == 0:
            check(pat, "take page (first stage, answered)")
        elif last:
            check(pat, "take page (last stage, earlier stages locked)")

    passed_result = take_module(server, pat, right, on_stage)
    expect(pat.get_by_text("earned a certificate")).to_be_visible()
    check(pat, "result (passed, certificate)")
    code = re.search(r"code ([0-9A-Z-]+)\)", pat.get_by_text("earned a certificate").inner_text()).group(1)
    passed_attempt = int(re.search(r"/attempts/(\d+)/result", passed_result).group(1))
    pat.goto("/progress")
    check(pat, "my progress")
    pat.goto("/lessons")
    check(pat, "lessons index")
    pat.locator("main a[href^='/lessons/']").first.click()
    expect(pat).to_have_url(re.compile(r"/lessons/[^/]+"))
    check(pat, "lesson")
    pat.goto("/certificates")
    check(pat, "certificates list")
    pat.goto("/dashboard")
    check(pat, "dashboard (passed)")
    assert pat.goto("/no-such-page").status == 404
    check(pat, "404 (signed in)")

    visitor.goto("/verify")
    visitor.get_by_label(re.compile("code", re.I)).fill(code)
    visitor.get_by_role("button", name="Check certificate").click()
    expect(visitor.get_by_text("Valid certificate")).to_be_visible()
    check(visitor, "verify (valid code)")
    visitor.goto("/verify/NOT-A-REAL-CODE")
    check(visitor, "verify (unknown code)")

    # ---- instructor: curriculum, module, preview, analysis, history, import, the draft editor
    ian = new_page()
    sign_in(ian, TEACHER[0], TEACHER[2])
    ian.goto("/author/curriculum")
    check(ian, "author curriculum")
    ian.goto(f"/author/modules/{SLUG}")
    check(ian, "author module page")
    ian.goto(f"/author/modules/{SLUG}/preview")
    check(ian, "preview")
    ian.goto(f"/author/modules/{SLUG}/analysis")
    check(ian, "item analysis")
    ian.goto(f"/author/modules/{SLUG}/history")
    check(ian, "version history")
    ian.goto("/author/import")
    check(ian, "import questions")
    ian.goto("/author/new-module")
    check(ian, "new module")
    ian.goto(f"/author/modules/{SLUG}/draft")
    ian.get_by_role("button", name="Start editing").click()
    expect(ian.locator(".alert").first).to_contain_text("Draft started")
    check(ian, "draft outline")
    draft = f"/author/modules/{SLUG}/draft"
    ian.goto(f"{draft}/settings")
    check(ian, "draft settings")
    ian.goto(f"{draft}/cases/0")
    check(ian, "draft case form")
    ian.goto(f"{draft}/cases/0/stages/0")
    check(ian, "draft stage form")
    ian.goto(f"{draft}/cases/0/stages/0/items/0")
    check(ian, "draft question form (existing question)")
    for item_type in ITEM_TYPES:
        ian.goto(f"{draft}/cases/0/stages/0/items/new?type={item_type}")
        check(ian, f"draft question form (new {item_type})")
    # A refused save shows the errors next to their fields.
    ian.goto(f"{draft}/cases/0/stages/0/items/new?type=single")
    ian.get_by_role("button", name="Add the question").click()
    expect(ian.locator(".invalid-feedback").first).to_be_visible()
    check(ian, "draft question form (errors)")
    ian.goto(f"/author/modules/{SLUG}/cases/0/photo")
    check(ian, "case photo")
    ian.goto("/reports/")
    check(ian, "reports index (instructor)")
    ian.goto(f"/reports/cohorts/{cohort_id}")
    check(ian, "reports matrix (instructor)")

    # ---- admin: reports, people, audit log
    admin.goto("/reports/")
    check(admin, "reports index")
    admin.goto(f"/reports/cohorts/{cohort_id}")
    check(admin, "reports matrix")
    admin.goto(f"/reports/cohorts/{cohort_id}/heatmap")
    check(admin, "reports heatmap")
    admin.goto("/reports/students")
    check(admin, "reports students")
    admin.locator("main a[href*='/reports/students/']").filter(has_text=FAILER[1]).first.click()
    check(admin, "reports student")
    admin.goto(f"/reports/attempts/{failed_attempt}")
    check(admin, "reports attempt (not passed)")
    admin.goto(f"/reports/attempts/{passed_attempt}")
    check(admin, "reports attempt (passed)")
    admin.goto("/admin/users")
    check(admin, "people list")
    admin.locator("main a[href*='/admin/users/']").filter(has_text=FAILER[1]).first.click()
    expect(admin).to_have_url(re.compile(r"/admin/users/\d+$"))
    check(admin, "user page")
    admin.once("dialog", lambda dialog: dialog.accept())  # the form asks before resetting
    admin.get_by_role("button", name="Reset password").click()
    expect(admin.locator("#temporary-password")).to_be_visible()
    check(admin, "temporary password (after a reset)")
    admin.goto("/admin/users/new")
    check(admin, "add a person")
    admin.goto("/admin/audit")
    check(admin, "audit log")
    assert admin.goto("/admin/users/99999").status == 404
    check(admin, "404 (admin, unknown user)")


def _open_menu(page: Page, dropdown: str | None = None) -> None:
    """Open the main menu (the phone's collapsed menu, and a dropdown of it) so axe sees it."""
    open_main_menu(page)
    if dropdown:
        page.locator("#nav").get_by_role("button", name=dropdown).click()
        expect(page.locator("#nav .dropdown-menu")).to_be_visible()
