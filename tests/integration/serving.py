"""Real app servers for tests that need more than one process: flask run, or gunicorn as deployed."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of an app on its own SQLite database, without CSRF (the tests post forms directly)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'academy.db'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "served-test",
        "FLASK_WTF_CSRF_ENABLED": "false",
        "FLASK_LOAD_STARTER_CONTENT": "false",
    }
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def flask_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run ``flask --app app ARGS`` in the project folder."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def flask_run(port: int) -> list[str]:
    """The command of Flask's own server on ``port``."""
    return [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port), "--no-reload"]


def gunicorn(port: int, *options: str) -> list[str]:
    """The command of gunicorn with the project's ``gunicorn.conf.py``, on ``port``."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "-b",
        f"127.0.0.1:{port}",
        *options,
        "app:create_app()",
    ]


@contextlib.contextmanager
def serving(commands: list[tuple[list[str], int]], env: dict) -> Iterator[None]:
    """Start each (command, port) server, wait until each answers, and stop them all afterwards."""
    servers = []
    try:
        for command, port in commands:
            server = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            servers.append(server)
            _wait_for(port, server)
        yield
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
            server.stdout.close()


def _wait_for(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    pytest.fail(f"the app on port {port} did not start")


def browser() -> urllib.request.OpenerDirector:
    """A client that keeps its cookies (one signed-in person) and does not follow redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)


def request(port: int, path: str, data: dict | None = None, opener=None, timeout: float = 30):
    """GET (or POST ``data``) a path; returns (status, headers, seconds taken), error statuses included."""
    opener = opener or browser()
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    started = time.monotonic()
    try:
        with opener.open(f"http://127.0.0.1:{port}{path}", data=body, timeout=timeout) as response:
            response.read()
            return response.status, response.headers, time.monotonic() - started
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code, exc.headers, time.monotonic() - started
