"""The numeric fingerprint of a machine: what selects the floating-point kernels a training runs.

Two trainings with the same cell, seed, data and recipe give bit-identical numbers when the same
kernels run them in the same order. Which kernels run is decided by the CPU (its model and the
instruction-set flags that oneDNN, MKL and PyTorch's ATen dispatch on), the PyTorch, oneDNN and MKL
builds, the number of threads, and a few settings (environment variables that cap the instruction
set, oneDNN switched off, deterministic algorithms). `Fingerprint` records all of them; a
table or journal made on a machine whose fingerprint `Fingerprint.matches` this one's is
expected to retrain bit-identically here, any other only to agree within its seed noise.

Every field takes part in the match (a conservative rule: two CPU models with the same flags
may well agree, but oneDNN also picks its blocking from cache sizes, so no field is trusted to be
irrelevant).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

#: CPU flags (as /proc/cpuinfo spells them) that oneDNN, MKL or ATen dispatch on
KERNEL_FLAGS = ("sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512dq", "avx512cd",
                "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx512ifma", "avx512vbmi",
                "amx_tile", "amx_bf16", "amx_int8", "amx_fp16", "asimd", "sve", "sve2")
#: environment variables that change which kernels run (recorded when set)
KERNEL_ENV = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ONEDNN_DEFAULT_FPMATH_MODE",
              "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE")


@dataclass(frozen=True)
class Fingerprint:
    """What decides the bits of a CPU (or GPU) training on this machine; JSON-serialisable."""

    arch: str
    cpu_model: str
    cpu_flags: tuple[str, ...]
    torch_cpu_capability: str
    torch: str
    onednn: str
    mkl: str
    numpy: str
    threads: int
    device: str = "cpu"
    settings: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["cpu_flags"] = list(self.cpu_flags)
        d["settings"] = {k: v for k, v in self.settings}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Fingerprint":
        """From `to_dict`'s form; a missing field reads as `"unknown"` (and then never matches).

        Args:
            d: the dict `to_dict` wrote.

        Returns:
            The fingerprint.
        """
        kw: dict[str, Any] = {}
        for f in fields(cls):
            v = d.get(f.name, "unknown")
            if f.name == "cpu_flags":
                v = tuple(v) if isinstance(v, (list, tuple)) else ("unknown",)
            elif f.name == "settings":
                v = tuple(sorted((str(k), str(x)) for k, x in v.items())) if isinstance(v, dict) else (("unknown", ""),)
            elif f.name == "threads":
                v = int(v) if isinstance(v, int) else -1
            else:
                v = str(v)
            kw[f.name] = v
        return cls(**kw)

    @property
    def id(self) -> str:
        """A short hash of every field: equal ids, matching fingerprints."""
        body = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    def differences(self, other: "Fingerprint") -> list[str]:
        """Names of the fields that differ (all of them decide bit-identity).

        Args:
            other: the fingerprint to compare with.

        Returns:
            Names of the differing fields.
        """
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]

    def matches(self, other: "Fingerprint | dict[str, Any] | None") -> bool:
        """True when a training here is expected to reproduce one made under `other` to the bit.

        Args:
            other: a fingerprint, its dict form, or None (never matches).

        Returns:
            Whether a bit-identical reproduction is expected.
        """
        if other is None:
            return False
        if isinstance(other, dict):
            other = Fingerprint.from_dict(other)
        return not self.differences(other)

    def describe(self) -> str:
        return (f"{self.cpu_model} ({self.arch}, torch {self.torch} capability {self.torch_cpu_capability}, "
                f"oneDNN {self.onednn}, MKL {self.mkl}, {self.threads} thread(s), {self.device})")


def _cpuinfo() -> tuple[str, set[str]]:
    model, flags = "", set()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                if key == "model name" and not model:
                    model = value.strip()
                elif key in ("flags", "features") and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model or platform.processor() or "unknown", flags


@functools.lru_cache(maxsize=1)
def _build() -> tuple[str, str]:
    """(oneDNN version, MKL version) from PyTorch's build description."""
    import torch

    text = torch.__config__.show()
    dnn = re.search(r"MKL-DNN v([\w.]+)(?: \(Git Hash (\w+)\))?", text)
    mkl = re.search(r"Math Kernel Library Version ([\w.]+)(?:-Product Build (\w+))?", text)
    onednn = f"{dnn.group(1)}+{dnn.group(2)[:10]}" if dnn and dnn.group(2) else (dnn.group(1) if dnn else "none")
    mkl_v = f"{mkl.group(1)}+{mkl.group(2)}" if mkl and mkl.group(2) else (mkl.group(1) if mkl else "none")
    return onednn, mkl_v


def current(threads: int | None = None, device: str = "cpu") -> Fingerprint:
    """This process's fingerprint. `threads`: the intra-op threads the training uses (default:
    torch's current setting); `device`: `cpu` or a CUDA device (its name and the CUDA and cuDNN
    versions are recorded).

    Args:
        threads: intra-op threads; None: torch's current setting.
        device: `cpu` or a CUDA device.

    Returns:
        The fingerprint.
    """
    import numpy
    import torch

    model, flags = _cpuinfo()
    onednn, mkl = _build()
    settings = {k: os.environ[k] for k in KERNEL_ENV if os.environ.get(k)}
    if not torch.backends.mkldnn.enabled:
        settings["torch.backends.mkldnn.enabled"] = "False"
    if torch.are_deterministic_algorithms_enabled():
        settings["torch.use_deterministic_algorithms"] = "True"
    dev = "cpu"
    if str(device).startswith("cuda"):
        name = torch.cuda.get_device_name(torch.device(device)) if torch.cuda.is_available() else "unavailable"
        dev = f"{name} (CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()})"
    return Fingerprint(
        arch=platform.machine(), cpu_model=model, cpu_flags=tuple(f for f in KERNEL_FLAGS if f in flags),
        torch_cpu_capability=str(torch.backends.cpu.get_cpu_capability()), torch=torch.__version__,
        onednn=onednn, mkl=mkl, numpy=numpy.__version__,
        threads=int(torch.get_num_threads() if threads is None else threads), device=dev,
        settings=tuple(sorted(settings.items())))


def of_table(extra: dict[str, Any]) -> Fingerprint | None:
    """The fingerprint a table records in its `extra` (None: unknown, or trained on several).

    Args:
        extra: the table metadata's `extra`.

    Returns:
        The fingerprint, or None.
    """
    fp = extra.get("fingerprint")
    return Fingerprint.from_dict(fp) if isinstance(fp, dict) else None
