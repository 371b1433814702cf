"""A surrogate's seed noise: the run-to-run sd recorded by the benchmark it is fitted to,
regressed on the cell (`noise="seed"`) or the ensemble's spread rescaled to it
(`noise="ensemble"`); see `surrogates.benchmark`."""
from __future__ import annotations

import numpy as np

from nasbench.tables.benchmark import Benchmark, QueryError

from .base import SurrogateError, SurrogateRegressor
from .config import SurrogateConfig
from .ensemble import EnsembleSurrogate
from .models import XGBSurrogate


def _recorded_sd(table: Benchmark, metric: str, epoch: int, cells: np.ndarray) -> np.ndarray | None:
    """Each cell's run-to-run sd (ddof=1; NaN with fewer than 2 runs), from the contract's runs."""
    if metric in table.mean_only:
        return None
    try:
        runs = table.runs(cells, metric, epoch)
    except QueryError:
        return None
    from nasbench.util.checks import quiet_nan_stats

    with quiet_nan_stats():
        n = (~np.isnan(runs)).sum(axis=1)
        sd = np.nanstd(runs, axis=1, ddof=1)
    sd[n < 2] = np.nan
    return sd if np.isfinite(sd).sum() >= 3 else None


def _fit_noise(table: Benchmark, metric: str, epoch: int, train: np.ndarray, X: np.ndarray, est: SurrogateRegressor,
               cfg: SurrogateConfig, k: int) -> tuple[SurrogateRegressor | None, float]:
    """(noise model, scale). `seed`: XGBoost on log recorded sd, scaled so that mean predicted
    variance = mean recorded variance; `ensemble`: scale of the ensemble spread; no recorded
    seeds (or `none`): (None, 0)."""
    if cfg.noise == "none":
        return None, 0.0
    sd = _recorded_sd(table, metric, epoch, train)
    if sd is None:
        return None, 0.0
    ok = np.isfinite(sd)
    target_var = float(np.mean(sd[ok] ** 2))
    if cfg.noise == "ensemble":
        if not isinstance(est, EnsembleSurrogate):
            raise SurrogateError("noise='ensemble' needs model='ensemble'")
        spread = np.asarray(est.predict(X[ok], return_std=True)[1])
        mv = float(np.mean(spread**2))
        return None, float(np.sqrt(target_var / mv)) if mv > 0 else 0.0
    nm = XGBSurrogate(target_transform="identity", n_estimators=100, max_depth=3, learning_rate=0.1,
                      random_state=cfg.seed + 1000 * k + 1)
    nm.fit(X[ok], np.log(sd[ok] + 1e-3))
    pred = np.exp(nm.predict(X[ok]))
    mv = float(np.mean(pred**2))
    return nm, float(np.sqrt(target_var / mv)) if mv > 0 else 0.0


def _noise_sd(est: SurrogateRegressor, noise_model: SurrogateRegressor | None, scale: float, mode: str,
              X: np.ndarray) -> np.ndarray:
    if mode == "none" or scale == 0.0:
        return np.zeros(len(X))
    if mode == "ensemble":
        return scale * np.asarray(est.predict(X, return_std=True)[1], dtype=np.float64)
    assert noise_model is not None
    return scale * np.exp(np.asarray(noise_model.predict(X), dtype=np.float64))
