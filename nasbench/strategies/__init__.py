"""Search strategies behind one ask/tell interface (or jobs, for those that need them).

Also the protocol through which they see a table.

```python
from nasbench.strategies import make_strategy, SearchContext
import numpy as np
s = make_strategy("evolution", SearchContext(rng=np.random.default_rng(0)), {"sample_size": 3})
i = s.ask(); s.tell(i, 91.2, 1800.0)
```
"""
from __future__ import annotations

from .base import (Capabilities, Job, JobStrategy, Params, SearchContext, Strategy, StrategyError, TrialResult,
                   param_specs)
from .base import register_strategy as register
from .protocol import BUDGET_KINDS, Budget, Protocol, ProtocolError, SearchView
from .registry import (DEFAULT_STRATEGIES, STRATEGIES, describe, get_strategy, make_params, make_strategy,
                       strategy_names)

__all__ = [
    "BUDGET_KINDS", "Budget", "Capabilities", "DEFAULT_STRATEGIES", "Job", "JobStrategy", "Params", "Protocol",
    "ProtocolError", "STRATEGIES", "SearchContext", "SearchView", "Strategy", "StrategyError", "TrialResult", "describe", "get_strategy", "make_params",
    "make_strategy", "param_specs", "register", "strategy_names",
]
