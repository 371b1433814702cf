"""The project's one exception base.

Contract: every error that means *bad input* (a flag, a file, a configuration, an argument of the
Python API that is not allowed) is an instance of `NasbenchError`. The command line
(`nasbench.cli.main`) catches this base only and prints one line `nasbench CMD: error: ...`
with exit status 2; any other exception is a bug and surfaces as a traceback with exit status 1.

Each kind of error is a subclass that also keeps a builtin base (for example
`class ProtocolError(NasbenchError, ValueError)`), so `except ValueError` in callers keeps
working. This module imports nothing of the project: it sits at the bottom of the import graph.
"""
from __future__ import annotations


class NasbenchError(Exception):
    """Bad input to the suite: the message is one line naming what was wrong and what is allowed."""


class LimitError(NasbenchError, ValueError):
    """A count, size or depth the user controls is beyond the suite's stated maximum."""


class InputError(NasbenchError, ValueError):
    """Bad input where no more specific kind applies (a value of the Python API, a name)."""


class ConfigError(NasbenchError, ValueError):
    """A bad comparison configuration (one line, names the key and, for files, the line)."""
