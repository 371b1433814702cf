"""The resumable computation of proxies over a table's functional classes, into a JSON-lines
journal.

One network per functional class (`nasbench.space.class_table` with the `functional`
rule): the pruned network of the class's lowest-index cell, initialised from `seed` - members
of a class built from one seed have identical weights and compute the identical function, so
their proxies are equal. Classes are visited in a seeded random order, so that a computation
stopped early (`--limit`, or a kill) leaves a uniform random sample of classes.

Journal (`<name>.jsonl`): line 1 `{"header": {...}}` records the network, the stand-in batch
spec and the seed; every further line is one class,
`{"class": k, "index": i, "values": {proxy: float|null}, "seconds": {proxy: float}}`, appended
as soon as it is computed; a later run skips the (class, proxy) pairs present. Every line carries
a checksum and is verified when read (`nasbench.zero_cost.journal`): a last line a kill cut
short is cut away (one note) and recomputed, any other damaged line refused. `null` is an
undefined value (NaN: e.g. a cell whose output does not depend on its input)."""
from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import torch

from ..training.network import build_network
from ..space import N_CELLS, class_table
from .batch import BatchSpec, StandIn, make_batch
from .journal import JournalDamaged, append, repair, scan
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
    #: the table's own data spec (`meta.extra["data"]`) where the batch is of kind `train`
    data: dict | None = None

    def header(self) -> dict:
        """The journal's header record: the fields, plus `batch_describe`."""
        d = asdict(self)
        d["batch_describe"] = self.batch.describe()
        return d

    def same_values(self, other: dict) -> bool:
        """Whether a journal header describes a setup that computes the same values.

        Args:
            other: a journal's header.

        Returns:
            True where C, N, classes, seed, batch, order seed and data spec agree.
        """
        mine = self.header()
        keys = ("C", "N", "num_classes", "seed", "batch", "order_seed", "data")
        return all(mine[k] == other.get(k) for k in keys)


def setup_for(bench, table: str, seed: int = 0, batch_size: int = 16, batch_kind: str = "fashion-mnist",
              batch_seed: int = 0, data_dir: str | None = None) -> Setup:
    """The setup of a loaded table: its recipe's C and N, its dataset's input shape and classes.

    A table trained here (its metadata records its data spec, `extra["data"]`) is scored on its
    own recipe network and a batch of its own training data (kind `train`, whatever `batch_kind`
    says); a table of published results (NAS-Bench-201) on the stand-in batch.

    Args:
        bench: the loaded table.
        table: its name, recorded in the header.
        seed: the networks' initialisation seed.
        batch_size: images in the batch.
        batch_kind: the stand-in batch's kind for a table of published results.
        batch_seed: seeds the batch.
        data_dir: where a table's own dataset lies.

    Returns:
        The setup.

    Raises:
        ProxyError: a dataset whose network input is unknown, or a batch larger than the
            table's training set.
    """
    spec_data = bench.meta.details.data or None
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
    from ..training.datasets import load_data_spec

    data = load_data_spec(spec_data, data_dir)
    cin, h, w = data.input_shape
    recipe = bench.meta.recipe or {}
    if batch_size > len(data.train_y):
        raise ProxyError(f"batch size {batch_size} exceeds the {len(data.train_y)} training images of {table}")
    spec = BatchSpec("train", batch_size, int(h), int(w), int(cin), int(data.num_classes), batch_seed, "float32")
    return Setup(table, int(recipe.get("C", 16)), int(recipe.get("N", 5)), int(data.num_classes), seed, spec,
                 data=spec_data)


def load_batch(setup: Setup, data_dir: str | None = None) -> "StandIn":
    """The batch the proxies of a setup read (its own training data for kind `train`).

    Args:
        setup: the setup.
        data_dir: where a table's own dataset lies.

    Returns:
        The batch.
    """
    if setup.batch.kind == "train":
        from ..training.datasets import load_data_spec

        return make_batch(setup.batch, data=load_data_spec(setup.data, data_dir))
    return make_batch(setup.batch)


def class_order(order_seed: int) -> np.ndarray:
    """The functional classes in the seeded random order they are visited.

    Args:
        order_seed: seeds the permutation.

    Returns:
        The class numbers, in visiting order.
    """
    _, rep = class_table("functional")
    return np.random.default_rng(order_seed).permutation(len(rep))


def read_journal(path: str | os.PathLike) -> tuple[dict | None, dict[int, dict]]:
    """Read a journal, merged over every whole, verified line.

    A cut last line is left out (`nasbench.zero_cost.journal.scan`).

    Args:
        path: the journal.

    Returns:
        `(header, {class: {"index", "values", "seconds"}})`; the header is None for an empty or
        absent journal.

    Raises:
        ProxyError: a damaged line other than a cut last one (named), or a class or cell index
            outside the space.
    """
    try:
        s = scan(path)
    except JournalDamaged as exc:
        raise ProxyError(str(exc)) from None
    _check_ranges(path, s.done)
    return s.header, s.done


def repair_journal(path: str | os.PathLike) -> str | None:
    """Cut a journal's last line that a kill cut short (the one writer does this before appending).

    Args:
        path: the journal.

    Returns:
        A one-line note of what was cut, or None.

    Raises:
        ProxyError: a damaged line other than the last.
    """
    try:
        return repair(path)
    except JournalDamaged as exc:
        raise ProxyError(str(exc)) from None


def _check_ranges(path: str | os.PathLike, done: dict[int, dict]) -> None:
    """Refuse a journal whose class or cell index lies outside the space (types are checked per
    line by `nasbench.zero_cost.journal.scan`)."""
    n_classes = len(class_table("functional")[1])
    for k, rec in done.items():
        for name, v, top in (("class", k, n_classes), ("index", rec["index"], N_CELLS)):
            if not 0 <= v < top:
                raise ProxyError(f"{path}: {name} must be an integer in 0..{top - 1}, got {v!r}")


def write_header(setup: Setup, journal: str | os.PathLike) -> None:
    """Start a journal with a setup's header, or check that its header is the setup's.

    A journal of another setup is refused, never appended to.

    Args:
        setup: the setup.
        journal: the journal's path.

    Raises:
        ProxyError: the journal holds another setup, or is not a proxy journal.
    """
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
    append(p, [{"header": setup.header()}])


def todo_classes(done: dict[int, dict], names: tuple[str, ...], order_seed: int, limit: int | None = None,
                 classes: Iterable[int] | None = None) -> list[int]:
    """The classes, in the seeded order, that still lack one of some proxies.

    Args:
        done: the journal's classes (`read_journal`).
        names: the proxies wanted.
        order_seed: seeds the visiting order.
        limit: only the first `limit` classes of the order.
        classes: only these classes.

    Returns:
        The class numbers still to compute, in visiting order.
    """
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
    """Compute proxies for every class not yet in a journal.

    Args:
        setup: the setup (checked against the journal's header).
        journal: the journal's path.
        names: the proxies.
        limit: only the first `limit` classes of the seeded order.
        progress: show a progress bar on stderr.
        threads: torch threads.
        classes: only these classes.
        part: `(i, n)`: only every n-th of the classes to do, from the i-th (one of n processes
            appending to the same journal: a line is one write, so lines of several processes
            never interleave).
        data_dir: where a table's own dataset lies.

    Returns:
        The number of classes computed.

    Raises:
        ProxyError: the journal is damaged or holds another setup.
    """
    names = tuple(names)
    p = Path(journal)
    if part[1] == 1:  # the one writer: never append onto a line a kill cut short
        note = repair_journal(p) if p.exists() else None
        if note:
            print(note, file=sys.stderr)
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
    if header is None:
        append(p, [{"header": setup.header()}])
    for k in todo:
        have = done.get(k, {}).get("values", {})
        want = tuple(n for n in names if n not in have)
        net = build_network(int(rep[k]), setup.C, setup.N, setup.num_classes, setup.batch.channels,
                            prune=True, seed=setup.seed)
        vals, secs = compute_proxies(net, batch, want)
        rec = {"class": k, "index": int(rep[k]),
               "values": {n: (None if np.isnan(v) else v) for n, v in vals.items()},
               "seconds": {n: round(s, 6) for n, s in secs.items()}}
        append(p, [rec])  # one write: whole lines, never interleaved with another part's
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return len(todo)


def per_cell(done: dict[int, dict], name: str, field: str = "values") -> np.ndarray:
    """One journal entry of a proxy per official cell index.

    Every cell of a functional class gets its class's entry.

    Args:
        done: the journal's classes (`read_journal`).
        name: the proxy.
        field: `values` (the proxy's value) or `seconds` (what computing it took).

    Returns:
        float64 array (15,625,), NaN where not computed or undefined.
    """
    cls, _ = class_table("functional")
    by_class = np.full(int(cls.max()) + 1, np.nan)
    for k, rec in done.items():
        v = rec[field].get(name)
        if v is not None:
            by_class[k] = float(v)
    out = by_class[cls]
    assert len(out) == N_CELLS
    return out
