"""Who may open which route: every view declares its rule, and requests are checked centrally.

A view without a rule is refused (and fails the test suite), so a forgotten check can
never leave a page open. Ownership (whose attempt is this?) is checked by the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from .models import Role
from .services import module_editors

F = TypeVar("F", bound=Callable)

PUBLIC = "public"
SIGNED_IN = (Role.STUDENT, Role.INSTRUCTOR, Role.ADMIN)


def allow(*who: str) -> Callable[[F], F]:
    """Declare who may open a view: ``allow(PUBLIC)`` or ``allow(Role.ADMIN, ...)``."""

    def mark(view: F) -> F:
        view.access_rule = frozenset(who)
        return view

    return mark


def _slug_in_url() -> str | None:
    return (request.view_args or {}).get("slug")


def edits_module(slug_of: Callable[[], str | None] = _slug_in_url) -> Callable[[F], F]:
    """Declare a view that changes a module: besides its ``allow`` rule, only the module's
    editors and admins get through (others 403; see ``services.module_editors``).

    ``slug_of`` finds the module in the request (default: the URL's ``slug``); when it names
    no module the view decides (a new module, or a 404).
    """

    def mark(view: F) -> F:
        view.edits_module = slug_of
        return view

    return mark


def is_static(endpoint: str | None) -> bool:
    """True for the app's and the extensions' static files (public, cacheable, never the user's)."""
    return bool(endpoint) and (endpoint == "static" or endpoint.endswith(".static"))


def rule_for(endpoint: str | None) -> frozenset[str] | None:
    """The access rule of an endpoint (static files are public)."""
    if endpoint is None:
        return None
    if is_static(endpoint):
        return frozenset({PUBLIC})
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def enforce_access():
    """``before_request``: sign-in for protected pages, 403 for the wrong role, for no rule,
    and for changing a module one does not edit."""
    if request.endpoint is None:
        return None  # 404/405 follow
    rule = rule_for(request.endpoint)
    if rule is None:
        current_app.logger.error("route %s has no access rule; refused", request.endpoint)
        abort(403)
    if PUBLIC in rule:
        return None
    if not current_user.is_authenticated:
        flash("Sign in to continue.", "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.role not in rule:
        abort(403)
    slug_of = getattr(current_app.view_functions[request.endpoint], "edits_module", None)
    if slug_of is not None and not module_editors.can_edit_slug(current_user, slug_of()):
        abort(403)
    return None
