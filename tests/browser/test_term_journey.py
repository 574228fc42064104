"""A class, end to end in Chromium, at each viewport:

1. the admin creates a cohort, uploads a CSV with a mistake (refused, nothing changed),
   then a good one (two students created, temporary passwords shown once), and assigns
   a module with a due date;
2. a student signs in with the temporary password, must choose a new one, lands on the
   dashboard with the assigned module, takes it with some wrong answers and fails;
3. the other student passes, downloads the PDF certificate, and an anonymous visitor
   verifies its code;
4. the admin reviews the cohort: the matrix, the heatmap, a student's attempt, and
   downloads the matrix as CSV and XLSX;
5. the first student's missed questions come back in the review queue and are practised.

Runs after the student journey (file order), which sets the academy up; alone, it sets it up itself.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import date, timedelta

import pytest
from conftest import AppServer, open_main_menu, watched_page
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from test_student_journey import ADMIN, fill_setup_form, sign_in

from quizzes.formats.packs import read_pack
from tests.feature_pack import feature_module
from training.services.content import STARTER_PACKS

pytestmark = pytest.mark.browser

SLUG = "thread-lift-nerve-pain"
MODULE = feature_module(next(module for _, module in read_pack(STARTER_PACKS).modules if module.slug == SLUG))
NEW_PASSWORD = "my-own-password-42"
REVIEW_WAIT_S = 90  # a missed item's first review is due a minute after the attempt (FSRS learning step)


class Class:
    """State shared by the steps of one viewport's run."""

    def __init__(self, journey):
        self.journey = journey
        self.cohort = f"Evening class {journey.viewport}"
        self.students = [
            (f"fay.{journey.viewport}@example.com", "Fay Fail"),
            (f"pat.{journey.viewport}@example.com", "Pat Pass"),
        ]
        self.passwords: dict[str, str] = {}
        self.pages: dict[str, Page] = {}
        self.done: set[str] = set()

    def require(self, *steps: str) -> None:
        missing = [s for s in steps if s not in self.done]
        if missing:
            pytest.fail(f"[{self.journey.viewport}] earlier class step(s) failed: {', '.join(missing)}")


@pytest.fixture(scope="session")
def klass(journey, browser, app_server, viewport_name):
    state = Class(journey)
    contexts = []

    def new_page() -> Page:
        context, page = watched_page(browser, app_server.base_url, viewport_name, journey.console, journey.assets)
        contexts.append(context)
        return page

    state.new_page = new_page
    yield state
    for context in contexts:
        context.close()


def shoot(klass: Class, page: Page, name: str) -> None:
    klass.journey._shot += 1
    page.screenshot(path=str(klass.journey.shots_dir / f"class-{klass.journey._shot:02d}-{name}.png"), full_page=True)


def choose_answers(server: AppServer, page: Page, values_for) -> None:
    """Answer the open stage: ``values_for(item)`` gives the (authored) form values for each item.

    The page's values are opaque tokens, so each answer is picked by the words shown, as a
    person picks it: a choice by its label, a step or option by its text in each list.
    """
    form = page.locator("#stage-form")
    attempt_id = int(re.search(r"/attempts/(\d+)", page.url).group(1))
    for item in MODULE.items():
        # The page names each question by a token of the attempt, never by its authored key.
        fieldset = form.locator(f"fieldset[data-item='{server.item_ref(attempt_id, item.key)}']")
        if fieldset.count() == 0:
            continue
        values = values_for(item)
        if item.type in ("single", "multiple"):
            for value in values:
                fieldset.get_by_label(item.choice(value).text, exact=True).check()
        elif item.type == "true-false":
            fieldset.get_by_label("True" if values[0] == "true" else "False", exact=True).check()
        elif item.type in ("numeric", "short-answer"):  # one text box
            fieldset.locator("input[type=text]").fill(values[0])
        elif item.type == "ordering":  # one list per position, first to last
            steps = {s.id: s.text for s in item.steps}
            for value in values:
                position, step = value.split("=", 1)
                fieldset.locator("select").nth(int(position) - 1).select_option(label=steps[step])
        else:  # matching: one list per prompt, labelled with the prompt
            prompts = {p.id: p.text for p in item.prompts}
            options = {o.id: o.text for o in item.options}
            for value in values:
                prompt, option = value.split("=", 1)
                fieldset.get_by_label(prompts[prompt], exact=True).select_option(label=options[option])


def take_module(server: AppServer, page: Page, values_for, on_stage=None, on_blank_warning=None) -> str:
    """From the module page: start, answer every stage, submit; returns the result page's URL.

    ``on_stage(index, is_last)`` is called on each stage once it is answered; ``on_blank_warning()``
    once the first stage, left blank, shows its warning.
    """
    page.get_by_role("button", name=re.compile(r"^(Start|Resume)")).first.click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    if on_blank_warning:
        page.get_by_role("button", name="Lock answers and go to the next stage").click()
        expect(page.locator("#blank-warning")).to_be_visible()
        on_blank_warning()
    index = 0
    while True:
        choose_answers(server, page, values_for)
        # Like a person, wait for "Saving…" to finish before moving on: a save still in flight
        # when the stage locks is (rightly) refused, and the browser logs that 409.
        expect(page.locator("#stage-form .save-status").filter(has_text="Saving")).to_have_count(0)
        submit = page.get_by_role("button", name="Submit the attempt")
        if on_stage:
            on_stage(index, bool(submit.count()))
        if submit.count():
            page.once("dialog", lambda dialog: dialog.accept())
            submit.click()
            expect(page).to_have_url(re.compile(r"/attempts/\d+/result$"))
            return page.url
        page.get_by_role("button", name="Lock answers and go to the next stage").click()
        move_on = page.get_by_role("button", name="Move on anyway")
        if move_on.count():
            move_on.click()
        expect(page).to_have_url(re.compile(r"/attempts/\d+#stage-\d+$"))
        index += 1


def right(item) -> list[str]:
    return item.form_values(item.key_answer())


def first_wrong(item) -> list[str]:
    """Wrong on the first stage's single-best-answer items, right everywhere else (so the attempt fails)."""
    if item.type == "single":
        return [next(c.id for c in item.choices if not c.correct)]
    if item.type == "true-false":
        return item.form_values(not item.correct)
    if item.type == "numeric":
        return [str(item.max + 1000)]
    return right(item)


def download(page: Page, link_name: str):
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).first.click()
    return info.value


# --------------------------------------------------------------------------- the steps


def test_01_admin_creates_a_cohort_and_enrols_it_from_csv(klass: Class, tmp_path) -> None:
    # A page of its own: the student journey's page may still be signed in as a student.
    page = klass.admin_page = klass.new_page()
    page.goto(klass.journey.url("/login"))
    if page.url.endswith("/setup"):
        fill_setup_form(page)
        expect(page.locator(".alert").first).to_contain_text("is ready")
    else:
        sign_in(page, ADMIN["email"], ADMIN["password"])
    open_nav_link_in_menu(page, "Manage")
    page.locator("#nav .dropdown-menu").get_by_role("link", name="Cohorts").click()
    expect(page.get_by_role("heading", name="Cohorts", exact=True)).to_be_visible()

    page.get_by_label("Name").fill(klass.cohort)
    page.get_by_role("button", name="Create cohort").click()
    expect(page.get_by_role("heading", name=klass.cohort)).to_be_visible()
    klass.cohort_url = page.url

    # A file without the name column is refused as a whole: nothing is created.
    bad = tmp_path / "no-name-column.csv"
    bad.write_text("email\nsomeone@example.com\n", encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and enrol").click()
    expect(page.get_by_role("alert").first).to_contain_text("name")
    shoot(klass, page, "csv-refused")

    good = tmp_path / "class.csv"
    good.write_text("email,name\n" + "".join(f"{e},{n}\n" for e, n in klass.students), encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_role("button", name="Upload and enrol").click()
    expect(page.get_by_text("not shown again")).to_be_visible()
    for email, _ in klass.students:
        row = page.locator("tr").filter(has_text=email)
        klass.passwords[email] = row.locator("code").inner_text().strip()
        assert len(klass.passwords[email]) >= 12
    shoot(klass, page, "csv-enrolled")

    page.goto(klass.cohort_url)
    page.get_by_label("Module", exact=True).select_option(label=MODULE.title)
    due = (date.today() + timedelta(days=7)).isoformat()
    page.locator("form[action$='/modules'] input[type=date]").fill(due)
    page.locator("form[action$='/modules']").get_by_role("button").click()
    expect(page.locator("#modules").locator("..")).to_contain_text(MODULE.title)
    expect(page.locator("#modules").locator("..")).to_contain_text("due ")
    shoot(klass, page, "module-assigned")
    klass.done.add("enrolled")


def open_nav_link_in_menu(page: Page, label: str) -> None:
    """Open the phone menu if needed, then open a dropdown of the main menu."""
    open_main_menu(page)
    page.locator("#nav").get_by_role("button", name=label).click()


def first_sign_in(klass: Class, email: str) -> Page:
    """Sign in with the temporary password, choose a new one, land on the dashboard."""
    page = klass.new_page()
    page.goto(klass.journey.url("/login"))
    sign_in(page, email, klass.passwords[email])
    expect(page).to_have_url(re.compile(r"/account/password$"))
    page.get_by_label("Current password").fill(klass.passwords[email])
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label(re.compile("^(Repeat|Confirm)")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("password", re.I)).click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    return page


def test_02_a_student_changes_the_temporary_password_and_fails_the_module(klass: Class) -> None:
    klass.require("enrolled")
    email = klass.students[0][0]
    page = first_sign_in(klass, email)
    klass.pages[email] = page
    assigned = page.locator("tr").filter(has=page.get_by_role("rowheader", name=MODULE.title))
    expect(assigned).to_be_visible()
    expect(assigned).to_contain_text(re.compile(r"\d{1,2} [A-Z][a-z]{2} \d{4}"))  # its due date
    shoot(klass, page, "dashboard-assigned")

    page.get_by_role("link", name=re.compile(re.escape(MODULE.title))).first.click()
    result_url = take_module(klass.journey.server, page, first_wrong)
    expect(page.get_by_text("Not passed").first).to_be_visible()
    expect(page.get_by_role("link", name="Review the questions you missed")).to_be_visible()
    shoot(klass, page, "failed-result")
    klass.failed_at = time.monotonic()
    klass.failed_result = result_url
    klass.done.add("failed")


def test_03_the_other_student_passes_and_the_certificate_verifies(klass: Class) -> None:
    klass.require("enrolled")
    email, name = klass.students[1]
    page = first_sign_in(klass, email)
    page.get_by_role("link", name=re.compile(re.escape(MODULE.title))).first.click()
    take_module(klass.journey.server, page, right)
    expect(page.get_by_text("earned a certificate")).to_be_visible()
    shoot(klass, page, "passed-result")

    pdf = download(page, "Download your certificate (PDF)")
    path = pdf.path()
    with open(path, "rb") as stream:
        assert stream.read(5) == b"%PDF-"
    code = re.search(r"code ([0-9A-Z-]+)\)", page.get_by_text("earned a certificate").inner_text()).group(1)

    visitor = klass.new_page()  # no cookies: anyone may check a code
    visitor.goto(klass.journey.url("/verify"))
    visitor.get_by_label(re.compile("code", re.I)).fill(code.lower().replace("-", " "))
    visitor.get_by_role("button").filter(has_text=re.compile("Check|Verify")).click()
    expect(visitor.get_by_text("Valid certificate")).to_be_visible()
    expect(visitor.locator("main")).to_contain_text(name)
    expect(visitor.locator("main")).not_to_contain_text(email)
    shoot(klass, visitor, "certificate-verified")
    klass.done.add("passed")


def test_04_the_admin_reviews_the_cohort_and_exports_it(klass: Class) -> None:
    klass.require("failed", "passed")
    page = klass.admin_page
    page.goto(klass.journey.url("/reports/"))
    page.get_by_role("link", name=klass.cohort).first.click()
    matrix = page.locator("table").first
    for _, name in klass.students:
        expect(matrix).to_contain_text(name)
    expect(matrix).to_contain_text("100%")
    shoot(klass, page, "matrix")
    # Nothing makes the page itself wider than the screen: wide tables scroll inside their box.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    csv_file = download(page, "CSV")
    with open(csv_file.path(), encoding="utf-8-sig") as stream:
        cells = [cell for row in csv.reader(stream) for cell in row]
    assert all(email in cells for email, _ in klass.students), cells[:40]
    xlsx_file = download(page, "Excel")
    assert xlsx_file.suggested_filename.endswith(".xlsx"), xlsx_file.suggested_filename
    with open(xlsx_file.path(), "rb") as stream:
        sheet = load_workbook(io.BytesIO(stream.read()), read_only=True).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row]
    assert any(klass.students[1][0] in c for c in cells), cells[:20]

    page.get_by_role("link", name="Mastery by topic").first.click()
    heat = page.locator("table").first
    expect(heat).to_contain_text("Anatomy")
    expect(heat).to_contain_text(klass.students[0][1])
    shoot(klass, page, "heatmap")

    page.goto(klass.journey.url("/reports/"))
    page.get_by_role("link", name=klass.cohort).first.click()
    page.get_by_role("link", name=klass.students[0][1]).first.click()
    page.locator("main").get_by_role("link", name=re.compile("^Review")).first.click()
    expect(page.get_by_text("Correct answer").first).to_be_visible()
    shoot(klass, page, "student-attempt-review")
    klass.done.add("reviewed")


def test_05_missed_questions_come_back_in_the_review_queue(klass: Class) -> None:
    klass.require("failed")
    page = klass.pages[klass.students[0][0]]
    deadline = klass.failed_at + REVIEW_WAIT_S
    page.goto(klass.journey.url("/review"))
    while page.locator("#review-form, form[action*='/review/']").count() == 0:
        assert time.monotonic() < deadline, "no missed question came back within the first review step"
        time.sleep(5)
        page.reload()
    shoot(klass, page, "review-question")
    page.get_by_role("button", name=re.compile("know", re.I)).click()  # "I don't know": rated Again
    expect(page.locator("main")).to_contain_text(re.compile("Incorrect|Not right|Wrong", re.I))
    shoot(klass, page, "review-feedback")

    page.goto(klass.journey.url("/dashboard"))
    expect(page.locator("main")).to_contain_text(re.compile(r"review", re.I))
    page.goto(klass.failed_result)
    expect(page.get_by_text("Not passed").first).to_be_visible()  # review never changes the score
    errors = [e for e in klass.journey.console if e.type in ("error", "pageerror")]
    assert not errors, "\n".join(f"{e.type} at {e.url}: {e.text}" for e in errors)
