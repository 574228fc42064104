"""Sign-in throttling (Flask-Limiter): failed tries are counted per account and per address.

The counts live in the app's database, so every gunicorn worker and app server shares them
(a test runs gunicorn with two workers on SQLite); with ``REDIS_URL`` they live in Redis
(a test runs two real servers against one Redis).
"""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.parse
import urllib.request

import pytest

from .conftest import PASSWORD, login, make_user
from .serving import app_env, flask_cli, flask_run, free_port, gunicorn, request, serving

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
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
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


def _fail_over_http(port: int, email: str = "sam@example.com") -> int:
    return request(port, "/login", {"email": email, "password": "not the password"})[0]


def test_two_app_servers_share_the_count_through_redis(tmp_path):
    if not _redis_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}; .ci/run starts it")
        pytest.skip(f"no Redis at {REDIS_URL} (CI starts one; set TEST_REDIS_URL to use another)")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = app_env(tmp_path, REDIS_URL=REDIS_URL)
    made = flask_cli(env, "create-user", "admin@example.com", "--role", "admin", "--password", PASSWORD)
    assert made.returncode == 0, made.stderr
    ports = [free_port(), free_port()]
    try:
        with serving([(flask_run(port), port) for port in ports], env):
            # Ten failures split over the two servers, then the eleventh on either is refused.
            codes = [_fail_over_http(ports[n % 2]) for n in range(10)]
            assert codes == [200] * 10
            assert _fail_over_http(ports[0]) == 429
            assert _fail_over_http(ports[1]) == 429
    finally:
        redis.Redis.from_url(REDIS_URL).flushdb()


def test_gunicorn_workers_share_the_count_on_the_default_database_without_redis(tmp_path):
    # The way a small academy deploys: gunicorn with two workers on SQLite, no Redis. Each
    # worker used to count on its own, so 20 of 30 wrong passwords got through a limit of 10.
    env = app_env(tmp_path)
    made = flask_cli(env, "create-user", "sam@example.com", "--role", "admin", "--password", PASSWORD)
    assert made.returncode == 0, made.stderr
    port = free_port()
    with serving([(gunicorn(port, "-w", "2"), port)], env):
        codes = [_fail_over_http(port) for _ in range(30)]
    assert codes.count(200) == 10 and codes[:10] == [200] * 10
    assert codes[10:] == [429] * 20
