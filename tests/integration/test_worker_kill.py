"""A worker killed with SIGKILL in the middle of submits leaves no half-written attempt.

A real ``gunicorn -w 2`` serves the app. A gunicorn config file written by the test (never
app code) installs, in each worker after the fork, a SQLAlchemy hook that pauses just
before the COMMIT of a transaction that submitted an attempt, and drops a marker file
named after the worker's pid. So the kill lands when the grading, the answers' marks, the
review cards and the certificate have all been sent to the database but not committed.
Then every attempt must be wholly open or wholly submitted, the master must start a new
worker, and retrying the lost submit must submit the attempt exactly once.

Runs on SQLite, or on the PostgreSQL database of ``TEST_DATABASE_URL`` when set.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from app import database_url
from quizzes.items import ITEM_TYPES
from tests.feature_pack import feature_pack

from .conftest import PASSWORD
from .helpers import page_ref, page_values

ROOT = Path(__file__).resolve().parents[2]
SLUG = "thread-lift-nerve-pain"
STUDENTS = 8
PAUSE_SECONDS = 1.0

GUNICORN_CONFIG = """
import os
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

MARKERS = os.environ["KILL_TEST_MARKERS"]
PAUSE = float(os.environ["KILL_TEST_PAUSE"])
_SUBMITTING = set()  # ids of Connections whose transaction submitted an attempt


def _flag(conn, cursor, statement, parameters, context, executemany):
    words = statement.lstrip().upper()
    if words.startswith("UPDATE ATTEMPTS") and "SUBMITTED_AT" in words:
        _SUBMITTING.add(id(conn))


def _commit(conn):
    # Everything of the submit has been sent; the COMMIT has not.
    if id(conn) in _SUBMITTING:
        _SUBMITTING.discard(id(conn))
        with open(os.path.join(MARKERS, f"{os.getpid()}-{time.monotonic_ns()}"), "w"):
            pass
        time.sleep(PAUSE)


def _rollback(conn):
    _SUBMITTING.discard(id(conn))


def post_fork(server, worker):
    event.listen(Engine, "before_cursor_execute", _flag)
    event.listen(Engine, "commit", _commit)
    event.listen(Engine, "rollback", _rollback)
"""

SETUP_SCRIPT = """
import json
import sys

sys.path.insert(0, sys.argv[1])
from app import create_app
from training.database import writing
from training.extensions import db
from training.models import ModuleRow
from training.services import accounts, content
from tests.integration.helpers import key_values, wrong_values

app = create_app()
with app.app_context(), writing():
    accounts.set_up_academy("Kill Academy", "admin@example.com", "Ada Admin", sys.argv[2])
    for n in range(int(sys.argv[3])):
        accounts.create_user(f"student{n}@example.com", f"Student {n}", "student", sys.argv[2])
    db.session.commit()
    row = db.session.scalar(db.select(ModuleRow).where(ModuleRow.slug == sys.argv[4]))
    doc = content.latest_version(row.id).content
    stages = [
        [
            {"key": i.key, "right": key_values(i), "wrong": wrong_values(i), "item": i.model_dump(mode="json")}
            for i in ref.stage.items
        ]
        for ref in doc.stages()
    ]
    print(json.dumps(stages))
    db.session.remove()
    db.engine.dispose()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """One student's cookies; every request on a fresh connection that is always closed."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None, timeout: float = 30) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {}
            body = None
            if data is not None:
                body = urllib.parse.urlencode(data, doseq=True)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            response.read()
            for header in response.msg.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                self.cookies.update({key: morsel.value for key, morsel in jar.items()})
            return response.status, response.getheader("Location", "")
        finally:
            conn.close()

    def post(self, path: str, data: dict, timeout: float = 30) -> tuple[int, str]:
        return self.request("POST", path, data, timeout)


# The server's secret (SECRET_KEY below), to map authored ids to the tokens its take pages offer.
TOKENS = Flask("worker-kill-tokens")
TOKENS.config["SECRET_KEY"] = "worker-kill-test"


def stage_form(stage: int, items: list[dict], which: str, action: str, attempt_id: int) -> dict:
    data = {"stage": str(stage), "action": action, "confirm": action}
    for item in items:
        engine_item = ITEM_TYPES[item["item"]["type"]].model_validate(item["item"])
        data[f"item-{page_ref(TOKENS, attempt_id, item['key'])}"] = page_values(
            TOKENS, attempt_id, engine_item, item[which]
        )
    return data


def workers(master: int) -> set[int]:
    """Pids of the processes whose parent is ``master`` (from /proc/*/stat)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ")".
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == master and state != "Z":  # a killed worker not yet reaped is no worker
            found.add(int(entry.name))
    return found


def wait_until(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {seconds}s waiting for {what}")


def check_whole(conn, n_items: int) -> dict[int, dict]:
    """Every attempt is wholly open or wholly submitted; returns the attempts by id."""
    attempts = {}
    rows = conn.execute(
        text("SELECT id, user_id, status, submitted_at, score, max_score, passed FROM attempts ORDER BY id")
    ).mappings()
    for row in rows:
        answers = (
            conn.execute(text("SELECT awarded FROM answers WHERE attempt_id = :a"), {"a": row["id"]}).scalars().all()
        )
        certificates = conn.execute(
            text("SELECT count(*) FROM certificates WHERE attempt_id = :a"), {"a": row["id"]}
        ).scalar()
        cards = conn.execute(
            text("SELECT count(*) FROM review_cards WHERE user_id = :u"), {"u": row["user_id"]}
        ).scalar()
        state = dict(row, answers=len(answers), certificates=certificates, cards=cards)
        if row["status"] == "open":
            assert row["submitted_at"] is None and row["score"] is None and row["passed"] is None, state
            assert all(mark is None for mark in answers), state
            assert certificates == 0 and cards == 0, state
        else:
            assert row["status"] == "submitted", state
            assert row["submitted_at"] is not None and row["score"] is not None and row["max_score"], state
            assert len(answers) == n_items and all(mark is not None for mark in answers), state
            assert certificates == (1 if row["passed"] else 0), state
            if not row["passed"]:
                assert cards > 0, state
        attempts[row["id"]] = state
    return attempts


def test_sigkill_of_a_worker_mid_submit_leaves_no_half_attempt_and_a_retry_submits_once(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'academy.db'}"
    markers = tmp_path / "markers"
    markers.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "worker-kill-test",
        "FLASK_WTF_CSRF_ENABLED": "false",
        "KILL_TEST_MARKERS": str(markers),
        "KILL_TEST_PAUSE": str(PAUSE_SECONDS),
        "FLASK_STARTER_PACKS": str(feature_pack()),  # item keys and counts as the test knows them
    }
    env.pop("REDIS_URL", None)
    script = tmp_path / "setup_world.py"
    script.write_text(SETUP_SCRIPT)
    made = subprocess.run(
        [sys.executable, str(script), str(ROOT), PASSWORD, str(STUDENTS), SLUG],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    stages = json.loads(made.stdout.strip().splitlines()[-1])
    n_items = sum(len(items) for items in stages)
    last = len(stages) - 1
    assert last >= 1, "the starter module needs more than one stage"

    config = tmp_path / "gunicorn_kill.py"
    config.write_text(GUNICORN_CONFIG)
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(config),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    engine = create_engine(database_url(url))
    try:

        def up():
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            with contextlib.suppress(OSError, http.client.HTTPException):
                return Browser(port).request("GET", "/login", timeout=2)[0] == 200
            return False

        wait_until(up, 60, "gunicorn to serve")
        wait_until(lambda: len(workers(server.pid)) == 2, 30, "two workers")

        # Every student signs in, starts, and moves through every stage but the last.
        browsers, attempt_ids, passing = [], [], []
        for n in range(STUDENTS):
            browser = Browser(port)
            status, _ = browser.post("/login", {"email": f"student{n}@example.com", "password": PASSWORD})
            assert status == 302
            status, location = browser.post(f"/modules/{SLUG}/start", {})
            assert status == 302, location
            attempt_id = int(re.search(r"/attempts/(\d+)", location).group(1))
            which = "right" if n % 2 == 0 else "wrong"
            for index in range(last):
                status, location = browser.post(
                    f"/attempts/{attempt_id}", stage_form(index, stages[index], which, "next", attempt_id)
                )
                assert status == 302 and "/result" not in location, location
            browsers.append(browser)
            attempt_ids.append(attempt_id)
            passing.append(which == "right")

        def submit(n: int):
            form = stage_form(last, stages[last], "right" if passing[n] else "wrong", "submit", attempt_ids[n])
            try:
                return browsers[n].post(f"/attempts/{attempt_ids[n]}", form, timeout=60)
            except (OSError, http.client.HTTPException) as exc:
                return exc

        before = workers(server.pid)
        with ThreadPoolExecutor(max_workers=STUDENTS) as pool:
            futures = [pool.submit(submit, n) for n in range(STUDENTS)]
            # The first worker to reach the COMMIT of a submit is killed there.
            marker = wait_until(lambda: sorted(markers.iterdir()), 30, "a submit to reach its commit")[0]
            victim = int(marker.name.split("-")[0])
            assert victim in before
            os.kill(victim, signal.SIGKILL)
            outcomes = [future.result(timeout=90) for future in futures]

        # The master replaces the killed worker.
        # A new worker imports and builds the app: slow on a loaded machine, so allow for it.
        wait_until(lambda: (pids := workers(server.pid)) and len(pids) == 2 and victim not in pids, 120, "a new worker")
        assert server.poll() is None

        lost = [n for n, outcome in enumerate(outcomes) if not isinstance(outcome, tuple)]
        assert lost, f"no submit was lost with the killed worker: {outcomes}"
        for n, outcome in enumerate(outcomes):
            if n not in lost:
                assert outcome == (302, f"/attempts/{attempt_ids[n]}/result"), (n, outcome)

        with engine.connect() as conn:
            attempts = check_whole(conn, n_items)
        assert sorted(attempts) == sorted(attempt_ids)
        for n in lost:
            # Killed before its COMMIT: nothing of the submit is left.
            assert attempts[attempt_ids[n]]["status"] == "open", attempts[attempt_ids[n]]

        # Retrying each lost submit completes it; a second retry changes nothing.
        for n in lost + lost:
            outcome = submit(n)
            assert outcome == (302, f"/attempts/{attempt_ids[n]}/result"), (n, outcome)
            assert browsers[n].request("GET", f"/attempts/{attempt_ids[n]}/result")[0] == 200

        with engine.connect() as conn:
            attempts = check_whole(conn, n_items)
            per_student = conn.execute(
                text("SELECT user_id, count(*) FROM attempts WHERE status = 'submitted' GROUP BY user_id")
            ).all()
            certificates = conn.execute(text("SELECT user_id, count(*) FROM certificates GROUP BY user_id")).all()
        assert sorted(attempts) == sorted(attempt_ids)
        assert all(state["status"] == "submitted" for state in attempts.values()), attempts
        assert len(per_student) == STUDENTS and all(count == 1 for _user, count in per_student)
        assert [bool(attempts[a]["passed"]) for a in attempt_ids] == passing
        assert len(certificates) == sum(passing) and all(count == 1 for _user, count in certificates)
    finally:
        engine.dispose()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()
