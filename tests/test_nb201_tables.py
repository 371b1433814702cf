"""scripts/build_nb201_tables.py rebuilds the committed NAS-Bench-201 tables from ../shared/data
exactly (skips where that folder is absent) and checks them against the official NATS-Bench records."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import NATS_SAMPLE, SHARED_DATA, need
from nasbench.tables.nb201_tables import TABLES, build_table, check_against_nats, spec_of
from nasbench.tables.registry import data_dirs

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_nb201_tables.py"


def _script():
    spec = importlib.util.spec_from_file_location("build_nb201_tables", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_build_script_reproduces_committed_tables(capsys):
    need(SHARED_DATA / "nasbench201")
    assert _script().main(["--shared", str(SHARED_DATA)]) == 0
    out = capsys.readouterr().out
    assert out.count("table sha256 matches, file bytes identical") == len(TABLES)
    if NATS_SAMPLE.is_dir():
        assert "against the official NATS-Bench records (nats-tss-simple-sample): 27 of 27 agree" in out


def test_build_script_refuses_other_files(tmp_path, capsys):
    """--write writes the same bytes as committed; a different committed file fails the check."""
    need(SHARED_DATA / "nasbench201")
    script = _script()
    assert script.main(["--shared", str(SHARED_DATA), "--data", str(tmp_path), "--tables", "nb201-cifar100",
                        "--write"]) == 0
    committed = data_dirs()[-1]
    assert (tmp_path / "nb201-cifar100.h5").read_bytes() == (committed / "nb201-cifar100.h5").read_bytes()
    shutil.copy(committed / "nb201-imagenet16-120.h5", tmp_path / "nb201-cifar100.h5")
    capsys.readouterr()
    assert script.main(["--shared", str(SHARED_DATA), "--data", str(tmp_path), "--tables", "nb201-cifar100"]) == 1
    assert "DIFFERS" in capsys.readouterr().out
    assert script.main(["--shared", str(tmp_path / "nowhere")]) == 2
    assert script.main(["--shared", str(SHARED_DATA), "--tables", "nb201-cifar11"]) == 2
    assert "unknown NAS-Bench-201 table 'nb201-cifar11'; allowed: nb201-cifar10" in capsys.readouterr().err


def test_nats_check_finds_a_difference():
    """The official-record check is not vacuous: one changed value is reported."""
    need(NATS_SAMPLE)
    spec = spec_of("nb201-imagenet16-120")
    bench = build_table(spec, need(SHARED_DATA))
    checks = check_against_nats(bench, spec, NATS_SAMPLE)
    assert all(c.ok for c in checks) and len(checks) == 27
    assert {c.cell for c in checks} == {0, 11, 284}
    bench.metrics["test_acc"][bench.arch_row[11], 1, 0] += 0.01  # seed 888 of cell 11
    bench.flops[bench.arch_row[284]] *= 1.001
    bad = [c for c in check_against_nats(bench, spec, NATS_SAMPLE) if not c.ok]
    assert [(c.what, c.cell) for c in bad] == [("test_acc (seed 888)", 11), ("flops (M, ImageNet16-120)", 284)]
    assert bad[0].line().startswith("DIFFERS  test_acc (seed 888)")
    assert np.isfinite(bad[0].official)


def test_installed_tables_are_found(tmp_path, monkeypatch):
    """A wheel installs data/*.h5 as nasbench/data/ (pyproject's package-dir mapping): the registry
    looks there when the package has it, and in the checkout's data/ otherwise."""
    import nasbench
    from nasbench.tables import registry

    pkg = tmp_path / "site-packages" / "nasbench"
    (pkg / "data").mkdir(parents=True)
    shutil.copy(data_dirs()[-1] / "nb201-cifar100.h5", pkg / "data")
    monkeypatch.delenv(registry.DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(registry, "__file__", str(pkg / "tables" / "registry.py"))
    assert registry.data_dirs() == [pkg / "data"] and registry.embedded_names() == ["nb201-cifar100"]
    assert nasbench.load("nb201-cifar100").best("test_acc").index == 9930
    shutil.rmtree(pkg / "data")
    assert registry.data_dirs() == [tmp_path / "site-packages" / "data"]
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    cfg = tomllib.loads((SCRIPT.parents[1] / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert cfg["package-dir"]["nasbench.data"] == "data" and cfg["package-data"]["nasbench.data"] == ["*.h5"]


@pytest.mark.parametrize("table,prefix", [("nb201-cifar100", "cifar100"),
                                          ("nb201-imagenet16-120", "imagenet16_120")])
def test_12_epoch_schedule_is_the_shared_csv(table, prefix, capsys):
    """CIFAR-100 and ImageNet16-120 serve the 12-epoch schedule like CIFAR-10 (seed-mean metrics
    valid_acc_s12, test_acc_s12): every cell's value is the shared CSV's, and ``nasbench info``
    lists the metrics with ranges equal to the CSV's to the printed digits."""
    import json

    import pandas as pd

    import nasbench
    from nasbench.cli import main

    csv = need(SHARED_DATA / "nasbench201" / "nb201_12epoch_cifar100_imagenet16.csv")
    df = pd.read_csv(csv)
    bench = nasbench.load(table)
    assert {"valid_acc_s12", "test_acc_s12"} <= set(bench.mean_only)
    cells = df["arch_index"].to_numpy()
    for metric, col in (("valid_acc_s12", f"{prefix}__valid_acc_12ep"), ("test_acc_s12", f"{prefix}__test_acc_12ep")):
        ours = np.array([bench.query(int(c), metric) for c in cells])
        assert np.array_equal(ours, df[col].to_numpy(dtype=np.float64)), metric
    assert main(["info", table]) == 0
    out = capsys.readouterr().out
    assert "valid_acc_s12" in out.split("metrics", 1)[1].splitlines()[0]
    for metric, col in (("valid_acc_s12", f"{prefix}__valid_acc_12ep"), ("test_acc_s12", f"{prefix}__test_acc_12ep")):
        lo, hi = df[col].min(), df[col].max()
        assert f"{metric} range {lo:.2f} .. {hi:.2f} (last epoch, seed mean)" in out
    assert main(["info", table, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["ranges"]["valid_acc_s12"] == [df[f"{prefix}__valid_acc_12ep"].min(), df[f"{prefix}__valid_acc_12ep"].max()]


def test_12_epoch_join_refuses_a_wrong_file(tmp_path):
    """The join checks the 12-epoch file's cells and columns instead of misplacing values."""
    import pandas as pd

    from nasbench.tables.import_common import ImportError_
    from nasbench.tables.nb201_tables import CSV_12_EPOCH, with_12_epoch_schedule

    src = need(SHARED_DATA / "nasbench201" / CSV_12_EPOCH)
    bench = build_table(spec_of("nb201-cifar100"), SHARED_DATA)
    df = pd.read_csv(src)
    swapped = df.copy()
    swapped.loc[[0, 1], "arch_str"] = df.loc[[1, 0], "arch_str"].to_numpy()
    swapped.to_csv(tmp_path / "swapped.csv", index=False)
    with pytest.raises(ImportError_, match="official index"):
        with_12_epoch_schedule(bench, tmp_path / "swapped.csv", "cifar100")
    df.drop(columns=["cifar100__test_acc_12ep"]).to_csv(tmp_path / "cut.csv", index=False)
    with pytest.raises(ImportError_, match="missing column.*cifar100__test_acc_12ep"):
        with_12_epoch_schedule(bench, tmp_path / "cut.csv", "cifar100")
