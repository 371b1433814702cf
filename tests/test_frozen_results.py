"""Refactoring keeps results bit for bit: three small comparisons (the main job on nb201-cifar10, a
multi-objective one, one on a surrogate) give the results.csv digests frozen in
tests/data/frozen_results.json, written by ``python tests/frozen_jobs.py --write`` on the code before
the issue-14 refactor. A change that is meant to change results rewrites that file and says why."""
from __future__ import annotations

import json

import pytest

from frozen_jobs import EXPECTED, run_jobs


@pytest.mark.parametrize("job", ["main", "multiobjective", "surrogate"])
def test_results_csv_unchanged(tmp_path, job):
    expected = json.loads(EXPECTED.read_text())
    assert run_jobs(tmp_path, (job,)) == {job: expected[job]}
