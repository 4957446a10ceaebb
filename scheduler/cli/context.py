"""Shared state of one CLI invocation: settings, today, the engine (opened lazily)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scheduler import clock, config


@dataclass
class State:
    db: str | None = None
    config_path: str | None = None
    today_flag: str | None = None
    _settings: config.Settings | None = field(default=None, repr=False)
    _engine: object = field(default=None, repr=False)

    @property
    def settings(self) -> config.Settings:
        if self._settings is None:
            from pathlib import Path

            self._settings = config.load(Path(self.config_path) if self.config_path else None,
                                         db=self.db)
        return self._settings

    def today(self, flag: str | None = None) -> dt.date:
        return clock.today(flag or self.today_flag or self.settings.today, self.settings.tz)

    def now(self) -> dt.datetime:
        return clock.now(self.settings.tz)

    @property
    def engine(self):
        if self._engine is None:
            from scheduler.store import connect

            self._engine = connect(self.settings.db)
        return self._engine


STATE = State()
