"""Load benchmark for the academy app: throughput ratios, exam start, a steady class, reports at scale.

Run from the project root with the project's venv:

    .venv/bin/python bench/load.py --quick                 # SQLite, about 2-3 minutes
    .venv/bin/python bench/load.py                         # SQLite, full sizes
    .venv/bin/python bench/load.py --quick --db postgresql [--database-url postgresql://postgres@127.0.0.1:5432/bench]

Everything runs on loopback. The app and a bare Flask "hello" app are served by gunicorn
(4 sync workers each) on free ports; throughput is reported as a ratio to hello-world
requests per second measured right before, so the figures hold on a noisy machine. Part 1
also serves bench/floor_app.py (the app plus a route that does nothing) to measure the floor
under any signed-in save.
Temporary folders and both gunicorn process groups are removed/killed on exit, error or
signal. The PostgreSQL database named by --database-url is created if missing and its
``public`` schema is DROPPED and recreated: point it only at a throwaway database.

Exit status: 0 when everything ran (a missed target prints MISSED but is not a failure);
1 on a real failure (a server does not start, answers lost or duplicated, request errors).
The last line is always ``RATIO autosave=<x> submit=<y>``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client as httpclient
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
PASSWORD = "quiet orchid ledger 42"
UA = "academy-bench/1"
MODULE = "red-flags-and-referral"  # the starter module with exactly 20 items (8 stages)
WORKERS = 4
TARGETS = {"autosave": 0.25, "submit": 0.12, "exam_p95_s": 1.0, "report_ms": 300.0}

FAILURES: list[str] = []


def log(*parts) -> None:
    print(*parts, flush=True)


def fail(message: str) -> None:
    FAILURES.append(message)
    log("FAILURE:", message)


def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


# ---------------------------------------------------------------- HTTP


class Resp:
    __slots__ = ("status", "headers", "body", "elapsed", "cookies")

    def __init__(self, status, headers, body, elapsed, cookies=()):
        self.status, self.headers, self.body, self.elapsed, self.cookies = status, headers, body, elapsed, cookies


def http(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 30.0
) -> Resp:
    """One request on a new connection (gunicorn's sync workers close after each response)."""
    hdrs = {"User-Agent": UA, "Connection": "close"}
    hdrs.update(headers or {})
    start = time.perf_counter()
    conn = httpclient.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        headers = {k.lower(): v for k, v in r.getheaders()}
        return Resp(r.status, headers, data, time.perf_counter() - start, r.msg.get_all("Set-Cookie") or [])
    finally:
        conn.close()


def update_jar(jar: dict, resp: Resp) -> None:
    """Keep the cookies a response sets (a browser's jar, enough for one loopback host)."""
    for header in resp.cookies:
        pair, _, attrs = header.partition(";")
        name, _, value = pair.strip().partition("=")
        if "max-age=0" in attrs.lower() or "expires=thu, 01 jan 1970" in attrs.lower():
            jar.pop(name, None)
        else:
            jar[name] = value


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- servers


class Server:
    """A gunicorn process group on a free loopback port."""

    def __init__(self, name: str, app_spec: str, cwd: Path, env: dict, logdir: Path, ready_path: str):
        self.name, self.port = name, free_port()
        self.log_path = logdir / f"{name}.log"
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        cmd = [
            gunicorn,
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "60",
            "--no-control-socket",
            app_spec,
        ]
        self.logfile = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=self.logfile, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.ready_path = ready_path

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if http(self.port, "GET", self.ready_path, timeout=5).status == 200:
                    # Every worker imports the app lazily on its first request: warm them all.
                    for _ in range(WORKERS * 3):
                        http(self.port, "GET", self.ready_path, timeout=10)
                    return
            except OSError:
                pass
            time.sleep(0.2)
        tail = self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
        raise RuntimeError(f"{self.name} server did not start on port {self.port}:\n{tail}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.logfile.close()


# ---------------------------------------------------------------- database set-up (in process)


def prepare_postgres(url: str) -> None:
    """Create the database if missing, then start it from an empty public schema."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") or "bench"
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


class World:
    """The app in this process: seeding by direct inserts, forged session cookies, checks."""

    def __init__(self):
        from app import create_app

        self.app = create_app()
        from training.extensions import db

        self.db = db
        with self.app.app_context():
            self.dialect = db.engine.dialect.name
        self.lock = threading.Lock()
        self._page_values: dict[tuple[int, str, bool | None], Any] = {}  # values, and (right None) refs

    def page_values(self, attempt_id: int, item, right: bool = True) -> list[str]:
        """What the attempt's page posts for the key (or a wrong answer): its opaque values, not the
        authored ids (computed once per attempt, item and answer, outside the timed requests' server)."""
        cache_key = (attempt_id, item.key, right)
        if cache_key not in self._page_values:
            from training.services.attempts import attempt_tokens

            with self.app.app_context():
                self._page_values[cache_key] = attempt_tokens(attempt_id).encode(item, values_of(item, right))
        return self._page_values[cache_key]

    def page_ref(self, attempt_id: int, item_key: str) -> str:
        """What the attempt's page calls item ``item_key`` (its form field is ``item-<ref>``; autosave's ``item``)."""
        cache_key = (attempt_id, item_key, None)
        if cache_key not in self._page_values:
            from training.services.attempts import attempt_tokens

            with self.app.app_context():
                self._page_values[cache_key] = attempt_tokens(attempt_id).item_ref(item_key)
        return self._page_values[cache_key]

    @contextlib.contextmanager
    def ctx(self, write: bool = True):
        from training.database import writing

        with self.app.app_context():
            if write:
                with writing():
                    yield self.db.session
            else:
                yield self.db.session

    def set_up(self) -> None:
        from training.models import ModuleRow, User
        from training.services import accounts

        with self.ctx() as s:
            if accounts.needs_setup():
                accounts.set_up_academy("Bench Academy", "admin@bench.test", "Bench Admin", PASSWORD)
                s.commit()
            self.shared_hash = accounts.hash_password(PASSWORD)  # the app's own argon2 hash, shared by every student
            self.admin_id = s.scalar(self.db.select(User.id).where(User.role == "admin"))
            modules = s.scalars(self.db.select(ModuleRow)).all()
            self.module_ids = {m.slug: m.id for m in modules}
        self.use_cheap_hashes()
        self.doc = self.module_doc(MODULE)
        self.stages = self.doc.stages()
        self.items = [i for ref in self.stages for i in ref.stage.items]

    def module_doc(self, slug: str):
        from training.services import content

        with self.ctx(write=False):
            # The module as an attempt without a draw shows it (each slot's first item): the bench
            # inserts its attempts that way, so they hold what a real one would.
            return content.latest_version(self.module_ids[slug]).content.drawn(None)

    def add_students(self, count: int, prefix: str, fast: bool = True) -> list[int]:
        from sqlalchemy import insert, select

        from training.models import User
        from training.models.types import utcnow

        now = utcnow()
        password_hash = self.cheap_hash if fast else self.shared_hash
        rows = [
            dict(
                email=f"{prefix}{n:05d}@bench.test",
                name=f"{prefix.title()} {n:05d}",
                role="student",
                password_hash=password_hash,
                active=True,
                session_epoch=0,
                must_change_password=False,
                created_at=now,
            )
            for n in range(count)
        ]
        with self.ctx() as s:
            for i in range(0, len(rows), 5000):
                s.execute(insert(User.__table__), rows[i : i + 5000])
            s.commit()
            ids = s.scalars(select(User.id).where(User.email.like(f"{prefix}%@bench.test")).order_by(User.id)).all()
        return list(ids)

    def add_attempts(self, user_ids: list[int], stage_index: int = 0, answered_through: int = -1) -> dict[int, int]:
        """Open attempts at MODULE (user -> attempt id); answers with the key for stages <= answered_through."""
        from sqlalchemy import insert, select

        from training.models import Answer, Attempt
        from training.models.types import utcnow
        from training.services import content

        now = utcnow()
        with self.ctx() as s:
            version = content.latest_version(self.module_ids[MODULE])
            answered = [i for ref in self.stages[: answered_through + 1] for i in ref.stage.items]
            s.execute(
                insert(Attempt.__table__),
                [
                    dict(
                        user_id=u,
                        module_id=self.module_ids[MODULE],
                        version_id=version.id,
                        status="open",
                        stage_index=stage_index,
                        last_seq=len(answered),
                        seed=random.randrange(2**31),
                        started_at=now,
                    )
                    for u in user_ids
                ],
            )
            pairs = s.execute(
                select(Attempt.user_id, Attempt.id).where(
                    Attempt.user_id.in_(user_ids),
                    Attempt.module_id == self.module_ids[MODULE],
                    Attempt.status == "open",
                )
            ).all()
            attempts = {u: a for u, a in pairs}
            if answered:
                s.execute(
                    insert(Answer.__table__),
                    [
                        dict(
                            attempt_id=a,
                            item_key=it.key,
                            topic=it.topic,
                            response=it.key_answer(),
                            seq=n + 1,
                            saved_at=now,
                            points=it.points,
                        )
                        for a in attempts.values()
                        for n, it in enumerate(answered)
                    ],
                )
            s.commit()
        return attempts

    def sign_in(self, email: str) -> tuple[str, str]:
        """Sign in through the app's real form, in this process (Flask test client, CSRF on); return the
        browser's Cookie header and CSRF token. The session lives in the cookie and the shared database,
        so the gunicorn workers accept it. Students made by add_students(fast=True) carry a cheap argon2
        hash that only this process's (patched) hasher verifies quickly: see use_cheap_hashes()."""
        client = _signed_in_client(self, email)
        token = page_token(client)
        cookies = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
        return cookies, token

    def use_cheap_hashes(self) -> None:
        """Keep the real hash for sign-ins over HTTP; give bulk students a cheap one verified in process."""
        from argon2 import PasswordHasher

        from training.services import accounts

        cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        accounts._hasher = cheap  # this process only: the gunicorn workers keep the app's own hasher
        self.cheap_hash = cheap.hash(PASSWORD)

    def sign_in_many(self, user_ids: list[int], prefix: str) -> dict[int, tuple[str, str]]:
        from sqlalchemy import select

        from training.models import User

        with self.ctx(write=False) as s:
            emails = dict(s.execute(select(User.id, User.email).where(User.id.in_(user_ids))).all())
        return {u: self.sign_in(emails[u]) for u in user_ids}

    def stored_answers(self, attempt_ids) -> list[tuple]:
        from sqlalchemy import select

        from training.models import Answer

        ids = list(attempt_ids)
        out = []
        with self.ctx(write=False) as s:
            for i in range(0, len(ids), 500):
                out += s.execute(
                    select(Answer.attempt_id, Answer.item_key, Answer.response, Answer.seq).where(
                        Answer.attempt_id.in_(ids[i : i + 500])
                    )
                ).all()
            s.rollback()
        return out

    def attempts_state(self, attempt_ids) -> dict[int, tuple]:
        from sqlalchemy import select

        from training.models import Attempt

        ids = list(attempt_ids)
        out = {}
        with self.ctx(write=False) as s:
            for i in range(0, len(ids), 500):
                for row in s.execute(
                    select(Attempt.id, Attempt.status, Attempt.score, Attempt.max_score).where(
                        Attempt.id.in_(ids[i : i + 500])
                    )
                ):
                    out[row[0]] = tuple(row[1:])
            s.rollback()
        return out


def norm(value):
    """A response as it reads back from the JSON column."""
    return json.loads(json.dumps(value))


def values_of(item, right: bool = True) -> list[str]:
    """Form values a browser posts for the key (or a wrong answer): the tests' own helpers."""
    from tests.integration.helpers import key_values, wrong_values  # ROOT is on sys.path by now

    return key_values(item) if right else wrong_values(item)


def autosave_req(port, cookie, token, attempt_id, stage, item_ref, values, seq) -> Resp:
    body = json.dumps({"stage": stage, "item": item_ref, "values": values, "seq": seq}).encode()
    return http(
        port,
        "POST",
        f"/attempts/{attempt_id}/autosave",
        body,
        {"Cookie": cookie, "X-CSRFToken": token, "Content-Type": "application/json", "Accept": "application/json"},
    )


def stage_post(port, cookie, token, attempt_id, stage, answers: dict[str, list[str]], action) -> Resp:
    """Post a stage form; ``answers`` are keyed by what the page calls each item (``World.page_ref``)."""
    fields = [("csrf_token", token), ("stage", str(stage)), ("action", action), ("confirm", action)]
    for ref, vals in answers.items():
        fields += [(f"item-{ref}", v) for v in vals]
    return http(
        port,
        "POST",
        f"/attempts/{attempt_id}",
        urllib.parse.urlencode(fields).encode(),
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )


# ---------------------------------------------------------------- 1. throughput


def closed_loop(worker, threads: int, seconds: float, max_requests: int) -> dict:
    """``threads`` loops calling worker(thread_no, n) -> ok?; bounded by time and count."""
    lock = threading.Lock()
    state = {"n": 0, "ok": 0, "err": 0, "lat": [], "errors": []}
    deadline = time.perf_counter() + seconds

    def run(t):
        while time.perf_counter() < deadline:
            with lock:
                if state["n"] >= max_requests:
                    return
                state["n"] += 1
                n = state["n"]
            try:
                ok, elapsed = worker(t, n)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - counted, reported
                ok, elapsed = False, 0.0
                with lock:
                    state["errors"].append(repr(exc))
            with lock:
                state["ok" if ok else "err"] += 1
                if not ok and isinstance(elapsed, Resp):
                    state["errors"].append(f"{elapsed.status} {elapsed.body[:150]!r}")
                elif ok:
                    state["lat"].append(elapsed)

    start = time.perf_counter()
    pool = [threading.Thread(target=run, args=(t,), daemon=True) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join(seconds + 60)
    state["seconds"] = time.perf_counter() - start
    state["rps"] = state["ok"] / state["seconds"] if state["seconds"] else 0.0
    return state


def hello_rps(hello: Server, threads: int, seconds: float) -> float:
    res = closed_loop(
        lambda t, n: ((r := http(hello.port, "GET", "/")).status == 200, r.elapsed), threads, seconds, 10**6
    )
    if res["err"]:
        fail(f"hello-world: {res['err']} errors")
    return res["rps"]


def throughput(world: World, app_srv: Server, hello: Server, cfg, floor: Server | None = None) -> dict:
    threads, seconds = cfg.threads, cfg.seconds
    # Autosave: one student (own attempt, own seq counter) per thread, cycling over stage 0.
    users = world.add_students(threads, "tput-save")
    attempts = world.add_attempts(users)
    signed = world.sign_in_many(users, "tput-save")
    sessions = [signed[u] for u in users]
    stage0 = world.stages[0].stage.items
    seqs = [0] * threads

    def save(t, n):
        seqs[t] += 1
        item = stage0[seqs[t] % len(stage0)]
        cookie, token = sessions[t]
        attempt = attempts[users[t]]
        values = world.page_values(attempt, item, seqs[t] % 2 == 0)
        r = autosave_req(app_srv.port, cookie, token, attempt, 0, world.page_ref(attempt, item.key), values, seqs[t])
        return (True, r.elapsed) if r.status == 200 else (False, r)

    def no_op(t, n):
        # The same post to bench/floor_app.py's route that does nothing: the floor under any save.
        cookie, token = sessions[t]
        r = http(
            floor.port,
            "POST",
            "/bench/no-op",
            b'{"stage": 0, "item": "none", "values": [], "seq": 1}',
            {"Cookie": cookie, "X-CSRFToken": token, "Content-Type": "application/json", "Accept": "application/json"},
        )
        return (True, r.elapsed) if r.status == 200 else (False, r)

    h1 = hello_rps(hello, threads, seconds)
    res_save = closed_loop(save, threads, seconds, 10**6)
    res_floor = closed_loop(no_op, threads, seconds, 10**6) if floor else None
    # Submit: attempts waiting on the last stage with every answer saved; each request grades 20 items.
    last = len(world.stages) - 1
    users = world.add_students(cfg.submit_pool, "tput-submit")
    pool_attempts = world.add_attempts(users, stage_index=last, answered_through=last)
    signed = world.sign_in_many(users, "tput-submit")
    jobs = [(pool_attempts[u], *signed[u]) for u in users]
    jobs_lock = threading.Lock()
    last_items = world.stages[last].stage.items
    last_answers = {a: {world.page_ref(a, i.key): world.page_values(a, i) for i in last_items} for a, *_ in jobs}

    def submit(t, n):
        with jobs_lock:
            if not jobs:
                raise StopIteration
            attempt_id, cookie, token = jobs.pop()
        r = stage_post(app_srv.port, cookie, token, attempt_id, last, last_answers[attempt_id], "submit")
        ok = r.status == 302 and "/result" in r.headers.get("location", "")
        return (True, r.elapsed) if ok else (False, r)

    h2 = hello_rps(hello, threads, seconds)
    res_submit = closed_loop(submit, threads, seconds, cfg.submit_pool)
    done = res_submit["ok"] + res_submit["err"]
    if done >= cfg.submit_pool:
        log(f"  (submit pool of {cfg.submit_pool} ran out after {res_submit['seconds']:.1f} s)")
    for name, res in (("autosave", res_save), ("submit", res_submit), ("no-op", res_floor)):
        if res and res["err"]:
            fail(f"throughput {name}: {res['err']} errors {res['errors'][:3]}")
    out = {
        "hello_rps": (h1 + h2) / 2,
        "autosave_rps": res_save["rps"],
        "submit_rps": res_submit["rps"],
        "autosave": res_save["rps"] / h1 if h1 else 0.0,
        "submit": res_submit["rps"] / h2 if h2 else 0.0,
        "autosave_p95_ms": pct(res_save["lat"], 0.95) * 1000,
        "submit_p95_ms": pct(res_submit["lat"], 0.95) * 1000,
    }
    log(f"1. throughput ({threads} client threads, {seconds:.0f} s each; hello-world {h1:.0f} / {h2:.0f} req/s)")
    log(
        f"   autosave  {out['autosave_rps']:7.1f} req/s  ratio {out['autosave']:.3f}  (target >= "
        f"{TARGETS['autosave']})  {mark(out['autosave'] >= TARGETS['autosave'])}   p95 {out['autosave_p95_ms']:.0f} ms"
    )
    if res_floor:
        out["floor_rps"], out["floor"] = res_floor["rps"], res_floor["rps"] / h1 if h1 else 0.0
        log(
            f"   no-op     {out['floor_rps']:7.1f} req/s  ratio {out['floor']:.3f}  (the floor: the same signed-in "
            "JSON post to a route that does nothing; no save can be faster)"
        )
    log(
        f"   submit    {out['submit_rps']:7.1f} req/s  ratio {out['submit']:.3f}  (target >= "
        f"{TARGETS['submit']})  {mark(out['submit'] >= TARGETS['submit'])}   p95 {out['submit_p95_ms']:.0f} ms"
        f"   (20-item module '{MODULE}')"
    )
    return out


# ---------------------------------------------------------------- 2. exam start


def exam_start(world: World, app_srv: Server, cfg) -> dict:
    """``cfg.exam_students`` sign in through the real form and start the module, arrivals spread over the window."""
    n, window = cfg.exam_students, cfg.exam_window
    world.add_students(n, "exam", fast=False)  # the app's own argon2 parameters
    journeys, requests_lat, errors = [], [], []
    lock = threading.Lock()
    t0 = time.perf_counter() + 0.5

    def student(i):
        time.sleep(max(0.0, t0 + window * i / n - time.perf_counter()))
        start = time.perf_counter()
        lats = []
        try:
            jar: dict[str, str] = {}

            def go(method, path, body=None, headers=None):
                hdrs = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
                if body is not None:
                    hdrs["Content-Type"] = "application/x-www-form-urlencoded"
                hdrs.update(headers or {})
                r = http(app_srv.port, method, path, body, hdrs)
                update_jar(jar, r)
                lats.append(r.elapsed)
                return r

            r = go("GET", "/login")
            token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', r.body).group(1).decode()
            form = urllib.parse.urlencode(
                {"csrf_token": token, "email": f"exam{i:05d}@bench.test", "password": PASSWORD}
            ).encode()
            r = go("POST", "/login", form)
            if r.status != 302:
                raise RuntimeError(f"sign-in answered {r.status}")
            r = go("GET", urllib.parse.urlsplit(r.headers.get("location", "/")).path or "/")
            if r.status != 200:
                raise RuntimeError(f"dashboard answered {r.status}")
            token = re.search(rb'name="csrf-token" content="([^"]+)"', r.body).group(1).decode()
            r = go("POST", f"/modules/{MODULE}/start", urllib.parse.urlencode({"csrf_token": token}).encode())
            loc = r.headers.get("location", "")
            if r.status != 302 or "/attempts/" not in loc:
                raise RuntimeError(f"start answered {r.status} {loc} {r.body[:200]!r}")
            r = go("GET", urllib.parse.urlsplit(loc).path)
            if r.status != 200:
                raise RuntimeError(f"take page answered {r.status}")
            with lock:
                journeys.append(time.perf_counter() - start)
                requests_lat.extend(lats)
        except Exception as exc:  # noqa: BLE001
            with lock:
                errors.append(f"{i}: {exc!r}"[:200])

    threads = [threading.Thread(target=student, args=(i,), daemon=True) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(window + 120)
    out = {
        "students": n,
        "window_s": window,
        "errors": len(errors),
        "p50": pct(journeys, 0.5),
        "p95": pct(journeys, 0.95),
        "max": max(journeys, default=float("nan")),
        "req_p95": pct(requests_lat, 0.95),
    }
    log(
        f"2. exam start: {n} students sign in and start within {window:.0f} s "
        f"(GET /login, POST /login, GET dashboard, POST start, GET the take page)"
    )
    log(
        f"   journey p50 {out['p50'] * 1000:.0f} ms  p95 {out['p95'] * 1000:.0f} ms  max {out['max'] * 1000:.0f} ms  "
        f"(target p95 < {TARGETS['exam_p95_s']:.0f} s) {mark(out['p95'] < TARGETS['exam_p95_s'])}; "
        f"per request p95 {out['req_p95'] * 1000:.0f} ms; errors {len(errors)}"
    )
    if errors:
        fail(f"exam start: {len(errors)} errors, e.g. {errors[:3]}")
    return out


# ---------------------------------------------------------------- 3. steady class


def steady_class(world: World, app_srv: Server, cfg) -> dict:
    """N students answer every item with think time (a quarter first give a wrong answer, then
    correct it), lock each stage and submit. Then: stored answers == acknowledged answers."""
    n = cfg.class_students
    users = world.add_students(n, "class")
    attempts = world.add_attempts(users)
    t = time.perf_counter()
    sessions = world.sign_in_many(users, "class")
    log(f"   ({n} students signed in through the form, in process, in {time.perf_counter() - t:.0f} s)")
    lock = threading.Lock()
    save_lat, stage_lat, submit_lat, errors = [], [], [], []
    acked: dict[tuple[int, str], tuple[int, object]] = {}  # (attempt, item) -> (seq, response) of the last ack
    stage_acks = {"ok": 0}
    last = len(world.stages) - 1
    think_lo, think_hi = cfg.think
    journey_est = len(world.items) * (think_lo + think_hi) / 2 * 1.25
    hard_deadline = time.perf_counter() + cfg.ramp + journey_est * 4 + 60

    def student(k, u):
        rnd = random.Random(k)
        time.sleep(cfg.ramp * k / n)
        cookie, token = sessions[u]
        a = attempts[u]
        seq = 0
        for ref in world.stages:
            answers = {}
            for item in ref.stage.items:
                tries = [False, True] if rnd.random() < 0.25 else [True]
                for right in tries:
                    if time.perf_counter() > hard_deadline:
                        with lock:
                            errors.append(f"student {k}: ran out of time")
                        return
                    time.sleep(rnd.uniform(think_lo, think_hi) / len(tries))
                    seq += 1
                    vals = values_of(item, right)
                    try:
                        sent = world.page_values(a, item, right)
                        r = autosave_req(
                            app_srv.port, cookie, token, a, ref.index, world.page_ref(a, item.key), sent, seq
                        )
                    except OSError as exc:
                        with lock:
                            errors.append(f"autosave {k}: {exc!r}")
                        continue
                    with lock:
                        if r.status == 200:
                            save_lat.append(r.elapsed)
                            acked[(a, item.key)] = (seq, norm(item.parse_answer(vals)))
                        else:
                            errors.append(f"autosave {k}: {r.status} {r.body[:120]!r}")
                answers[world.page_ref(a, item.key)] = world.page_values(a, item, True)
            # Before the stage post re-saves the form: every acknowledged autosave must be in the DB as acked.
            stored = {key: (s, resp) for _a, key, resp, s in world.stored_answers([a])}
            with lock:
                for item in ref.stage.items:
                    want = acked.get((a, item.key))
                    if want is not None and stored.get(item.key) != want:
                        errors.append(f"LOST {a}/{item.key}: acked {want}, stored {stored.get(item.key)}")
                        stage_acks.setdefault("lost", 0)
                        stage_acks["lost"] = stage_acks.get("lost", 0) + 1
            action = "submit" if ref.index == last else "next"
            time.sleep(rnd.uniform(think_lo, think_hi) / 2)
            try:
                r = stage_post(app_srv.port, cookie, token, a, ref.index, answers, action)
            except OSError as exc:
                with lock:
                    errors.append(f"{action} {k}: {exc!r}")
                return
            with lock:
                if r.status == 302:
                    (submit_lat if action == "submit" else stage_lat).append(r.elapsed)
                    stage_acks["ok"] += 1
                else:
                    errors.append(f"{action} {k}: {r.status} {r.body[:120]!r}")
                    return
            seq += 1  # the form post took the next sequence number

    threads = [threading.Thread(target=student, args=(k, u), daemon=True) for k, u in enumerate(users)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(1.0, hard_deadline - time.perf_counter() + 5))
    seconds = time.perf_counter() - start
    # Afterwards: one row per (attempt, item), holding the last acknowledged answer, every attempt graded in full.
    rows = world.stored_answers(attempts.values())
    keys = [(a, key) for a, key, _r, _s in rows]
    duplicated = len(keys) - len(set(keys))
    stored_final = {(a, key): resp for a, key, resp, _s in rows}
    lost = sum(1 for k in acked if k not in stored_final)
    wrong = sum(
        1
        for k, (_s, resp) in acked.items()
        if k in stored_final and stored_final[k] != resp and stored_final[k] is not None
    )
    lost += stage_acks.get("lost", 0)
    states = world.attempts_state(attempts.values())
    not_full = sum(1 for st, score, mx in states.values() if st != "submitted" or score is None or score != mx)
    out = {
        "students": n,
        "seconds": seconds,
        "saves": len(save_lat),
        "acked_items": len(acked),
        "stored_rows": len(rows),
        "lost": lost,
        "duplicated": duplicated,
        "mismatched": wrong,
        "errors": len(errors),
        "not_full_marks": not_full,
        "save_p95": pct(save_lat, 0.95),
        "stage_p95": pct(stage_lat, 0.95),
        "submit_p95": pct(submit_lat, 0.95),
        "save_p50": pct(save_lat, 0.5),
        "submit_p50": pct(submit_lat, 0.5),
        "rate": (len(save_lat) + len(stage_lat) + len(submit_lat)) / seconds if seconds else 0,
    }
    log(
        f"3. steady class: {n} students, think {think_lo}-{think_hi} s per answer, ramp {cfg.ramp:.0f} s, "
        f"{seconds:.0f} s, {out['rate']:.0f} writes/s"
    )
    log(
        f"   autosave p50 {out['save_p50'] * 1000:.0f} ms p95 {out['save_p95'] * 1000:.0f} ms ({len(save_lat)} saves); "
        f"next-stage p95 {out['stage_p95'] * 1000:.0f} ms; submit p50 {out['submit_p50'] * 1000:.0f} ms "
        f"p95 {out['submit_p95'] * 1000:.0f} ms ({len(submit_lat)} submits)"
    )
    log(
        f"   answers acknowledged {len(acked)}, stored {len(rows)}: lost {lost}, duplicated {duplicated}, "
        f"mismatched {wrong}; attempts not submitted with full marks {not_full}; errors {len(errors)}"
    )
    if lost or duplicated or wrong:
        fail(f"steady class: lost {lost}, duplicated {duplicated}, mismatched {wrong}")
    if len(acked) != len(rows) or not_full:
        fail(
            f"steady class: {len(acked)} answers acknowledged but {len(rows)} stored; {not_full} attempts "
            "not fully graded"
        )
    if errors:
        fail(f"steady class: {len(errors)} errors, e.g. {errors[:3]}")
    return out


# ---------------------------------------------------------------- 4. reports at scale


def seed_scale(world: World, students: int, target_answers: int) -> dict:
    """One cohort of ``students`` with every module assigned; submitted attempts with answers, bulk-inserted."""
    from sqlalchemy import bindparam, insert, select, text

    from training.models import Attempt, Cohort, CohortInstructor, CohortMember, CohortModule
    from training.models.types import UTCDateTime, utcnow
    from training.services import content

    t = time.perf_counter()
    users = world.add_students(students, "scale")
    now = utcnow()
    slugs = sorted(world.module_ids)
    docs = {slug: world.module_doc(slug) for slug in slugs}
    items_total = sum(len(list(d.items())) for d in docs.values())
    # Attempt a share of (student, module) pairs so the answers come to about the target.
    share = min(1.0, target_answers / max(1, students * items_total))
    with world.ctx() as s:
        cohort = Cohort(name=f"Scale cohort {secrets.token_hex(3)}")
        s.add(cohort)
        s.flush()
        cohort_id = cohort.id
        s.execute(insert(CohortMember.__table__), [dict(cohort_id=cohort_id, user_id=u, added_at=now) for u in users])
        s.execute(insert(CohortInstructor.__table__), [dict(cohort_id=cohort_id, user_id=world.admin_id, added_at=now)])
        s.execute(
            insert(CohortModule.__table__),
            [
                dict(
                    cohort_id=cohort_id,
                    module_id=world.module_ids[slug],
                    due_at=now + timedelta(days=7 * (n - 1)),
                    assigned_at=now,
                )
                for n, slug in enumerate(slugs)
            ],
        )
        versions = {slug: content.latest_version(world.module_ids[slug]).id for slug in slugs}
        rnd = random.Random(7)
        rows = []
        for u in users:
            for slug in slugs:
                if rnd.random() < share:
                    day = timedelta(days=rnd.randrange(60), minutes=rnd.randrange(1440))
                    rows.append(
                        dict(
                            user_id=u,
                            module_id=world.module_ids[slug],
                            version_id=versions[slug],
                            status="submitted",
                            stage_index=len(docs[slug].stages()) - 1,
                            last_seq=0,
                            seed=rnd.randrange(2**31),
                            started_at=now - day,
                            submitted_at=now - day + timedelta(minutes=25),
                        )
                    )
        for i in range(0, len(rows), 5000):
            s.execute(insert(Attempt.__table__), rows[i : i + 5000])
        # The items of every module, then answers for every attempt x item with one INSERT ... SELECT.
        s.execute(text("DROP TABLE IF EXISTS bench_items"))
        s.execute(
            text(
                "CREATE TABLE bench_items (module_id INTEGER, n INTEGER, item_key VARCHAR(80), "
                "topic VARCHAR(40), points FLOAT, right_resp TEXT, wrong_resp TEXT)"
            )
        )
        item_rows = []
        for slug in slugs:
            for n, it in enumerate(docs[slug].items()):
                item_rows.append(
                    dict(
                        m=world.module_ids[slug],
                        n=n,
                        k=it.key,
                        t=it.topic,
                        p=it.points,
                        r=json.dumps(it.key_answer()),
                        w=json.dumps(it.parse_answer(values_of(it, False))),
                    )
                )
        s.execute(text("INSERT INTO bench_items VALUES (:m, :n, :k, :t, :p, :r, :w)"), item_rows)
        cast = "CAST({} AS JSONB)" if world.dialect == "postgresql" else "{}"
        ids = [
            r[0]
            for r in s.execute(
                select(Attempt.id).join(
                    CohortMember, (CohortMember.user_id == Attempt.user_id) & (CohortMember.cohort_id == cohort_id)
                )
            )
        ]
        lo, hi = min(ids), max(ids)
        s.execute(
            text(
                "INSERT INTO answers (attempt_id, item_key, topic, response, seq, saved_at, awarded, points) "
                "SELECT a.id, i.item_key, i.topic, "
                f"CASE WHEN (a.id * 7 + i.n * 13) % 10 < 7 THEN {cast.format('i.right_resp')} "
                f"ELSE {cast.format('i.wrong_resp')} END, "
                "i.n + 1, :now, CASE WHEN (a.id * 7 + i.n * 13) % 10 < 7 THEN i.points ELSE 0 END, i.points "
                "FROM attempts a JOIN bench_items i ON i.module_id = a.module_id WHERE a.id BETWEEN :lo AND :hi "
                "AND a.user_id IN (SELECT user_id FROM cohort_members WHERE cohort_id = :c)"
            ).bindparams(bindparam("now", type_=UTCDateTime())),
            {"now": now, "lo": lo, "hi": hi, "c": cohort_id},
        )
        s.execute(
            text(
                "UPDATE attempts SET score = (SELECT SUM(awarded) FROM answers WHERE attempt_id = attempts.id), "
                "max_score = (SELECT SUM(points) FROM answers WHERE attempt_id = attempts.id), last_seq = 0 "
                "WHERE id BETWEEN :lo AND :hi AND status = 'submitted'"
            ),
            {"lo": lo, "hi": hi},
        )
        s.execute(
            text(
                "UPDATE attempts SET passed = (score >= 0.7 * max_score) WHERE id BETWEEN :lo AND :hi "
                "AND status = 'submitted'"
            ),
            {"lo": lo, "hi": hi},
        )
        # What grading writes beside the marks: each submitted attempt's totals per topic (as migration 0006 does).
        s.execute(
            text(
                "INSERT INTO attempt_topics (attempt_id, topic, user_id, module_id, awarded, points, items) "
                "SELECT a.id, ans.topic, a.user_id, a.module_id, SUM(ans.awarded), SUM(ans.points), COUNT(ans.id) "
                "FROM answers ans JOIN attempts a ON a.id = ans.attempt_id "
                "WHERE a.id BETWEEN :lo AND :hi AND a.status = 'submitted' "
                "GROUP BY a.id, ans.topic, a.user_id, a.module_id"
            ),
            {"lo": lo, "hi": hi},
        )
        s.execute(text("DROP TABLE bench_items"))
        s.commit()
        answers = s.scalar(
            text("SELECT COUNT(*) FROM answers WHERE attempt_id BETWEEN :lo AND :hi"), {"lo": lo, "hi": hi}
        )
    if world.dialect == "postgresql":
        with world.app.app_context(), world.db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return {
        "cohort": cohort_id,
        "students": students,
        "attempts": len(rows),
        "answers": answers,
        "student": users[len(users) // 2],
        "student_email": f"scale{len(users) // 2:05d}@bench.test",
        "seed_s": time.perf_counter() - t,
    }


def reports_at_scale(world: World, cfg) -> dict:
    from sqlalchemy import event

    info = seed_scale(world, cfg.scale_students, cfg.scale_answers)
    log(
        f"4. reports at scale: {info['students']} students, {info['attempts']} attempts, {info['answers']} answers "
        f"in one cohort (seeded in {info['seed_s']:.0f} s, in process with the Flask test client)"
    )
    app = world.app
    with app.app_context():
        engine = world.db.engine
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    results = {}
    try:
        staff = _signed_in_client(world, "admin@bench.test")
        student = _signed_in_client(world, info["student_email"])
        analysis = f"/author/modules/{MODULE}/analysis"
        pages = [
            ("cohort matrix", staff, f"/reports/cohorts/{info['cohort']}", None),
            ("matrix by module score", staff, f"/reports/cohorts/{info['cohort']}?sort={MODULE}&dir=desc", None),
            ("matrix, not passed", staff, f"/reports/cohorts/{info['cohort']}?status=not-passed", None),
            ("heatmap", staff, f"/reports/cohorts/{info['cohort']}/heatmap", None),
            # Item analysis twice: calculated on every run (its cache emptied first), then from the cache.
            ("item analysis (recalculated)", staff, analysis, lambda: _forget_item_analyses(world)),
            ("item analysis (cached)", staff, analysis, None),
            ("student (staff view)", staff, f"/reports/students/{info['student']}", None),
            ("my progress (student)", student, "/progress", None),
        ]
        for name, client, path, before_each in pages:
            times, queries, status = [], 0, None
            for run in range(cfg.page_runs + 1):
                if before_each:
                    before_each()
                counter["n"] = 0
                t = time.perf_counter()
                r = client.get(path)
                elapsed = time.perf_counter() - t
                status = r.status_code
                if run:  # the first run warms caches
                    times.append(elapsed)
                    queries = counter["n"]
            ms = statistics.median(times) * 1000
            results[name] = {"path": path, "ms": ms, "max_ms": max(times) * 1000, "queries": queries, "status": status}
            ok = ms < TARGETS["report_ms"]
            log(
                f"   {name:28s} {ms:7.0f} ms (max {max(times) * 1000:.0f})  {queries:3d} queries  "
                f"HTTP {status}  {mark(ok)}  {path}"
            )
            if status != 200:
                fail(f"{path} answered {status}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return {**info, "pages": results}


def _forget_item_analyses(world: World) -> None:
    """Empty the cached item analyses, so the next visit to the page calculates."""
    from sqlalchemy import delete

    from training.models import VersionAnalysis

    with world.ctx() as s:
        s.execute(delete(VersionAnalysis))
        s.commit()


def _signed_in_client(world: World, email: str):
    """A Flask test client of ``world``'s app, signed in through the real form (CSRF on)."""
    client = world.app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": UA, "REMOTE_ADDR": "127.0.0.1"})
    r = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', r.get_data(as_text=True)).group(1)
    r = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    if r.status_code != 302:
        raise RuntimeError(f"sign-in of {email} answered {r.status_code}")
    return client


def page_token(client, path: str = "/lessons") -> str:
    """The CSRF token a page of the app carries in its ``csrf-token`` meta tag (for JSON posts)."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def student_with_open_attempt(world: World, prefix: str):
    """One new student, signed in (test client), with an attempt open at stage 0: (client, attempt id, CSRF token)."""
    users = world.add_students(1, prefix)
    attempt = world.add_attempts(users)[users[0]]
    client = _signed_in_client(world, f"{prefix}00000@bench.test")
    return client, attempt, page_token(client)


def submits_ready(world: World, count: int, prefix: str) -> list[tuple]:
    """``count`` new students on the last stage with every answer saved, each signed in (test client):
    (client, path, form data) of the submit each would post."""
    last = len(world.stages) - 1
    users = world.add_students(count, prefix)
    attempts = world.add_attempts(users, stage_index=last, answered_through=last)
    posts = []
    for k, user in enumerate(users):
        client = _signed_in_client(world, f"{prefix}{k:05d}@bench.test")
        path = f"/attempts/{attempts[user]}"
        answers = {
            f"item-{world.page_ref(attempts[user], i.key)}": world.page_values(attempts[user], i)
            for i in world.stages[last].stage.items
        }
        data = {"stage": str(last), "action": "submit", "confirm": "submit", "csrf_token": page_token(client, path)}
        posts.append((client, path, {**data, **answers}))
    return posts


# ---------------------------------------------------------------- main


def config(args) -> argparse.Namespace:
    quick = args.quick
    cfg = argparse.Namespace(
        threads=args.threads or 8,
        seconds=args.seconds or (3.0 if quick else 10.0),
        submit_pool=150 if quick else 1000,
        exam_students=args.exam_students or (50 if quick else 200),
        exam_window=10.0,
        class_students=args.students or (40 if quick else 1000),
        think=(0.2, 0.8) if quick else (15.0, 45.0),
        ramp=3.0 if quick else 60.0,
        scale_students=args.scale_students or (1000 if quick else 10000),
        scale_answers=args.scale_answers or (100_000 if quick else 1_000_000),
        page_runs=2 if quick else 3,
    )
    if args.think:
        lo, hi = (float(x) for x in args.think.split(","))
        cfg.think = (lo, hi)
    return cfg


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short version of everything (< 3 minutes)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/bench")
    parser.add_argument("--students", type=int, help="steady-class students (quick 60, full 1000)")
    parser.add_argument("--think", help="steady-class think time per answer, 'lo,hi' seconds")
    parser.add_argument("--exam-students", type=int)
    parser.add_argument("--scale-students", type=int)
    parser.add_argument("--scale-answers", type=int)
    parser.add_argument("--threads", type=int, help="client threads for the throughput loops (8)")
    parser.add_argument("--seconds", type=float, help="seconds per throughput loop")
    parser.add_argument("--only", default="1234", help="which parts to run, e.g. 14")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (for debugging)")
    args = parser.parse_args()
    cfg = config(args)

    tmp = Path(tempfile.mkdtemp(prefix="academy-bench-"))
    servers: list[Server] = []
    ratio = {"autosave": 0.0, "submit": 0.0}

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    started = time.perf_counter()
    try:
        instance = tmp / "instance"
        instance.mkdir()
        url = f"sqlite:///{instance / 'academy.db'}" if args.db == "sqlite" else args.database_url
        if args.db == "postgresql":
            prepare_postgres(url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": secrets.token_hex(32),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.pop("FLASK_APP", None)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "INSTANCE_PATH", "SECRET_KEY")})
        sys.path.insert(0, str(ROOT))
        log(
            f"bench {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: db {args.db}, "
            f"{'quick' if args.quick else 'full'}, {os.cpu_count()} cores, gunicorn -w {WORKERS} (sync)"
        )
        world = World()  # migrates and loads the starter modules
        world.set_up()
        log(f"   module '{MODULE}': {len(world.items)} items in {len(world.stages)} stages")
        results = {}
        if set(args.only) & set("123"):
            hello = Server("hello", "hello:app", BENCH, env, tmp, "/")
            servers.append(hello)
            app_srv = Server("app", "app:create_app()", ROOT, env, tmp, "/login")
            servers.append(app_srv)
            floor = None
            if "1" in args.only:  # the app plus a route that does nothing (bench/floor_app.py)
                floor = Server("floor", "bench.floor_app:create_app()", ROOT, env, tmp, "/login")
                servers.append(floor)
            for server in servers:
                server.wait_ready()
            if "1" in args.only:
                results["throughput"] = throughput(world, app_srv, hello, cfg, floor)
                ratio = {"autosave": results["throughput"]["autosave"], "submit": results["throughput"]["submit"]}
            if "2" in args.only:
                results["exam"] = exam_start(world, app_srv, cfg)
            if "3" in args.only:
                results["class"] = steady_class(world, app_srv, cfg)
            for srv in servers:  # free the CPU for the in-process report timings
                srv.stop()
        if "4" in args.only:
            results["scale"] = reports_at_scale(world, cfg)
        (tmp / "results.json").write_text(json.dumps(results, indent=1, default=str))
        log(
            f"done in {time.perf_counter() - started:.0f} s; "
            f"{'FAILED: ' + '; '.join(FAILURES) if FAILURES else 'no failures'}"
        )
    except SystemExit:
        FAILURES.append("interrupted")
        raise
    except Exception as exc:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        FAILURES.append(repr(exc))
    finally:
        for srv in servers:
            with contextlib.suppress(Exception):
                srv.stop()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"RATIO autosave={ratio['autosave']:.3f} submit={ratio['submit']:.3f}", flush=True)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
