"""Browser end-to-end fixtures: the real app in a subprocess, driven by Debian's Chromium.

Every viewport (phone, desktop) gets its own server with its own empty SQLite database,
so the first-run set-up page appears for each. Tests in ``tests/browser`` run in file
order per viewport and share one browser page (a journey), so later steps build on the
state earlier steps left behind.

Nothing here downloads browsers: Playwright launches ``/usr/bin/chromium``. When
Chromium or Playwright cannot start, the tests FAIL (they never skip).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from quizzes.items.tokens import scoped_tokens
from tests.feature_pack import feature_pack

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium")  # Debian's package
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False},
}
SERVER_START_TIMEOUT = 30  # seconds
DEFAULT_TIMEOUT_MS = 10_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: end-to-end test in a real browser (Chromium via Playwright)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/browser carries the ``browser`` marker, even if a module forgets it."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# --------------------------------------------------------------------------- the app server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppServer:
    """A running ``flask run`` subprocess and what is needed to talk to it."""

    base_url: str
    env: dict[str, str]
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def flask(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run ``flask --app app ARGS`` against this server's database (same env, same cwd)."""
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def item_ref(self, attempt_id: int, key: str) -> str:
        """What attempt ``attempt_id``'s take page calls item ``key`` (``fieldset[data-item]``, ``item-<ref>``)."""
        return scoped_tokens(self.env["SECRET_KEY"].encode(), f"attempt:{attempt_id}").item_ref(key)

    def create_user(self, email: str, role: str, name: str, password: str) -> dict:
        done = self.flask("create-user", email, "--role", role, "--name", name, "--password", password)
        assert done.returncode == 0, f"create-user failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        line = [ln for ln in done.stdout.splitlines() if ln.startswith("{")][-1]
        created = json.loads(line)
        assert created["created"] == email.lower() and created["role"] == role, created
        return created


def _wait_until_answering(server: AppServer) -> None:
    """Poll until the server sends any HTTP answer (``/`` redirects; redirects are not followed)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"the app exited with {server.proc.returncode} before answering:\n{server.log()}")
        try:
            with opener.open(server.base_url + "/", timeout=2) as response:
                response.read()
            return
        except urllib.error.HTTPError:
            return  # a 3xx/4xx is an answer: the server is up
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last_error = exc
            time.sleep(0.1)
    pytest.fail(f"the app did not answer within {SERVER_START_TIMEOUT}s ({last_error}):\n{server.log()}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session", params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport_name(request: pytest.FixtureRequest) -> str:
    """Each browser test runs once per viewport; pytest groups the tests by viewport."""
    return request.param


@contextlib.contextmanager
def serve_app(name: str, tmp_path_factory: pytest.TempPathFactory, packs: str | None = None) -> Iterator[AppServer]:
    """The real app (``python -m flask --app app run``) on a free port, with an EMPTY database of its own.

    First start loads ``packs``: by default the feature tests' copy of the starter pack (see
    ``tests/feature_pack.py``); the shipped pack itself for tests of its strict rules.
    """
    tmp = tmp_path_factory.mktemp(f"academy-{name}")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'academy.db'}",
        "INSTANCE_PATH": str(tmp / "instance"),  # its own secret key, lock and photos
        "SECRET_KEY": f"browser-test-secret-{name}",
        "PYTHONUNBUFFERED": "1",
        "FLASK_STARTER_PACKS": packs or str(feature_pack()),
    }
    env.pop("FLASK_RUN_PORT", None)
    log_path = tmp / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            # --no-reload: one process, so terminate() stops the whole server even if FLASK_DEBUG is set
            [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port), "--no-reload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = AppServer(base_url=f"http://127.0.0.1:{port}", env=env, proc=proc, log_path=log_path)
        try:
            _wait_until_answering(server)
            yield server
        finally:
            _stop(proc)


@pytest.fixture(scope="session")
def app_server(viewport_name: str, tmp_path_factory: pytest.TempPathFactory):
    """The journeys' server, one per viewport; other test files may start their own with ``serve_app``."""
    with serve_app(viewport_name, tmp_path_factory) as server:
        yield server


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright; any failure to start is a test failure, not a skip."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"Playwright is not importable: {exc}")
    try:
        pw = sync_playwright().start()
    except Exception as exc:  # noqa: BLE001 - any start-up problem must fail the run
        pytest.fail(f"Playwright could not start: {exc!r}")
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001
        pw.stop()
        pytest.fail(f"Chromium could not start: {exc!r}")
    yield browser
    browser.close()
    pw.stop()


@dataclass
class ConsoleEntry:
    url: str  # the page it happened on
    type: str
    text: str
    source: str = ""  # the script or resource the message is about, when Chromium says


@dataclass
class AssetProblem:
    page: str
    url: str
    resource_type: str
    status: int
    content_type: str
    redirected: bool


@dataclass
class Journey:
    """One student journey at one viewport: the page, screenshots, console log and step flags."""

    viewport: str
    server: AppServer
    page: object  # playwright.sync_api.Page
    shots_dir: Path
    console: list[ConsoleEntry] = field(default_factory=list)
    assets: list[AssetProblem] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    data: dict = field(default_factory=dict)
    _shot: int = 0

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def shoot(self, name: str, *, full_page: bool = True) -> Path:
        """A full-page PNG: artifacts/screenshots/<viewport>/<nn>-<name>.png."""
        self._shot += 1
        path = self.shots_dir / f"{self._shot:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def require(self, *steps: str) -> None:
        """Fail (never skip) when an earlier step of this journey did not complete."""
        missing = [s for s in steps if s not in self.done]
        if missing:
            pytest.fail(f"[{self.viewport}] earlier journey step(s) failed: {', '.join(missing)}")

    def errors(self, url_pattern: str | None = None) -> list[ConsoleEntry]:
        """Console errors, uncaught exceptions and CSP violations on pages whose URL matches."""
        rx = re.compile(url_pattern) if url_pattern else None
        return [e for e in self.console if e.type in ("error", "pageerror") and (rx is None or rx.search(e.url))]


# Reports Content-Security-Policy violations as console errors (Chromium logs most of them
# itself; this also catches ones reported only through the DOM event).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def sign_in(page, email: str, password: str) -> None:
    """Open the sign-in page, sign in, and wait until it has let the user in."""
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def open_main_menu(page) -> None:
    """On a narrow screen open the collapsed main menu; return once its links are visible.

    Bootstrap's script runs at the end of the page, so a click on the toggler before the
    page has loaded does nothing (seen on a slow machine): wait for the load first.
    """
    from playwright.sync_api import expect

    page.wait_for_load_state("load")
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    expect(page.locator("#nav")).to_be_visible()


def watched_page(browser, base_url: str, viewport: str, console: list, assets: list):
    """A page in a new browser context (its own cookies) at ``viewport``, whose console
    errors, uncaught exceptions, CSP violations and failed assets are appended to the lists.
    Returns (context, page); the caller closes the context."""
    # Reduced motion: Bootstrap then skips its collapse and scroll animations, so a click never
    # lands on a menu that is still opening (a person waits for it; a test would race it).
    context = browser.new_context(
        base_url=base_url, device_scale_factor=1, reduced_motion="reduce", **VIEWPORTS[viewport]
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: console.append(ConsoleEntry(page.url, msg.type, msg.text, (msg.location or {}).get("url", ""))),
    )
    page.on("pageerror", lambda exc: console.append(ConsoleEntry(page.url, "pageerror", str(exc))))

    def _response(response) -> None:
        request = response.request
        if request.resource_type not in ("stylesheet", "script", "image", "font"):
            return
        # An asset must not fail, nor arrive by way of a redirect (the app sent a page instead).
        # (3xx responses themselves are skipped: 304 is fine, a redirect shows on its target.)
        if response.status >= 400 or request.redirected_from is not None:
            assets.append(
                AssetProblem(
                    page.url,
                    (request.redirected_from or request).url,
                    request.resource_type,
                    response.status,
                    response.headers.get("content-type", ""),
                    request.redirected_from is not None,
                )
            )

    page.on("response", _response)
    return context, page


@pytest.fixture(scope="session")
def journey(browser, app_server: AppServer, viewport_name: str):
    """A fresh browser context at the viewport, pointed at this viewport's own server."""
    shots_dir = SCREENSHOTS / viewport_name
    if shots_dir.exists():
        shutil.rmtree(shots_dir)
    shots_dir.mkdir(parents=True)
    console: list[ConsoleEntry] = []
    assets: list[AssetProblem] = []
    context, page = watched_page(browser, app_server.base_url, viewport_name, console, assets)
    j = Journey(
        viewport=viewport_name, server=app_server, page=page, shots_dir=shots_dir, console=console, assets=assets
    )
    yield j
    context.close()
