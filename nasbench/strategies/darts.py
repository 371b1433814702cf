"""DARTS (first order) and GDAS that really train a weight-sharing supernet on the table's dataset.

Network weights use the table's recipe (SGD, momentum, Nesterov, lr with cosine decay, weight
decay, batch size, C and N) on the training split; architecture weights use Adam (lr 3e-4,
betas (0.5, 0.999), weight decay 1e-3, NAS-Bench-201's DARTS/GDAS settings) on the validation
split, alternating batch by batch. GDAS anneals its Gumbel temperature linearly from 10 to 0.1.
Every `ask` trains `epochs_per_ask` more epochs (all of them on the first ask by default) and
returns the derived cell (argmax per edge); the runner charges that training as the query's cost,
so the supernet's training is the search cost. `cost="model"` (the default) charges a
deterministic model of it fitted to the table's own training times
(`supernet_cost`), so that the same config gives the same results;
`cost="measured"` charges the measured wall-clock seconds instead (different on every run).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..util.checks import check_positive_int
from ..space import indices_of_ops
from .base import Capabilities, Job, JobStrategy, Params, StrategyError, check_positive


@dataclass(frozen=True)
class SupernetParams(Params):
    #: supernet epochs in all (None: the table recipe's epochs)
    """The parameters of `darts` and `gdas` (each field's comment says what it sets)."""

    epochs: int | None = None
    #: epochs trained per ask (None: all of them on the first ask)
    epochs_per_ask: int | None = None
    C: int | None = None
    N: int | None = None
    batch_size: int | None = None
    arch_lr: float = 3e-4
    arch_weight_decay: float = 1e-3
    tau_max: float = 10.0
    tau_min: float = 0.1
    #: cap on batches per epoch (None: the whole training split); for quick tests
    max_batches: int | None = None
    #: options for nasbench.training.datasets.load_dataset (e.g. {"downscale": 4}); None: from the recipe
    data_options: dict[str, Any] | None = None
    threads: int = 1
    #: what a query is charged: "model" (the table-calibrated cost model; reproducible) or "measured"
    #: (wall-clock seconds of the supernet training; differ run to run)
    cost: str = "model"

    def check(self) -> None:
        check_positive(self, "arch_lr", "tau_max", "tau_min", "threads")
        if self.cost not in ("model", "measured"):
            raise StrategyError(f"supernet: cost must be 'model' or 'measured', got {self.cost!r}")
        for n in ("epochs", "epochs_per_ask", "C", "N", "batch_size", "max_batches"):
            check_positive_int(getattr(self, n), f"supernet: {n}", StrategyError, allow_none=True, say_none=True)


@dataclass
class _Loaded:
    train: tuple[Any, Any]
    valid: tuple[Any, Any]
    num_classes: int
    in_channels: int


class SupernetSearch(JobStrategy):
    """Shared machinery of DARTS and GDAS; subclasses set `mode`."""

    Params = SupernetParams
    #: one supernet trains on one device: with several simulated workers the others stay idle
    capabilities = Capabilities(trains_networks=True, max_workers=1, needs={"dataset", "recipe", "epoch_seconds"})
    mode = "darts"

    def __init__(self, context, params=None) -> None:
        super().__init__(context, params)
        if not context.dataset:
            raise StrategyError(f"{self.name}: the table names no dataset to train a supernet on")
        self._net = None
        self._epoch = 0
        self._step = 0
        self.last_train_seconds = 0.0
        self.last_cost = 0.0
        self._charged = 0.0
        self.history: list[tuple[int, ...]] = []

    # -- set-up ------------------------------------------------------------------------
    def _recipe(self, key: str, *alts: str, default: Any = None) -> Any:
        r = self.context.recipe
        for k in (key, *alts):
            if k in r and r[k] is not None:
                return r[k]
        return default

    def _setup(self) -> None:
        import torch

        from ..training.datasets import DatasetError, load_dataset
        from .supernet import Supernet

        p = self.params
        if p.cost == "model":
            from .supernet_cost import CostModelError, OpCostModel

            if self.context.epoch_seconds is None:
                raise StrategyError(f"{self.name}: cost='model' needs the table's training times and this benchmark "
                                    f"records none; use {self.name}.cost=measured")
            try:
                self._cost_model = OpCostModel.fit(self.context.epoch_seconds)
            except CostModelError as exc:
                raise StrategyError(f"{self.name}: {exc}; use {self.name}.cost=measured") from None
        opts = p.data_options if p.data_options is not None else dict(self._recipe("data_options", "dataset_options", default={}) or {})
        try:
            data = load_dataset(self.context.dataset, **opts)
        except DatasetError as exc:
            raise StrategyError(f"{self.name}: cannot load the table's dataset: {exc}") from None
        x_tr, x_va = data.train_x.float() / 255.0, data.valid_x.float() / 255.0
        if self._recipe("normalize", default=True):
            mean = x_tr.mean(dim=(0, 2, 3), keepdim=True)
            std = x_tr.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
            x_tr, x_va = (x_tr - mean) / std, (x_va - mean) / std
        self._data = _Loaded((x_tr, data.train_y), (x_va, data.valid_y), data.num_classes, x_tr.shape[1])
        seed = int(self.rng.integers(2**31))
        torch.manual_seed(seed)
        self._gen = torch.Generator().manual_seed(seed)
        C = p.C or int(self._recipe("C", "channels", default=16))
        N = p.N or int(self._recipe("N", "cells_per_stage", default=5))
        self._net = Supernet(C, N, data.num_classes, self._data.in_channels)
        self.total_epochs = p.epochs or int(self._recipe("epochs", default=12))
        self.batch_size = p.batch_size or int(self._recipe("batch_size", default=256))
        self._lr = float(self._recipe("lr", default=0.1))
        n_batches = math.ceil(len(self._data.train[1]) / self.batch_size)
        self._batches = min(n_batches, p.max_batches) if p.max_batches else n_batches
        self._w_opt = torch.optim.SGD(self._net.weight_parameters(), lr=self._lr,
                                      momentum=float(self._recipe("momentum", default=0.9)),
                                      nesterov=bool(self._recipe("nesterov", default=True)),
                                      weight_decay=float(self._recipe("weight_decay", default=5e-4)))
        self._a_opt = torch.optim.Adam([self._net.alpha], lr=p.arch_lr, betas=(0.5, 0.999),
                                       weight_decay=p.arch_weight_decay)

    # -- training ----------------------------------------------------------------------
    def _tau(self) -> float:
        p, T = self.params, self.total_epochs
        return p.tau_max - (p.tau_max - p.tau_min) * self._epoch / max(T - 1, 1)

    def _train_epoch(self) -> None:
        import torch
        import torch.nn.functional as F

        net, (xt, yt), (xv, yv) = self._net, self._data.train, self._data.valid
        net.train()
        total_steps = self.total_epochs * self._batches
        perm_t = torch.randperm(len(yt), generator=self._gen)
        perm_v = torch.randperm(len(yv), generator=self._gen)
        bs, tau = self.batch_size, self._tau()
        for b in range(self._batches):
            it = perm_t[b * bs:(b + 1) * bs]
            start = (b * bs) % max(len(yv) - bs + 1, 1)
            iv = perm_v[start:start + bs]
            # architecture step on a validation batch
            self._a_opt.zero_grad()
            F.cross_entropy(net(xv[iv], self.mode, tau), yv[iv]).backward()
            self._a_opt.step()
            self._charge(len(iv))
            # weight step on a training batch, lr cosine-annealed per step
            lr = 0.5 * self._lr * (1 + math.cos(math.pi * self._step / total_steps))
            for g in self._w_opt.param_groups:
                g["lr"] = lr
            self._w_opt.zero_grad()
            net.alpha.grad = None
            F.cross_entropy(net(xt[it], self.mode, tau), yt[it]).backward()
            self._charge(len(it))
            torch.nn.utils.clip_grad_norm_(net.weight_parameters(), 5.0)
            net.alpha.grad = None
            self._w_opt.step()
            self._step += 1
        self._epoch += 1

    def _charge(self, images: int) -> None:
        """Add the modelled seconds of the forward and backward pass just made on `images` images."""
        if self.params.cost != "model":
            return
        from .supernet_cost import sampled_counts

        m = self._cost_model
        ops = self._net.last_ops
        counts = m.supernet_counts() if ops is None else sampled_counts(ops)
        self._charged += m.epoch_seconds(counts) * images / len(self._data.train[1])

    def ask(self) -> int:
        import torch

        t0 = time.perf_counter()
        charged = self._charged
        threads = torch.get_num_threads()
        torch.set_num_threads(self.params.threads)
        try:
            if self._net is None:
                self._setup()
            n = self.params.epochs_per_ask or self.total_epochs
            for _ in range(n):
                if self._epoch >= self.total_epochs:
                    break
                self._train_epoch()
        finally:
            torch.set_num_threads(threads)
        self.last_train_seconds = time.perf_counter() - t0
        self.last_cost = self.last_train_seconds if self.params.cost == "measured" else self._charged - charged
        ops = self._net.derive()
        self.history.append(ops)
        index = int(indices_of_ops(np.array([ops]))[0])
        return index if self.is_candidate(index) else self.mutate(index)

    def tell(self, index: int, value: float, cost: float, objectives: tuple[float, ...] = ()) -> None:
        """Ignored: the supernet learns from its own training, not from the table's values.

        Args:
            index: official index of the cell, as returned by `ask`.
            value: the observed validation value.
            cost: what training it cost (seconds).
            objectives: the values of the context's `objectives`, in that order (multi-objective runs).
        """
        pass

    def ask_job(self) -> Job:
        """A job of `ask()`'s cell, priced by its supernet training: the modelled seconds, or with
        `cost="measured"` the measured ones (the runner charges them instead of the table's cost).

        Returns:
            The job.
        """
        cell = self.ask()
        return Job(cell, cost=self.last_cost)

    def alpha(self) -> np.ndarray:
        """A copy of the architecture parameters (one row of op weights per edge)."""
        return self._net.alpha.detach().numpy().copy()


class Darts(SupernetSearch):
    """DARTS (first order): every op of every edge computed and mixed by the softmax of the architecture weights, in a supernet trained on the table's dataset."""

    name = "darts"
    mode = "darts"


class Gdas(SupernetSearch):
    """GDAS: one op per edge sampled by a straight-through Gumbel-softmax, in a supernet trained on the table's dataset."""

    name = "gdas"
    mode = "gdas"
