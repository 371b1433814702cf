"""Refactoring keeps results bit for bit: small comparisons (the main job on nb201-cifar10, a
multi-objective one, one on a surrogate, the default strategies on nb201-digits) give the
results.csv digests frozen in tests/data/frozen_results.json, written by ``python
tests/frozen_jobs.py --write`` on the code before a refactor. A change that is meant to change
results rewrites that file and says why."""
from __future__ import annotations

import json

import pytest

from frozen_jobs import EXPECTED, JOBS, run_jobs


@pytest.mark.parametrize("job", JOBS)
def test_results_csv_unchanged(tmp_path, job):
    expected = json.loads(EXPECTED.read_text())
    assert run_jobs(tmp_path, (job,)) == {job: expected[job]}
