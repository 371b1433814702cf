"""Worker processes: the spawn pool, Ray's absence, and the workers' malloc setting."""
from __future__ import annotations

import math
import platform
import sys

import pytest

from nasbench.util.executors import keep_freed_memory, pool_map, ray_map


def test_pool_map_runs_every_task_in_initialised_workers():
    # keep_freed_memory doubles as an importable initialiser; math.sqrt as the task
    assert sorted(pool_map(math.sqrt, [1.0, 4.0, 9.0, 16.0], 2, keep_freed_memory)) == [1.0, 2.0, 3.0, 4.0]


def test_ray_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)

    class Refused(ValueError):
        pass

    with pytest.raises(Refused, match=r"--executor ray needs Ray: pip install 'nasbench\[ray\]'"):
        next(ray_map(math.sqrt, [1.0], 1, keep_freed_memory, error=Refused))


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_keep_freed_memory_takes_effect():
    assert keep_freed_memory() is True
