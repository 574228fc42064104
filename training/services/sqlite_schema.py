"""The schema of an SQLite file, and the one the migrations make at a given revision.

``flask restore`` compares the two before it touches the live database: a trigger, view,
table or index added to a backup by hand, or one missing from it, must not come back with
the data. Objects are compared by type and name, with their CREATE statements normalised
(case, whitespace, quoting, the order Alembic happens to write table constraints in).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import tempfile
from pathlib import Path

from alembic import command
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

# Tables SQLite makes by itself: sqlite_sequence on the first AUTOINCREMENT insert, sqlite_stat*
# on ANALYZE or PRAGMA optimize. A database migrated a moment ago has none of them yet.
SQLITE_INTERNAL_TABLES = frozenset({"sqlite_sequence", "sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"})

_SQL_TOKEN = re.compile(
    r"""(?P<string>'(?:[^']|'')*')
      | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
      | (?P<space>\s+|--[^\n]*|/\*.*?(?:\*/|\Z))
      | (?P<word>[A-Za-z0-9_$]+)
      | (?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _unquote(quoted: str) -> str:
    inner = quoted[1:-1]
    return inner if quoted[0] == "[" else inner.replace(quoted[0] * 2, quoted[0])


# How a table-level constraint starts; Alembic's batch mode writes these in no fixed order.
_CONSTRAINT_STARTS = frozenset({"constraint", "primary", "unique", "check", "foreign"})

Token = tuple[str, bool]  # its normalised text, and whether it is a word (name, keyword, number or string)


def _tokens(sql: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _SQL_TOKEN.finditer(sql):
        kind, text = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "quoted":
            name = _unquote(text).lower()
            text = name if _PLAIN_NAME.fullmatch(name) else '"' + name.replace('"', '""') + '"'
        elif kind != "string":
            text = text.lower()
        tokens.append((text, kind != "other"))
    return tokens


def _render(tokens: list[Token]) -> str:
    parts: list[str] = []
    for index, (text, wordy) in enumerate(tokens):
        if wordy and index and tokens[index - 1][1]:  # one space between words, none around punctuation
            parts.append(" ")
        parts.append(text)
    return "".join(parts)


def _sorted_constraints(tokens: list[Token]) -> str:
    """A CREATE TABLE's columns in their order, then its table constraints sorted."""
    opening = next((i for i, token in enumerate(tokens) if token == ("(", False)), None)
    if opening is None:  # CREATE TABLE ... AS SELECT: nothing to sort
        return _render(tokens)
    elements: list[list[Token]] = [[]]
    depth, closing = 0, len(tokens)
    for index in range(opening + 1, len(tokens)):
        token = tokens[index]
        if token == ("(", False):
            depth += 1
        elif token == (")", False):
            if depth == 0:
                closing = index
                break
            depth -= 1
        elif token == (",", False) and depth == 0:
            elements.append([])
            continue
        elements[-1].append(token)
    columns = [_render(e) for e in elements if not e or e[0][0] not in _CONSTRAINT_STARTS]
    constraints = sorted(_render(e) for e in elements if e and e[0][0] in _CONSTRAINT_STARTS)
    return f"{_render(tokens[:opening])}({','.join(columns + constraints)}){_render(tokens[closing + 1 :])}"


def normalise_sql(sql: str | None) -> str | None:
    """``sql`` with case, whitespace, comments, needless quotes and the order of table constraints made uniform.

    SQLite keeps each object's CREATE statement as it was written, and rewrites parts of it
    (a renamed table comes back quoted); Alembic's batch mode, which rebuilds a table to
    change it, writes the table's constraints in an order that varies from run to run. Two
    definitions that mean the same thing compare equal after this; string literals, names
    that need their quotes and the order of columns stay as they are.
    """
    if sql is None:
        return None
    tokens = _tokens(sql)
    if [text for text, _ in tokens[:2]] == ["create", "table"]:
        return _sorted_constraints(tokens)
    return _render(tokens)


Schema = dict[tuple[str, str], tuple[str, str | None]]


def read_schema(conn: sqlite3.Connection) -> Schema:
    """Every object in ``sqlite_master`` as (type, name) -> (table, normalised SQL), SQLite's own tables left out."""
    found: Schema = {}
    for kind, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"):
        if kind == "table" and name in SQLITE_INTERNAL_TABLES:
            continue
        found[(kind, name)] = (table, normalise_sql(sql))
    return found


def migrated_schema(migrations: Path, revision: str) -> Schema:
    """The schema the migrations give an empty SQLite database at ``revision``, built afresh on each call.

    The migrations run through Flask-Migrate and the project's ``env.py`` exactly as
    ``flask db upgrade`` runs them, but in an app of their own with its own engine, so the
    live database and the app's connection pool are never involved.
    """
    with tempfile.TemporaryDirectory(prefix="academy-schema-") as folder:
        path = Path(folder) / "reference.db"
        reference = Flask(__name__)
        reference.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
        reference_db = SQLAlchemy()
        reference_db.init_app(reference)
        migrate = Migrate(reference, reference_db, directory=str(migrations), render_as_batch=True)
        quiet = logging.root.manager.disable
        # Alembic's "Running upgrade" lines would read as if the live database were changing.
        logging.disable(logging.INFO)
        with reference.app_context():
            try:
                command.upgrade(migrate.get_config(str(migrations)), revision)
            finally:
                reference_db.engine.dispose()
                logging.disable(quiet)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            return read_schema(conn)
        finally:
            conn.close()


# Most telling first: what was added that acts (triggers, views) before what only holds data.
_KIND_ORDER = {"trigger": 0, "view": 1, "table": 2, "index": 3}


def _describe_object(key: tuple[str, str], table: str) -> str:
    kind, name = key
    return f"{kind} {name} on {table}" if kind in ("index", "trigger") else f"{kind} {name}"


def _ordered(keys: set[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(keys, key=lambda key: (_KIND_ORDER.get(key[0], len(_KIND_ORDER)), key))


def schema_differences(found: Schema, expected: Schema) -> list[str]:
    """What ``found`` has that ``expected`` lacks, what it lacks, and what it defines otherwise.

    A missing table's indexes and triggers go unsaid: they are missing with it.
    """
    extra = [f"extra {_describe_object(key, found[key][0])}" for key in _ordered(found.keys() - expected.keys())]
    absent = expected.keys() - found.keys()
    absent_tables = {name for kind, name in absent if kind == "table"}
    missing = [
        f"missing {_describe_object(key, expected[key][0])}"
        for key in _ordered(absent)
        if key[0] == "table" or expected[key][0] not in absent_tables
    ]
    different = [
        f"different {_describe_object(key, found[key][0])} (not as the migrations define it)"
        for key in _ordered(found.keys() & expected.keys())
        if found[key] != expected[key]
    ]
    return extra + missing + different
