"""Expected failures. Each carries the exit code the CLI returns; the message is one line."""


class DeadlinesError(Exception):
    """Base of every expected failure; `str(err)` is the one line a user sees."""

    exit_code = 1


class UsageError(DeadlinesError):
    """Bad option values (a malformed date, an unknown choice)."""

    exit_code = 2


class ConfigError(DeadlinesError):
    """The configuration file or environment is invalid."""

    exit_code = 3


class InputError(DeadlinesError):
    """A document cannot be read, decoded or is too large."""

    exit_code = 4


class RuleError(DeadlinesError):
    """A rule file is malformed; the message names the file and the rule."""

    exit_code = 5


class StoreError(DeadlinesError):
    """The database cannot be opened or is inconsistent with the request."""

    exit_code = 6


class NotFound(DeadlinesError):
    """An id, owner or document that does not exist (or an ambiguous prefix)."""

    exit_code = 7


class DeliveryError(DeadlinesError):
    """Mail could not be delivered."""

    exit_code = 8
