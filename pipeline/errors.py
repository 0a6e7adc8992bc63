"""Errors that become data: a bad input is a row with a one-line reason, not a crash."""


class IngestError(Exception):
    """A file could not be turned into text; ``str(err)`` is the one-line reason."""


class RuleError(Exception):
    """A rule file is invalid; the message names the file and line. Stops a run before output."""
