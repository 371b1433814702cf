"""`nasbench proxies`: compute a table's zero-cost proxies into its journal (resumable, `--jobs`
processes of one thread each) and optionally fold them into the table file.

Which journal: a table file `T.h5` has `T.proxies.jsonl` beside it (`nasbench generate`
folds it into every table it writes); the embedded NAS-Bench-201 tables of published results keep
theirs in `data/proxies/<name>.jsonl`. Only the functional classes the table covers are
computed. Folding (`write`) rewrites a table file atomically with every proxy of the journal
(`nasbench.zero_cost.store.with_proxies`); the embedded NAS-Bench-201 tables are instead
rebuilt from their published sources by `scripts/build_nb201_tables.py --write`.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path

from ..util.executors import become_worker
from ..util.interrupt import starting_workers
from ..util.limits import MAX_JOBS, MAX_LIMIT, MAX_PROXY_BATCH, MAX_THREADS, check_count
from ..space import class_table
from ..util.atomic import LinkRefused
from ..util.locking import LockHeld, exclusive
from .compute import ProxyError, Setup, read_journal, repair_journal, run, setup_for, todo_classes, write_header
from .proxies import PROXY_NAMES

PROXIES_SUFFIX = ".proxies.jsonl"


@dataclass(frozen=True)
class ProxyJob:
    """What `nasbench proxies` was asked to do."""

    table: str
    names: tuple[str, ...] = PROXY_NAMES
    jobs: int = 1
    limit: int | None = None
    batch_size: int = 16
    journal: str | None = None
    write: bool = False
    data_dir: str | None = None
    threads: int = 1


@dataclass(frozen=True)
class ProxyReport:
    """What a job did."""

    journal: Path
    computed_now: int
    classes_done: int
    classes_total: int
    written: Path | None
    sha256: str | None


def proxies_journal_path(table_file: str | Path) -> Path:
    """`T.proxies.jsonl` beside the table file `T.h5`.

    Args:
        table_file: the table file.

    Returns:
        The journal's path.
    """
    p = Path(table_file)
    return p.with_name(p.stem + PROXIES_SUFFIX)


def journal_for(path: Path, published: bool) -> Path:
    """The default journal of a table file.

    Args:
        path: the table file.
        published: it is an embedded NAS-Bench-201 table of published results.

    Returns:
        `data/proxies/<name>.jsonl` for a published table, else `<stem>.proxies.jsonl` beside it.
    """
    if published:
        return path.parent / "proxies" / f"{path.stem}.jsonl"
    return proxies_journal_path(path)


def is_published_nb201(path: Path) -> bool:
    """Whether a path is one of the embedded NAS-Bench-201 tables of published results.

    Args:
        path: a table file.

    Returns:
        True where it resolves to one of them.
    """
    from ..tables.nb201_tables import TABLE_NAMES
    from ..tables.registry import data_dirs

    return any(path.resolve() == (d / f"{n}.h5").resolve() for d in data_dirs() for n in TABLE_NAMES)


def _worker(setup: Setup, journal: str, names: tuple[str, ...], limit: int | None, classes: list[int],
            part: tuple[int, int], data_dir: str | None, threads: int, parent: int | None = None) -> None:
    become_worker(parent)  # dies with the `proxies` process, even a kill -9; SIGINT ignored, SIGTERM fatal
    run(setup, journal, names, limit, progress=False, threads=threads, classes=classes, part=part,
        data_dir=data_dir)


def covered_classes(bench) -> list[int]:
    """The functional classes of the cells a table covers.

    Args:
        bench: the table.

    Returns:
        The class numbers, sorted.
    """
    cls, _ = class_table("functional")
    return sorted({int(k) for k in cls[bench.row_arch]})


def run_job(job: ProxyJob, progress: bool = True) -> ProxyReport:
    """Compute, resume and (`job.write`) fold a proxy job.

    Bad input is refused before anything is written.

    Args:
        job: what to do.
        progress: show progress on stderr.

    Returns:
        What the job did.

    Raises:
        ProxyError: bad input (not a table, another space, `--data-dir` or `--write` where they
            do not apply, ...).
        LinkRefused: the journal is a symbolic link.
    """
    from ..tables.registry import load, resolve
    from ..tables.tabular import TabularBenchmark

    _check_job(job)
    path = resolve(job.table)
    bench = load(path)
    if not isinstance(bench, TabularBenchmark):
        raise ProxyError(f"{job.table} is not a table (proxies are stored in tables, not in a {bench.kind})")
    if job.data_dir is not None and not bench.meta.details.data:
        raise ProxyError(f"--data-dir: {job.table} records no dataset of its own (its proxies are computed on a "
                         f"stand-in batch that reads no data); give --data-dir only for a table trained here")
    if bench.space_name != "nb201":
        raise ProxyError(f"{job.table} is a table of the {bench.space_name!r} space; proxies are computed for nb201")
    published = is_published_nb201(path)
    if job.write and published:
        raise ProxyError(f"{path.stem} is rebuilt from its published sources: fold its journal with "
                         f"`python scripts/build_nb201_tables.py --write`, not --write")
    setup = setup_for(bench, path.stem, batch_size=job.batch_size, data_dir=job.data_dir)
    journal = Path(job.journal) if job.journal else journal_for(path, published)
    if journal.is_symlink():
        raise LinkRefused(f"{journal} is a symbolic link; nasbench does not write through links it did not create: "
                          "remove it (its target is untouched) or give the file itself with --journal")
    read_journal(journal)  # a damaged journal is refused before anything is created or locked
    journal.parent.mkdir(parents=True, exist_ok=True)
    existed = journal.exists()
    try:
        with exclusive(journal, f"proxy journal {journal}"):  # one writer: a second `proxies` is refused
            return _run_locked(job, path, bench, setup, journal, progress)
    except LockHeld:
        raise
    except BaseException:
        if not existed and journal.exists() and journal.stat().st_size == 0:
            journal.unlink()  # created empty by the lock: a refused or failed run leaves nothing
        raise


def _run_locked(job: ProxyJob, path: Path, bench, setup: Setup, journal: Path, progress: bool) -> ProxyReport:
    """`run_job` with the journal locked."""
    note = repair_journal(journal)  # a last line a kill cut short: cut away, never appended onto
    if note:
        print(note, file=sys.stderr)
    write_header(setup, journal)  # refuses a journal of another setup before any line is added
    classes = covered_classes(bench)
    _, done = read_journal(journal)
    todo = todo_classes(done, job.names, setup.order_seed, job.limit, classes)
    if job.jobs == 1 or len(todo) <= 1:
        now = run(setup, journal, job.names, job.limit, progress=progress, threads=job.threads, classes=classes,
                  data_dir=job.data_dir)
    else:
        now = _run_parallel(setup, journal, job, classes, len(todo), progress)
    _, done = read_journal(journal)
    have = sum(1 for k in classes if all(n in done.get(k, {}).get("values", {}) for n in job.names))
    written = digest = None
    if job.write:
        digest = _fold(path, journal)
        written = path
    return ProxyReport(journal, now, have, len(classes), written, digest)


def _check_job(job: ProxyJob) -> None:
    """The counts of `job` lie within `nasbench.util.limits` (one line naming the flag)."""
    check_count(job.jobs, "--jobs", MAX_JOBS, ProxyError)
    check_count(job.threads, "--threads", MAX_THREADS, ProxyError)
    check_count(job.limit, "--limit", MAX_LIMIT, ProxyError, allow_none=True)
    check_count(job.batch_size, "--batch-size", MAX_PROXY_BATCH, ProxyError)


def _run_parallel(setup: Setup, journal: Path, job: ProxyJob, classes: list[int], n_todo: int,
                  progress: bool) -> int:
    ctx = mp.get_context("spawn")
    n = min(job.jobs, n_todo)
    procs = [ctx.Process(target=_worker, args=(setup, str(journal), job.names, job.limit, classes, (i, n),
                                               job.data_dir, job.threads, os.getpid())) for i in range(n)]
    lines0 = _lines(journal)
    bar = None
    try:
        with starting_workers(fork=False):  # no worker sees a terminal's Ctrl-C before it ignores it
            for p in procs:
                p.start()
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=n_todo, desc=f"{setup.table} {','.join(job.names)}", file=sys.stderr)
        alive = list(procs)
        while alive:  # wakes when a worker ends, else once a second for the progress bar
            wait([p.sentinel for p in alive], timeout=1.0)
            alive = [p for p in alive if p.is_alive()]
            if bar is not None:
                bar.n = min(n_todo, _lines(journal) - lines0)
                bar.refresh()
    finally:  # normally every worker has finished; after an interrupt or error, stop the others at once
        for p in procs:
            if p.pid is not None and p.exitcode is None:
                p.terminate()
        for p in procs:
            if p.pid is not None:
                p.join()
        if bar is not None:
            bar.close()
    bad = [p.exitcode for p in procs if p.exitcode != 0]
    if bad:
        raise ProxyError(f"{len(bad)} of {n} proxy worker processes failed (exit codes {bad}); rerun to resume")
    return _lines(journal) - lines0


def _lines(journal: Path) -> int:
    with open(journal, "rb") as f:
        return f.read().count(b"\n")


def _fold(path: Path, journal: Path) -> str:
    """Rewrite the table file at `path` with the journal's proxies, atomically."""
    from ..tables.hdf5 import read_table, write_table
    from .store import with_proxies

    return write_table(path, with_proxies(read_table(path), journal))

