"""Reproduce NAS-Bench-201's Table 5 (ICLR 2020) on the embedded tables: `nasbench reproduce nb201`
with the same options, `--page PATH` included (the library is :mod:`nasbench.validation.reproduce`, the page
:func:`nasbench.validation.reproduce_page.reproduce_to_page`).

Usage: python scripts/reproduce_nb201.py [--datasets cifar10,cifar100,imagenet16-120] [--runs 500]
       [--jobs N] [--out results/nb201-repro] [--seed 201] [--sample-size 3] [--resume]
       [--no-progress] [--page docs/results/reproduction.md]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    """Run `nasbench reproduce nb201` with `argv` (default: the script's arguments).

    Args:
        argv: the arguments after the script's name.

    Returns:
        The command's exit status (2 on bad input, with one line on stderr).
    """
    from nasbench.cli import main as nasbench

    return nasbench(["reproduce", "nb201", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
