"""A short-answer question from the browser editor to a student's phone, on a server of its own.

An instructor (desktop) creates a module, writes a short-answer question in the editor (an
exact answer, a wildcard answer worth half, feedback for anything else), deletes the
placeholder question and publishes. A student on a phone types the answer in capitals with
a trailing space, submits, and sees the full mark. The text box must not capitalise,
correct or complete what is typed, and no page logs an error.
"""

from __future__ import annotations

import re

import pytest
from conftest import SCREENSHOTS, serve_app, sign_in, watched_page
from playwright.sync_api import Page, expect
from test_student_journey import fill_setup_form

pytestmark = pytest.mark.browser

SLUG = "thread-materials"
INSTRUCTOR = ("ivy.instructor@example.com", "Ivy Instructor", "silver-harbour-4471")
STUDENT = ("sol.student@example.com", "Sol Student", "amber-meadow-8812")
QUESTION = {
    "key": "pdo-name",
    "prompt": "PDO is short for the name of a material. Write that name in full.",
    "explanation": "PDO is polydioxanone. PLA is polylactic acid, and PCL is polycaprolactone.",
    "answers": [("polydioxanone", "100", "Right: PDO threads are polydioxanone."), ("*dioxan*", "50", "Nearly.")],
    "feedback_wrong": "PDO stands for polydioxanone.",
}


def flash(page: Page):
    return page.locator("main > .alert")


def test_an_instructor_writes_a_short_answer_and_a_student_answers_it_on_a_phone(browser, tmp_path_factory) -> None:
    shots = SCREENSHOTS / "short-answer"
    shots.mkdir(parents=True, exist_ok=True)
    console: list = []
    assets: list = []
    with serve_app("short-answer", tmp_path_factory) as server:
        desk_context, desk = watched_page(browser, server.base_url, "desktop", console, assets)
        phone_context, phone = watched_page(browser, server.base_url, "phone", console, assets)
        try:
            # The first run: an admin sets the academy up; then an instructor and a student are added.
            desk.goto("/")
            expect(desk).to_have_url(re.compile(r"/setup$"))
            fill_setup_form(desk)
            expect(desk.locator(".alert").first).to_contain_text("is ready")
            desk.context.clear_cookies()
            server.create_user(INSTRUCTOR[0], "instructor", INSTRUCTOR[1], INSTRUCTOR[2])
            server.create_user(STUDENT[0], "student", STUDENT[1], STUDENT[2])

            write_the_question(desk, shots)
            publish(desk, shots)
            answer_on_a_phone(phone, shots)
        finally:
            desk_context.close()
            phone_context.close()
    errors = [e for e in console if e.type in ("error", "pageerror")]
    assert not errors, "\n".join(f"{e.type} at {e.url}: {e.text}" for e in errors)
    assert not assets, assets


def write_the_question(page: Page, shots) -> None:
    """Sign in as the instructor, create the module, add the short answer, drop the placeholder."""
    sign_in(page, INSTRUCTOR[0], INSTRUCTOR[2])
    page.goto("/author/new-module")
    page.get_by_label("Slug").fill(SLUG)
    page.get_by_label("Title", exact=True).first.fill("Thread materials")
    page.get_by_label("Procedure").select_option(label="Thread lift")
    page.get_by_label("Summary").fill("What the threads are made of, and why it matters.")
    page.get_by_label("Pass mark (%)").fill("60")
    first_case = page.get_by_role("group", name="First case")
    first_case.get_by_label("Title", exact=True).fill("Reading the leaflet")
    first_case.get_by_label("Client", exact=True).fill("Woman, 44, asking about her threads")
    page.get_by_role("button", name="Create the module").click()
    expect(flash(page)).to_contain_text("Module created as a draft.")

    stage = page.locator("#stage-0-0")
    stage.get_by_label("New question's type").select_option(label="Short answer")
    stage.get_by_role("button", name="Add a question").click()
    expect(page.get_by_role("heading", name="New short answer question")).to_be_visible()
    page.get_by_label("Key", exact=True).fill(QUESTION["key"])
    page.get_by_label("Prompt", exact=True).fill(QUESTION["prompt"])
    page.get_by_label("Topic", exact=True).select_option(label="Injection volume and product")
    page.get_by_label("Lesson section", exact=True).select_option("thread-lift-anatomy#threads-and-materials")
    page.get_by_label("Explanation", exact=True).fill(QUESTION["explanation"])
    for n, (text, percent, feedback) in enumerate(QUESTION["answers"], 1):
        row = page.get_by_role("group", name=f"Answer {n}", exact=True)
        row.get_by_label("Text", exact=True).fill(text)
        row.get_by_label("Mark (%)", exact=True).fill(percent)
        row.get_by_label("Feedback", exact=True).fill(feedback)
    expect(page.get_by_label("Capitals matter", exact=False)).not_to_be_checked()
    page.get_by_label("Feedback for any other answer", exact=True).fill(QUESTION["feedback_wrong"])
    page.screenshot(path=str(shots / "01-editor.png"), full_page=True)
    page.get_by_role("button", name="Add the question").click()
    expect(flash(page)).to_contain_text(f"Question '{QUESTION['key']}' added.")
    expect(page.locator("#item-0-0-1")).to_contain_text("Short answer")

    # The placeholder question the new module came with has no topic or lesson: delete it.
    page.locator("#item-0-0-0").get_by_role("link", name="Edit").click()
    page.get_by_label("Yes, delete this question from the draft").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(flash(page)).to_contain_text("deleted.")


def publish(page: Page, shots) -> None:
    """Publish version 1 from the module's page."""
    page.goto(f"/author/modules/{SLUG}")
    button = page.get_by_role("button", name="Publish as version 1")
    expect(button).to_be_enabled()
    button.click()
    expect(flash(page)).to_have_text("Published version 1.")
    page.screenshot(path=str(shots / "02-published.png"), full_page=True)


def answer_on_a_phone(page: Page, shots) -> None:
    """The student types the answer on a phone (capitals, a stray space), submits and sees the mark."""
    sign_in(page, STUDENT[0], STUDENT[2])
    page.goto(f"/modules/{SLUG}")
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    box = page.get_by_label("Answer to question 1")
    expect(box).to_have_attribute("type", "text")
    for name, value in (("autocapitalize", "off"), ("autocomplete", "off"), ("autocorrect", "off")):
        expect(box).to_have_attribute(name, value)
    expect(box).to_have_attribute("spellcheck", "false")
    assert "dioxan" not in page.content().lower()  # no accepted answer or feedback reaches the page
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the take page is {width}px wide on a 390px phone"
    box.fill("PolyDioxanone ")
    expect(page.locator("fieldset[data-item] .save-status")).to_have_text("Saved")
    page.screenshot(path=str(shots / "03-phone-take.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit the attempt").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+/result$"))
    expect(page.locator(".result-summary")).to_contain_text("100%")
    card = page.locator("article.result-item")
    expect(card.locator(".badge").first).to_have_text(re.compile(r"Correct · 1/1"))
    expect(card).to_contain_text("PolyDioxanone")
    expect(card.locator(".feedback")).to_contain_text("Right: PDO threads are polydioxanone.")
    page.screenshot(path=str(shots / "04-phone-result.png"), full_page=True)
