"""Content: importing and exporting packs, publishing versions, finding what to show."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from quizzes.content import Lesson, Module, content_hash
from quizzes.formats.packs import dump_document, read_pack

from ..extensions import db
from ..models import LessonRow, ModuleRow, ModuleVersion, User
from ..models.types import utcnow
from . import audit

STARTER_PACKS = Path(__file__).resolve().parents[2] / "quizzes" / "packs"
PROCEDURE_ORDER = ("thread-lift", "mesotherapy", "mixed")
# Lessons of a procedure read best in this order; their slugs end with these parts.
LESSON_ORDER = ("anatomy", "placement", "volume-and-product", "aftercare", "red-flags", "recovery")


@dataclass
class ImportReport:
    """What an import did, document by document."""

    lines: list[str] = field(default_factory=list)
    changed: int = 0

    def add(self, line: str, changed: bool) -> None:
        """Record one document's outcome."""
        self.lines.append(line)
        self.changed += changed


def known_lesson_refs() -> set[str]:
    """Every ``slug#anchor`` of every lesson in the database."""
    refs: set[str] = set()
    for (document,) in db.session.execute(select(LessonRow.document)):
        refs |= Lesson.model_validate(document).refs()
    return refs


def import_pack(path: str | Path, publisher: User | None = None) -> ImportReport:
    """Import every lesson and module of a pack, all or nothing; flushes, the caller commits.

    Idempotent: a document equal to what is stored changes nothing; a changed module
    publishes a new version (older versions stay as they were for past attempts).

    :raises quizzes.formats.packs.PackError: when anything in the pack is wrong.
    """
    pack = read_pack(path, known_refs=known_lesson_refs())
    report = ImportReport()
    for _, lesson in pack.lessons:
        report.add(*_upsert_lesson(lesson))
    for _, module in pack.modules:
        report.add(*_publish_module(module, publisher))
    db.session.flush()
    return report


def _upsert_lesson(lesson: Lesson) -> tuple[str, bool]:
    digest = content_hash(lesson)
    row = db.session.scalar(select(LessonRow).where(LessonRow.slug == lesson.slug))
    if row is not None and row.content_hash == digest:
        return f"lesson {lesson.slug}: unchanged", False
    if row is None:
        row = LessonRow(slug=lesson.slug)
        db.session.add(row)
    row.title, row.procedure = lesson.title, lesson.procedure
    row.document, row.content_hash, row.updated_at = lesson.model_dump(mode="json"), digest, utcnow()
    return f"lesson {lesson.slug}: saved", True


def publish(module: Module, publisher: User | None) -> ModuleVersion | None:
    """Freeze ``module`` as a new version, or return None when it equals the latest one."""
    digest = content_hash(module)
    row = db.session.scalar(select(ModuleRow).where(ModuleRow.slug == module.slug))
    if row is None:
        row = ModuleRow(slug=module.slug, title=module.title, procedure=module.procedure)
        db.session.add(row)
        db.session.flush()
    latest = latest_version(row.id)
    if latest is not None and latest.content_hash == digest:
        return None
    row.title, row.procedure = module.title, module.procedure
    version = ModuleVersion(
        module_id=row.id,
        number=(latest.number + 1) if latest else 1,
        document=module.model_dump(mode="json"),
        content_hash=digest,
        item_count=sum(1 for _ in module.items()),
        published_by_id=publisher.id if publisher else None,
    )
    db.session.add(version)
    settings = module.settings.model_dump(mode="json")
    old_settings = latest.content.settings.model_dump(mode="json") if latest else {}
    changed = sorted(k for k in settings if latest and old_settings.get(k) != settings[k])
    was = f" (was {latest.item_count})" if latest and latest.item_count != version.item_count else ""
    audit.record(
        publisher,
        "module.publish",
        target_type="module",
        target_id=module.slug,
        summary=f"Published {module.title} version {version.number}: {version.item_count} questions{was}"
        + (f"; settings changed: {', '.join(changed)}" if changed else ""),
        before={"version": latest.number, "settings": old_settings} if latest else None,
        after={"version": version.number, "settings": settings},
    )
    return version


def _publish_module(module: Module, publisher: User | None) -> tuple[str, bool]:
    version = publish(module, publisher)
    if version is None:
        return f"module {module.slug}: unchanged", False
    return f"module {module.slug}: published version {version.number}", True


def latest_version(module_id: int) -> ModuleVersion | None:
    """The newest published version of a module."""
    return db.session.scalar(
        select(ModuleVersion).where(ModuleVersion.module_id == module_id).order_by(ModuleVersion.number.desc()).limit(1)
    )


def module_by_slug(slug: str) -> ModuleRow | None:
    """A module by its slug."""
    return db.session.scalar(select(ModuleRow).where(ModuleRow.slug == slug))


def versions(module_id: int) -> list[tuple[ModuleVersion, User | None]]:
    """Every version of a module, newest first, with who published it (one query)."""
    rows = db.session.execute(
        select(ModuleVersion, User)
        .outerjoin(User, User.id == ModuleVersion.published_by_id)
        .where(ModuleVersion.module_id == module_id)
        .order_by(ModuleVersion.number.desc())
    )
    return [(version, user) for version, user in rows]


def version_diff(module_id: int, old: int, new: int) -> list[str] | None:
    """What changed between two versions, as unified-diff lines of their pack files."""
    found = {
        v.number: v
        for v in db.session.scalars(
            select(ModuleVersion).where(ModuleVersion.module_id == module_id, ModuleVersion.number.in_([old, new]))
        )
    }
    if old not in found or new not in found:
        return None
    return list(
        difflib.unified_diff(
            dump_document(found[old].content).splitlines(),
            dump_document(found[new].content).splitlines(),
            fromfile=f"version {old}",
            tofile=f"version {new}",
            lineterm="",
        )
    )


def export_module(slug: str) -> str | None:
    """The latest version of a module as pack YAML, or None if there is no such module."""
    row = module_by_slug(slug)
    version = latest_version(row.id) if row else None
    return dump_document(version.content) if version else None


@dataclass(frozen=True)
class CatalogueEntry:
    """A published module as the catalogue lists it."""

    module: ModuleRow
    version: ModuleVersion

    @property
    def content(self) -> Module:
        """The module document of the latest version."""
        return self.version.content


def catalogue() -> list[CatalogueEntry]:
    """Every module with its latest version, in one query."""
    newest = (
        select(ModuleVersion.module_id, func.max(ModuleVersion.number).label("number"))
        .group_by(ModuleVersion.module_id)
        .subquery()
    )
    rows = db.session.execute(
        select(ModuleRow, ModuleVersion)
        .join(ModuleVersion, ModuleVersion.module_id == ModuleRow.id)
        .join(newest, (newest.c.module_id == ModuleVersion.module_id) & (newest.c.number == ModuleVersion.number))
        .order_by(ModuleRow.title)
    )
    entries = [CatalogueEntry(module, version) for module, version in rows]
    ModuleVersion.parse_all(entry.version for entry in entries)
    return sorted(entries, key=lambda e: _procedure_rank(e.module.procedure))


def _procedure_rank(procedure: str) -> int:
    return PROCEDURE_ORDER.index(procedure) if procedure in PROCEDURE_ORDER else len(PROCEDURE_ORDER)


def _lesson_sort_key(row: LessonRow) -> tuple:
    part = next((n for n, p in enumerate(LESSON_ORDER) if row.slug.endswith(p)), len(LESSON_ORDER))
    return _procedure_rank(row.procedure), part, row.title


def lessons() -> list[LessonRow]:
    """Every lesson, by procedure, then anatomy to recovery."""
    return sorted(db.session.scalars(select(LessonRow)), key=_lesson_sort_key)


def lessons_for(module: Module) -> list[LessonRow]:
    """The lessons a module's items link to, in teaching order (one query)."""
    slugs = {ref.split("#", 1)[0] for ref in module.lesson_refs()}
    return sorted(db.session.scalars(select(LessonRow).where(LessonRow.slug.in_(slugs))), key=_lesson_sort_key)


def lessons_by_procedure() -> list[tuple[str, list[LessonRow]]]:
    """Lessons grouped by procedure, in teaching order."""
    groups: dict[str, list[LessonRow]] = {}
    for row in lessons():
        groups.setdefault(row.procedure, []).append(row)
    return list(groups.items())


def section_titles(refs: set[str]) -> dict[str, str]:
    """``slug#anchor`` -> section title for the given references (one query)."""
    slugs = {ref.split("#", 1)[0] for ref in refs}
    titles: dict[str, str] = {}
    for row in db.session.scalars(select(LessonRow).where(LessonRow.slug.in_(slugs))):
        titles |= {f"{row.slug}#{s.anchor}": s.title for s in row.content.sections}
    return titles


def lesson_by_slug(slug: str) -> LessonRow | None:
    """A lesson by its slug."""
    return db.session.scalar(select(LessonRow).where(LessonRow.slug == slug))


def has_modules() -> bool:
    """True once any module exists."""
    return db.session.scalar(select(func.count(ModuleRow.id))) > 0


def load_starter_content(path: str | Path = STARTER_PACKS) -> ImportReport | None:
    """Import the starter packs (the shipped ones unless ``path`` says) when the database has no modules yet."""
    if has_modules():
        return None
    return import_pack(path)
