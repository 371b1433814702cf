"""The table of a generation, built from its journal: one row per trained canonical class, NaN
for runs not trained yet, so that the table on disk is always complete for the cells it covers.

Where the units were trained under several machine fingerprints (or some under an unknown one),
the table records no single fingerprint but the list of them (`extra["fingerprints"]`), so that
its retraining is checked statistically, not to the bit.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .config import comparable_identity
from .journal import Journal
from ..space import N_CELLS, class_table
from ..tables.hdf5 import code_version
from ..tables.benchmark import TableMeta
from ..tables.tabular import TabularBenchmark

def build_table(journal: Journal, name: str = "") -> TabularBenchmark:
    """A table from the finished units: one row per trained class, NaN for missing runs.

    Args:
        journal: the journal.
        name: the table's name.

    Returns:
        The table.
    """
    head = journal.header
    ident = head["identity"]
    seeds = np.array(ident["seeds"], dtype=np.int64)
    epochs = int(ident["recipe"]["epochs"])
    cls, _ = class_table(ident["rule"])
    cells = sorted({c for c, _ in journal.units})
    R = len(cells)
    metrics = {m: np.full((R, len(seeds), epochs), np.nan) for m in
               ("train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss", "time")}
    run_seed = np.full((R, len(seeds)), -1, dtype=np.int64)
    params, flops, lat = np.full(R, np.nan), np.full(R, np.nan), np.full(R, np.nan)
    slot = {int(s): i for i, s in enumerate(seeds)}
    row = {c: r for r, c in enumerate(cells)}
    lat_runs: dict[int, list[float]] = {}
    for (cell, seed), u in journal.units.items():
        r, k = row[cell], slot[seed]
        run_seed[r, k] = seed
        for m in metrics:
            metrics[m][r, k] = u["run"]["train_time" if m == "time" else m]
        params[r], flops[r] = u["params"], u["flops"]
        lat_runs.setdefault(r, []).append(u["latency_cpu_ms"])
    for r, v in lat_runs.items():
        lat[r] = float(np.median(v))
    arch_row = np.full(N_CELLS, -1, dtype=np.int64)
    if R:
        row_of_class = np.full(cls.max() + 1, -1, dtype=np.int64)
        row_of_class[cls[np.array(cells)]] = np.arange(R)
        arch_row = row_of_class[cls]
    meta = TableMeta(
        space="nb201", dataset=ident["data"]["dataset"], split_sizes=head.get("split_sizes", {}),
        recipe=ident["recipe"], code_version=head.get("code_version", code_version()),
        source=f"trained by nasbench generate ({len(cells)} of {int(cls.max()) + 1} {ident['rule']} classes)",
        notes=(f"one cell trained per '{ident['rule']}' class (cells of a class share its row: they build the same "
               "network); networks built from the effective edges only; params/flops: NAS-Bench-201 counting "
               "(unpruned) of the trained cell; latency: batch-1 CPU inference of the trained network, ms; time: "
               "cumulative training seconds, a stacked group's split evenly between its seeds"),
        extra={"data": ident["data"], "data_provenance": head.get("data_provenance", {}),
               "canonical_rule": ident["rule"], "order_seed": ident["order_seed"],
               "seed_groups": comparable_identity(ident)["seed_groups"],
               "machine": head.get("machine", {}), **_fingerprint_extra(journal)},
    )
    return TabularBenchmark(meta, arch_row, np.array(cells, dtype=np.int64), seeds, np.arange(1, epochs + 1),
                            metrics, run_seed=run_seed, params=params, flops=flops, latency={"cpu_b1": lat},
                            name=name)


def table_of_journal(journal: Journal, out: Path) -> TabularBenchmark:
    """The table of `out`: its training journal's results, with the zero-cost proxies of the
    proxy journal beside it (`nasbench proxies` / `generate --proxies`) where there is one,
    so that a rebuilt table keeps them.

    Args:
        journal: the training journal of `out`.
        out: the table file (its stem names the table; the proxy journal lies beside it).

    Returns:
        The table, with the proxies where a proxy journal exists.
    """
    from ..zero_cost.job import proxies_journal_path

    bench = build_table(journal, out.stem)
    pj = proxies_journal_path(out)
    if pj.exists():
        from ..zero_cost.store import with_proxies

        bench = with_proxies(bench, pj)
    return bench


def _fingerprint_extra(journal: Journal) -> dict[str, Any]:
    """`fingerprint`: the machine every unit was trained on, or None when they were trained on
    several (or some on an unknown one), then listed under `fingerprints` with their counts.
    Nothing for a journal older than fingerprints (unknown, and its table stays as it was)."""
    counts: dict[str | None, int] = {}
    for u in journal.units.values():
        fid = u.get("fingerprint")
        counts[fid if fid in journal.machines else None] = counts.get(fid if fid in journal.machines else None, 0) + 1
    if not any(k is not None for k in counts):
        return {}
    if len(counts) == 1:
        return {"fingerprint": journal.machines[next(iter(counts))]}
    return {"fingerprint": None, "fingerprints": [{"fingerprint": journal.machines.get(k) if k else None,
                                                   "trainings": n} for k, n in counts.items()]}
