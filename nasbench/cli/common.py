"""What the commands share: the parser class, the error of bad flags, and the parent parsers of
the flags several commands take. Each flag name has one meaning, stated once here in its help;
a command's own default (`--jobs`) is stated where the command adds the parent."""
from __future__ import annotations

import argparse
from typing import NoReturn

from ..errors import NasbenchError
from ..util.executors import EXECUTORS


class CliError(NasbenchError, ValueError):
    """Bad input found by the CLI itself."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the full usage stays behind --help), and a name not
    among the choices (a subcommand, `--executor` ...) suggests the closest one."""

    def error(self, message: str) -> NoReturn:
        """Exit with status 2 and a one-line usage error.

        Args:
            message: what is wrong.

        Raises:
            SystemExit: always (status 2).
        """
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def _check_value(self, action: argparse.Action, value) -> None:  # noqa: ANN001
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as exc:
            from ..util.suggest import did_you_mean

            hint = did_you_mean(value, action.choices or ())
            if not hint:
                raise
            raise argparse.ArgumentError(action, f"{exc.message}{hint}") from None


def version() -> str:
    """The installed distribution's version, else the package's own.

    Returns:
        The version string.
    """
    try:
        from importlib.metadata import PackageNotFoundError, version as dist_version

        return dist_version("nasbench")
    except (ImportError, PackageNotFoundError):
        from .._version import __version__

        return __version__


def add_verbosity(p: argparse.ArgumentParser, top: bool) -> None:
    """`-q`/`-v`: before the subcommand, or after it (there they override only when given).

    Args:
        p: the parser to add the flags to.
        top: True for the top-level parser (defaults 0), False for a subcommand (no defaults).
    """
    default = 0 if top else argparse.SUPPRESS
    p.add_argument("-q", "--quiet", action="count", default=default,
                   help="fewer messages: no progress bars, no informational lines (results and errors stay)")
    p.add_argument("-v", "--verbose", action="count", default=default, help="more messages: debug lines")


def all_subparsers(p: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every (nested) subcommand's parser.

    Args:
        p: the parser.

    Returns:
        The parsers of its subcommands, depth first, each once.
    """
    out = []
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                out += [child, *all_subparsers(child)]
    return out


# -- parent parsers: one meaning per flag name ---------------------------------------------------
def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)


NO_VERIFY_HELP = ("load the table even if its SHA-256 does not match (forensic use; a warning is printed, "
                  "provenance records both hashes); same as NASBENCH_NO_VERIFY_HASH=1")


def verify_parent() -> argparse.ArgumentParser:
    """`--no-verify-hash`: the command loads its tables with `verify=False`.

    Returns:
        The parent parser (no help of its own), for `parents=` of a subcommand.
    """
    p = _parent()
    p.add_argument("--no-verify-hash", action="store_true", help=NO_VERIFY_HELP)
    return p


def verify_arg(args: argparse.Namespace) -> bool | None:
    """What `--no-verify-hash` passes down as `verify=`: False when given, else None (the
    library's default: check, unless `$NASBENCH_NO_VERIFY_HASH=1`, read in one place,
    `nasbench.tables.fileformat.verify_hash_default`).

    Args:
        args: the parsed arguments.

    Returns:
        False with `--no-verify-hash`, else None.
    """
    return False if getattr(args, "no_verify_hash", False) else None


def progress_parent() -> argparse.ArgumentParser:
    """`--no-progress`.

    Returns:
        The parent parser (no help of its own), for `parents=` of a subcommand.
    """
    p = _parent()
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bars (they are drawn only when stderr is a terminal, and not with -q)")
    return p


def data_dir_parent() -> argparse.ArgumentParser:
    """`--data-dir`: where the dataset files are.

    Returns:
        The parent parser (no help of its own), for `parents=` of a subcommand.
    """
    p = _parent()
    p.add_argument("--data-dir", help="directory holding the dataset files (for commands that train or read "
                                      "images; default: the datasets' usual places)")
    return p


def seed_parent(default: int | None, what: str) -> argparse.ArgumentParser:
    """`--seed`: the root seed of the command's random choices (the same seed gives the same result).

    Args:
        default: the command's default seed (None: none).
        what: what the seed seeds, for the help.

    Returns:
        The parent parser (no help of its own), for `parents=` of a subcommand.
    """
    p = _parent()
    shown = "" if default is None else f" (default {default})"
    p.add_argument("--seed", type=int, default=default,
                   help=f"root seed of the command's random choices; the same seed gives the same result: {what}"
                        f"{shown}")
    return p


def jobs_parent(default: int | None, shown: str) -> argparse.ArgumentParser:
    """`--jobs`: how many runs, trainings or computations execute at once.

    Args:
        default: the command's default (None: resolved by the command).
        shown: the default as the help states it.

    Returns:
        The parent parser (no help of its own), for `parents=` of a subcommand.
    """
    p = _parent()
    p.add_argument("--jobs", type=int, default=default,
                   help=f"how many execute at once: local processes, or Ray actors with --executor ray (default "
                        f"{shown}); results do not depend on it")
    return p


def ray_parent() -> argparse.ArgumentParser:
    """`--executor` and `--address`: where the work executes.

    Returns:
        The parent parser (no help of its own), for `parents=` of a subcommand.
    """
    p = _parent()
    p.add_argument("--executor", choices=EXECUTORS,
                   help="where the work executes: local processes (default) or the actors of a Ray cluster "
                        "(pip install 'nasbench[ray]'); results do not depend on it")
    p.add_argument("--address", help="Ray cluster address host:port (with --executor ray; default: a local instance)")
    return p


def device_parent() -> argparse.ArgumentParser:
    """`--device` and `--allow-cpu-fallback`: where networks are trained.

    Returns:
        The parent parser (no help of its own), for `parents=` of a subcommand.
    """
    p = _parent()
    p.add_argument("--device", default="auto",
                   help="where networks are trained: auto (a CUDA GPU where torch sees one, else the CPU; default), "
                        "cpu, cuda or cuda:N")
    p.add_argument("--allow-cpu-fallback", action="store_true", help="with --device cuda: use the CPU if no GPU")
    return p


def recipe_parent() -> argparse.ArgumentParser:
    """The training recipe and data flags of `generate` and `validate` (each left out: the
    preset's, or what the table records).

    Returns:
        The parent parser (no help of its own), for `parents=` of a subcommand.
    """
    p = _parent()
    p.add_argument("--epochs", type=int, help="training epochs (default: the preset's, or the recipe the table "
                                              "records)")
    p.add_argument("--channels", type=int, help="C, channels of the first stage")
    p.add_argument("--cells-per-stage", type=int, help="N, cells per stage")
    p.add_argument("--batch-size", type=int, help="training batch size")
    p.add_argument("--dataset", help="the dataset trained on: digits, fashion-mnist, cifar10, cifar100, "
                                     "imagenet16-120 (default: the preset's, or the one the table records)")
    p.add_argument("--downscale", type=int, help="average-pool images by this factor")
    p.add_argument("--train-size", type=int, help="images of the training split")
    p.add_argument("--valid-size", type=int, help="images of the validation split")
    p.add_argument("--test-size", type=int, help="images of the test split")
    return p


def plots_parent() -> argparse.ArgumentParser:
    """`--width`, `--band`, `--baseline` (checked in code: a bad value is one line, exit 2).

    Returns:
        The parent parser (no help of its own), for `parents=` of a subcommand.
    """
    s = _parent()
    s.add_argument("--width", metavar="PRESET", help="figure width: default (screen), one-column (3.3 in) or "
                   "two-column (6.9 in); the print presets keep every font at 7 pt or more (config: plots.width)")
    s.add_argument("--band", metavar="BAND", help="band of the curves: se (mean ± standard error, default), ci95 "
                   "(mean, 95%% bootstrap interval) or iqr (median, interquartile range) (config: plots.band)")
    s.add_argument("--baseline", metavar="LABEL", help="summary.tex marks significance against this strategy "
                   "(default: random where present; config: plots.baseline)")
    return s


def plot_flags(args: argparse.Namespace) -> dict:
    """`--width`, `--band`, `--baseline` as given (checked: a bad value is one line naming the flag).

    Args:
        args: the parsed arguments.

    Returns:
        The flags given, by name (`width`, `band`, `baseline`).

    Raises:
        nasbench.errors.NasbenchError: a bad value (the message names the flag).
    """
    from ..search.plot_options import check_options

    given = {k: getattr(args, k, None) for k in ("width", "band", "baseline")}
    given = {k: v for k, v in given.items() if v is not None}
    check_options(given.get("width", "default"), given.get("band", "se"), given.get("baseline"), "--")
    return given


def check_positive(args: argparse.Namespace, *flags: str) -> None:
    """Each flag given is a positive integer (one line naming the flag otherwise).

    Args:
        args: the parsed arguments.
        *flags: the attribute names of the flags to check (None, not given, passes).

    Raises:
        CliError: a flag given is not a positive integer.
    """
    from ..util.checks import check_positive_int

    for flag in flags:
        check_positive_int(getattr(args, flag), f"--{flag.replace('_', '-')}", CliError, allow_none=True)
