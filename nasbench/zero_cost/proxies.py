"""The zero-cost proxies, computed on an `nasbench.training.network.NB201Network` at initialisation.

Definitions follow the reference implementations (Abdelfattah et al. 2021, "Zero-Cost Proxies
for Lightweight NAS", and the papers they cite); "weights" below are the weights of every
`Conv2d` and `Linear` layer (BN affine parameters are not scored, as in the reference code):

* `synflow`  sum |theta * dR/dtheta| with R = sum of the output of the network with every
  weight replaced by its absolute value, BN removed, on a batch of one all-ones input, in float64.
* `snip`     sum |theta * dL/dtheta|, L = cross-entropy on the stand-in batch.
* `grad_norm` sum over layers of the L2 norm of dL/dW.
* `fisher`   sum over conv/linear outputs a of 0.5 * mean_batch( sum_spatial(a * dL/da) )^2,
  summed over channels.
* `grasp`    sum of -theta * (H g), g = dL/dtheta, H the Hessian of L (one Hessian-vector
  product by double back-propagation).
* `jacob_cov` -sum_i (log(v_i + k) + 1/(v_i + k)), v the eigenvalues of the correlation matrix
  of the per-example input Jacobians of the summed output, k = 1e-5.
* `naswot`   log|det K|, K_ij = number of ReLUs with the same on/off state for inputs i and j
  (Mellor et al. 2021), over every ReLU of the network (each cell ReLU and the head ReLU).
* `zen`      log E|f(x) - f(x + 0.01 e)|_1 + sum over BN of log sqrt(mean running variance),
  f the pre-pooling feature map, x and e standard Gaussian, BN in training mode (Lin et al.
  2021, Zen-NAS). One deviation: the weights keep the network's own (PyTorch default) init
  rather than Zen-NAS's Gaussian re-init, so that every proxy scores the same network.

The data-dependent proxies (snip, grad_norm, fisher, grasp, jacob_cov, naswot) read the stand-in
batch of `nasbench.zero_cost.batch`; synflow and zen read no data.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError
from ..training.network import NB201Network
from ..training.ops import GroupedLinear

if TYPE_CHECKING:
    from .batch import StandIn


@dataclass(frozen=True)
class ProxySpec:
    """One proxy: its name, whether it reads the stand-in batch, and what higher means."""

    name: str
    data: bool
    doc: str


def _weights(net: nn.Module) -> list[nn.Parameter]:
    out = []
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, GroupedLinear)):
            out.append(m.weight)
    return out


def _loss(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(net(x), y)


# -- the proxies -------------------------------------------------------------------------
def synflow(net: nn.Module, shape: tuple[int, ...]) -> float:
    """SynFlow of a network on one all-ones input, in float64.

    Args:
        net: any module (a copy is scored, with |weights| and BN layers removed).
        shape: the input's shape.

    Returns:
        `sum |theta * dR/dtheta|`.
    """
    m = copy.deepcopy(net).double()
    for name, mod in list(m.named_modules()):
        for cname, child in list(mod.named_children()):
            if isinstance(child, nn.BatchNorm2d):
                setattr(mod, cname, nn.Identity())
    with torch.no_grad():
        for p in m.parameters():
            p.abs_()
    m.zero_grad()
    out = m(torch.ones(tuple(shape), dtype=torch.float64))
    out.sum().backward()
    with torch.no_grad():
        return float(sum((w * w.grad).abs().sum() for w in _weights(m) if w.grad is not None))


def _grad_pass(net: NB201Network, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """snip, grad_norm and fisher from one forward/backward pass of the cross-entropy."""
    acts: list[torch.Tensor] = []

    def keep(mod: nn.Module, inp: tuple, out: torch.Tensor) -> None:
        if out.requires_grad:
            out.retain_grad()
            acts.append(out)

    hooks = [m.register_forward_hook(keep) for m in net.modules() if isinstance(m, (nn.Conv2d, GroupedLinear))]
    try:
        net.zero_grad()
        _loss(net, x, y).backward()
    finally:
        for h in hooks:
            h.remove()
    ws = [w for w in _weights(net) if w.grad is not None]
    fisher = 0.0
    with torch.no_grad():
        snip = float(sum((w * w.grad).abs().sum() for w in ws))
        gn = float(sum(w.grad.norm() for w in ws))
        for a in acts:
            if a.grad is None:
                continue
            prod = a * a.grad
            per = prod.sum(dim=(2, 3)) if prod.dim() == 4 else prod
            fisher += float(0.5 * per.pow(2).mean(0).sum())
    net.zero_grad()
    return {"snip": snip, "grad_norm": gn, "fisher": fisher}


def grasp(net: NB201Network, x: torch.Tensor, y: torch.Tensor) -> float:
    """GraSP: `sum -theta * (H g)` on a batch.

    Args:
        net: the network.
        x: the input batch.
        y: its labels.

    Returns:
        The score (0 where the loss's gradient has no second-order dependence).
    """
    ws = _weights(net)
    net.zero_grad()
    g = torch.autograd.grad(_loss(net, x, y), ws, allow_unused=True)
    g = [gi.detach() if gi is not None else torch.zeros_like(w) for gi, w in zip(g, ws)]
    gr = torch.autograd.grad(_loss(net, x, y), ws, create_graph=True, allow_unused=True)
    z = sum((gi * gj).sum() for gi, gj in zip(gr, g) if gi is not None)
    if not isinstance(z, torch.Tensor) or not z.requires_grad:
        return 0.0
    hg = torch.autograd.grad(z, ws, allow_unused=True)
    with torch.no_grad():
        return float(sum((-w * h).sum() for w, h in zip(ws, hg) if h is not None))


def _jacob_naswot(net: NB201Network, x: torch.Tensor) -> dict[str, float]:
    """jacob_cov and naswot from one forward (ReLU states) and one input-gradient pass."""
    B = x.shape[0]
    K = torch.zeros(B, B, dtype=torch.float64)

    def count(mod: nn.Module, inp: tuple, out: torch.Tensor) -> None:
        c = (inp[0].detach() > 0).reshape(B, -1).double()
        K.add_(c @ c.t() + (1 - c) @ (1 - c).t())

    relus = [m for m in net.modules() if isinstance(m, nn.ReLU)]
    hooks = [m.register_forward_hook(count) for m in relus]
    xg = x.clone().requires_grad_(True)
    try:
        feats = _pre_gap(net, xg)
        c = (feats.detach() > 0).reshape(B, -1).double()  # the head ReLU (a functional call)
        K.add_(c @ c.t() + (1 - c) @ (1 - c).t())
        out = net.classifier(F.relu(feats).mean(dim=(2, 3)).view(B, 1, -1))[:, 0]
    finally:
        for h in hooks:
            h.remove()
    out.backward(torch.ones_like(out))
    net.zero_grad()
    if xg.grad is None:  # the output does not depend on the input (no path through the cells)
        corr = np.full((B, B), np.nan)
    else:
        with np.errstate(all="ignore"):
            corr = np.corrcoef(xg.grad.reshape(B, -1).double().numpy())
    if not np.all(np.isfinite(corr)):
        jc = float("nan")
    else:
        v = np.linalg.eigvalsh(corr)
        k = 1e-5
        jc = float(-np.sum(np.log(np.clip(v, 0, None) + k) + 1.0 / (np.clip(v, 0, None) + k)))
    sign, logdet = np.linalg.slogdet(K.numpy())
    return {"jacob_cov": jc, "naswot": float(logdet) if sign > 0 else float("nan")}


def _pre_gap(net: NB201Network, x: torch.Tensor) -> torch.Tensor:
    """The head BN's output before its ReLU and the global pool."""
    h = net.stem(x)
    for layer in net.layers:
        h = layer(h)
    return net.head_bn(h)


def zen(net: NB201Network, x: torch.Tensor, eps: torch.Tensor) -> float:
    """Zen-score: log feature change under a 0.01 Gaussian perturbation, plus the BN scale.

    Args:
        net: the network (a copy is scored, in training mode).
        x: Gaussian input.
        eps: Gaussian perturbation.

    Returns:
        The score (NaN where the features do not change).
    """
    m = copy.deepcopy(net)
    m.train()
    with torch.no_grad():
        f1 = F.relu(_pre_gap(m, x))
        f2 = F.relu(_pre_gap(m, x + 0.01 * eps))
        d = (f1 - f2).abs().sum(dim=(1, 2, 3)).mean()
        bn = sum(math.log(math.sqrt(float(b.running_var.mean()))) for b in m.modules() if isinstance(b, nn.BatchNorm2d))
    return float(torch.log(d)) + bn if float(d) > 0 else float("nan")


PROXIES: tuple[ProxySpec, ...] = (
    ProxySpec("synflow", False, "sum |theta * dR/dtheta|, |weights|, no BN, all-ones input, float64"),
    ProxySpec("zen", False, "Zen-score: log feature change under a 0.01 Gaussian perturbation + BN scale"),
    ProxySpec("snip", True, "sum |theta * dL/dtheta| on the stand-in batch"),
    ProxySpec("grad_norm", True, "sum of per-layer L2 norms of dL/dW on the stand-in batch"),
    ProxySpec("fisher", True, "sum of 0.5 * mean (sum a*dL/da)^2 over conv/linear outputs"),
    ProxySpec("grasp", True, "sum -theta * (H g) on the stand-in batch"),
    ProxySpec("jacob_cov", True, "-sum log/inverse eigenvalues of the input-Jacobian correlation"),
    ProxySpec("naswot", True, "log det of the ReLU-code agreement kernel (Mellor et al.)"),
)
PROXY_NAMES = tuple(p.name for p in PROXIES)

# which computation yields which proxies (one pass can serve several)
_GROUPS: dict[str, tuple[str, ...]] = {
    "synflow": ("synflow",), "zen": ("zen",), "grad": ("snip", "grad_norm", "fisher"), "grasp": ("grasp",),
    "jacob": ("jacob_cov", "naswot"),
}
#: the passes by name and the proxies each yields (public: tables record it, searches charge a
#: shared pass once; see `nasbench.zero_cost.store`)
PASSES: dict[str, tuple[str, ...]] = _GROUPS


def parse_proxies(text: str | None) -> tuple[str, ...]:
    """Read a comma-separated list of proxy names.

    Args:
        text: `a,b,c`; empty or None: all proxies.

    Returns:
        The proxy names.

    Raises:
        InputError: an unknown name (the message lists the allowed ones).
    """
    if not text:
        return PROXY_NAMES
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    bad = [n for n in names if n not in PROXY_NAMES]
    if bad or not names:
        raise InputError(f"unknown proxy {', '.join(bad) or repr(text)}; allowed: {', '.join(PROXY_NAMES)}")
    return names


def compute_proxies(net: NB201Network, batch: "StandIn",
                    names: tuple[str, ...] = PROXY_NAMES) -> tuple[dict[str, float], dict[str, float]]:
    """Some proxies of a network at its current weights.

    Undefined values (a cell whose output does not depend on its input: log 0) are NaN.

    Args:
        net: the network.
        batch: the stand-in batch (`nasbench.zero_cost.batch.StandIn`).
        names: the proxies.

    Returns:
        `(values, seconds)` by proxy name; seconds are the wall time of each pass, split evenly
        among the proxies one pass serves.
    """
    values: dict[str, float] = {}
    seconds: dict[str, float] = {}
    net.train()  # the reference code scores in training mode (BN on batch statistics)
    x, y = batch.x, batch.y
    for group, members in _GROUPS.items():
        want = [m for m in members if m in names]
        if not want:
            continue
        t0 = time.perf_counter()
        if group == "synflow":
            got = {"synflow": synflow(net, (1, net.config.in_channels, *x.shape[2:]))}
        elif group == "zen":
            got = {"zen": zen(net, batch.zen_x, batch.zen_eps)}
        elif group == "grad":
            got = _grad_pass(net, x, y)
        elif group == "grasp":
            got = {"grasp": grasp(net, x, y)}
        else:
            got = _jacob_naswot(net, x)
        dt = (time.perf_counter() - t0) / len(want)
        for m in want:
            v = got[m]
            values[m] = v if math.isfinite(v) else float("nan")
            seconds[m] = dt
    return values, seconds
