"""Refactoring keeps results bit for bit: small comparisons (the main job on nb201-cifar10, a
multi-objective one, one on a surrogate, the default strategies on nb201-digits) must give the
``results.csv`` frozen on the code before a refactor -- whole files in ``tests/data/golden/`` or
SHA-256 digests in ``tests/data/frozen_results.json`` (the jobs and how to rewrite the stores:
``tests/frozen_jobs.py``). A change to any strategy, the runner, the table reader or the surrogate
that alters a single result fails here; a change that is meant to change results rewrites the store
and says why."""
from __future__ import annotations

import pytest

from frozen_jobs import JOBS, frozen, got_as_stored, run_job


@pytest.mark.parametrize("job", JOBS, ids=str)
def test_results_csv_unchanged(job, tmp_path):
    got = run_job(job, tmp_path)
    if job.store == "csv":
        assert len(got.splitlines()) > 100
    assert got_as_stored(job, got) == frozen(job), \
        f"{job}: results.csv differs from the frozen one (tests/frozen_jobs.py says where it is stored)"
