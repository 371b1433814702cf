"""Shared fixtures. Tests that need ../shared/data skip cleanly where it is absent."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

#: ../shared/data from the project's root; NASBENCH_SHARED_DATA names it where a checkout lives elsewhere
SHARED_DATA = Path(os.environ.get("NASBENCH_SHARED_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data")
NB201_CSV = SHARED_DATA / "nasbench201" / "nb201_cifar10.csv"
NATS_SAMPLE = SHARED_DATA / "nats-tss-simple-sample"


def load_script(name: str):
    """The module of ``scripts/<name>.py`` (scripts are not a package)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses with string annotations look their module up there
    spec.loader.exec_module(mod)
    return mod


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"reference data not present: {path} (the shared/data folder beside the repository)")
    return path


@pytest.fixture(scope="session")
def nb201_table():
    """The published NAS-Bench-201 CIFAR-10 results: the embedded table (runs on a fresh clone)."""
    import nasbench

    return nasbench.load("nb201-cifar10")


@pytest.fixture(scope="session")
def nb201_imported():
    """The same results imported from ../shared/data by the csv importer (skips without it)."""
    from nasbench.importers import import_csv

    return import_csv(need(NB201_CSV))


@pytest.fixture(scope="session")
def nb201_h5(tmp_path_factory, nb201_table):
    """The same table written to an .h5 file."""
    from nasbench.table import write_table

    path = tmp_path_factory.mktemp("tables") / "nb201-cifar10.h5"
    write_table(path, nb201_table)
    return path
