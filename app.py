"""Application factory: ``flask --app app run`` finds ``create_app`` here.

Nothing happens at import time; everything is set up inside ``create_app``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, abort, g, redirect, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadRequest

from training import database, params, service_errors, throttle
from training.extensions import bootstrap, csrf, db, limiter, login_manager, migrate
from training.services import content

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI; then bring the database up to date."""
    # The instance folder (database, secret key, photos) may live elsewhere: tests, or a
    # deployment that keeps data outside the code. It must be an absolute path.
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True, static_folder="training/static")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure(app, test_config)
    register_extensions(app)
    # The app's hooks first: a request's write intent is declared before any blueprint
    # hook (such as the forced password change) loads the user and opens the transaction.
    register_request_hooks(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    if app.config["AUTO_MIGRATE"]:
        from training.setup_db import prepare_database

        prepare_database(app)
    return app


def database_url(url: str) -> str:
    """Point PostgreSQL URLs at psycopg 3 (``postgres://`` and ``postgresql://`` both accepted)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(instance: Path) -> str:
    """The instance's secret key, generated once and kept so sessions survive restarts."""
    path = instance / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def configure(app: Flask, test_config: dict | None) -> None:
    """Defaults, then ``instance/config.py``, then ``FLASK_*`` environment variables, then tests'."""
    instance = Path(app.instance_path)
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=database_url(os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'academy.db'}")),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        AUTO_MIGRATE=True,
        LOAD_STARTER_CONTENT=True,
        # The packs loaded on first start (an academy may ship its own); FLASK_STARTER_PACKS sets it.
        STARTER_PACKS=str(content.STARTER_PACKS),
        # Tokens live as long as the session, so no module is ever too long for them.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        BOOTSTRAP_SERVE_LOCAL=True,
        # A little over the 5 MB a case photo may be; anything bigger is refused with 413.
        MAX_CONTENT_LENGTH=6 * 1024 * 1024,
        # Failed sign-ins allowed per account and per client address; the next one gets 429.
        # Per account stops guessing one password from many places; the per-address limit is
        # higher because a whole class may sign in from behind one school router.
        LOGIN_FAILURES_PER_ACCOUNT="10 per minute",
        LOGIN_FAILURES_PER_ADDRESS="50 per minute",
        # A session ends after this long without a request (besides 30 days after sign-in).
        SESSION_IDLE_MINUTES=12 * 60,
        # Failed sign-in counts: in the database every worker and app server shares, or in Redis.
        RATELIMIT_STORAGE_URI=os.environ.get("REDIS_URL") or f"{throttle.SCHEME}://",
        RATELIMIT_HEADERS_ENABLED=True,  # Retry-After on a 429
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none, so
        # those headers are ignored and cannot be used to dodge the sign-in throttle).
        PROXY_COUNT=int(os.environ.get("PROXY_COUNT", "0")),
        # The longest a request waits for the database's write lock (SQLite) or a row lock
        # (PostgreSQL) before it answers 503 with nothing changed, in milliseconds.
        DATABASE_BUSY_TIMEOUT_MS=database.BUSY_TIMEOUT_MS,
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secret_key(instance)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Like SQLite's busy timeout: a row or table held locked longer than this fails the
        # request (503, nothing changed) instead of leaving it waiting for ever.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        connect_args = options["connect_args"] = dict(options.get("connect_args", {}))
        connect_args.setdefault("options", f"-c lock_timeout={int(app.config['DATABASE_BUSY_TIMEOUT_MS'])}")


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions and tune the database engine."""
    # Before any blueprint adds a rule: each <int:...> then takes the bounded converter.
    params.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, directory=str(Path(app.root_path) / "migrations"))
    csrf.init_app(app)
    if app.config["RATELIMIT_STORAGE_URI"].startswith(throttle.SCHEME):
        with app.app_context():
            app.config["RATELIMIT_STORAGE_OPTIONS"] = {"engine": db.engine}
    limiter.init_app(app)
    bootstrap.init_app(app)
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"

    from training.services import accounts

    login_manager.user_loader(accounts.load_session_user)
    with app.app_context():
        database.configure_engine(db.engine, int(app.config["DATABASE_BUSY_TIMEOUT_MS"]))

    from training.rendering import render_markdown

    app.jinja_env.filters["markdown"] = render_markdown
    # The item types' templates live in their homes (quizzes/items/<type>/templates), found from the registry.
    from jinja2 import ChoiceLoader

    from training.item_templates import item_template_loader

    app.jinja_env.loader = ChoiceLoader([app.jinja_env.loader, item_template_loader()])
    from quizzes.content import Procedure
    from quizzes.items import Topic

    app.jinja_env.filters["procedure"] = lambda value: Procedure(value).label
    app.jinja_env.filters["topic"] = lambda value: Topic(value).label
    from training.services import times

    # Dates and times as people read them (``training/services/times.py``).
    app.jinja_env.globals.update(day=times.day, when=times.when, at=times.at)
    app.jinja_env.filters["num"] = lambda value: f"{value or 0:.2f}".rstrip("0").rstrip(".")


def register_blueprints(app: Flask) -> None:
    """One blueprint per concern."""
    from training.admin import bp as admin_bp
    from training.auth import bp as auth_bp
    from training.author import bp as author_bp
    from training.certificates import bp as certificates_bp
    from training.cohorts import bp as cohorts_bp
    from training.learn import bp as learn_bp
    from training.overrides import bp as overrides_bp
    from training.reports import bp as reports_bp
    from training.review import bp as review_bp

    for blueprint in (
        auth_bp,
        learn_bp,
        review_bp,
        author_bp,
        cohorts_bp,
        reports_bp,
        admin_bp,
        certificates_bp,
        overrides_bp,
    ):
        app.register_blueprint(blueprint)


def register_request_hooks(app: Flask) -> None:
    """Write intent, first-run set-up, access rules, security headers."""
    from training.access import enforce_access, is_static
    from training.services import accounts

    @app.teardown_request
    def _unmark_writes(_exc):
        # A GET may have declared a write (e.g. closing an attempt past its deadline);
        # never let it leak into the next request served by this thread.
        database.declare_write_intent(False)

    @app.before_request
    def _refuse_nul():
        # No person types a NUL byte, and PostgreSQL cannot store one in text: refuse it up front
        # with a 400 rather than fail inside the transaction.
        fields = (request.args, request.form)
        if any("\x00" in value for values in fields for _key, listed in values.lists() for value in listed):
            abort(400, "A field contains a NUL byte, which is not allowed in text.")
        return None

    @app.before_request
    def _first_run():
        endpoint = request.endpoint or ""
        if app.extensions.get("academy_ready") or endpoint == "auth.setup" or is_static(endpoint):
            return None
        if accounts.needs_setup():
            return redirect(url_for("auth.setup"))
        app.extensions["academy_ready"] = True
        return None

    from training.auth.sessions import end_idle_session

    app.before_request(end_idle_session)
    app.before_request(enforce_access)

    @app.before_request
    def _mark_writes():
        # After enforce_access: the session and user are read first, in a read transaction.
        view = app.view_functions.get(request.endpoint)
        if request.method not in SAFE_METHODS and not getattr(view, "reads_first", False):
            database.begin_writes(db.session())

    @app.context_processor
    def _academy():
        if "academy_name" not in g:
            g.academy_name = accounts.academy_name()
        return {"academy_name": g.academy_name}

    @app.after_request
    def _no_store(response):
        # A shared phone or lab PC must not keep a copy of anyone's pages (attempts, results,
        # reports, exports): only the versioned static files may be cached.
        if not is_static(request.endpoint) and "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            # Served over HTTPS: browsers must never fall back to plain HTTP for a year.
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def register_errorhandlers(app: Flask) -> None:
    """Generic error pages (JSON for JSON requests); never a stack trace."""

    service_errors.register(app)
    _error = service_errors.error_response

    messages = {
        400: "The request could not be understood.",
        403: "You do not have access to this page.",
        404: "There is nothing here.",
        405: "That action is not allowed here.",
        413: "That upload is too large: photos can be up to 5 MB, question and enrolment files up to 1 MB.",
        429: "Too many wrong passwords. Wait a minute, then try again.",
        500: "Something went wrong on our side. Nothing you saved is lost; try again.",
    }

    def _said(exc, code: int, default: str) -> str:
        # abort(400, "...") carries words meant for the person (which parameter was wrong, and
        # why); other descriptions are Werkzeug's or a library's and stay behind the generic text.
        if code == 400 and isinstance(exc, BadRequest) and exc.description != BadRequest.description:
            return exc.description
        return default

    for code, message in messages.items():
        app.register_error_handler(
            code, lambda exc, code=code, message=message: _error(code, _said(exc, code, message))
        )

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return _error(400, "Your session has expired or the form was stale. Reload the page and try again.")

    @app.errorhandler(OperationalError)
    def _busy(exc):
        app.logger.warning("database unavailable: %s", exc)
        retry = max(1, round(app.config["DATABASE_BUSY_TIMEOUT_MS"] / 1000))
        return _error(
            503,
            "The academy is very busy. Nothing was changed; please try again in a moment.",
            {"Retry-After": str(retry)},
        )


def register_commands(app: Flask) -> None:
    """``flask --app app packs ...`` and ``create-user``."""
    from training.cli import register

    register(app)
