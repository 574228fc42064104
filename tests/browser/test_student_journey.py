"""A student's whole journey through the real app in Chromium, at a phone and a desktop viewport.

The tests run in order per viewport and share one page (see ``conftest.Journey``):

1. first run: ``/`` leads to set-up; the admin creates the academy, lands on the catalogue, signs out;
2. a student (made with ``flask create-user``) signs in, starts the module, answers stage 1
   (autosave says "Saved"), reloads, and finds every answer still there;
3. the student locks every stage in turn (meeting the blank-questions warning once) and submits;
4. the result page: score, pass/fail, an explanation per question, lesson links to the right section;
5. My progress: mastery for the five topics and the attempt in the history;
6. no console errors or CSP violations on any page.

Tests 7 to 9 guard against bugs this journey once found: the phone menu must open, every
asset must load (also before set-up), and an autosave overtaken by a later one is kept.
Test 10: a save the busy server (503) or the network refuses stays in the page and is retried.

Screenshots of every page go to ``artifacts/screenshots/<viewport>/``.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ACADEMY = "Riverside Aesthetics Academy"
ADMIN = {"name": "Ada Admin", "email": "ada.admin@example.com", "password": "maple-harbor-7714"}
STUDENT_PASSWORD = "tulip-ledger-5813"
MODULE_TITLE = "Thread lift: nerve pain after the procedure"
TOPICS = ["Anatomy", "Placement", "Injection volume and product", "Aftercare", "Red flags and referral"]
NUMERIC_ANSWER = "12"
ATTEMPT_PATH = re.compile(r"/attempts/(\d+)$")
LOCK_BUTTON = "Lock answers and go to the next stage"


# --------------------------------------------------------------------------- helpers


def open_nav(journey) -> bool:
    """Make the main navigation usable: on a narrow screen, open the menu first.

    Returns whether the links are visible. The result is recorded, and checked by
    ``test_07_phone_menu_opens``.
    """
    page = journey.page
    nav = page.locator("#nav")
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    try:
        expect(nav).to_be_visible(timeout=2_000)
        visible = True
    except AssertionError:
        visible = False
    journey.data.setdefault("nav_visible", []).append((page.url, visible))
    return visible


def go_to_nav_link(journey, label: str) -> None:
    """Follow a main-menu link, opening the menu first on a phone."""
    page = journey.page
    link = page.locator("#nav a.nav-link").filter(has_text=re.compile(rf"^{re.escape(label)}$"))
    assert open_nav(journey), f"the main menu did not open on {page.url}"
    link.click()


def sign_out(journey) -> None:
    page = journey.page
    assert open_nav(journey), f"the main menu did not open on {page.url}"
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator(".alert")).to_contain_text("You are signed out.")


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def answer_open_stage(page: Page) -> dict[str, tuple[str, list[str]]]:
    """Answer every question of the open stage and wait for each autosave to say "Saved".

    Returns ``{item key: (kind, values)}``: radio/checkbox values ticked, or the typed number.
    """
    form = page.locator("#stage-form")
    fieldsets = form.locator("fieldset[data-item]")
    count = fieldsets.count()
    assert count > 0, "the open stage shows no questions"
    answers: dict[str, tuple[str, list[str]]] = {}
    for i in range(count):
        fieldset = fieldsets.nth(i)
        key = fieldset.get_attribute("data-item")
        inputs = fieldset.locator("input")
        for j in range(inputs.count()):
            assert inputs.nth(j).get_attribute("name") == f"item-{key}", f"input {j} of {key} is misnamed"
        selects = fieldset.locator("select")
        for j in range(selects.count()):
            assert selects.nth(j).get_attribute("name") == f"item-{key}", f"select {j} of {key} is misnamed"
        radios = fieldset.locator("input[type=radio]")
        boxes = fieldset.locator("input[type=checkbox]")
        numbers = fieldset.locator("input[type=text]")
        status = fieldset.locator(".save-status")
        # One interaction at a time, each waited for until its autosave says "Saved": two saves
        # in flight at once can reach the server out of order (see test_09).
        if radios.count():
            pick = radios.nth(radios.count() - 1 if i % 2 else 0)  # vary which choice is picked
            pick.check()
            expect(status).to_have_text("Saved")
            answers[key] = ("radio", [pick.get_attribute("value")])
        elif boxes.count():
            picked = []
            for j in range(min(2, boxes.count())):
                boxes.nth(j).check()
                expect(status).to_have_text("Saved")
                picked.append(boxes.nth(j).get_attribute("value"))
            answers[key] = ("checkbox", picked)
        elif numbers.count():
            numbers.first.fill(NUMERIC_ANSWER)
            expect(status).to_have_text("Saved")  # saved after an 800 ms pause in typing
            numbers.first.blur()  # leaving the field fires "change": a second save of the same value
            expect(status).to_have_text("Saved")
            answers[key] = ("numeric", [NUMERIC_ANSWER])
        elif selects.count():
            # Ordering (a step per position) or matching (an option per prompt): pick the
            # n-th real option in the n-th list, so an ordering uses each step once.
            chosen = []
            for j in range(selects.count()):
                select = selects.nth(j)
                values = [v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
                value = values[j % len(values)]
                select.select_option(value)
                expect(status).to_have_text("Saved")
                chosen.append(value)
            answers[key] = ("select", chosen)
        else:
            pytest.fail(f"question {key} has no input this test knows how to answer")
    for i in range(count):
        expect(fieldsets.nth(i).locator(".save-status")).to_have_text("Saved")
    return answers


def assert_answers_shown(page: Page, answers: dict[str, tuple[str, list[str]]]) -> None:
    """Every answer is selected/filled, and no other choice is."""
    for key, (kind, values) in answers.items():
        fieldset = page.locator(f'fieldset[data-item="{key}"]')
        if kind == "numeric":
            expect(fieldset.locator(f'input[name="item-{key}"]')).to_have_value(values[0])
            continue
        if kind == "select":
            selects = fieldset.locator(f'select[name="item-{key}"]')
            for j, value in enumerate(values):
                expect(selects.nth(j)).to_have_value(value)
            continue
        options = fieldset.locator(f'input[name="item-{key}"]')
        for j in range(options.count()):
            option = options.nth(j)
            if option.get_attribute("value") in values:
                expect(option).to_be_checked()
            else:
                expect(option).not_to_be_checked()


def open_stage_index(page: Page) -> int:
    return int(page.locator("#stage-form").get_attribute("data-stage"))


def assert_locked(page: Page, index: int, answers: dict[str, tuple[str, list[str]]]) -> None:
    """Stage ``index`` is shown as Locked, without inputs, with an answer for every question."""
    stage = page.locator(f"#stage-{index}")
    expect(stage).to_have_class(re.compile(r"\bstage-locked\b"))
    expect(stage.locator("h2 .badge")).to_have_text("Locked")
    expect(stage.locator("input")).to_have_count(0)
    summary = stage.locator("details.locked-answers > summary")
    expect(summary).to_contain_text(f"{len(answers)} of {len(answers)} answered")
    summary.click()  # locked answers are folded away to keep the page short
    given = stage.locator("li .text-body-secondary")
    expect(given).to_have_count(len(answers))
    for j in range(given.count()):
        text = given.nth(j).inner_text()
        assert text.startswith("Your answer:") and "No answer" not in text, f"stage {index}: {text!r}"


def assert_no_console_errors(journey, url_pattern: str | None, where: str) -> None:
    errors = list(journey.errors(url_pattern))
    assert not errors, f"console errors / CSP violations on {where}:\n" + "\n".join(
        f"  {e.type} at {e.url}: {e.text} ({e.source})" for e in errors
    )


def fill_setup_form(page: Page) -> None:
    """Create the academy and its first admin on the set-up page."""
    page.get_by_label("Academy name").fill(ACADEMY)
    page.get_by_label("Your name").fill(ADMIN["name"])
    page.get_by_label("Your email").fill(ADMIN["email"])
    page.get_by_label("Password", exact=True).fill(ADMIN["password"])
    page.get_by_label("Repeat the password").fill(ADMIN["password"])
    page.get_by_role("button", name="Create the academy").click()


# --------------------------------------------------------------------------- the journey


def test_01_first_run_setup_then_sign_out(journey) -> None:
    page = journey.page
    page.goto(journey.url("/"))
    expect(page).to_have_url(journey.url("/setup"))
    expect(page.get_by_role("heading", name="Set up your academy")).to_be_visible()
    journey.shoot("setup")

    fill_setup_form(page)

    expect(page).to_have_url(journey.url("/"))
    expect(page.get_by_role("heading", name="Case-based modules")).to_be_visible()
    expect(page.locator(".alert")).to_contain_text(f"Welcome. {ACADEMY} is ready.")
    expect(page.locator(".navbar-brand")).to_have_text(ACADEMY)
    expect(page).to_have_title(f"Modules · {ACADEMY}")
    open_nav(journey)
    expect(page.locator(".navbar-text")).to_contain_text(f"{ADMIN['name']} · admin")
    expect(page.get_by_role("link", name=MODULE_TITLE)).to_be_visible()
    journey.shoot("catalogue-admin")

    sign_out(journey)
    journey.shoot("login-signed-out")

    # Set-up is gone once an admin exists.
    page.goto(journey.url("/setup"))
    expect(page).to_have_url(journey.url("/login"))
    expect(page.locator(".alert")).to_contain_text("already set up")
    journey.done.add("setup")


def test_02_student_answers_survive_a_reload(journey) -> None:
    journey.require("setup")
    page = journey.page
    email = f"sam.student.{journey.viewport}@example.com"
    journey.server.create_user(email, "student", "Sam Student", STUDENT_PASSWORD)

    page.goto(journey.url("/"))
    expect(page).to_have_url(re.compile(r"/login\?next=(%2F|/)$"))
    journey.shoot("login")
    sign_in(page, email, STUDENT_PASSWORD)

    expect(page).to_have_url(journey.url("/"))
    card = page.locator("article.card").filter(has_text=MODULE_TITLE)
    expect(card).to_be_visible()
    expect(card.get_by_role("button", name="Start")).to_be_visible()
    open_nav(journey)
    expect(page.locator(".navbar-text")).to_contain_text("Sam Student · student")
    journey.shoot("catalogue-student")

    card.get_by_role("link", name=MODULE_TITLE).click()
    expect(page).to_have_url(journey.url("/modules/thread-lift-nerve-pain"))
    expect(page.get_by_role("heading", name=MODULE_TITLE)).to_be_visible()
    journey.shoot("module")
    page.get_by_role("button", name="Start the module").click()

    expect(page).to_have_url(ATTEMPT_PATH)
    journey.data["attempt_url"] = page.url
    journey.data["attempt_id"] = int(ATTEMPT_PATH.search(page.url).group(1))
    expect(page.locator("#stage-form")).to_have_attribute("data-stage", "0")
    expect(page.get_by_text("Stage 1 of 4.")).to_be_visible()
    journey.shoot("take-stage-1")

    answers = answer_open_stage(page)
    journey.data["answers"] = {0: answers}
    journey.shoot("take-stage-1-answered")

    page.reload()
    expect(page.locator("#stage-form")).to_have_attribute("data-stage", "0")
    assert_answers_shown(page, answers)
    journey.shoot("take-stage-1-after-reload")
    assert_no_console_errors(journey, r"/attempts/\d+", "the take page")
    journey.done.add("stage-1")


def test_03_every_stage_locks_and_the_attempt_is_submitted(journey) -> None:
    journey.require("stage-1")
    page = journey.page
    all_answers: dict[int, dict] = journey.data["answers"]
    warned = False

    while True:
        index = open_stage_index(page)
        if index not in all_answers:
            if not warned:
                # Try to move on with nothing answered: the app warns and names the blanks.
                page.get_by_role("button", name=LOCK_BUTTON).click()
                warning = page.locator("#blank-warning")
                expect(warning).to_be_in_viewport()
                expect(warning).to_contain_text("Still blank")
                expect(warning).to_contain_text("Once you move on, this stage locks.")
                expect(page.locator("#stage-form")).to_have_attribute("data-stage", str(index))
                journey.shoot(f"take-stage-{index + 1}-blank-warning")
                warned = True
            all_answers[index] = answer_open_stage(page)
            journey.shoot(f"take-stage-{index + 1}-answered")

        move_on = page.get_by_role("button", name="Move on anyway")
        lock = page.get_by_role("button", name=LOCK_BUTTON)
        submit = page.get_by_role("button", name="Submit the attempt")
        if submit.count():
            expect(lock).to_have_count(0)
            break
        (move_on if move_on.count() else lock).click()

        expect(page).to_have_url(re.compile(rf"/attempts/\d+#stage-{index + 1}$"))
        expect(page.locator(f"#stage-{index + 1}")).to_be_in_viewport()  # the new stage opens in view
        journey.shoot(f"take-stage-{index + 2}")
        for earlier in range(index + 1):
            assert_locked(page, earlier, all_answers[earlier])
        expect(page.locator("#stage-form")).to_have_attribute("data-stage", str(index + 1))
        expect(page.get_by_text(f"Stage {index + 2} of 4.")).to_be_visible()

    assert sorted(all_answers) == [0, 1, 2, 3], f"stages answered: {sorted(all_answers)}"
    assert warned, "the blank-questions warning never appeared"
    assert_no_console_errors(journey, r"/attempts/\d+", "the take page")

    # Submitting is final, so the page asks first: dismissing keeps the attempt open.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Submit the attempt").click()
    expect(page.locator("#stage-form")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit the attempt").click()
    expect(page).to_have_url(journey.url(f"/attempts/{journey.data['attempt_id']}/result"))
    journey.data["item_keys"] = [key for stage in sorted(all_answers) for key in all_answers[stage]]
    journey.done.add("submitted")


def test_04_result_page_explains_and_links_to_lessons(journey) -> None:
    journey.require("submitted")
    page = journey.page
    expect(page.get_by_role("heading", name=f"{MODULE_TITLE}: your result")).to_be_visible()

    summary = page.locator(".result-summary")
    expect(summary.locator(".display-6")).to_have_text(re.compile(r"^\d{1,3}%$"))
    expect(summary.locator(".badge")).to_have_text(re.compile(r"^(Passed|Not passed|Not passed: safety)$"))
    expect(summary).to_contain_text("Pass mark 70%")
    percent = int(summary.locator(".display-6").inner_text().rstrip("%"))
    assert 0 <= percent <= 100
    journey.data["percent"] = percent

    keys = journey.data["item_keys"]
    items = page.locator("article.result-item")
    expect(items).to_have_count(len(keys))
    hrefs = []
    # Result items are found by their number: a page never names an item by its authored key.
    for number, key in enumerate(keys, 1):
        item = page.locator(f"#question-{number}")
        expect(item).to_have_count(1)
        explanations = item.locator(".explanation")
        assert explanations.count() >= 1, f"no explanation for {key}"
        assert explanations.first.inner_text().strip(), f"empty explanation for {key}"
        expect(item.locator("dd").first).not_to_have_text("No answer")
        link = item.get_by_role("link", name=re.compile(r"^Lesson: "))
        expect(link).to_have_attribute("href", re.compile(r"^/lessons/[\w-]+#[\w-]+$"))
        hrefs.append(link.get_attribute("href"))
    journey.shoot("result")
    assert_no_console_errors(journey, r"/result$", "the result page")

    # Follow the first lesson link: the lesson opens at that section.
    first = hrefs[0]
    anchor = first.split("#", 1)[1]
    page.locator("#question-1").get_by_role("link", name=re.compile(r"^Lesson: ")).click()
    expect(page).to_have_url(journey.url(first))
    section = page.locator(f"section#{anchor}")
    expect(section).to_have_count(1)
    expect(section).to_be_in_viewport()
    expect(section.locator("h2")).to_be_visible()
    journey.shoot("lesson-at-section", full_page=False)
    journey.shoot("lesson")

    # Every lesson link of the result page points at a section that exists.
    for href in sorted(set(hrefs)):
        path, target = href.split("#", 1)
        if urlparse(page.url).path != path:
            page.goto(journey.url(path))
        expect(page.locator(f"section#{target}")).to_have_count(1)
    journey.done.add("result")


def test_05_my_progress_shows_mastery_and_history(journey) -> None:
    journey.require("result")
    page = journey.page
    go_to_nav_link(journey, "My progress")
    expect(page).to_have_url(journey.url("/progress"))
    expect(page.get_by_role("heading", name="My progress", exact=True)).to_be_visible()

    rows = page.locator(".mastery-row")
    expect(rows.locator(".mastery-topic")).to_have_text(TOPICS)
    for i in range(rows.count()):
        expect(rows.nth(i).locator(".mastery-value")).to_contain_text(re.compile(r"\d{1,3}%"))
        expect(rows.nth(i).locator(".mastery-detail")).to_contain_text(re.compile(r"questions? answered"))

    history = page.locator("table tbody tr")
    expect(history).to_have_count(1)
    row = history.first
    expect(row).to_contain_text(MODULE_TITLE)
    expect(row).to_contain_text(f"{journey.data['percent']}%")
    expect(row.locator(".badge")).to_have_text(re.compile(r"^(Passed|Not passed|Not passed: safety)$"))
    review = row.get_by_role("link", name="Review")
    expect(review).to_have_attribute("href", f"/attempts/{journey.data['attempt_id']}/result")
    journey.shoot("progress")

    sign_out(journey)
    journey.shoot("login-end")
    journey.done.add("progress")


def test_06_no_console_errors_anywhere(journey) -> None:
    journey.require("progress")
    assert_no_console_errors(journey, None, "any page of the journey")


# --------------------------------------------------------------------------- regressions
# Bugs this journey once found; each check keeps it from coming back.


def test_07_phone_menu_opens(journey) -> None:
    """Wherever the journey needed the main menu, its links were visible (opened on a phone)."""
    journey.require("progress")
    checks = journey.data.get("nav_visible", [])
    assert checks, "the journey never used the main menu"
    hidden = [url for url, visible in checks if not visible]
    assert not hidden, f"the main menu did not open on: {hidden}"


def test_08_every_asset_loads(journey) -> None:
    """Every stylesheet, script and image of every page came back 200 without a redirect."""
    journey.require("progress")
    problems: dict[str, None] = {}  # each problem once, in the order first seen
    for a in journey.assets:
        problems.setdefault(
            f"{a.status} {a.resource_type} {a.url} ({'redirected, ' if a.redirected else ''}{a.content_type})"
        )
    assert not problems, "\n".join(problems)


def test_09_overtaken_autosave_is_not_lost(journey) -> None:
    """Two answers saved at once (two connections) must both be kept, whatever order they arrive in.

    The network is made to deliver the first save after the second, as a slow connection may.
    """
    journey.require("progress")
    page = journey.page
    email = f"rita.race.{journey.viewport}@example.com"
    journey.server.create_user(email, "student", "Rita Race", STUDENT_PASSWORD)
    page.goto(journey.url("/login"))
    sign_in(page, email, STUDENT_PASSWORD)
    expect(page).to_have_url(journey.url("/dashboard"))  # a student lands on their dashboard
    page.goto(journey.url("/"))
    page.locator("article.card").filter(has_text=MODULE_TITLE).get_by_role("button", name="Start").click()
    expect(page).to_have_url(ATTEMPT_PATH)

    held: list = []

    def hold_first_save(route) -> None:
        if not held:
            held.append(route)  # delivered later, after the second save
        else:
            route.continue_()

    page.route("**/autosave", hold_first_save)
    first = page.locator("fieldset[data-item]").nth(0)
    last = page.locator("fieldset[data-item]").nth(-1)
    first_choice = first.locator("input[type=radio]").first
    first_choice.check()
    expect(first.locator(".save-status")).to_have_text("Saving…")
    last.locator("input[type=radio]").first.check()
    expect(last.locator(".save-status")).to_have_text("Saved")
    with page.expect_response("**/autosave") as late:
        held[0].continue_()
    status_after = late.value.status
    page.unroute("**/autosave")
    shown = first.locator(".save-status").inner_text()

    page.reload()
    journey.shoot("autosave-overtaken-after-reload")
    kept = page.locator("fieldset[data-item]").nth(0).locator("input[type=radio]:checked").count() == 1
    assert shown != "Saved" or kept, (
        f"question 1 said {shown!r} (its save got HTTP {status_after}), but after a reload it is blank"
    )
    assert kept, f"question 1's answer was lost (HTTP {status_after}); the page said {shown!r}"


def test_10_a_busy_server_or_lost_connection_keeps_the_answer_and_retries(journey) -> None:
    """A save answered 503 (Retry-After) or lost on the network stays in the page and is sent again.

    The network answers the first save with the server's busy reply, drops the second, and
    lets the third through: the page says it is not saved yet and will retry, never clears
    the answer, and each retry carries a newer sequence number.
    """
    journey.require("progress")
    page = journey.page
    email = f"bea.busy.{journey.viewport}@example.com"
    journey.server.create_user(email, "student", "Bea Busy", STUDENT_PASSWORD)
    page.goto(journey.url("/"))
    sign_out(journey)  # test_09's student is still signed in
    sign_in(page, email, STUDENT_PASSWORD)
    expect(page).to_have_url(journey.url("/dashboard"))
    page.goto(journey.url("/"))
    page.locator("article.card").filter(has_text=MODULE_TITLE).get_by_role("button", name="Start").click()
    expect(page).to_have_url(ATTEMPT_PATH)

    sent: list[int] = []

    def busy_then_offline(route) -> None:
        sent.append(route.request.post_data_json["seq"])
        if len(sent) == 1:
            busy = {"error": "The academy is very busy and nothing was saved.", "status": 503, "retry": True}
            route.fulfill(status=503, headers={"Retry-After": "1"}, json=busy)
        elif len(sent) == 2:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/autosave", busy_then_offline)
    first = page.locator("fieldset[data-item]").nth(0)
    status = first.locator(".save-status")
    choice = first.locator("input[type=radio]").first
    choice.check()
    expect(status).to_contain_text("Not saved yet: the academy's server is busy")
    expect(status).to_contain_text("trying again")
    expect(choice).to_be_checked()
    expect(status).to_contain_text("Not saved yet: no connection", timeout=10_000)
    expect(choice).to_be_checked()
    expect(status).to_have_text("Saved", timeout=15_000)
    page.unroute("**/autosave")
    assert len(sent) == 3 and sent == sorted(set(sent)), f"each retry needs a newer sequence number: {sent}"
    picked = choice.get_attribute("value")
    page.reload()
    expect(page.locator(f"fieldset[data-item] input[value='{picked}']")).to_be_checked()
    # The browser logs the two refusals this test staged; they are expected here, and the
    # journey's console (shared with later tests that require a clean one) must not keep them.
    staged = [e for e in journey.console if e.source.endswith("/autosave") and re.search("503|DISCONNECTED", e.text)]
    assert len(staged) == 2, staged
    for entry in staged:
        journey.console.remove(entry)
