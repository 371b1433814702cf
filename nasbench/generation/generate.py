"""Fill a table by training one cell per canonical class, resumably.

Work runs seed-group-major: every class with the first group of seeds, then every class with
the second, and so on, so that a table covers the whole space early (with fewer seeds; missing
runs are NaN) and each later pass adds seeds. A group of several seeds is trained as one
stacked network (`train_many`: ~1.3-1.4x the throughput of one model at a
time on CPU, more on a GPU); its rows are then reproduced exactly by retraining the same stack.
The default groups are one seed each. Every finished training (one cell, one seed) is appended
as one line to a journal beside the table (`<out>.journal.jsonl`; a group's lines in one write)
and flushed to disk before the next is accepted, so a kill at any moment (`kill -9` included)
loses at most the trainings in flight; a truncated last line is dropped on resume (one note; a
damaged line followed by more lines is an altered journal, refused), and a group
left incomplete is trained again whole (first copy wins: nothing is doubled). The HDF5 table is
rebuilt from the journal atomically every `save_every` seconds and at the end, so the table on
disk is always complete for the cells it covers. The journal's first line records the dataset,
split, recipe and seed groups; a run with other settings refuses to mix with it.

Machines: the header records the numeric fingerprint of the machine that started the journal
(`nasbench.training.fingerprint`) and every unit the id of the fingerprint it was trained under. A
journal continued under another fingerprint (another machine, or a journal older than
fingerprints) is not refused: a `machine` line with the new fingerprint is appended before its
first unit, and the table then records no single fingerprint but the list of them
(`extra["fingerprints"]`), so that its retraining is checked statistically, not to the bit.

Size: over 400 lines because the journal (its format, appends and resume), the work
order and the table built from it are one life cycle whose invariants (no unit doubled, none
lost, the table always whole) are kept together; the training workers are `nasbench.training.workers`.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from ..tables.benchmark import TableMeta
from ..tables.tabular import TabularBenchmark
from ..util.executors import EXECUTORS
from ..util.limits import MAX_EPOCHS, MAX_JOBS, MAX_LIMIT, check_count
from ..space import N_CELLS, class_table
from ..tables.hdf5 import code_version, write_table
from ..training.workers import WORKER, run_tasks
from ..errors import NasbenchError

JOURNAL_SUFFIX = ".journal.jsonl"
MAX_SEED = 2**63 - 1


class GenerateError(NasbenchError, ValueError):
    """Bad generation settings, or a journal that belongs to another recipe."""


@dataclass(frozen=True)
class DataSpec:
    """Which data, split and size a table is trained on (recorded in the table)."""

    dataset: str
    downscale: int = 1
    train_size: int | None = None
    valid_size: int | None = None
    test_size: int | None = None
    split_seed: int = 0
    subset_seed: int = 0


@dataclass(frozen=True)
class GenerateConfig:
    """What decides the numbers in a table (compared on resume) and how to run (not compared)."""

    data: DataSpec
    recipe: dict[str, Any]
    seeds: tuple[int, ...] = (777, 888, 999)
    rule: str = "functional"
    order_seed: int = 0
    # how to run: free to change between resumes
    jobs: int = 1
    executor: str = "local"
    address: str | None = None
    limit: int | None = None
    save_every: float = 120.0
    data_dir: str | None = None
    device: str = "cpu"
    seed_groups: tuple[tuple[int, ...], ...] | None = None  # None: one group per seed

    def groups(self) -> list[list[int]]:
        """The seed groups, each trained in one stacked network (default: one group per seed)."""
        return seed_groups_or_default(self.seed_groups, self.seeds)

    def identity(self) -> dict[str, Any]:
        """What decides the numbers: data, recipe, seeds, rule, order seed and seed groups (compared on resume)."""
        return {"data": asdict(self.data), "recipe": self.recipe, "seeds": list(self.seeds), "rule": self.rule,
                "order_seed": self.order_seed, "seed_groups": self.groups()}


@dataclass(frozen=True)
class Preset:
    """How an embedded table is made: `nasbench generate --preset NAME` reproduces it."""

    data: DataSpec
    recipe: dict[str, Any]
    seeds: tuple[int, ...] = (777, 888, 999)
    seed_groups: tuple[tuple[int, ...], ...] | None = None


def seed_groups_or_default(groups: Any, seeds: Any) -> list[list[int]]:
    """The passes of seeds as lists.

    Args:
        groups: the recorded seed groups, or None/empty where a table or journal records none.
        seeds: the seeds.

    Returns:
        The groups; without recorded groups, each seed trained alone.
    """
    return [[int(s) for s in g] for g in groups] if groups else [[int(s)] for s in seeds]


def _tiny_recipe(**changes: Any) -> dict[str, Any]:
    from ..training.train import Recipe

    # NAS-Bench-201's recipe at C=8, N=1 (one cell per stage), 12 epochs, no augmentation
    return asdict(Recipe(epochs=12, C=8, N=1, **changes))


def presets() -> dict[str, Preset]:
    """The embedded tables' generation presets, by name (`nasbench generate --preset NAME`)."""
    return {
        "nb201-digits": Preset(DataSpec("digits"), _tiny_recipe()),
        "nb201-fashion-mnist": Preset(
            DataSpec("fashion-mnist", downscale=4, train_size=2000, valid_size=2000, test_size=2000),
            _tiny_recipe(cpu_channels_last=True), seed_groups=((777,), (888, 999))),
    }


def recipe_from_dict(d: dict[str, Any]):
    """`nasbench.training.train.recipe_from_dict`, importable from this module too."""
    from ..training.train import recipe_from_dict as _from_dict

    return _from_dict(d)


def _comparable(identity: dict[str, Any]) -> dict[str, Any]:
    """An identity completed by the defaults of the fields a journal may lack (a journal without
    a field trained with that field's default): recipe fields, and seed groups (one per seed)."""
    out = dict(identity)
    out["seed_groups"] = seed_groups_or_default(out.get("seed_groups"), out.get("seeds", []))
    try:
        out["recipe"] = asdict(recipe_from_dict(identity.get("recipe") or {}))
    except (TypeError, ValueError, GenerateError):
        pass
    return out


# -- the journal ------------------------------------------------------------------------------
def journal_path(out: str | os.PathLike) -> Path:
    """The journal beside a table file: `T.h5` -> `T` + `JOURNAL_SUFFIX`."""
    out = Path(out)
    return out.with_name(out.name.removesuffix(".h5") + JOURNAL_SUFFIX)


def _line(obj: dict[str, Any]) -> str:
    body = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    crc = hashlib.sha256(body.encode()).hexdigest()[:16]
    return json.dumps({"crc": crc, "body": obj}, sort_keys=True, separators=(",", ":")) + "\n"


def _parse(line: str) -> dict[str, Any] | None:
    """A journal line's body, or None if the line is incomplete or damaged."""
    if not line.endswith("\n"):
        return None
    try:
        wrapped = json.loads(line)
        body = wrapped["body"]
        crc = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]
    except (ValueError, KeyError, TypeError):
        return None
    return body if crc == wrapped.get("crc") else None


@dataclass
class Journal:
    """The header and the finished units of a journal file."""

    path: Path
    header: dict[str, Any]
    units: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # (cell, seed) -> unit body
    machines: dict[str, dict[str, Any]] = field(default_factory=dict)  # fingerprint id -> fingerprint

    @classmethod
    def open(cls, path: Path, header: dict[str, Any]) -> "Journal":
        """Read an existing journal (checking that its header matches) or start a new one.

        A damaged or incomplete last line (a kill in the middle of a write) ends the readable part;
        the file is cut back to it so that new lines append cleanly.

        Args:
            path: the journal file.
            header: the header this generation writes (its identity must match an existing one's).

        Returns:
            The journal, with its finished units and machines.

        Raises:
            GenerateError: the journal was made with different settings, or a damaged line is
                followed by more lines.
        """
        if not path.exists() or path.stat().st_size == 0:  # empty: created by the lock, or a kill before the header
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w") as fh:
                fh.write(_line({"kind": "header", **header}))
                fh.flush()
                os.fsync(fh.fileno())
            return cls(path, header, machines=_machines_of(header))
        units: dict[int, dict[str, Any]] = {}
        machines: dict[str, dict[str, Any]] = {}
        good = 0
        with open(path, "r", newline="") as fh:
            first = fh.readline()
            head = _parse(first)
            if head is None or head.get("kind") != "header":
                raise GenerateError(f"{path} is not a generation journal (bad first line); move it away to start anew")
            good = len(first.encode())
            machines.update(_machines_of(head))
            mine = _comparable(header["identity"])
            theirs = _comparable(head.get("identity") or {})
            if theirs != mine:
                names = {"data": "data split", "seeds": "seed list", "rule": "canonical rule",
                         "order_seed": "order seed", "seed_groups": "stacking of seeds (seed groups)"}
                diff = [names.get(k, k) for k in mine if theirs.get(k) != mine[k]]
                raise GenerateError(
                    f"{path} was made with a different {', '.join(diff) or 'setup'}; refusing to mix results "
                    f"(use another --out, or the same settings to resume)"
                )
            n = 1
            while line := fh.readline():
                n += 1
                body = _parse(line)
                if body is None:
                    if fh.read(1):  # whole lines follow: not a cut last line but an altered journal
                        raise GenerateError(f"{path}: line {n} is damaged and more lines follow it (the journal was "
                                            f"altered); restore it, or cut it before line {n} to retrain what follows")
                    break
                good += len(line.encode())
                if body.get("kind") == "unit":
                    units.setdefault((int(body["cell"]), int(body["seed"])), body)  # first copy wins; never doubled
                elif body.get("kind") == "machine":
                    machines.update(_machines_of(body))
        size = path.stat().st_size
        if good != size:
            with open(path, "r+b") as fh:
                fh.truncate(good)
            print(f"{path}: its last line was cut short ({size - good} bytes, a write interrupted); cut back to the "
                  "last whole record, that training is done again", file=sys.stderr)
        return cls(path, head, units, machines)

    def note_machine(self, fingerprint: dict[str, Any]) -> None:
        """Record a fingerprint the journal does not know yet (one `machine` line).

        The units trained under it can then name it by id.

        Args:
            fingerprint: the machine's fingerprint, as a dict.
        """
        from ..training.fingerprint import Fingerprint

        fid = Fingerprint.from_dict(fingerprint).id
        if fid in self.machines:
            return
        with open(self.path, "a") as fh:
            fh.write(_line({"kind": "machine", "fingerprint": fingerprint}))
            fh.flush()
            os.fsync(fh.fileno())
        self.machines[fid] = fingerprint

    def append(self, unit: dict[str, Any]) -> None:
        """Append one unit (skipped if already recorded)."""
        self.append_many([unit])

    def append_many(self, units: Sequence[dict[str, Any]]) -> int:
        """Append units (a stacked group's) in one write, skipping any already recorded.

        Args:
            units: the unit bodies.

        Returns:
            How many were new.
        """
        new = [u for u in units if (int(u["cell"]), int(u["seed"])) not in self.units]
        if not new:
            return 0
        with open(self.path, "a") as fh:
            fh.write("".join(_line({"kind": "unit", **u}) for u in new))
            fh.flush()
            os.fsync(fh.fileno())
        for u in new:
            self.units[(int(u["cell"]), int(u["seed"]))] = u
        return len(new)


def _machines_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{id: fingerprint} of the fingerprint a header or machine line records (none: {})."""
    from ..training.fingerprint import Fingerprint

    fp = body.get("fingerprint")
    return {Fingerprint.from_dict(fp).id: fp} if isinstance(fp, dict) else {}


# -- work --------------------------------------------------------------------------------------
def work_order(rule: str, order_seed: int) -> np.ndarray:
    """Class representatives in a seeded random order, so a partial table is a uniform sample.

    Args:
        rule: the canonical rule of the classes.
        order_seed: seeds the order.

    Returns:
        Official indices, one per class, in training order.
    """
    _, reps = class_table(rule)
    return reps[np.random.default_rng(order_seed).permutation(len(reps))]


def measure_latency_ms(net, input_shape: Sequence[int], repeats: int = 30) -> float:
    """Median batch-1 inference latency on this CPU, in ms.

    Args:
        net: the network (put in eval mode).
        input_shape: `(channels, height, width)`.
        repeats: timed forward passes (after 3 warm-up passes).

    Returns:
        The median latency in milliseconds.
    """
    import torch

    net.eval()
    x = torch.zeros(1, *input_shape)
    with torch.no_grad():
        for _ in range(3):
            net(x)
        ts = []
        for _ in range(repeats):
            t = time.perf_counter()
            net(x)
            ts.append(time.perf_counter() - t)
    return 1000.0 * float(np.median(ts))


def train_unit(cell: int, seeds: Sequence[int]) -> list[dict[str, Any]]:
    """Train one cell with a group of seeds in this worker, stacked in one network.

    One seed is exactly `train_cell`, so that retraining the group with the recorded recipe
    reproduces it exactly.

    Args:
        cell: official index of the class representative.
        seeds: the group's seeds.

    Returns:
        One JSON-able unit per seed (a stacked one records its group under `stack`).
    """
    from ..training.network import build_network, count_flops
    from ..training.train import METRICS, train_many

    seeds = [int(s) for s in seeds]
    ds, rec = WORKER["data"], WORKER["recipe"]
    records = train_many([cell] * len(seeds), seeds, ds, rec, WORKER["device"], WORKER["prepared"])
    in_ch, h = ds.input_shape[0], ds.input_shape[1]
    flops = count_flops(cell, rec.C, rec.N, ds.num_classes, in_ch, h)
    units = []
    for seed, record in zip(seeds, records):
        net = build_network(cell, rec.C, rec.N, ds.num_classes, in_ch, prune=rec.prune, seed=seed)
        unit = {"cell": int(cell), "seed": seed, "run": {m: getattr(record, m).tolist() for m in METRICS},
                "params": record.params / 1e6, "flops": flops,
                "latency_cpu_ms": measure_latency_ms(net, ds.input_shape)}
        if "fingerprint_id" in WORKER:  # the machine it was trained on (its full fingerprint: "_machine")
            unit["fingerprint"] = WORKER["fingerprint_id"]
            unit["_machine"] = WORKER["fingerprint"]
        if len(seeds) > 1:
            unit["stack"] = seeds
        units.append(unit)
    return units


Task = tuple[int, tuple[int, ...]]  # (cell index, a group of seeds trained stacked)


def _results(cfg: GenerateConfig, todo: Sequence[Task]) -> Iterator[list[dict[str, Any]]]:
    """The units of each task as they finish (workers train with one thread and record the machine)."""
    init_args = (cfg.data, cfg.recipe, cfg.data_dir, cfg.device, 1, True)
    return run_tasks(_unit_star, todo, cfg.jobs, init_args, cfg.executor, cfg.address,
                     gpu=cfg.device.startswith("cuda"), error=GenerateError)


def _unit_star(task: Task) -> list[dict[str, Any]]:
    return train_unit(*task)


# -- building the table ---------------------------------------------------------------------------
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
               "seed_groups": _comparable(ident)["seed_groups"],
               "machine": head.get("machine", {}), **_fingerprint_extra(journal)},
    )
    return TabularBenchmark(meta, arch_row, np.array(cells, dtype=np.int64), seeds, np.arange(1, epochs + 1),
                            metrics, run_seed=run_seed, params=params, flops=flops, latency={"cpu_b1": lat},
                            name=name)


def _table_of(journal: Journal, out: Path) -> TabularBenchmark:
    """The table of `out`: its training journal's results, with the zero-cost proxies of the
    proxy journal beside it (`nasbench proxies` / `generate --proxies`) where there is one,
    so that a rebuilt table keeps them."""
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


# -- the driver -------------------------------------------------------------------------------------
@dataclass
class GenerateReport:
    """What a `generate` call did: the table file, the units done before, trained now and in total, and the seconds taken."""

    out: Path
    done_before: int
    trained_now: int
    total: int
    seconds: float


def _validate(cfg: GenerateConfig) -> None:
    from ..training.datasets import canonical_name

    canonical_name(cfg.data.dataset)
    recipe_from_dict(cfg.recipe)
    if not cfg.seeds or len(set(cfg.seeds)) != len(cfg.seeds):
        raise GenerateError(f"seeds must be distinct and at least one, got {list(cfg.seeds)}")
    flat = [s for g in cfg.groups() for s in g]
    if sorted(flat) != sorted(int(s) for s in cfg.seeds) or any(not g for g in cfg.groups()):
        raise GenerateError(f"seed groups {cfg.groups()} must split the seeds {list(cfg.seeds)} into non-empty "
                            f"groups, each seed exactly once")
    check_count(cfg.jobs, "jobs", MAX_JOBS, GenerateError, allow_none=True)
    check_count(cfg.limit, "limit", MAX_LIMIT, GenerateError, allow_none=True)
    check_count(cfg.recipe.get("epochs"), "epochs", MAX_EPOCHS, GenerateError, allow_none=True)
    if cfg.executor not in EXECUTORS:
        raise GenerateError(f"unknown executor {cfg.executor!r}; allowed: {', '.join(EXECUTORS)}")
    if cfg.address is not None and cfg.executor != "ray":
        raise GenerateError("address is a Ray cluster's address: give it with executor ray (--executor ray)")
    bad = [s for s in cfg.seeds if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s <= MAX_SEED]
    if bad:  # a table stores seeds as int64, and -1 there means "seed not recorded"
        raise GenerateError(f"seeds must be integers in 0..{MAX_SEED} (2^63 - 1), got {bad[0]!r}")
    sv = cfg.save_every
    if isinstance(sv, bool) or not isinstance(sv, (int, float)) or not sv >= 0:  # NaN fails too
        raise GenerateError(f"save_every must be a number of seconds >= 0 (inf: only at the end), got {sv!r}")
    check_device(cfg.device)


def check_device(device: str) -> None:
    """Check a training device: `cpu`, `cuda` or `cuda:N`, and a CUDA device only where torch sees one.

    Args:
        device: the device name.

    Raises:
        GenerateError: another name, or a CUDA device torch does not see.
    """
    if not isinstance(device, str) or not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise GenerateError(f"unknown device {device!r}; allowed: cpu, cuda, cuda:N")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise GenerateError(f"device {device}: no CUDA GPU is available to torch {torch.__version__}; use cpu")
        if ":" in device and int(device.split(":")[1]) >= torch.cuda.device_count():
            raise GenerateError(f"device {device}: only {torch.cuda.device_count()} GPU(s) are visible")


def _header(cfg: GenerateConfig) -> dict[str, Any]:
    """The journal header: identity plus provenance of the data (loaded once here)."""
    import platform

    from ..training.datasets import load_data_spec
    from ..training.fingerprint import current as current_fingerprint

    ds = load_data_spec(cfg.data, cfg.data_dir)
    return {"identity": cfg.identity(), "split_sizes": ds.split_sizes, "data_provenance": ds.provenance,
            "code_version": code_version(),
            "machine": {"platform": platform.platform(), "processor": platform.processor(),
                        "cpus": os.cpu_count(), "device": cfg.device},
            "fingerprint": current_fingerprint(1, cfg.device).to_dict()}  # workers train with one thread


def generate(out: str | os.PathLike, cfg: GenerateConfig, progress: bool = True,
             on_unit: Callable[[dict[str, Any]], None] | None = None) -> GenerateReport:
    """Train what the journal of `out` still lacks, writing the table as it grows.

    At most `cfg.limit` trainings (in whole seed groups, at least one) are done per call.

    Safe to kill and rerun with the same settings. One writer at a time: the journal is locked
    (`nasbench.util.locking`) and a second `generate` on it is refused at once.

    Args:
        out: the table file.
        cfg: the settings.
        progress: show a progress bar.
        on_unit: called with each finished unit.

    Returns:
        How many units were done before, trained now and in total, and the seconds taken.

    Raises:
        GenerateError: bad settings, a table without a journal at `out`, or a journal made
            with other settings.
        LockHeld: another process is writing the journal.
    """
    from ..util.locking import exclusive

    _validate(cfg)
    out = Path(out)
    if out.exists() and not journal_path(out).exists():
        raise GenerateError(f"{out} exists but has no generation journal beside it; refusing to overwrite it "
                            f"(choose another output)")
    header = _header(cfg)
    jpath = journal_path(out)
    jpath.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(jpath, f"generation journal {jpath}"):
        return _generate(out, cfg, header, progress, on_unit)


def _generate(out: Path, cfg: GenerateConfig, header: dict[str, Any], progress: bool,
              on_unit: Callable[[dict[str, Any]], None] | None) -> GenerateReport:
    """`generate` with the journal locked."""
    journal = Journal.open(journal_path(out), header)
    order = work_order(cfg.rule, cfg.order_seed)
    groups = [tuple(g) for g in cfg.groups()]
    tasks = [(int(c), g) for g in groups for c in order]  # seed-group-major
    todo = [(c, g) for c, g in tasks if any((c, s) not in journal.units for s in g)]
    if cfg.limit is not None:  # at most `limit` trainings now, but whole groups (at least one)
        n = np.cumsum([len(g) for _, g in todo])
        todo = todo[: max(1, int(np.searchsorted(n, cfg.limit, side="right")))]
    total = sum(len(g) for _, g in tasks)
    done_before = len(journal.units)
    t0 = last_save = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=done_before, unit="training", desc=out.stem, smoothing=0.05)
    trained = 0
    try:
        for units in _results(cfg, todo):
            for unit in units:  # a unit trained under a fingerprint the journal lacks: record it first
                machine = unit.pop("_machine", None)
                if machine is not None:
                    journal.note_machine(machine)
            new = journal.append_many(units)
            trained += new
            if bar is not None:
                bar.update(new)
            if on_unit is not None:
                for unit in units:
                    on_unit(unit)
            if time.perf_counter() - last_save > cfg.save_every:
                write_table(out, _table_of(journal, out))
                last_save = time.perf_counter()
    finally:
        if bar is not None:
            bar.close()
        if journal.units:
            write_table(out, _table_of(journal, out))
    return GenerateReport(out, done_before, trained, total, time.perf_counter() - t0)
