"""Nothing a student acknowledged is lost: concurrent submits, stale tokens, a locked or full database.

These run on whichever database the suite runs on; the full-disk test makes its own SQLite
file, since only SQLite lets a test cap a database's size (``PRAGMA max_page_count``).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time

import psycopg
from sqlalchemy import event, func, select

from app import create_app
from tests.feature_pack import feature_pack
from training.database import BUSY_TIMEOUT_MS
from training.extensions import db
from training.models import Answer, Attempt, AttemptStatus

from .conftest import module_doc, start_attempt
from .helpers import key_values, page_answers, page_ref
from .test_taking import autosave, post_stage, stored


def answer_all_but_submit(client, doc, attempt_id) -> int:
    """Answer every stage and move on to the last one; returns the last stage's index."""
    stages = doc.stages()
    for ref in stages[:-1]:
        answers = {item.key: key_values(item) for item in ref.stage.items}
        assert post_stage(client, attempt_id, ref.index, answers, action="next").status_code == 302
    return len(stages) - 1


def refilled(page: str, answers: dict[str, list[str]]) -> bool:
    """True when every posted value (``{field name: values}``) is ticked, selected or typed again in the page."""
    for field, values in answers.items():
        for value in map(re.escape, values):
            chosen = re.search(rf'value="{value}"[^>]*\b(checked|selected)\b', page)
            typed = re.search(rf'name="{re.escape(field)}"[^>]*value="{value}"', page)
            if not (chosen or typed):
                return False
    return True


def twin(app, client):
    """Another browser tab: a new client holding the same session cookie."""
    other = app.test_client()
    with client.session_transaction() as original, other.session_transaction() as copy:
        copy.update(original)
    return other


def test_concurrent_submits_and_a_replay_make_one_submitted_attempt_and_the_same_page(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    last = answer_all_but_submit(student_client, doc, attempt_id)
    answers = {item.key: key_values(item) for item in doc.stages()[last].stage.items}
    tabs = [twin(app, student_client) for _ in range(4)]
    responses, start = [None] * len(tabs), threading.Barrier(len(tabs))

    def submit(n: int) -> None:
        start.wait()  # all at once, like a double click on a slow connection
        responses[n] = post_stage(tabs[n], attempt_id, last, answers, action="submit")

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(len(tabs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    replay = post_stage(student_client, attempt_id, last, answers, action="submit")
    for response in [*responses, replay]:
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    # Every tab sees the same result page (only each tab's own CSRF token differs).
    token = re.compile(r'(content|value)="[\w.-]{40,}"')
    pages = {token.sub("TOKEN", tab.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)) for tab in tabs}
    assert len(pages) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 1
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == AttemptStatus.SUBMITTED and attempt.passed
        assert db.session.scalar(select(func.count(Answer.id))) == len(list(doc.items()))


def test_a_stale_csrf_token_keeps_the_saved_answers(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    item = doc.stages()[0].stage.items[0]
    assert autosave(student_client, attempt_id, 0, item.key, key_values(item), 1).status_code == 200
    app.config["WTF_CSRF_ENABLED"] = True  # clean_db turns it off again
    answers = page_answers(app, attempt_id, {i.key: key_values(i) for i in doc.stages()[0].stage.items})
    data = {"stage": "0", "action": "next", "csrf_token": "expired"}
    fields = {f"item-{page_ref(app, attempt_id, key)}": values for key, values in answers.items()}
    data.update(fields)
    refused = student_client.post(f"/attempts/{attempt_id}", data=data)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Your session expired, so nothing was saved" in page
    assert refilled(page, fields)  # every answer typed is still in the page
    assert stored(app, attempt_id) == {item.key: item.parse_answer(key_values(item))}  # the autosaved one too


def hold_write_lock(app, seconds: float) -> threading.Thread:
    """Hold the database's write lock from another connection for ``seconds`` (started and held on return)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    held = threading.Event()

    def hold() -> None:
        if url.startswith("sqlite"):
            conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
            conn.execute("LOCK TABLE answers IN ACCESS EXCLUSIVE MODE")
        held.set()
        time.sleep(seconds)
        conn.rollback()
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    return thread


def test_a_database_locked_past_the_timeout_answers_503_and_the_retry_saves(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    item = doc.stages()[0].stage.items[0]
    holder = hold_write_lock(app, 7)  # longer than the 5 s busy/lock timeout
    busy = autosave(student_client, attempt_id, 0, item.key, key_values(item), 1)
    holder.join()
    assert busy.status_code == 503 and "busy" in busy.json["error"]
    assert stored(app, attempt_id) == {}  # nothing half-written
    retry = autosave(student_client, attempt_id, 0, item.key, key_values(item), 2)
    assert retry.status_code == 200 and item.key in stored(app, attempt_id)


def test_a_save_waits_out_a_short_lock_and_is_kept(app, student_client, starter):
    doc = module_doc(app, starter)
    attempt_id = start_attempt(student_client, starter)
    item = doc.stages()[0].stage.items[0]
    holder = hold_write_lock(app, 0.6)  # shorter than the timeout: the save waits its turn
    started = time.monotonic()
    saved = autosave(student_client, attempt_id, 0, item.key, key_values(item), 1)
    waited = time.monotonic() - started
    holder.join()
    assert saved.status_code == 200 and item.key in stored(app, attempt_id)
    assert waited >= 0.3  # it really waited for the lock (the holder kept it 0.6 s from before the save)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():  # the retry loop gives the connection its busy timeout back
            assert db.session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS


def test_a_full_disk_rolls_the_submit_back_cleanly(tmp_path):
    url = f"sqlite:///{tmp_path / 'full.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "full-disk",
            "STARTER_PACKS": str(feature_pack()),
            "WTF_CSRF_ENABLED": False,
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    from training.database import writing
    from training.services import accounts

    with app.app_context(), writing():
        accounts.set_up_academy("Full Academy", "admin@example.com", "Ada", "a long test password")
        accounts.create_user("sam@example.com", "Sam", "student", "a long test password")
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "sam@example.com", "password": "a long test password"})
    slug = "thread-lift-nerve-pain"
    doc = module_doc(app, slug)
    attempt_id = start_attempt(client, slug)
    answer_all_but_submit(client, doc, attempt_id)
    before = stored(app, attempt_id)

    # Cap the file at its size now, with no room left where the submit writes.
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    path = str(tmp_path / "full.db")
    conn = sqlite3.connect(path, isolation_level=None)  # foreign keys off: filler may point nowhere
    conn.execute("VACUUM")  # no free pages left
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count={pages}")
    # Fill the answers table's last pages (and its index's) with copies of a saved answer
    # under an attempt id past ours, so the submit's answers need a page that is not there.
    columns = [row[1] for row in conn.execute("PRAGMA table_info(answers)") if row[1] != "id"]
    copied = ", ".join({"attempt_id": "999999", "item_key": "item_key || ?"}.get(c, c) for c in columns)
    fill = f"INSERT INTO answers ({', '.join(columns)}) SELECT {copied} FROM answers WHERE attempt_id = ? LIMIT 1"  # noqa: S608 - column names from PRAGMA
    try:
        for n in range(100_000):
            conn.execute(fill, (f"-{n}", attempt_id))
    except sqlite3.OperationalError as exc:
        assert "full" in str(exc)
    conn.close()

    with app.app_context():
        event.listen(db.engine, "connect", lambda dbapi, _: dbapi.execute(f"PRAGMA max_page_count={pages}"))
    last = len(doc.stages()) - 1
    answers = {item.key: key_values(item) for item in doc.stages()[last].stage.items}
    response = post_stage(client, attempt_id, last, answers, action="submit")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and "out of storage space, so nothing was saved" in page
    assert response.headers["Retry-After"]
    posted = {f"item-{page_ref(app, attempt_id, k)}": v for k, v in page_answers(app, attempt_id, answers).items()}
    assert refilled(page, posted)  # the answers are back, to press Submit again
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).status == AttemptStatus.OPEN  # not half submitted
        db.session.remove()
        db.engine.dispose()
    assert stored(app, attempt_id) == before
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.execute("DELETE FROM answers WHERE attempt_id = 999999")
    check.commit()
    check.close()
    # Space again (the cap lifted, the filler gone): the same submit now goes through, once.
    pages += 1000
    again = post_stage(client, attempt_id, last, answers, action="submit")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).status == AttemptStatus.SUBMITTED
        db.session.remove()
        db.engine.dispose()
