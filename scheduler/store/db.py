"""Engine creation (SQLite WAL + foreign keys by default; any SQLAlchemy URL) and schema upgrades."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine, select

from scheduler.config import default_db_url
from scheduler.errors import StoreError, redact, register_secret
from scheduler.store.tables import SCHEMA_VERSION, SchemaInfo


# Upgrades from version N to N+1, as functions of a connection. Version 1 is the first schema.
# Two branches each defined a version 2 (document titles; hashed feed tokens), so a database at
# version 2 may have either one: every step checks what is already there and does only the rest.
def _document_titles(conn) -> None:
    columns = {c["name"] for c in inspect(conn).get_columns("documents")}
    if "title" not in columns:
        conn.execute(text("ALTER TABLE documents ADD COLUMN title VARCHAR NOT NULL DEFAULT ''"))
    if "updated_at" in {c["name"] for c in inspect(conn).get_columns("milestones")}:
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_milestones_updated_at "
                          "ON milestones (updated_at)"))


def _hashed_tokens(conn) -> None:
    """Feed tokens are kept as SHA-256 hashes with a short prefix; documents indexed by content."""
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_documents_content_hash "
                      "ON documents (content_hash)"))
    columns = {c["name"] for c in inspect(conn).get_columns("feed_tokens")}
    if "prefix" not in columns:
        conn.execute(text("ALTER TABLE feed_tokens ADD COLUMN prefix VARCHAR(16) NOT NULL DEFAULT ''"))
        for (token,) in conn.execute(text("SELECT token FROM feed_tokens")).all():
            conn.execute(text("UPDATE feed_tokens SET token = :hashed, prefix = :prefix "
                              "WHERE token = :token"),
                         {"hashed": hashlib.sha256(token.encode()).hexdigest(),
                          "prefix": token[:12], "token": token})
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_feed_tokens_prefix ON feed_tokens (prefix)"))


def _both(conn) -> None:
    _document_titles(conn)
    _hashed_tokens(conn)


def _review(conn) -> None:
    """Version 4: review state, pinned fields and conflicts of milestones (the new tables
    `milestone_edits` and `rejections` are made by create_all)."""
    columns = {c["name"] for c in inspect(conn).get_columns("milestones")}
    added = (("review", "VARCHAR(16) NOT NULL DEFAULT 'unreviewed'"),
             ("pinned", "JSON NOT NULL DEFAULT '{}'"), ("conflict", "JSON NOT NULL DEFAULT '{}'"),
             ("extract_key", "VARCHAR(64)"))
    for name, kind in added:
        if name not in columns:
            conn.execute(text(f"ALTER TABLE milestones ADD COLUMN {name} {kind}"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_milestones_review ON milestones (review)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_milestones_extract_key "
                      "ON milestones (extract_key)"))


MIGRATIONS: dict[int, callable] = {1: _both, 2: _both, 3: _review}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def connect(url: str) -> Engine:
    """Open (and create or upgrade) the database at `url`. Errors are one-line StoreErrors."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"invalid database URL {redact(url)!r}") from None
    register_secret(parsed.password)
    shown = parsed.render_as_string(hide_password=True)
    kwargs = {}
    if parsed.get_backend_name() == "sqlite":
        _sqlite_path(parsed, url)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ArgumentError, ImportError) as err:
        raise StoreError(f"unsupported database URL {shown!r}: {err}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    for attempt in range(5):
        try:
            migrate(engine)
            return engine
        except SQLAlchemyError as err:
            # several processes creating a new database at once: the losers look again
            racing = any(word in str(err).lower() for word in RACES)
            if racing and attempt < 4:
                time.sleep(0.1 * (attempt + 1))
                continue
            orig = err.orig if isinstance(err, OperationalError) else err
            raise StoreError(f"cannot open database: {str(orig).splitlines()[0]}") from None
    return engine


RACES = ("already exists", "duplicate", "unique constraint", "locked")


def _sqlite_path(parsed, url: str) -> None:
    """`sqlite:///` alone would be a throw-away in-memory database: refused (say `:memory:`).
    The folder of a file must exist; only the default location is created on first use."""
    name = parsed.database
    if not name:
        raise StoreError(f"database URL {url!r} names no file: give a path (sqlite:///deadlines.db) "
                         "or sqlite:///:memory: for a throw-away database")
    if name == ":memory:" or name.startswith("file:"):
        return
    folder = Path(name).parent
    if folder.is_dir():
        return
    if url != default_db_url():
        raise StoreError(f"folder {str(folder)!r} of the database does not exist")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"cannot create {folder}: {err.strerror}") from None


def migrate(engine: Engine) -> int:
    """Create missing tables and run pending upgrades; returns the schema version."""
    existing = set(inspect(engine).get_table_names())
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        info = session.exec(select(SchemaInfo)).first()
        if info is None:
            version = SCHEMA_VERSION if "milestones" not in existing else 1
            session.add(SchemaInfo(id=1, version=version))
            session.commit()
            info = session.exec(select(SchemaInfo)).first()
        if info.version > SCHEMA_VERSION:
            raise StoreError(f"database schema {info.version} is newer than this program "
                             f"({SCHEMA_VERSION}); upgrade deadlines")
        while info.version < SCHEMA_VERSION:
            with engine.begin() as conn:
                MIGRATIONS[info.version](conn)
            info.version += 1
            session.add(info)
            session.commit()
        return info.version
