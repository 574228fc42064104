"""Content: modules with frozen versions, and lessons."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cached_property

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizzes.content import Lesson, Module

from ..extensions import db
from .types import JSONDoc, UTCDateTime, utcnow

_PARSED_VERSIONS: dict[tuple[int, str], Module] = {}


class ModuleRow(db.Model):
    """A module's identity; what it contains lives in its versions."""

    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    procedure: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[ModuleVersion]] = relationship(
        back_populates="module", order_by="ModuleVersion.number", lazy="raise_on_sql"
    )


class ModuleVersion(db.Model):
    """A published, frozen copy of a module document. Never updated once written."""

    __tablename__ = "module_versions"
    __table_args__ = (UniqueConstraint("module_id", "number", name="uq_module_versions_module_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    # Deferred: an attempt joins its version on every save, and ``content`` parses the
    # document once per process, so the (tens of kB) JSON is read only on a cache miss.
    document: Mapped[dict] = mapped_column(JSONDoc, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    item_count: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    module: Mapped[ModuleRow] = relationship(back_populates="versions")

    @property
    def content(self) -> Module:
        """The validated engine document.

        Versions never change once written, so each is parsed once per process and
        shared; the hash in the key keeps the cache honest if ids are ever reused.
        """
        doc = _PARSED_VERSIONS.get(self._cache_key)
        if doc is None:
            doc = self._remember(self.document)
        return doc

    @property
    def _cache_key(self) -> tuple[int, str]:
        return self.id, self.content_hash

    def _remember(self, document: dict) -> Module:
        if len(_PARSED_VERSIONS) >= 256:
            _PARSED_VERSIONS.clear()
        doc = _PARSED_VERSIONS[self._cache_key] = Module.model_validate(document)
        return doc

    @classmethod
    def parse_all(cls, versions: Iterable[ModuleVersion]) -> None:
        """Parse, with one query, the documents of ``versions`` this process has not parsed yet.

        For pages that list several versions: without it each unparsed one would read its
        (deferred) document with a query of its own.
        """
        missing = {v.id: v for v in versions if v._cache_key not in _PARSED_VERSIONS}
        if missing:
            rows = db.session.execute(select(cls.id, cls.document).where(cls.id.in_(missing)))
            for version_id, document in rows:
                missing[version_id]._remember(document)


class ModuleDraft(db.Model):
    """The module's work in progress: at most one per module, published as the next version.

    Its document always passes the engine's validator; only a topic or lesson section
    may still be missing (publishing requires them).
    """

    __tablename__ = "module_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), unique=True)
    document: Mapped[dict] = mapped_column(JSONDoc)
    # The version this draft was started from (None for a brand-new module).
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_versions.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def content(self) -> Module:
        """The draft as an engine document."""
        return Module.model_validate(self.document)


class ModuleEditor(db.Model):
    """Someone who may change a module (its drafts, settings and publishing); admins always may.

    A module's creator is its first editor; an admin or an editor adds the others.
    """

    __tablename__ = "module_editors"
    __table_args__ = (Index("ix_module_editors_user", "user_id"),)

    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Who made them an editor: None for the module's creator backfilled by the migration.
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LessonRow(db.Model):
    """A lesson; items link to its sections by ``slug#anchor``."""

    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    procedure: Mapped[str] = mapped_column(String(40))
    document: Mapped[dict] = mapped_column(JSONDoc)
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @cached_property
    def content(self) -> Lesson:
        """The validated engine document."""
        return Lesson.model_validate(self.document)
