"""Flask commands: content packs, users, enrolment, backup and restore."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from quizzes.coverage import format_table, summarise
from quizzes.formats.packs import PackError, read_pack

from .database import writing
from .extensions import db
from .models import Role
from .services import accounts, audit, backup, cohorts, content, enrolment, question_import, restore


def register(app: Flask) -> None:
    """Attach the commands to the app's CLI."""
    app.cli.add_command(packs)
    app.cli.add_command(create_user)
    app.cli.add_command(import_questions)
    app.cli.add_command(enrol)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.group(cls=AppGroup)
def packs() -> None:
    """Validate, import and export content packs (modules and lessons as YAML)."""


def _fail(exc: PackError) -> None:
    for problem in exc.problems:
        click.echo(f"error: {problem}", err=True)
    raise SystemExit(1)


@packs.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def packs_validate(path: Path) -> None:
    """Check a pack file or folder without importing it (lesson links may point at stored lessons)."""
    try:
        pack = read_pack(path, known_refs=content.known_lesson_refs())
    except PackError as exc:
        _fail(exc)
    for file, doc in pack.lessons + pack.modules:
        click.echo(f"ok: {file}: {doc.kind} {doc.slug}")


@packs.command("summary")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def packs_summary(path: Path | None, as_json: bool) -> None:
    """Cases, stages and items per type and topic for each module: of a pack PATH, or of what is published."""
    if path is None:
        modules = [entry.content for entry in content.catalogue()]
    else:
        try:
            modules = [m for _, m in read_pack(path, known_refs=content.known_lesson_refs()).modules]
        except PackError as exc:
            _fail(exc)
    summary = summarise(modules)
    click.echo(json.dumps(summary, indent=2) if as_json else format_table(summary))


@packs.command("import")
@click.argument("path", type=click.Path(path_type=Path))
def packs_import(path: Path) -> None:
    """Import a pack, all or nothing. The same pack twice changes nothing; a changed module gets a new version."""
    with writing():
        try:
            report = content.import_pack(path)
        except PackError as exc:
            db.session.rollback()
            _fail(exc)
        db.session.commit()
    for line in report.lines:
        click.echo(line)
    click.echo(f"{report.changed} changed, {len(report.lines) - report.changed} unchanged")


@packs.command("export")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="file to write")
def packs_export(slug: str, output: Path) -> None:
    """Write the latest version of a module as a pack file."""
    text = content.export_module(slug)
    if text is None:
        raise click.ClickException(f"no module '{slug}'")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="", help="display name (defaults to the email)")
@click.option("--password", help="prompted for (hidden, twice) when not given")
def create_user(email: str, role: str, name: str, password: str | None) -> None:
    """Create a user with one role."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with writing():
        try:
            user = accounts.create_user(email, name or email, role, password)
        except accounts.AccountError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        audit.record(
            None,
            "user.create",
            target_type="user",
            target_id=user.id,
            summary=f"Added {user.email} as {user.role} from the command line",
            after={"email": user.email, "name": user.name, "role": user.role},
        )
        db.session.commit()
    click.echo(json.dumps({"created": user.email, "role": user.role, "id": user.id}))


@click.command("import-questions")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(question_import.FORMATS)), required=True)
@click.option(
    "--module", "module_slug", required=True, help="module to add to (a new draft module if it does not exist)"
)
@click.option("--case", "case_key", help="put the questions in a new stage of this case instead")
@click.option("--skip-invalid", is_flag=True, help="import what can be imported; report the rest")
def import_questions(file: Path, fmt: str, module_slug: str, case_key: str | None, skip_invalid: bool) -> None:
    """Import GIFT or Aiken questions into a module's draft, all or nothing unless --skip-invalid."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text") from None
    with writing():
        report = question_import.import_questions(
            text, file.name, fmt, module_slug, None, case_key=case_key, skip_invalid=skip_invalid
        )
        if report.refused:
            db.session.rollback()
        else:
            db.session.commit()
    for line in report.imported if not report.refused else []:
        click.echo(f"imported: {line}")
    for problem in report.problems:
        click.echo(f"{'error' if report.refused else 'skipped'}: {problem}", err=True)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if report.refused:
        click.echo("nothing was imported", err=True)
        raise SystemExit(1)
    where = "a new draft module" if report.new_module else "the draft of"
    click.echo(
        f"{len(report.imported)} question(s) imported into {where} '{module_slug}'; "
        "publish it once every question has a topic and a lesson section"
    )


@click.command("enrol")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cohort", "cohort_name", required=True, help="the cohort's exact name")
def enrol(file: Path, cohort_name: str) -> None:
    """Enrol the students listed in a CSV file (columns email and name) in a cohort, all or nothing."""
    with file.open("rb") as fh:
        data = fh.read(enrolment.MAX_BYTES + 1)  # enough to know it is too big, never more
    with writing():
        cohort = cohorts.cohort_by_name(cohort_name)
        if cohort is None:
            db.session.rollback()
            raise click.ClickException(f"There is no cohort called '{cohort_name}'; nothing was changed.")
        report = enrolment.enrol_file(cohort, data, None)
        if report.refused:
            db.session.rollback()
        else:
            db.session.commit()
    for line in report.lines():
        click.echo(line)
    if report.refused:
        raise SystemExit(1)


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} kB"


def _live_sqlite_file(path: Path, *, restoring: bool) -> Path:
    """The SQLite file of the app's database; on PostgreSQL, the pg_dump/pg_restore hint and exit 2."""
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        click.echo(backup.postgres_hint(url, path, restore=restoring), err=True)
        raise SystemExit(2)
    try:
        return backup.sqlite_file(url)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace PATH if it exists")
def backup_command(path: Path, force: bool) -> None:
    """Copy the SQLite database to PATH while the app runs (on PostgreSQL: how to use pg_dump)."""
    live = _live_sqlite_file(path, restoring=False)
    try:
        snapshot = backup.backup_sqlite(live, path, force=force)
    except (backup.BackupError, OSError) as exc:
        raise click.ClickException(f"{exc}; no backup was written") from None
    click.echo(f"backed up {live} to {snapshot.path}")
    click.echo(f"{_size(snapshot.size)}, revision {snapshot.revision}, integrity check ok; rows per table:")
    for line in snapshot.lines():
        click.echo(line)


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup PATH, keeping the current one as *.before-restore.

    The backup's tables, indexes, views and triggers must be exactly those the migrations make at its revision.
    """
    live = _live_sqlite_file(path, restoring=True)
    migrations = Path(current_app.extensions["migrate"].directory)

    def confirm(candidate: backup.Snapshot, current: backup.Snapshot) -> bool:
        click.echo(f"backup {candidate.path}: revision {candidate.revision}, {_size(candidate.size)}")
        click.echo(f"{'table':<24} {'now':>8} {'backup':>8}")
        for table in sorted(set(candidate.rows) | set(current.rows)):
            now, then = current.rows.get(table, "-"), candidate.rows.get(table, "-")
            click.echo(f"{table:<24} {now!s:>8} {then!s:>8}")
        click.echo(
            "Everything saved since the backup (answers, attempts, accounts) will be replaced. "
            "Stop the app servers first: pages open now would show the old data until reloaded."
        )
        return yes or click.confirm(f"Replace {live} with this backup?", default=False)

    def upgrade() -> None:
        from flask_migrate import upgrade as migrate_upgrade

        with restore.foreign_keys_off(db.engine), writing():
            migrate_upgrade(directory=str(migrations))
            db.session.remove()

    def release() -> None:
        db.session.remove()
        db.engine.dispose()

    try:
        report = restore.restore_sqlite(live, path, migrations, confirm=confirm, upgrade=upgrade, release=release)
    except (backup.BackupError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    if report is None:
        click.echo("nothing was changed")
        raise SystemExit(1)
    click.echo(f"restored {path} into {live}; the previous database is kept as {report.previous}")
    if report.upgraded_from:
        click.echo(f"upgraded it from revision {report.upgraded_from} to {report.head}")
