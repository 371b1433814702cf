"""nasbench: NAS-Bench-201 tabular and surrogate benchmarks, search strategies, validation.

```python
import nasbench
bench = nasbench.load("nb201-fashion-mnist")
bench.query("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
```
"""
from __future__ import annotations

from ._version import __version__

from .tables.benchmark import Benchmark, QueryError, TableMeta  # noqa: E402
from .tables.tabular import TabularBenchmark  # noqa: E402
from .tables.registry import load  # noqa: E402
from .space import NB201, Cell, SpaceError, to_cell  # noqa: E402
from .tables.hdf5 import TableError, read_table, verify_table, write_table  # noqa: E402

__all__ = [
    "Benchmark", "Cell", "NB201", "QueryError", "SpaceError", "TableError", "TableMeta", "TabularBenchmark",
    "load", "read_table", "to_cell", "verify_table", "write_table", "__version__",
]
