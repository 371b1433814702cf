"""`nasbench generate`: fill a table by real training (resumable; rerun to continue)."""
from __future__ import annotations

import argparse

from .common import (CliError, check_positive, data_dir_parent, device_parent, jobs_parent, progress_parent,
                     ray_parent, recipe_parent)


def cmd_generate(args: argparse.Namespace) -> int:
    """Run `nasbench generate`.

    Args:
        args: the parsed arguments.

    Returns:
        The exit status: 0.

    Raises:
        CliError: on a bad flag or input (one line on stderr, exit status 2).
    """
    from dataclasses import asdict, replace
    from pathlib import Path

    from .. import defaults
    from ..generation.config import DataSpec, GenerateConfig
    from ..generation.generate import generate
    from ..generation.presets import presets
    from ..tables.registry import data_dirs
    from ..space import get_space
    from ..training.train import Recipe
    from ..validation.train import resolve_device

    get_space(args.space)
    if args.preset:
        if args.dataset:
            raise CliError(f"--dataset with --preset: the preset {args.preset!r} fixes its dataset; give one of them")
        table = presets()
        if args.preset not in table:
            raise CliError(f"unknown preset {args.preset!r}; allowed: {', '.join(table)}")
        p = table[args.preset]
        data, recipe, seeds, groups = p.data, dict(p.recipe), p.seeds, p.seed_groups
        out = Path(args.out) if args.out else data_dirs()[-1] / f"{args.preset}.h5"
    else:
        if not args.dataset or not args.out:
            raise CliError("give --preset NAME, or --dataset and --out")
        data = DataSpec(args.dataset)
        recipe, seeds, out = asdict(Recipe(cpu_channels_last=True)), (777, 888, 999), Path(args.out)
        groups = None
    if args.cpu_memory_format is not None:
        recipe["cpu_channels_last"] = args.cpu_memory_format == "channels_last"
    check_positive(args, "downscale", "train_size", "valid_size", "test_size", "epochs", "channels", "cells_per_stage",
                   "batch_size", "jobs", "limit")
    for flag in ("downscale", "train_size", "valid_size", "test_size"):
        if getattr(args, flag) is not None:
            data = replace(data, **{flag: getattr(args, flag)})
    for flag, key in (("epochs", "epochs"), ("channels", "C"), ("cells_per_stage", "N"), ("batch_size", "batch_size")):
        if getattr(args, flag) is not None:
            recipe[key] = getattr(args, flag)
    if args.seeds is not None:
        seeds, groups = tuple(args.seeds), None
    if args.seed_groups is not None:
        try:
            groups = tuple(tuple(int(x) for x in g.split(",")) for g in args.seed_groups)
        except ValueError:
            raise CliError(f"--seed-groups takes groups like 777 888,999 (comma-separated seeds), "
                           f"got {' '.join(args.seed_groups)}") from None
        if args.seeds is None:
            seeds = tuple(s for g in groups for s in g)
    device = resolve_device(args.device, args.allow_cpu_fallback) if args.device == "auto" or \
        args.allow_cpu_fallback else args.device
    cfg = GenerateConfig(data=data, recipe=recipe, seeds=seeds, seed_groups=groups, jobs=args.jobs,
                         executor=args.executor or defaults.EXECUTOR, address=args.address, limit=args.limit,
                         data_dir=args.data_dir, device=device, save_every=args.save_every)
    names = _generate_proxies(args.proxies)
    rep = generate(out, cfg, progress=not args.no_progress)
    done = rep.done_before + rep.trained_now
    print(f"{out}: {done:,} of {rep.total:,} trainings done ({rep.trained_now:,} now, {rep.seconds:.0f} s)")
    if names:
        from ..zero_cost.job import ProxyJob, run_job

        prox = run_job(ProxyJob(str(out), names, jobs=args.jobs, write=True, data_dir=args.data_dir),
                       progress=not args.no_progress)
        print(f"{out}: zero-cost proxies {', '.join(names)} for {prox.classes_done:,} of {prox.classes_total:,} "
              f"trained classes ({prox.computed_now:,} now; journal {prox.journal})")
    return 0


def _generate_proxies(text: str) -> tuple[str, ...]:
    """`generate --proxies`: none (default), `all`, or a comma-separated list."""
    from ..zero_cost.proxies import PROXY_NAMES, parse_proxies

    if not text or text == "none":
        return ()
    return PROXY_NAMES if text == "all" else parse_proxies(text)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `generate` to the subcommands.

    Args:
        sub: the subparsers of the `nasbench` parser.
    """
    s = sub.add_parser("generate", help="fill a table by real training (resumable; rerun to continue)",
                       parents=[recipe_parent(), data_dir_parent(), device_parent(),
                                jobs_parent(1, "1"), ray_parent(), progress_parent()])
    s.add_argument("--preset", help="an embedded table's recipe: nb201-digits, nb201-fashion-mnist")
    s.add_argument("--out", help="output .h5 (default for a preset: data/NAME.h5); a journal is kept beside it")
    s.add_argument("--space", default="nb201", help="search space (nb201)")
    s.add_argument("--seeds", type=int, nargs="+", help="training seeds (default 777 888 999)")
    s.add_argument("--seed-groups", nargs="+", metavar="SEEDS",
                   help="passes of seeds, each trained stacked in one network, e.g. 777 888,999 (default: one seed "
                        "per pass; part of what a table is, like the recipe)")
    s.add_argument("--cpu-memory-format", choices=["channels_last", "contiguous"],
                   help="memory format of CPU training (part of the recipe; default channels_last, ~1.3x faster; "
                        "tables made before it existed, such as nb201-digits, used contiguous)")
    s.add_argument("--limit", type=int, help="train at most this many (cell, seed) runs now")
    s.add_argument("--save-every", type=float, default=120.0, help="seconds between table rewrites")
    s.add_argument("--proxies", default="none",
                   help="zero-cost proxies to compute for the trained cells after training: none (default), all, "
                        "or names such as synflow,jacob_cov (on the recipe's network and a batch of the table's "
                        "own training data; journal OUT.proxies.jsonl, see `nasbench proxies`)")
    s.set_defaults(func=cmd_generate)
