"""Does retraining reproduce a generated table? Bit-identity where the machine matches, else
statistical agreement within the table's seed noise.

`check_retraining` retrains K of a table's trained rows with the recorded data split,
recipe and seed (or stack of seeds, as the row was trained) and compares:

* **bit-identity**, the check made when the table's fingerprint matches this machine's
  (`nasbench.training.fingerprint`): every recorded metric at every epoch equal to the bit;
* **statistical agreement**, the check made otherwise (another machine, or a table that records no
  fingerprint): for the final `valid_acc` and `test_acc` of each retrained run,
  `z = (retrained - stored) / (sqrt(2) * sd)`, with `sd` the per-run seed sd pooled over the
  200 table rows nearest the row's seed mean (`nasbench.tables.noise.pooled_seed_sd`). Under the
  null (same code, recipe and data; only the rounding differs) each retrained value is another
  draw of the same training, so the difference of two draws has sd `sqrt(2) * sd`: conservative,
  since the retraining shares the stored run's initialisation and data order. The check passes
  when every `|z| < Z_MAX` and the mean shift `|sum z| / sqrt(2 n) < Z_SHIFT` (the
  `sqrt(2 n)` bounds the variance of the sum whatever the correlation of a run's two values).
  With normal noise a false failure has probability at most `n * P(|N| >= 6) + P(|N| >= 5)`
  (< 1e-6 for up to 200 values). The tables' noise has heavier tails than normal (a seed that
  trains badly): `seed_pair_tail` counts how many of the table's own independent seed pairs
  cross the thresholds, and the report says so; on the embedded tables none of 31,560 per table
  reaches |z| = 6, and no group of 1, 4 or 10 seed pairs fails the rule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..util.limits import MAX_RETRAIN, check_count
from ..tables.noise import pooled_seed_sd
from ..errors import NasbenchError

if TYPE_CHECKING:
    from ..tables.tabular import TabularBenchmark

Z_MAX = 6.0  #: every |z| must stay below this
Z_SHIFT = 5.0  #: and the mean shift |sum z| / sqrt(2 n) below this
STAT_METRICS = ("valid_acc", "test_acc")
BIT_METRICS = ("train_acc", "train_loss", "valid_acc", "valid_loss", "test_acc", "test_loss")


class RetrainCheckError(NasbenchError, ValueError):
    """A table that cannot be checked by retraining (imported, one run per cell, no data spec)."""


def normal_tail(z: float) -> float:
    """P(|N(0, 1)| >= z).

    Args:
        z: the threshold.

    Returns:
        The two-sided tail probability.
    """
    return math.erfc(z / math.sqrt(2.0))


def false_failure_bound(n_values: int) -> float:
    """Probability that the statistical rule fails a correct table, with normal noise: a union
    bound over the `n_values` single values plus the mean-shift test.

    Args:
        n_values: number of single values checked.

    Returns:
        The bound.
    """
    return n_values * normal_tail(Z_MAX) + normal_tail(Z_SHIFT)


def statistical_rule(z: np.ndarray) -> bool:
    """The pass rule of the statistical check: every |z| < `Z_MAX` and |sum z| / sqrt(2 n) < `Z_SHIFT`.

    Args:
        z: the z values of the retrained values.

    Returns:
        Whether the check passes.
    """
    z = np.asarray(z, dtype=np.float64)
    if not len(z) or not np.all(np.isfinite(z)):
        return False
    return bool(np.max(np.abs(z)) < Z_MAX and abs(z.sum()) / math.sqrt(2 * len(z)) < Z_SHIFT)


@dataclass
class RetrainedRun:
    """One retrained (row, seed): its stored and retrained final values and their z-scores."""

    row: int
    cell: int
    seed: int
    group: list[int]
    bit_identical: bool
    stored: dict[str, float]
    retrained: dict[str, float]
    z: dict[str, float]


@dataclass
class RetrainReport:
    table: str
    mode: str  # "bit-identity" or "statistical"
    why: str  # why this check: the fingerprints
    runs: list[RetrainedRun] = field(default_factory=list)
    seed_pairs: dict[str, Any] = field(default_factory=dict)

    @property
    def z_values(self) -> np.ndarray:
        return np.array([r.z[m] for r in self.runs for m in STAT_METRICS], dtype=np.float64)

    @property
    def bit_identical(self) -> bool:
        return all(r.bit_identical for r in self.runs)

    @property
    def max_abs_z(self) -> float:
        z = self.z_values
        return float(np.max(np.abs(z))) if len(z) else 0.0

    @property
    def shift(self) -> float:
        z = self.z_values
        return float(abs(z.sum()) / math.sqrt(2 * len(z))) if len(z) else 0.0

    @property
    def statistical_ok(self) -> bool:
        return statistical_rule(self.z_values)

    @property
    def passed(self) -> bool:
        return self.bit_identical if self.mode == "bit-identity" else self.statistical_ok

    def summary(self) -> str:
        lines = [f"retrained {len(self.runs)} run(s) of {self.table}: {self.mode} check ({self.why})"]
        for r in self.runs:
            stack = f" (stack {','.join(map(str, r.group))})" if len(r.group) > 1 else ""
            vals = "  ".join(f"{m} {r.stored[m]:.2f} -> {r.retrained[m]:.2f} z {r.z[m]:+.2f}" for m in STAT_METRICS)
            lines.append(f"  cell {r.cell:>5} seed {r.seed}{stack}: {'bit-identical' if r.bit_identical else 'differs'}"
                         f"  {vals}")
        n_bit = sum(r.bit_identical for r in self.runs)
        if self.mode == "bit-identity":
            verdict = (f"all {len(self.runs)} bit-identical" if self.passed else
                       f"{len(self.runs) - n_bit} of {len(self.runs)} runs differ from the table although the "
                       f"fingerprints match")
        else:
            n = len(self.z_values)
            pairs = self.seed_pairs
            verdict = (f"max |z| {self.max_abs_z:.2f} (pass < {Z_MAX:g}), mean shift {self.shift:.2f} (pass < "
                       f"{Z_SHIFT:g}) over {n} values; false-failure probability <= {false_failure_bound(n):.1e} "
                       f"with normal noise")
            if pairs:
                verdict += (f"; the table's own {pairs['pairs']:,} seed pairs reach |z| >= {Z_MAX:g} "
                            f"{pairs['beyond_max']} time(s), >= 4 {pairs['beyond_4']} time(s)")
            verdict += f"; {n_bit} of {len(self.runs)} runs also bit-identical"
        lines.append(f"{'PASS' if self.passed else 'FAIL'} {self.mode}: {verdict}")
        return "\n".join(lines)


def _pooled_sds(bench: "TabularBenchmark", rows: np.ndarray) -> dict[str, np.ndarray]:
    out = {}
    for m in STAT_METRICS:
        means, sds = bench.seed_mean(m), bench.seed_std(m)
        out[m] = pooled_seed_sd(means, sds, means[rows])
    return out


def seed_pair_tail(bench: "TabularBenchmark") -> dict[str, Any]:
    """The statistical rule's z computed between the table's own independent seed pairs of every
    row (final `valid_acc` and `test_acc`): how many pairs there are and how many reach
    |z| >= 4 and |z| >= `Z_MAX`.

    Args:
        bench: the generated table.

    Returns:
        The counts and tail fractions, by name.
    """
    zs = []
    for m in STAT_METRICS:
        means, sds = bench.seed_mean(m), bench.seed_std(m)
        sd = pooled_seed_sd(means, sds, means)
        final = np.asarray(bench.metrics[m][:, :, -1], dtype=np.float64)
        S = final.shape[1]
        for a in range(S):
            for b in range(a + 1, S):
                z = (final[:, a] - final[:, b]) / (math.sqrt(2.0) * sd)
                zs.append(z[np.isfinite(z)])
    z = np.abs(np.concatenate(zs)) if zs else np.zeros(0)
    return {"pairs": int(len(z)), "beyond_4": int((z >= 4).sum()), "beyond_max": int((z >= Z_MAX).sum()),
            "max": float(z.max()) if len(z) else float("nan")}


def pick_units(bench: "TabularBenchmark", k: int, seed: int = 0) -> list[tuple[int, list[int]]]:
    """K distinct trained rows, each with one seed group it was trained with, the groups taken in
    turn (so K >= the number of passes checks every pass); `seed` picks them.

    Args:
        bench: the generated table.
        k: how many rows.
        seed: seeds the choice.

    Returns:
        `(row, seeds)` pairs.
    """
    from .config import seed_groups_or_default

    groups = seed_groups_or_default(bench.meta.details.seed_groups, bench.seeds)
    slot_of = {int(s): i for i, s in enumerate(bench.seeds)}
    groups = [g for g in groups if all(s in slot_of for s in g)]
    rng = np.random.default_rng(seed)
    rows_of = []
    for g in groups:
        slots = [slot_of[s] for s in g]
        rows_of.append(rng.permutation(np.nonzero((bench.run_seed[:, slots] == np.array(g)).all(axis=1))[0]))
    picked: list[tuple[int, list[int]]] = []
    used: set[int] = set()
    pos = [0] * len(groups)
    while len(picked) < k and any(pos[i] < len(rows_of[i]) for i in range(len(groups))):
        for i, g in enumerate(groups):
            while pos[i] < len(rows_of[i]) and int(rows_of[i][pos[i]]) in used:
                pos[i] += 1
            if pos[i] < len(rows_of[i]) and len(picked) < k:
                row = int(rows_of[i][pos[i]])
                picked.append((row, list(g)))
                used.add(row)
                pos[i] += 1
    return picked


def check_retraining(bench: "TabularBenchmark", k: int, seed: int = 0, data_dir: str | None = None,
                     mode: str = "auto", name: str = "") -> RetrainReport:
    """Retrain `k` rows of a generated table and check them (see the module docstring).
    `mode`: `auto` (bit-identity when the fingerprints match, else statistical), or force
    `bit-identity` / `statistical`.

    Args:
        bench: the generated table.
        k: how many rows to retrain.
        seed: seeds the choice of rows.
        data_dir: where the dataset files are; None: the default.
        mode: `auto`, `bit-identity` or `statistical`.
        name: the table's name in the report.

    Returns:
        The report.
    """
    import torch

    from ..training.datasets import load_data_spec
    from ..training.fingerprint import current, of_table
    from ..training.train import recipe_from_dict, train_many

    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise RetrainCheckError(f"--retrain takes a positive number of rows, got {k!r}")
    check_count(k, "--retrain", MAX_RETRAIN, RetrainCheckError)
    if mode not in ("auto", "bit-identity", "statistical"):
        raise RetrainCheckError(f"mode {mode!r}; allowed: auto, bit-identity, statistical")
    extra = bench.meta.extra or {}
    spec = extra.get("data")
    if not bench.meta.recipe or not isinstance(spec, dict):
        raise RetrainCheckError(f"{name or 'the table'} records no training recipe and data split (an imported "
                                f"table?); only tables made by `nasbench generate` can be retrained")
    mine = current(threads=1)
    theirs = of_table(extra)
    if theirs is None:
        why = ("the table records no fingerprint" if "fingerprints" not in extra else
               "the table was trained on several machines")
    elif mine.matches(theirs):
        why = f"fingerprints match: {mine.describe()}"
    else:
        why = f"fingerprints differ in {', '.join(mine.differences(theirs))}"
    chosen = ("bit-identity" if theirs is not None and mine.matches(theirs) else "statistical") if mode == "auto" else mode
    report = RetrainReport(name or bench.name or "table", chosen, why)
    units = pick_units(bench, k, seed)
    if not units:
        raise RetrainCheckError(f"{report.table} has no trained rows to retrain")
    if chosen == "statistical":
        if not np.isfinite(bench.seed_std("valid_acc")).any():
            raise RetrainCheckError(f"{report.table} records one run per cell: no seed noise to compare a "
                                    f"retraining against on this machine ({why})")
        report.seed_pairs = seed_pair_tail(bench)
    data = load_data_spec(spec, data_dir)
    if bench.meta.split_sizes and data.split_sizes != bench.meta.split_sizes:
        raise RetrainCheckError(f"the data split here {data.split_sizes} is not the table's {bench.meta.split_sizes}")
    recipe = recipe_from_dict(bench.meta.recipe)
    rows = np.array([r for r, _ in units])
    sds = _pooled_sds(bench, rows)
    slot_of = {int(s): i for i, s in enumerate(bench.seeds)}
    metrics = [m for m in BIT_METRICS if m in bench.metrics]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the generator's workers train
    try:
        for i, (row, group) in enumerate(units):
            cell = int(bench.row_arch[row])
            recs = train_many([cell] * len(group), group, data, recipe)
            for rec, s in zip(recs, group):
                slot = slot_of[s]
                same = all(getattr(rec, m).tolist() == bench.metrics[m][row, slot].tolist() for m in metrics)
                stored = {m: float(bench.metrics[m][row, slot, -1]) for m in STAT_METRICS}
                new = {m: float(getattr(rec, m)[-1]) for m in STAT_METRICS}
                z = {m: 0.0 if new[m] == stored[m] else (new[m] - stored[m]) / (math.sqrt(2.0) * float(sds[m][i]))
                     for m in STAT_METRICS}
                report.runs.append(RetrainedRun(row, cell, int(s), list(group), same, stored, new, z))
    finally:
        torch.set_num_threads(threads)
    return report
