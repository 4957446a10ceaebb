"""One typed settings object: defaults < TOML file < DEADLINES_* environment < command-line flags.

The TOML file is `$DEADLINES_CONFIG`, else `<user config dir>/deadlines/config.toml` if it exists.
Keys are the field names below (`db = "sqlite:///x.db"`, `[smtp]`-less flat names such as
`smtp_host`). Environment names are the field names upper-cased with the `DEADLINES_` prefix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import platformdirs
import tomllib
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scheduler.errors import ConfigError, register_secret

APP = "deadlines"


def default_db_url() -> str:
    """SQLite file in the user's data directory (created on first use)."""
    path = Path(platformdirs.user_data_dir(APP)) / "deadlines.db"
    return f"sqlite:///{path}"


def default_config_path() -> Path:
    env = os.environ.get("DEADLINES_CONFIG")
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    db: str = Field(default_factory=default_db_url)
    tz: str = "Asia/Shanghai"
    today: str | None = None
    calendars_dir: str = "calendars"
    rules_dir: str | None = None
    max_input_bytes: int = 20_000_000
    stale_days: int = Field(default=90, ge=0)   # overdue longer than this: stale (counted, not listed)
    # what feeds, calendar files, the dashboard and digests carry: every milestone, or only
    # accepted, edited and hand-entered ones
    publish: Literal["all", "reviewed"] = "all"

    doc_timeout: float = Field(default=120.0, gt=0)   # seconds of extraction per document in ingest
    # calendars and feeds
    uid_domain: str = "deadlines.invalid"
    feed_base_url: str | None = None
    public_feeds: bool = True
    alarm_days: int = 3
    refresh_hours: int = 12
    event_summary: str = "[{owner}] {title}"   # also {task}, {kind}, {precision}
    # what a person sees (dashboard, digest)
    stale_days: int = 90
    digest_top: int = 5
    digest_reply_to: str | None = None
    # mail
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_from: str = "deadlines@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_ca_file: str | None = None     # certificates to trust besides the system's (a private CA)
    smtp_timeout: float = 30.0
    smtp_retries: int = 2
    smtp_backoff: float = 2.0
    templates_dir: str | None = None
    digest_send_empty: bool = False
    digest_lease_seconds: int = 300
    digest_max_attempts: int = Field(default=5, ge=1)   # then the outbox row is marked failed
    tick_seconds: int = 60
    # watched sources (`deadlines source`)
    source_contact: str | None = None        # in the User-Agent; default: smtp_from
    source_timeout: float = 20.0             # seconds for a whole response
    source_max_bytes: int = 5_000_000
    source_host_interval: float = 1.0        # at least this many seconds between requests to a host
    source_lease_seconds: int = 900          # a run claimed by a process that vanished is retaken after


def load(path: Path | None = None, **overrides) -> Settings:
    """Read the TOML file (if any), then DEADLINES_* variables, then explicit overrides."""
    path = path or default_config_path()
    values: dict = {}
    if path.exists():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConfigError(f"cannot read config {path}: {err}") from None
    elif "DEADLINES_CONFIG" in os.environ:
        raise ConfigError(f"config file {path} does not exist")
    for name in Settings.model_fields:
        env = os.environ.get(f"DEADLINES_{name.upper()}")
        if env is not None:
            values[name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = Settings.model_validate(values)
        register_secret(settings.smtp_password)     # never shown in a message or log
        return settings
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"invalid setting {loc}: {first['msg']}") from None
