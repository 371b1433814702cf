"""Checkpoints of a training in progress: model, optimiser and data-order generator state
after an epoch, as an .npz of numeric arrays plus one JSON string (no pickle), written atomically."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

def state_to_arrays(net, opt, gens, out: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The training state as numeric arrays plus JSON-serialisable metadata, for `save_checkpoint`.

    Args:
        net: the network.
        opt: the optimiser.
        gens: the data generators.
        out: the per-epoch result arrays.

    Returns:
        `(arrays, meta)`.
    """
    arrays: dict[str, np.ndarray] = {}
    for k, v in net.state_dict().items():
        arrays[f"model/{k}"] = v.detach().cpu().contiguous().numpy()
    sd = opt.state_dict()
    opt_keys: dict[str, list[str]] = {}
    for idx, st in sd["state"].items():
        opt_keys[str(idx)] = []
        for key, v in st.items():
            if v is None:
                continue
            arrays[f"opt/{idx}/{key}"] = v.detach().cpu().contiguous().numpy()
            opt_keys[str(idx)].append(key)
    for k, g in enumerate(gens):
        arrays[f"gen/{k}"] = g.get_state().numpy()
    for m, v in out.items():
        arrays[f"out/{m}"] = v
    meta = {"param_groups": sd["param_groups"], "opt_keys": opt_keys}
    return arrays, meta


def save_checkpoint(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Atomic .npz: numeric arrays plus one JSON string (no pickle).

    Args:
        path: the .npz file to write.
        arrays: name -> numeric array.
        meta: JSON-serialisable metadata.
    """
    from ..util.atomic import atomic_path

    with atomic_path(path) as tmp, open(tmp, "r+b") as fh:  # created exclusively: never a planted link
        np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)
        fh.flush()
        os.fsync(fh.fileno())


def load_checkpoint(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The arrays and meta of a checkpoint, or None when it is absent or unreadable.

    Args:
        path: the .npz file.

    Returns:
        `(arrays, meta)`, or None.
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("__meta__")))
    except (OSError, ValueError, KeyError):  # a damaged file (the write is atomic, so rare): start anew
        return None
    return arrays, meta




def restore(arrays: dict[str, np.ndarray], meta: dict[str, Any], net, opt, gens, out: dict[str, np.ndarray]) -> None:
    """Load a checkpoint's state into `net`, `opt`, the data generators and `out`.

    Args:
        arrays: the checkpoint's arrays.
        meta: the checkpoint's metadata.
        net: the network to load the weights into.
        opt: the optimiser to load the state into.
        gens: the data generators whose states are restored.
        out: the per-epoch result arrays, filled in place.
    """
    import torch

    net.load_state_dict({k[6:]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("model/")})
    opt_state = {int(i): {kk: torch.from_numpy(arrays[f"opt/{i}/{kk}"]) for kk in keys}
                 for i, keys in meta["opt_keys"].items()}
    opt.load_state_dict({"state": opt_state, "param_groups": meta["param_groups"]})
    for k, g in enumerate(gens):
        g.set_state(torch.from_numpy(arrays[f"gen/{k}"]))
    for m in out:
        out[m] = arrays[f"out/{m}"].copy()
