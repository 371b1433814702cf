"""Surrogates: regressors with the scikit-learn API for cells nobody trained, their evaluation,
and a surrogate benchmark that answers like a table.

Convention: every estimator takes `X` = an `(n, 6)` array of op ids (`ops_of(cells)`) and
chooses its features with its `encoding` parameter (see `surrogates.encodings`).

```python
from surrogates import XGBSurrogate, ops_of
model = XGBSurrogate().fit(ops_of(train_cells), accuracies)
model.predict(ops_of(other_cells))
```
"""
from __future__ import annotations

from .base import SurrogateError, SurrogateRegressor
from .encodings import ENCODINGS, encode, encode_graph, encoding_names, ops_of, register_encoding
from .ensemble import EnsembleSurrogate
from .models import GPSurrogate, KNNSurrogate, RandomForestSurrogate, RuntimeModel, XGBSurrogate
from .neural import GINSurrogate, MLPSurrogate
from .registry import ESTIMATORS, make_estimator

__all__ = [
    "ENCODINGS", "ESTIMATORS", "EnsembleSurrogate", "GINSurrogate", "GPSurrogate", "KNNSurrogate",
    "MLPSurrogate", "RandomForestSurrogate", "RuntimeModel", "SurrogateError", "SurrogateRegressor",
    "XGBSurrogate", "encode", "encode_graph", "encoding_names", "make_estimator", "ops_of", "register_encoding",
]
