"""Train the winners of a comparison for real and compare with what the benchmark predicted.

```python
from nasbench.validation.run import ValidateConfig, validate
report = validate(ValidateConfig(results="results/default", top_k=5))
print(report.summary())
```

**Which cells.** `top_k` picks the best K distinct final incumbents of a comparison, across
its runs and strategies: every (strategy, run)'s last incumbent, de-duplicated by the table row
that holds it (cells of one canonical class share a row and build the same network), ranked by
the benchmark's seed-mean of the comparison's validation metric at the table's last epoch (ties:
the lower cell index). Or `cells`: explicit arch strings or indices.

**How they are trained.** With the benchmark's recorded recipe (`bench.meta.recipe`) and data
(`bench.meta.extra["data"]`, a `DataSpec`; imported NAS-Bench-201
tables record none, so then `dataset` / `data_dir` must be given), or overrides (epochs,
seeds, C, N, batch size, dataset, data directory, sizes). Seeds default to three fresh seeds not
in the table (1, 2, 3 unless taken), so that the measurement is independent of the table's own
runs; `seeds="table"` retrains the table's seeds, in the table's seed groups (seeds the
generator stacked are stacked again), which on CPU with the recorded recipe reproduces the
table bit for bit (a reproducibility check, not a noise check).

**The statistics**: see `nasbench.validation.report`.

**Checkpoints.** Every training saves model, optimiser and data-generator state after each
finished epoch (`<out>/checkpoints`, numpy `.npz` + JSON, no pickle, written atomically); a
killed run resumes from its last finished epoch, and on CPU the result is bit-identical to an
uninterrupted run. Finished trainings are kept as JSON (`<out>/units`) and are not redone.

**Hardware.** `device="auto"`: CUDA when available, else CPU; `device="cuda"` without a GPU is an
error unless `allow_cpu_fallback`. On CPU each (cell, seed) is its own training, `jobs` worker
processes in parallel (one thread each). On CUDA the seeds of one cell are stacked into one network
(`nasbench.training.train.train_many`'s channel stacking), `jobs` processes share the GPU;
`executor="ray"` spreads the trainings over a Ray cluster (one GPU per actor on CUDA).

**Where things live.** This module is the driver (`validate`); the config and its error are in
`nasbench.validation.config`, choosing the cells and the benchmark's predictions in
`nasbench.validation.select`, training them (recipe, data, seeds, resumable units) in
`nasbench.validation.train` on the workers of `nasbench.training.workers`, and the statistics,
tables and plots in `nasbench.validation.report`.
"""
from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..tables.benchmark import Benchmark

from ..util.executors import EXECUTORS
from ..tables.noise import POOL_ROWS
from .config import DEVICES, TRAIN_METRICS, ValidateConfig, ValidateError  # noqa: F401 (re-exported)
from .report import ValidationReport, build_report_frame, kendall, plot_report
from .select import _load_bench, _open_results, _predictions, select_top
from .estimate import check_disk, disk_needed, estimate_time
from .train import (_check_loaded_data, _data_of, _load_data, _read_unit, _recipe_of, _results, _seeds_of,
                               _Unit, _write_json, resolve_device, schedule_of, train_checkpointed, unit_key)


def validate(cfg: ValidateConfig, bench: Benchmark | None = None,
             on_unit: Callable[[dict[str, Any]], None] | None = None,
             on_message: Callable[[str], None] | None = None, verify: bool | None = None) -> ValidationReport:
    """Select, train (resumably), compare, write CSV / JSON / plot into `cfg.out`.

    Args:
        cfg: what to validate and how.
        bench: the benchmark to predict from (default: the comparison's table).
        on_unit: called with each finished training's body.
        on_message: called with lines to show before training (the time estimate).
        verify: whether loading the table checks its SHA-256, as `nasbench.load`.

    Returns:
        The `ValidationReport`.

    Raises:
        ValidateError: bad input (a metric the table lacks, a bad or uncovered cell, a device or
            disk that cannot serve the trainings, ...), in one line.
    """
    import pandas as pd

    t0 = time.perf_counter()
    notes: list[str] = []
    frame = res = None
    if cfg.results is not None:
        res, frame = _open_results(cfg.results)
    device = resolve_device(cfg.device, cfg.allow_cpu_fallback)
    if cfg.device.startswith("cuda") and device == "cpu":
        notes.append(f"--device {cfg.device} asked, no GPU: fell back to CPU (--allow-cpu-fallback)")
    prov = res.provenance if res is not None else {}
    table = cfg.table or prov.get("config", {}).get("table")
    if bench is None:
        bench = _load_bench(table, cfg.results, verify)
    table_name = bench.name or str(table)
    if res is not None:
        rec_sha = prov.get("table", {}).get("sha256", "")
        from ..search.runner import table_sha256

        now = table_sha256(bench)
        if rec_sha and now and rec_sha != now:
            notes.append("the table changed since the comparison (sha256 differs); predictions are from the "
                         "current table")
    metric = cfg.metric or prov.get("config", {}).get("protocol", {}).get("metric") or "valid_acc"
    sched = schedule_of(bench, metric)
    if metric not in bench.metric_names:
        raise ValidateError(f"metric {metric!r} not in the table; it has {', '.join(bench.metric_names)}")
    # cells
    from ..space import to_cell

    extra: dict[int, dict[str, Any]] = {}
    if cfg.cells:
        try:
            cells = [to_cell(int(c) if isinstance(c, str) and c.strip().isdigit() else c).index for c in cfg.cells]
        except Exception as exc:
            raise ValidateError(f"bad cell: {str(exc).splitlines()[0]}") from None
        cells = list(dict.fromkeys(cells))
        missing = [c for c in cells if bench.result_key(c) < 0]
        if missing:
            raise ValidateError(f"cell(s) {missing[:5]} not covered by table {table_name!r} "
                                f"({len(bench.covered)} cells covered)")
    else:
        cells, extra = select_top(frame, bench, cfg.top_k or 5, metric)
    recipe, n1 = _recipe_of(bench, cfg, sched)
    data, n2 = _data_of(bench, cfg)
    seeds, seeds_note = _seeds_of(bench, cfg)
    notes += n1 + n2
    ds = _load_data(data, cfg.data_dir)  # fail early (and once) when the dataset is missing
    notes += _check_loaded_data(bench, ds)
    cuda = device.startswith("cuda")
    stack = cfg.stack_seeds if cfg.stack_seeds is not None else cuda
    groups = [tuple(seeds)] if stack else [(s,) for s in seeds]
    table_groups = bench.meta.details.seed_groups
    if cfg.seeds == "table" and cfg.stack_seeds is None and not cuda and table_groups:
        groups = [tuple(int(s) for s in g) for g in table_groups]  # stacked as generated: bit-identical
    out = Path(cfg.out)
    units, finished = [], []
    for c in cells:
        for g in groups:
            key = unit_key(c, g, recipe, data, device)
            name = f"{c}-{'_'.join(map(str, g))}-{key}"
            u = _Unit(c, g, key, str(out / "checkpoints" / f"{name}.npz"), str(out / "units" / f"{name}.json"),
                      cfg.checkpoint_every)
            body = _read_unit(Path(u.result), key)
            (finished.append(body) if body is not None else units.append(u))
    check_disk(out, disk_needed([(u.cell, u.seeds) for u in units], recipe, ds.num_classes, ds.input_shape[0]))
    if units and on_message is not None:
        todo: dict[int, int] = {}
        for u in units:
            todo[u.cell] = todo.get(u.cell, 0) + len(u.seeds)
        on_message(estimate_time(cells, todo, ds, recipe, device, cfg.jobs).line())
    del ds
    bodies = list(finished)
    threads = 1 if not cuda else 0
    init = (data, recipe, cfg.data_dir, device, threads)
    bar = None
    if cfg.progress and units:
        from tqdm import tqdm

        bar = tqdm(total=len(units), desc="validate", unit="training")
    try:
        results = _results(units, init, cfg.jobs, cfg.executor, cfg.address, cuda)
        for body in results:
            bodies.append(body)
            if bar is not None:
                bar.update(1)
            if on_unit is not None:
                on_unit(body)
    finally:
        if bar is not None:
            bar.close()
    measured: dict[int, dict[int, float]] = {c: {} for c in cells}
    records: list[dict[str, Any]] = []
    for body in bodies:
        for r in body["records"]:
            measured[int(r["cell"])][int(r["seed"])] = float(r[sched.measures][-1])
            records.append(r)
    pred = _predictions(bench, cells, metric)
    if metric in bench.mean_only:
        notes.append(f"the table holds only the seed mean of {metric} (no per-seed runs): its seed noise is not "
                     f"recorded, so sd_used is the spread of the measured seeds and the mean counts as one run")
    notes_sd = []
    if pred.surrogate:
        notes_sd.append("sd_used: the surrogate's seed-noise sd of each cell")
    else:
        notes_sd.append(f"sd_used: the table's seed sd pooled over the {min(POOL_ROWS, pred.n_sd_rows)} rows "
                        f"(of {pred.n_sd_rows} with >= 2 runs) nearest to each cell in seed mean (pred_sd: the "
                        f"cell's own)" if pred.n_sd_rows else "sd_used: none in the table (one run per cell), so "
                        "the sd of the measured seeds, pooled over the validated cells")
    if sched.schedule is not None:
        if recipe["epochs"] != int(sched.schedule):
            notes.append(f"measured after {recipe['epochs']} epochs, predicted for the {sched.schedule}-epoch schedule")
    elif recipe["epochs"] != int(np.asarray(bench.epochs)[-1]):
        notes.append(f"measured after {recipe['epochs']} epochs, predicted at the table's epoch "
                     f"{int(np.asarray(bench.epochs)[-1])}")
    for c in cells:
        if set(measured[c]) != set(seeds):
            raise ValidateError(f"internal: cell {c} lacks seeds {sorted(set(seeds) - set(measured[c]))}")
    test_pred = sched.test_pair if sched.schedule is not None else "test_acc"
    if test_pred and test_pred in bench.metric_names and sched.measures != "test_acc":
        try:
            t_pred = np.asarray(bench.query_many(np.asarray(cells), test_pred, None, "mean"), dtype=float)
        except Exception:
            t_pred = np.full(len(cells), np.nan)
        for i, c in enumerate(cells):
            t_meas = [float(r["test_acc"][-1]) for r in records if int(r["cell"]) == c]
            extra.setdefault(c, {}).update(pred_test=float(t_pred[i]), meas_test=float(np.mean(t_meas)))
    # the table's own value for any retrained table seed (reproduction check)
    if bench.measured_runs and metric not in bench.mean_only and sched.schedule is None:
        for c in cells:
            diffs = []
            for s in seeds:
                v = bench.query_many(np.array([c]), metric, None, int(s))[0] if s in set(bench.seeds.tolist()) \
                    else np.nan
                if np.isfinite(v):
                    diffs.append(abs(measured[c][s] - v))
            if diffs:
                extra.setdefault(c, {})["max_abs_diff_same_seed"] = float(max(diffs))
    df = build_report_frame(cells, pred, measured, seeds, extra)
    tau, p = kendall(df["pred_mean"].to_numpy(float), df["meas_mean"].to_numpy(float))
    report = ValidationReport(df, metric, tau, p, tuple(seeds), seeds_note, recipe, data, device, table_name,
                              notes + notes_sd, out, [], records, time.perf_counter() - t0, len(units))
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "validation.csv", index=False)
    tidy = []
    for r in records:
        for e in range(len(r["valid_acc"])):
            tidy.append({"cell": r["cell"], "seed": r["seed"], "epoch": e + 1,
                         **{m: r[m][e] for m in (*TRAIN_METRICS, "train_time")}})
    pd.DataFrame(tidy).sort_values(["cell", "seed", "epoch"]).to_csv(out / "curves.csv", index=False)
    files = [out / "validation.csv", out / "curves.csv", out / "validation.json"]
    if cfg.plots:
        files += plot_report(report, out)
    report.files = files
    _write_json(out / "validation.json", {
        "table": table_name, "results": cfg.results, "metric": metric, "measures": sched.measures,
        "schedule": sched.schedule, "cells": [int(c) for c in cells],
        "seeds": list(seeds), "seeds_note": seeds_note, "recipe": recipe, "data": data, "device": device,
        "kendall_tau": tau, "kendall_p": p, "notes": report.notes, "seconds": report.seconds,
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()}})
    return report


__all__ = ["DEVICES", "EXECUTORS", "TRAIN_METRICS", "ValidateConfig", "ValidateError", "ValidationReport", "build_report_frame",
           "kendall", "plot_report", "resolve_device",
           "select_top", "train_checkpointed", "unit_key", "validate"]
