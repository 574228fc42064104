"""Hostile authored content: XSS payloads in every authored text field execute nothing in Chromium.

A module whose every text field (title, summary, case title and client line, stage titles and
narratives, question stems, choice text and feedback, explanations, the photo's alt text)
carries classic XSS payloads is imported as a pack, given a photo through the editor, and
published. It is then opened as the instructor (module page, draft outline, editor forms,
preview with answers) and as a student (module page, take page, tutor-mode feedback, result
page, review, dashboard). On every page ``window.__xss`` must stay undefined, no dialog may
open, no element may carry an ``on*`` attribute or a ``javascript:`` URL, and clicking every
link in ``main`` runs nothing either.

This file starts ITS OWN app server with its own empty database (like test_accessibility.py),
so the journeys' server is never touched.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, AppServer, serve_app, sign_in, watched_page
from PIL import Image
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "[link](javascript:window.__xss=1)",
    '<a href="javascript:window.__xss=1">x</a>',
    '<svg onload="window.__xss=1">',
    "<svg><script>window.__xss=1</script></svg>",
    '"><script>window.__xss=1</script>',
    '<iframe src="javascript:window.__xss=1">',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
]
ALL = "\n\n".join(f"Para {n}: {p}" for n, p in enumerate(PAYLOADS))  # Markdown fields get every payload
SLUG = "hostile-module"
ACADEMY = "Hostile Content Academy"
ADMIN = ("ada.hostile@example.com", "Ada Admin", "maple-harbor-7714")
TEACHER = ("ian.hostile@example.com", "Ian Instructor", "copper-lantern-2290")
STUDENT = ("sue.hostile@example.com", "Sue Student", "tulip-ledger-5813")
ALT = '"><script>window.__xss=1</script><img src=x onerror="window.__xss=1"> swelling'
CONFIRM = "Submit the attempt?"

# Anything on the page that could run script: on* attributes, javascript: (or data:/vbscript:) URLs,
# script elements that do not come from the app's own files, frames, embedded objects, scripted SVG
# (the app's own SVG charts and icons are fine).
_DANGER = r"""
() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\s\u0000-\u001f]+/g, "").toLowerCase();
      if (name.startsWith("on")) bad.push(`${el.tagName} ${name}=${attr.value}`);
      if (["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"].includes(name) &&
          /^(javascript|vbscript|data:text\/html)/.test(value))
        bad.push(`${el.tagName} ${name}=${attr.value}`);
    }
    const tag = el.tagName.toLowerCase();
    if (tag === "script" && !(el.getAttribute("src") || "").startsWith("/"))
      bad.push(`inline script ${el.outerHTML.slice(0, 80)}`);
    if (["iframe", "frame", "object", "embed", "math", "mglyph"].includes(tag) && el.closest("main"))
      bad.push(`${tag} in main`);
    if (tag === "svg" && el.querySelector("script, foreignObject, iframe"))
      bad.push(`svg with script: ${el.outerHTML.slice(0, 80)}`);
  }
  return bad;
}
"""


# --------------------------------------------------------------------------- the server and the pack


@pytest.fixture
def hostile_server(viewport_name: str, tmp_path_factory: pytest.TempPathFactory):
    """The real app with its own empty database (not the journeys' server)."""
    with serve_app(f"hostile-{viewport_name}", tmp_path_factory) as server:
        yield server


def _item(key: str, n: int) -> dict:
    return {
        "key": key,
        "type": "single",
        "topic": "anatomy",
        "lesson": "thread-lift-anatomy#sensory-nerves",
        "prompt": f"Question {n}. {ALL}",
        "explanation": f"Explanation {n}. {ALL}",
        "choices": [
            {"id": "right", "text": f"Right {PAYLOADS[n]}", "correct": True, "feedback": f"Yes. {ALL}"},
            {"id": "wrong", "text": f"Wrong {PAYLOADS[n + 1]}", "feedback": f"No. {ALL}"},
        ],
    }


def write_pack(folder: Path) -> Path:
    """The hostile module (tutor mode, two stages) plus the shipped lessons its items link to."""
    module = {
        "kind": "module",
        "slug": SLUG,
        "title": f"Hostile {PAYLOADS[0]}",
        "procedure": "thread-lift",
        "summary": f"Summary. {ALL}",
        "settings": {"pass_mark": 70, "feedback": "after-each-stage"},
        "cases": [
            {
                "key": "hostile-case",
                "title": f"Case {PAYLOADS[6]}",
                "client": f"Client {PAYLOADS[1]}",
                "stages": [
                    {
                        "title": f"Stage one {PAYLOADS[4]}",
                        "narrative": f"Narrative one. {ALL}",
                        "items": [_item("q-one", 2)],
                    },
                    {
                        "title": f"Stage two {PAYLOADS[7]}",
                        "narrative": f"Narrative two. {ALL}",
                        "items": [_item("q-two", 5)],
                    },
                ],
            }
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "module.yaml").write_text(yaml.safe_dump(module, sort_keys=False, allow_unicode=True), encoding="utf-8")
    shutil.copytree(ROOT / "quizzes" / "packs" / "lessons", folder / "lessons")
    return folder


# --------------------------------------------------------------------------- the checks


class Watch:
    """Checks pages for anything the payloads could have run, and keeps what it found."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.dialogs: list[str] = []
        self.pages: list[str] = []
        self.expect_confirm = False

    def attach(self, page: Page) -> Page:
        def on_dialog(dialog) -> None:
            if not (self.expect_confirm and dialog.type == "confirm" and dialog.message.startswith(CONFIRM)):
                self.dialogs.append(f"{page.url}: {dialog.type} {dialog.message!r}")
            dialog.accept()

        page.on("dialog", on_dialog)
        page.context.on("page", lambda popup: popup.on("dialog", on_dialog))
        return page

    def check(self, page: Page, name: str, *, payload_shown: bool = True) -> None:
        page.wait_for_load_state("load")
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        self.pages.append(name)
        if payload_shown:  # the content is really there (escaped), or the check proves nothing
            assert "__xss" in page.content(), f"{name}: the hostile content is not on the page"
        self._ran(page, name)
        self.found += [f"{name}: {what}" for what in page.evaluate(_DANGER)]

    def click_every_link(self, page: Page, name: str) -> None:
        """Click each link in main (from a freshly loaded page each time); nothing may run."""
        url = page.url
        count = page.locator("main a").count()
        for index in range(count):
            page.goto(url)
            link = page.locator("main a").nth(index)
            if not link.is_visible():
                page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            try:
                link.click(timeout=3000)
            except Exception:  # noqa: BLE001 - a hidden or covered link: dispatch the click instead
                link.dispatch_event("click")
            page.wait_for_load_state("load")
            self._ran(page, f"{name}, link {index} -> {page.url}")
            for popup in page.context.pages[1:]:
                if popup is not page:
                    self._ran(popup, f"{name}, link {index} popup")
                    popup.close()
        page.goto(url)

    def _ran(self, page: Page, name: str) -> None:
        if page.evaluate("typeof window.__xss") != "undefined":
            self.found.append(f"{name}: window.__xss was set")
        frames = [f for f in page.frames if f != page.main_frame]
        for frame in frames:
            try:
                if frame.evaluate("typeof window.__xss") != "undefined":
                    self.found.append(f"{name}: window.__xss was set in a frame")
            except Exception:  # noqa: BLE001 - a cross-origin or blocked frame
                self.found.append(f"{name}: a frame was created ({frame.url})")


# --------------------------------------------------------------------------- the test


def test_xss_payloads_in_authored_content_run_nothing(
    browser, viewport_name: str, hostile_server: AppServer, tmp_path: Path
) -> None:
    watch = Watch()
    console: list = []
    assets: list = []
    contexts = []

    def new_page() -> Page:
        context, page = watched_page(browser, hostile_server.base_url, viewport_name, console, assets)
        contexts.append(context)
        return watch.attach(page)

    try:
        _visit(hostile_server, watch, new_page, tmp_path)
    finally:
        for context in contexts:
            context.close()

    assert len(watch.pages) >= 15, watch.pages
    assert not watch.found, "hostile content ran or left script behind:\n" + "\n".join(watch.found)
    assert not watch.dialogs, "a dialog opened:\n" + "\n".join(watch.dialogs)
    ran = [e for e in console if e.type == "pageerror"]
    assert not ran, "uncaught exceptions:\n" + "\n".join(f"{e.url}: {e.text}" for e in ran)


def _visit(server: AppServer, watch: Watch, new_page, tmp_path: Path) -> None:
    check = watch.check

    # ---- first run: set-up, then the instructor and the student
    admin = new_page()
    admin.goto("/")
    expect(admin).to_have_url(re.compile(r"/setup$"))
    admin.get_by_label("Academy name").fill(ACADEMY)
    admin.get_by_label("Your name").fill(ADMIN[1])
    admin.get_by_label("Your email").fill(ADMIN[0])
    admin.get_by_label("Password", exact=True).fill(ADMIN[2])
    admin.get_by_label("Repeat the password").fill(ADMIN[2])
    admin.get_by_role("button", name="Create the academy").click()
    expect(admin.get_by_role("heading", name="Case-based modules")).to_be_visible()
    server.create_user(TEACHER[0], "instructor", TEACHER[1], TEACHER[2])
    server.create_user(STUDENT[0], "student", STUDENT[1], STUDENT[2])

    # ---- the hostile module, imported as a pack (the same path the editor's saves take: a Module document)
    done = server.flask("packs", "import", str(write_pack(tmp_path / "pack")))
    assert done.returncode == 0, f"pack import failed:\n{done.stdout}\n{done.stderr}"

    # ---- admin: Ian edits the module (a pack brings a module in without editors)
    admin.goto(f"/author/modules/{SLUG}/editors")
    admin.get_by_label("Instructor or admin").select_option(label=f"{TEACHER[1]} ({TEACHER[0]}, instructor)")
    admin.get_by_role("button", name="Add as editor").click()
    expect(admin.get_by_text(f"{TEACHER[1]} can now change this module.")).to_be_visible()

    # ---- instructor: a photo with a hostile alt text (through the editor), then the editor pages, publish
    ian = new_page()
    sign_in(ian, TEACHER[0], TEACHER[2])
    photo = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), (200, 150, 150)).save(photo)
    ian.goto(f"/author/modules/{SLUG}/cases/0/photo")
    ian.locator("input[type=file]").set_input_files(str(photo))
    ian.locator("input[name=alt]").fill(ALT)
    ian.get_by_role("button", name="Add the photo").click()
    expect(ian).to_have_url(re.compile(rf"/author/modules/{SLUG}$"))
    check(ian, "author module page (draft)")
    ian.goto(f"/author/modules/{SLUG}/cases/0/photo")
    check(ian, "case photo page")
    for path, name in [
        (f"/author/modules/{SLUG}/draft", "draft outline"),
        (f"/author/modules/{SLUG}/draft/cases/0", "edit case"),
        (f"/author/modules/{SLUG}/draft/cases/0/stages/0", "edit stage"),
        (f"/author/modules/{SLUG}/draft/cases/0/stages/0/items/0", "edit item"),
        (f"/author/modules/{SLUG}/draft/settings", "edit settings"),
        (f"/author/modules/{SLUG}/preview", "preview"),
        (f"/author/modules/{SLUG}/preview?stage=1&answers=1", "preview with answers"),
    ]:
        response = ian.goto(path)
        assert response is not None and response.status == 200, (
            f"{name}: {path} answered {response and response.status}"
        )
        check(ian, name, payload_shown=name != "edit settings")
    watch.click_every_link(ian, "preview with answers")
    ian.goto(f"/author/modules/{SLUG}")
    ian.locator(f"form[action$='/author/modules/{SLUG}/publish'] button").first.click()
    expect(ian.locator(".alert-success").first).to_be_visible()
    check(ian, "author module page (published)")
    ian.goto("/author/curriculum")
    check(ian, "curriculum", payload_shown=False)

    # ---- student: the module, the take page (tutor mode: feedback as each stage locks), the result
    sue = new_page()
    sign_in(sue, STUDENT[0], STUDENT[2])
    sue.goto("/")
    check(sue, "catalogue (student)")
    sue.goto(f"/modules/{SLUG}")
    check(sue, "module page (student)")
    watch.click_every_link(sue, "module page (student)")
    sue.get_by_role("button", name=re.compile(r"^(Start|Resume)")).first.click()
    expect(sue).to_have_url(re.compile(r"/attempts/\d+$"))
    assert sue.locator("main img[src^='/media/']").count() == 1  # the photo (and its alt text) is shown
    check(sue, "take page, stage 1")
    watch.click_every_link(sue, "take page, stage 1")
    # Values and item names are opaque tokens: pick a choice by the words shown, as a person does.
    attempt_id = int(sue.url.rsplit("/", 1)[1])
    sue.locator(f"fieldset[data-item='{server.item_ref(attempt_id, 'q-one')}'] .form-check").filter(
        has_text="Wrong"
    ).locator("input").check()
    sue.get_by_role("button", name="Lock answers and go to the next stage").click()
    expect(sue).to_have_url(re.compile(r"/attempts/\d+#stage-\d+$"))
    check(sue, "take page, stage 2 (stage 1 feedback shown)")
    watch.click_every_link(sue, "take page, stage 2")
    sue.locator(f"fieldset[data-item='{server.item_ref(attempt_id, 'q-two')}'] .form-check").filter(
        has_text="Right"
    ).locator("input").check()
    watch.expect_confirm = True
    sue.get_by_role("button", name="Submit the attempt").click()
    expect(sue).to_have_url(re.compile(r"/attempts/\d+/result$"))
    watch.expect_confirm = False
    check(sue, "result page")
    watch.click_every_link(sue, "result page")
    for path, name in [("/dashboard", "dashboard"), ("/progress", "progress"), ("/review", "review")]:
        sue.goto(path)
        check(sue, name, payload_shown=False)
        watch.click_every_link(sue, name)
    if sue.locator("main form button").count() and re.search(r"/review/\d+", sue.url):
        check(sue, "review card")

    # ---- the instructor's report of the attempt
    ian.goto("/reports/")
    check(ian, "reports", payload_shown=False)
    attempt_links = ian.locator("main a[href*='/reports/attempts/']")
    if attempt_links.count():
        attempt_links.first.click()
        check(ian, "attempt report (instructor)")
