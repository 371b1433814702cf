"""The `nasbench` command. It only parses arguments and calls the library.

One module per command group, each adding its subcommands (`add_commands`) and holding their
`cmd_*` functions: `nasbench.cli.tables` (info, query, import, verify, proxies),
`nasbench.cli.compare`, `nasbench.cli.generate`, `nasbench.cli.validate`,
`nasbench.cli.surrogate`, `nasbench.cli.figures` (plot, report),
`nasbench.cli.reproduce` and `nasbench.cli.completion`; the flags several commands take
come from the parent parsers of `nasbench.cli.common`, one meaning per flag name. The
defaults of a comparison are `nasbench.defaults`.

Exit codes: 0 success, 1 a check failed (`verify`), 2 bad input (a `nasbench.errors.NasbenchError`,
or a file the system refused: one line on stderr). Any other exception is a bug: a traceback, exit 1.
`--no-verify-hash` is passed down as `verify=False` to the loads of the command; the command
never changes `os.environ`.
"""
from __future__ import annotations

import argparse
import logging
import sys
from contextlib import contextmanager
from typing import Sequence

from ..errors import NasbenchError
from ..util.executors import release_ray
from ..util.interrupt import handlers
from . import compare, completion, figures, generate, reproduce, surrogate, tables, validate
from .common import CliError, Parser, add_verbosity, all_subparsers, version
from .surrogate import _surrogate_params  # noqa: F401  (the CLI's reading of --param KEY=VALUE)

__all__ = ["CliError", "build_parser", "main"]

#: the informational lines of the commands (-q hides them, -v adds debug lines); results stay on stdout
log = logging.getLogger("nasbench")


def build_parser() -> argparse.ArgumentParser:
    """The `nasbench` argument parser, every subcommand included.

    Returns:
        The parser (the reference's command-line page is generated from it).
    """
    p = Parser(prog="nasbench", description="NAS-Bench-201 tabular and surrogate benchmarks.")
    p.add_argument("--version", action="version", version=f"nasbench {version()}")
    add_verbosity(p, top=True)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    tables.add_commands(sub)  # info, query, proxies, import, verify
    generate.add_commands(sub)
    compare.add_commands(sub)
    reproduce.add_commands(sub)
    figures.add_commands(sub)  # plot, report
    surrogate.add_commands(sub)
    validate.add_commands(sub)
    completion.add_commands(sub, p)
    for parser in all_subparsers(p):
        add_verbosity(parser, top=False)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `nasbench` command.

    Args:
        argv: the arguments after `nasbench` (None: `sys.argv[1:]`).

    Returns:
        The exit status: 0 success, 1 a failed check, 2 bad input (one line on stderr),
        128 + the signal number when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_output(args)
    try:
        with _hash_warnings(args.command), handlers(), _ray_released():
            return int(args.func(args) or 0)
    except BrokenPipeError:  # e.g. `nasbench info ... | head`
        return 0
    except (NasbenchError, OSError) as exc:  # bad input, or the system refused (no such file, disk full)
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"nasbench {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # SIGINT or SIGTERM (nasbench.util.interrupt): one line, exit 128 + signal
        print(_interrupted_line(args.command, exc), file=sys.stderr)
        code = getattr(exc, "exit_code", 130)
        release_ray(exit_code=code)  # a local Ray instance this command started: killed, and exit here
        return code


@contextmanager
def _hash_warnings(command: str):
    """A tolerated hash mismatch (`--no-verify-hash`, passed down as `verify=False`) is one
    warning line on stderr."""
    import warnings

    from ..tables.fileformat import HashMismatchWarning

    with warnings.catch_warnings():  # restores showwarning on the way out
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
            if issubclass(category, HashMismatchWarning):
                print(f"nasbench {command}: warning: {message}", file=sys.stderr)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


class _ConsoleHandler(logging.Handler):
    """Informational lines on stdout (where the commands always printed them), debug lines, warnings
    and errors on stderr; the streams are looked up at each line (tests and callers may replace them).
    A closed pipe propagates (`main` ends quietly on it)."""

    def emit(self, record: logging.LogRecord) -> None:
        stream = sys.stdout if record.levelno == logging.INFO else sys.stderr
        prefix = "debug: " if record.levelno < logging.INFO else ""
        print(prefix + self.format(record), file=stream, flush=True)


_HANDLER = _ConsoleHandler()


def _setup_output(args: argparse.Namespace) -> None:
    """`-q`/`-v` set the "nasbench" logger's level; progress bars are drawn only on a terminal
    (stderr a TTY) and not with `-q`, so output piped to a file holds no carriage returns."""
    quiet, verbose = getattr(args, "quiet", 0) or 0, getattr(args, "verbose", 0) or 0
    level = logging.DEBUG if verbose > quiet else logging.WARNING if quiet > verbose else logging.INFO
    if _HANDLER not in log.handlers:
        _HANDLER.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(_HANDLER)
    log.propagate = False
    log.setLevel(level)
    log.debug("nasbench %s, python %s, command %s", version(), sys.version.split()[0], args.command)
    if hasattr(args, "no_progress") and (quiet > verbose or not _stderr_is_tty()):
        args.no_progress = True


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


_RESUMABLE = {"compare": "rerun with --resume", "generate": "rerun the same command to resume",
              "proxies": "rerun the same command to resume", "validate": "rerun the same command to resume"}


def _interrupted_line(command: str, exc: KeyboardInterrupt) -> str:
    """What a command stopped by a signal says: for compare, how many runs it kept."""
    kept = getattr(exc, "kept", None)
    if command == "compare" and kept is not None:
        return f"interrupted: {kept} run{'' if kept == 1 else 's'} kept; {_RESUMABLE[command]}"
    if command in _RESUMABLE:
        return f"interrupted: finished work is kept; {_RESUMABLE[command]}"
    return "interrupted"


@contextmanager
def _ray_released():
    """Shut down a local Ray instance the command started when it ends or fails (an interrupt: in main)."""
    try:
        yield
    except KeyboardInterrupt:
        raise
    except BaseException:
        release_ray()
        raise
    release_ray()
