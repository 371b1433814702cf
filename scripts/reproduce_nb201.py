"""Reproduce NAS-Bench-201's Table 5 (ICLR 2020) on the embedded tables: a thin wrapper of
``nasbench reproduce nb201`` (the library module is :mod:`nasbench.reproduce`; its docstring states
the settings, the protocol and the verdicts).

Usage: python scripts/reproduce_nb201.py [--datasets cifar10,cifar100,imagenet16-120] [--runs 500]
       [--jobs N] [--out results/nb201-repro] [--seed 201] [--sample-size 3] [--resume]
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from nasbench.cli import main as cli_main

    return cli_main(["reproduce", "nb201", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
