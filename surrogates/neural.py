"""PyTorch surrogates: an MLP on a flat encoding and a graph isomorphism network (GIN) on the
op-on-node graph (`surrogates.encodings.encode_graph`), written with dense tensors so no
graph library is needed. Both train with Adam on standardised transformed targets, seeded, on
the CPU (a GPU is not worth it for 8-node graphs); the thread count is the caller's
(`torch.set_num_threads`)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .base import SurrogateRegressor, seed_of
from .encodings import GraphBatch, NODE_TYPES, encode_graph


def _torch():
    import torch

    return torch


class _TorchSurrogate(SurrogateRegressor):
    """Shared training loop; subclasses build the network and turn features into tensors."""

    min_samples = 4
    epochs: int
    min_steps: int
    batch_size: int
    lr: float
    weight_decay: float
    random_state: Any

    def _build(self, n_in: int):
        raise NotImplementedError

    def _tensors(self, F) -> tuple:
        raise NotImplementedError

    def _n_in(self, F) -> int:
        raise NotImplementedError

    def _fit(self, F, z):
        torch = _torch()
        seed = seed_of(self.random_state)
        gen = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)  # parameter initialisation
        self._zm, self._zs = float(np.mean(z)), float(np.std(z) or 1.0)
        self._n_in_ = self._n_in(F)
        net = self._build(self._n_in_)
        inputs = self._tensors(F)
        target = torch.as_tensor((z - self._zm) / self._zs, dtype=torch.float32)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        n = len(target)
        bs = min(self.batch_size, n)
        per_epoch = max(1, -(-n // bs))
        epochs = max(self.epochs, -(-self.min_steps // per_epoch))  # small sets: at least min_steps
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * per_epoch)
        net.train()
        for _ in range(epochs):
            perm = torch.randperm(n, generator=gen)
            for s in range(0, n, bs):
                idx = perm[s:s + bs]
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(net(*(t[idx] for t in inputs)), target[idx])
                loss.backward()
                opt.step()
                sched.step()
        net.eval()
        self.net_ = net

    def _predict(self, F):
        torch = _torch()
        with torch.no_grad():
            out = self.net_(*self._tensors(F)).numpy().astype(np.float64)
        return out * self._zs + self._zm

    def _get_state(self):
        arrays = {f"param/{k}": v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}
        return {"zm": self._zm, "zs": self._zs, "n_in": self._n_in_}, arrays

    def _set_state(self, info, arrays):
        torch = _torch()
        self._zm, self._zs, self._n_in_ = float(info["zm"]), float(info["zs"]), int(info["n_in"])
        torch.manual_seed(0)
        net = self._build(self._n_in_)
        sd = {k.split("/", 1)[1]: torch.as_tensor(np.asarray(v)) for k, v in arrays.items() if k.startswith("param/")}
        net.load_state_dict(sd, strict=True)
        net.eval()
        self.net_ = net


class MLPSurrogate(_TorchSurrogate):
    """Multi-layer perceptron (ReLU, dropout-free) on a flat encoding.

    Args:
        encoding: the features the model reads (a name of `surrogates.encodings.encoding_names`).
        target_transform: `log_error`, `log` or `identity` (`surrogates.base.forward_target`).
        hidden: units per hidden layer.
        layers: hidden layers.
        epochs: training epochs (at least `min_steps` optimiser steps in all).
        min_steps: the fewest optimiser steps.
        batch_size: cells per step.
        lr: Adam's learning rate.
        weight_decay: Adam's weight decay.
        random_state: the seed (None: 0).
    """

    def __init__(self, encoding: str = "combined", target_transform: str = "log_error",
                 hidden: int = 128, layers: int = 3, epochs: int = 100, min_steps: int = 300,
                 batch_size: int = 128, lr: float = 1e-3, weight_decay: float = 1e-4,
                 random_state: int | None = 0) -> None:
        self.encoding = encoding
        self.target_transform = target_transform
        self.hidden = hidden
        self.layers = layers
        self.epochs = epochs
        self.min_steps = min_steps
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state

    def _n_in(self, F) -> int:
        return int(np.asarray(F).shape[1])

    def _tensors(self, F):
        return (_torch().as_tensor(np.asarray(F, dtype=np.float32)),)

    def _build(self, n_in: int):
        nn = _torch().nn
        mods: list = []
        width = n_in
        for _ in range(self.layers):
            mods += [nn.Linear(width, self.hidden), nn.ReLU()]
            width = self.hidden
        mods.append(nn.Linear(width, 1))
        return _Squeeze(nn.Sequential(*mods))


class GINSurrogate(_TorchSurrogate):
    """Graph isomorphism network on the op-on-node DAG.

    `layers` GIN layers `h <- MLP((1 + eps) h + sum of predecessors' h + sum of successors' h)`
    (separate weights per direction), sum readout over live nodes concatenated with the output
    node's embedding, then a two-layer head.

    Args:
        target_transform: `log_error`, `log` or `identity` (`surrogates.base.forward_target`).
        hidden: the node embedding's size.
        layers: GIN layers.
        epochs: training epochs (at least `min_steps` optimiser steps in all).
        min_steps: the fewest optimiser steps.
        batch_size: cells per step.
        lr: Adam's learning rate.
        weight_decay: Adam's weight decay.
        canonical: set ineffective edges to `none` before building the graph.
        random_state: the seed (None: 0).
    """

    uses_flat_features = False

    def __init__(self, target_transform: str = "log_error", hidden: int = 64, layers: int = 3,
                 epochs: int = 100, min_steps: int = 300, batch_size: int = 128, lr: float = 2e-3,
                 weight_decay: float = 1e-4, canonical: bool = True, random_state: int | None = 0) -> None:
        self.target_transform = target_transform
        self.hidden = hidden
        self.layers = layers
        self.epochs = epochs
        self.min_steps = min_steps
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.canonical = canonical
        self.random_state = random_state

    @property
    def encoding(self) -> str:  # the graph form; not a parameter
        """Always `graph`: the network reads the op-on-node DAG (not a parameter)."""
        return "graph"

    def _features(self, ops):
        return encode_graph(ops, canonical=self.canonical)

    def _n_in(self, F) -> int:
        return len(NODE_TYPES)

    def _tensors(self, F: GraphBatch):
        torch = _torch()
        return torch.as_tensor(F.nodes), torch.as_tensor(F.adj)

    def _build(self, n_in: int):
        return _GIN(n_in, self.hidden, self.layers)


def _module_base():
    return _torch().nn.Module


class _Squeeze(_module_base()):  # type: ignore[misc]
    def __init__(self, inner) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x).squeeze(-1)


class _GIN(_module_base()):  # type: ignore[misc]
    def __init__(self, n_in: int, hidden: int, layers: int) -> None:
        super().__init__()
        nn = _torch().nn
        self.embed = nn.Linear(n_in, hidden)
        self.eps = nn.Parameter(_torch().zeros(layers))
        self.fwd = nn.ModuleList(nn.Linear(hidden, hidden, bias=False) for _ in range(layers))
        self.bwd = nn.ModuleList(nn.Linear(hidden, hidden, bias=False) for _ in range(layers))
        self.mlps = nn.ModuleList(
            nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden)) for _ in range(layers))
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))
        self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, nodes, adj):
        torch = _torch()
        alive = (nodes[..., 2] == 0).to(nodes.dtype).unsqueeze(-1)  # 'none' nodes carry nothing
        h = self.embed(nodes) * alive
        adj_t = adj.transpose(1, 2)
        for k in range(len(self.mlps)):
            agg = (1 + self.eps[k]) * h + torch.bmm(adj_t, self.fwd[k](h)) + torch.bmm(adj, self.bwd[k](h))
            h = h + torch.relu(self.norms[k](self.mlps[k](agg)))
            h = h * alive
        readout = torch.cat([h.sum(dim=1), h[:, -1]], dim=-1)
        return self.head(readout).squeeze(-1)
