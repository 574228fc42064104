"""Drafts: a module's work in progress, and publishing it as the next frozen version.

Students keep taking the latest published version while a draft exists; publishing
freezes the draft as a new version (past attempts keep theirs) and removes the draft.
"""

from __future__ import annotations

from sqlalchemy import select

from quizzes.content import Module

from ..extensions import db
from ..models import ModuleDraft, ModuleRow, ModuleVersion, User
from ..models.types import utcnow
from . import audit, module_editors
from .content import known_lesson_refs, latest_version, module_by_slug, publish
from .errors import ServiceError


class DraftError(ServiceError, ValueError):
    """A draft that cannot be saved or published, with (key path, message) problems (400)."""

    status_code = 400

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{where}: {message}" for where, message in problems))
        self.problems = problems


def draft_for(module: ModuleRow) -> ModuleDraft | None:
    """The module's draft, if someone has started one."""
    return db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id))


def modules_with_drafts() -> list[tuple[ModuleRow, ModuleDraft]]:
    """Every module that has a draft, with it (one query)."""
    rows = db.session.execute(select(ModuleRow, ModuleDraft).join(ModuleDraft).order_by(ModuleRow.title))
    return [(module, draft) for module, draft in rows]


def start_draft(module: ModuleRow, user: User | None) -> ModuleDraft:
    """The module's draft, started from its latest version when there is none yet."""
    draft = draft_for(module)
    if draft is not None:
        return draft
    version = latest_version(module.id)
    if version is None:
        raise DraftError([("", f"module '{module.slug}' has no version to start a draft from")])
    draft = ModuleDraft(
        module_id=module.id,
        document=version.document,
        base_version_id=version.id,
        updated_by_id=user.id if user else None,
    )
    db.session.add(draft)
    db.session.flush()
    audit_change(draft, user, f"started from version {version.number}", action="module.draft_start")
    return draft


def create_module(document: Module, user: User | None) -> ModuleDraft:
    """A new module that exists only as a draft until it is first published; its creator becomes its editor."""
    if module_by_slug(document.slug) is not None:
        raise DraftError([("slug", f"a module called '{document.slug}' already exists")])
    row = ModuleRow(slug=document.slug, title=document.title, procedure=document.procedure)
    db.session.add(row)
    db.session.flush()
    draft = ModuleDraft(
        module_id=row.id, document=document.model_dump(mode="json"), updated_by_id=user.id if user else None
    )
    db.session.add(draft)
    module_editors.make_creator_editor(row, user)
    audit_change(draft, user, f"created as a new module ({document.slug})", action="module.create")
    db.session.flush()
    return draft


def audit_change(draft: ModuleDraft, user: User | None, change: str, *, action: str = "module.draft_edit", **values):
    """Record a change to a module's draft in the audit log: who, which module, what they did (short)."""
    document = draft.document
    audit.record(
        user,
        action,
        target_type="module",
        target_id=document["slug"],
        summary=f"Draft of {document['title']}: {change}",
        **values,
    )


def save_draft(draft: ModuleDraft, document: Module, user: User | None) -> None:
    """Replace the draft's document with an already validated one."""
    draft.document = document.model_dump(mode="json")
    draft.updated_at = utcnow()
    draft.updated_by_id = user.id if user else None
    db.session.flush()


def publish_problems(document: Module) -> list[tuple[str, str]]:
    """Everything that stops a document being published: missing topics or lesson
    sections, and links to lesson sections that do not exist."""
    problems = document.publish_problems()
    refs = known_lesson_refs()
    for item in document.items():
        if item.lesson and item.lesson not in refs:
            problems.append((f"item {item.key}", f"'{item.lesson}' is not a section of any lesson"))
    return problems


def publish_draft(draft: ModuleDraft, user: User | None) -> ModuleVersion | None:
    """Freeze the draft as the next version and remove it; None when it equals the latest version.

    :raises DraftError: when the draft is not complete enough to publish.
    """
    document = draft.content
    problems = publish_problems(document)
    if problems:
        raise DraftError(problems)
    version = publish(document, user)  # audited there
    db.session.delete(draft)
    db.session.flush()
    return version
