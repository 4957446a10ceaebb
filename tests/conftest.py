import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
PUBLISHED = dt.date(2023, 2, 13)

# The default store and config live under a folder of this test process (one per xdist worker),
# never in the user's own data directory.
_HOME = tempfile.mkdtemp(prefix="deadlines-tests-")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")


def run_cli(*args, env=None, input=None, cwd=None):
    """Run the real console entry point in a subprocess; returns CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DEADLINES_TODAY", None) if env is None or "DEADLINES_TODAY" not in env else None
    return subprocess.run([sys.executable, "-m", "scheduler", *args], capture_output=True,
                          text=True, env=full_env, input=input, cwd=cwd or ROOT, timeout=300)


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def engine(db_url):
    from scheduler.store import connect

    return connect(db_url)


def pg_url():
    """A real PostgreSQL: DEADLINES_TEST_PG_URL, else one started by pgserver; None if neither."""
    url = os.environ.get("DEADLINES_TEST_PG_URL")
    if url:
        return url
    try:
        import pgserver
    except ImportError:
        return None
    try:
        server = pgserver.get_server(str(ROOT / ".pytest_pg"), cleanup_mode=None)
    except Exception as err:   # a machine without a usable PostgreSQL: say why in the skip
        pytest.skip(f"no PostgreSQL available: {err}")
    return _worker_database(server.get_uri()).replace("postgresql://", "postgresql+psycopg://")


def _worker_database(uri: str) -> str:
    """Under pytest-xdist each worker gets a database of its own on the one server, since
    `fresh_pg_url` drops every table before a test."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return uri
    import psycopg

    name = f"deadlines_{worker}"
    with psycopg.connect(uri, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    path, mark, query = uri.partition("?")
    return f"{path.rpartition('/')[0]}/{name}{mark}{query}"


def fresh_pg_url():
    """`pg_url()` with every table dropped, so each test starts from an empty schema."""
    url = pg_url()
    if url is None:
        pytest.skip("pgserver not installed and DEADLINES_TEST_PG_URL not set")
    from sqlmodel import SQLModel

    from scheduler.store import connect

    SQLModel.metadata.drop_all(connect(url))
    return url
