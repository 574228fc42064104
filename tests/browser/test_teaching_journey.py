"""An instructor's whole journey through the real app in Chromium, at a phone and a desktop viewport.

This file sorts after ``test_student_journey.py``, so for each viewport it runs on the same
server once the student journey has set the academy up (it does the set-up itself when run alone).
It uses its own browser contexts: one for the instructor, and later one for a student.

1. an instructor (made with ``flask create-user``) signs in and opens Curriculum: the figures are there;
2. imports a GIFT file (three questions and an essay) into a new module ``gift-bank``, with
   "Import what can be imported": three come in, the essay is reported as not imported;
3. creates the module ``jaw-swelling`` with "New module" and writes a three-stage case in the
   editor with ONE item of every type (single, multiple, true/false, numeric, ordering,
   matching), each with a topic, a lesson section, an explanation and the feedback the form
   needs; two deliberate mistakes (two correct answers to a single-best-answer question, a
   numeric range upside down) are refused next to their fields, with what was typed kept;
4. adds a case photo (a JPEG with EXIF camera data, which must not survive) and has a text
   file named ``.png`` refused;
5. previews the draft stage by stage, then with the answers shown; the photo is there;
6. publishes version 1;
7. a student, in a separate browser context, takes the module through its three stages and
   submits;
8. the instructor sees the attempt in Item analysis, version 1 in History, and downloads the
   module as a pack file (``slug: jaw-swelling``);
9. no console errors or CSP violations, and every asset loaded, on any page of the journey.

Test 10 guards against a bug this journey once found (a histogram count cut off).

Screenshots go to ``artifacts/screenshots/<viewport>/teach-NN-<name>.png``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    SCREENSHOTS,
    AppServer,
    AssetProblem,
    ConsoleEntry,
    open_main_menu,
    watched_page,
)
from PIL import Image
from playwright.sync_api import Page, expect
from test_student_journey import (
    LOCK_BUTTON,
    MODULE_TITLE,
    STUDENT_PASSWORD,
    answer_open_stage,
    fill_setup_form,
    sign_in,
)

pytestmark = pytest.mark.browser

INSTRUCTOR_PASSWORD = "copper-lantern-2290"
MODULE = {
    "slug": "jaw-swelling",
    "title": "Thread lift: swelling along the jaw",
    "procedure": "Thread lift",
    "summary": "A client's jaw swells after a lower-face thread lift: what is expected, and what is not.",
    "pass_mark": "60",
    "case_title": "Swelling after a lower-face lift",
    "client": "Woman, 52, threads along both jawlines",
}
CASE_KEY = "swelling-after-a-lower-face-lift"  # made from the case title
STAGES = [
    ("Day 2: swelling along the jaw", "She phones on day two: her jaw is **swollen** on both sides, a little sore."),
    ("Day 5: one side is still swollen", "On day five the left side has gone down; the right is still puffy."),
    ("Day 10: review in clinic", "She comes back for her review. The swelling has almost gone."),
]
PHOTO_ALT = "Mild swelling along the right jawline, day 2"
CAMERA = "BrowserTest Camera 9000"
ITEM_LABELS = ["Single best answer", "True or false", "Multiple response", "Numeric", "Ordering", "Matching"]

# One item of every type, stage by stage; "lesson" is a value of the editor's lesson-section select.
SINGLE = {
    "key": "jaw-advice",
    "prompt": "What do you advise her on the phone on day two?",
    "topic": "Aftercare",
    "lesson": "thread-lift-aftercare#first-measures",
    "explanation": "Mild swelling on day two is expected: cold compresses and a raised head help it settle.",
    "choices": [
        ("Cold compresses and sleeping with her head raised", True, ""),
        ("Firm massage along the jawline", False, "Massage can move the threads before they have anchored."),
        ("Come in to have the threads removed", False, "Nothing here suggests a problem with the threads."),
    ],
}
TRUE_FALSE = {
    "key": "jaw-bruising",
    "prompt": "Some bruising at the entry points is expected in the first days.",
    "topic": "Aftercare",
    "lesson": "thread-lift-red-flags#what-is-expected",
    "explanation": "Bruising where the cannula went in is common and fades within one to two weeks.",
    "correct": "True",
    "feedback_true": "Right: it fades within one to two weeks.",
    "feedback_false": "It is expected: the cannula passes through small vessels.",
}
MULTIPLE = {
    "key": "jaw-warning-signs",
    "prompt": "Which of these would make you see her the same day?",
    "topic": "Aftercare",
    "lesson": "thread-lift-red-flags#infection",
    "explanation": "Spreading redness, heat and fever point to infection, which needs to be seen the same day.",
    "choices": [
        ("Spreading redness and heat on the right side", True, ""),
        ("A temperature of 38.5 °C", True, ""),
        ("Slight asymmetry when she smiles", False, "Mild asymmetry is common while the swelling settles."),
        ("Tightness when opening her mouth wide", False, "Tightness is expected for the first weeks."),
    ],
}
NUMERIC = {
    "key": "jaw-settle-days",
    "prompt": "By how many days after the lift should swelling like this normally have settled?",
    "topic": "Anatomy",
    "lesson": "thread-lift-anatomy#the-layer-beneath-the-skin",
    "explanation": "Most swelling settles within one to two weeks.",
    "min": "7",
    "max": "14",
    "units": "days",
    "feedback_low": "That is optimistic: a week is the least to expect.",
    "feedback_high": "Swelling that lasts beyond two weeks needs a review.",
}
ORDERING = {
    "key": "jaw-review-steps",
    "prompt": "Put the steps of the day-10 review in order.",
    "topic": "Placement",
    "lesson": "thread-lift-placement#reviewing-placement",
    "explanation": "Ask, look and feel, compare with the photos, then record.",
    "steps": [
        "Ask how the swelling has changed since day five",
        "Look at both jawlines and feel for lumps or heat",
        "Compare with the photos from the day of the lift",
        "Record what you found and the advice you gave",
    ],
}
MATCHING = {
    "key": "jaw-signs-match",
    "prompt": "Match each sign with what you do about it.",
    "topic": "Injection volume and product",
    "lesson": "thread-lift-red-flags#urgency-and-referral",
    "explanation": "Expected signs need reassurance; infection a same-day review; breathing trouble an emergency.",
    "options": ["Reassure: it is expected", "See her the same day", "Send her to emergency care now"],
    "prompts": [
        ("Mild bruising at the entry points", "a", "Bruising is expected and fades."),
        ("Redness spreading from an entry point", "b", "Spreading redness may be infection."),
        ("Swelling with difficulty swallowing", "c", "A threatened airway is an emergency."),
    ],
}

GIFT = """\
// Aftercare questions written for the browser test.
$CATEGORY: $course$/Thread lift/Aftercare

::Swelling on day two::On day two the client reports mild swelling along the jaw. What do you advise? {
  =Cold compresses and sleeping with the head raised#Right: mild swelling on day two is expected and settles.
  ~Firm massage of the jawline#Massage can move the threads before they have anchored.
  ~Antibiotics straight away#Mild swelling without heat, redness or fever is not an infection.
}

::Bruising::Bruising at the entry points is expected. {T#It is common and fades.#Right: it fades in a week or two.}

::Exercise::For how many days should the client avoid strenuous exercise? {#3..7}

::Write-up::Describe how you would document a complication in the client's notes. {}
"""
GIFT_ESSAY_LINE = 14


# --------------------------------------------------------------------------- the journey's state


@dataclass
class Teach:
    """The instructor's page (and later a student's), screenshots, console log and step flags."""

    viewport: str
    server: AppServer
    browser: Any
    shots_dir: Path
    tmp: Path
    page: Any = None  # the instructor's page
    contexts: list = field(default_factory=list)
    console: list[ConsoleEntry] = field(default_factory=list)
    assets: list[AssetProblem] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    data: dict = field(default_factory=dict)
    _shot: int = 0

    def url(self, path: str = "/") -> str:
        return self.server.base_url + path

    def new_page(self) -> Page:
        """A page in a new browser context (its own cookies) at the viewport, watched for errors."""
        context, page = watched_page(self.browser, self.server.base_url, self.viewport, self.console, self.assets)
        self.contexts.append(context)
        return page

    def shoot(self, name: str, page: Page | None = None, *, full_page: bool = True) -> Path:
        """A full-page PNG: artifacts/screenshots/<viewport>/teach-<nn>-<name>.png."""
        self._shot += 1
        path = self.shots_dir / f"teach-{self._shot:02d}-{name}.png"
        (page or self.page).screenshot(path=str(path), full_page=full_page)
        return path

    def require(self, *steps: str) -> None:
        """Fail (never skip) when an earlier step of this journey did not complete."""
        missing = [s for s in steps if s not in self.done]
        if missing:
            pytest.fail(f"[{self.viewport}] earlier teaching step(s) failed: {', '.join(missing)}")

    def assert_no_console_errors(self, where: str) -> None:
        errors = [e for e in self.console if e.type in ("error", "pageerror")]
        assert not errors, f"console errors / CSP violations ({where}):\n" + "\n".join(
            f"  {e.type} at {e.url}: {e.text} ({e.source})" for e in errors
        )


@pytest.fixture(scope="session")
def teach(browser, app_server: AppServer, viewport_name: str, tmp_path_factory: pytest.TempPathFactory):
    shots_dir = SCREENSHOTS / viewport_name
    shots_dir.mkdir(parents=True, exist_ok=True)
    for old in shots_dir.glob("teach-*.png"):
        old.unlink()
    t = Teach(
        viewport=viewport_name,
        server=app_server,
        browser=browser,
        shots_dir=shots_dir,
        tmp=tmp_path_factory.mktemp(f"teach-{viewport_name}"),
    )
    t.page = t.new_page()
    yield t
    for context in t.contexts:
        context.close()


# --------------------------------------------------------------------------- helpers


def open_nav_link(page: Page, label: str) -> None:
    """Follow a main-menu link, opening the menu first on a narrow screen."""
    open_main_menu(page)
    link = page.locator("#nav").get_by_role("link", name=label, exact=True)
    expect(link).to_be_visible()
    link.click()


def ensure_academy(page: Page, t: Teach) -> None:
    """The student journey sets the academy up first; when this file runs alone, do it here."""
    page.goto(t.url("/login"))
    if not page.url.endswith("/setup"):
        return
    fill_setup_form(page)
    expect(page.locator(".alert").first).to_contain_text("is ready")
    page.context.clear_cookies()
    page.goto(t.url("/login"))


def flash(page: Page):
    """The flashed messages at the top of the page."""
    return page.locator("main > .alert")


def row(page: Page, legend: str):
    """One repeated row of an item form (a fieldset named by its legend, e.g. "Choice 2")."""
    return page.get_by_role("group", name=legend, exact=True)


def fill_common(page: Page, item: dict) -> None:
    page.get_by_label("Key", exact=True).fill(item["key"])
    page.get_by_label("Prompt", exact=True).fill(item["prompt"])
    page.get_by_label("Topic", exact=True).select_option(label=item["topic"])
    lesson = page.get_by_label("Lesson section", exact=True)
    values = lesson.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert item["lesson"] in values, f"{item['lesson']} is not offered in the lesson select: {values}"
    lesson.select_option(item["lesson"])
    page.get_by_label("Explanation", exact=True).fill(item["explanation"])


def fill_choices(page: Page, choices: list[tuple[str, bool, str]]) -> None:
    for n, (text, correct, feedback) in enumerate(choices, 1):
        r = row(page, f"Choice {n}")
        r.get_by_label("Text", exact=True).fill(text)
        r.get_by_label("Correct", exact=True).set_checked(correct)
        r.get_by_label("Feedback", exact=True).fill(feedback)


def outline_stage(page: Page, s: int):
    return page.locator(f"#stage-0-{s}")


def add_question(page: Page, s: int, label: str) -> None:
    """From the outline: pick the new question's type under stage ``s`` and open its form."""
    stage = outline_stage(page, s)
    stage.get_by_label("New question's type").select_option(label=label)
    stage.get_by_role("button", name="Add a question").click()
    expect(page.get_by_role("heading", name=f"New {label.lower()} question")).to_be_visible()


def save_new(page: Page, key: str) -> None:
    page.get_by_role("button", name="Add the question").click()
    expect(flash(page)).to_contain_text(f"Question '{key}' added.")
    expect(page.get_by_role("heading", name=f"Draft of {MODULE['title']}")).to_be_visible()


def add_stage(page: Page, title: str, narrative: str) -> None:
    """Add a stage to the case; the app opens its placeholder question; go back to the outline."""
    page.get_by_role("link", name="Add a stage to case 1").click()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Narrative", exact=True).fill(narrative)
    page.get_by_role("button", name="Add the stage").click()
    expect(flash(page)).to_contain_text("Stage added, with a first question to rewrite.")
    expect(page.get_by_role("heading", name="Question 1 of the stage")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()


def delete_placeholder(page: Page, s: int) -> None:
    """Delete the placeholder question a new stage came with (the stage's first)."""
    item = page.locator(f"#item-0-{s}-0")
    key = item.locator("code").inner_text()
    assert key.startswith(f"{CASE_KEY}-s{s + 1}-q"), f"stage {s + 1} starts with {key}, not its placeholder"
    item.get_by_role("link", name="Edit").click()
    page.get_by_label("Yes, delete this question from the draft").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(flash(page)).to_contain_text(f"Question '{key}' deleted.")


def assert_next_to(field_locator, error_locator) -> None:
    """The error message sits right below its field (same column, within a line's height)."""
    expect(error_locator).to_be_visible()
    f, e = field_locator.bounding_box(), error_locator.bounding_box()
    assert f and e, "the field or its error is not laid out"
    gap = e["y"] - (f["y"] + f["height"])
    assert -1 <= gap <= 24, f"the error is {gap:.0f}px from its field"
    assert abs(e["x"] - f["x"]) <= 2, f"the error starts at x={e['x']:.0f}, its field at x={f['x']:.0f}"


def jpeg_with_exif(path: Path) -> Path:
    image = Image.new("RGB", (480, 320), (214, 170, 150))
    for x in range(300, 420):  # a darker patch, so it is not one flat colour
        for y in range(120, 220):
            image.putpixel((x, y), (190, 130, 120))
    exif = Image.Exif()
    exif[0x010F] = "BrowserTest Optics"  # Make
    exif[0x0110] = CAMERA  # Model
    image.save(path, "JPEG", exif=exif.tobytes(), quality=85)
    with Image.open(path) as check:
        assert check.getexif().get(0x0110) == CAMERA
    return path


# --------------------------------------------------------------------------- the journey


def test_01_instructor_signs_in_and_opens_the_curriculum(teach: Teach) -> None:
    page = teach.page
    ensure_academy(page, teach)
    email = f"ivo.instructor.{teach.viewport}@example.com"
    teach.data["instructor"] = "Ivo Instructor"
    teach.server.create_user(email, "instructor", teach.data["instructor"], INSTRUCTOR_PASSWORD)

    page.goto(teach.url("/login"))
    sign_in(page, email, INSTRUCTOR_PASSWORD)
    expect(page).to_have_url(teach.url("/"))
    open_nav_link(page, "Curriculum")
    expect(page).to_have_url(teach.url("/author/curriculum"))
    expect(page.get_by_role("heading", name="Curriculum coverage")).to_be_visible()
    expect(page.locator(".navbar-text")).to_contain_text("Ivo Instructor · instructor")

    figures = page.locator("table.curriculum")
    expect(figures).to_be_visible()
    expect(figures.get_by_role("link", name=MODULE_TITLE)).to_be_visible()
    expect(figures.locator("tbody tr").last).to_contain_text("Total")
    expect(page.get_by_role("heading", name="Questions per topic")).to_be_visible()
    expect(page.get_by_role("link", name="New module")).to_be_visible()
    expect(page.get_by_role("link", name="Import questions")).to_be_visible()
    teach.shoot("curriculum")
    teach.assert_no_console_errors("curriculum")
    teach.done.add("signed-in")


def test_02_import_a_gift_file_into_a_new_module(teach: Teach) -> None:
    teach.require("signed-in")
    page = teach.page
    gift = teach.tmp / "aftercare.gift"
    gift.write_text(GIFT, encoding="utf-8")

    page.get_by_role("link", name="Import questions").click()
    expect(page.get_by_role("heading", name="Import questions")).to_be_visible()
    page.get_by_label("Module", exact=True).fill("gift-bank")
    page.get_by_label("Format").select_option(label="Moodle GIFT")
    page.get_by_label("Question file").set_input_files(gift)
    page.get_by_label("Import what can be imported").check()
    teach.shoot("import-form")
    page.get_by_role("button", name="Import", exact=True).click()

    done = page.locator(".alert-success")
    expect(done).to_contain_text("3 question(s) imported into a new draft module gift-bank.")
    expect(done.locator("li")).to_have_count(3)
    for line, kind in ((4, "single"), (10, "true-false"), (12, "numeric")):
        expect(done).to_contain_text(re.compile(rf"line {line}: {kind} “[^”]+” as gift-bank-q-\d"))
    skipped = page.locator(".alert-warning")
    expect(skipped).to_contain_text("Not imported:")
    expect(skipped.locator("li")).to_have_count(1)
    expect(skipped.locator("li")).to_have_text(
        f"Line {GIFT_ESSAY_LINE}: essay questions have no automatic mark: not imported"
    )
    teach.shoot("import-report")

    # The category's last part named the topic; the lesson sections are still to add.
    done.get_by_role("link", name="gift-bank").click()
    expect(page.get_by_role("heading", name="Gift bank")).to_be_visible()
    expect(page.get_by_text("3 cases, 3 questions")).to_be_visible()
    expect(page.get_by_role("button", name="Publish as version 1")).to_be_disabled()
    page.get_by_role("link", name="Edit the draft").click()
    expect(page.locator(".list-group-item")).to_have_count(3)
    expect(page.locator(".list-group-item .badge", has_text="Aftercare")).to_have_count(3)
    expect(page.locator(".list-group-item .badge", has_text="no lesson section")).to_have_count(3)
    teach.assert_no_console_errors("import")
    teach.done.add("imported")


def test_03_new_module_with_one_item_of_every_type(teach: Teach) -> None:
    teach.require("signed-in")
    page = teach.page
    open_nav_link(page, "Curriculum")
    page.get_by_role("link", name="New module").click()
    expect(page.get_by_role("heading", name="New module")).to_be_visible()
    page.get_by_label("Slug").fill(MODULE["slug"])
    page.get_by_label("Title", exact=True).first.fill(MODULE["title"])
    page.get_by_label("Procedure").select_option(label=MODULE["procedure"])
    page.get_by_label("Summary").fill(MODULE["summary"])
    page.get_by_label("Pass mark (%)").fill(MODULE["pass_mark"])
    first_case = page.get_by_role("group", name="First case")
    first_case.get_by_label("Title", exact=True).fill(MODULE["case_title"])
    first_case.get_by_label("Client", exact=True).fill(MODULE["client"])
    teach.shoot("new-module")
    page.get_by_role("button", name="Create the module").click()

    expect(page).to_have_url(teach.url(f"/author/modules/{MODULE['slug']}/draft"))
    expect(flash(page)).to_contain_text("Module created as a draft. Now write its first question.")
    expect(page.get_by_text("Thread lift · pass mark 60%")).to_be_visible()
    # The placeholder question has no topic or lesson yet: publishing is not possible.
    expect(page.get_by_role("button", name="Publish as version 1")).to_be_disabled()
    teach.shoot("outline-new")

    # A new module holds its answers back until a student passes or runs out of attempts; this
    # journey's student reads them after one attempt, so the author shows them after each one.
    page.get_by_role("link", name="Module settings").click()
    expect(page.get_by_label("When students see the correct answers")).to_have_value("after-last-attempt")
    page.get_by_label("When students see the correct answers").select_option("after-submit")
    page.get_by_role("button", name="Save settings").click()
    expect(flash(page)).to_contain_text("saved")
    expect(page).to_have_url(teach.url(f"/author/modules/{MODULE['slug']}/draft"))

    # Stage 1: its title and story, then the placeholder rewritten as the single-best-answer item.
    outline_stage(page, 0).get_by_role("link", name="Edit stage").click()
    page.get_by_label("Title", exact=True).fill(STAGES[0][0])
    page.get_by_label("Narrative", exact=True).fill(STAGES[0][1])
    page.get_by_role("button", name="Save the stage").click()
    expect(flash(page)).to_contain_text("Stage saved.")

    page.get_by_role("link", name="Edit question 1").click()
    expect(page.get_by_role("heading", name="Question 1 of the stage")).to_be_visible()
    fill_common(page, SINGLE)
    fill_choices(page, SINGLE["choices"])
    # Deliberate mistake: a second correct answer to a single-best-answer question.
    row(page, "Choice 2").get_by_label("Correct", exact=True).check()
    page.get_by_role("button", name="Save the question").click()
    expect(page.locator(".alert-danger").first).to_contain_text("Nothing was saved.")
    choices = page.get_by_role("group", name="Choices", exact=True)
    expect(choices).to_have_class(re.compile(r"\bborder-danger\b"))
    error = choices.locator("#choices-error")
    expect(error).to_contain_text("needs exactly one correct choice, found 2")
    expect(row(page, "Choice 1").get_by_label("Correct", exact=True)).to_be_checked()
    expect(row(page, "Choice 2").get_by_label("Correct", exact=True)).to_be_checked()
    expect(row(page, "Choice 2").get_by_label("Text", exact=True)).to_have_value(SINGLE["choices"][1][0])
    expect(page.get_by_label("Key", exact=True)).to_have_value(SINGLE["key"])
    expect(page.get_by_label("Lesson section", exact=True)).to_have_value(SINGLE["lesson"])
    error.scroll_into_view_if_needed()
    teach.shoot("item-single-error")
    row(page, "Choice 2").get_by_label("Correct", exact=True).uncheck()
    page.get_by_role("button", name="Save the question").click()
    expect(flash(page)).to_contain_text(f"Question '{SINGLE['key']}' saved.")

    add_question(page, 0, "True or false")
    fill_common(page, TRUE_FALSE)
    page.get_by_label("The statement is").select_option(label=TRUE_FALSE["correct"])
    page.get_by_label("Feedback for 'true'").fill(TRUE_FALSE["feedback_true"])
    page.get_by_label("Feedback for 'false'").fill(TRUE_FALSE["feedback_false"])
    save_new(page, TRUE_FALSE["key"])

    # Stage 2: multiple response and numeric (first with its range upside down).
    add_stage(page, *STAGES[1])
    add_question(page, 1, "Multiple response")
    fill_common(page, MULTIPLE)
    fill_choices(page, MULTIPLE["choices"])
    save_new(page, MULTIPLE["key"])

    add_question(page, 1, "Numeric")
    fill_common(page, NUMERIC)
    low, high = page.get_by_label("Lowest accepted value"), page.get_by_label("Highest accepted value")
    low.fill(NUMERIC["max"])  # deliberate mistake: the range is reversed
    high.fill(NUMERIC["min"])
    page.get_by_label("Units").fill(NUMERIC["units"])
    page.get_by_label("Feedback when too low").fill(NUMERIC["feedback_low"])
    page.get_by_label("Feedback when too high").fill(NUMERIC["feedback_high"])
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator(".alert-danger").first).to_contain_text("Nothing was saved.")
    expect(low).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(low).to_have_attribute("aria-invalid", "true")
    expect(low).to_have_attribute("aria-describedby", re.compile(r"\bmin-error\b"))
    range_error = page.locator("#min-error")
    expect(range_error).to_have_text("The range is reversed: min 14 is above max 7")
    assert_next_to(low, range_error)
    # What was typed is kept.
    expect(low).to_have_value(NUMERIC["max"])
    expect(high).to_have_value(NUMERIC["min"])
    expect(page.get_by_label("Key", exact=True)).to_have_value(NUMERIC["key"])
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(NUMERIC["prompt"])
    expect(page.get_by_label("Units")).to_have_value(NUMERIC["units"])
    expect(page.get_by_label("Feedback when too high")).to_have_value(NUMERIC["feedback_high"])
    expect(page.get_by_label("Topic", exact=True)).to_have_value("anatomy")
    expect(page.get_by_label("Lesson section", exact=True)).to_have_value(NUMERIC["lesson"])
    low.scroll_into_view_if_needed()
    teach.shoot("item-numeric-error")
    low.fill(NUMERIC["min"])
    high.fill(NUMERIC["max"])
    save_new(page, NUMERIC["key"])
    delete_placeholder(page, 1)

    # Stage 3: ordering and matching.
    add_stage(page, *STAGES[2])
    add_question(page, 2, "Ordering")
    fill_common(page, ORDERING)
    for n, text in enumerate(ORDERING["steps"], 1):
        step = row(page, f"Step {n}")
        expect(step.get_by_label("Order", exact=True)).to_have_value(str(n))
        step.get_by_label("Text", exact=True).fill(text)
    teach.shoot("item-ordering")
    save_new(page, ORDERING["key"])

    add_question(page, 2, "Matching")
    fill_common(page, MATCHING)
    for n, text in enumerate(MATCHING["options"], 1):
        row(page, f"Option {n}").get_by_label("Text", exact=True).fill(text)
    for n, (text, match, feedback) in enumerate(MATCHING["prompts"], 1):
        prompt = row(page, f"Prompt {n}")
        prompt.get_by_label("Text", exact=True).fill(text)
        prompt.get_by_label("Matches option").select_option(match)
        prompt.get_by_label("Feedback when matched wrongly").fill(feedback)
    teach.shoot("item-matching")
    save_new(page, MATCHING["key"])
    delete_placeholder(page, 2)

    # Opened again, the matching question shows what was saved, now with the options' texts.
    page.get_by_role("link", name="Edit question 6").click()
    expect(page.get_by_label("Key", exact=True)).to_have_value(MATCHING["key"])
    expect(page.get_by_label("Lesson section", exact=True)).to_have_value(MATCHING["lesson"])
    for n, (_, match, _) in enumerate(MATCHING["prompts"], 1):
        select = row(page, f"Prompt {n}").get_by_label("Matches option")
        expect(select).to_have_value(match)
        expect(select.locator("option:checked")).to_have_text(f"{match}: {MATCHING['options'][ord(match) - 97]}")
    page.get_by_role("button", name="Save the question").click()  # saved unchanged
    expect(flash(page)).to_contain_text(f"Question '{MATCHING['key']}' saved.")

    # The outline: three stages, one question of every type, each with a topic and a lesson section.
    for s, (title, _) in enumerate(STAGES):
        expect(outline_stage(page, s).locator("h3")).to_have_text(f"Stage {s + 1}: {title}")
        expect(outline_stage(page, s).locator(".list-group-item")).to_have_count(2)
    items = page.locator(".list-group-item")
    expect(items).to_have_count(6)
    texts = items.all_inner_texts()
    for label in ITEM_LABELS:
        assert sum(f"· {label} ·" in text for text in texts) == 1, f"not exactly one {label} item: {texts}"
    expect(page.locator(".list-group-item .badge.text-bg-warning")).to_have_count(0)
    expect(page.get_by_text("Fix these before publishing")).to_have_count(0)
    expect(page.get_by_role("button", name="Publish as version 1")).to_be_enabled()
    teach.data["keys"] = [SINGLE["key"], TRUE_FALSE["key"], MULTIPLE["key"], NUMERIC["key"]]
    teach.data["keys"] += [ORDERING["key"], MATCHING["key"]]
    teach.shoot("outline-complete")
    teach.assert_no_console_errors("the editor")
    teach.done.add("written")


def test_04_case_photo_is_added_and_a_fake_image_refused(teach: Teach) -> None:
    teach.require("written")
    page = teach.page
    page.get_by_role("link", name="Module page").click()
    expect(page).to_have_url(teach.url(f"/author/modules/{MODULE['slug']}"))
    photos = page.get_by_role("region", name="Case photos")
    expect(photos).to_contain_text(f"{MODULE['case_title']}: no photo")
    photos.get_by_role("link", name="Add a photo").click()
    expect(page.get_by_role("heading", name=f"Photo for “{MODULE['case_title']}”")).to_be_visible()

    photo = jpeg_with_exif(teach.tmp / "jaw-day-2.jpg")
    page.get_by_label("Photo", exact=True).set_input_files(photo)
    page.get_by_label("What the photo shows").fill(PHOTO_ALT)
    page.get_by_role("button", name="Add the photo").click()
    expect(flash(page)).to_contain_text("The photo is in the draft; students see it once you publish.")
    expect(photos).to_contain_text(f"{MODULE['case_title']}: photo set")
    teach.shoot("module-photo-set")

    # A text file named .png is refused by its content, not its name.
    fake = teach.tmp / "not-a-photo.png"
    fake.write_text("This is a text file, not a picture.\n")
    photos.get_by_role("link", name="Change").click()
    current = page.get_by_role("img", name=PHOTO_ALT)
    expect(current).to_be_visible()
    page.get_by_label("Photo", exact=True).set_input_files(fake)
    page.get_by_label("What the photo shows").fill("Not a photo")
    page.get_by_role("button", name="Add the photo").click()
    field_ = page.get_by_label("Photo", exact=True)
    expect(field_).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#photo-error")).to_have_text("That file is not a JPEG, PNG or WebP image.")
    expect(page.locator("#photo-error")).to_be_visible()
    teach.shoot("photo-refused")
    # The draft still has the first photo.
    expect(page.get_by_role("img", name=PHOTO_ALT)).to_be_visible()
    teach.assert_no_console_errors("the photo page")
    teach.done.add("photo")


def test_05_preview_the_draft_stage_by_stage(teach: Teach) -> None:
    teach.require("photo")
    page = teach.page
    page.goto(teach.url(f"/author/modules/{MODULE['slug']}"))
    page.get_by_role("link", name="Preview the draft").click()
    info = page.locator(".alert-info")
    expect(info).to_contain_text("Preview of the draft as a student sees it, stage 1 of 3.")
    expect(page.locator(".case-heading")).to_contain_text(f"{MODULE['case_title']} · {MODULE['client']}")
    image = page.get_by_role("img", name=PHOTO_ALT)
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 480, "the case photo did not load"
    expect(page.locator("fieldset[data-item]")).to_have_count(2)
    teach.shoot("preview-stage-1")

    # The stored photo is a re-encoded copy: the camera's EXIF is gone.
    src = image.get_attribute("src")
    stored = page.context.request.get(teach.url(src))
    assert stored.ok, f"{src}: HTTP {stored.status}"
    with Image.open(io.BytesIO(stored.body())) as served:
        assert served.format == "JPEG"
        assert CAMERA.encode() not in stored.body() and 0x0110 not in served.getexif(), "EXIF survived"

    for stage in (2, 3):
        page.get_by_role("link", name="Next stage").click()
        expect(info).to_contain_text(f"stage {stage} of 3.")
        expect(page.locator(f"#stage-{stage - 1}")).to_be_in_viewport()
        expect(page.locator(".stage.stage-locked")).to_have_count(stage - 1)
        expect(page.locator("fieldset[data-item]")).to_have_count(2)
    expect(page.get_by_role("link", name="Next stage")).to_have_count(0)
    teach.shoot("preview-stage-3")

    page.get_by_role("link", name="Show the answers and feedback").click()
    answers = page.locator(".preview-answer")
    expect(answers).to_have_count(2)
    expect(answers.nth(0)).to_contain_text("Correct:")
    # The lesson section is named by its title, not by its slug#anchor reference.
    for n, item in enumerate((ORDERING, MATCHING)):
        expect(answers.nth(n)).to_contain_text(re.compile(r"lesson section: [A-Z]"))
        expect(answers.nth(n)).not_to_contain_text(item["lesson"])
    expect(page.get_by_role("img", name=PHOTO_ALT)).to_be_visible()
    teach.shoot("preview-answers")
    page.get_by_role("link", name="Previous stage").click()
    expect(info).to_contain_text("stage 2 of 3.")
    expect(page.locator(".preview-answer")).to_have_count(2)  # the answers stay shown
    expect(page.locator(".preview-answer").nth(1)).to_contain_text("Correct:")
    teach.assert_no_console_errors("the preview")
    teach.done.add("previewed")


def test_06_publish_version_1(teach: Teach) -> None:
    teach.require("previewed")
    page = teach.page
    page.goto(teach.url(f"/author/modules/{MODULE['slug']}"))
    expect(page.get_by_role("alert")).to_have_count(0)  # nothing to fix
    publish = page.get_by_role("button", name="Publish as version 1")
    expect(publish).to_be_enabled()
    publish.click()
    expect(flash(page)).to_have_text("Published version 1.")
    published = page.get_by_role("region", name="Published")
    expect(published).to_contain_text("Version 1, 6 questions")
    expect(page.get_by_role("region", name="Draft")).to_contain_text("No draft.")
    teach.shoot("published")
    teach.assert_no_console_errors("publishing")
    teach.done.add("published")


def test_07_a_student_takes_the_new_module(teach: Teach) -> None:
    teach.require("published")
    page = teach.new_page()  # a separate browser context: the student's own cookies
    email = f"stella.student.{teach.viewport}@example.com"
    teach.server.create_user(email, "student", "Stella Student", STUDENT_PASSWORD)
    page.goto(teach.url("/login"))
    sign_in(page, email, STUDENT_PASSWORD)
    expect(page).to_have_url(teach.url("/dashboard"))  # a student lands on their dashboard
    open_nav_link(page, "Modules")
    expect(page).to_have_url(teach.url("/"))

    card = page.locator("article.card").filter(has_text=MODULE["title"])
    expect(card).to_have_count(1)
    expect(card.get_by_role("link", name=MODULE["title"])).to_have_attribute("href", f"/modules/{MODULE['slug']}")
    expect(card).to_contain_text("1 case · 3 stages · 6 questions · pass mark 60%")
    expect(page.locator("article.card").filter(has_text="Gift bank")).to_have_count(0)  # a draft only
    teach.shoot("student-catalogue", page)
    card.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("img", name=PHOTO_ALT)).to_be_visible()

    answered = {}
    for index in range(3):
        expect(page.locator("#stage-form")).to_have_attribute("data-stage", str(index))
        expect(page.get_by_text(f"Stage {index + 1} of 3.")).to_be_visible()
        answered.update(answer_open_stage(page))
        teach.shoot(f"student-stage-{index + 1}", page)
        if index < 2:
            page.get_by_role("button", name=LOCK_BUTTON).click()
            expect(page).to_have_url(re.compile(rf"/attempts/{attempt_id}#stage-{index + 1}$"))
    kinds = sorted(kind for kind, _ in answered.values())
    assert kinds == ["checkbox", "numeric", "radio", "radio", "select", "select"], kinds
    # The page names each question by a token of the attempt: every authored question was answered.
    refs = {teach.server.item_ref(attempt_id, key): key for key in teach.data["keys"]}
    assert sorted(answered) == sorted(refs), sorted(answered)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit the attempt").click()
    expect(page).to_have_url(teach.url(f"/attempts/{attempt_id}/result"))
    expect(page.get_by_role("heading", name=f"{MODULE['title']}: your result")).to_be_visible()
    summary = page.locator(".result-summary")
    expect(summary).to_contain_text("Pass mark 60%")
    expect(summary.locator(".badge")).to_have_text(re.compile(r"^(Passed|Not passed|Not passed: safety)$"))
    expect(page.locator("article.result-item")).to_have_count(6)
    for number in range(1, len(teach.data["keys"]) + 1):
        expect(page.locator(f"#question-{number} .explanation").first).not_to_be_empty()
    teach.shoot("student-result", page)
    teach.assert_no_console_errors("the student's attempt")
    teach.done.add("taken")


def test_08_analysis_history_and_export(teach: Teach) -> None:
    teach.require("taken")
    page = teach.page
    page.goto(teach.url(f"/author/modules/{MODULE['slug']}"))
    page.get_by_role("link", name="Item analysis").click()
    expect(page.get_by_role("heading", name="Item analysis")).to_be_visible()
    stats = page.locator("dl.stats-summary")
    expect(stats.locator("dt").first).to_have_text("Attempts")
    expect(stats.locator("dd").first).to_have_text("1")
    rows = page.locator("table.analysis tbody tr")
    expect(rows).to_have_count(6)
    for n, key in enumerate(teach.data["keys"]):
        expect(rows.nth(n)).to_contain_text(key)
    teach.shoot("item-analysis")
    teach.data["analysis_url"] = page.url

    page.get_by_role("link", name=MODULE["title"]).click()
    page.get_by_role("link", name="History and changes").click()
    expect(page.get_by_role("heading", name="Version history")).to_be_visible()
    versions = page.locator("table tbody tr")
    expect(versions).to_have_count(1)
    cells = versions.first.locator("td")
    expect(cells.nth(0)).to_have_text("1")
    expect(cells.nth(2)).to_have_text(teach.data["instructor"])
    expect(cells.nth(3)).to_have_text("6")
    teach.shoot("history")

    page.get_by_role("link", name=MODULE["title"]).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as a pack file").click()
    download = download_info.value
    assert download.suggested_filename == f"{MODULE['slug']}.yaml"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert re.search(r"^slug: jaw-swelling$", text, re.M), text[:500]
    pack = yaml.safe_load(text)
    assert pack["title"] == MODULE["title"] and pack["settings"]["pass_mark"] == 60
    stages = pack["cases"][0]["stages"]
    assert [s["title"] for s in stages] == [title for title, _ in STAGES]
    assert sorted(i["type"] for s in stages for i in s["items"]) == sorted(
        ["single", "multiple", "true-false", "numeric", "ordering", "matching"]
    )
    assert pack["cases"][0]["image_alt"] == PHOTO_ALT
    teach.assert_no_console_errors("analysis, history and export")
    teach.done.add("reviewed")


def test_09_no_console_errors_and_every_asset_loads(teach: Teach) -> None:
    teach.require("reviewed")
    teach.assert_no_console_errors("any page of the teaching journey")
    problems = {
        f"{a.status} {a.resource_type} {a.url} ({'redirected, ' if a.redirected else ''}{a.content_type})": None
        for a in teach.assets
    }
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- regressions
# Bugs this journey once found; each check keeps it from coming back.


def test_10_histogram_counts_are_inside_the_chart(teach: Teach) -> None:
    """Item analysis: the attempt count above each histogram bar is drawn inside the chart.

    It once sat at ``y = 92 - h`` in a 0..110 viewBox; the tallest bar has the full height,
    so its count was drawn at y = 2 and the 6px text was cut off at the top: the count of
    the most common band (with one attempt, the only count) was unreadable.
    """
    teach.require("reviewed")
    page = teach.page
    page.goto(teach.data["analysis_url"])
    chart = page.locator("svg.histogram")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    counts = chart.locator("text.hist-count")
    expect(counts).to_have_count(1)  # one attempt, one band
    clipped = []
    for n in range(counts.count()):
        text = counts.nth(n).bounding_box()
        if text["y"] < box["y"] - 0.5:
            clipped.append(f"count {counts.nth(n).text_content()!r}: {box['y'] - text['y']:.1f}px above the chart")
    assert not clipped, "histogram counts drawn outside the chart (cut off): " + "; ".join(clipped)
