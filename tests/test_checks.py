"""One positive-integer check, one key=value parser and one off-able progress bar for every module."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench.util.checks import NoBar, check_positive_int, is_positive_int, parse_params, parse_value, progress_bar


def test_positive_int():
    assert is_positive_int(1) and is_positive_int(10**9)
    for bad in (0, -1, True, 1.0, "3", np.int64(3), None):
        assert not is_positive_int(bad), bad
    with pytest.raises(KeyError, match="runs must be a positive integer, got 0"):
        check_positive_int(0, "runs", KeyError)
    check_positive_int(None, "limit", allow_none=True)
    with pytest.raises(ValueError, match=r"epochs must be a positive integer or None, got 'x'"):
        check_positive_int("x", "epochs", allow_none=True, say_none=True)


def test_every_caller_refuses_a_bool_count():
    """Several hand-written checks let True through as 1; the shared one does not."""
    from nasbench.generation.config import DataSpec, GenerateConfig, GenerateError, validate_config
    from nasbench.training.counts import NetConfig
    from nasbench.strategies import StrategyError, make_params

    with pytest.raises(ValueError, match="NetConfig.C must be a positive integer, got True"):
        NetConfig(C=True)
    with pytest.raises(GenerateError, match="jobs must be a positive integer, got True"):
        validate_config(GenerateConfig(DataSpec("digits"), {"epochs": 1}, seeds=(1,), jobs=True))
    with pytest.raises(StrategyError, match="supernet: C must be a positive integer or None, got True"):
        make_params("darts", {}).__class__(C=True).check()


def test_params_and_values():
    assert parse_params(["n=100", "flag=true", "xs=[1, 2]", " enc =path"]) == {
        "n": 100, "flag": True, "xs": [1, 2], "enc": "path"}
    assert parse_value("0.5") == 0.5 and parse_value("abc") == "abc"
    with pytest.raises(LookupError, match=r"--param 'oops' must look like key=value"):
        parse_params(["oops"], LookupError)


def test_compare_and_surrogate_params_read_values_alike():
    from nasbench.cli import _surrogate_params
    from nasbench.search.runner import parse_overrides

    items = ["1e-3", "true", "[1, 2]", "path", "null"]
    got_c = [parse_overrides([f"x.k={v}"])["x"]["k"] for v in items]
    got_s = [_surrogate_params([f"k={v}"])["k"] for v in items]
    assert got_c == got_s == [1e-3, True, [1, 2], "path", None]


def test_no_bar():
    bar = progress_bar(10, False)
    assert isinstance(bar, NoBar) and isinstance(progress_bar(0, True), NoBar)
    bar.update(3)
    bar.close()


def test_quiet_nan_stats_silences_nan_statistics_and_restores():
    import warnings

    import numpy as np

    from nasbench.util.checks import quiet_nan_stats

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with quiet_nan_stats():
            assert np.isnan(np.nanmean(np.full(3, np.nan)))
            assert np.isnan(np.nanstd(np.array([1.0]), ddof=1))
        assert seen == []
        np.nanmean(np.full(3, np.nan))  # outside: warned again
        assert [w.category for w in seen] == [RuntimeWarning]
    assert np.geterr()["invalid"] != "ignore"


def test_one_warning_silencer():
    """RuntimeWarnings of NaN statistics are silenced in one place (nasbench.util.checks), not by
    copies in the modules that compute them."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    copies = [str(p.relative_to(root)) for pkg in ("nasbench", "surrogates") for p in sorted((root / pkg).rglob("*.py"))
              if p.name != "checks.py" and re.search(r"simplefilter\(\s*[\"']ignore[\"'],\s*RuntimeWarning", p.read_text())]
    assert copies == []
