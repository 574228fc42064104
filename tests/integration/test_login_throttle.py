"""Sign-in throttling (Flask-Limiter): failed tries are counted per account and per address.

The counts live in memory for one process; with ``REDIS_URL`` they live in Redis, so
several app servers share them (the last test runs two real servers against one Redis).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .conftest import PASSWORD, login, make_user

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def fail(client, email: str = "sam@example.com"):
    return client.post("/login", data={"email": email, "password": "not the password"})


def test_the_eleventh_failed_try_for_an_account_within_a_minute_gets_429(app, student):
    client = app.test_client()
    for _ in range(10):
        response = fail(client)
        assert response.status_code == 200 and "do not match an active account" in response.get_data(as_text=True)
    refused = fail(client)
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) <= 60
    # The right password is refused too until the minute is up: guessing gains nothing.
    assert login(client, "sam@example.com").status_code == 429
    # Another account from the same address is not blocked by Sam's count.
    make_user(app, "kim@example.com")
    assert login(app.test_client(), "kim@example.com").status_code == 302


def test_the_email_is_counted_as_typed_in_any_case_and_spacing(app, student):
    client = app.test_client()
    for variant in ["sam@example.com", " SAM@example.com", "Sam@Example.com "] * 4:
        response = fail(client, variant)
    assert response.status_code == 429


def test_successful_sign_ins_are_not_counted(app, student):
    client = app.test_client()
    for _ in range(12):
        assert login(client, "sam@example.com", PASSWORD).status_code == 302
        client.post("/logout")
    assert fail(client).status_code == 200


def test_one_address_may_fail_fifty_times_across_accounts_then_gets_429(app, academy):
    client = app.test_client()
    for n in range(50):
        assert fail(client, f"student{n}@example.com").status_code == 200
    assert fail(client, "someone-else@example.com").status_code == 429


def test_looking_at_the_sign_in_page_is_never_throttled(app, student):
    client = app.test_client()
    for _ in range(11):
        fail(client)
    assert client.get("/login").status_code == 200


# --------------------------------------------------------------------------- shared through Redis


def _redis_reachable() -> bool:
    address = urllib.parse.urlparse(REDIS_URL)
    try:
        with socket.create_connection((address.hostname, address.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def _post_login(port: int, email: str) -> int:
    data = urllib.parse.urlencode({"email": email, "password": "not the password"}).encode()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", data=data, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_for(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    pytest.fail(f"the app on port {port} did not start")


def test_two_app_servers_share_the_count_through_redis(tmp_path):
    if not _redis_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}; .ci/run starts it")
        pytest.skip(f"no Redis at {REDIS_URL} (CI starts one; set TEST_REDIS_URL to use another)")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'academy.db'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "throttle-test",
        "REDIS_URL": REDIS_URL,
        "FLASK_WTF_CSRF_ENABLED": "false",
        "FLASK_LOAD_STARTER_CONTENT": "false",
    }
    made = _flask(env, "create-user", "admin@example.com", "--role", "admin", "--password", PASSWORD)
    assert made.returncode == 0, made.stderr
    ports, servers = [_free_port(), _free_port()], []
    try:
        for port in ports:
            servers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port), "--no-reload"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
        for port, server in zip(ports, servers, strict=True):
            _wait_for(port, server)
        # Ten failures split over the two servers, then the eleventh on either is refused.
        codes = [_post_login(ports[n % 2], "sam@example.com") for n in range(10)]
        assert codes == [200] * 10
        assert _post_login(ports[0], "sam@example.com") == 429
        assert _post_login(ports[1], "sam@example.com") == 429
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
            server.stdout.close()
        redis.Redis.from_url(REDIS_URL).flushdb()
