"""Engine creation (SQLite WAL + foreign keys by default; any SQLAlchemy URL) and schema upgrades."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine, select

from scheduler.errors import StoreError
from scheduler.store.tables import SCHEMA_VERSION, SchemaInfo


# Upgrades from version N to N+1, as functions of a connection. Version 1 is the first schema.
def _document_titles(conn) -> None:
    conn.execute(text("ALTER TABLE documents ADD COLUMN title VARCHAR NOT NULL DEFAULT ''"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_milestones_updated_at ON milestones (updated_at)"))


MIGRATIONS: dict[int, callable] = {1: _document_titles}


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
        raise StoreError(f"invalid database URL {url!r}") from None
    kwargs = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(f"cannot create {path.parent}: {err.strerror}") from None
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ArgumentError, ImportError) as err:
        raise StoreError(f"unsupported database URL {url!r}: {err}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine)
    except OperationalError as err:
        raise StoreError(f"cannot open database: {str(err.orig).splitlines()[0]}") from None
    except SQLAlchemyError as err:
        raise StoreError(f"cannot open database: {str(err).splitlines()[0]}") from None
    return engine


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
