"""A pass means safe practice, on a phone (issue 15).

A student takes a module with certainty marking and a safety gate: every answer right but one
harmful choice, all at high certainty. The result opens with the missed safety step and why,
before the score; no certificate. The module page then holds the retry for 24 hours; the test
moves time on (it backdates the attempt in the server's database). The retry draws the
variants not seen the first time; answered right, it passes and earns a certificate that
``/verify`` confirms.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from conftest import SCREENSHOTS, serve_app, sign_in, watched_page
from playwright.sync_api import Page, expect
from test_student_journey import fill_setup_form

pytestmark = pytest.mark.browser

SLUG = "day-two-calls"
STUDENT = ("vy.student@example.com", "Vy Student", "jade-lantern-5520")
LESSON = "thread-lift-red-flags#urgency-and-referral"


def single(key: str, prompt: str, right: str, wrong: list[tuple[str, str, bool]], **extra) -> dict:
    """A single-best-answer item: ``wrong`` is (text, why, harmful)."""
    choices = [{"id": "right", "text": right, "correct": True}]
    choices += [{"id": f"w{n}", "text": t, "feedback": why, "harmful": h} for n, (t, why, h) in enumerate(wrong)]
    return {
        "key": key,
        "type": "single",
        "prompt": prompt,
        "topic": "red-flags",
        "lesson": LESSON,
        "explanation": f"The safe answer is: {right}",
        "choices": choices,
        **extra,
    }


# Two slots of two variants each; the first is safety-critical with a harmful choice in each variant.
FEVER = [
    single(
        "fever",
        "Day 3 after a thread lift, Lan has a hot, red cheek and a temperature of 38.5 °C. What do you advise?",
        "A doctor today, for a likely infection",
        [
            ("Wait until after the weekend", "A fever with a hot cheek may be an infection that spreads.", True),
            ("Call 115 now", "Nothing here threatens her life right now.", False),
        ],
        safety_critical=True,
    ),
    single(
        "fever-v2",
        "On day 4 Minh's entry point weeps pus and he feels feverish. What do you advise?",
        "A same-day medical assessment",
        [
            ("Squeeze the pus out at home and watch", "Squeezing spreads the infection and delays treatment.", True),
            ("Call 115 now", "He is unwell but not in danger of his life.", False),
        ],
        safety_critical=True,
        variant_of="fever",
    ),
]
SWELLING = [
    single(
        "swelling",
        "On day 2 Lan's cheeks are evenly puffy and a little sore, and easing. What is this most likely?",
        "The expected settling after threads",
        [
            ("An allergy to the threads", "An allergy comes with itch, hives or spreading redness.", False),
            ("A thread that has moved", "A moved thread shows as a ridge or dent, not even swelling.", False),
        ],
    ),
    single(
        "swelling-v2",
        "Minh's jaw feels tight and a little bruised on day 1, the same on both sides. What is this most likely?",
        "Bruising and swelling that will settle",
        [
            ("A nerve injury", "A nerve injury shows as weakness or numbness, not even tightness.", False),
            ("An infection", "An infection on day 1 is unlikely without heat, fever or pus.", False),
        ],
        variant_of="swelling",
    ),
]
MODULE = {
    "kind": "module",
    "slug": SLUG,
    "title": "Day-two calls",
    "procedure": "thread-lift",
    "summary": "Two calls after a thread lift: what is expected, and what needs a doctor today.",
    "settings": {
        "pass_mark": 70,
        "attempts_allowed": 3,
        "retry_wait_hours": 24,
        "show_answers": "after-last-attempt",
        "certainty_marking": True,
    },
    "cases": [
        {
            "key": "lan-and-minh",
            "title": "Calls after a thread lift",
            "client": "Clients in the first days after a PDO thread lift",
            "stages": [
                {"title": "The first call", "narrative": "The phone rings in the clinic.", "items": SWELLING},
                {"title": "The second call", "narrative": "Later, another client rings.", "items": FEVER},
            ],
        }
    ],
}
ALL = {item["key"]: item for item in SWELLING + FEVER}


def answer_stage(page: Page, harmful: bool) -> list[str]:
    """Answer every question of the open stage (right, or harmful on the safety-critical one) at high certainty."""
    shown = []
    for fieldset in page.locator("#stage-form fieldset[data-item]").all():
        # Found by its words, as a student reads it: the page names items by a token, not their key.
        shown_prompt = fieldset.locator(".prompt").inner_text()
        item = next(i for i in ALL.values() if i["prompt"].split(",")[0] in shown_prompt)
        shown.append(item["key"])
        pick = item["choices"][0]["text"]
        if harmful and item.get("safety_critical"):
            pick = next(c["text"] for c in item["choices"] if c.get("harmful"))
        fieldset.get_by_label(pick).check()
        fieldset.get_by_role("radiogroup").get_by_text("High").click()
        expect(fieldset.locator(".save-status")).to_have_text("Saved")
    return shown


def take(page: Page, harmful: bool, shots: Path, name: str) -> list[str]:
    page.goto(f"/modules/{SLUG}")
    page.get_by_role("button", name=re.compile("Start the module|Resume")).click()
    expect(page.get_by_text("How sure are you of this answer?").first).to_be_visible()
    shown = answer_stage(page, harmful)
    page.get_by_role("button", name="Lock answers and go to the next stage").click()
    shown += answer_stage(page, harmful)
    page.screenshot(path=str(shots / f"{name}-take.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit the attempt").click()
    expect(page).to_have_url(re.compile(r"/result$"))
    page.screenshot(path=str(shots / f"{name}-result.png"), full_page=True)
    return shown


def backdate_attempts(database: Path, hours: int) -> None:
    """Time moves on: every attempt was submitted ``hours`` earlier."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id, submitted_at FROM attempts WHERE submitted_at IS NOT NULL").fetchall()
        for attempt_id, submitted in rows:
            db.execute(
                "UPDATE attempts SET submitted_at = datetime(?, ?) WHERE id = ?",
                (submitted, f"-{hours} hours", attempt_id),
            )


def test_a_student_fails_on_safety_waits_and_passes_on_new_variants(browser, tmp_path_factory, tmp_path) -> None:
    shots = SCREENSHOTS / "safety"
    shots.mkdir(parents=True, exist_ok=True)
    console: list = []
    assets: list = []
    pack = tmp_path / "day-two-calls.yaml"
    pack.write_text(yaml.safe_dump(MODULE, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with serve_app("safety", tmp_path_factory) as server:
        context, page = watched_page(browser, server.base_url, "phone", console, assets)
        try:
            page.goto("/")
            fill_setup_form(page)
            expect(page.locator(".alert").first).to_contain_text("is ready")
            page.context.clear_cookies()
            done = server.flask("packs", "import", str(pack))
            assert done.returncode == 0, done.stdout + done.stderr
            server.create_user(STUDENT[0], "student", STUDENT[1], STUDENT[2])
            sign_in(page, STUDENT[0], STUDENT[2])

            first = take(page, harmful=True, shots=shots, name="1-fail")
            safety = page.locator("#safety")
            expect(safety).to_contain_text("Not passed: a safety step was missed")
            expect(safety).to_contain_text("the action that would harm the client")
            expect(safety.get_by_role("link", name=re.compile("^Why:"))).to_be_visible()
            assert page.locator("#safety").bounding_box()["y"] < page.locator(".result-summary").bounding_box()["y"]
            expect(page.get_by_text("Not passed: safety").first).to_be_visible()
            expect(page.get_by_text("Certainty-based marks")).to_be_visible()
            expect(page.get_by_role("table")).to_contain_text("High")
            expect(page.get_by_text("Download your certificate")).to_have_count(0)

            page.goto(f"/modules/{SLUG}")
            expect(page.locator("#retry-wait")).to_contain_text("Your next attempt can start in")
            expect(page.get_by_role("button", name="Start the module")).to_have_count(0)
            page.screenshot(path=str(shots / "2-wait.png"), full_page=True)

            backdate_attempts(Path(server.env["DATABASE_URL"].removeprefix("sqlite:///")), 25)
            second = take(page, harmful=False, shots=shots, name="3-pass")
            assert not set(first) & set(second), (first, second)  # every slot drew its other variant
            expect(page.locator(".result-summary")).to_contain_text("Passed")
            expect(page.locator("#safety")).to_have_count(0)
            certificate = page.get_by_role("link", name="Download your certificate (PDF)")
            expect(certificate).to_be_visible()
            code = re.search(r"code ([A-Z0-9-]+)", page.locator(".alert-success").first.inner_text()).group(1)
            page.goto(f"/verify/{code}")
            expect(page.locator("main")).to_contain_text(STUDENT[1])
            page.screenshot(path=str(shots / "4-verify.png"), full_page=True)
        finally:
            context.close()
    errors = [e for e in console if e.type in ("error", "pageerror")]
    assert not errors, "\n".join(f"{e.type} at {e.url}: {e.text}" for e in errors)
    assert not assets, assets
