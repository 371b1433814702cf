"""The resumable computation of proxies over a table's functional classes, into a JSON-lines
journal.

One network per functional class (:func:`nasbench.space.class_table` with the ``functional``
rule): the pruned network of the class's lowest-index cell, initialised from ``seed`` - members
of a class built from one seed have identical weights and compute the identical function, so
their proxies are equal. Classes are visited in a seeded random order, so that a computation
stopped early (``--limit``, or a kill) leaves a uniform random sample of classes.

Journal (``<name>.jsonl``): line 1 ``{"header": {...}}`` records the network, the stand-in batch
spec and the seed; every further line is one class,
``{"class": k, "index": i, "values": {proxy: float|null}, "seconds": {proxy: float}}``, appended
and flushed as soon as it is computed; a later run skips the (class, proxy) pairs present. A
truncated last line (a kill mid-write) is ignored and recomputed. ``null`` is an undefined value
(NaN: e.g. a cell whose output does not depend on its input).
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import torch

from ..network import build_network
from ..space import N_CELLS, class_table
from .batch import BatchSpec, StandIn, make_batch
from .proxies import PROXY_NAMES, compute_proxies
from ..errors import NasbenchError

#: network and input of each table's dataset: (in_channels, input size, classes)
DATASET_INPUT: dict[str, tuple[int, int, int]] = {
    "cifar10": (3, 32, 10), "cifar100": (3, 32, 100), "imagenet16-120": (3, 16, 120),
    "fashion-mnist": (1, 28, 10), "cifar10-valid": (3, 32, 10),
}


class ProxyError(NasbenchError, ValueError):
    """Bad proxy computation input (unknown table dataset, a journal of another setup, ...)."""


@dataclass(frozen=True)
class Setup:
    """Everything a journal's values depend on."""

    table: str
    C: int
    N: int
    num_classes: int
    seed: int
    batch: BatchSpec
    order_seed: int = 0
    torch_version: str = torch.__version__
    #: the table's own data spec (``meta.extra["data"]``) where the batch is of kind ``train``
    data: dict | None = None

    def header(self) -> dict:
        d = asdict(self)
        d["batch_describe"] = self.batch.describe()
        return d

    def same_values(self, other: dict) -> bool:
        mine = self.header()
        keys = ("C", "N", "num_classes", "seed", "batch", "order_seed", "data")
        return all(mine[k] == other.get(k) for k in keys)


def setup_for(bench, table: str, seed: int = 0, batch_size: int = 16, batch_kind: str = "fashion-mnist",
              batch_seed: int = 0, data_dir: str | None = None) -> Setup:
    """The setup of a loaded table: its recipe's C and N, its dataset's input shape and classes.

    A table trained here (its metadata records its data spec, ``extra["data"]``) is scored on its
    own recipe network and a batch of its own training data (kind ``train``, whatever
    ``batch_kind`` says); a table of published results (NAS-Bench-201) on the stand-in batch."""
    spec_data = (bench.meta.extra or {}).get("data")
    if spec_data:
        return _own_data_setup(bench, table, dict(spec_data), seed, batch_size, batch_seed, data_dir)
    ds = str(bench.meta.dataset).lower()
    if ds not in DATASET_INPUT:
        raise ProxyError(f"no network input known for dataset {bench.meta.dataset!r}; allowed: {', '.join(DATASET_INPUT)}")
    cin, hw, ncls = DATASET_INPUT[ds]
    recipe = bench.meta.recipe or {}
    C = int(recipe.get("C", recipe.get("channels", 16)))
    N = int(recipe.get("N", recipe.get("cells_per_stage", 5)))
    spec = BatchSpec(batch_kind, batch_size, hw, hw, cin, ncls, batch_seed, "float32")
    return Setup(table, C, N, ncls, seed, spec)


def _own_data_setup(bench, table: str, spec_data: dict, seed: int, batch_size: int, batch_seed: int,
                    data_dir: str | None) -> Setup:
    from ..datasets import load_data_spec

    data = load_data_spec(spec_data, data_dir)
    cin, h, w = data.input_shape
    recipe = bench.meta.recipe or {}
    if batch_size > len(data.train_y):
        raise ProxyError(f"batch size {batch_size} exceeds the {len(data.train_y)} training images of {table}")
    spec = BatchSpec("train", batch_size, int(h), int(w), int(cin), int(data.num_classes), batch_seed, "float32")
    return Setup(table, int(recipe.get("C", 16)), int(recipe.get("N", 5)), int(data.num_classes), seed, spec,
                 data=spec_data)


def load_batch(setup: Setup, data_dir: str | None = None) -> "StandIn":
    """The batch the proxies of ``setup`` read (its own training data for kind ``train``)."""
    if setup.batch.kind == "train":
        from ..datasets import load_data_spec

        return make_batch(setup.batch, data=load_data_spec(setup.data, data_dir))
    return make_batch(setup.batch)


def class_order(order_seed: int) -> np.ndarray:
    """The functional classes in the seeded random order they are visited."""
    _, rep = class_table("functional")
    return np.random.default_rng(order_seed).permutation(len(rep))


def read_journal(path: str | os.PathLike) -> tuple[dict | None, dict[int, dict]]:
    """(header, {class: {"index", "values", "seconds"}}) merged over every complete line."""
    p = Path(path)
    if not p.exists():
        return None, {}
    header, done = None, {}
    with open(p, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.endswith("\n"):
                break  # a truncated last line
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(rec, dict):
                raise ProxyError(f"{p}:{n}: a journal line must be a JSON object, got {type(rec).__name__}")
            if "header" in rec:
                header = header or rec["header"]
                continue
            k, index, values, seconds = _journal_record(rec, p, n)
            cur = done.setdefault(k, {"index": index, "values": {}, "seconds": {}})
            cur["values"].update(values)
            cur["seconds"].update(seconds)
    return header, done


def _journal_record(rec: dict, p: Path, n: int) -> tuple[int, int, dict, dict]:
    """(class, cell index, values, seconds) of journal line ``n``, checked by type and range."""
    k, index = rec.get("class"), rec.get("index")
    n_classes = len(class_table("functional")[1])
    for name, v, top in (("class", k, n_classes), ("index", index, N_CELLS)):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < top:
            raise ProxyError(f"{p}:{n}: {name} must be an integer in 0..{top - 1}, got {v!r}")
    values, seconds = rec.get("values"), rec.get("seconds", {})
    for name, d in (("values", values), ("seconds", seconds)):
        if not isinstance(d, dict) or not all(isinstance(x, (int, float)) or x is None for x in d.values()):
            raise ProxyError(f"{p}:{n}: {name} must map proxy names to numbers, got {d!r:.60}")
    return k, index, values, seconds


def write_header(setup: Setup, journal: str | os.PathLike) -> None:
    """Start ``journal`` with ``setup``'s header, or check that its header is ``setup``'s (a
    journal of another setup is refused, never appended to)."""
    p = Path(journal)
    header, _ = read_journal(p)
    if header is not None:
        if not setup.same_values(header):
            raise ProxyError(f"{p} was computed with another setup ({header.get('batch_describe')}, seed "
                             f"{header.get('seed')}, C={header.get('C')}, N={header.get('N')}); use another "
                             f"journal file or the same options")
        return
    if p.exists() and p.stat().st_size:
        raise ProxyError(f"{p} is not a proxy journal (no header line); move it away or give another --journal")
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "a", encoding="utf-8") as f:
        f.write(json.dumps({"header": setup.header()}, sort_keys=True) + "\n")


def todo_classes(done: dict[int, dict], names: tuple[str, ...], order_seed: int, limit: int | None = None,
                 classes: Iterable[int] | None = None) -> list[int]:
    """The classes, in the seeded order, that still lack one of ``names``: the first ``limit``
    of the order (restricted to ``classes`` where given)."""
    order = class_order(order_seed)
    if classes is not None:
        keep = np.zeros(len(order), dtype=bool)
        keep[np.asarray(list(classes), dtype=np.int64)] = True
        order = order[keep[order]]
    if limit is not None:
        order = order[:limit]
    return [int(k) for k in order if not all(n in done.get(int(k), {}).get("values", {}) for n in names)]


def run(setup: Setup, journal: str | os.PathLike, names: Iterable[str] = PROXY_NAMES, limit: int | None = None,
        progress: bool = True, threads: int = 1, classes: Iterable[int] | None = None,
        part: tuple[int, int] = (0, 1), data_dir: str | None = None) -> int:
    """Compute ``names`` for every class (or the first ``limit`` of the seeded order; only those
    in ``classes`` where given) not yet in ``journal``; returns the number of classes computed now.
    ``part=(i, n)``: only every n-th of those, from the i-th (one of n processes appending to the
    same journal: a line is one write, so lines of several processes never interleave)."""
    names = tuple(names)
    p = Path(journal)
    header, done = read_journal(p)
    if header is not None and not setup.same_values(header):
        raise ProxyError(f"{p} was computed with another setup ({header.get('batch_describe')}, seed "
                         f"{header.get('seed')}); use another journal file or the same options")
    torch.set_num_threads(threads)
    _, rep = class_table("functional")
    todo = todo_classes(done, names, setup.order_seed, limit, classes)[part[0]::part[1]]
    batch = load_batch(setup, data_dir)
    p.parent.mkdir(parents=True, exist_ok=True)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"{setup.table} {','.join(names)}", file=sys.stderr, mininterval=5)
    with open(p, "a", encoding="utf-8") as f:
        if header is None:
            f.write(json.dumps({"header": setup.header()}, sort_keys=True) + "\n")
            f.flush()
        for k in todo:
            have = done.get(k, {}).get("values", {})
            want = tuple(n for n in names if n not in have)
            net = build_network(int(rep[k]), setup.C, setup.N, setup.num_classes, setup.batch.channels,
                                prune=True, seed=setup.seed)
            vals, secs = compute_proxies(net, batch, want)
            rec = {"class": k, "index": int(rep[k]),
                   "values": {n: (None if np.isnan(v) else v) for n, v in vals.items()},
                   "seconds": {n: round(s, 6) for n, s in secs.items()}}
            f.write(json.dumps(rec, sort_keys=True) + "\n")
            f.flush()
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return len(todo)


def per_cell(done: dict[int, dict], name: str, field: str = "values") -> np.ndarray:
    """One journal entry of ``name`` per official cell index (float64, NaN where not computed or
    undefined): its value (``field="values"``) or the seconds computing it took (``"seconds"``);
    every cell of a functional class gets its class's entry."""
    cls, _ = class_table("functional")
    by_class = np.full(int(cls.max()) + 1, np.nan)
    for k, rec in done.items():
        v = rec[field].get(name)
        if v is not None:
            by_class[k] = float(v)
    out = by_class[cls]
    assert len(out) == N_CELLS
    return out
