"""`nasbench completion`: the shell completion script (made by shtab)."""
from __future__ import annotations

import argparse

from .common import CliError


def cmd_completion(args: argparse.Namespace) -> int:
    """Run `nasbench completion`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0.

    Raises:
        CliError: on a bad flag or input (one line on stderr, exit status 2).
    """
    try:
        import shtab
    except ImportError:  # pragma: no cover - a dependency
        raise CliError("shell completion needs shtab: pip install shtab") from None
    print(shtab.complete(args.top_parser, shell=args.shell))
    return 0


def add_commands(sub: argparse._SubParsersAction, top: argparse.ArgumentParser) -> None:
    """Add `completion` to the subcommands.

    Args:
        sub: the subparsers of the `nasbench` parser.
        top: the top-level parser, whose completion script is printed.
    """
    s = sub.add_parser("completion", help="print a shell completion script (bash, zsh or tcsh)",
                       description="Print the completion script of `nasbench` for SHELL (made by shtab). E.g. bash: "
                       "nasbench completion bash > ~/.local/share/bash-completion/completions/nasbench; zsh: "
                       "nasbench completion zsh > ~/.zfunc/_nasbench (with fpath+=~/.zfunc before compinit).")
    s.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell")
    s.set_defaults(func=cmd_completion, top_parser=top)  # the whole command line, to complete
