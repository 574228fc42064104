"""Browsing the audit log: filtered pages for admins and a streamed CSV export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select

from ..extensions import db
from ..models import AuditEvent
from .exports import Table
from .paging import Page, paginate

PER_PAGE = 50

# Security events besides the ``auth.*`` ones (sign-in, failures, throttling, sign-out, idle end):
# the password and session changes that staff or the user make.
SECURITY_ACTIONS = ("user.password_change", "user.password_reset", "user.sessions_end")


@dataclass(frozen=True)
class AuditFilter:
    """What the audit log is narrowed to; empty values mean "any". Dates are whole UTC days."""

    action: str = ""
    actor: str = ""
    target_type: str = ""
    target_id: str = ""
    kind: str = ""  # "security" (sign-ins, sign-outs, passwords, throttling), "changes" (the rest)
    address: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def _audit_select(filters: AuditFilter) -> Select:
    """The audit events matching ``filters``, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    actor = filters.actor.strip().lower()
    if actor:
        query = query.where(func.lower(AuditEvent.actor_email).contains(actor, autoescape=True))
    if filters.target_type:
        query = query.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id.strip():
        query = query.where(AuditEvent.target_id == filters.target_id.strip())
    security = or_(AuditEvent.action.in_(SECURITY_ACTIONS), AuditEvent.action.like("auth.%"))
    if filters.kind == "security":
        query = query.where(security)
    elif filters.kind == "changes":
        query = query.where(~security)
    if filters.address.strip():
        query = query.where(AuditEvent.address.startswith(filters.address.strip(), autoescape=True))
    if filters.date_from:
        query = query.where(AuditEvent.at >= _start_of(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEvent.at < _start_of(filters.date_to + timedelta(days=1)))
    return query


def audit_page(filters: AuditFilter, number: int) -> Page:
    """Page ``number`` of the matching audit events, newest first."""
    return paginate(_audit_select(filters), number, PER_PAGE, scalars=True)


def audit_choices() -> tuple[list[str], list[str]]:
    """The actions and the target types that occur in the log, for the filter's selects (one query)."""
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.target_type).distinct()).all()
    actions = sorted({action for action, _ in rows})
    target_types = sorted({target_type for _, target_type in rows if target_type})
    return actions, target_types


def pretty_json(value: Any) -> str:
    """A before/after value as indented JSON text, for people to read (the template escapes it)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


CSV_HEADER = ("at_utc", "actor_email", "action", "target_type", "target_id", "summary", "before", "after", "address")


def _csv_json(value: Any) -> str:
    """A before/after value as compact JSON for a CSV cell (empty when there is none)."""
    return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def csv_table(filters: AuditFilter) -> Table:
    """The matching audit log as a table whose rows are read from the database in batches."""

    def rows() -> Iterator[list[Any]]:
        events = db.session.scalars(_audit_select(filters), execution_options={"yield_per": 500})
        for event in events:
            yield [
                event.at.astimezone(UTC).isoformat(timespec="seconds"),
                event.actor_email,
                event.action,
                event.target_type,
                event.target_id,
                event.summary,
                _csv_json(event.before),
                _csv_json(event.after),
                event.address,
            ]

    return Table("Audit log", list(CSV_HEADER), rows())
