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
    from nasbench.tables.importers import import_csv

    return import_csv(need(NB201_CSV))


@pytest.fixture(scope="session")
def nb201_h5(tmp_path_factory, nb201_table):
    """The same table written to an .h5 file."""
    from nasbench.tables.hdf5 import write_table

    path = tmp_path_factory.mktemp("tables") / "nb201-cifar10.h5"
    write_table(path, nb201_table)
    return path


# -- the SYNTHETIC table of tests/synthetic.py (invented numbers; mechanics only) -----------------
# Module-scoped: cheap to build (about 0.03 s), and a module that changes one cannot leak into another.
@pytest.fixture(scope="module")
def bench(request):
    """The synthetic table in memory; a module that sets ``BENCH_WITH_PROXIES = True`` gets it with
    the invented proxies of ``with_synthetic_proxies`` (for the proxy-guided strategies)."""
    from synthetic import synthetic_table, with_synthetic_proxies

    table = synthetic_table()
    return with_synthetic_proxies(table) if getattr(request.module, "BENCH_WITH_PROXIES", False) else table


@pytest.fixture(scope="module")
def synthetic_h5(tmp_path_factory):
    """The synthetic table written to ``synthetic.h5`` in a folder of the module's own."""
    from synthetic import synthetic_table
    from nasbench.tables.hdf5 import write_table

    path = tmp_path_factory.mktemp("synthetic") / "synthetic.h5"
    write_table(path, synthetic_table())
    return path


@pytest.fixture(scope="module")
def synthetic_tables(tmp_path_factory):
    """A folder of the module's own holding two synthetic tables, ``a.h5`` (seed 0) and ``b.h5``
    (seed 1); a module may add files of its own to it."""
    from synthetic import synthetic_table
    from nasbench.tables.hdf5 import write_table

    d = tmp_path_factory.mktemp("tables")
    for name, seed in (("a", 0), ("b", 1)):
        write_table(d / f"{name}.h5", synthetic_table(seed=seed))
    return d


# -- one local Ray instance ---------------------------------------------------------------------
RAY_FIXTURE = "ray_local"


@pytest.fixture(scope="session")
def ray_local():
    """One local Ray instance (2 CPUs) for every test that runs on Ray (starting one costs about 6 s).
    The tests that ask for it run last (``pytest_collection_modifyitems`` below), so every other test,
    and the forks of a local comparison, see Ray not connected; it is shut down at the end."""
    ray = pytest.importorskip("ray")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    if started:
        ray.shutdown()


def pytest_collection_modifyitems(session, config, items):
    """The tests on the shared Ray instance move to the end, in their order."""
    on_ray = [it for it in items if RAY_FIXTURE in getattr(it, "fixturenames", ())]
    if on_ray:
        ids = {id(it) for it in on_ray}
        items[:] = [it for it in items if id(it) not in ids] + on_ray
